"""Seed 004's safetyFilter on generated images: NudeNet's detector (the 320n ONNX
graph that ships in the nudenet 3.4.2 wheel; `make models` puts it in the model
repository) runs on the inference server over every image of a generation that
asked for the filter. An image in which it finds exposed nudity is withheld:
stored black and marked `filtered`, as Stable Diffusion's own safety checker does.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from services.inference.triton import InferenceServer
from services.runtime.config import env_float

MODEL = "nudenet-320n"
SIZE = 320
# The detector's classes, in its output's order (nudenet 3.4.2's __labels).
LABELS = (
    "FEMALE_GENITALIA_COVERED", "FACE_FEMALE", "BUTTOCKS_EXPOSED", "FEMALE_BREAST_EXPOSED", "FEMALE_GENITALIA_EXPOSED",
    "MALE_BREAST_EXPOSED", "ANUS_EXPOSED", "FEET_EXPOSED", "BELLY_COVERED", "FEET_COVERED", "ARMPITS_COVERED",
    "ARMPITS_EXPOSED", "FACE_MALE", "BELLY_EXPOSED", "MALE_GENITALIA_EXPOSED", "ANUS_COVERED", "FEMALE_BREAST_COVERED",
    "BUTTOCKS_COVERED",
)
UNSAFE = frozenset(
    {"BUTTOCKS_EXPOSED", "FEMALE_BREAST_EXPOSED", "FEMALE_GENITALIA_EXPOSED", "MALE_GENITALIA_EXPOSED", "ANUS_EXPOSED"}
)


def letterbox(rgb: np.ndarray) -> np.ndarray:
    """The image padded square (right and bottom, black) and scaled to 320x320, as
    NudeNet prepares it: (1, 3, 320, 320) in 0-1."""
    side = max(rgb.shape[:2])
    square = np.zeros((side, side, 3), np.uint8)
    square[: rgb.shape[0], : rgb.shape[1]] = rgb[..., :3]
    small = np.asarray(Image.fromarray(square).resize((SIZE, SIZE), Image.Resampling.BILINEAR), np.float32) / 255.0
    return small.transpose(2, 0, 1)[None]


def class_scores(output: np.ndarray) -> dict[str, float]:
    """Each class's best score over all the detector's candidate boxes ((1, 4 + classes, boxes))."""
    scores = output[0, 4:, :].max(axis=1)
    return {label: float(score) for label, score in zip(LABELS, scores, strict=True)}


def is_unsafe(scores: dict[str, float]) -> bool:
    threshold = env_float("SAFETY_THRESHOLD", 0.5)
    return any(scores[label] >= threshold for label in UNSAFE)


async def scores(server: InferenceServer, rgb: np.ndarray) -> dict[str, float]:
    return class_scores(await server.infer_named(MODEL, {"images": letterbox(rgb)}, "output0"))
