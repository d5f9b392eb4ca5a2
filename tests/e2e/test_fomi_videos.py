"""Seed 004's video generation through the whole mesh on the tiny random video
pipeline (keyframes at 64 pixels, tests/conftest.py): the MP4 decodes by ffmpeg to
duration x fps frames of the asked size, progress rises step by step, the same seed
gives the same video, a variation animates a frame of a video again, cancel refunds,
and out-of-bound or over-the-plan options are refused before any charge."""

from __future__ import annotations

import io
import pathlib
import tempfile
import time

import numpy as np
import pytest
import requests
from PIL import Image

from services.inference.pipeline import ffmpeg
from tests.contract.accounts import on_plan

pytestmark = pytest.mark.mesh

FOMI = "/fomi/v1"
SHORT = {
    "prompt": "A serene mountain landscape with flowing clouds", "negativePrompt": "blurry, low quality",
    "model": "stable-video-diffusion", "duration": 1, "fps": 24, "resolution": "720p", "aspectRatio": "16:9",
    "seed": 12345, "guidanceScale": 7.5, "steps": 16, "motionStrength": 0.8, "cameraMovement": "pan",
}


def decode(data: bytes):
    """ffmpeg's reading of an MP4 (services/inference/pipeline/ffmpeg.py): its probe and every frame, RGB."""
    with tempfile.TemporaryDirectory() as folder:
        path = pathlib.Path(folder) / "video.mp4"
        path.write_bytes(data)
        info = ffmpeg.probe(str(path))
        frames = np.stack(list(ffmpeg.frames(str(path), info.width, info.height)))
    return info, frames


@pytest.fixture(scope="module")
def origin(mesh) -> str:
    return mesh.base_url


@pytest.fixture(scope="module")
def account(origin):
    """An enterprise account: 4k and 60 fps allowed, and room to poll."""
    return on_plan(origin, "enterprise")


@pytest.fixture(scope="module")
def api(origin, account):
    headers = account["headers"]

    class Api:
        def post(self, path: str, body: dict, as_headers: dict | None = None) -> requests.Response:
            return requests.post(f"{origin}{FOMI}{path}", json=body, headers=as_headers or headers, timeout=60)

        def get(self, path: str) -> dict:
            answer = requests.get(f"{origin}{FOMI}{path}", headers=headers, timeout=60)
            assert answer.status_code == 200, answer.text
            return answer.json()

        def credits(self) -> int:
            return self.get("/credits")["credits"]["remaining"]

        def finished(self, response: requests.Response, seen: list | None = None) -> dict:
            assert response.status_code == 202, response.text
            generation_id = response.json()["generation"]["id"]
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                progress = self.get(f"/videos/generate/{generation_id}/progress")
                if seen is not None:
                    seen.append(progress)
                if progress["status"] in ("completed", "failed"):
                    generation = self.get(f"/videos/generate/{generation_id}")["generation"]
                    assert generation["status"] == "completed", generation
                    return generation
                time.sleep(0.5)  # enterprise: 120 requests a minute
            raise AssertionError("the video did not finish in 90 s")

    return Api()


@pytest.fixture(scope="module")
def first_video(api):
    seen: list[dict] = []
    response = api.post("/videos/generate", SHORT)
    assert response.status_code == 202, response.text
    started = response.json()["generation"]
    return started, api.finished(response, seen), seen


def test_the_video_decodes_to_its_frames_size_and_fps(first_video):
    started, done, _ = first_video
    assert started["status"] in ("pending", "processing") and started["completedAt"] is None
    video = done["video"]
    assert (video["duration"], video["fps"], video["resolution"], video["seed"]) == (1, 24, "720p", 12345)
    data = requests.get(video["url"], timeout=30).content
    assert video["fileSize"] == len(data) > 0
    info, frames = decode(data)
    assert (info.codec, info.fps, info.width, info.height, info.frames) == ("h264", 24, 1280, 720, 24)
    assert frames.shape == (24, 720, 1280, 3) and video["frames"] == 24
    assert frames.std() > 1  # drawn, not blank
    # The camera pans: later frames are not the first one.
    assert np.abs(frames[-1].astype(int) - frames[0].astype(int)).mean() > 1
    small, preview = decode(requests.get(video["preview"], timeout=30).content)
    assert (small.width, small.height, small.fps, small.frames) == (640, 360, 12, 12) and len(preview) == 12
    thumbnail = Image.open(io.BytesIO(requests.get(video["thumbnail"], timeout=30).content))
    assert thumbnail.format == "JPEG" and thumbnail.width <= 320


def test_progress_rises_step_by_step(first_video):
    _, done, seen = first_video
    values = [p["progress"] for p in seen]
    assert values == sorted(values) and values[-1] == 100 and done["progress"] == 100
    assert len(set(values)) >= 3, values
    messages = " ".join(p["message"] for p in seen)
    assert "step" in messages or "frame" in messages


def test_the_same_seed_makes_the_same_video(api, first_video):
    _, done, _ = first_video
    again = api.finished(api.post("/videos/generate", SHORT))
    assert again["id"] != done["id"]
    first, second = (requests.get(g["video"]["url"], timeout=30).content for g in (done, again))
    assert np.array_equal(decode(first)[1], decode(second)[1])
    assert first == second


