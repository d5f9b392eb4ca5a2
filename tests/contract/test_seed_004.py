"""Seed 004 (FOMI) as its document shows it: every endpoint called at Backdrop's base
URL for it, /fomi/v1 (the document's https://api.fomi.com/v1), with the document's own
example body, every documented field checked for its JSON type, nesting and value,
and the document's error envelope {success: false, error: {code, message, details}}
with its codes.

Where the example names a placeholder, a real one is used: a generated image's id
for "img_123", a real base64 PNG for "base64_encoded_mask_image" and the canvas
data, the local payment provider's test card (pm_card_visa) for "card_123", a unique
e-mail address. Where the document shows no response body (login, refresh, edit,
outpaint, quality, background, share, like, download, search, upgrade, cancel,
reactivate, purchase, the settings updates, ai-assist), the answer is checked for
`success: true` and for the structure of its section's documented response (edit
and variations: text-to-image's; quality and background: upscale's; outpaint:
inpainting's; ai-assist and the canvas calls: the saved canvas; login and refresh:
register's), and its effect is checked where another endpoint shows it.

Video generation (POST /videos/generate, GET /videos/generate/{id}, GET
/videos/generate/{id}/progress, POST /videos/variations) is in test_seed_004_videos.py.
Model training and custom models (POST /models/train, GET /models/train/{id} and /progress,
/models/custom and /models/custom/{id}, POST /models/custom/{id}/share, the WebSocket's
training_progress event) are in test_seed_004_training.py, and the whole flow in
tests/e2e/test_training.py. Not covered: the codes only a failing server gives
(MODEL_UNAVAILABLE, GENERATION_FAILED, TRAINING_FAILED).

Runs on the tiny random diffusion pipeline: pixels prove sizes, not pictures.

Where Backdrop answers otherwise than the example, on purpose (README "Seed fidelity"):
a generation's `model` names the pipeline that ran ("stable-diffusion"), not the
example's "stable-diffusion-xl", which every seed 004 model name runs on; an upscale's
`settings.model` is the model that ran ("realesrgan-x4plus" for "real-esrgan"); and
upscale's faceEnhancement/backgroundEnhancement, which no installed model does, are
refused with a 400 that says so rather than ignored.
"""

from __future__ import annotations

import base64
import datetime as dt
import http.client
import io
import json
import time
import urllib.parse
import uuid

import numpy as np
import pytest
import requests
from PIL import Image
from websockets.sync.client import connect

from tests.contract.shapes import DATETIME, EMAIL, URI, OneOf, Optional, assert_shape
from tests.samples import png

pytestmark = pytest.mark.mesh

BASE = "/fomi/v1"
PLAN = OneOf("free", "basic", "pro", "enterprise")
STATUS = OneOf("pending", "processing", "completed", "failed")
# The name Backdrop gives the installed diffusion pipeline, whatever seed 004 model name ran it.
PIPELINE = "stable-diffusion"

# --- the document's shapes -------------------------------------------------------

