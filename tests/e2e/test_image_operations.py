"""Issue 7 through Envoy: remove-background options, replace and blur, the
backgrounds library, FOMI enhancement and upscaling on the inference server."""

from __future__ import annotations

import http.server
import io
import threading

import numpy as np
import pytest
import requests
from PIL import Image

from deploy.local.mesh import free_port
from tests.samples import jpeg, png

pytestmark = pytest.mark.mesh
REMOVE = "/v1/process/remove-background"


def fetch_image(url: str) -> tuple[Image.Image, requests.Response]:
    response = requests.get(url, timeout=60)
    assert response.status_code == 200, response.text
    return Image.open(io.BytesIO(response.content)), response


@pytest.fixture
def remove(base_url, bearer, photo):
    """Seed 000's remove-background with extra fields; returns (result JSON, image)."""

    def call(upload: bytes = photo, expect: int = 200, **fields):
        response = requests.post(
            f"{base_url}{REMOVE}", files={"file": ("photo.jpg", upload)}, data={k: str(v) for k, v in fields.items()},
            headers=bearer, timeout=180,
        )
        assert response.status_code == expect, response.text
        if expect != 200:
            return response.json(), None
        return response.json(), fetch_image(response.json()["image"])

    return call


@pytest.fixture
def upload(base_url, bearer):
    def call(data: bytes) -> str:
        response = requests.post(f"{base_url}/v1/images", files={"file": ("in.png", data)}, headers=bearer, timeout=60)
        assert response.status_code == 201, response.text
        return response.json()["id"]

    return call


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(255**2 / np.mean((a.astype(float) - b.astype(float)) ** 2)))


def test_bg_color_fills_exactly_where_alpha_is_zero_and_alpha_channel_matches(remove):
    _, (cutout, _) = remove(edge_refinement=50)
    alpha = np.asarray(cutout)[..., 3]
    _, (mask, _) = remove(edge_refinement=50, channels="alpha")
    assert mask.mode == "L" and np.array_equal(np.asarray(mask), alpha)
    _, (filled, _) = remove(edge_refinement=50, bg_color="#1e90ff")
    pixels = np.asarray(filled)
    assert (alpha == 0).sum() > 10_000
    assert (pixels[alpha == 0] == [30, 144, 255, 255]).all()
    assert (pixels[..., 3] == 255).all()


def test_crop_is_the_alpha_bounding_box_plus_margin(remove):
    _, (cutout, _) = remove()
    visible = np.asarray(cutout)[..., 3] > 5  # alpha above 2 %: a fainter halo shows on no background
    rows, cols = np.flatnonzero(visible.any(axis=1)), np.flatnonzero(visible.any(axis=0))
    _, (cropped, _) = remove(crop="true", crop_margin=10)
    expected_w = min(visible.shape[1], cols[-1] + 11) - max(0, cols[0] - 10)
    expected_h = min(visible.shape[0], rows[-1] + 11) - max(0, rows[0] - 10)
    assert cropped.size == (expected_w, expected_h)


def test_formats_sizes_and_roi(remove):
    result, (low, low_response) = remove(output_format="jpg", quality=50)
    _, (_, high_response) = remove(output_format="jpg", quality=95)
    assert low.format == "JPEG" and result["metadata"]["format"] == "jpeg"
    assert len(low_response.content) < len(high_response.content)
    _, (webp, webp_response) = remove(output_format="webp", size="preview")
    assert webp_response.headers["content-type"] == "image/webp" and webp.mode == "RGBA"
    assert webp.width * webp.height <= 250_000
    _, (roi, _) = remove(roi="0,0,256,512")
    assert (np.asarray(roi)[:, 256:, 3] == 0).all()  # nothing is kept outside the region


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"bg_color": "blue"}, "bg_color"), ({"channels": "cmyk"}, "channels"), ({"roi": "5,5,1,1"}, "roi"),
     ({"output_format": "gif"}, "output_format"), ({"size": "huge"}, "size"), ({"crop_margin": "-3"}, "crop_margin")],
)
def test_bad_options_name_the_field(remove, fields, field):
    body, _ = remove(expect=400, **fields)
    assert body["error"] == "INVALID_PARAMETER" and field in body["message"]


