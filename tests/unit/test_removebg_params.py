"""remove.bg's parameters (gateway/dialects/removebg.py), its error envelope, its prices, and the
pipeline pieces it added (subject placement, per-side crop margins, the ZIP format)."""

from __future__ import annotations

import base64
import io
import json
import urllib.parse
import zipfile
from types import SimpleNamespace

import grpc
import numpy as np
import pytest
from google.api import httpbody_pb2
from PIL import Image

from backdrop.billing.v1 import billing_pb2
from backdrop.jobs.v1 import jobs_pb2
from gateway.dialects import removebg
from services.billing.catalog import Catalog
from services.inference.pipeline import compose
from services.runtime import envelopes
from services.runtime.errors import ServiceError
from services.runtime.objectstore import LocalObjectStore


def refused(call, *args) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        call(*args)
    assert caught.value.http_status == 400
    return caught.value


# --- roi ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "box"),
    [
        ("10px 20px 110px 90px", (10, 20, 110, 90)),
        ("10 20 110 90", (10, 20, 110, 90)),  # bare numbers are pixels
        ("25% 50% 75% 100%", (50, 50, 150, 100)),
        ("0 50% 200px 100%", (0, 50, 200, 100)),  # units mixed
    ],
)
def test_roi_in_pixels_and_percent(text, box):
    found = removebg.roi(text, 200, 100)
    assert (found.left, found.top, found.right, found.bottom) == box


@pytest.mark.parametrize("text", ["", "0 0 100% 100%", "0% 0% 100% 100%", "0px 0px 200px 100px"])
def test_roi_of_the_whole_image_is_no_roi(text):
    # The Python client's default "0 0 100% 100%" (no unit on the zeros) is the whole image.
    assert removebg.roi(text, 200, 100) is None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("0 0 100%", "INVALID_ROI"),
        ("0 0 100% 120%", "INVALID_ROI"),
        ("a b c d", "INVALID_ROI"),
        ("0 0 10em 10px", "INVALID_ROI"),
        ("0 0 201px 100px", "ROI_EXCEEDS_BOUNDS"),
        ("50px 0 50px 100px", "ROI_REGION_EMPTY"),
        ("0 60% 100% 40%", "ROI_REGION_EMPTY"),
    ],
)
def test_bad_roi(text, code):
    assert refused(removebg.roi, text, 200, 100).reason == code


# --- crop_margin -------------------------------------------------------------------------


def sides(margins: jobs_pb2.Margins) -> list[tuple[float, bool]]:
    return [(getattr(margins, s).value, getattr(margins, s).percent) for s in ("top", "right", "bottom", "left")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30px", [(30, False)] * 4),
        ("10%", [(10, True)] * 4),
        ("10px 20%", [(10, False), (20, True), (10, False), (20, True)]),  # vertical, horizontal
        ("1px 2px 3px 4px", [(1, False), (2, False), (3, False), (4, False)]),  # top right bottom left
        ("500px 50%", [(500, False), (50, True), (500, False), (50, True)]),
    ],
)
def test_crop_margin_in_css_order(text, expected):
    assert sides(removebg.crop_margin(text)) == expected


@pytest.mark.parametrize("text", ["", "0", "0px 0%"])
def test_zero_crop_margin_is_none(text):
    assert removebg.crop_margin(text) is None


@pytest.mark.parametrize("text", ["501px", "51%", "1px 2px 3px", "1px 2px 3px 4px 5px", "ten"])
def test_bad_crop_margin(text):
    assert refused(removebg.crop_margin, text).reason == "INVALID_CROP_MARGIN"


# --- size, colours, scale, position, flags ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "cap", "price"),
    [
        ("", "preview", "preview"), ("preview", "preview", "preview"), ("small", "preview", "preview"),
        ("regular", "preview", "preview"), ("medium", "medium", "full"), ("hd", "hd", "full"), ("full", "25mp", "full"),
        ("4k", "25mp", "full"), ("auto", "25mp", "full"), ("50MP", "full", "full"),
    ],
)
def test_sizes(text, cap, price):
    assert removebg.size(text) == (cap, price)


def test_bad_size():
    assert refused(removebg.size, "huge").reason == "INVALID_SIZE"


@pytest.mark.parametrize(
    ("text", "rgba"),
    [
        ("81d4fa", "129,212,250,255"), ("#81d4fa", "129,212,250,255"), ("fff", "255,255,255,255"),
        ("f008", "255,0,0,136"), ("81d4fa80", "129,212,250,128"), ("green", "0,128,0,255"), ("Red", "255,0,0,255"),
        ("", ""),
    ],
)
def test_bg_color(text, rgba):
    assert removebg.bg_color(text) == rgba


