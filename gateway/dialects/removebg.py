"""remove.bg's API v1.0 at /v1.0: the code of protos/backdrop/removebg/v1.

Its clients change only their base URL. A request's parameters come as
multipart, JSON or form fields and are checked here into Backdrop's removal
options (jobs.proto RemoveBackgroundOptions); the removal is the gateway's own
(BackgroundRemoval.submit: checks, charge, store, queue, wait). Errors are
remove.bg's envelope with its codes (services/runtime/envelopes.py); a refused
call is refused before any charge, and a failed job's charge is refunded.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
import urllib.parse
import uuid

import grpc
from google.api import httpbody_pb2
from PIL import ImageColor

from backdrop.billing.v1 import billing_pb2
from backdrop.jobs.v1 import jobs_pb2
from backdrop.removebg.v1 import removebg_pb2, removebg_pb2_grpc
from gateway import multipart, rest
from gateway.process import MB, outcome
from services.billing.catalog import PLANS_FILE, Catalog
from services.runtime import envelopes, identity, images, netguard
from services.runtime.colour import parse_colour
from services.runtime.config import env_int
from services.runtime.errors import ServiceError, file_too_large, invalid

REMOVEBG = envelopes.REMOVEBG
# What remove.bg's sizes are here: (the pipeline's output cap, the price list of plans.json `removebg`).
SIZES = {
    "preview": ("preview", "preview"), "small": ("preview", "preview"), "regular": ("preview", "preview"),
    "medium": ("medium", "full"), "hd": ("hd", "full"), "full": ("25mp", "full"), "4k": ("25mp", "full"),
    "auto": ("25mp", "full"), "50mp": ("full", "full"),
}
FORMATS = {"auto": "", "png": "png", "jpg": "jpg", "jpeg": "jpg", "zip": "zip", "webp": "webp"}
TYPES = ("auto", "person", "product", "car", "animal", "graphic", "transportation")
TYPE_LEVELS = ("none", "1", "2", "latest")
# X-Type's labels at type_level 1, and at 2 (and latest).
LEVEL_1 = ("person", "product", "animal", "car", "other")
LEVEL_2 = (*LEVEL_1, "car_interior", "car_part", "transportation", "graphics")
# Types the caller may name that no classifier here can detect: reported as given.
UNDETECTED = ("car", "animal", "transportation")
CHANNELS = ("rgba", "alpha")
SOURCES = ("image_file", "image_file_b64", "image_url")
FILE_FIELDS = ("image_file", "bg_image_file")  # multipart only
BG_SOURCES = ("bg_color", "bg_image_url", "bg_image_file")
_LENGTH = re.compile(r"^(\d+(?:\.\d+)?)(px|%)?$")
_PERCENT = re.compile(r"^(\d+(?:\.\d+)?)%$")
_HEX4 = re.compile(r"^#?([0-9a-fA-F]{4})$")


def _exchange() -> dict:
    """plans.json's remove.bg prices: the exchange to Backdrop credits, the tier, each size's charge."""
    return json.loads(PLANS_FILE.read_text())["removebg"]


EXCHANGE = _exchange()
CATALOG = Catalog.load()


def tier_for(plan: str, price: str) -> str:
    """A preview runs at plans.json's remove.bg tier (the fast model); every larger size at the
    plan's best tier, whose model is the best the plan allows (ISNet where it includes professional
    or industry). The charge is remove.bg's price of the size either way."""
    if price == "removebg:preview":
        return EXCHANGE["tier"]
    return max(CATALOG.plan(plan)["allowed_tiers"], key=lambda tier: CATALOG.data["tiers"][tier]["credits_per_image"])


# --- parsers: each refuses with remove.bg's code and says what a valid value looks like ------


def flag(value: str, field: str, default: bool) -> bool:
    value = value.strip().lower()
    if not value:
        return default
    if value not in ("true", "false", "1", "0"):
        raise invalid(f"INVALID_{field.upper()}", f"{field} must be true or false", field=field)
    return value in ("true", "1")


def choice(value: str, allowed, field: str, default: str) -> str:
    value = value.strip().lower() or default
    if value not in allowed:
        raise invalid(f"INVALID_{field.upper()}", f"{field} must be one of {', '.join(allowed)}", field=field)
    return value