ERROR = {"success": bool, "error": {"code": str, "message": str, "details": dict}}
USER = {
    "id": str,
    "email": EMAIL,
    "displayName": str,
    "avatar": str,
    "subscription": {"plan": PLAN, "credits": int, "expiresAt": DATETIME},
    "createdAt": DATETIME,
}
AUTH = {"success": bool, "user": USER, "token": str}
IMAGE = {"id": str, "url": URI, "thumbnail": URI, "width": int, "height": int, "fileSize": int, "seed": int}
GENERATION = {
    "success": bool,
    "generation": {
        "id": str,
        "status": STATUS,
        "progress": int,
        "images": [IMAGE],
        "prompt": str,
        "model": str,
        "settings": {"aspectRatio": str, "quality": str, "guidanceScale": float, "steps": int},
        "createdAt": DATETIME,
        "estimatedCompletion": DATETIME,
        "completedAt": Optional(DATETIME),
    },
}
PROGRESS = {"success": bool, "progress": int, "status": STATUS, "message": str}
ENHANCEMENT = {
    "success": bool,
    "enhancement": {
        "id": str,
        "status": str,
        "originalImage": {"id": str, "url": URI, "width": int, "height": int},
        "enhancedImage": {"id": str, "url": URI, "width": int, "height": int, "fileSize": int},
        "settings": {"scale": int, "model": str, "quality": str},
        "createdAt": DATETIME,
        "completedAt": Optional(DATETIME),
    },
}
INPAINTING = {
    "success": bool,
    "inpainting": {
        "id": str,
        "status": STATUS,
        "originalImage": {"id": str, "url": URI},
        "mask": {"url": URI},
        "result": {"id": str, "url": str, "thumbnail": str},
        "prompt": str,
        "settings": {"model": str, "guidanceScale": float, "steps": int},
        "createdAt": DATETIME,
        "completedAt": Optional(DATETIME),
    },
}
LAYER = {"id": str, "name": str, "visible": bool, "opacity": float}
CANVAS = {
    "success": bool,
    "canvas": {
        "id": str,
        "name": str,
        "url": URI,
        "thumbnail": URI,
        "layers": [LAYER],
        "settings": {"width": int, "height": int, "backgroundColor": str},
        "createdAt": DATETIME,
        "updatedAt": DATETIME,
    },
}
PAGINATION = {"page": int, "limit": int, "total": int, "hasNext": bool}
ITEM_TYPE = OneOf("image", "video", "canvas")
PERSONAL = {
    "success": bool,
    "items": [{
        "id": str, "type": ITEM_TYPE, "url": URI, "thumbnail": URI, "prompt": str, "model": str, "createdAt": DATETIME,
        "tags": [str], "isPublic": bool, "downloads": int, "likes": int,
    }],
    "pagination": PAGINATION,
}
COMMUNITY = {
    "success": bool,
    "items": [{
        "id": str, "type": ITEM_TYPE, "url": URI, "thumbnail": URI, "prompt": str,
        "author": {"id": str, "name": str, "avatar": str},
        "model": str, "createdAt": DATETIME, "likes": int, "downloads": int, "tags": [str], "isLiked": bool, "isDownloaded": bool,
    }],
    "pagination": PAGINATION,
}
SUBSCRIPTION = {
    "success": bool,
    "subscription": {
        "plan": PLAN,
        "status": OneOf("active", "cancelled", "expired"),
        "credits": {"remaining": int, "total": int, "resetDate": DATETIME},
        "limits": {"dailyGenerations": int, "maxImagesPerGeneration": int, "maxVideoDuration": int, "customModels": int, "priorityQueue": bool},
        "features": {"advancedSettings": bool, "customModels": bool, "commercialUse": bool, "apiAccess": bool},
        "billing": {"cycle": OneOf("monthly", "yearly"), "nextBilling": DATETIME, "amount": float},
    },
}
CREDITS = {
    "success": bool,
    "credits": {
        "remaining": int,
        "total": int,
        "resetDate": DATETIME,
        "history": [{"id": str, "amount": int, "type": str, "description": str, "createdAt": DATETIME}],
    },
}
SETTINGS = {
    "success": bool,
    "settings": {
        "profile": {"displayName": str, "avatar": str, "bio": str, "website": str},
        "preferences": {
            "theme": OneOf("light", "dark", "auto"),
            "language": str,
            "timezone": str,
            "notifications": {"email": bool, "push": bool, "generationComplete": bool, "trainingComplete": bool},
        },
        "security": {"twoFactorEnabled": bool, "lastPasswordChange": DATETIME},
    },
}
ANALYTICS = {
    "success": bool,
    "analytics": {
        "generations": {"total": int, "images": int, "videos": int, "enhancements": int},
        "credits": {"used": int, "remaining": int, "efficiency": float},
        "models": dict,
        "trends": {"daily": list, "weekly": list, "monthly": list},
    },
}
WS_GENERATION = {
    "type": OneOf("generation_progress"), "generationId": str, "progress": int, "status": STATUS, "message": str,
    "timestamp": DATETIME,
}

# The document's examples, as written (placeholders replaced where a test fills them in).
GENERATE = {
    "prompt": "A beautiful sunset over mountains with vibrant colors",
    "negativePrompt": "blurry, low quality, distorted",
    "model": "stable-diffusion-xl",
    "numImages": 4,
    "aspectRatio": "1:1",
    "quality": "standard",
    "style": "photorealistic",
    "seed": 12345,
    "guidanceScale": 7.5,
    "steps": 30,
    "safetyFilter": True,
    "enhancePrompt": True,
}


# --- helpers -----------------------------------------------------------------------


def ok(response: requests.Response, statuses=(200,)) -> dict:
    """A success body: a documented status, JSON, success: true."""
    where = f"{response.request.method} {urllib.parse.urlsplit(response.url).path}"
    assert response.status_code in statuses, f"{where}: {response.status_code} {response.text[:600]}"
    assert response.headers.get("content-type", "").startswith("application/json"), (where, response.headers.get("content-type"))
    body = response.json()
    assert body.get("success") is True, (where, body)
    return body


def assert_error(response: requests.Response, status: int | None, code: str | None) -> dict:
    """The document's error envelope, exactly its keys, with `code` (None: a case the document
    names no code for, such as a 404)."""
    where = f"{response.request.method} {urllib.parse.urlsplit(response.url).path}"
    if status is None:
        assert 400 <= response.status_code < 500, f"{where}: {response.status_code} {response.text[:600]}"
    else:
        assert response.status_code == status, f"{where}: {response.status_code} {response.text[:600]}"
    body = response.json()
    assert_shape(body, ERROR)
    assert set(body) == {"success", "error"} and set(body["error"]) == {"code", "message", "details"}, (where, body)
    assert body["success"] is False and body["error"]["message"], (where, body)
    if code is not None:
        assert body["error"]["code"] == code, (where, body)
    return body["error"]


def when(stamp: str) -> dt.datetime:
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def picture(url: str) -> Image.Image:
    response = requests.get(url, timeout=60)
    assert response.status_code == 200, f"GET {url}: {response.status_code} {response.text[:300]}"
    return Image.open(io.BytesIO(response.content))


