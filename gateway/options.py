"""Image options as clients send them (form fields, JSON), checked into job options.

Every refusal names the field and says what a valid value looks like.
"""

from __future__ import annotations

from collections.abc import Callable

from backdrop.jobs.v1 import jobs_pb2
from services.runtime.colour import parse_colour
from services.runtime.errors import invalid

OUTPUT_FORMATS = {"png": "png", "jpg": "jpg", "jpeg": "jpg", "webp": "webp"}
SIZES = ("preview", "medium", "full")
CHANNELS = ("rgba", "alpha")
BLEND_MODES = ("normal", "multiply", "screen", "overlay")
BLUR_STYLES = ("gaussian", "bokeh")
MAX_SCALE = 4.0
MAX_CROP_MARGIN = 2000


def choice(value: str, allowed, field: str) -> str:
    value = value.strip().lower()
    if value and value not in allowed:
        raise invalid("INVALID_PARAMETER", f"{field} must be one of {', '.join(allowed)}", field=field)
    return value


def number(value: str, field: str, low: float, high: float, default: float) -> float:
    if not value.strip():
        return default
    try:
        parsed = float(value)
    except ValueError:
        parsed = float("nan")
    if not low <= parsed <= high:
        raise invalid("INVALID_PARAMETER", f"{field} must be a number from {low:g} to {high:g}", field=field)
    return parsed


def colour(value: str, field: str) -> str:
    if value.strip():
        try:
            parse_colour(value)
        except ValueError as exc:
            raise invalid("INVALID_PARAMETER", f"{field}: {exc}", field=field) from None
    return value.strip()


def output_format(value: str, field: str = "output_format") -> str:
    value = value.strip().lower()
    if value and value not in OUTPUT_FORMATS:
        raise invalid("INVALID_PARAMETER", "output_format must be png, jpg or webp", field=field)
    return OUTPUT_FORMATS.get(value, "")


def roi(value: str) -> jobs_pb2.Box | None:
    """"left,top,right,bottom" in pixels."""
    if not value.strip():
        return None
    parts = value.split(",")
    try:
        left, top, right, bottom = (int(p) for p in parts)
    except ValueError:
        left = top = right = bottom = -1
    if len(parts) != 4 or min(left, top) < 0 or right <= left or bottom <= top:
        raise invalid("INVALID_PARAMETER", "roi must be left,top,right,bottom in pixels with right > left and bottom > top", field="roi")
    return jobs_pb2.Box(left=left, top=top, right=right, bottom=bottom)


def apply_removal_fields(options: jobs_pb2.RemoveBackgroundOptions, field: Callable[[str], str]) -> None:
    """The remove-background options beyond seed 000's four (rembg, remove.bg and Photoroom's)."""
    options.channels = choice(field("channels"), CHANNELS, "channels")
    options.bg_color = colour(field("bg_color"), "bg_color")
    crop = field("crop").strip().lower()
    if crop not in ("", "true", "false", "1", "0"):
        raise invalid("INVALID_PARAMETER", "crop must be true or false", field="crop")
    options.crop = crop in ("true", "1")
    options.crop_margin = round(number(field("crop_margin"), "crop_margin", 0, MAX_CROP_MARGIN, 0))
    box = roi(field("roi"))
    if box is not None:
        options.roi.CopyFrom(box)
    options.size = choice(field("size"), SIZES, "size")
    options.output_format = output_format(field("output_format"))
    options.output_quality = round(number(field("output_quality"), "output_quality", 1, 100, 0))
    options.scale = number(field("scale"), "scale", 0.05, MAX_SCALE, 1.0)
    options.blend_mode = choice(field("blend_mode"), BLEND_MODES, "blend_mode")
    options.blur_strength = number(field("blur_strength"), "blur_strength", 0, 1, 0)
    options.blur_style = choice(field("blur_style"), BLUR_STYLES, "blur_style")