def size(value: str) -> tuple[str, str]:
    """(the output cap, the price) of `size`; preview by default."""
    return SIZES[choice(value, SIZES, "size", "preview")]


def _lengths(text: str, field: str) -> list[tuple[float, bool]]:
    """Space-separated lengths, each "<n>px", "<n>%" or a bare number (pixels), as (value, percent)."""
    values = []
    for part in text.split():
        match = _LENGTH.match(part.lower())
        if not match:
            raise invalid(f"INVALID_{field.upper()}", f"{field}: {part!r} is not a length like 10px or 10%", field=field)
        values.append((float(match.group(1)), match.group(2) == "%"))
    return values


def roi(value: str, width: int, height: int) -> jobs_pb2.Box | None:
    """"x1 y1 x2 y2" (px or %; remove.bg's own clients send "0 0 100% 100%") as a Box in input pixels;
    None for the whole image."""
    if not value.strip():
        return None
    lengths = _lengths(value, "roi")
    if len(lengths) != 4 or any(percent and v > 100 for v, percent in lengths):
        raise invalid("INVALID_ROI", "roi must be four lengths x1 y1 x2 y2, each in px or % (at most 100%)", field="roi")
    extents = (width, height, width, height)
    x1, y1, x2, y2 = (round(v * extent / 100) if percent else round(v) for (v, percent), extent in zip(lengths, extents))
    if x2 > width or y2 > height:
        raise invalid("ROI_EXCEEDS_BOUNDS", f"roi reaches past the image ({width}x{height})", field="roi")
    if x2 <= x1 or y2 <= y1:
        raise invalid("ROI_REGION_EMPTY", "roi is empty: x2 must be greater than x1 and y2 greater than y1", field="roi")
    if (x1, y1, x2, y2) == (0, 0, width, height):
        return None
    return jobs_pb2.Box(left=x1, top=y1, right=x2, bottom=y2)


def crop_margin(value: str) -> jobs_pb2.Margins | None:
    """1, 2 or 4 lengths in CSS order (all; vertical horizontal; top right bottom left), each at
    most 500px or 50%; None for no margin."""
    lengths = _lengths(value, "crop_margin")
    if not lengths:
        return None
    too_large = any(v > (50 if percent else 500) for v, percent in lengths)
    if len(lengths) not in (1, 2, 4) or too_large:
        raise invalid(
            "INVALID_CROP_MARGIN", "crop_margin must be 1, 2 or 4 lengths, each at most 500px or 50%", field="crop_margin"
        )
    if len(lengths) == 1:
        lengths *= 4
    elif len(lengths) == 2:
        lengths *= 2
    if all(v == 0 for v, _ in lengths):
        return None
    top, right, bottom, left = (jobs_pb2.Length(value=v, percent=p) for v, p in lengths)
    return jobs_pb2.Margins(top=top, right=right, bottom=bottom, left=left)


def bg_color(value: str) -> str:
    """Hex with or without '#' (3, 4, 6 or 8 digits; the last pair alpha) or a colour name, as the
    pipeline's "r,g,b,a"; "" for none."""
    text = value.strip()
    if not text:
        return ""
    short = _HEX4.match(text)
    if short:
        text = "".join(c * 2 for c in short.group(1))
    try:
        rgba = parse_colour(text)
    except ValueError:
        try:
            rgba = ImageColor.getrgb(text.lower())
        except ValueError:
            raise invalid(
                "INVALID_BG_COLOR", f"bg_color {value!r} is not a colour: hex like 81d4fa, fff or 81d4fa80, or a name like green",
                field="bg_color",
            ) from None
        rgba = (*rgba[:3], rgba[3] if len(rgba) == 4 else 255)
    return ",".join(str(c) for c in rgba)


def subject_scale(value: str) -> float:
    """"original" (0) or 10%-100%."""
    text = value.strip().lower()
    if text in ("", "original"):
        return 0.0
    match = _PERCENT.match(text)
    if not match or not 10 <= float(match.group(1)) <= 100:
        raise invalid("INVALID_SCALE", "scale must be original or a percentage from 10% to 100%", field="scale")
    return float(match.group(1)) / 100