class Client:
    """One account, calling /fomi/v1 with its bearer token."""

    def __init__(self, origin: str, auth: dict, password: str):
        self.origin, self.auth, self.password = origin, auth, password
        self.headers = {"Authorization": f"Bearer {auth['token']}"}

    def call(self, method: str, path: str, body: dict | None = None, **params) -> requests.Response:
        return requests.request(
            method, f"{self.origin}{BASE}{path}", json=body, params=params or None, headers=self.headers, timeout=180
        )

    def get(self, path: str, **params) -> requests.Response:
        return self.call("GET", path, **params)

    def post(self, path: str, body: dict | None = None) -> requests.Response:
        return self.call("POST", path, {} if body is None else body)

    def finished(self, generation_id: str, kind: str = "images") -> dict:
        """GET /{kind}/generate/{id} (a second apart: the plan's requests a minute) until it ends."""
        deadline = time.monotonic() + 240
        while True:
            body = ok(self.get(f"/{kind}/generate/{generation_id}"))
            if body["generation"]["status"] in ("completed", "failed"):
                return body
            assert time.monotonic() < deadline, body
            time.sleep(1.0)


def register(origin: str, **extra) -> Client:
    """The document's register example, with a unique e-mail address."""
    body = {
        "email": f"fomi-{uuid.uuid4().hex[:12]}@example.com",
        "password": "securepassword123",
        "displayName": "John Doe",
        "avatar": "https://example.com/avatar.jpg",
        **extra,
    }
    response = requests.post(f"{origin}{BASE}/auth/register", json=body, timeout=30)
    auth = ok(response, (200, 201))
    return Client(origin, auth, body["password"])


def subscribed(origin: str, plan: str) -> Client:
    """A new account upgraded to `plan` by the document's POST /subscription/upgrade."""
    client = register(origin)
    ok(client.post("/subscription/upgrade", {"plan": plan, "cycle": "monthly", "paymentMethod": "pm_card_visa"}), (200, 201))
    return client


# --- fixtures --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def origin(mesh) -> str:
    return mesh.base_url


@pytest.fixture(scope="module")
def user(origin) -> Client:
    """The account most cases share; enterprise: 120 requests a minute, room to poll."""
    return subscribed(origin, "enterprise")


@pytest.fixture(scope="module")
def generated(user) -> dict:
    """POST /images/generate with the document's example body, and the generation once finished."""
    started = user.post("/images/generate", GENERATE)
    first = ok(started, (200, 201, 202))
    final = user.finished(first["generation"]["id"])
    assert final["generation"]["status"] == "completed", final
    return {"started": first, "final": final}


@pytest.fixture(scope="module")
def image_id(generated) -> str:
    """A real image id where the document's examples say "img_123"."""
    return generated["final"]["generation"]["images"][0]["id"]


@pytest.fixture(scope="module")
def small_png() -> bytes:
    return png(np.random.default_rng(4).integers(0, 256, (64, 96, 3), dtype=np.uint8))


# --- authentication ------------------------------------------------------------------------


def test_register_answers_the_documented_user_and_token(origin):
    client = register(origin)
    body = client.auth
    assert_shape(body, AUTH)
    user = body["user"]
    assert user["email"].startswith("fomi-") and user["displayName"] == "John Doe"
    assert user["avatar"] == "https://example.com/avatar.jpg"
    assert user["subscription"]["plan"] == "free" and user["subscription"]["credits"] > 0
    assert abs((when(user["createdAt"]) - dt.datetime.now(dt.UTC)).total_seconds()) < 300
    ok(client.get("/subscription"))  # the token works
    again = requests.post(f"{origin}{BASE}/auth/register", json={"email": user["email"], "password": "securepassword123", "displayName": "X"}, timeout=30)
    assert again.status_code >= 400 and again.json()["success"] is False


def test_login_refresh_and_logout(origin):
    client = register(origin)
    email = client.auth["user"]["email"]
    login = requests.post(f"{origin}{BASE}/auth/login", json={"email": email, "password": "securepassword123"}, timeout=30)
    body = ok(login)
    assert_shape(body, AUTH)
    assert body["user"]["id"] == client.auth["user"]["id"] and body["user"]["email"] == email
    refresh_token = body.get("refreshToken")
    assert isinstance(refresh_token, str) and refresh_token, f"login gives no refreshToken for POST /auth/refresh: {sorted(body)}"
    refreshed = ok(requests.post(f"{origin}{BASE}/auth/refresh", json={"refreshToken": refresh_token}, timeout=30))
    assert_shape(refreshed, AUTH)
    assert refreshed["user"]["id"] == body["user"]["id"]
    bearer = {"Authorization": f"Bearer {refreshed['token']}"}
    ok(requests.get(f"{origin}{BASE}/subscription", headers=bearer, timeout=30))
    ok(requests.post(f"{origin}{BASE}/auth/logout", headers=bearer, json={}, timeout=30))
    assert_error(requests.get(f"{origin}{BASE}/subscription", headers=bearer, timeout=30), 401, "AUTHENTICATION_FAILED")
    wrong = requests.post(f"{origin}{BASE}/auth/login", json={"email": email, "password": "not the password"}, timeout=30)
    assert_error(wrong, 401, "AUTHENTICATION_FAILED")


