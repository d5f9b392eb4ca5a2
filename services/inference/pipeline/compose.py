"""Turning an image and its alpha into the delivered file: cut out, composited
on a colour, an image or its own blurred background, cropped, sized, encoded.

Compositing is done in linear light with premultiplied alpha (Porter-Duff
"over", blend modes as in the W3C Compositing spec); only the final pixels
are encoded back to sRGB.
"""

from __future__ import annotations

import io
import zipfile

import numpy as np
from PIL import Image

from services.inference.pipeline import filters
from services.runtime.colour import linear_to_srgb, srgb_to_linear
from services.runtime.config import env_int

# zlib level 1 is several times faster than Pillow's default 6 for ~15% more bytes.
PNG_COMPRESS_LEVEL = env_int("PNG_COMPRESS_LEVEL", 1)
# remove.bg's sizes: preview is at most 0.25 megapixels, medium 1.5, hd 4, full 25 (10 as a PNG).
SIZE_PIXELS = {"preview": 250_000, "medium": 1_500_000, "hd": 4_000_000, "10mp": 10_000_000, "25mp": 25_000_000, "full": 0}
BLEND_MODES = ("normal", "multiply", "screen", "overlay")
FORMATS = {
    "png": ("PNG", "image/png"), "jpg": ("JPEG", "image/jpeg"), "webp": ("WEBP", "image/webp"), "zip": ("ZIP", "application/zip"),
}
# remove.bg's crop_margin: at most 500 pixels, or 50% of the subject, per side.
MAX_MARGIN_PIXELS, MAX_MARGIN_PERCENT = 500, 50.0


def alpha8(alpha: np.ndarray) -> np.ndarray:
    """The alpha at the 8 bits it is delivered in (HxW uint8), a stripe at a time: no full-size float copy."""
    out = np.empty(alpha.shape, dtype=np.uint8)
    for top, bottom in filters.stripes(alpha.shape[0], filters.stripe_rows(alpha.shape[1])):
        part = np.clip(alpha[top:bottom], 0.0, 1.0) * 255.0
        out[top:bottom] = np.round(part, out=part)
    return out


