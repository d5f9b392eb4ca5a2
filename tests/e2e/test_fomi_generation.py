"""Seed 004's generation as its clients call it, at its base URL /fomi/v1: its
envelopes, image ids or base64 images wherever an imageId goes, image editing,
"only masked" inpainting, and the content policy behind safetyFilter. On the
tiny random diffusion pipeline: pixels prove where the model painted, not what."""

from __future__ import annotations

import base64
import time

import numpy as np
import pytest
import requests

from tests.contract.accounts import on_plan
from tests.samples import png, pixels

pytestmark = pytest.mark.mesh

FOMI = "/fomi/v1"


def noise(height: int, width: int, seed: int = 7) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


@pytest.fixture
def bearer(base_url):
    """An enterprise account: seed 004 allows it 120 requests a minute (free: 10), room to poll."""
    return on_plan(base_url, "enterprise")["headers"]


@pytest.fixture
def fomi(base_url, bearer):
    class Fomi:
        def post(self, path: str, body: dict) -> requests.Response:
            return requests.post(f"{base_url}{FOMI}{path}", json=body, headers=bearer, timeout=120)

        def finished(self, response: requests.Response, key: str = "generation") -> dict:
            """Polls GET /fomi/v1/images/generate/{id} until the job ends."""
            assert response.status_code in (200, 202), response.text
            generation_id = response.json()[key]["id"]
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:
                answer = requests.get(f"{base_url}{FOMI}/images/generate/{generation_id}", headers=bearer, timeout=60)
                assert answer.status_code == 200, answer.text
                generation = answer.json()["generation"]
                if generation["status"] in ("completed", "failed"):
                    assert generation["status"] == "completed", generation
                    return generation
                time.sleep(0.6)
            raise AssertionError("the generation did not finish in 180 s")

    return Fomi()


def test_generate_answers_the_seed_shape_and_its_images_are_pngs(fomi, base_url, bearer):
    body = {
        "prompt": "A beautiful sunset over mountains with vibrant colors", "negativePrompt": "blurry, low quality, distorted",
        "model": "stable-diffusion-xl", "numImages": 2, "aspectRatio": "1:1", "quality": "standard", "seed": 12345,
        "guidanceScale": 7.5, "steps": 10, "safetyFilter": True, "enhancePrompt": False,
    }
    response = fomi.post("/images/generate", body)
    assert response.status_code == 202, response.text
    answer = response.json()
    assert answer["success"] is True
    started = answer["generation"]
    assert started["status"] in ("pending", "processing") and started["progress"] in range(0, 101)
    assert started["estimatedCompletion"] >= started["createdAt"]  # both ISO 8601 UTC
    assert started["settings"]["steps"] == 10 and started["settings"]["guidanceScale"] == 7.5
    assert started["completedAt"] is None  # null, as the document shows it
    done = fomi.finished(response)
    assert done["progress"] == 100 and done["completedAt"] and done["estimatedCompletion"] == done["completedAt"]
    assert [image["seed"] for image in done["images"]] == [12345, 12346]
    for image in done["images"]:
        assert (image["width"], image["height"]) == (512, 512)
        # The safety detector ran (safetyFilter) and let noise through: not withheld, not black.
        assert image["filtered"] is False
        assert pixels(image["url"]).shape == (512, 512, 3) and pixels(image["url"]).max() > 0
    progress = requests.get(f"{base_url}{FOMI}/images/generate/{done['id']}/progress", headers=bearer, timeout=30).json()
    assert progress == {"success": True, "progress": 100, "status": "completed", "message": "Done"}


def test_errors_are_in_each_dialects_envelope_and_a_forged_dialect_header_changes_nothing(base_url, bearer):
    bad = {"prompt": "a lighthouse", "aspectRatio": "2:1"}
    fomi = requests.post(f"{base_url}{FOMI}/images/generate", json=bad, headers=bearer, timeout=30)
    assert fomi.status_code == 400
    assert fomi.json()["success"] is False
    assert fomi.json()["error"]["code"] == "INVALID_PARAMETER" and "aspectRatio" in fomi.json()["error"]["message"]
    forged = {**bearer, "X-Backdrop-Dialect": "fomi"}
    v1 = requests.post(f"{base_url}/v1/images/generate", json=bad, headers=forged, timeout=30)
    assert v1.status_code == 400 and v1.json()["error"] == "INVALID_PARAMETER" and "success" not in v1.json()
    missing = requests.get(f"{base_url}{FOMI}/images/generate/00000000-0000-0000-0000-000000000000", headers=bearer, timeout=30)
    assert missing.status_code == 404 and missing.json()["success"] is False
    anonymous = requests.post(f"{base_url}{FOMI}/images/generate", json={"prompt": "x"}, timeout=30)
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "AUTHENTICATION_FAILED"