# --- image generation --------------------------------------------------------------------------


def test_generate_answers_the_documented_generation(generated):
    started = generated["started"]
    assert_shape(started, GENERATION)
    generation = started["generation"]
    assert "completedAt" in generation
    assert generation["prompt"] == GENERATE["prompt"] and generation["model"] == PIPELINE
    assert generation["settings"] == {**generation["settings"], "aspectRatio": "1:1", "quality": "standard", "guidanceScale": 7.5, "steps": 30}
    assert 0 <= generation["progress"] <= 100
    assert when(generation["estimatedCompletion"]) >= when(generation["createdAt"])


def test_get_generation_when_completed(generated):
    final = generated["final"]
    assert_shape(final, GENERATION)
    generation = final["generation"]
    assert generation["id"] == generated["started"]["generation"]["id"]
    assert generation["status"] == "completed" and generation["progress"] == 100
    assert when(generation["completedAt"]) >= when(generation["createdAt"])
    images = generation["images"]
    assert len(images) == GENERATE["numImages"]
    assert [image["seed"] for image in images] == [12345 + n for n in range(4)]
    for image in images:
        assert image["width"] == image["height"] > 0  # 1:1
        shown = picture(image["url"])
        assert shown.format == "PNG" and shown.size == (image["width"], image["height"])
        assert image["fileSize"] == len(requests.get(image["url"], timeout=60).content)
        assert max(picture(image["thumbnail"]).size) <= image["width"]
    assert len({image["id"] for image in images}) == 4


def test_generation_progress(user, generated):
    generation_id = generated["final"]["generation"]["id"]
    body = ok(user.get(f"/images/generate/{generation_id}/progress"))
    assert_shape(body, PROGRESS)
    assert body["progress"] == 100 and body["status"] == "completed" and body["message"]


def test_another_users_generation_is_not_found(origin, generated):
    other = register(origin)
    generation_id = generated["final"]["generation"]["id"]
    assert_error(other.get(f"/images/generate/{generation_id}"), 404, None)


def test_variations_with_a_real_image_id(user, image_id):
    body = {
        "imageId": image_id, "prompt": "Same scene but at night", "strength": 0.7, "numVariations": 4,
        "model": "stable-diffusion-xl", "guidanceScale": 7.5, "steps": 30,
    }
    started = ok(user.post("/images/variations", body), (200, 201, 202))
    assert_shape(started, GENERATION)
    final = user.finished(started["generation"]["id"])
    assert_shape(final, GENERATION)
    generation = final["generation"]
    assert generation["status"] == "completed" and len(generation["images"]) == 4
    assert generation["model"] == PIPELINE and generation["settings"]["steps"] == 30


def test_edit(user, image_id, generated):
    body = {
        "originalImageId": image_id, "prompt": "Add a red car to the scene", "negativePrompt": "blurry, distorted",
        "model": "stable-diffusion-xl", "strength": 0.8, "guidanceScale": 7.5, "steps": 30,
    }
    started = ok(user.post("/images/edit", body), (200, 201, 202))
    assert_shape(started, GENERATION)
    final = user.finished(started["generation"]["id"])["generation"]
    assert final["status"] == "completed" and len(final["images"]) == 1
    source = generated["final"]["generation"]["images"][0]
    assert picture(final["images"][0]["url"]).size == (source["width"], source["height"])  # edited in place


# --- image enhancement ---------------------------------------------------------------------------


def enhanced(user: Client, response: requests.Response) -> dict:
    """The enhancement as it ended (GET /images/enhance/{id} while it runs: Backdrop's addition)."""
    body = ok(response, (200, 201, 202))
    deadline = time.monotonic() + 240
    while body["enhancement"]["status"] not in ("completed", "failed"):
        assert time.monotonic() < deadline, body
        time.sleep(1.0)
        body = ok(user.get(f"/images/enhance/{body['enhancement']['id']}"))
    return body


@pytest.fixture(scope="module")
def uploaded(user, small_png) -> str:
    """A small real image (Backdrop's upload) for the enhancements: 96x64."""
    made = requests.post(f"{user.origin}/v1/images", files={"file": ("in.png", small_png)}, headers=user.headers, timeout=60)
    assert made.status_code == 201, made.text
    return made.json()["id"]


def test_upscale(user, uploaded):
    body = {"imageId": uploaded, "scale": 4, "model": "real-esrgan", "quality": "high", "faceEnhancement": True, "backgroundEnhancement": True}
    refused = assert_error(user.post("/images/enhance/upscale", body), 400, "UNSUPPORTED_OPTION")
    assert "faceEnhancement" in refused["message"]
    body = {**body, "faceEnhancement": False, "backgroundEnhancement": False}
    answer = enhanced(user, user.post("/images/enhance/upscale", body))
    assert_shape(answer, ENHANCEMENT)
    enhancement = answer["enhancement"]
    assert enhancement["status"] == "completed"
    assert enhancement["originalImage"] == {**enhancement["originalImage"], "id": uploaded, "width": 96, "height": 64}
    assert (enhancement["enhancedImage"]["width"], enhancement["enhancedImage"]["height"]) == (384, 256)
    assert enhancement["settings"] == {**enhancement["settings"], "scale": 4, "model": "realesrgan-x4plus", "quality": "high"}
    assert picture(enhancement["enhancedImage"]["url"]).size == (384, 256)
    assert when(enhancement["completedAt"]) >= when(enhancement["createdAt"])