def test_image_url_goes_through_the_ssrf_guard(base_url, bearer, photo):
    port = free_port()

    class Photo(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(len(photo)))
            self.end_headers()
            self.wfile.write(photo)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Photo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        def post(url):
            return requests.post(f"{base_url}{REMOVE}", files={"image_url": (None, url)}, headers=bearer, timeout=120)

        ok = post(f"http://127.0.0.1:{port}/photo.jpg")  # the test mesh allows 127.0.0.1 (OUTBOUND_ALLOWED_HOSTS)
        assert ok.status_code == 200, ok.text
        assert fetch_image(ok.json()["image"])[0].size == (512, 512)
        for url in (f"http://localhost:{port}/photo.jpg", "http://169.254.169.254/latest/meta-data", "http://[::1]/x", "file:///etc/passwd"):
            refused = post(url)
            assert refused.status_code == 400, (url, refused.text)
            assert refused.json()["error"] in ("URL_NOT_ALLOWED", "INVALID_URL")
    finally:
        server.shutdown()


def test_replace_background_with_a_library_background(base_url, bearer, remove):
    removed, (cutout, _) = remove()
    listing = requests.get(f"{base_url}/v1/backgrounds", params={"category": "solid"}, headers=bearer, timeout=60).json()
    navy = next(item for item in listing["items"] if item["id"] == "bg_solid_navy")
    response = requests.post(
        f"{base_url}/v1/process/replace-background", json={"image_id": removed["id"], "background_id": navy["id"]}, headers=bearer, timeout=120
    )
    assert response.status_code == 200, response.text
    replaced = np.asarray(fetch_image(response.json()["image"])[0])
    alpha = np.asarray(cutout)[..., 3]
    assert (replaced[alpha == 0][:, :3] == [0x1F, 0x2A, 0x44]).all()
    # The subject keeps its pixels where it is opaque.
    assert (replaced[alpha == 255][:, :3] == np.asarray(cutout)[alpha == 255][:, :3]).all()
    bad = requests.post(
        f"{base_url}/v1/process/replace-background", json={"image_id": removed["id"], "background_id": "bg_nope"}, headers=bearer, timeout=60
    )
    assert bad.status_code == 404 and bad.json()["error"] == "BACKGROUND_NOT_FOUND"
    blend = requests.post(
        f"{base_url}/v1/process/replace-background", json={"image_id": removed["id"], "bg_color": "#fff", "blend_mode": "dodge"},
        headers=bearer, timeout=60,
    )
    assert blend.status_code == 400 and "blend_mode" in blend.json()["message"]


def test_backgrounds_library_and_custom_uploads(base_url, bearer, account, astronaut):
    everything = requests.get(f"{base_url}/v1/backgrounds", params={"limit": 100}, headers=bearer, timeout=120).json()
    categories = {item["category"] for item in everything["items"]}
    assert {"solid", "gradient", "pattern", "abstract"} <= categories
    page = requests.get(f"{base_url}/v1/backgrounds", params={"category": "gradient", "limit": 2, "page": 2}, headers=bearer, timeout=60).json()
    assert page["page"] == 2 and page["pages"] == 3 and len(page["items"]) == 2
    gradient, _ = fetch_image(page["items"][0]["url"])
    assert gradient.size == (1920, 1080)
    thumbnail, response = fetch_image(page["items"][0]["thumbnail"])
    assert response.headers["content-type"] == "image/jpeg" and thumbnail.size == (320, 180)

    created = requests.post(f"{base_url}/v1/backgrounds", files={"file": ("bg.jpg", jpeg(astronaut))}, headers=bearer, timeout=60)
    assert created.status_code == 201, created.text
    custom = requests.get(f"{base_url}/v1/backgrounds", params={"category": "custom"}, headers=bearer, timeout=60).json()
    assert [item["id"] for item in custom["items"]] == [created.json()["id"]]
    from tests.conftest import register

    other = {"Authorization": f"Bearer {register(base_url)['token']}"}
    assert requests.get(f"{base_url}/v1/backgrounds", params={"category": "custom"}, headers=other, timeout=60).json()["items"] == []
    bad = requests.get(f"{base_url}/v1/backgrounds", params={"category": "sky"}, headers=bearer, timeout=60)
    assert bad.status_code == 400 and "category" in bad.json()["message"]


