"""Seed 000 (BackgroundFX Pro OpenAPI, served under /v1): every path of the
document called with the values its schema gives (enums, defaults, bounds),
each answer checked against the document's own schemas, and every documented
error status triggered once and checked for the `Error` envelope.

The document has no `example:` blocks, so a request's values are its enums and
defaults; where one of them cannot work, the test is a strict xfail naming the
gap (a bug to fix, not a skip)."""

from __future__ import annotations

import io
import json
import time
import uuid

import pytest
import requests
from PIL import Image

from tests.contract.accounts import on_plan
from tests.contract.shapes import DATETIME, EMAIL, URI, UUID, OneOf, assert_envelope, assert_shape

pytestmark = pytest.mark.mesh

# components/schemas, as the document writes them.
USER = {"id": UUID, "email": EMAIL, "name": str, "plan": OneOf("free", "pro", "enterprise"), "created_at": DATETIME}
AUTH_RESPONSE = {"token": str, "refresh_token": str, "user": USER}
METADATA = {"width": int, "height": int, "format": str, "processing_time": float}
PROCESSING_RESULT = {"id": UUID, "image": URI, "mask": URI, "metadata": METADATA}
# A result no mask was asked for: the document leaves `mask` out of it.
RESULT_WITHOUT_MASK = {key: value for key, value in PROCESSING_RESULT.items() if key != "mask"}
BATCH_JOB = {
    "id": UUID,
    "status": OneOf("pending", "processing", "completed", "failed"),
    "progress": float,
    "total_files": int,
    "processed_files": int,
    "results": [PROCESSING_RESULT],
    "created_at": DATETIME,
}
BACKGROUND = {"id": str, "url": URI, "thumbnail": URI, "category": str, "tags": [str]}
PROJECT = {
    "id": UUID,
    "name": str,
    "type": OneOf("image", "video", "batch"),
    "status": OneOf("draft", "processing", "completed"),
    "files_count": int,
    "created_at": DATETIME,
}
WEBHOOK = {"id": UUID, "url": URI, "events": [str], "active": bool, "created_at": DATETIME}
ERROR = {"error": str, "message": str, "details": dict}

REMOVE = "/v1/process/remove-background"


def assert_error(response: requests.Response, status: int, code: str) -> dict:
    """The documented status and exactly the `Error` schema's keys (Backdrop adds request_id)."""
    assert response.status_code == status, response.text
    body = response.json()
    assert_envelope(body, ERROR)
    assert body["error"] == code, body
    return body


@pytest.fixture(scope="module")
def pro(mesh) -> dict:
    """One account for the module's processing calls: pro includes every documented option."""
    return on_plan(mesh.base_url, "pro")


@pytest.fixture(scope="module")
def removed(mesh, pro, photo) -> dict:
    """A remove-background result, the `image_id` replace-background takes."""
    response = requests.post(f"{mesh.base_url}{REMOVE}", files={"file": ("photo.jpg", photo)}, headers=pro["headers"], timeout=120)
    assert response.status_code == 200, response.text
    return response.json()


def remove(base_url: str, headers: dict, upload: bytes, filename: str = "photo.jpg", **fields) -> requests.Response:
    """The documented multipart call: `file` plus options as form fields."""
    return requests.post(f"{base_url}{REMOVE}", files={"file": (filename, upload)}, data=fields, headers=headers, timeout=120)


# --- Authentication -------------------------------------------------------------


def test_register_is_201_with_an_auth_response(base_url):
    body = {"email": f"jane-{uuid.uuid4().hex[:10]}@example.com", "password": "a long password", "name": "Jane Doe"}
    response = requests.post(f"{base_url}/v1/auth/register", json=body, timeout=30)
    assert response.status_code == 201, response.text
    auth = response.json()
    assert_shape(auth, AUTH_RESPONSE)
    assert (auth["user"]["email"], auth["user"]["name"], auth["user"]["plan"]) == (body["email"], "Jane Doe", "free")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": "not-an-email"}, "email"),  # format: email
        ({"password": "7 chars"}, "password"),  # minLength: 8
        ({"name": "J"}, "name"),  # minLength: 2
        ({"name": None}, "name"),  # required
    ],
)
def test_register_bad_request_is_400_error(base_url, change, field):
    body = {"email": f"jane-{uuid.uuid4().hex[:10]}@example.com", "password": "a long password", "name": "Jane Doe", **change}
    body = {key: value for key, value in body.items() if value is not None}
    error = assert_error(requests.post(f"{base_url}/v1/auth/register", json=body, timeout=30), 400, "INVALID_INPUT")
    assert error["details"]["field"] == field


