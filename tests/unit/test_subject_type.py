"""remove.bg's X-Type (services/inference/subject.py): the shape and colour rules on
synthetic images, and the person rule on NudeNet's own graph over a real portrait."""

from __future__ import annotations

import pathlib

import numpy as np
import onnxruntime
import pytest

from services.inference import safety, subject
from tests.samples import logo

MODEL = pathlib.Path(__file__).resolve().parents[2] / ".models" / "repository" / safety.MODEL / "1" / "model.onnx"


def test_a_flat_logo_with_hard_edges_is_graphics():
    assert subject.shape_label(*logo()) == "graphics"


def test_a_shaded_compact_object_on_a_plain_background_is_a_product():
    rgb = np.full((200, 200, 3), 240, np.uint8)
    yy, xx = np.mgrid[:200, :200]
    box = (yy > 40) & (yy < 160) & (xx > 60) & (xx < 140)
    shade = (np.random.default_rng(2).integers(0, 256, (200, 200, 3))).astype(np.uint8)
    rgb[box] = shade[box]  # textured, many colours: not a graphic
    alpha = np.where(box, 255, 0).astype(np.uint8)
    assert subject.shape_label(rgb, alpha) == "product"


def test_a_busy_background_or_no_subject_is_other():
    rgb = np.random.default_rng(3).integers(0, 256, (200, 200, 3), dtype=np.uint8)
    alpha = np.zeros((200, 200), np.uint8)
    assert subject.shape_label(rgb, alpha) == "other"
    alpha[50:150, 50:150] = 255
    assert subject.shape_label(rgb, alpha) == "other"  # the background is not plain


def test_the_astronaut_is_a_person_and_a_logo_is_not():
    if not MODEL.exists():
        pytest.fail("the model repository is missing: run `make models` (make test does)")
    from skimage import data

    session = onnxruntime.InferenceSession(str(MODEL), providers=["CPUExecutionProvider"])

    def scores(rgb):
        return safety.class_scores(session.run(["output0"], {"images": safety.letterbox(rgb)})[0])

    assert subject.is_person(scores(data.astronaut()))
    assert not subject.is_person(scores(logo()[0]))
