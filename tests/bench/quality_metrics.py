"""The measures `make bench-quality` reports: a predicted alpha against the true one.

All take HxW float arrays in 0..1 (the true alpha and a prediction of the same size).
IoU and the boundary F-measure judge the cut (the 0.5 level of each alpha); the mean
absolute error judges the alpha itself, soft edges and semi-transparency included.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

# Boundary tolerance: a predicted edge pixel within this many pixels of the true edge counts
# (about 0.5% of the diagonal of the set's 600x400 images).
BOUNDARY_TOLERANCE_PX = 3
# Edge band: pixels within this distance of the true 0.5 edge, or partly transparent in truth.
EDGE_BAND_PX = 8


def iou(truth: np.ndarray, predicted: np.ndarray) -> float:
    """Intersection over union of the two masks cut at 0.5; two empty masks agree (1.0)."""
    t, p = truth >= 0.5, predicted >= 0.5
    union = np.count_nonzero(t | p)
    return 1.0 if union == 0 else np.count_nonzero(t & p) / union


def mae(truth: np.ndarray, predicted: np.ndarray, where: np.ndarray | None = None) -> float:
    """Mean absolute alpha error (0..1), over all pixels or those in `where`."""
    error = np.abs(truth.astype(np.float64) - predicted.astype(np.float64))
    if where is None:
        return float(error.mean())
    return float(error[where].mean()) if where.any() else 0.0


def edge_band(truth: np.ndarray, width: int = EDGE_BAND_PX) -> np.ndarray:
    """Where matting matters: partly transparent pixels and a band around the 0.5 edge."""
    near = _distance_to(boundary(truth >= 0.5)) <= width
    return near | ((truth > 0.0) & (truth < 1.0))


def boundary(mask: np.ndarray) -> np.ndarray:
    """The mask's edge pixels: inside, with a 4-neighbour outside. The frame is no edge: a subject
    the frame cuts (shoulders) has no boundary there, in truth or prediction."""
    if not mask.any():
        return np.zeros_like(mask, dtype=bool)
    inner = ndimage.binary_erosion(mask, structure=ndimage.generate_binary_structure(2, 1), border_value=1)
    return mask & ~inner


def _distance_to(edge: np.ndarray) -> np.ndarray:
    """Each pixel's Euclidean distance to the nearest edge pixel (infinite when there is none)."""
    if not edge.any():
        return np.full(edge.shape, np.inf)
    return ndimage.distance_transform_edt(~edge)


def boundary_f(truth: np.ndarray, predicted: np.ndarray, tolerance: float = BOUNDARY_TOLERANCE_PX) -> float:
    """Boundary F-measure (Perazzi et al. 2016, DAVIS's F): precision = share of predicted edge
    pixels within `tolerance` px of the true edge, recall = share of true edge pixels within it of
    the predicted edge; their harmonic mean. Both edges empty: 1.0; one empty: 0.0."""
    t, p = boundary(truth >= 0.5), boundary(predicted >= 0.5)
    if not t.any() and not p.any():
        return 1.0
    if not t.any() or not p.any():
        return 0.0
    precision = float(np.mean(_distance_to(t)[p] <= tolerance))
    recall = float(np.mean(_distance_to(p)[t] <= tolerance))
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def measure(truth: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """Every measure of one image, named as the bench's columns."""
    if truth.shape != predicted.shape:
        (h, w), (ph, pw) = truth.shape, predicted.shape
        raise ValueError(f"the prediction is {pw} x {ph} px, the truth {w} x {h}")
    return {
        "iou": iou(truth, predicted),
        "mae": mae(truth, predicted),
        "edge_mae": mae(truth, predicted, edge_band(truth)),
        "boundary_f": boundary_f(truth, predicted),
    }