def test_login_is_200_with_an_auth_response(base_url, account):
    body = {"email": account["user"]["email"], "password": account["password"]}
    response = requests.post(f"{base_url}/v1/auth/login", json=body, timeout=30)
    assert response.status_code == 200, response.text
    assert_shape(response.json(), AUTH_RESPONSE)
    assert response.json()["user"]["id"] == account["user"]["id"]


@pytest.mark.parametrize("who", ["wrong password", "unknown email"])
def test_login_failure_is_401_error(base_url, account, who):
    email = account["user"]["email"] if who == "wrong password" else f"nobody-{uuid.uuid4().hex[:8]}@example.com"
    password = "not the password" if who == "wrong password" else account["password"]
    response = requests.post(f"{base_url}/v1/auth/login", json={"email": email, "password": password}, timeout=30)
    assert_error(response, 401, "INVALID_CREDENTIALS")


SECURED = [
    ("POST", REMOVE),
    ("POST", "/v1/process/batch"),
    ("GET", "/v1/process/jobs/3fa85f64-5717-4562-b3fc-2c963f66afa6"),
    ("POST", "/v1/process/replace-background"),
    ("GET", "/v1/backgrounds"),
    ("POST", "/v1/backgrounds/generate"),
    ("GET", "/v1/projects"),
    ("POST", "/v1/projects"),
    ("POST", "/v1/webhooks"),
]


@pytest.mark.parametrize(("method", "path"), SECURED)
def test_bearer_auth_is_required_everywhere_else(base_url, method, path):
    """`security: BearerAuth` at the top: without a token, or with a bad one, 401 `Error`."""
    assert_error(requests.request(method, f"{base_url}{path}", timeout=30), 401, "UNAUTHORIZED")
    bad = {"Authorization": "Bearer not.a.jwt"}
    assert_error(requests.request(method, f"{base_url}{path}", headers=bad, timeout=30), 401, "INVALID_TOKEN")


# --- Processing: remove-background ---------------------------------------------------

GAP_MODELS = "seed 000's model enum lists {}, Backdrop answers 400 INVALID_MODEL (no such model is served)"


@pytest.mark.parametrize(
    "model",
    [
        "rembg",
        "u2net",
        pytest.param("deeplab", marks=pytest.mark.xfail(strict=True, reason=GAP_MODELS.format("deeplab"))),
        pytest.param("custom", marks=pytest.mark.xfail(strict=True, reason=GAP_MODELS.format("custom"))),
    ],
)
def test_remove_background_each_model(base_url, pro, photo, model):
    response = remove(base_url, pro["headers"], photo, model=model, quality="high", return_mask="true", edge_refinement="50")
    assert response.status_code == 200, response.text
    result = response.json()
    assert_shape(result, PROCESSING_RESULT)
    assert (result["metadata"]["width"], result["metadata"]["height"], result["metadata"]["format"]) == (512, 512, "png")


@pytest.mark.parametrize(
    "quality",
    [
        "low",
        "medium",
        "high",
        "ultra",
    ],
)
def test_remove_background_each_quality_with_the_default_model(base_url, pro, photo, quality):
    response = remove(base_url, pro["headers"], photo, model="rembg", quality=quality, return_mask="true")
    assert response.status_code == 200, response.text
    assert_shape(response.json(), PROCESSING_RESULT)


@pytest.mark.parametrize("edge_refinement", ["0", "100"])  # minimum and maximum
def test_remove_background_edge_refinement_bounds(base_url, pro, photo, edge_refinement):
    response = remove(base_url, pro["headers"], photo, edge_refinement=edge_refinement, return_mask="true")
    assert response.status_code == 200, response.text
    assert_shape(response.json(), PROCESSING_RESULT)


def test_remove_background_with_only_the_required_file(base_url, removed):
    """All defaults (rembg, high, return_mask false, 50): a result whose image link serves the PNG."""
    result = removed
    assert_shape(result, RESULT_WITHOUT_MASK)
    assert result.get("mask") in (None, ""), "no mask was asked for"
    image = requests.get(result["image"], timeout=30)
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    cutout = Image.open(io.BytesIO(image.content))
    assert cutout.mode == "RGBA" and cutout.size == (result["metadata"]["width"], result["metadata"]["height"])


