"""remove.bg's X-Type: what the subject is, for removals from the remove.bg dialect
(RemoveBackgroundOptions.classify_subject). Only labels we can defend: NudeNet's detector
(already on the inference server for the safety filter) finding a face or a body part ->
person; else the image and the mask's shape: few colours with hard alpha edges -> graphics;
one compact opaque object on a plain background -> product; anything else -> other. No car or
animal classifier ships in a package here, so those labels are never guessed (README, remove.bg).
"""

from __future__ import annotations

import numpy as np

from services.runtime.config import env_float

PERSON = frozenset({"FACE_FEMALE", "FACE_MALE", "FEMALE_BREAST_COVERED", "MALE_BREAST_EXPOSED", "BELLY_EXPOSED",
                    "BELLY_COVERED", "ARMPITS_EXPOSED", "ARMPITS_COVERED", "FEET_EXPOSED"})


def is_person(scores: dict[str, float]) -> bool:
    threshold = env_float("SUBJECT_PERSON_THRESHOLD", 0.5)
    return any(scores[label] >= threshold for label in PERSON)


def shape_label(rgb: np.ndarray, alpha8: np.ndarray) -> str:
    """graphics | product | other from the pixels and the mask alone (no model)."""
    subject = alpha8 > 127
    covered = subject.mean()
    if covered < 0.01:
        return "other"
    # Hard edges: almost no half-transparent pixels around the subject.
    soft = ((alpha8 > 16) & (alpha8 < 240)).sum() / max(1, subject.sum())
    # Few colours: the 4-bit-per-channel palette of the whole image is dominated by a handful.
    q = (rgb[..., :3] >> 4).astype(np.int32)
    codes = (q[..., 0] << 8) | (q[..., 1] << 4) | q[..., 2]
    counts = np.sort(np.bincount(codes.ravel(), minlength=4096))[::-1]
    flat = counts[:8].sum() / codes.size
    if flat > 0.95 and soft < 0.05:
        return "graphics"
    # One compact opaque object on a plain background.
    rows, cols = np.nonzero(subject)
    box = (rows.max() - rows.min() + 1) * (cols.max() - cols.min() + 1)
    fill = subject.sum() / box
    background = rgb[..., :3][~subject]
    plain = background.size > 0 and float(background.std(axis=0).max()) < 12.0
    if plain and fill > 0.5 and covered < 0.9:
        return "product"
    return "other"

