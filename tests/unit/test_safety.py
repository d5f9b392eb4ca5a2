"""The safety detector of seed 004's safetyFilter, on the model repository's own
NudeNet graph: our letterbox and label order must be the ones it was trained
with, or it would pass everything. A portrait is a face, not nudity."""

from __future__ import annotations

import pathlib

import numpy as np
import onnxruntime
import pytest

from services.inference import safety

MODEL = pathlib.Path(__file__).resolve().parents[2] / ".models" / "repository" / safety.MODEL / "1" / "model.onnx"


@pytest.fixture(scope="module")
def detector():
    if not MODEL.exists():
        pytest.fail("the model repository is missing: run `make models` (make test does)")
    session = onnxruntime.InferenceSession(str(MODEL), providers=["CPUExecutionProvider"])
    return lambda rgb: safety.class_scores(session.run(["output0"], {"images": safety.letterbox(rgb)})[0])


def test_a_portrait_is_a_female_face_and_not_unsafe(detector, astronaut):
    scores = detector(astronaut)
    assert scores["FACE_FEMALE"] > 0.5, scores
    assert scores["FACE_FEMALE"] == max(scores.values())
    assert not safety.is_unsafe(scores)


def test_noise_and_flat_images_find_nothing(detector):
    for image in (np.zeros((512, 512, 3), np.uint8), np.random.default_rng(1).integers(0, 256, (384, 640, 3), dtype=np.uint8)):
        scores = detector(image)
        assert max(scores.values()) < 0.3, scores
        assert not safety.is_unsafe(scores)


def test_letterbox_pads_right_and_bottom_to_a_square():
    wide = np.full((100, 200, 3), 255, np.uint8)
    blob = safety.letterbox(wide)
    assert blob.shape == (1, 3, 320, 320) and blob.dtype == np.float32
    assert blob[0, :, :150, :].min() == pytest.approx(1.0) and blob[0, :, 170:, :].max() == 0.0


def test_only_exposed_classes_count(monkeypatch):
    scores = dict.fromkeys(safety.LABELS, 0.0)
    assert not safety.is_unsafe({**scores, "FEMALE_BREAST_COVERED": 0.9, "FACE_MALE": 0.99})
    assert safety.is_unsafe({**scores, "FEMALE_BREAST_EXPOSED": 0.6})
    monkeypatch.setenv("SAFETY_THRESHOLD", "0.7")
    assert not safety.is_unsafe({**scores, "FEMALE_BREAST_EXPOSED": 0.6})