@pytest.mark.parametrize(
    ("upload", "fields", "code"),
    [
        (None, {"model": "rembg"}, "NO_FILE"),  # file is required
        (b"%PDF-1.7 not an image", {}, "INVALID_FILE_TYPE"),  # PNG, JPG, WebP only
        ("photo", {"model": "not-a-model"}, "INVALID_MODEL"),
        ("photo", {"quality": "extreme"}, "INVALID_PARAMETER"),
        ("photo", {"return_mask": "maybe"}, "INVALID_PARAMETER"),
        ("photo", {"edge_refinement": "101"}, "INVALID_PARAMETER"),  # maximum: 100
        ("photo", {"edge_refinement": "-1"}, "INVALID_PARAMETER"),  # minimum: 0
    ],
)
def test_remove_background_bad_request_is_400_error(base_url, bearer, photo, upload, fields, code):
    if upload is None:
        response = requests.post(f"{base_url}{REMOVE}", files={"model": (None, "rembg")}, headers=bearer, timeout=30)
    else:
        response = remove(base_url, bearer, photo if upload == "photo" else upload, **fields)
    assert_error(response, 400, code)


def test_remove_background_over_50_mb_is_413_error(base_url, bearer, photo):
    """"Images: 50MB max" -> PayloadTooLarge."""
    padded = photo + b"\0" * (50 * 1024 * 1024 + 1 - len(photo))
    assert_error(remove(base_url, bearer, padded), 413, "FILE_TOO_LARGE")


# --- Processing: batch and jobs ---------------------------------------------------------


def test_batch_is_202_batch_job_and_its_status_is_a_batch_job(base_url, pro, photo):
    files = [("files", ("a.jpg", photo, "image/jpeg")), ("files", ("b.jpg", photo, "image/jpeg"))]
    options = json.dumps({"model": "rembg", "quality": "high", "return_mask": True, "edge_refinement": 50})
    response = requests.post(f"{base_url}/v1/process/batch", files=files, data={"options": options}, headers=pro["headers"], timeout=60)
    assert response.status_code == 202, response.text
    job = response.json()
    assert_shape(job, BATCH_JOB)
    assert job["total_files"] == 2 and 0 <= job["progress"] <= 100

    deadline = time.monotonic() + 120
    while True:
        status = requests.get(f"{base_url}/v1/process/jobs/{job['id']}", headers=pro["headers"], timeout=30)
        assert status.status_code == 200, status.text
        assert_shape(status.json(), BATCH_JOB)
        if status.json()["status"] in ("completed", "failed"):
            break
        assert time.monotonic() < deadline, status.json()
        time.sleep(0.5)
    done = status.json()
    assert (done["id"], done["status"], done["progress"], done["processed_files"]) == (job["id"], "completed", 100, 2)
    assert len(done["results"]) == 2


def test_unknown_job_is_404_error(base_url, bearer):
    response = requests.get(f"{base_url}/v1/process/jobs/{uuid.uuid4()}", headers=bearer, timeout=30)
    assert_error(response, 404, "JOB_NOT_FOUND")


def test_batch_over_100_files_is_refused_with_an_error(base_url, bearer):
    """"Batch: 100 files max" (files maxItems 100); the path documents no error status, so any 4xx `Error`."""
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="PNG")
    files = [("files", (f"f{n}.png", buffer.getvalue(), "image/png")) for n in range(101)]
    response = requests.post(f"{base_url}/v1/process/batch", files=files, headers=bearer, timeout=60)
    assert 400 <= response.status_code < 500, response.text
    assert_envelope(response.json(), ERROR)


# --- Processing: replace-background -------------------------------------------------------


@pytest.fixture(scope="module")
def library_background(mesh, pro) -> dict:
    listing = requests.get(f"{mesh.base_url}/v1/backgrounds", params={"category": "solid", "limit": 1}, headers=pro["headers"], timeout=30)
    assert listing.status_code == 200, listing.text
    return listing.json()["items"][0]


@pytest.mark.parametrize("blend_mode", ["normal", "multiply", "screen", "overlay"])
def test_replace_background_each_blend_mode(base_url, pro, removed, library_background, blend_mode):
    body = {"image_id": removed["id"], "background_id": library_background["id"], "blend_mode": blend_mode}
    response = requests.post(f"{base_url}/v1/process/replace-background", json=body, headers=pro["headers"], timeout=120)
    assert response.status_code == 200, response.text
    result = response.json()
    assert_shape(result, RESULT_WITHOUT_MASK)
    assert (result["metadata"]["width"], result["metadata"]["height"]) == (512, 512)


