"""Pre- and post-processing for the segmentation models: pure functions.

The model itself runs on the inference server; these turn an RGB image into
the tensor a model expects and its output back into an alpha mask at the
image's size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)

# seed 000's `quality`: the model's working resolution for models that take
# any size (MODNet), and the filter that scales the mask back up.
QUALITY_SIDE = {"low": 256, "medium": 384, "high": 512, "ultra": 768}
QUALITY_FILTER = {
    "low": Image.Resampling.BILINEAR,
    "medium": Image.Resampling.BILINEAR,
    "high": Image.Resampling.LANCZOS,
    "ultra": Image.Resampling.LANCZOS,
}


@dataclass(frozen=True)
class SegmentationSpec:
    """How to feed one model of the repository and read its output."""

    name: str
    aliases: tuple[str, ...]
    description: str
    # Fixed (width, height) input, or None for any multiple of `multiple`.
    fixed_size: tuple[int, int] | None
    # "imagenet" (max-scaled, mean/std), "symmetric" ((x-127.5)/127.5) or "centred" ((x-128)/256, ISNet's)
    normalisation: str
    # Whether the output must be min-max scaled to 0-1 (U2-Net's saliency map).
    rescale_output: bool
    multiple: int = 32
    # How the photo is scaled to the model's input. Measured on tests/bench/quality_set.py:
    # Lanczos lifts u2netp (IoU 0.667 -> 0.678, boundary F 0.528 -> 0.540, rembg's own figures)
    # and ISNet (boundary F 0.498 -> 0.543: a 600x400 photo blurs when scaled up bilinearly);
    # MODNet loses with it (IoU 0.425 -> 0.364), so it keeps bilinear.
    input_filter: Image.Resampling = Image.Resampling.BILINEAR
    # The enabled model a tier's choice of this one runs when the operator leaves it out.
    fallback: str = ""
    # Working memory of one run on the inference server (footprint.py reserves it).
    server_bytes: int = 0


def input_size(spec: SegmentationSpec, width: int, height: int, quality: str) -> tuple[int, int]:
    if spec.fixed_size:
        return spec.fixed_size
    side = QUALITY_SIDE[quality]
    scale = min(1.0, side / max(width, height))
    return (
        max(spec.multiple, round(width * scale / spec.multiple) * spec.multiple),
        max(spec.multiple, round(height * scale / spec.multiple) * spec.multiple),
    )


def preprocess(spec: SegmentationSpec, image: Image.Image, quality: str = "high") -> np.ndarray:
    """RGB image -> float32 NCHW tensor of batch 1."""
    size = input_size(spec, image.width, image.height, quality)
    resized = np.asarray(image.resize(size, spec.input_filter, reducing_gap=3.0), dtype=np.float32)
    if spec.normalisation == "imagenet":
        scaled = resized / max(float(resized.max()), 1e-6)
        tensor = (scaled - IMAGENET_MEAN) / IMAGENET_STD
    elif spec.normalisation == "centred":
        tensor = (resized - 128.0) / 256.0
    else:
        tensor = (resized - 127.5) / 127.5
    return np.ascontiguousarray(tensor.transpose(2, 0, 1)[np.newaxis], dtype=np.float32)


def to_mask(spec: SegmentationSpec, output: np.ndarray, size: tuple[int, int], quality: str = "high") -> Image.Image:
    """Model output [1,1,h,w] -> 8-bit alpha mask ("L") at `size` (width, height)."""
    prediction = np.asarray(output, dtype=np.float32).reshape(output.shape[-2:])
    if spec.rescale_output:
        low, high = float(prediction.min()), float(prediction.max())
        prediction = (prediction - low) / max(high - low, 1e-6)
    mask = Image.fromarray((np.clip(prediction, 0.0, 1.0) * 255).astype(np.uint8), mode="L")
    return mask.resize(size, QUALITY_FILTER[quality])
