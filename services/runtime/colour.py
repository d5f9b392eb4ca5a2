"""sRGB <-> linear light, and colours as clients write them.

Mixing colours (compositing, blurring, matting) is done in linear light: an
sRGB value is not proportional to light, so averaging two of them darkens
every edge ("naive sRGB blending").
"""

from __future__ import annotations

import re

import numpy as np

_CODES = np.arange(256, dtype=np.float64) / 255.0
_TO_LINEAR = np.where(_CODES <= 0.04045, _CODES / 12.92, ((_CODES + 0.055) / 1.055) ** 2.4).astype(np.float32)


def srgb_to_linear(pixels: np.ndarray) -> np.ndarray:
    """uint8 sRGB -> float32 linear light in 0-1."""
    return _TO_LINEAR[pixels]


def linear_to_srgb(linear: np.ndarray) -> np.ndarray:
    """float linear light in 0-1 -> uint8 sRGB."""
    x = np.clip(linear, 0.0, 1.0)
    encoded = np.where(x <= 0.0031308, x * 12.92, 1.055 * np.power(x, 1 / 2.4) - 0.055)
    return (encoded * 255.0 + 0.5).astype(np.uint8)


_HEX = re.compile(r"^#?([0-9a-fA-F]{6}|[0-9a-fA-F]{8}|[0-9a-fA-F]{3})$")


def parse_colour(text: str) -> tuple[int, int, int, int]:
    """"#rrggbb", "#rrggbbaa", "#rgb", "rrggbb" or "r,g,b[,a]" (0-255) -> RGBA; ValueError says what is wrong."""
    text = text.strip()
    match = _HEX.match(text)
    if match:
        digits = match.group(1)
        if len(digits) == 3:
            digits = "".join(c * 2 for c in digits)
        values = [int(digits[i : i + 2], 16) for i in range(0, len(digits), 2)]
        return (*values[:3], values[3] if len(values) == 4 else 255)
    parts = [p.strip() for p in text.split(",")]
    if len(parts) in (3, 4) and all(p.isdigit() and int(p) <= 255 for p in parts):
        values = [int(p) for p in parts]
        return (*values[:3], values[3] if len(values) == 4 else 255)
    raise ValueError(f"{text!r} is not a colour: use #rrggbb, #rrggbbaa or r,g,b[,a] with values 0-255")
