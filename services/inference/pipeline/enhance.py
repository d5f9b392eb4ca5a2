"""seed 004's quality enhancement: classical image operations, no model.

denoise is an edge-preserving guided filter (each channel guided by itself),
sharpen an unsharp mask, color-correct a grey-world white balance in linear
light followed by a 0.5% levels stretch. `strength` (0.1-1) blends each
result with its input.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter, ImageOps

from services.runtime.colour import linear_to_srgb, srgb_to_linear
from services.inference.pipeline.matting import guided_filter

ENHANCEMENTS = ("denoise", "sharpen", "color-correct", "all")


def _mix(original: np.ndarray, processed: np.ndarray, strength: float) -> np.ndarray:
    return np.clip(original * (1 - strength) + processed * strength + 0.5, 0, 255).astype(np.uint8)


def denoise(rgb: np.ndarray, strength: float) -> np.ndarray:
    radius = max(1, round(min(rgb.shape[:2]) * 0.004))
    eps = (0.02 + 0.06 * strength) ** 2
    unit = rgb.astype(np.float32) / 255.0
    smoothed = np.stack([guided_filter(unit[..., c], unit[..., c], radius, eps) for c in range(3)], axis=2)
    return _mix(rgb.astype(np.float32), np.clip(smoothed, 0, 1) * 255.0, strength)


def sharpen(rgb: np.ndarray, strength: float) -> np.ndarray:
    image = Image.fromarray(rgb).filter(ImageFilter.UnsharpMask(radius=2, percent=round(50 + 150 * strength), threshold=2))
    return np.asarray(image)


def color_correct(rgb: np.ndarray, strength: float) -> np.ndarray:
    linear = srgb_to_linear(rgb)
    means = linear.reshape(-1, 3).mean(axis=0)
    balanced = linear_to_srgb(linear * (means.mean() / np.maximum(means, 1e-4)))
    stretched = np.asarray(ImageOps.autocontrast(Image.fromarray(balanced), cutoff=0.5))
    return _mix(rgb.astype(np.float32), stretched.astype(np.float32), strength)


def enhance(rgb: np.ndarray, enhancement: str, strength: float) -> np.ndarray:
    steps = {"denoise": (denoise,), "sharpen": (sharpen,), "color-correct": (color_correct,)}
    for step in steps.get(enhancement, (color_correct, denoise, sharpen)):
        rgb = step(rgb, strength)
    return rgb