@pytest.mark.parametrize("text", ["notacolour", "12345", "#ggg"])
def test_bad_bg_color(text):
    assert refused(removebg.bg_color, text).reason == "INVALID_BG_COLOR"


@pytest.mark.parametrize(("text", "value"), [("", 0.0), ("original", 0.0), ("10%", 0.1), ("100%", 1.0), ("55.5%", 0.555)])
def test_scale(text, value):
    assert removebg.subject_scale(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["9%", "101%", "0.5", "big"])
def test_bad_scale(text):
    assert refused(removebg.subject_scale, text).reason == "INVALID_SCALE"


@pytest.mark.parametrize(("text", "xy"), [("center", (0.5, 0.5)), ("0%", (0, 0)), ("100% 25%", (1, 0.25)), ("40%", (0.4, 0.4))])
def test_position(text, xy):
    found = removebg.position(text)
    assert (found.x, found.y) == pytest.approx(xy)


@pytest.mark.parametrize("text", ["left", "120%", "1% 2% 3%", "10"])
def test_bad_position(text):
    assert refused(removebg.position, text).reason == "INVALID_POSITION"
    assert removebg.position("original") is None and removebg.position("") is None


def test_flags_and_choices():
    assert removebg.flag("", "crop", False) is False and removebg.flag("TRUE", "crop", False) is True
    assert refused(removebg.flag, "maybe", "semitransparency", True).reason == "INVALID_SEMITRANSPARENCY"
    assert refused(removebg.choice, "cmyk", removebg.CHANNELS, "channels", "rgba").reason == "INVALID_CHANNELS"
    assert refused(removebg.choice, "gif", removebg.FORMATS, "format", "auto").reason == "INVALID_FORMAT"


# --- envelope, statuses, prices -------------------------------------------------------


def test_errors_are_remove_bg_s_envelope_and_codes():
    dialect = envelopes.dialect_of("/v1.0/removebg")
    assert dialect is envelopes.REMOVEBG
    missing = ServiceError(grpc.StatusCode.INVALID_ARGUMENT, "MISSING_SOURCE", "No image given")
    assert envelopes.body(dialect, missing) == (400, {"errors": [{"title": "No image given", "code": "missing_source"}]})
    unauthorized = ServiceError(grpc.StatusCode.UNAUTHENTICATED, "UNAUTHORIZED", "Missing API Key")
    assert envelopes.body(dialect, unauthorized) == (403, {"errors": [{"title": "Missing API Key", "code": "auth_failed"}]})
    too_large = ServiceError(grpc.StatusCode.INVALID_ARGUMENT, "FILE_TOO_LARGE", "File too large", details={"max_bytes": "1"}, http_status=413)
    status, body = envelopes.body(dialect, too_large)
    assert status == 400 and body["errors"][0]["code"] == "file_too_large" and body["errors"][0]["detail"] == "max_bytes: 1"
    broke = ServiceError(grpc.StatusCode.FAILED_PRECONDITION, "INSUFFICIENT_CREDITS", "You need 4 credits", http_status=402)
    assert envelopes.body(dialect, broke)[0] == 402 and envelopes.body(dialect, broke)[1]["errors"][0]["code"] == "insufficient_credits"
    assert envelopes.dialect_of("/v1/process/remove-background") is envelopes.BACKDROP


def test_prices_are_remove_bg_s_in_whole_credits():
    catalog = Catalog.load()
    assert catalog.cost_per_image("basic", "removebg:preview") == 1
    assert catalog.cost_per_image("basic", "removebg:full") == 4
    assert removebg.credits(1) == 0.25 and removebg.credits(4) == 1.0


# --- the pipeline pieces --------------------------------------------------------------


def subject(height=100, width=200, box=(20, 10, 60, 50)) -> tuple[np.ndarray, np.ndarray]:
    rgb = np.zeros((height, width, 3), dtype=np.uint8)
    alpha = np.zeros((height, width), dtype=np.float32)
    left, top, right, bottom = box
    rgb[top:bottom, left:right] = (200, 30, 30)
    alpha[top:bottom, left:right] = 1.0
    return rgb, alpha


def test_place_subject_scales_and_centres():
    rgb, alpha = subject()
    out_rgb, out_alpha = compose.place_subject(rgb, alpha, 0.5, None)
    # 40x40 subject, 50% of a 200x100 image: as large as fits (100 px high) times 0.5 = 50 px, centred.
    assert compose.subject_box(compose.alpha8(out_alpha), 0) == (75, 25, 125, 75)
    assert tuple(out_rgb[50, 100]) == (200, 30, 30) and out_rgb.shape == rgb.shape