def test_upscale_takes_base64_image_data_too(user, small_png):
    body = {"imageId": b64(small_png), "scale": 2, "model": "real-esrgan", "quality": "high"}
    enhancement = enhanced(user, user.post("/images/enhance/upscale", body))["enhancement"]
    assert enhancement["status"] == "completed" and picture(enhancement["enhancedImage"]["url"]).size == (192, 128)


def test_quality_enhancement(user, uploaded):
    body = {"imageId": uploaded, "enhancementType": "denoise", "strength": 0.7, "model": "enhancement-model"}
    answer = enhanced(user, user.post("/images/enhance/quality", body))
    shape = {**ENHANCEMENT, "enhancement": {k: v for k, v in ENHANCEMENT["enhancement"].items() if k != "settings"}}
    assert_shape(answer, shape)
    assert answer["enhancement"]["status"] == "completed"
    assert picture(answer["enhancement"]["enhancedImage"]["url"]).size == (96, 64)


def test_background_removal(user, uploaded):
    body = {"imageId": uploaded, "action": "remove", "replacementBackground": "https://example.com/bg.jpg", "blurStrength": 0.5}
    answer = enhanced(user, user.post("/images/enhance/background", body))
    shape = {**ENHANCEMENT, "enhancement": {k: v for k, v in ENHANCEMENT["enhancement"].items() if k != "settings"}}
    assert_shape(answer, shape)
    result = picture(answer["enhancement"]["enhancedImage"]["url"])
    assert answer["enhancement"]["status"] == "completed" and result.size == (96, 64) and result.mode == "RGBA"


# --- inpainting ------------------------------------------------------------------------------------


def test_inpaint(user, image_id):
    mask = np.zeros((512, 512), np.uint8)
    mask[128:256, 128:256] = 255
    body = {
        "imageId": image_id, "mask": b64(png(mask)), "prompt": "A beautiful tree in the background",
        "negativePrompt": "blurry, distorted", "model": "stable-diffusion-inpaint", "guidanceScale": 7.5, "steps": 30,
        "maskBlur": 4, "inpaintArea": "masked", "seed": 12345,
    }
    answer = ok(user.post("/images/inpaint", body), (200, 201, 202))
    assert_shape(answer, INPAINTING)
    inpainting = answer["inpainting"]
    assert inpainting["originalImage"]["id"] == image_id and inpainting["prompt"] == body["prompt"]
    assert inpainting["settings"] == {**inpainting["settings"], "model": PIPELINE, "guidanceScale": 7.5, "steps": 30}
    assert picture(inpainting["mask"]["url"]).size == (512, 512)
    final = user.finished(inpainting["id"])["generation"]
    assert final["status"] == "completed" and picture(final["images"][0]["url"]).size == (512, 512)


def test_outpaint(user, image_id):
    body = {"imageId": image_id, "direction": "right", "pixels": 256, "prompt": "Continue the landscape to the right", "model": "stable-diffusion-outpaint"}
    answer = ok(user.post("/images/outpaint", body), (200, 201, 202))
    # The document shows no answer of its own: its section's (inpainting) or text-to-image's.
    key = "inpainting" if "inpainting" in answer else "generation"
    assert_shape(answer, INPAINTING if key == "inpainting" else GENERATION)
    final = user.finished(answer[key]["id"])["generation"]
    assert final["status"] == "completed" and picture(final["images"][0]["url"]).size == (768, 512)


# --- canvas ----------------------------------------------------------------------------------------------


