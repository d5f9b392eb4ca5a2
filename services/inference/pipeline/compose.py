"""Turning an image and its alpha mask into the delivered files."""

from __future__ import annotations

import io

from PIL import Image

from services.runtime.config import env_int

# zlib level 1 is several times faster than Pillow's default 6 for ~15% more bytes.
PNG_COMPRESS_LEVEL = env_int("PNG_COMPRESS_LEVEL", 1)


def cutout(image: Image.Image, mask: Image.Image) -> Image.Image:
    """RGBA: the image's colours with the mask as alpha.

    Fully transparent pixels are zeroed: nothing of the old background hides
    in them, and the PNG compresses faster and smaller.
    """
    visible = mask.point([0] + [255] * 255)
    rgba = Image.new("RGBA", image.size, (0, 0, 0, 0))
    rgba.paste(image.convert("RGB"), mask=visible)
    rgba.putalpha(mask)
    return rgba


def encode_png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    return buffer.getvalue()