def cutout(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """HxWx4 uint8: the colours with alpha; fully transparent pixels zeroed, so
    nothing of the old background hides in them (and the PNG is smaller)."""
    a8 = alpha8(alpha)
    out = np.zeros((*alpha.shape, 4), dtype=np.uint8)
    np.copyto(out[..., :3], rgb, where=(a8 > 0)[..., None])
    out[..., 3] = a8
    return out


def solid(size: tuple[int, int], rgba: tuple[int, int, int, int]) -> np.ndarray:
    """A read-only HxWx4 view of one colour: the size of a pixel, whatever the image's."""
    width, height = size
    return np.broadcast_to(np.array(rgba, dtype=np.uint8), (height, width, 4))


def fit_cover(background: Image.Image, size: tuple[int, int]) -> np.ndarray:
    """The background scaled to cover `size` (width, height) and centre-cropped: HxWx4 uint8."""
    width, height = size
    scale = max(width / background.width, height / background.height)
    scaled_size = (max(width, round(background.width * scale)), max(height, round(background.height * scale)))
    resized = background.convert("RGBA").resize(scaled_size, Image.Resampling.LANCZOS)
    left = (scaled_size[0] - width) // 2
    top = (scaled_size[1] - height) // 2
    pixels = np.asarray(resized)
    del resized
    return pixels[top : top + height, left : left + width]  # a view: the crop costs no copy


def _blend(source: np.ndarray, backdrop: np.ndarray, mode: str) -> np.ndarray:
    if mode == "multiply":
        return source * backdrop
    if mode == "screen":
        return source + backdrop - source * backdrop
    if mode == "overlay":
        return np.where(backdrop <= 0.5, 2 * source * backdrop, 1 - 2 * (1 - source) * (1 - backdrop))
    return source


def composite(rgb: np.ndarray, alpha: np.ndarray, background: np.ndarray, mode: str = "normal") -> np.ndarray:
    """The subject (rgb with alpha) over `background` (HxWx4 uint8): HxWx4 uint8.

    Linear light, premultiplied: out_a = a_s + a_b(1 - a_s) and
    out_c * out_a = a_s * C + a_b(1 - a_s) * C_b, where C is the subject's
    colour blended with the backdrop: (1 - a_b) C_s + a_b B(C_b, C_s).
    Per-pixel, so done in row stripes: the float copies are a stripe's size.
    """
    out = np.empty((*alpha.shape, 4), dtype=np.uint8)
    for top, bottom in filters.stripes(alpha.shape[0], filters.stripe_rows(alpha.shape[1])):
        out[top:bottom] = _composite(rgb[top:bottom], alpha[top:bottom], background[top:bottom], mode)
    return out


def _composite(rgb: np.ndarray, alpha: np.ndarray, background: np.ndarray, mode: str) -> np.ndarray:
    source = srgb_to_linear(rgb)
    backdrop = srgb_to_linear(background[..., :3])
    # The alpha at the 8 bits it is delivered in: where a cut-out would be transparent, only background shows.
    a_s = (np.round(np.clip(alpha, 0.0, 1.0) * 255.0) / 255.0)[..., None].astype(np.float32)
    a_b = background[..., 3:4].astype(np.float32) / 255.0
    colour = (1 - a_b) * source + a_b * _blend(source, backdrop, mode)
    out_a = a_s + a_b * (1 - a_s)
    premultiplied = a_s * colour + a_b * (1 - a_s) * backdrop
    out = np.empty((*alpha.shape, 4), dtype=np.uint8)
    out[..., :3] = linear_to_srgb(premultiplied / np.maximum(out_a, 1e-6))
    out[..., 3] = np.round(out_a[..., 0] * 255.0).astype(np.uint8)
    return out


# Largest image blurred at full resolution; a larger one's background is blurred at about
# BLUR_PIXELS and upsampled (a blur of a few % of the image loses nothing to it).
BLUR_FULL_PIXELS = 2_000_000
BLUR_PIXELS = 1_000_000


def blurred_background(rgb: np.ndarray, alpha: np.ndarray, strength: float, style: str = "gaussian") -> np.ndarray:
    """The image's own background, subject removed, blurred (HxWx4 uint8, opaque).

    A normalised blur: only pure background pixels are averaged, so the
    subject's colours (also those mixed into its soft edge) do not bleed into
    a halo around it. strength 0-1 sets the blur to up to 3% of the image's
    longer side.
    """
    height, width = alpha.shape
    radius = max(1.0, strength * 0.03 * max(alpha.shape))
    k = 1 if height * width <= BLUR_FULL_PIXELS else filters.block_factor(height * width, BLUR_PIXELS)
    rows = filters.stripe_rows(width, k)
    if k == 1:
        weight = (alpha < 0.02)[..., None].astype(np.float32)
        light = srgb_to_linear(rgb) * weight
    else:
        # Block means of the background's light and share; the blur's radius shrinks with them.
        weight = np.empty((-(-height // k), -(-width // k), 1), np.float32)
        light = np.empty((*weight.shape[:2], 3), np.float32)
        col_counts = filters.block_counts(width, k)
        for top, bottom in filters.stripes(height, rows):
            part = slice(top // k, -(-bottom // k))
            counts = np.outer(filters.block_counts(bottom - top, k), col_counts)[..., None]
            share = (alpha[top:bottom] < 0.02)[..., None]
            light[part] = filters.block_sum(srgb_to_linear(rgb[top:bottom]) * share, k) / counts
            weight[part] = filters.block_sum(share, k) / counts
        radius = max(1.0, radius / k)
    if style == "bokeh":
        blurred, norm = filters.disc(light, round(radius)), filters.disc(weight, round(radius))
    else:
        blurred, norm = filters.gaussian(light, radius / 2), filters.gaussian(weight, radius / 2)
    del light, weight
    out = np.empty((*alpha.shape, 4), dtype=np.uint8)
    out[..., 3] = 255
    if k == 1:
        out[..., :3] = linear_to_srgb(blurred / np.maximum(norm, 1e-4))
        return out
    # Numerator and denominator upsampled apart, so a block without background adds nothing.
    up_light, up_norm = filters.Upsampler(blurred, k, width), filters.Upsampler(norm, k, width)
    for top, bottom in filters.stripes(height, rows):
        part = up_light.rows(top, bottom)
        part /= np.maximum(up_norm.rows(top, bottom), 1e-4)
        out[top:bottom, :, :3] = linear_to_srgb(part)
    return out


# Alpha below this (2 %) shows on no background: such pixels (a model's faint halo) are not the
# subject's box, which crop, scale, position and the X-Foreground-* headers use.
VISIBLE_ALPHA = 5


def subject_box(alpha: np.ndarray, margin: int) -> tuple[int, int, int, int] | None:
    """(left, top, right, bottom) of the visible pixels (uint8 alpha above VISIBLE_ALPHA, or its
    fraction of 1 for float alpha), widened by `margin`, within the image."""
    visible = alpha > (VISIBLE_ALPHA if alpha.dtype == np.uint8 else VISIBLE_ALPHA / 255)
    rows = np.flatnonzero(visible.any(axis=1))
    cols = np.flatnonzero(visible.any(axis=0))
    del visible
    if rows.size == 0:
        return None
    height, width = alpha.shape
    return (
        max(0, int(cols[0]) - margin),
        max(0, int(rows[0]) - margin),
        min(width, int(cols[-1]) + 1 + margin),
        min(height, int(rows[-1]) + 1 + margin),
    )


def margin_box(alpha: np.ndarray, margins) -> tuple[int, int, int, int] | None:
    """The subject's box widened per side by `margins` (jobs.proto Margins: pixels, or percent of the
    subject's width for left/right and height for top/bottom), within the image."""
    box = subject_box(alpha, 0)
    if box is None:
        return None
    left, top, right, bottom = box

    def side(length, extent: int) -> int:
        return round(extent * length.value / 100) if length.percent else round(length.value)

    width, height = right - left, bottom - top
    return (
        max(0, left - side(margins.left, width)),
        max(0, top - side(margins.top, height)),
        min(alpha.shape[1], right + side(margins.right, width)),
        min(alpha.shape[0], bottom + side(margins.bottom, height)),
    )


def place_subject(
    rgb: np.ndarray, alpha: np.ndarray, scale: float, position: tuple[float, float] | None
) -> tuple[np.ndarray, np.ndarray]:
    """remove.bg's scale and position: the subject (its box in `alpha`) resized to `scale` of the
    image (0: as it is; 1: as large as fits) and moved to `position` (0-1 of the room left across
    and down; None: where it was). The same size of image back; the room around is transparent."""
    box = subject_box(alpha, 0)
    if box is None or (not scale and position is None):
        return rgb, alpha
    left, top, right, bottom = box
    height, width = alpha.shape
    sub_w, sub_h = right - left, bottom - top
    if scale:
        factor = scale * min(width / sub_w, height / sub_h)
        size = (min(width, max(1, round(sub_w * factor))), min(height, max(1, round(sub_h * factor))))
    else:
        size = (sub_w, sub_h)
    x, y = position if position is not None else (0.5, 0.5)  # a scaled subject is centred unless told
    new_left, new_top = round((width - size[0]) * x), round((height - size[1]) * y)
    colours = Image.fromarray(np.ascontiguousarray(rgb[top:bottom, left:right])).resize(size, Image.Resampling.LANCZOS)
    matte = Image.fromarray(alpha[top:bottom, left:right].astype(np.float32), mode="F").resize(size, Image.Resampling.BILINEAR)
    out_rgb = np.zeros_like(rgb)
    out_alpha = np.zeros_like(alpha)
    out_rgb[new_top : new_top + size[1], new_left : new_left + size[0]] = np.asarray(colours)
    out_alpha[new_top : new_top + size[1], new_left : new_left + size[0]] = np.clip(np.asarray(matte), 0.0, 1.0)
    return out_rgb, out_alpha


def capped_size(width: int, height: int, size: str) -> tuple[int, int]:
    """(width, height) scaled down, aspect kept, to the pixel cap of `size`."""
    limit = SIZE_PIXELS.get(size or "full", 0)
    if not limit or width * height <= limit:
        return width, height
    factor = (limit / (width * height)) ** 0.5
    return max(1, int(width * factor)), max(1, int(height * factor))


def scaled(image: Image.Image, factor: float) -> Image.Image:
    """The result at `factor` times its size (seed 003's scale); 0 or 1 leaves it."""
    if not factor or factor == 1:
        return image
    size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
    return image.resize(size, Image.Resampling.LANCZOS)


def encode(image: Image.Image, output_format: str = "png", quality: int = 0, matte=(255, 255, 255)) -> tuple[bytes, str]:
    """(bytes, content type). JPEG has no alpha: a transparent image is flattened on `matte`."""
    pil_format, content_type = FORMATS[output_format or "png"]
    buffer = io.BytesIO()
    if pil_format == "ZIP":
        return zipped(image, quality), content_type
    if pil_format == "PNG":
        image.save(buffer, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    else:
        if pil_format == "JPEG" and image.mode in ("RGBA", "LA"):
            flat = Image.new("RGB", image.size, matte)
            flat.paste(image, mask=image.getchannel("A"))
            image = flat
        image.save(buffer, format=pil_format, quality=quality or (95 if pil_format == "JPEG" else 90))
    return buffer.getvalue(), content_type


def encode_png(image: Image.Image) -> bytes:
    return encode(image, "png")[0]


def zipped(image: Image.Image, quality: int = 0) -> bytes:
    """remove.bg's ZIP format: color.jpg (the colours, no alpha) and alpha.png (the matte)."""
    matte = image if image.mode == "L" else image.convert("RGBA").getchannel("A")  # channels=alpha: the matte itself
    colour, alpha = io.BytesIO(), io.BytesIO()
    image.convert("RGB").save(colour, format="JPEG", quality=quality or 95)
    matte.save(alpha, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("color.jpg", colour.getvalue())
        archive.writestr("alpha.png", alpha.getvalue())
    return buffer.getvalue()
