"""How much working memory a background-removal job needs, from its pixel count and options.

The worker reserves this out of its memory budget before decoding, so that
concurrency is limited by memory, not by a count of jobs. The constants are
peak RSS above the idle process, measured with tests/bench/memory.py
(edge_refinement 50, photo-like JPEGs of 1, 4, 12 and 40 MP), rounded up:
at or below matting.WORK_PIXELS the filters run at full resolution (about
160 B per pixel); above it they run at a working resolution of at most a
few MP (a fixed cost) and the per-pixel steps in row stripes (about 22 B
per pixel: the decoded image, its numpy copy, the alpha, the result; runs vary
by ~130 MiB at 40 MP with how malloc reuses freed stripes).

A model whose own run is large (ISNet: ~1.2 GB of activations at 1024x1024 on
onnxruntime, SegmentationSpec.server_bytes) adds that run, whatever the
image's size: the local inference server shares the machine, so with the
default budget an ISNet job runs alone.
"""

from __future__ import annotations

from services.inference import models
from services.inference.pipeline import compose, matting
from services.runtime.errors import ServiceError

MIB = 1 << 20
FULL_RESOLUTION_BYTES_PER_PIXEL = 176
STRIPED_BYTES_PER_PIXEL = 22
STRIPED_FIXED_BYTES = 128 * MIB  # the working-resolution filters and a few stripes' floats
COMPOSITE_FIXED_BYTES = 48 * MIB  # compositing on a colour, an image or a blur: its stripes
BLUR_FIXED_BYTES = 96 * MIB  # the blur at its working resolution
BACKDROP_BYTES_PER_PIXEL = 8  # a full-size backdrop array (blur, image; a colour is a view)
BACKGROUND_IMAGE_BYTES_PER_PIXEL = 8  # fit_cover: the resized RGBA image and its array
# (a 40 MP photo on a 40 MP background image measured 1328 MiB above idle; this estimates 1.6 GiB)
OUTPUT_BYTES_PER_PIXEL = 12  # the RGBA result and its mask as images, per output pixel


def model_bytes(options=None) -> int:
    """The inference server's working memory for the job's model (0 when small or unknown)."""
    try:
        return models.resolve(getattr(options, "model", "")).server_bytes
    except ServiceError:  # the job fails on its model later, with its own error
        return 0


def working_bytes(width: int, height: int, options=None) -> int:
    """Peak working memory, in bytes, of removing the background of a width x height image with
    `options` (a jobs_pb2.RemoveBackgroundOptions, or None for the defaults: cut-out, full size)."""
    size = getattr(options, "size", "") if options is not None else ""
    width, height = compose.capped_size(width, height, size)
    pixels = width * height
    blur = bool(options is not None and options.blur_strength > 0)
    background = bool(options is not None and options.background_key)
    composited = blur or background or bool(options is not None and options.bg_color)
    if pixels <= matting.WORK_PIXELS:
        total = pixels * FULL_RESOLUTION_BYTES_PER_PIXEL
    else:
        total = STRIPED_FIXED_BYTES + pixels * STRIPED_BYTES_PER_PIXEL
        total += COMPOSITE_FIXED_BYTES if composited else 0
        total += BLUR_FIXED_BYTES if blur else 0
        total += pixels * BACKDROP_BYTES_PER_PIXEL if blur or background else 0
    if background:
        total += pixels * BACKGROUND_IMAGE_BYTES_PER_PIXEL
    factor = options.scale if options is not None and options.scale > 1 else 1.0
    if factor > 1:  # a result scaled up is a larger image, with its mask
        total += int(pixels * factor * factor * OUTPUT_BYTES_PER_PIXEL)
    return int(total) + model_bytes(options)