def position(value: str) -> jobs_pb2.Position | None:
    """"original" (None), "center", or one or two percentages (horizontal, vertical)."""
    text = value.strip().lower()
    if text in ("", "original"):
        return None
    if text == "center":
        return jobs_pb2.Position(x=0.5, y=0.5)
    parts = [_PERCENT.match(p) for p in text.split()]
    if len(parts) not in (1, 2) or not all(parts) or any(float(p.group(1)) > 100 for p in parts):
        raise invalid("INVALID_POSITION", "position must be original, center, or one or two percentages from 0% to 100%", field="position")
    x = float(parts[0].group(1)) / 100
    return jobs_pb2.Position(x=x, y=float(parts[-1].group(1)) / 100)


# --- requests -------------------------------------------------------------------------


async def fields_of(request: httpbody_pb2.HttpBody) -> tuple[dict[str, str], dict[str, bytes]]:
    """(text fields, files) of a multipart, JSON or x-www-form-urlencoded body."""
    kind = request.content_type.split(";", 1)[0].strip().lower()
    if kind == "multipart/form-data":
        parts = await multipart.parse_async(request.data, request.content_type)
        files = {name: parts[name][0].data for name in FILE_FIELDS if parts.get(name)}
        return {name: found[0].text for name, found in parts.items() if found and name not in FILE_FIELDS}, files
    if kind == "application/json":
        try:
            body = json.loads(request.data or b"{}")
        except (ValueError, RecursionError):  # RecursionError: nesting deeper than any parameter needs
            raise invalid("INVALID_REQUEST", "The body is not valid JSON") from None
        if not isinstance(body, dict):
            raise invalid("INVALID_REQUEST", "The JSON body must be an object of parameters")
        return {k: _text(v) for k, v in body.items() if v is not None}, {}
    if kind in ("application/x-www-form-urlencoded", ""):
        try:
            pairs = urllib.parse.parse_qsl(request.data.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
        except UnicodeDecodeError:
            raise invalid("INVALID_REQUEST", "The form body is not UTF-8") from None
        return dict(pairs), {}
    raise invalid("INVALID_REQUEST", "Send multipart/form-data, application/json or application/x-www-form-urlencoded")


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


async def _fetch(url: str, max_bytes: int, field: str, bad_url: str, failed: str) -> bytes:
    """A URL fetched through the SSRF guard; its errors in remove.bg's codes for `field`."""
    try:
        return await netguard.fetch_async(url, max_bytes, field)
    except ServiceError as error:
        renamed = {"INVALID_URL": bad_url, "URL_FETCH_FAILED": failed}.get(error.reason)
        if renamed is None:
            raise
        raise invalid(renamed, error.message, field=field) from None


async def image_source(texts: dict[str, str], files: dict[str, bytes], max_bytes: int) -> bytes:
    """The one image of image_file, image_file_b64 or image_url."""
    given = [name for name in SOURCES if files.get(name) or texts.get(name, "").strip()]
    if not given:
        raise invalid("MISSING_SOURCE", "No image given: send image_file, image_file_b64 or image_url")
    if len(given) > 1:
        raise invalid("MULTIPLE_SOURCES", f"Send only one image source, not {' and '.join(given)}")
    if given[0] == "image_file":
        data = files["image_file"]
    elif given[0] == "image_file_b64":
        try:
            data = base64.b64decode(texts["image_file_b64"].strip(), validate=False)
        except (binascii.Error, ValueError):
            raise invalid("FAILED_TO_READ_IMAGE", "image_file_b64 is not base64", field="image_file_b64") from None
    else:
        data = await _fetch(texts["image_url"].strip(), max_bytes, "image_url", "INVALID_IMAGE_URL", "FAILED_IMAGE_DOWNLOAD")
    if len(data) > max_bytes:
        raise file_too_large(max_bytes, f"File too large: at most {max_bytes // MB} MB")
    return data


def x_type(asked: str, level: str, detected: str) -> str:
    """X-Type, "" for type_level=none. `detected` is the worker's classification (JobResult.subject_type:
    person, product, graphics or other; README, "remove.bg API"). A `type` naming a class no classifier
    here detects (car, animal, transportation) is the caller's word for the foreground and is reported
    as given; otherwise the detected label, narrowed to type_level's set (1 has no graphics: other)."""
    level = level.strip().lower() or "1"
    if level == "none":
        return ""
    asked = asked.strip().lower()
    labels = LEVEL_1 if level == "1" else LEVEL_2
    hinted = "graphics" if asked == "graphic" else asked
    if hinted in UNDETECTED and hinted in labels:
        return hinted
    return detected if detected in labels else "other"


def credits(backdrop_credits: int) -> float:
    """Backdrop credits as remove.bg credits (plans.json `removebg`)."""
    return backdrop_credits / EXCHANGE["credits_per_removebg_credit"]


class RemoveBg(removebg_pb2_grpc.RemoveBgServicer):
    def __init__(self, gateway):
        # The GatewayServicer: its peers (billing, jobs), store and removal.
        self.gateway = gateway
        self.max_bytes = env_int("REMOVEBG_MAX_FILE_SIZE_MB", 12) * MB

    async def _options(self, caller, texts: dict[str, str], files: dict[str, bytes], info: images.ImageInfo):
        """remove.bg's parameters as Backdrop's removal options, and the price (plans.json `removebg`)."""
        def field(name: str) -> str:
            return texts.get(name, "")

        if flag(field("add_shadow"), "add_shadow", False):
            raise invalid(
                "ADD_SHADOW_NOT_SUPPORTED", "add_shadow is not supported by this server: send add_shadow=false", field="add_shadow"
            )
        flag(field("semitransparency"), "semitransparency", True)  # the model's matte is soft wherever the subject is
        choice(field("type"), TYPES, "type", "auto")
        choice(field("type_level"), TYPE_LEVELS, "type_level", "1")
        cap, price = size(field("size"))
        if field("size").strip().lower() == "auto" and await self._balance(caller) < EXCHANGE["credits"]["full"]:
            cap, price = SIZES["preview"]  # auto: the highest size the credits left pay for
        options = jobs_pb2.RemoveBackgroundOptions(
            size=cap, edge_refinement=50, channels=choice(field("channels"), CHANNELS, "channels", "rgba"),
            crop=flag(field("crop"), "crop", False), subject_scale=subject_scale(field("scale")),
            classify_subject=field("type_level").strip().lower() != "none",
        )
        if options.crop:
            margins = crop_margin(field("crop_margin"))
            if margins is not None:
                options.crop_margins.CopyFrom(margins)
        place = position(field("position"))
        if place is not None:
            options.subject_position.CopyFrom(place)
        box = roi(field("roi"), info.width, info.height)
        if box is not None:
            options.roi.CopyFrom(box)
        backgrounds = [name for name in BG_SOURCES if files.get(name) or field(name).strip()]
        if len(backgrounds) > 1:
            raise invalid("MULTIPLE_BG_SOURCES", f"Send only one background, not {' and '.join(backgrounds)}")
        options.bg_color = bg_color(field("bg_color"))
        if files.get("bg_image_file") or field("bg_image_url").strip():
            options.background_key = await self._background(caller, files.get("bg_image_file"), field("bg_image_url"))
        wanted = choice(field("format"), FORMATS, "format", "auto")
        opaque = bool(options.background_key) or options.bg_color.endswith(",255")  # "r,g,b,a"
        options.output_format = FORMATS[wanted] or ("jpg" if opaque and options.channels == "rgba" else "png")
        if options.output_format == "png" and options.size in ("25mp", "full"):
            options.size = "10mp"  # remove.bg's PNG is at most 10 MP at every size (ZIP and JPG: 25 or 50)
        return options, f"removebg:{price}"

    async def _balance(self, caller) -> int:
        found = await self.gateway.billing.GetCredits(
            billing_pb2.GetCreditsRequest(user_id=caller.user_id, plan=caller.plan, page=1, limit=1)
        )
        return found.balance

    async def _background(self, caller, upload: bytes | None, url: str) -> str:
        data = upload or await _fetch(url.strip(), self.max_bytes, "bg_image_url", "INVALID_BG_IMAGE_URL", "FAILED_BG_DOWNLOAD")
        if len(data) > self.max_bytes:
            raise file_too_large(self.max_bytes, f"bg image too large: at most {self.max_bytes // MB} MB")
        try:
            info = images.inspect(data)
        except ServiceError:
            raise invalid("INVALID_FILE_TYPE", "The background image is not a PNG, JPEG or WebP image", field="bg_image") from None
        key = f"images/{caller.user_id}/img_{uuid.uuid4().hex}"
        await self.gateway.store.put(key, data, info.content_type)
        return key

    @rest.endpoint(REMOVEBG)
    async def RemoveBackground(self, request, context):
        caller = identity.required(context)
        texts, files = await fields_of(request)
        data = await image_source(texts, files, self.max_bytes)
        info = images.inspect(data)
        options, price = await self._options(caller, texts, files, info)
        job, charge = await self.gateway.removal.submit(
            caller, data, options, self.max_bytes, tier=tier_for(caller.plan, price), idempotency_key=rest.idempotency_key(context),
            price=price,
        )
        if not outcome(job):
            raise ServiceError(
                grpc.StatusCode.UNAVAILABLE, "PROCESSING_TIMEOUT", f"The image is still being processed (job {job.id})",
                details={"job_id": job.id}, http_status=503,
            )
        result = job.result
        box = result.foreground
        found = result.HasField("foreground")
        label = x_type(texts.get("type", ""), texts.get("type_level", ""), result.subject_type)
        headers = [
            ("x-credits-charged", f"{credits(charge.credits_charged):g}"),
            ("x-width", str(result.width)), ("x-height", str(result.height)),
            ("x-foreground-top", str(box.top if found else 0)), ("x-foreground-left", str(box.left if found else 0)),
            ("x-foreground-width", str(box.right - box.left if found else 0)),
            ("x-foreground-height", str(box.bottom - box.top if found else 0)),
        ]
        if label:
            headers.append(("x-type", label))
        image = await self.gateway.store.get(result.result_key)
        await context.send_initial_metadata(tuple(headers))
        accept = dict(context.invocation_metadata() or ()).get("accept", "")
        if "application/json" in accept.lower():
            payload = {
                "data": {
                    "result_b64": base64.b64encode(image).decode(), "foreground_top": box.top if found else 0,
                    "foreground_left": box.left if found else 0, "foreground_width": box.right - box.left if found else 0,
                    "foreground_height": box.bottom - box.top if found else 0,
                }
            }
            return httpbody_pb2.HttpBody(content_type="application/json", data=json.dumps(payload).encode())
        return httpbody_pb2.HttpBody(content_type=result.content_type, data=image)

    @rest.endpoint(REMOVEBG)
    async def GetAccount(self, request, context):
        total = credits(await self._balance(identity.required(context)))
        # Backdrop's credits are the plan's (its grants and subscription payments): no pay-as-you-go of their own.
        return removebg_pb2.Account(
            data=removebg_pb2.Account.Data(
                attributes=removebg_pb2.Account.Attributes(
                    credits=removebg_pb2.Account.Credits(total=total, subscription=total, payg=0, enterprise=0),
                    api=removebg_pb2.Account.Api(free_calls=0, sizes="all"),
                )
            )
        )

    @rest.endpoint(REMOVEBG)
    async def Improve(self, request, context):
        """The Improvement Program: the image and its tag under improve/<day>/<user>/ for the operator,
        with a JSON sidecar; at most REMOVEBG_IMPROVE_PER_DAY a day per account."""
        caller = identity.required(context)
        texts, files = await fields_of(request)
        data = await image_source(texts, files, self.max_bytes)
        info = images.inspect(data)
        day = dt.datetime.now(dt.UTC).date().isoformat()
        prefix = f"improve/{day}/{caller.user_id}/"
        if len(await self.gateway.store.list(prefix)) // 2 >= env_int("REMOVEBG_IMPROVE_PER_DAY", 100):
            raise ServiceError(
                grpc.StatusCode.RESOURCE_EXHAUSTED, "RATE_LIMIT_EXCEEDED", "At most REMOVEBG_IMPROVE_PER_DAY images a day",
                http_status=429,
            )
        image_id = str(uuid.uuid4())
        await self.gateway.store.put(f"{prefix}{image_id}.{info.format}", data, info.content_type)
        sidecar = {
            "id": image_id, "user_id": caller.user_id, "tag": texts.get("tag", ""), "image_filename": texts.get("image_filename", ""),
            "content_type": info.content_type, "width": info.width, "height": info.height,
            "created_at": dt.datetime.now(dt.UTC).isoformat(),
        }
        await self.gateway.store.put(f"{prefix}{image_id}.json", json.dumps(sidecar).encode(), "application/json")
        return removebg_pb2.Improvement(id=image_id)