def test_the_content_policy_refuses_a_prompt_unless_the_safety_filter_is_off(fomi, base_url, bearer):
    before = requests.get(f"{base_url}/v1/credits", headers=bearer, timeout=30).json()["balance"]
    refused = fomi.post("/images/generate", {"prompt": "a N4KED woman on a beach", "steps": 10})
    assert refused.status_code == 400, refused.text
    error = refused.json()["error"]
    assert error["code"] == "INVALID_PROMPT" and error["details"]["category"] == "sexual"
    assert requests.get(f"{base_url}/v1/credits", headers=bearer, timeout=30).json()["balance"] == before  # nothing charged
    # A negative prompt steering away from such images is not refused.
    steered = fomi.post("/images/generate", {"prompt": "a woman on a beach", "negativePrompt": "nude, nsfw", "steps": 10})
    assert steered.status_code == 202, steered.text
    unfiltered = fomi.post("/images/generate", {"prompt": "a nude statue in a museum", "steps": 10, "safetyFilter": False})
    assert unfiltered.status_code == 202, unfiltered.text
    # What no request can turn off: sexual content with minors, gore, hate symbols.
    for prompt, category in (("a nude teen", "sexual_minors"), ("a gory dismembered body", "graphic_violence"), ("a swastika flag", "hate")):
        never = fomi.post("/images/generate", {"prompt": prompt, "steps": 10, "safetyFilter": False})
        assert never.status_code == 400 and never.json()["error"]["details"]["category"] == category, never.text


def test_enhance_prompt_adds_the_styles_wording_and_shows_it(fomi):
    response = fomi.post(
        "/images/generate", {"prompt": "a harbour", "style": "cinematic", "quality": "hd", "enhancePrompt": True, "steps": 10}
    )
    assert response.status_code == 202, response.text
    generation = response.json()["generation"]
    assert generation["prompt"] == "a harbour"  # the request's, as seed 004 shows it
    assert generation["enhancedPrompt"].startswith("a harbour, cinematic lighting") and "high detail" in generation["enhancedPrompt"]


def test_base64_images_work_where_an_image_id_goes_beyond_the_json_limit(fomi):
    source = noise(320, 256)
    data = png(source)
    assert len(data) > 64 * 1024  # over the JSON body limit of other routes
    variation = fomi.finished(
        fomi.post("/images/variations", {"imageId": "data:image/png;base64," + base64.b64encode(data).decode(), "strength": 0.5, "steps": 10})
    )
    assert (variation["images"][0]["width"], variation["images"][0]["height"]) == (256, 320)
    response = fomi.post("/images/enhance/upscale", {"imageId": base64.b64encode(png(noise(48, 40))).decode(), "scale": 2})
    assert response.status_code in (200, 202), response.text
    assert response.json()["enhancement"]["originalImage"]["width"] == 40
    broken = fomi.post("/images/variations", {"imageId": "data:image/png;base64,@@@@", "steps": 10})
    assert broken.status_code == 400 and broken.json()["error"]["code"] == "INVALID_PARAMETER"


def test_edit_takes_a_generated_image_id_and_keeps_its_size(fomi):
    original = fomi.finished(fomi.post("/images/generate", {"prompt": "a field", "aspectRatio": "16:9", "steps": 10}))
    image = original["images"][0]
    body = {
        "originalImageId": image["id"], "prompt": "Add a red car to the scene", "negativePrompt": "blurry, distorted",
        "model": "stable-diffusion-xl", "strength": 0.8, "guidanceScale": 7.5, "steps": 10,
    }
    edited = fomi.finished(fomi.post("/images/edit", body))
    assert (edited["images"][0]["width"], edited["images"][0]["height"]) == (image["width"], image["height"])
    assert edited["settings"]["strength"] == pytest.approx(0.8)
    assert not np.array_equal(pixels(edited["images"][0]["url"]), pixels(image["url"]))
    no_prompt = fomi.post("/images/edit", {**body, "prompt": " "})
    assert no_prompt.status_code == 400 and no_prompt.json()["error"]["details"]["field"] == "prompt"


def test_masked_inpainting_repaints_only_around_the_mask(fomi):
    source = noise(384, 384, seed=3)
    mask = np.zeros((384, 384), np.uint8)
    mask[160:224, 160:224] = 255
    body = {
        "imageId": "data:image/png;base64," + base64.b64encode(png(source)).decode(),
        "mask": base64.b64encode(png(np.stack([mask] * 3, axis=-1))).decode(),
        "prompt": "A beautiful tree in the background", "steps": 10, "maskBlur": 4, "inpaintArea": "masked", "seed": 12345,
    }
    response = fomi.post("/images/inpaint", body)
    assert response.status_code in (200, 202), response.text
    assert response.json()["success"] is True and response.json()["inpainting"]["mask"]["url"]
    result = pixels(fomi.finished(response, key="inpainting")["images"][0]["url"])
    assert result.shape == source.shape
    changed = np.abs(result.astype(int) - source).sum(axis=2) > 0
    assert changed[170:214, 170:214].mean() > 0.9  # the mask is repainted
    outside = np.ones_like(changed)
    outside[150:234, 150:234] = False  # the mask with its feathering
    assert not changed[outside].any()
    wrong = fomi.post("/images/inpaint", {**body, "inpaintArea": "some"})
    assert wrong.status_code == 400 and wrong.json()["error"]["details"]["field"] == "inpaintArea"
