"""Blurs for float images: box (running sums), near-Gaussian and disc (bokeh);
and the pieces that keep full-resolution work bounded: row stripes, block
means down to a working resolution, and bilinear upsampling back, a stripe at a time."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

# Rows per stripe are chosen so one stripe holds about this many pixels: a few float
# copies of a stripe stay in tens of MB whatever the image's size.
STRIPE_PIXELS = 1 << 20


def _box_sum(array: np.ndarray, radius: int, axis: int) -> np.ndarray:
    """Sum over a 2r+1 window along one axis (the part inside the image), float64 running sums."""
    n = array.shape[axis]
    shape = list(array.shape)
    shape[axis] = n + 1
    table = np.zeros(shape, dtype=np.float64)
    inner = [slice(None)] * array.ndim
    inner[axis] = slice(1, None)
    np.cumsum(array, axis=axis, dtype=np.float64, out=table[tuple(inner)])
    index = np.arange(n)
    total = np.take(table, np.clip(index + radius + 1, 0, n), axis=axis)
    total -= np.take(table, np.clip(index - radius, 0, n), axis=axis)
    return total


def box_mean(array: np.ndarray, radius: int) -> np.ndarray:
    """Mean over a (2r+1)^2 window per pixel (over the part inside the image).

    Separable float64 running sums, one axis at a time: the same means as a
    2-D summed-area table, with about three float64 copies at the peak, not six."""
    if radius <= 0:
        return array.astype(np.float32, copy=True)
    if array.ndim == 3 and array.shape[2] > 1:  # a channel at a time: the float64 sums are one channel's size
        out = np.empty(array.shape, dtype=np.float32)
        for channel in range(array.shape[2]):
            out[..., channel] = box_mean(array[..., channel], radius)
        return out
    height, width = array.shape[:2]
    total = _box_sum(_box_sum(array, radius, 0), radius, 1)
    rows, cols = np.arange(height), np.arange(width)
    row_count = (np.clip(rows + radius + 1, 0, height) - np.clip(rows - radius, 0, height)).astype(np.float64)
    col_count = (np.clip(cols + radius + 1, 0, width) - np.clip(cols - radius, 0, width)).astype(np.float64)
    extra = (1,) * (array.ndim - 2)
    total /= row_count.reshape((height, 1) + extra)
    total /= col_count.reshape((1, width) + extra)
    return total.astype(np.float32)


def stripe_rows(width: int, multiple: int = 1) -> int:
    """Rows per stripe for an image this wide: about STRIPE_PIXELS, a multiple of `multiple`."""
    rows = max(16, STRIPE_PIXELS // max(1, width))
    return max(multiple, rows // multiple * multiple)


def stripes(height: int, rows: int) -> Iterator[tuple[int, int]]:
    for top in range(0, height, rows):
        yield top, min(height, top + rows)


def block_factor(pixels: int, working_pixels: int) -> int:
    """The integer k that brings `pixels` to at most `working_pixels` in k x k blocks (1: already small)."""
    if pixels <= working_pixels:
        return 1
    k = max(2, int(np.ceil(np.sqrt(pixels / working_pixels))))
    return k


def block_sum(array: np.ndarray, k: int) -> np.ndarray:
    """Sums over k x k blocks (partial ones at the bottom and right edge), float32."""
    if k == 1:
        return array.astype(np.float32, copy=False)
    rows = np.add.reduceat(array, np.arange(0, array.shape[0], k), axis=0, dtype=np.float32)
    return np.add.reduceat(rows, np.arange(0, array.shape[1], k), axis=1, dtype=np.float32)


def block_counts(length: int, k: int) -> np.ndarray:
    """How many pixels each block covers along an axis of `length`."""
    return np.diff(np.append(np.arange(0, length, k), length)).astype(np.float32)


class Upsampler:
    """Bilinear upsampling of a low-resolution array (one value per k x k block, at the
    block's centre) back to full resolution, a stripe of rows at a time."""

    def __init__(self, low: np.ndarray, k: int, width: int):
        self.low, self.k = low, k
        self.extra = (1,) * (low.ndim - 2)
        self.cols = self._axis(0, width, low.shape[1])
        self.block_cols = np.arange(width) // k

    def _axis(self, start: int, stop: int, low_length: int):
        position = np.clip((np.arange(start, stop) + 0.5) / self.k - 0.5, 0, low_length - 1)
        first = np.floor(position).astype(np.intp)
        second = np.minimum(first + 1, low_length - 1)
        return first, second, (position - first).astype(np.float32)

    def rows(self, top: int, bottom: int) -> np.ndarray:
        """Rows top..bottom of the upsampled array, float32."""
        r0, r1, wy = self._axis(top, bottom, self.low.shape[0])
        wy = wy.reshape((-1, 1) + self.extra)
        rows = self.low[r0] * (1 - wy)
        rows += self.low[r1] * wy
        c0, c1, wx = self.cols
        wx = wx.reshape((1, -1) + self.extra)
        out = rows[:, c0]
        out *= 1 - wx
        out += rows[:, c1] * wx
        return out

    def nearest(self, top: int, bottom: int) -> np.ndarray:
        """Rows top..bottom, each pixel taking its own block's value (for flags)."""
        return self.low[np.arange(top, bottom) // self.k][:, self.block_cols]


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
