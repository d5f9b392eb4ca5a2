"""remove.bg's API v1.0 at /v1.0 (../shared/reviews/anchors.md, section b): every parameter of
POST /removebg sent as remove.bg's clients send it (multipart, JSON, form), the answer checked
by its bytes, pixels, headers and status; its errors in its envelope and codes, charging
nothing; GET /account and POST /improve; and two published clients run unchanged but for the
base URL (the Python `removebg` package, the npm `remove.bg` package)."""

from __future__ import annotations

import base64
import http.client
import http.server
import io
import json
import pathlib
import shutil
import subprocess
import threading
import zipfile

import numpy as np
import pytest
import requests
from PIL import Image

from tests.conftest import register
from tests.contract.accounts import api_key, on_plan
from tests.samples import jpeg, logo, png_claiming

pytestmark = pytest.mark.mesh

NODE_CLIENT = "remove.bg@1.3.0"  # EddyVerbruggen/remove.bg: its endpoint is a constant of dist/index.js
REMOVE_BG = "https://api.remove.bg/v1.0"


@pytest.fixture(scope="module")
def small(astronaut) -> bytes:
    """The astronaut at 256x256: a person in a real photo, quick to cut out."""
    return jpeg(np.asarray(Image.fromarray(astronaut).resize((256, 256), Image.Resampling.LANCZOS)))


@pytest.fixture(scope="module")
def api(mesh) -> dict:
    """A pro account and its API key, sent as remove.bg's clients send it (X-Api-Key)."""
    account = on_plan(mesh.base_url, "pro")
    return {**account, "key": {"X-Api-Key": api_key(mesh.base_url, account["headers"])}}