# --- Backgrounds -----------------------------------------------------------------------------

BACKGROUND_LIST = {"items": [BACKGROUND], "total": int, "page": int, "pages": int}


@pytest.mark.parametrize("category", ["solid", "gradient", "pattern", "nature", "abstract", "custom"])
def test_list_backgrounds_each_category(base_url, pro, category):
    query = {"category": category, "page": 1, "limit": 20}
    response = requests.get(f"{base_url}/v1/backgrounds", params=query, headers=pro["headers"], timeout=60)
    assert response.status_code == 200, response.text
    listing = response.json()
    assert_shape(listing, BACKGROUND_LIST)
    assert listing["page"] == 1 and len(listing["items"]) <= 20
    assert all(item["category"] == category for item in listing["items"])


def test_list_backgrounds_defaults(base_url, pro):
    response = requests.get(f"{base_url}/v1/backgrounds", headers=pro["headers"], timeout=60)
    assert response.status_code == 200, response.text
    listing = response.json()
    assert_shape(listing, BACKGROUND_LIST)
    assert listing["page"] == 1 and 0 < len(listing["items"]) <= 20 and listing["total"] >= len(listing["items"])


@pytest.mark.parametrize(
    ("style", "width", "height"),
    # The defaults, then the other styles small: the test pipeline is a CPU one.
    [("realistic", 1920, 1080), ("artistic", 320, 180), ("abstract", 320, 180), ("gradient", 320, 180)],
)
def test_generate_background_is_201_background(base_url, pro, style, width, height):
    body = {"prompt": "a sunlit beach at golden hour", "style": style, "width": width, "height": height}
    response = requests.post(f"{base_url}/v1/backgrounds/generate", json=body, headers=pro["headers"], timeout=300)
    assert response.status_code == 201, response.text
    background = response.json()
    assert_shape(background, BACKGROUND)
    picture = requests.get(background["url"], timeout=60)
    assert picture.status_code == 200 and Image.open(io.BytesIO(picture.content)).size == (width, height)


# --- Projects and webhooks ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["image", "video", "batch"])
def test_create_project_is_201_project(base_url, pro, kind):
    body = {"name": f"Spring catalogue {kind}", "type": kind, "description": "Product shots"}
    response = requests.post(f"{base_url}/v1/projects", json=body, headers=pro["headers"], timeout=30)
    assert response.status_code == 201, response.text
    project = response.json()
    assert_shape(project, PROJECT)
    assert (project["name"], project["type"]) == (body["name"], kind)


def test_list_projects_pages_and_searches(base_url, pro):
    name = f"Autumn {uuid.uuid4().hex[:8]}"
    created = requests.post(f"{base_url}/v1/projects", json={"name": name, "type": "image"}, headers=pro["headers"], timeout=30)
    assert created.status_code == 201, created.text
    response = requests.get(f"{base_url}/v1/projects", params={"page": 1, "limit": 20, "search": name}, headers=pro["headers"], timeout=30)
    assert response.status_code == 200, response.text
    listing = response.json()
    assert_shape(listing, {"items": [PROJECT], "total": int})
    assert [item["id"] for item in listing["items"]] == [created.json()["id"]] and listing["total"] == 1


def test_register_webhook_is_201_webhook(base_url, pro):
    events = ["job.completed", "job.failed", "project.created"]
    body = {"url": "http://127.0.0.1:9/hooks/backgroundfx", "events": events, "secret": "a webhook signing secret"}
    response = requests.post(f"{base_url}/v1/webhooks", json=body, headers=pro["headers"], timeout=30)
    assert response.status_code == 201, response.text
    webhook = response.json()
    assert_shape(webhook, WEBHOOK)
    assert (webhook["url"], webhook["events"], webhook["active"]) == (body["url"], events, True)


# --- Rate limits ------------------------------------------------------------------------------------


def test_free_tier_is_100_requests_an_hour_then_rate_limit_exceeded(base_url, bearer):
    """"Free tier: 100 requests/hour" and the RateLimitExceeded `Error` response."""
    for count in range(101):
        response = requests.get(f"{base_url}/v1/projects", headers=bearer, timeout=30)
        if response.status_code != 200:
            break
    assert count == 100, f"refused after {count} requests: {response.text}"
    assert_error(response, 429, "RATE_LIMIT_EXCEEDED")