def solid(size: int, colour: tuple[int, int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", (size, size), colour).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def canvas(user) -> dict:
    body = {
        "name": "My Drawing",
        "canvasData": b64(solid(1024, (255, 255, 255, 255))),
        "layers": [{"id": "layer_1", "name": "Background", "data": b64(solid(1024, (20, 120, 220, 255))), "visible": True, "opacity": 1.0}],
        "settings": {"width": 1024, "height": 1024, "backgroundColor": "#ffffff"},
        "tags": ["art", "drawing"],
        "isPublic": False,
    }
    return ok(user.post("/canvas/save", body), (200, 201))


def test_save_canvas(canvas):
    assert_shape(canvas, CANVAS)
    saved = canvas["canvas"]
    assert saved["name"] == "My Drawing"
    assert [layer["id"] for layer in saved["layers"]] == ["layer_1"]
    assert saved["layers"][0] == {**saved["layers"][0], "name": "Background", "visible": True, "opacity": 1.0}
    assert saved["settings"] == {**saved["settings"], "width": 1024, "height": 1024, "backgroundColor": "#ffffff"}
    composite = picture(saved["url"]).convert("RGB")
    assert composite.size == (1024, 1024) and composite.getpixel((10, 10)) == (20, 120, 220)
    assert max(picture(saved["thumbnail"]).size) < 1024
    assert saved["createdAt"] == saved["updatedAt"] or when(saved["updatedAt"]) >= when(saved["createdAt"])


def test_get_update_and_delete_canvas(origin, user, canvas):
    canvas_id = canvas["canvas"]["id"]
    got = ok(user.get(f"/canvas/{canvas_id}"))
    assert_shape(got, CANVAS)
    assert got["canvas"]["id"] == canvas_id and got["canvas"]["name"] == "My Drawing"
    other = register(origin)
    assert_error(other.get(f"/canvas/{canvas_id}"), 404, None)
    changed = ok(user.call("PUT", f"/canvas/{canvas_id}", {"name": "My Drawing, again", "tags": ["art"]}))
    assert_shape(changed, CANVAS)
    assert changed["canvas"]["name"] == "My Drawing, again" and when(changed["canvas"]["updatedAt"]) >= when(got["canvas"]["updatedAt"])
    assert ok(user.get(f"/canvas/{canvas_id}"))["canvas"]["name"] == "My Drawing, again"
    made = ok(user.post("/canvas/save", {"name": "Scratch", "canvasData": b64(solid(64, (0, 0, 0, 255))), "settings": {"width": 64, "height": 64, "backgroundColor": "#000000"}}), (200, 201))
    scratch = made["canvas"]["id"]
    ok(user.call("DELETE", f"/canvas/{scratch}"))
    assert_error(user.get(f"/canvas/{scratch}"), 404, None)


def test_ai_assist(user, canvas):
    body = {
        "canvasId": canvas["canvas"]["id"], "prompt": "Add a mountain in the background",
        "area": {"x": 100, "y": 100, "width": 200, "height": 200}, "style": "sketch", "model": "canvas-ai-model",
    }
    answer = ok(user.post("/canvas/ai-assist", body), (200, 201, 202))
    assert_shape(answer, CANVAS)
    composite = np.asarray(picture(answer["canvas"]["url"]).convert("RGB")).astype(int)
    assert composite.shape == (1024, 1024, 3)
    assert (composite[10, 10] == (20, 120, 220)).all() and (composite[900, 900] == (20, 120, 220)).all()  # outside the area


# --- gallery & community -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shared(user, generated) -> dict:
    """One generated image from the personal gallery, shared with the document's example."""
    personal = ok(user.get("/gallery/personal", page=1, limit=20, type="all"))
    prompts = [item for item in personal["items"] if item["prompt"].startswith("A beautiful sunset")]
    assert prompts, personal
    item = prompts[0]
    body = {
        "itemId": item["id"], "isPublic": True, "title": "My Beautiful Artwork", "description": "A stunning landscape I created",
        "tags": ["landscape", "art", "ai-generated"],
    }
    return {"personal": personal, "item": item, "share": user.post("/gallery/share", body)}


def test_personal_gallery(user, shared, generated):
    personal = shared["personal"]
    assert_shape(personal, PERSONAL)
    assert personal["pagination"] == {**personal["pagination"], "page": 1, "limit": 20}
    images = [item for item in personal["items"] if item["type"] == "image"]
    assert len(images) >= 4 and personal["pagination"]["total"] >= len(personal["items"])
    assert all(item["isPublic"] is False for item in images if item["id"] != shared["item"]["id"])
    assert shared["item"]["model"] == PIPELINE
    canvases = ok(user.get("/gallery/personal", page=1, limit=20, type="canvas"))
    assert_shape(canvases, PERSONAL)
    assert all(item["type"] == "canvas" for item in canvases["items"])


def test_share_then_community_like_and_download(origin, user, shared):
    ok(shared["share"])
    item_id = shared["item"]["id"]
    mine = ok(user.get("/gallery/personal", page=1, limit=20, type="all"))["items"]
    assert [item["isPublic"] for item in mine if item["id"] == item_id] == [True]
    other = register(origin)
    community = ok(other.get("/gallery/community", page=1, limit=20, category="all", sort="latest"))
    assert_shape(community, COMMUNITY)
    found = [item for item in community["items"] if item["id"] == item_id]
    assert found, community
    item = found[0]
    assert item["author"] == {**item["author"], "id": user.auth["user"]["id"], "name": "John Doe", "avatar": "https://example.com/avatar.jpg"}
    assert set(item["tags"]) == {"landscape", "art", "ai-generated"} and item["isLiked"] is False and item["isDownloaded"] is False
    ok(other.post(f"/gallery/{item_id}/like"))
    download = ok(other.post(f"/gallery/{item_id}/download"))
    urls = [value for value in download.values() if isinstance(value, str) and value.startswith("http")]
    nested = [v for value in download.values() if isinstance(value, dict) for v in value.values() if isinstance(v, str) and v.startswith("http")]
    assert urls or nested, f"the download answer carries no URL to download: {download}"
    assert picture((urls or nested)[0]).format == "PNG"
    after = [i for i in ok(other.get("/gallery/community", page=1, limit=20, category="all", sort="latest"))["items"] if i["id"] == item_id][0]
    assert after["likes"] == item["likes"] + 1 and after["isLiked"] is True
    assert after["downloads"] == item["downloads"] + 1 and after["isDownloaded"] is True
    popular = ok(other.get("/gallery/community", page=1, limit=20, category="all", sort="popular"))
    assert_shape(popular, COMMUNITY)


def test_search(origin, user, shared):
    ok(shared["share"])
    other = register(origin)
    found = ok(other.get("/gallery/search", q="sunset", category="landscape"))
    assert_shape(found, COMMUNITY)
    assert shared["item"]["id"] in [item["id"] for item in found["items"]]
    nothing = ok(other.get("/gallery/search", q=f"nothing{uuid.uuid4().hex[:8]}", category="landscape"))
    assert nothing["items"] == []


def test_an_unshared_item_is_not_public(origin, user, shared):
    unshared = [item for item in shared["personal"]["items"] if item["id"] != shared["item"]["id"]][0]
    other = register(origin)
    community = ok(other.get("/gallery/community", page=1, limit=100, category="all", sort="latest"))
    assert unshared["id"] not in [item["id"] for item in community["items"]]
    assert_error(other.post(f"/gallery/{unshared['id']}/download"), 404, None)


# --- subscription & credits --------------------------------------------------------------------------------------


def test_subscription_upgrade_cancel_reactivate(origin):
    client = register(origin)
    free = ok(client.get("/subscription"))
    # The document shows a paid plan's billing; the free plan bills nothing, so no nextBilling date.
    billing = {**SUBSCRIPTION["subscription"]["billing"], "nextBilling": Optional(str)}
    assert_shape(free, {**SUBSCRIPTION, "subscription": {**SUBSCRIPTION["subscription"], "billing": billing}})
    assert free["subscription"]["plan"] == "free"
    upgraded = ok(client.post("/subscription/upgrade", {"plan": "pro", "cycle": "monthly", "paymentMethod": "pm_card_visa"}), (200, 201))
    assert upgraded["success"] is True
    pro = ok(client.get("/subscription"))
    assert_shape(pro, SUBSCRIPTION)
    subscription = pro["subscription"]
    assert subscription["plan"] == "pro" and subscription["status"] == "active"
    assert subscription["limits"] == {**subscription["limits"], "maxImagesPerGeneration": 4, "maxVideoDuration": 30, "customModels": 5, "priorityQueue": True}
    assert subscription["features"] == {"advancedSettings": True, "customModels": True, "commercialUse": True, "apiAccess": True} | {
        k: v for k, v in subscription["features"].items() if k not in ("advancedSettings", "customModels", "commercialUse", "apiAccess")
    }
    assert subscription["billing"]["cycle"] == "monthly" and subscription["billing"]["amount"] > 0
    assert when(subscription["billing"]["nextBilling"]) > dt.datetime.now(dt.UTC)
    assert subscription["credits"]["remaining"] <= subscription["credits"]["total"]
    ok(client.post("/subscription/cancel"))
    assert ok(client.get("/subscription"))["subscription"]["status"] == "cancelled"
    ok(client.post("/subscription/reactivate"))
    assert ok(client.get("/subscription"))["subscription"]["status"] == "active"


def test_credits_and_purchase(origin, user, generated):
    body = ok(user.get("/credits"))
    assert_shape(body, CREDITS)
    credits = body["credits"]
    assert credits["remaining"] <= credits["total"] and credits["history"]
    spent = [entry for entry in credits["history"] if entry["amount"] < 0]
    assert spent and spent[0]["type"] == "image_generation", credits["history"][:3]
    ok(user.post("/credits/purchase", {"package": "pro_1000", "amount": 1000, "paymentMethod": "pm_card_visa"}), (200, 201))
    after = ok(user.get("/credits"))["credits"]
    assert after["remaining"] == credits["remaining"] + 1000
    assert after["history"][0]["amount"] == 1000


# --- settings, analytics ------------------------------------------------------------------------------------------


def test_settings(origin):
    client = register(origin)
    body = ok(client.get("/settings"))
    assert_shape(body, SETTINGS)
    assert body["settings"]["profile"]["displayName"] == "John Doe" and body["settings"]["security"]["twoFactorEnabled"] is False
    profile = {"displayName": "Jane Doe", "avatar": "https://example.com/avatar.jpg", "bio": "AI artist", "website": "https://example.com"}
    assert_shape(ok(client.call("PUT", "/settings/profile", profile)), {"success": bool})
    preferences = {
        "theme": "dark", "language": "en", "timezone": "UTC",
        "notifications": {"email": True, "push": False, "generationComplete": True, "trainingComplete": True},
    }
    ok(client.call("PUT", "/settings/preferences", preferences))
    ok(client.call("PUT", "/settings/security", {"twoFactorEnabled": False}))
    now = ok(client.get("/settings"))
    assert_shape(now, SETTINGS)
    assert now["settings"]["profile"] == profile and now["settings"]["preferences"] == preferences
    assert now["settings"]["security"]["twoFactorEnabled"] is False


def test_usage_analytics(user, generated):
    body = ok(user.get("/analytics/usage", period="30d"))
    assert_shape(body, ANALYTICS)
    analytics = body["analytics"]
    assert analytics["generations"]["images"] >= 1 and analytics["generations"]["total"] >= analytics["generations"]["images"]
    assert analytics["credits"]["used"] > 0 and 0 <= analytics["credits"]["efficiency"] <= 1
    assert all(isinstance(count, int) for count in analytics["models"].values())
    assert analytics["models"].get(PIPELINE, 0) >= 1, analytics["models"]
    for period in ("7d", "90d"):
        assert_shape(ok(user.get("/analytics/usage", period=period)), ANALYTICS)


# --- WebSocket ----------------------------------------------------------------------------------------------------


def test_websocket_generation_progress(origin, user):
    url = origin.replace("http://", "ws://") + BASE + "/ws"
    with connect(url, additional_headers=user.headers, open_timeout=20) as ws:
        ws.send(json.dumps({"type": "subscribe", "events": ["generation_progress", "training_progress", "system_notifications"]}))
        json.loads(ws.recv(timeout=20))  # the subscription's answer (the document shows none)
        started = ok(user.post("/images/generate", {**GENERATE, "numImages": 1, "steps": 10}), (200, 201, 202))
        events = [json.loads(ws.recv(timeout=120))]
        while events[-1]["status"] not in ("completed", "failed"):
            events.append(json.loads(ws.recv(timeout=120)))
    for event in events:
        assert_shape(event, WS_GENERATION)
        assert event["generationId"] == started["generation"]["id"]
    assert events[-1]["status"] == "completed" and events[-1]["progress"] == 100


# --- errors and limits ---------------------------------------------------------------------------------------------


def test_a_bad_token_is_authentication_failed(origin):
    for path in ("/subscription", "/credits", "/settings", "/gallery/personal"):
        response = requests.get(f"{origin}{BASE}{path}", headers={"Authorization": "Bearer not-a-token"}, timeout=30)
        assert_error(response, 401, "AUTHENTICATION_FAILED")
    assert_error(requests.get(f"{origin}{BASE}/credits", timeout=30), 401, "AUTHENTICATION_FAILED")


def test_insufficient_credits_names_required_and_available(origin, admin_bearer):
    client = register(origin)
    balance = ok(client.get("/credits"))["credits"]["remaining"]
    grant = {"user_id": client.auth["user"]["id"], "amount": 3 - balance, "reason": "contract test"}
    adjusted = requests.post(f"{origin}/v1/admin/credits", json=grant, headers=admin_bearer, timeout=30)
    assert adjusted.status_code in (200, 201), adjusted.text
    assert ok(client.get("/credits"))["credits"]["remaining"] == 3
    refused = client.post("/images/generate", {**GENERATE, "numImages": 1})
    error = assert_error(refused, 402, "INSUFFICIENT_CREDITS")
    assert set(error["details"]) >= {"required", "available"}, error
    assert error["details"]["available"] == 3 and isinstance(error["details"]["required"], int) and error["details"]["required"] > 3


def test_more_images_than_the_plan_allows_is_permission_denied(origin):
    client = register(origin)  # free: maxImagesPerGeneration below the example's 4
    limit = ok(client.get("/subscription"))["subscription"]["limits"]["maxImagesPerGeneration"]
    assert limit < 4
    assert_error(client.post("/images/generate", GENERATE), 403, "PERMISSION_DENIED")


def test_a_prompt_against_the_content_policy_is_invalid_prompt(user):
    response = user.post("/images/generate", {**GENERATE, "prompt": "explicit nsfw porn photo", "numImages": 1})
    assert_error(response, 400, "INVALID_PROMPT")


def test_an_upload_over_the_limit_is_file_too_large(origin, user):
    port = int(origin.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.putrequest("POST", f"{BASE}/images/variations")
    for name, value in {**user.headers, "Content-Type": "application/json", "Content-Length": str(200 * 1024 * 1024)}.items():
        connection.putheader(name, value)
    connection.endheaders()
    response = connection.getresponse()
    body = json.loads(response.read())
    connection.close()
    assert response.status == 413, body
    assert set(body) == {"success", "error"} and body["success"] is False and body["error"]["code"] == "FILE_TOO_LARGE", body


def wait_for_a_fresh_minute() -> None:
    """Per-minute windows are the clock's minutes: start a burst early in one."""
    left = 60 - dt.datetime.now(dt.UTC).second
    if left < 15:
        time.sleep(left + 0.5)


def test_rate_limits_per_plan_minute_and_headers(origin):
    pro = subscribed(origin, "pro")
    answer = pro.get("/credits")
    ok(answer)
    assert answer.headers.get("x-ratelimit-limit") == "60", dict(answer.headers)  # Pro Plan: 60 requests a minute
    assert 0 <= int(answer.headers["x-ratelimit-remaining"]) < 60
    assert int(answer.headers["x-ratelimit-reset"]) > time.time() - 1  # a Unix time, as the document's 1640995200
    free = register(origin)
    wait_for_a_fresh_minute()
    statuses = []
    with requests.Session() as session:
        for _ in range(11):
            statuses.append(session.get(f"{origin}{BASE}/credits", headers=free.headers, timeout=30))
    assert [r.status_code for r in statuses[:10]] == [200] * 10, [r.status_code for r in statuses]
    assert statuses[9].headers.get("x-ratelimit-limit") == "10"
    assert_error(statuses[10], 429, "RATE_LIMITED")
