"""Untrusted image bytes: checked from their header before any pixel is decoded.

Used by the gateway (to refuse a bad upload before it is stored or queued) and
by the inference service (to decode what it was given). Only PNG, JPEG and
WebP are accepted, and the pixel count is bounded so that a few KB of PNG
that claims 30000x30000 is refused without allocating its pixels. Decode time
is bounded too: with the pixel cap, the one input whose decode cost grows
without bound is a progressive JPEG with thousands of scans (each scan is a
pass over the coefficients), so the scan count is capped (MAX_JPEG_SCANS).
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import grpc
from PIL import Image, ImageOps

from services.runtime.config import env_int
from services.runtime.errors import ServiceError, invalid

# Pillow name -> (public name, MIME type)
FORMATS = {"PNG": ("png", "image/png"), "JPEG": ("jpeg", "image/jpeg"), "WEBP": ("webp", "image/webp")}
MAGIC = ((b"\x89PNG\r\n\x1a\n", "PNG"), (b"\xff\xd8\xff", "JPEG"))
SUPPORTED_TYPES_MESSAGE = "File type not allowed. Supported types: png, jpg, jpeg, webp"

MAX_PIXELS = env_int("MAX_IMAGE_PIXELS", 40_000_000)
# Encoders write 1 (baseline) to about 10 (progressive) scans; 100 leaves room for custom scan scripts.
MAX_JPEG_SCANS = env_int("MAX_JPEG_SCANS", 100)
# Pillow's own guard, as a second line behind ours.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


@dataclass(frozen=True)
class ImageInfo:
    format: str  # png | jpeg | webp
    content_type: str
    width: int
    height: int


def _sniff(data: bytes) -> str | None:
    for magic, name in MAGIC:
        if data.startswith(magic):
            return name
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def jpeg_scans(data: bytes) -> int:
    """How many scans (SOS markers) a JPEG holds: the header segments are skipped by their
    lengths (metadata may contain any bytes), then SOS markers are counted; entropy-coded
    data stuffs every 0xFF with 0x00, so FF DA appears there only as a marker."""
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            return 0  # malformed: Pillow refuses it
        marker = data[position + 1]
        if marker == 0xFF:
            position += 1  # fill byte
        elif marker == 0xDA:
            return data.count(b"\xff\xda", position)
        else:
            position += 2 + int.from_bytes(data[position + 2 : position + 4], "big")
    return 0


def inspect(data: bytes) -> ImageInfo:
    """Format and size from the header only; raises ServiceError if unacceptable."""
    if _sniff(data) is None:
        raise invalid("INVALID_FILE_TYPE", SUPPORTED_TYPES_MESSAGE)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(FORMATS)) as image:
                fmt, width, height = image.format, image.width, image.height
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_many_pixels() from None
    except Exception:
        raise invalid("INVALID_IMAGE", "The file is not a readable PNG, JPEG or WebP image") from None
    if fmt not in FORMATS:
        raise invalid("INVALID_FILE_TYPE", SUPPORTED_TYPES_MESSAGE)
    if width * height > MAX_PIXELS:
        raise too_many_pixels(width, height)
    if fmt == "JPEG" and (scans := jpeg_scans(data)) > MAX_JPEG_SCANS:
        raise invalid(
            "INVALID_IMAGE",
            f"The JPEG has {scans} scans; at most {MAX_JPEG_SCANS} are accepted: re-save it as a baseline or standard progressive JPEG",
            max_scans=MAX_JPEG_SCANS,
        )
    name, content_type = FORMATS[fmt]
    return ImageInfo(name, content_type, width, height)


def too_many_pixels(width: int | None = None, height: int | None = None) -> ServiceError:
    details = {"max_pixels": MAX_PIXELS}
    if width and height:
        details.update(width=width, height=height)
    return ServiceError(
        grpc.StatusCode.INVALID_ARGUMENT,
        "IMAGE_TOO_LARGE",
        f"Image dimensions exceed the limit of {MAX_PIXELS} pixels; send a smaller image",
        details=details,
        http_status=413,
    )


def decode_rgb(data: bytes, keep_alpha: bool = False) -> Image.Image:
    """Decodes a checked image to RGB (RGBA if it has transparency and `keep_alpha`),
    with its EXIF orientation applied."""
    inspect(data)
    try:
        with Image.open(io.BytesIO(data), formats=list(FORMATS)) as image:
            image.load()
            oriented = ImageOps.exif_transpose(image)
            transparent = oriented.mode in ("RGBA", "LA", "PA") or "transparency" in oriented.info
            return oriented.convert("RGBA" if keep_alpha and transparent else "RGB")
    except ServiceError:
        raise
    except Exception:
        raise invalid("INVALID_IMAGE", "The image is truncated or corrupt and cannot be decoded") from None


def upscale_limit() -> int:
    """The largest upscaled result, in pixels (UPSCALE_MAX_OUTPUT_PIXELS)."""
    return env_int("UPSCALE_MAX_OUTPUT_PIXELS", 32_000_000)


def upscale_too_large(width: int, height: int, scale: int) -> ServiceError:
    limit = upscale_limit()
    return invalid(
        "IMAGE_TOO_LARGE",
        f"A {scale}x upscale of {width}x{height} would be {width * scale}x{height * scale} "
        f"({width * height * scale * scale / 1e6:.1f} MP), above the {limit / 1e6:.0f} MP limit: "
        "send a smaller image or a smaller scale",
        max_output_pixels=limit,
    )


THUMBNAIL = (320, 180)


def thumbnail_key(key: str) -> str:
    return f"{key}.thumb.jpg"


def generated_number(key: str) -> str:
    """Which image of its generation a result key is ("…/<job>-2.png" is "2"): the "<n>"
    of the "<job id>:<n>" ids that generation responses give."""
    return key.rsplit("-", 1)[-1].split(".")[0]


def thumbnail(image: Image.Image) -> bytes:
    """A JPEG within 320x180, aspect kept: what listings show."""
    small = image.convert("RGB")
    small.thumbnail(THUMBNAIL, Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    small.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()
