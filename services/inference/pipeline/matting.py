"""Edge refinement of a segmentation mask: guided-filter matting and colour decontamination.

Segmentation models predict a coarse mask at a few hundred pixels; scaled up,
its edge is soft in the wrong places (it cuts through hair, leaves a rim of
the old background). Two steps fix that, both pure numpy:

1. Alpha matting with a guided filter (He, Sun & Tang, 2010) in the band of
   uncertain pixels: the mask is re-fitted so its edges follow the image's
   edges. Outside that band (sure subject, sure background) it is untouched.
2. Colour decontamination: an edge pixel is a mix I = a*F + (1-a)*B of the
   subject's colour F and the old background B. B is estimated from nearby
   pure-background pixels and F solved for, in linear light, so that on a new
   background no halo of the old one remains.

Memory: above WORK_PIXELS the filters run at a working resolution (k x k
block means) and only per-pixel steps run at full size, in row stripes: the
fast guided filter (He & Sun, 2015) computes its coefficients a, b at the
working resolution and applies q = a*I + b to the full-resolution guide; the
band of uncertain pixels is found per block and upsampled conservatively
(a superset of the full-resolution band); decontamination estimates the old
background at the working resolution. Images at or below it take the
full-resolution path unchanged.
"""


from __future__ import annotations

import numpy as np

from services.runtime.colour import linear_to_srgb, srgb_to_linear
from services.inference.pipeline import filters
from services.inference.pipeline.filters import box_mean

# Largest image matted at full resolution; larger ones are filtered at about this many pixels.
WORK_PIXELS = 2_000_000
# The old background's estimate is a wide, smooth average: a smaller working resolution does.
BACKGROUND_PIXELS = 1_000_000