def test_place_subject_moves_to_a_position():
    rgb, alpha = subject()
    _, out_alpha = compose.place_subject(rgb, alpha, 0.0, (1.0, 0.0))
    assert compose.subject_box(compose.alpha8(out_alpha), 0) == (160, 0, 200, 40)  # same size, top right
    same_rgb, same_alpha = compose.place_subject(rgb, alpha, 0.0, None)
    assert same_alpha is alpha and same_rgb is rgb


def test_margin_box_per_side_in_pixels_and_percent():
    _, alpha = subject()
    margins = removebg.crop_margin("5px 50% 0px 10px")  # top, right (50% of 40 wide), bottom, left
    assert compose.margin_box(compose.alpha8(alpha), margins) == (10, 5, 80, 50)
    wide = removebg.crop_margin("500px")
    assert compose.margin_box(compose.alpha8(alpha), wide) == (0, 0, 200, 100)  # within the image


def test_zip_format_is_color_jpg_and_alpha_png():
    rgb, alpha = subject()
    image = Image.fromarray(compose.cutout(rgb, alpha), mode="RGBA")
    data, content_type = compose.encode(image, "zip")
    assert content_type == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert sorted(archive.namelist()) == ["alpha.png", "color.jpg"]
    colour = Image.open(io.BytesIO(archive.read("color.jpg")))
    matte = Image.open(io.BytesIO(archive.read("alpha.png")))
    assert colour.format == "JPEG" and colour.mode == "RGB" and colour.size == (200, 100)
    assert matte.format == "PNG" and matte.mode == "L" and matte.getpixel((30, 20)) == 255 and matte.getpixel((150, 80)) == 0
    assert abs(colour.getpixel((40, 30))[0] - 200) < 8


def test_hd_and_full_caps():
    assert compose.capped_size(4000, 2000, "hd") == (2828, 1414)
    assert compose.capped_size(8000, 4000, "25mp") == (7071, 3535)
    assert compose.capped_size(8000, 4000, "full") == (8000, 4000)


def test_the_edge_refuses_a_key_with_403_in_remove_bg_s_envelope():
    from services.auth import edge

    denied = edge.deny("/v1.0/removebg", "INVALID_TOKEN", "The API key is not valid").denied_response
    assert denied.status.code == 403
    assert json.loads(denied.body) == {"errors": [{"title": "The API key is not valid", "code": "auth_failed"}]}
    assert edge.deny("/v1/process/remove-background", "UNAUTHORIZED", "Authentication required").denied_response.status.code == 401


class _Refused(Exception):
    pass


class FakeContext:
    """A servicer context for one caller: abort ends the call with its code and REST metadata."""

    def __init__(self, user_id: str):
        self.metadata = (("x-backdrop-user-id", user_id), ("x-backdrop-plan", "free"))
        self.trailing: dict = {}

    def invocation_metadata(self):
        return self.metadata

    async def abort(self, code, details="", trailing_metadata=()):
        self.trailing = dict(trailing_metadata)
        raise _Refused(code)


async def test_improve_keeps_each_image_with_a_sidecar_and_bounds_a_day(tmp_path, monkeypatch):

    monkeypatch.setenv("REMOVEBG_IMPROVE_PER_DAY", "2")
    store = LocalObjectStore(tmp_path)
    servicer = removebg.RemoveBg(SimpleNamespace(store=store))
    png = io.BytesIO()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(png, format="PNG")
    fields = {"tag": "cars", "image_filename": "a.png", "image_file_b64": base64.b64encode(png.getvalue()).decode()}
    body = httpbody_pb2.HttpBody(content_type="application/x-www-form-urlencoded", data=urllib.parse.urlencode(fields).encode())
    context = FakeContext("5d0c3f4e-0000-4000-8000-000000000001")
    ids = [(await servicer.Improve(body, context)).id for _ in range(2)]
    keys = await store.list("improve/")
    assert len(keys) == 4 and all(any(k.endswith(f"{i}.png") for k in keys) and any(k.endswith(f"{i}.json") for k in keys) for i in ids)
    sidecar = json.loads(await store.get(next(k for k in keys if k.endswith(".json"))))
    assert sidecar["tag"] == "cars" and sidecar["image_filename"] == "a.png" and (sidecar["width"], sidecar["height"]) == (8, 8)
    with pytest.raises(_Refused):
        await servicer.Improve(body, context)
    assert context.trailing["x-backdrop-status"] == "429"
    assert json.loads(context.trailing["x-backdrop-error"])["errors"][0]["code"] == "rate_limit_exceeded"
    assert len(await store.list("improve/")) == 4  # the third was not kept
    other = FakeContext("5d0c3f4e-0000-4000-8000-000000000002")
    assert (await servicer.Improve(body, other)).id  # a day's bound is per account


