"""Issue 9 through Envoy, on the tiny random pipeline `make models-diffusion-tiny`
builds: the real serving path (tokenizer, text encoder, UNet steps with
guidance, VAE) proved by shapes, determinism, masks and progress, not by
how the pictures look."""

from __future__ import annotations

import asyncio
import base64
import io
import time

import nats
import numpy as np
import pytest
import requests
from PIL import Image

from backdrop.jobs.v1 import jobs_pb2
from services.runtime import messaging
from tests.samples import png, pixels

pytestmark = pytest.mark.mesh


@pytest.fixture
def api(base_url, bearer):
    class Api:
        def post(self, path: str, body: dict) -> requests.Response:
            return requests.post(f"{base_url}{path}", json=body, headers=bearer, timeout=120)

        def get(self, path: str) -> dict:
            response = requests.get(f"{base_url}{path}", headers=bearer, timeout=60)
            assert response.status_code == 200, response.text
            return response.json()

        def upload(self, data: bytes) -> str:
            response = requests.post(f"{base_url}/v1/images", files={"file": ("in.png", data)}, headers=bearer, timeout=60)
            assert response.status_code == 201, response.text
            return response.json()["id"]

        def finished(self, response: requests.Response, key: str = "generation") -> dict:
            """Polls GET /v1/images/generate/{id} until the job ends; returns the generation."""
            assert response.status_code in (200, 202), response.text
            generation_id = response.json()[key]["id"]
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                generation = self.get(f"/v1/images/generate/{generation_id}")["generation"]
                if generation["status"] in ("completed", "failed"):
                    assert generation["status"] == "completed", generation
                    return generation
                time.sleep(0.2)
            raise AssertionError("the generation did not finish in 120 s")

    return Api()


def test_the_same_seed_gives_the_same_images_and_another_seed_does_not(api):
    body = {"prompt": "a lighthouse at dusk", "negativePrompt": "blurry", "seed": 1234, "steps": 10, "numImages": 2, "aspectRatio": "16:9"}
    first = api.finished(api.post("/v1/images/generate", body))
    assert [image["seed"] for image in first["images"]] == [1234, 1235]
    assert {(image["width"], image["height"]) for image in first["images"]} == {(704, 384)}
    assert first["progress"] == 100 and first["settings"]["steps"] == 10 and first["completedAt"]
    assert first["settings"] == {**first["settings"], "aspectRatio": "16:9", "quality": "standard"}
    again = api.finished(api.post("/v1/images/generate", body))
    other = api.finished(api.post("/v1/images/generate", {**body, "seed": 99}))
    a, b, c = (pixels(g["images"][0]["url"]) for g in (first, again, other))
    assert np.array_equal(a, b)
    assert np.abs(a.astype(int) - c).mean() > 1
    assert not np.array_equal(pixels(first["images"][0]["url"]), pixels(first["images"][1]["url"]))
    thumbnail = Image.open(io.BytesIO(requests.get(first["images"][0]["thumbnail"], timeout=30).content))
    assert thumbnail.format == "JPEG" and max(thumbnail.size) <= 320


def test_progress_advances_once_per_denoising_step(api, mesh):
    response = api.post("/v1/images/generate", {"prompt": "a red kite", "seed": 5, "steps": 12, "numImages": 2})
    generation = api.finished(response)
    progress = api.get(f"/v1/images/generate/{generation['id']}/progress")
    assert progress == {"success": True, "progress": 100, "status": "completed", "message": "Done"}

    async def worker_progress_events() -> list[jobs_pb2.JobEvent]:
        operator = mesh.nats_credentials("operator")  # reads the stream as an operator's tool would
        client = await nats.connect(f"nats://127.0.0.1:{mesh.ports.nats}", user=operator["NATS_USER"], password=operator["NATS_PASSWORD"])
        try:
            js = client.jetstream()
            subscription = await js.subscribe(f"{messaging.EVENTS_SUBJECT}.{generation['id']}", ordered_consumer=True)
            events = []
            while True:
                try:
                    message = await subscription.next_msg(timeout=1)
                except Exception:  # noqa: BLE001 - nats' timeout: the stream is read to its end
                    return events
                events.append(jobs_pb2.JobEvent.FromString(message.data))
        finally:
            await client.close()

    stepped = [e for e in asyncio.run(worker_progress_events()) if e.status == jobs_pb2.JOB_STATUS_PROCESSING and e.progress]
    assert len(stepped) == 12 * 2  # one event per step of each image
    assert [e.progress for e in stepped] == sorted(e.progress for e in stepped)
    assert stepped[-1].progress_message == "Generating image 2 of 2: step 12 of 12"


def test_progress_reaches_the_sse_stream(api, base_url, bearer):
    response = api.post("/v1/images/generate", {"prompt": "a slow river", "seed": 8, "steps": 30, "numImages": 2})
    generation_id = response.json()["generation"]["id"]
    seen = []
    with requests.get(f"{base_url}/v1/process/jobs/{generation_id}/events", headers=bearer, stream=True, timeout=120) as stream:
        for line in stream.iter_lines():
            if line.startswith(b"data:"):
                import json

                seen.append(json.loads(line[5:])["progress"])
    assert seen[-1] == 100
    assert seen == sorted(seen) and len(set(seen)) >= 3  # it moved through intermediate steps