def guided_filter(guide: np.ndarray, source: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """Edge-preserving smoothing of `source` steered by the grey `guide` (both HxW float32 in 0-1)."""
    mean_a, mean_b = guided_coefficients(guide, source, radius, eps)
    mean_a *= guide
    mean_a += mean_b
    return mean_a


def guided_coefficients(guide: np.ndarray, source: np.ndarray, radius: int, eps: float) -> tuple[np.ndarray, np.ndarray]:
    """The filter's window-averaged linear coefficients: output = a * guide + b."""
    mean_g = box_mean(guide, radius)
    mean_s = box_mean(source, radius)
    cov = box_mean(guide * source, radius) - mean_g * mean_s
    var = box_mean(guide * guide, radius) - mean_g * mean_g
    a = cov / (var + eps)
    del cov, var
    b = mean_s - a * mean_g
    return box_mean(a, radius), box_mean(b, radius)


def _dilate(flags: np.ndarray, radius: int) -> np.ndarray:
    return box_mean(flags.astype(np.float32), radius) > 0


def steepen(alpha: np.ndarray, gain: float) -> np.ndarray:
    """A monotonic S-curve around 0.5: the split stays put, a residual blur in the ramp goes."""
    if gain <= 1:
        return alpha
    low, high = 1 / (1 + np.exp(gain * 2)), 1 / (1 + np.exp(-gain * 2))
    return ((1 / (1 + np.exp(-gain * 4 * (alpha - 0.5))) - low) / (high - low)).astype(np.float32)


def _grey(rgb: np.ndarray) -> np.ndarray:
    """Perceptual grey (edges as the eye sees them), float32."""
    return (srgb_to_linear(rgb).mean(axis=2) ** (1 / 2.2)).astype(np.float32)


def refine_alpha(rgb: np.ndarray, alpha: np.ndarray, strength: int, inplace: bool = False) -> np.ndarray:
    """`strength` 0-100 (seed 000's edge_refinement): how closely the edge follows the image.

    rgb: HxWx3 uint8; alpha: HxW float32 in 0-1. Returns the refined alpha
    (written into `alpha` itself when `inplace`, saving a full-size copy).
    The window is ~0.4% of the image (the scale of a segmentation model's
    upsampled pixels); a higher strength lowers the filter's regularisation
    (eps 1e-2 .. 1e-4) and steepens what blur remains.
    """
    if strength <= 0:
        return alpha
    height, width = alpha.shape
    radius = max(2, round(min(alpha.shape) * 0.004))
    eps = 10 ** (-2 - 2 * strength / 100)
    gain = 1 + strength / 50
    k = filters.block_factor(height * width, WORK_PIXELS)
    if k == 1:
        guide = _grey(rgb)
        uncertain = (alpha > 0.02) & (alpha < 0.98)
        hard_edge = _dilate(alpha > 0.5, 1) & _dilate(alpha <= 0.5, 1)
        band = _dilate(uncertain | hard_edge, radius)
        fitted = np.clip(guided_filter(guide, alpha, radius, eps), 0.0, 1.0)
        fitted = steepen(fitted, gain)
        out = alpha if inplace else alpha.copy()
        np.copyto(out, fitted, where=band)
        return out
    # Pass 1, in stripes: the guide and the mask at the working resolution, and per block
    # whether it holds uncertain pixels, or pixels on both sides of 0.5.
    rows = filters.stripe_rows(width, k)
    low_h, low_w = -(-height // k), -(-width // k)
    guide_low = np.empty((low_h, low_w), np.float32)
    alpha_low = np.empty((low_h, low_w), np.float32)
    uncertain = np.empty((low_h, low_w), bool)
    above = np.empty((low_h, low_w), bool)
    below = np.empty((low_h, low_w), bool)
    col_counts = filters.block_counts(width, k)
    for top, bottom in filters.stripes(height, rows):
        part = slice(top // k, -(-bottom // k))
        counts = np.outer(filters.block_counts(bottom - top, k), col_counts)
        guide_low[part] = filters.block_sum(_grey(rgb[top:bottom]), k) / counts
        a = alpha[top:bottom]
        alpha_low[part] = filters.block_sum(a, k) / counts
        uncertain[part] = filters.block_sum((a > 0.02) & (a < 0.98), k) > 0
        high = filters.block_sum(a > 0.5, k)
        above[part] = high > 0
        below[part] = high < counts
    hard_edge = _dilate(above, 1) & _dilate(below, 1)
    # A full-resolution pixel within `radius` of a flagged one is within radius/k + 1 blocks of its block.
    band_low = _dilate(uncertain | hard_edge, -(-radius // k) + 1)
    del uncertain, above, below, hard_edge
    mean_a, mean_b = guided_coefficients(guide_low, alpha_low, max(1, round(radius / k)), eps)
    del guide_low, alpha_low
    # Pass 2, in stripes: q = a * I + b with the full-resolution guide, inside the band only.
    up_a, up_b, up_band = filters.Upsampler(mean_a, k, width), filters.Upsampler(mean_b, k, width), filters.Upsampler(band_low, k, width)
    out = alpha if inplace else np.empty_like(alpha)
    for top, bottom in filters.stripes(height, rows):
        fitted = up_a.rows(top, bottom)
        fitted *= _grey(rgb[top:bottom])
        fitted += up_b.rows(top, bottom)
        fitted = steepen(np.clip(fitted, 0.0, 1.0, out=fitted), gain)
        out[top:bottom] = np.where(up_band.nearest(top, bottom), fitted, alpha[top:bottom])
    return out


def decontaminate(rgb: np.ndarray, alpha: np.ndarray, radius: int | None = None) -> np.ndarray:
    """The subject's own colours at its edge (HxWx3 uint8), the old background's share removed."""
    height, width = alpha.shape
    radius = radius or max(4, round(min(alpha.shape) * 0.02))
    k = filters.block_factor(height * width, BACKGROUND_PIXELS)
    if k == 1:
        linear = srgb_to_linear(rgb)
        background = (alpha < 0.05).astype(np.float32)[..., None]
        weight = box_mean(background, radius)
        estimate = box_mean(linear * background, radius) / np.maximum(weight, 1e-6)
        return _solve(rgb, linear, alpha, estimate, weight[..., 0])
    # The background's light and share per block, averaged over the window at the working resolution.
    rows = filters.stripe_rows(width, k)
    low_h, low_w = -(-height // k), -(-width // k)
    light = np.empty((low_h, low_w, 3), np.float32)
    share = np.empty((low_h, low_w), np.float32)
    col_counts = filters.block_counts(width, k)
    for top, bottom in filters.stripes(height, rows):
        part = slice(top // k, -(-bottom // k))
        counts = np.outer(filters.block_counts(bottom - top, k), col_counts)
        background = alpha[top:bottom] < 0.05
        light[part] = filters.block_sum(srgb_to_linear(rgb[top:bottom]) * background[..., None], k) / counts[..., None]
        share[part] = filters.block_sum(background, k) / counts
    low_radius = max(1, round(radius / k))
    # Numerator and denominator are upsampled apart: a normalised average, undefined blocks never leak in.
    up_light = filters.Upsampler(box_mean(light, low_radius), k, width)
    up_share = filters.Upsampler(box_mean(share, low_radius), k, width)
    del light, share
    out = np.empty_like(rgb)
    for top, bottom in filters.stripes(height, rows):
        weight = up_share.rows(top, bottom)
        estimate = up_light.rows(top, bottom)
        estimate /= np.maximum(weight, 1e-6)[..., None]
        out[top:bottom] = _solve(rgb[top:bottom], srgb_to_linear(rgb[top:bottom]), alpha[top:bottom], estimate, weight)
    return out


def _solve(rgb: np.ndarray, linear: np.ndarray, alpha: np.ndarray, estimate: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """F from I = a*F + (1-a)*B at the edge pixels whose background is known; others kept (uint8)."""
    a = alpha[..., None]
    solved = (linear - (1.0 - a) * estimate) / np.maximum(a, 0.05)
    edge = (alpha > 0.0) & (alpha < 0.98) & (weight > 1e-3)
    out = rgb.copy()
    out[edge] = linear_to_srgb(np.clip(solved[edge], 0.0, 1.0))
    return out