def test_fomi_blur_and_quality_enhancement(base_url, bearer, upload, astronaut):
    image_id = upload(png(astronaut))
    blurred = requests.post(
        f"{base_url}/v1/images/enhance/background", json={"imageId": image_id, "action": "blur", "blurStrength": 0.8}, headers=bearer, timeout=180
    )
    assert blurred.status_code == 200, blurred.text
    body = blurred.json()
    assert body["success"] is True and body["enhancement"]["status"] == "completed"
    assert body["enhancement"]["settings"]["action"] == "blur"
    result, _ = fetch_image(body["enhancement"]["enhancedImage"]["url"])
    pixels = np.asarray(result.convert("RGBA"))
    assert result.size == (512, 512) and (pixels[..., 3] == 255).all()
    corner = pixels[:64, :64, :3].astype(float)  # studio background: smoothed, so its local variation drops
    original = astronaut[:64, :64].astype(float)
    assert np.abs(np.diff(corner, axis=1)).mean() < np.abs(np.diff(original, axis=1)).mean()

    enhanced = requests.post(
        f"{base_url}/v1/images/enhance/quality", json={"imageId": image_id, "enhancementType": "all", "strength": 0.7}, headers=bearer, timeout=120
    )
    assert enhanced.status_code == 200, enhanced.text
    job_id = enhanced.json()["enhancement"]["id"]
    again = requests.get(f"{base_url}/v1/images/enhance/{job_id}", headers=bearer, timeout=60).json()
    assert again["enhancement"]["status"] == "completed" and again["enhancement"]["settings"]["enhancementType"] == "all"
    bad = requests.post(f"{base_url}/v1/images/enhance/quality", json={"imageId": image_id, "enhancementType": "magic"}, headers=bearer, timeout=60)
    assert bad.status_code == 400 and "enhancementType" in bad.json()["message"]
    missing = requests.post(f"{base_url}/v1/images/enhance/quality", json={"imageId": "img_" + "0" * 32}, headers=bearer, timeout=60)
    assert missing.status_code == 404 and missing.json()["error"] == "IMAGE_NOT_FOUND"


def test_a_2x_upscale_doubles_the_size_and_beats_bicubic(base_url, bearer, upload, astronaut):
    original = astronaut[64:256, 128:384]  # 256x192 of a real photo
    small = np.asarray(Image.fromarray(original).resize((128, 96), Image.Resampling.BICUBIC))
    response = requests.post(
        f"{base_url}/v1/images/enhance/upscale", json={"imageId": upload(png(small)), "scale": 2}, headers=bearer, timeout=180
    )
    assert response.status_code == 200, response.text
    enhancement = response.json()["enhancement"]
    assert enhancement["settings"]["model"] == "waifu2x-upconv7-x2"
    assert (enhancement["enhancedImage"]["width"], enhancement["enhancedImage"]["height"]) == (256, 192)
    assert (enhancement["originalImage"]["width"], enhancement["originalImage"]["height"]) == (128, 96)
    upscaled, _ = fetch_image(enhancement["enhancedImage"]["url"])
    bicubic = np.asarray(Image.fromarray(small).resize((256, 192), Image.Resampling.BICUBIC))
    assert psnr(np.asarray(upscaled.convert("RGB")), original) > psnr(bicubic, original) + 0.5


def test_4x_upscale_on_a_small_model_keeps_exif_orientation(base_url, bearer, upload, astronaut):
    stored = np.ascontiguousarray(np.rot90(astronaut[:48, :80], k=1))  # 48x80 stored as 80x48, EXIF says rotate back
    exif = Image.Exif()
    exif[0x0112] = 8
    buffer = io.BytesIO()
    Image.fromarray(stored).save(buffer, format="JPEG", exif=exif.tobytes(), quality=95)
    response = requests.post(
        f"{base_url}/v1/images/enhance/upscale", json={"imageId": upload(buffer.getvalue()), "scale": 4, "quality": "standard"},
        headers=bearer, timeout=180,
    )
    assert response.status_code == 200, response.text
    upscaled, _ = fetch_image(response.json()["enhancement"]["enhancedImage"]["url"])
    assert upscaled.size == (320, 192)  # upright: 80 wide, 48 high, times 4


def test_an_upscale_above_the_size_limit_is_refused_before_any_charge(base_url, bearer, upload):
    image_id = upload(jpeg(np.zeros((1500, 1500, 3), np.uint8)))
    before = requests.get(f"{base_url}/v1/credits", headers=bearer, timeout=30).json()
    response = requests.post(f"{base_url}/v1/images/enhance/upscale", json={"imageId": image_id, "scale": 4}, headers=bearer, timeout=60)
    assert response.status_code == 400 and response.json()["error"] == "IMAGE_TOO_LARGE"
    assert "6000x6000" in response.json()["message"]
    assert requests.get(f"{base_url}/v1/credits", headers=bearer, timeout=30).json() == before
    bad_scale = requests.post(f"{base_url}/v1/images/enhance/upscale", json={"imageId": image_id, "scale": 3}, headers=bearer, timeout=60)
    assert bad_scale.status_code == 400 and "scale" in bad_scale.json()["message"]
