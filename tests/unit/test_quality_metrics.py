"""The quality bench's measures on synthetic masks whose answers are known by hand."""

import numpy as np
import pytest

from tests.bench import quality_metrics as qm


def columns(height: int, width: int, *spans: tuple[int, int]) -> np.ndarray:
    """A mask that is 1 in the given column ranges [start, stop)."""
    mask = np.zeros((height, width), np.float32)
    for start, stop in spans:
        mask[:, start:stop] = 1.0
    return mask


def test_iou_of_overlapping_squares_is_a_third():
    truth, predicted = np.zeros((20, 20)), np.zeros((20, 20))
    truth[0:10, 0:10] = 1
    predicted[0:10, 5:15] = 1  # 50 shared of 150 covered
    assert qm.iou(truth, predicted) == pytest.approx(1 / 3)
    assert qm.iou(truth, truth) == 1.0
    assert qm.iou(truth, 1 - truth) == 0.0
    assert qm.iou(np.zeros((4, 4)), np.zeros((4, 4))) == 1.0


def test_iou_cuts_at_one_half():
    truth = np.full((2, 2), 0.5)
    assert qm.iou(truth, np.full((2, 2), 0.49)) == 0.0
    assert qm.iou(truth, np.full((2, 2), 0.51)) == 1.0


def test_mae_overall_and_within_a_region():
    truth = np.ones((4, 4))
    predicted = np.full((4, 4), 0.75)
    predicted[0] = 1.0  # one row exact
    assert qm.mae(truth, predicted) == pytest.approx(0.25 * 12 / 16)
    row = np.zeros((4, 4), bool)
    row[0] = True
    assert qm.mae(truth, predicted, row) == 0.0
    assert qm.mae(truth, predicted, ~row) == pytest.approx(0.25)


def test_boundary_is_the_inner_edge_and_not_the_frame():
    edge = qm.boundary(columns(10, 10, (0, 4)) > 0.5)
    assert edge[:, 3].all() and edge.sum() == 10  # column 3 only: the frame is no edge
    assert not qm.boundary(np.ones((5, 5), bool)).any()


def test_boundary_f_within_and_beyond_the_tolerance():
    truth = columns(40, 60, (0, 30))  # its edge: column 29
    assert qm.boundary_f(truth, truth) == 1.0
    assert qm.boundary_f(truth, columns(40, 60, (0, 33))) == 1.0  # 3 px off: within the tolerance
    assert qm.boundary_f(truth, columns(40, 60, (0, 34))) == 0.0  # 4 px off: beyond it
    assert qm.boundary_f(truth, columns(40, 60, (0, 34)), tolerance=4) == 1.0


def test_boundary_f_is_the_harmonic_mean_of_precision_and_recall():
    truth = columns(40, 60, (0, 30))
    # The right edge, plus a second one far away: precision 1/2, recall 1 -> F = 2/3.
    assert qm.boundary_f(truth, columns(40, 60, (0, 30), (50, 60))) == pytest.approx(2 / 3)
    assert qm.boundary_f(truth, np.zeros((40, 60))) == 0.0
    assert qm.boundary_f(np.zeros((40, 60)), np.zeros((40, 60))) == 1.0


def test_edge_band_holds_soft_pixels_and_the_cut():
    truth = columns(20, 60, (0, 30))
    truth[:, 50] = 0.3  # a strand far from the edge
    band = qm.edge_band(truth, width=2)
    assert band[:, 27:32].all() and band[:, 50].all()
    assert not band[:, 10].any() and not band[:, 40].any()


def test_measure_names_every_column_and_refuses_other_sizes():
    truth = columns(20, 20, (0, 10))
    assert qm.measure(truth, truth) == {"iou": 1.0, "mae": 0.0, "edge_mae": 0.0, "boundary_f": 1.0}
    with pytest.raises(ValueError, match="20 x 10 px, the truth 20 x 20"):
        qm.measure(truth, np.zeros((10, 20)))