async def test_parameters_become_the_pipeline_s_options_and_price():
    from services.runtime.images import ImageInfo

    left = {"balance": 4}

    async def get_credits(request):
        return billing_pb2.Credits(balance=left["balance"])

    # No background is given: billing (for size=auto) is the only peer reached.
    servicer = removebg.RemoveBg(SimpleNamespace(billing=SimpleNamespace(GetCredits=get_credits)))
    info = ImageInfo("jpeg", "image/jpeg", 400, 200)
    caller = SimpleNamespace(user_id="u", plan="free")

    async def options(**fields):
        return await servicer._options(caller, fields, {}, info)

    assert (await options(size="auto", format="jpg"))[0].size == "25mp"
    left["balance"] = 3  # less than a full-size image costs: auto is the preview
    auto, price = await options(size="auto", format="jpg")
    assert (auto.size, price) == ("preview", "removebg:preview")

    full_png, price = await options(size="full")
    assert (full_png.size, full_png.output_format, price) == ("10mp", "png", "removebg:full")  # remove.bg's PNG: 10 MP
    full_zip, _ = await options(size="4k", format="zip")
    assert (full_zip.size, full_zip.output_format) == ("25mp", "zip")
    preview, price = await options()
    assert (preview.size, preview.output_format, price) == ("preview", "png", "removebg:preview")
    opaque, _ = await options(bg_color="green")
    see_through, _ = await options(bg_color="00800080")
    assert (opaque.output_format, opaque.bg_color, see_through.output_format) == ("jpg", "0,128,0,255", "png")
    placed, _ = await options(roi="10% 0 50% 100%", crop="true", crop_margin="5px", scale="50%", position="center", channels="alpha")
    assert (placed.roi.left, placed.roi.top, placed.roi.right, placed.roi.bottom) == (40, 0, 200, 200)
    assert placed.crop and placed.crop_margins.top.value == 5 and placed.subject_scale == 0.5 and placed.channels == "alpha"
    assert (placed.subject_position.x, placed.subject_position.y) == (0.5, 0.5)
    no_crop, _ = await options(crop_margin="5px")
    assert not no_crop.crop and not no_crop.HasField("crop_margins")  # crop_margin only counts with crop=true
    with pytest.raises(ServiceError) as shadow:
        await options(add_shadow="true")
    assert shadow.value.reason == "ADD_SHADOW_NOT_SUPPORTED"
    with pytest.raises(ServiceError) as kind:
        await options(type="planet")
    assert kind.value.reason == "INVALID_TYPE"


@pytest.mark.parametrize(
    ("content_type", "data", "code"),
    [
        ("application/json", b"[" * 100_000, "INVALID_REQUEST"),
        ("application/json", b"[1, 2]", "INVALID_REQUEST"),
        ("application/json; charset=latin-1", b"{not json", "INVALID_REQUEST"),
        ("application/xml", b"<a/>", "INVALID_REQUEST"),
        ("application/x-www-form-urlencoded", b"a=\xff\xfe", "INVALID_REQUEST"),
        ("multipart/form-data", b"--x--", "INVALID_CONTENT_TYPE"),  # no boundary
        ("multipart/form-data; boundary=x", b"no parts", "INVALID_MULTIPART"),
    ],
)
async def test_bodies_that_are_not_parameters_are_400(content_type, data, code):
    with pytest.raises(ServiceError) as caught:
        await removebg.fields_of(httpbody_pb2.HttpBody(content_type=content_type, data=data))
    assert caught.value.reason == code and caught.value.http_status == 400


async def test_json_and_form_fields_as_text():
    texts, files = await removebg.fields_of(
        httpbody_pb2.HttpBody(content_type="application/json", data=b'{"crop": true, "crop_margin": 10, "bg_color": null, "size": "hd"}')
    )
    assert texts == {"crop": "true", "crop_margin": "10", "size": "hd"} and files == {}
    texts, _ = await removebg.fields_of(
        httpbody_pb2.HttpBody(content_type="application/x-www-form-urlencoded", data=b"roi=0+0+100%25+100%25&size=")
    )
    assert texts == {"roi": "0 0 100% 100%", "size": ""}


@pytest.mark.parametrize(
    ("asked", "level", "detected", "label"),
    [
        ("", "", "person", "person"), ("auto", "1", "other", "other"), ("person", "", "product", "product"),
        ("car", "1", "person", "car"), ("animal", "2", "other", "animal"), ("transportation", "1", "other", "other"),
        ("transportation", "2", "person", "transportation"), ("auto", "latest", "graphics", "graphics"),
        ("graphic", "1", "graphics", "other"), ("person", "none", "person", ""), ("auto", "2", "", "other"),
    ],
)
def test_x_type_is_the_detected_type_or_an_undetectable_hint_in_its_level_s_labels(asked, level, detected, label):
    assert removebg.x_type(asked, level, detected) == label
