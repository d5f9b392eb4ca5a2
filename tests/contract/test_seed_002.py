"""Seed 002 (rembg microservice API reference, served at the root): every
endpoint called as the document's examples call it (its header, its field
names, its file names), each answer checked against the documented body,
status and headers, and every documented error status triggered once and
checked for the documented `{"error": "..."}` body.

Where Backdrop differs from the document the test is a strict xfail naming the
gap (a bug to fix, not a skip)."""

from __future__ import annotations

import io
import re
import time

import pytest
import requests
from PIL import Image

from tests.contract.accounts import api_key
from tests.conftest import STATIC_API_KEY
from tests.contract.shapes import OneOf, assert_shape

pytestmark = pytest.mark.mesh

HEALTH = {"status": OneOf("healthy")}
BATCH_QUEUED = {"message": str, "batch_id": str, "queued_files": [str]}
QUEUE_STATUS = {"batch_id": str, "files": [{"filename": str, "status": OneOf("queued", "processing", "completed")}], "completed": bool}
UNAUTHORIZED = {"error": "Unauthorized"}


def encoded(image: Image.Image, kind: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=kind)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def uploads(photo) -> dict[str, bytes]:
    """The astronaut in each documented input format (image/jpeg, image/png, image/webp)."""
    image = Image.open(io.BytesIO(photo)).convert("RGB")
    return {"jpg": photo, "png": encoded(image, "PNG"), "webp": encoded(image, "WEBP")}


def assert_error_body(response: requests.Response, status: int, body: dict) -> None:
    """Seed 002's error format: exactly `{"error": "..."}`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == body


def remove_bg(base_url: str, headers: dict, upload: bytes, filename: str = "image.jpg") -> requests.Response:
    return requests.post(f"{base_url}/remove-bg", files={"image": (filename, upload)}, headers=headers, timeout=120)


def test_health_check(base_url):
    response = requests.get(f"{base_url}/health", timeout=30)
    assert response.status_code == 200, response.text
    assert_shape(response.json(), HEALTH)


# --- POST /remove-bg ------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["jpg", "png", "webp"])
def test_remove_bg_returns_a_transparent_png(base_url, key_headers, uploads, kind):
    """`curl -F "image=@path/to/image.jpg" -H "X-API-Key: your-api-key-here" .../remove-bg -o processed_image.png`."""
    response = remove_bg(base_url, key_headers, uploads[kind], f"image.{kind}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "PNG" and image.mode == "RGBA" and image.size == (512, 512)
    alpha = image.getchannel("A")
    assert alpha.getextrema() == (0, 255), "alpha transparency: background cleared, subject kept"


def test_remove_bg_missing_image_is_400(base_url, key_headers):
    response = requests.post(f"{base_url}/remove-bg", files={"file": ("image.jpg", b"")}, headers=key_headers, timeout=30)
    assert_error_body(response, 400, {"error": "No image provided"})


def test_remove_bg_invalid_file_type_is_400(base_url, key_headers):
    response = remove_bg(base_url, key_headers, b"just some notes", "notes.txt")
    assert_error_body(response, 400, {"error": "File type not allowed. Supported types: png, jpg, jpeg, webp"})


def test_remove_bg_file_too_large_is_400(base_url, key_headers, photo):
    """MAX_FILE_SIZE: 10 (MB)."""
    response = remove_bg(base_url, key_headers, photo + b"\0" * (10 * 1024 * 1024 + 1 - len(photo)))
    assert_error_body(response, 400, {"error": "File too large. Maximum size: 10MB"})


@pytest.mark.parametrize("key", [None, "not-the-configured-key"])
def test_remove_bg_missing_or_invalid_api_key_is_401(base_url, photo, key):
    headers = {"X-API-Key": key} if key else {}
    assert_error_body(remove_bg(base_url, headers, photo), 401, UNAUTHORIZED)


# --- POST /remove-bg/batch and GET /queue-status/{batch_id} --------------------------------


@pytest.fixture(scope="module")
def batch(mesh, uploads) -> requests.Response:
    """The document's batch: three images named as its example names them."""
    files = [
        ("images", ("image1.jpg", uploads["jpg"], "image/jpeg")),
        ("images", ("image2.png", uploads["png"], "image/png")),
        ("images", ("image3.jpeg", uploads["jpg"], "image/jpeg")),
    ]
    return requests.post(f"{mesh.base_url}/remove-bg/batch", files=files, headers={"X-API-Key": STATIC_API_KEY}, timeout=60)


