"""Blurs for float images: box (summed-area tables), near-Gaussian and disc (bokeh)."""

from __future__ import annotations

import numpy as np


def box_mean(array: np.ndarray, radius: int) -> np.ndarray:
    """Mean over a (2r+1)^2 window per pixel (over the part inside the image), via summed-area tables."""
    if radius <= 0:
        return array.astype(np.float32, copy=True)
    height, width = array.shape[:2]
    extra = array.shape[2:]
    table = np.zeros((height + 1, width + 1, *extra), dtype=np.float64)
    table[1:, 1:] = array.cumsum(0).cumsum(1)
    rows = np.arange(height)
    cols = np.arange(width)
    top, bottom = np.clip(rows - radius, 0, height), np.clip(rows + radius + 1, 0, height)
    left, right = np.clip(cols - radius, 0, width), np.clip(cols + radius + 1, 0, width)
    total = table[bottom][:, right] - table[top][:, right] - table[bottom][:, left] + table[top][:, left]
    count = ((bottom - top)[:, None] * (right - left)[None, :]).astype(np.float64)
    if extra:
        count = count.reshape(count.shape + (1,) * len(extra))
    return (total / count).astype(np.float32)


def gaussian(array: np.ndarray, sigma: float) -> np.ndarray:
    """Three box passes: within a few percent of a Gaussian of this sigma (central limit)."""
    radius = max(0, round((np.sqrt(4 * sigma * sigma + 1) - 1) / 2))  # three boxes of width 2r+1 have variance ~ sigma^2
    for _ in range(3):
        array = box_mean(array, radius)
    return array


def disc(array: np.ndarray, radius: int) -> np.ndarray:
    """Convolution with a flat disc, as a lens renders out-of-focus light (bokeh); edges replicated."""
    if radius <= 0:
        return array
    yy, xx = np.mgrid[-radius : radius + 1, -radius : radius + 1]
    kernel = (xx * xx + yy * yy <= radius * radius).astype(np.float32)
    kernel /= kernel.sum()
    pad = [(radius, radius), (radius, radius)] + [(0, 0)] * (array.ndim - 2)
    padded = np.pad(array, pad, mode="edge")
    shape = (padded.shape[0] + 2 * radius, padded.shape[1] + 2 * radius)
    spectrum_k = np.fft.rfft2(kernel, shape)
    if array.ndim == 3:
        spectrum_k = spectrum_k[..., None]
    spectrum = np.fft.rfft2(padded, shape, axes=(0, 1)) * spectrum_k
    full = np.fft.irfft2(spectrum, shape, axes=(0, 1))
    height, width = array.shape[:2]
    return full[2 * radius : 2 * radius + height, 2 * radius : 2 * radius + width].astype(np.float32)