@pytest.fixture(scope="module")
def files_server(small):
    """An HTTP server on loopback (OUTBOUND_ALLOWED_HOSTS) for image_url and bg_image_url."""
    blue = io.BytesIO()
    Image.new("RGB", (64, 64), (0, 0, 255)).save(blue, format="PNG")
    served = {"/photo.jpg": small, "/blue.png": blue.getvalue()}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = served.get(self.path)
            self.send_response(200 if body else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def remove(base_url: str, headers: dict, data: dict | None = None, files: dict | None = None, **kwargs) -> requests.Response:
    return requests.post(f"{base_url}/v1.0/removebg", data=data, files=files, headers=headers, timeout=120, **kwargs)


def image_of(response: requests.Response) -> Image.Image:
    assert response.status_code == 200, response.text
    return Image.open(io.BytesIO(response.content))


def balance(base_url: str, account: dict) -> int:
    return requests.get(f"{base_url}/v1/credits", headers=account["headers"], timeout=30).json()["balance"]


def assert_error(response: requests.Response, status: int, code: str) -> dict:
    """remove.bg's envelope: {"errors": [{"title", "code"(, "detail")}]}, its code."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert list(body) == ["errors"] and len(body["errors"]) == 1
    error = body["errors"][0]
    assert set(error) <= {"title", "code", "detail"} and error["title"]
    assert error["code"] == code, error
    return error


def box_of(alpha: Image.Image) -> tuple[int, int, int, int]:
    """(top, left, width, height) of the visible pixels (alpha above 2 %: a fainter halo shows on
    no background), as X-Foreground-* give them."""
    left, top, right, bottom = alpha.point(lambda a: 255 if a > 5 else 0).getbbox()
    return top, left, right - left, bottom - top


def foreground(response: requests.Response) -> tuple[int, int, int, int]:
    return tuple(int(response.headers[f"x-foreground-{side}"]) for side in ("top", "left", "width", "height"))


# --- POST /removebg: sources and bodies -------------------------------------------------------


def test_multipart_image_file_preview_png_and_its_headers(base_url, api, small):
    before = balance(base_url, api)
    response = remove(base_url, api["key"], data={"size": "preview"}, files={"image_file": ("photo.jpg", small)})
    image = image_of(response)
    assert response.headers["content-type"] == "image/png"
    assert image.format == "PNG" and image.mode == "RGBA" and image.size == (256, 256)
    alpha = image.getchannel("A")
    assert alpha.getextrema() == (0, 255)
    assert response.headers["x-credits-charged"] == "0.25"
    assert (response.headers["x-width"], response.headers["x-height"]) == ("256", "256")
    assert response.headers["x-type"] == "person"  # NudeNet finds her face (README, X-Type)
    assert foreground(response) == box_of(alpha)
    assert int(response.headers["x-ratelimit-limit"]) > 0 and "x-ratelimit-remaining" in response.headers
    assert int(response.headers["x-ratelimit-reset"]) > 1_600_000_000  # a Unix time, as remove.bg sends it
    assert balance(base_url, api) == before - 1  # a preview is 1 Backdrop credit: 0.25 of remove.bg's


def test_x_type_of_a_flat_logo_is_graphics_at_level_2_other_at_1_and_an_undetectable_type_as_given(base_url, api):

    drawn = io.BytesIO()
    Image.fromarray(logo()[0]).save(drawn, "PNG")
    send = {"image_file": ("logo.png", drawn.getvalue())}
    labels = [
        remove(base_url, api["key"], data={"size": "preview", **fields}, files=send).headers.get("x-type")
        for fields in ({"type_level": "2"}, {"type_level": "1"}, {"type": "car"}, {"type_level": "none"})
    ]
    assert labels == ["graphics", "other", "car", None]


def test_full_size_costs_one_credit(base_url, api, photo):
    before = balance(base_url, api)
    response = remove(base_url, api["key"], data={"size": "full"}, files={"image_file": ("photo.jpg", photo)})
    assert image_of(response).size == (512, 512)
    assert response.headers["x-credits-charged"] == "1"
    assert balance(base_url, api) == before - 4


def test_preview_is_at_most_a_quarter_megapixel(base_url, api, photo):
    # The 512x512 astronaut is 0.26 MP; remove.bg's preview (and the legacy "regular") is at most 0.25.
    for size in ("preview", "regular"):
        image = image_of(remove(base_url, api["key"], data={"size": size}, files={"image_file": ("photo.jpg", photo)}))
        assert image.width * image.height <= 250_000 and image.width == image.height >= 490


def test_json_body_image_file_b64_and_json_answer(base_url, api, small):
    body = {"image_file_b64": base64.b64encode(small).decode(), "size": "preview", "crop": False}
    response = requests.post(
        f"{base_url}/v1.0/removebg", json=body, headers={**api["key"], "Accept": "application/json"}, timeout=120
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    data = response.json()["data"]
    assert set(data) == {"result_b64", "foreground_top", "foreground_left", "foreground_width", "foreground_height"}
    image = Image.open(io.BytesIO(base64.b64decode(data["result_b64"])))
    assert image.format == "PNG" and image.size == (256, 256)
    box = (data["foreground_top"], data["foreground_left"], data["foreground_width"], data["foreground_height"])
    assert box == box_of(image.getchannel("A")) == foreground(response)


def test_form_urlencoded_body(base_url, api, small):
    response = remove(base_url, api["key"], data={"image_file_b64": base64.b64encode(small).decode(), "format": "jpg"})
    image = image_of(response)
    assert response.headers["content-type"] == "image/jpeg" and image.format == "JPEG" and image.mode == "RGB"


def test_image_url(base_url, api, files_server):
    response = remove(base_url, api["key"], data={"image_url": f"{files_server}/photo.jpg"})
    assert image_of(response).size == (256, 256)


def test_image_url_that_fails(base_url, api, files_server):
    assert_error(remove(base_url, api["key"], data={"image_url": f"{files_server}/missing.jpg"}), 400, "failed_image_download")
    assert_error(remove(base_url, api["key"], data={"image_url": "ftp://example.com/x.jpg"}), 400, "invalid_image_url")


# --- format, channels, backgrounds ------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "content_type", "pil"), [("png", "image/png", "PNG"), ("jpg", "image/jpeg", "JPEG"), ("webp", "image/webp", "WEBP")])
def test_formats(base_url, api, small, fmt, content_type, pil):
    response = remove(base_url, api["key"], data={"format": fmt}, files={"image_file": ("photo.jpg", small)})
    assert response.headers["content-type"] == content_type and image_of(response).format == pil


def test_zip_is_color_jpg_and_alpha_png(base_url, api, small):
    response = remove(base_url, api["key"], data={"format": "zip"}, files={"image_file": ("photo.jpg", small)})
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert sorted(archive.namelist()) == ["alpha.png", "color.jpg"]
    colour, alpha = (Image.open(io.BytesIO(archive.read(n))) for n in ("color.jpg", "alpha.png"))
    assert (colour.format, colour.mode, colour.size) == ("JPEG", "RGB", (256, 256))
    assert (alpha.format, alpha.mode, alpha.size) == ("PNG", "L", (256, 256)) and alpha.getextrema() == (0, 255)


def test_auto_format_is_jpg_once_nothing_is_transparent(base_url, api, small):
    response = remove(base_url, api["key"], data={"bg_color": "81d4fa"}, files={"image_file": ("photo.jpg", small)})
    image = image_of(response)
    assert response.headers["content-type"] == "image/jpeg" and image.mode == "RGB"
    assert all(abs(a - b) < 8 for a, b in zip(image.getpixel((0, 0)), (0x81, 0xD4, 0xFA)))


def test_channels_alpha_is_the_matte(base_url, api, small):
    image = image_of(remove(base_url, api["key"], data={"channels": "alpha"}, files={"image_file": ("photo.jpg", small)}))
    assert image.format == "PNG" and image.mode == "L" and image.getextrema() == (0, 255)


@pytest.mark.parametrize(("colour", "corner"), [("green", (0, 128, 0, 255)), ("f008", (255, 0, 0, 136)), ("#0000ff80", (0, 0, 255, 128))])
def test_bg_color_names_and_hex_with_alpha(base_url, api, small, colour, corner):
    image = image_of(remove(base_url, api["key"], data={"bg_color": colour, "format": "png"}, files={"image_file": ("p.jpg", small)}))
    assert image.mode == "RGBA" and all(abs(a - b) <= 2 for a, b in zip(image.getpixel((0, 0)), corner))


def test_bg_image_file_and_url(base_url, api, small, files_server):
    blue = io.BytesIO()
    Image.new("RGB", (32, 32), (0, 0, 255)).save(blue, format="PNG")
    by_file = remove(base_url, api["key"], data={"format": "png"}, files={"image_file": ("p.jpg", small), "bg_image_file": ("bg.png", blue.getvalue())})
    by_url = remove(base_url, api["key"], data={"bg_image_url": f"{files_server}/blue.png"}, files={"image_file": ("p.jpg", small)})
    assert image_of(by_file).getpixel((0, 0))[:3] == (0, 0, 255) and image_of(by_file).getpixel((0, 0))[3] == 255
    assert by_url.headers["content-type"] == "image/jpeg"  # auto: nothing transparent left
    assert all(abs(a - b) < 8 for a, b in zip(image_of(by_url).getpixel((0, 0)), (0, 0, 255)))


# --- roi, crop, crop_margin, scale, position --------------------------------------------------


def test_roi_in_percent_keeps_the_subject_inside_only(base_url, api, small):
    # The Python client's default "0 0 100% 100%" is the whole image; "0 0 50% 100%" the left half.
    whole = image_of(remove(base_url, api["key"], data={"roi": "0 0 100% 100%"}, files={"image_file": ("p.jpg", small)}))
    half = image_of(remove(base_url, api["key"], data={"roi": "0% 0% 50% 100%"}, files={"image_file": ("p.jpg", small)}))
    assert np.asarray(whole.getchannel("A"))[:, 128:].max() == 255
    assert np.asarray(half.getchannel("A"))[:, 128:].max() == 0 and np.asarray(half.getchannel("A"))[:, :128].max() == 255
    pixels = image_of(remove(base_url, api["key"], data={"roi": "0px 0px 128px 256px"}, files={"image_file": ("p.jpg", small)}))
    assert np.asarray(pixels.getchannel("A"))[:, 128:].max() == 0


def test_crop_and_crop_margin(base_url, api, small):
    plain = remove(base_url, api["key"], data={"format": "png"}, files={"image_file": ("p.jpg", small)})
    top, left, width, height = foreground(plain)
    cropped = remove(base_url, api["key"], data={"crop": "true"}, files={"image_file": ("p.jpg", small)})
    assert image_of(cropped).size == (width, height) and foreground(cropped) == (0, 0, width, height)
    margin = remove(base_url, api["key"], data={"crop": "true", "crop_margin": "10px"}, files={"image_file": ("p.jpg", small)})
    expected_w = min(256, left + width + 10) - max(0, left - 10)
    expected_h = min(256, top + height + 10) - max(0, top - 10)
    assert image_of(margin).size == (expected_w, expected_h)  # within the image


def test_scale_and_position_move_the_subject(base_url, api, small):
    scaled = remove(base_url, api["key"], data={"scale": "50%", "position": "0% 0%"}, files={"image_file": ("p.jpg", small)})
    top, left, width, height = foreground(scaled)
    assert image_of(scaled).size == (256, 256)
    assert top <= 1 and left <= 1 and 125 <= max(width, height) <= 128  # half of the 256 px it could fill
    centred = remove(base_url, api["key"], data={"scale": "50%"}, files={"image_file": ("p.jpg", small)})
    top, left, width, height = foreground(centred)
    assert abs(left + width / 2 - 128) <= 1.5 and abs(top + height / 2 - 128) <= 1.5


# --- type, type_level, semitransparency, add_shadow ------------------------------------------------


def test_type_and_type_level(base_url, api, small):
    person = remove(base_url, api["key"], data={"type": "person"}, files={"image_file": ("p.jpg", small)})
    assert person.status_code == 200 and person.headers["x-type"] == "person"
    quiet = remove(base_url, api["key"], data={"type_level": "none"}, files={"image_file": ("p.jpg", small)})
    assert quiet.status_code == 200 and "x-type" not in quiet.headers
    assert_error(remove(base_url, api["key"], data={"type": "planet"}, files={"image_file": ("p.jpg", small)}), 400, "invalid_type")


def test_semitransparency_is_a_boolean(base_url, api, small):
    assert remove(base_url, api["key"], data={"semitransparency": "false"}, files={"image_file": ("p.jpg", small)}).status_code == 200
    bad = remove(base_url, api["key"], data={"semitransparency": "maybe"}, files={"image_file": ("p.jpg", small)})
    assert_error(bad, 400, "invalid_semitransparency")


def test_add_shadow_is_refused_not_ignored_and_charges_nothing(base_url, api, small):
    before = balance(base_url, api)
    response = remove(base_url, api["key"], data={"add_shadow": "true"}, files={"image_file": ("p.jpg", small)})
    assert "add_shadow" in assert_error(response, 400, "add_shadow_not_supported")["title"]
    assert remove(base_url, api["key"], data={"add_shadow": "false"}, files={"image_file": ("p.jpg", small)}).status_code == 200
    assert balance(base_url, api) == before - 1


# --- errors: remove.bg's envelope and codes, nothing charged ------------------------------------


def test_errors_charge_nothing(base_url, api, small):
    before = balance(base_url, api)
    photo = {"image_file": ("p.jpg", small)}
    b64 = base64.b64encode(small).decode()
    assert_error(remove(base_url, api["key"], data={"size": "full"}), 400, "missing_source")
    assert_error(remove(base_url, api["key"], data={"image_file_b64": b64}, files=photo), 400, "multiple_sources")
    cases = [
        ({"roi": "0 0 100%"}, "invalid_roi"), ({"roi": "0 0 300px 100px"}, "roi_exceeds_bounds"),
        ({"roi": "50% 0 50% 100%"}, "roi_region_empty"), ({"crop": "true", "crop_margin": "600px"}, "invalid_crop_margin"),
        ({"size": "huge"}, "invalid_size"), ({"format": "gif"}, "invalid_format"), ({"channels": "cmyk"}, "invalid_channels"),
        ({"bg_color": "notacolour"}, "invalid_bg_color"), ({"scale": "5%"}, "invalid_scale"), ({"position": "left"}, "invalid_position"),
        ({"bg_color": "fff", "bg_image_url": "http://127.0.0.1/x.png"}, "multiple_bg_sources"),
    ]
    for fields, code in cases:
        assert_error(remove(base_url, api["key"], data=fields, files=photo), 400, code)
    assert_error(remove(base_url, api["key"], files={"image_file": ("x.jpg", b"not an image at all")}), 400, "invalid_file_type")
    assert_error(remove(base_url, api["key"], files={"image_file": ("x.jpg", small[:400])}), 400, "failed_to_read_image")
    # Its header is whole, its pixels are not: charged, failed by the worker, refunded.
    assert_error(remove(base_url, api["key"], files={"image_file": ("x.jpg", small[: len(small) // 2])}), 400, "failed_to_read_image")
    latest = requests.get(f"{base_url}/v1/credits", params={"limit": 2}, headers=api["headers"], timeout=30).json()["history"]
    assert [e["kind"] for e in latest] == ["refund", "charge"] and latest[0]["job_id"] == latest[1]["job_id"]
    huge = png_claiming(30000, 30000)  # a small file claiming 900 MP: refused from its header
    assert_error(remove(base_url, api["key"], files={"image_file": ("big.png", huge)}), 400, "resolution_too_high")
    too_large = remove(base_url, api["key"], files={"image_file": ("big.jpg", small + b"\0" * (12 * 1024 * 1024))})
    assert_error(too_large, 400, "file_too_large")
    assert balance(base_url, api) == before


def test_a_body_over_envoy_s_limit_is_remove_bg_s_400(mesh, api):
    """Envoy refuses a declared Content-Length over the upload limit itself (its Lua filter), in this
    dialect's envelope and status."""
    connection = http.client.HTTPConnection("127.0.0.1", int(mesh.base_url.rsplit(":", 1)[1]), timeout=30)
    connection.putrequest("POST", "/v1.0/removebg")
    for name, value in {**api["key"], "Content-Type": "application/json", "Content-Length": str(200 * 1024 * 1024)}.items():
        connection.putheader(name, value)
    connection.endheaders()
    response = connection.getresponse()
    body = json.loads(response.read())
    connection.close()
    assert response.status == 400 and body["errors"][0]["code"] == "file_too_large" and "larger than" in body["errors"][0]["title"]


def test_a_missing_or_bad_key_is_403(base_url, small):
    photo = {"image_file": ("p.jpg", small)}
    assert_error(remove(base_url, {}, files=photo), 403, "auth_failed")
    assert_error(remove(base_url, {"X-Api-Key": "bdp_not_a_key"}, files=photo), 403, "auth_failed")
    assert_error(requests.get(f"{base_url}/v1.0/account", timeout=30), 403, "auth_failed")


def test_no_credits_is_402(base_url, admin_bearer, small):
    account = register(base_url)
    headers = {"Authorization": f"Bearer {account['token']}"}
    key = {"X-Api-Key": api_key(base_url, headers)}
    left = requests.get(f"{base_url}/v1/credits", headers=headers, timeout=30).json()["balance"]
    drained = requests.post(
        f"{base_url}/v1/admin/credits", json={"user_id": account["user"]["id"], "amount": 2 - left, "reason": "test"},
        headers=admin_bearer, timeout=30,
    )
    assert drained.status_code == 200, drained.text
    assert_error(remove(base_url, key, data={"size": "full"}, files={"image_file": ("p.jpg", small)}), 402, "insufficient_credits")
    assert remove(base_url, key, data={"size": "preview"}, files={"image_file": ("p.jpg", small)}).status_code == 200
    account_body = requests.get(f"{base_url}/v1.0/account", headers=key, timeout=30).json()
    assert account_body["data"]["attributes"]["credits"]["total"] == 0.25


def test_over_the_limit_is_429_in_its_envelope(base_url):
    """The free plan's 100 requests an hour, counted on every /v1.0 route: the 429 is remove.bg's."""
    account = register(base_url)
    key = {"X-Api-Key": api_key(base_url, {"Authorization": f"Bearer {account['token']}"})}
    session = requests.Session()
    for _ in range(120):
        response = session.get(f"{base_url}/v1.0/account", headers=key, timeout=30)
        if response.status_code != 200:
            break
    error = assert_error(response, 429, "rate_limit_exceeded")
    assert "try again" in error["title"].lower()
    assert int(response.headers["retry-after"]) > 0 and response.headers["x-ratelimit-limit"] == "100"
    assert response.headers["x-ratelimit-remaining"] == "0"


def test_unknown_path_and_bad_json_in_its_envelope(base_url, api):
    assert_error(requests.get(f"{base_url}/v1.0/nothing", headers=api["key"], timeout=30), 404, "not_found")
    bad = requests.post(f"{base_url}/v1.0/removebg", data=b"{not json", headers={**api["key"], "Content-Type": "application/json"}, timeout=30)
    assert_error(bad, 400, "invalid_request")


# --- GET /account, POST /improve --------------------------------------------------------------


def test_account_in_remove_bg_s_shape(base_url, api):
    response = requests.get(f"{base_url}/v1.0/account", headers=api["key"], timeout=30)
    assert response.status_code == 200, response.text
    attributes = response.json()["data"]["attributes"]
    credits, api_block = attributes["credits"], attributes["api"]
    assert set(credits) == {"total", "subscription", "payg", "enterprise"} and set(api_block) == {"free_calls", "sizes"}
    assert credits["total"] == balance(base_url, api) / 4 and api_block["sizes"] == "all"
    assert all(isinstance(v, (int, float)) for v in credits.values())


def test_improve_stores_the_image_and_its_tag(mesh, base_url, api, small):
    response = requests.post(
        f"{base_url}/v1.0/improve", data={"tag": "hair", "image_filename": "me.jpg"}, files={"image_file": ("me.jpg", small)},
        headers=api["key"], timeout=60,
    )
    assert response.status_code == 200, response.text
    image_id = response.json()["id"]
    found = (pathlib.Path(mesh.data_dir) / "objects" / "improve").rglob(f"{image_id}.*")
    stored = [p for p in found if not p.name.endswith(".content-type")]  # the local store's own sidecar
    names = sorted(p.suffix for p in stored)
    assert names == [".jpeg", ".json"], stored
    sidecar = json.loads(next(p for p in stored if p.suffix == ".json").read_bytes())
    assert sidecar["tag"] == "hair" and sidecar["image_filename"] == "me.jpg" and sidecar["user_id"] == api["user"]["id"]
    assert next(p for p in stored if p.suffix == ".jpeg").read_bytes() == small
    assert_error(requests.post(f"{base_url}/v1.0/improve", data={"tag": "x"}, headers=api["key"], timeout=30), 400, "missing_source")


# --- the published clients, unchanged but for the base URL ------------------------------------


def test_the_python_client_removebg(base_url, api, small, tmp_path, monkeypatch):
    """brilam's `removebg` (PyPI 0.04): multipart `image_file`, `size=regular`, `bg_color` left out
    when None, base64 as a form field; its endpoint is the module constant API_ENDPOINT."""
    from removebg import removebg as client

    monkeypatch.setattr(client, "API_ENDPOINT", client.API_ENDPOINT.replace(REMOVE_BG, f"{base_url}/v1.0"))
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(small)
    remover = client.RemoveBg(api["key"]["X-Api-Key"], str(tmp_path / "errors.log"))
    remover.remove_background_from_img_file(str(photo))
    out = Image.open(f"{photo}_no_bg.png")
    assert out.format == "PNG" and out.mode == "RGBA" and out.getchannel("A").getextrema() == (0, 255)
    monkeypatch.chdir(tmp_path)
    remover.remove_background_from_base64_img(base64.b64encode(small).decode(), bg_color="green", new_file_name="b64.png")
    flat = Image.open(tmp_path / "b64.png")  # format=auto: a JPEG once the background is opaque, whatever the name
    assert flat.format == "JPEG" and all(abs(a - b) < 6 for a, b in zip(flat.getpixel((0, 0)), (0, 128, 0)))


def node_client(cache: pathlib.Path, base_url: str, tmp_path: pathlib.Path) -> pathlib.Path:
    """The npm package installed once into the pytest cache; its dist/index.js copied with the one
    constant a base URL lives in pointed at the mesh."""
    package = cache / "node_modules" / "remove.bg"
    if not (package / "package.json").exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("npm is not on PATH: the npm client `remove.bg` cannot be installed")
        subprocess.run(
            [npm, "install", "--prefix", str(cache), "--no-audit", "--no-fund", "--no-save", NODE_CLIENT],
            capture_output=True, text=True, timeout=180,
        )
        if not (package / "package.json").exists():
            pytest.skip("npm could not install remove.bg (no registry)")
    source = (package / "dist" / "index.js").read_text()
    assert source.count(f"{REMOVE_BG}/removebg") == 1
    patched = package / "dist" / "index.mesh.js"
    patched.write_text(source.replace(f"{REMOVE_BG}/removebg", f"{base_url}/v1.0/removebg"))
    return patched


def test_the_npm_client_remove_bg(base_url, api, small, tmp_path, request):
    """EddyVerbruggen's `remove.bg` (npm): JSON or multipart with Accept: application/json, reads
    data.result_b64 and the x-credits-charged, x-width, x-height, x-type and x-ratelimit-* headers."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not on PATH")
    client = node_client(pathlib.Path(request.config.cache.mkdir("npm-remove-bg")), base_url, tmp_path)
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(small)
    script = tmp_path / "run.js"
    script.write_text(
        f"const rb = require({json.dumps(str(client))});\n"
        "(async () => {\n"
        f"  const key = {json.dumps(api['key']['X-Api-Key'])};\n"
        f"  const file = await rb.removeBackgroundFromImageFile({{path: {json.dumps(str(photo))}, apiKey: key, size: 'regular', type: 'person', outputFile: {json.dumps(str(tmp_path / 'file.png'))}}});\n"
        f"  const b64 = await rb.removeBackgroundFromImageBase64({{base64img: {json.dumps(base64.b64encode(small).decode())}, apiKey: key, size: 'preview', crop: true, bg_color: 'ff0000'}});\n"
        "  let error = null;\n"
        "  try { await rb.removeBackgroundFromImageBase64({base64img: 'AAAA', apiKey: 'bdp_wrong', size: 'preview'}); } catch (e) { error = e; }\n"
        "  console.log(JSON.stringify({file: {...file, base64img: file.base64img.length}, b64: {...b64, base64img: b64.base64img}, error}));\n"
        "})().catch(e => { console.error(JSON.stringify(e)); process.exit(1); });\n"
    )
    ran = subprocess.run([node, str(script)], capture_output=True, text=True, timeout=180)
    assert ran.returncode == 0, ran.stderr + ran.stdout
    out = json.loads(ran.stdout.strip().splitlines()[-1])
    assert out["file"]["creditsCharged"] == "0.25" and out["file"]["detectedType"] == "person"
    assert (out["file"]["resultWidth"], out["file"]["resultHeight"]) == ("256", "256") and int(out["file"]["rateLimit"]) > 0
    written = Image.open(tmp_path / "file.png")
    assert written.format == "PNG" and written.getchannel("A").getextrema() == (0, 255)
    cropped = Image.open(io.BytesIO(base64.b64decode(out["b64"]["base64img"])))
    assert cropped.size == (int(out["b64"]["resultWidth"]), int(out["b64"]["resultHeight"])) and cropped.size != (256, 256)
    assert out["error"] == [{"title": out["error"][0]["title"], "code": "auth_failed"}]


@pytest.mark.parametrize("path", ["/v1.0/removebg", "/v1.0/improve"])
def test_hostile_bodies_get_remove_bg_s_4xx_never_a_5xx(base_url, api, path):
    """tests/fuzzing.py's broken multipart framing, hostile images and malformed JSON (its cases for
    the other dialects' routes): each a 4xx in remove.bg's envelope, or a 200."""
    import random

    from tests import fuzzing

    route = fuzzing.Route("POST", path, "*", ".google.api.HttpBody", "multipart `image_file`", ())
    rng = random.Random(15)
    cases = fuzzing.multipart_cases(route, rng) + fuzzing.json_cases(route, rng)
    problems = []
    for name, headers, data in cases:
        headers = {k: v for k, v in headers.items() if k != "Transfer-Encoding"}
        response = requests.post(f"{base_url}{path}", data=data, headers={**api["key"], **headers}, timeout=60)
        if response.status_code >= 500:
            problems.append(f"{name}: {response.status_code} {response.text[:200]}")
        elif response.status_code >= 400:
            body = response.json()
            if not (isinstance(body.get("errors"), list) and body["errors"][0].get("code") and body["errors"][0].get("title")):
                problems.append(f"{name}: not remove.bg's envelope: {response.text[:200]}")
    assert not problems, "\n".join(problems)