def test_a_variation_animates_a_frame_of_the_video_with_a_new_seed(api, first_video):
    _, done, _ = first_video
    body = {"videoId": done["id"], "prompt": "Same scene but with rain", "strength": 0.6, "duration": 1, "model": "stable-video-diffusion"}
    response = api.post("/videos/variations", body)
    variation = api.finished(response)
    assert variation["sourceVideoId"] == done["id"] and variation["prompt"] == "Same scene but with rain"
    assert variation["video"]["seed"] != done["video"]["seed"]
    assert (variation["video"]["fps"], variation["video"]["resolution"]) == (24, "720p")  # the source's
    _, frames = decode(requests.get(variation["video"]["url"], timeout=30).content)
    assert frames.shape == (24, 720, 1280, 3)
    missing = api.post("/videos/variations", {**body, "videoId": "00000000-0000-0000-0000-000000000000"})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "JOB_NOT_FOUND"


def test_a_cancelled_video_is_refunded(api, origin, account):
    before = api.credits()
    response = api.post("/videos/generate", {**SHORT, "duration": 5, "steps": 50, "seed": 7})
    assert response.status_code == 202, response.text
    generation_id = response.json()["generation"]["id"]
    deadline = time.monotonic() + 60
    while api.get(f"/videos/generate/{generation_id}/progress")["progress"] < 2 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert api.credits() < before  # charged
    cancelled = requests.delete(f"{origin}{FOMI}/videos/generate/{generation_id}", headers=account["headers"], timeout=30)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["generation"]["status"] == "failed"
    deadline = time.monotonic() + 30
    while api.credits() != before and time.monotonic() < deadline:
        time.sleep(0.5)
    assert api.credits() == before
    progress = api.get(f"/videos/generate/{generation_id}/progress")
    assert progress["status"] == "failed" and progress["progress"] < 100


@pytest.mark.parametrize(
    "change, code, field",
    [
        ({"duration": 0.5}, "INVALID_PARAMETER", "duration"),
        ({"duration": 61}, "INVALID_PARAMETER", "duration"),
        ({"fps": 25}, "INVALID_PARAMETER", "fps"),
        ({"resolution": "8k"}, "INVALID_PARAMETER", "resolution"),
        ({"aspectRatio": "4:3"}, "INVALID_PARAMETER", "aspectRatio"),
        ({"motionStrength": 1.5}, "INVALID_PARAMETER", "motionStrength"),
        ({"cameraMovement": "dolly"}, "UNSUPPORTED_OPTION", "cameraMovement"),
        ({"steps": 51}, "INVALID_PARAMETER", "steps"),
        ({"model": "sora"}, "INVALID_PARAMETER", "model"),
    ],
)
def test_out_of_bound_options_are_400(api, change, code, field):
    before = api.credits()
    refused = api.post("/videos/generate", {**SHORT, **change})
    assert refused.status_code == 400, refused.text
    error = refused.json()["error"]
    assert refused.json()["success"] is False and error["code"] == code and field in error["message"]
    assert api.credits() == before


def test_the_free_plan_bounds_duration_fps_and_resolution(api, origin):
    from tests.conftest import register

    free = {"Authorization": f"Bearer {register(origin)['token']}"}
    for change, limit in (({"duration": 10}, "maxVideoDuration"), ({"fps": 30}, "maxFps"), ({"resolution": "1080p"}, "maxResolution")):
        refused = api.post("/videos/generate", {**SHORT, **change}, as_headers=free)
        assert refused.status_code == 403, refused.text
        error = refused.json()["error"]
        assert error["code"] == "PERMISSION_DENIED" and limit in error["details"], error


def test_the_video_is_in_the_personal_gallery_as_a_video(api, first_video):
    _, done, _ = first_video
    listed = api.get("/gallery/personal?type=video&limit=50")["items"]
    item = next(item for item in listed if item["id"] and done["prompt"] in item["prompt"])
    assert item["type"] == "video" and item["model"] == "stable-video-diffusion"
    assert requests.get(item["url"], timeout=30).content[4:8] == b"ftyp"
    assert requests.get(item["thumbnail"], timeout=30).content[:2] == b"\xff\xd8"


def test_the_websocket_follows_a_video_step_by_step_and_frame_by_frame(api, origin, account):
    """Seed 004's generation_progress events, for a video as for images."""
    import json

    from websockets.sync.client import connect

    with connect(origin.replace("http://", "ws://") + "/fomi/v1/ws", additional_headers=account["headers"], open_timeout=20) as ws:
        ws.send(json.dumps({"type": "subscribe", "events": ["generation_progress"]}))
        assert json.loads(ws.recv(timeout=20))["type"] == "subscribed"
        # Long enough (3 clips of 30 steps) that the socket, which looks for new jobs once a second, follows it.
        response = api.post("/videos/generate", {**SHORT, "duration": 4, "steps": 30, "seed": 3})
        assert response.status_code == 202, response.text
        generation_id = response.json()["generation"]["id"]
        events = []
        while not events or events[-1]["status"] not in ("completed", "failed"):
            events.append(json.loads(ws.recv(timeout=90)))
    assert all(event["type"] == "generation_progress" and event["generationId"] == generation_id for event in events)
    progress = [event["progress"] for event in events]
    assert progress == sorted(progress) and events[-1]["status"] == "completed" and progress[-1] == 100
    messages = [event["message"] for event in events]
    assert any(m.startswith("Generating frames") and "step" in m for m in messages), messages
    assert any(m.startswith(("Decoded frame", "Encoding frame")) for m in messages), messages  # per frame too
