"""Seed 004's Video Generation API as its document shows it, at /fomi/v1: POST
/videos/generate with the document's own example body, GET /videos/generate/{id}
and /progress, POST /videos/variations with its example body (a real video id for
"vid_123"), every documented field checked for its JSON type, nesting and value,
and the document's error envelope for what it refuses.

The document's examples ask for 15 s of 1080p at 24 fps with 50 steps: those are
checked while they run and then cancelled (minutes of CPU on the test machine);
a 1 s clip of the same options runs to the end for the finished shape. Runs on
the tiny random video pipeline: decoding proves frames and sizes, not pictures.

Where Backdrop answers otherwise than the example, on purpose: `id` is the job's
UUID (the document shows "vid_123456"), and `video` carries width, height, frames
and filtered besides the documented keys.
"""

from __future__ import annotations

import pytest
import requests

from tests.contract.shapes import DATETIME, URI, OneOf, Optional, assert_shape
from tests.contract.test_seed_004 import STATUS, assert_error, ok, register, subscribed, when

pytestmark = pytest.mark.mesh

GENERATE = {
    "prompt": "A serene mountain landscape with flowing clouds and gentle sunlight",
    "negativePrompt": "blurry, low quality, distorted",
    "model": "stable-video-diffusion",
    "duration": 15,
    "fps": 24,
    "resolution": "1080p",
    "aspectRatio": "16:9",
    "style": "cinematic",
    "seed": 12345,
    "guidanceScale": 7.5,
    "steps": 50,
    "motionStrength": 0.8,
    "cameraMovement": "static",
}
VARIATIONS = {"videoId": "vid_123", "prompt": "Same scene but with rain", "strength": 0.6, "duration": 15, "model": "stable-video-diffusion"}
SHORT = {**GENERATE, "duration": 1, "steps": 10}

VIDEO = {
    "url": URI, "thumbnail": URI, "preview": URI, "duration": float, "fps": int,
    "resolution": OneOf("720p", "1080p", "4k"), "fileSize": int, "seed": int,
}
GENERATION = {
    "success": bool,
    "generation": {
        "id": str,
        "status": STATUS,
        "progress": int,
        "video": VIDEO,
        "prompt": str,
        "model": OneOf("stable-video-diffusion"),
        "settings": {"duration": float, "fps": int, "resolution": str, "guidanceScale": float, "steps": int},
        "createdAt": DATETIME,
        "estimatedCompletion": DATETIME,
        "completedAt": Optional(DATETIME),
    },
}
PROGRESS = {"success": bool, "progress": int, "status": STATUS, "message": str}


@pytest.fixture(scope="module")
def user(mesh):
    """Enterprise: 1080p and 120 requests a minute."""
    return subscribed(mesh.base_url, "enterprise")


def cancel(user, generation_id: str) -> None:
    assert user.call("DELETE", f"/videos/generate/{generation_id}").status_code in (200, 409)


@pytest.fixture(scope="module")
def short(user) -> dict:
    started = ok(user.post("/videos/generate", SHORT), (202,))
    final = user.finished(started["generation"]["id"], "videos")
    assert final["generation"]["status"] == "completed", final
    return final


def test_the_documents_example_answers_its_generation(user):
    response = user.post("/videos/generate", GENERATE)
    body = ok(response, (202,))
    try:
        assert_shape(body, GENERATION)
        generation = body["generation"]
        assert generation["status"] in ("pending", "processing") and 0 <= generation["progress"] <= 100
        assert generation["prompt"] == GENERATE["prompt"] and generation["completedAt"] is None
        assert when(generation["estimatedCompletion"]) >= when(generation["createdAt"])
        video = generation["video"]
        assert (video["duration"], video["fps"], video["resolution"], video["seed"]) == (15, 24, "1080p", 12345)
        assert video["url"].split("?")[0].endswith(".mp4") and video["preview"].split("?")[0].endswith(".mp4")
        assert video["fileSize"] == 0  # not made yet
        assert generation["settings"] == {**generation["settings"], "duration": 15, "fps": 24, "resolution": "1080p", "guidanceScale": 7.5, "steps": 50}
        again = ok(user.get(f"/videos/generate/{generation['id']}"))
        assert_shape(again, GENERATION)
        assert again["generation"]["id"] == generation["id"]
        progress = ok(user.get(f"/videos/generate/{generation['id']}/progress"))
        assert_shape(progress, PROGRESS)
        assert set(progress) == {"success", "progress", "status", "message"}
    finally:
        cancel(user, body["generation"]["id"])


def test_a_finished_generation(short):
    assert_shape(short, GENERATION)
    generation = short["generation"]
    assert generation["progress"] == 100 and generation["completedAt"] and when(generation["completedAt"]) >= when(generation["createdAt"])
    video = generation["video"]
    data = requests.get(video["url"], timeout=60)
    assert data.status_code == 200 and data.headers["Content-Type"] == "video/mp4" and video["fileSize"] == len(data.content)
    assert data.content[4:8] == b"ftyp"  # an MP4
    assert requests.get(video["thumbnail"], timeout=30).content[:2] == b"\xff\xd8"  # a JPEG
    assert requests.get(video["preview"], timeout=30).content[4:8] == b"ftyp"


def test_progress_of_a_finished_generation(user, short):
    progress = ok(user.get(f"/videos/generate/{short['generation']['id']}/progress"))
    assert_shape(progress, PROGRESS)
    assert progress == {"success": True, "progress": 100, "status": "completed", "message": "Done"}


def test_variations_with_the_documents_example(user, short):
    body = ok(user.post("/videos/variations", {**VARIATIONS, "videoId": short["generation"]["id"]}), (202,))
    try:
        assert_shape(body, GENERATION)
        generation = body["generation"]
        assert generation["prompt"] == VARIATIONS["prompt"]
        assert generation["video"]["duration"] == 15 and generation["video"]["seed"] != short["generation"]["video"]["seed"]
    finally:
        cancel(user, body["generation"]["id"])


def test_errors_in_the_documents_envelope(user, short):
    assert_error(user.post("/videos/generate", {**GENERATE, "fps": 25}), 400, "INVALID_PARAMETER")
    assert_error(user.post("/videos/generate", {**GENERATE, "prompt": ""}), 400, "INVALID_PARAMETER")
    assert_error(user.post("/videos/generate", {**GENERATE, "cameraMovement": "dolly"}), 400, "UNSUPPORTED_OPTION")
    assert_error(user.post("/videos/generate", {**GENERATE, "prompt": "explicit nsfw porn photo"}), 400, "INVALID_PROMPT")
    assert_error(user.get("/videos/generate/00000000-0000-0000-0000-000000000000"), 404, None)
    assert_error(user.post("/videos/variations", VARIATIONS), 404, None)  # "vid_123" is no video of this user's
    other = subscribed(user.origin, "enterprise")
    assert_error(other.get(f"/videos/generate/{short['generation']['id']}"), 404, None)
    assert_error(requests.post(f"{user.origin}/fomi/v1/videos/generate", json=GENERATE, timeout=30), 401, "AUTHENTICATION_FAILED")
    free = register(user.origin)  # maxVideoDuration 5 (GET /subscription), below the example's 15
    assert ok(free.get("/subscription"))["subscription"]["limits"]["maxVideoDuration"] < 15
    assert_error(free.post("/videos/generate", GENERATE), 403, "PERMISSION_DENIED")