def test_inpainting_changes_only_the_masked_region(api, astronaut):
    original = np.ascontiguousarray(astronaut[40:168, 160:288])  # 128x128
    mask = np.zeros((128, 128), np.uint8)
    mask[40:88, 40:88] = 255
    body = {
        "imageId": api.upload(png(original)), "mask": base64.b64encode(png(mask)).decode(), "prompt": "a golden helmet",
        "maskBlur": 4, "steps": 10, "seed": 3,
    }
    response = api.post("/v1/images/inpaint", body)
    assert response.status_code in (200, 202), response.text
    assert response.json()["inpainting"]["mask"]["url"]
    result = pixels(api.finished(response, "inpainting")["images"][0]["url"])
    assert result.shape == original.shape
    outside = np.ones((128, 128), bool)
    outside[28:100, 28:100] = False  # the mask widened by three blur radii
    assert np.abs(result[outside].astype(int) - original[outside]).max() <= 1
    assert np.abs(result[48:80, 48:80].astype(int) - original[48:80, 48:80]).mean() > 5


def test_outpainting_grows_the_image_by_the_requested_pixels(api, astronaut):
    original = np.ascontiguousarray(astronaut[100:196, 100:228])  # 128 wide, 96 high
    image_id = api.upload(png(original))
    right = api.finished(api.post("/v1/images/outpaint", {"imageId": image_id, "direction": "right", "pixels": 40, "prompt": "more sky", "steps": 10, "seed": 1}))
    grown = pixels(right["images"][0]["url"])
    assert grown.shape == (96, 168, 3)
    assert np.abs(grown[:, :100].astype(int) - original[:, :100]).max() <= 1  # the original stays, but for the feathered seam
    top = api.finished(api.post("/v1/images/outpaint", {"imageId": image_id, "direction": "top", "pixels": 24, "prompt": "more sky", "steps": 10, "seed": 1}))
    assert pixels(top["images"][0]["url"]).shape == (120, 128, 3)


def test_variations_keep_the_size_and_change_the_picture(api, astronaut):
    original = np.ascontiguousarray(astronaut[:128, :192])
    generation = api.finished(api.post("/v1/images/variations", {"imageId": api.upload(png(original)), "strength": 0.6, "numVariations": 2, "steps": 10, "seed": 11}))
    assert len(generation["images"]) == 2 and generation["settings"]["strength"] == 0.6
    varied = pixels(generation["images"][0]["url"])
    assert varied.shape == original.shape and np.abs(varied.astype(int) - original).mean() > 1


def test_a_generated_background_is_usable_at_once(api, photo, base_url, bearer):
    created = api.post("/v1/backgrounds/generate", {"prompt": "soft studio light", "style": "gradient", "width": 320, "height": 200, "steps": 10})
    assert created.status_code == 201, created.text
    background = created.json()
    assert background["category"] == "custom" and "generated" in background["tags"]
    assert Image.open(io.BytesIO(requests.get(background["url"], timeout=30).content)).size == (320, 200)
    removed = requests.post(f"{base_url}/v1/process/remove-background", files={"file": ("p.jpg", photo)}, headers=bearer, timeout=120).json()
    replaced = api.post("/v1/process/replace-background", {"image_id": removed["id"], "background_id": background["id"]})
    assert replaced.status_code == 200, replaced.text


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/images/generate", {"prompt": ""}, "prompt"),
        ("/v1/images/generate", {"prompt": "x" * 1001}, "prompt"),
        ("/v1/images/generate", {"prompt": "ok", "steps": 500}, "steps"),
        ("/v1/images/generate", {"prompt": "ok", "numImages": 9}, "numImages"),
        ("/v1/images/generate", {"prompt": "ok", "guidanceScale": 90}, "guidanceScale"),
        ("/v1/images/generate", {"prompt": "ok", "aspectRatio": "7:1"}, "aspectRatio"),
        ("/v1/backgrounds/generate", {"prompt": "a beach", "width": 9000}, "width"),
        ("/v1/backgrounds/generate", {"prompt": "ok"}, "prompt"),
        ("/v1/images/outpaint", {"imageId": "img_" + "0" * 32, "direction": "up"}, "direction"),
    ],
)
def test_unsafe_settings_are_refused(api, path, body, field):
    response = api.post(path, body)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "INVALID_PARAMETER" and field in response.json()["message"]


def test_a_cancelled_generation_stops_and_is_refunded(api, base_url, bearer, mesh):
    credits = lambda: requests.get(f"{base_url}/v1/credits", headers=bearer, timeout=30).json()["balance"]  # noqa: E731
    before = credits()
    # 2 images: the free plan's most per generation.
    response = api.post("/v1/images/generate", {"prompt": "a long night", "steps": 50, "numImages": 2, "quality": "hd", "seed": 2})
    generation_id = response.json()["generation"]["id"]
    deadline = time.monotonic() + 60
    while api.get(f"/v1/images/generate/{generation_id}/progress")["progress"] < 2 and time.monotonic() < deadline:
        time.sleep(0.25)  # (the free plan allows 100 requests an hour)
    cancelled = requests.delete(f"{base_url}/v1/images/generate/{generation_id}", headers=bearer, timeout=30)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["generation"]["status"] == "failed"
    time.sleep(2)
    progress = api.get(f"/v1/images/generate/{generation_id}/progress")
    assert progress["status"] == "failed" and progress["progress"] < 100
    assert progress["message"] == "Cancelled by its owner"
    deadline = time.monotonic() + 30
    while credits() != before and time.monotonic() < deadline:
        time.sleep(1)
    assert credits() == before  # the charge for four images came back
    stopped = [line for line in mesh.log.path.read_text().splitlines() if "job stopped: cancelled" in line and generation_id in line]
    assert stopped, "the worker did not stop the cancelled job"
    again = requests.delete(f"{base_url}/v1/images/generate/{generation_id}", headers=bearer, timeout=30)
    assert again.status_code == 409 and again.json()["error"] == "JOB_FINISHED"