def test_batch_is_202_with_the_queued_files(batch):
    assert batch.status_code == 202, batch.text
    body = batch.json()
    assert_shape(body, BATCH_QUEUED)
    assert body["message"] == "Added 3 files to processing queue"
    assert body["queued_files"] == ["image1.jpg", "image2.png", "image3.jpeg"]


def test_queue_status_follows_the_batch_to_completed(base_url, key_headers, batch):
    batch_id = batch.json()["batch_id"]
    deadline = time.monotonic() + 120
    while True:
        response = requests.get(f"{base_url}/queue-status/{batch_id}", headers=key_headers, timeout=30)
        assert response.status_code == 200, response.text
        state = response.json()
        assert_shape(state, QUEUE_STATUS)
        assert state["batch_id"] == batch_id
        assert [f["filename"] for f in state["files"]] == ["image1.jpg", "image2.png", "image3.jpeg"]
        if state["completed"]:
            break
        assert time.monotonic() < deadline, state
        time.sleep(0.5)
    assert [f["status"] for f in state["files"]] == ["completed"] * 3


@pytest.mark.parametrize(
    "files",
    [
        [("other", (None, "no images here"))],  # missing images
        [("images", ("notes.txt", b"just some notes", "text/plain"))],  # invalid file type
    ],
    ids=["missing images", "invalid file type"],
)
def test_batch_bad_request_is_400(base_url, key_headers, files):
    response = requests.post(f"{base_url}/remove-bg/batch", files=files, headers=key_headers, timeout=30)
    assert response.status_code == 400, response.text
    assert_shape(response.json(), {"error": str})
    assert set(response.json()) == {"error"}


def test_queue_status_unknown_batch_is_404(base_url, key_headers):
    response = requests.get(f"{base_url}/queue-status/1621234567", headers=key_headers, timeout=30)
    assert response.status_code == 404, response.text
    assert_shape(response.json(), {"error": str})
    assert set(response.json()) == {"error"}


@pytest.mark.parametrize(
    ("method", "path"), [("POST", "/remove-bg/batch"), ("GET", "/queue-status/1621234567")]
)
def test_batch_and_queue_status_without_api_key_are_401(base_url, method, path):
    assert_error_body(requests.request(method, f"{base_url}{path}", timeout=30), 401, UNAUTHORIZED)


# --- Rate limiting --------------------------------------------------------------------------


@pytest.fixture
def limited_key(base_url, bearer) -> dict:
    """A free account's API key: its plan has limits, so rate limiting is enabled for it."""
    return {"X-API-Key": api_key(base_url, bearer)}


def assert_rate_limit_headers(response: requests.Response) -> None:
    """X-RateLimit-Limit and -Remaining are counts, -Reset a Unix timestamp."""
    headers = response.headers
    assert re.fullmatch(r"\d+", headers.get("x-ratelimit-limit", "")), headers
    assert re.fullmatch(r"\d+", headers.get("x-ratelimit-remaining", "")), headers
    assert int(headers["x-ratelimit-remaining"]) <= int(headers["x-ratelimit-limit"])
    assert re.fullmatch(r"\d+", headers.get("x-ratelimit-reset", "")), headers
    assert time.time() - 5 <= int(headers["x-ratelimit-reset"]) <= time.time() + 86400, "a Unix time, not seconds left"


def test_rate_limit_headers_on_a_processed_image(base_url, limited_key, photo):
    response = remove_bg(base_url, limited_key, photo)
    assert response.status_code == 200, response.text
    assert_rate_limit_headers(response)


def test_rate_limit_headers_on_an_error(base_url, limited_key):
    response = requests.post(f"{base_url}/remove-bg", files={"file": ("image.jpg", b"")}, headers=limited_key, timeout=30)
    assert response.status_code == 400, response.text
    assert_rate_limit_headers(response)


def test_rate_limit_exceeded_is_429(base_url, limited_key):
    for _ in range(200):
        response = requests.post(f"{base_url}/remove-bg", files={"file": ("image.jpg", b"")}, headers=limited_key, timeout=30)
        if response.status_code != 400:
            break
    assert response.status_code == 429, response.text
    assert set(response.json()) == {"error"}
    assert re.fullmatch(r"Rate limit exceeded\. Try again in \d+ seconds", response.json()["error"]), response.json()
    assert_rate_limit_headers(response)
