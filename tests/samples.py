"""Test inputs built in code: encoded photos and hostile files."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import requests
from PIL import Image


def jpeg(array: np.ndarray, **save) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="JPEG", quality=92, **save)
    return buffer.getvalue()


def png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def warm_style(seed: int) -> bytes:
    """A 64 x 64 warm orange PNG with a brighter block: the 'style' the training tests teach."""
    rng = np.random.default_rng(seed)
    array = np.zeros((64, 64, 3), np.uint8)
    array[...] = (230, 120, 20)
    array[rng.integers(0, 40):, : rng.integers(20, 64)] = (250, 200, 40)
    return png(array)


def pixels(url: str) -> np.ndarray:
    """The RGB pixels of the image at `url` (a signed result link)."""
    response = requests.get(url, timeout=60)
    assert response.status_code == 200, response.text
    return np.asarray(Image.open(io.BytesIO(response.content)).convert("RGB"))


def logo() -> tuple[np.ndarray, np.ndarray]:
    """A rendered two-colour logo: a red disc and a blue bar on white, its alpha hard-edged."""
    rgb = np.full((200, 300, 3), 255, np.uint8)
    yy, xx = np.mgrid[:200, :300]
    disc = (yy - 100) ** 2 + (xx - 80) ** 2 < 50**2
    bar = (yy > 70) & (yy < 130) & (xx > 150) & (xx < 270)
    rgb[disc] = (220, 20, 20)
    rgb[bar] = (20, 40, 200)
    return rgb, np.where(disc | bar, 255, 0).astype(np.uint8)


def png_claiming(width: int, height: int) -> bytes:
    """A few hundred bytes of well-formed PNG whose header claims width x height."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 1024)) + chunk(b"IEND", b"")
