"""Background removal for a video: decode, segment in batches, steady the masks, composite, encode.

Frames whose picture has not changed since the last frame the model saw take its mask, and
frames that are that picture moved as a whole (a camera pan) take its mask moved the same way
(`KeyFrames`, at most `reuse` in a row), so a still shot or a pan costs a fraction of its frames.

Three stages overlap: ffmpeg decodes in one thread, the model server segments a
batch of frames per request (the model's max_batch_size), and ffmpeg encodes in
another thread from a bounded queue; memory holds a few batches whatever the
clip's length. The model runs only on the inference server (the `infer`
coroutine given in); everything here is CPU pre- and post-processing.

Temporal stability: a segmentation model sees each frame alone, so on a still
subject its mask wobbles from frame to frame (the edge moves a pixel, a soft
region flickers). `Smoother` blends each new mask with the previous (smoothed)
one where the picture did not move: weight `strength` where the frame-to-frame
change of the blurred, downscaled grey image is zero, falling to 0 at
`motion_threshold`; where something moved the new mask is taken as it is, so
motion does not leave a trail. `flicker` measures the result: the mean
|alpha_t - alpha_{t-1}| over the pixels that did not move.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

from services.inference.pipeline import compose, ffmpeg, segmentation

# Pixels of the grey image motion is measured on (its long side).
MOTION_SIDE = 96
# A pan is measured finer: at this long side, lightly blurred, sub-pixel moves stay exact
# (measured: within 0.25 px of a 1280 px frame's shift, 99th-percentile residual <= 0.014).
PAN_SIDE = 320
# The largest pan a mask may follow from the last frame the model saw (share of each side).
MAX_PAN = 0.08


@dataclass(frozen=True)
class VideoOptions:
    output_format: str = "webm"  # ffmpeg.FORMATS
    quality: str = "high"  # the segmentation quality (seed 000's)
    bg_color: tuple[int, int, int, int] | None = None  # mp4/gif: the colour behind the subject
    background: np.ndarray | None = None  # mp4: an HxWx4 image behind the subject (fitted already)
    blur_strength: float = 0.0  # mp4: the frame's own background, blurred
    smoothing: float = 0.6  # 0: per-frame masks as the model gives them
    reuse: int = 2  # frames in a row that may take the last model-run mask, moved with a pan (0: none)
    keep_audio: bool = True
    batch: int = 8


def _grey_small(rgb: np.ndarray) -> np.ndarray:
    """The frame as a small, blurred grey image (0-1): what motion is measured on."""
    height, width = rgb.shape[:2]
    scale = MOTION_SIDE / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    grey = Image.fromarray(rgb).convert("L").resize(size, Image.Resampling.BOX)
    return np.asarray(grey, dtype=np.float32) / 255.0


class Smoother:
    """Blends each frame's mask with the last one where the picture is still (see the module)."""

    def __init__(self, strength: float = 0.6, motion_threshold: float = 0.06):
        self.strength = float(np.clip(strength, 0.0, 0.95))
        self.threshold = motion_threshold
        self._grey: np.ndarray | None = None
        self._alpha: np.ndarray | None = None

    def step(self, rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
        """alpha: HxW float32 0-1 for the frame `rgb`; returns the steadied alpha."""
        grey = _grey_small(rgb)
        if self.strength <= 0 or self._alpha is None or self._alpha.shape != alpha.shape:
            out = alpha
        else:
            motion = np.abs(grey - self._grey)
            still = np.clip(1.0 - motion / self.threshold, 0.0, 1.0) * self.strength
            weight = np.asarray(Image.fromarray(still).resize((alpha.shape[1], alpha.shape[0]), Image.Resampling.BILINEAR))
            out = alpha + weight * (self._alpha - alpha)
        self._grey, self._alpha = grey, out
        return out


class KeyFrames:
    """Which frames the model must see. A frame whose picture matches the last one the model
    saw (the 99th percentile of its blurred grey pixels' change under `threshold`) takes that
    frame's mask; one that matches it moved as a whole (a pan, found by phase correlation and
    checked by the same test after moving it back) takes that mask moved as far. At most `reuse`
    frames in a row: a still shot or a pan needs a model run for one frame in reuse + 1, and a
    subject that moves against its background is segmented as it comes."""

    def __init__(self, reuse: int = 2, threshold: float = 0.03):
        self.reuse, self.threshold = max(0, reuse), threshold
        self._key: np.ndarray | None = None  # the last frame the model saw
        self._grey: np.ndarray | None = None  # its grey picture, small (the still test)
        self._fine: np.ndarray | None = None  # and finer (the pan test), made when first needed
        self._since = 0

    def plan(self, rgb: np.ndarray) -> tuple[float, float] | None:
        """None: the model must see this frame. (dy, dx): take the last model frame's mask
        moved by that many of this frame's pixels ((0, 0) for a still picture)."""
        grey = _grey_small(rgb)
        move = None
        if self._grey is not None and self._since < self.reuse and self._grey.shape == grey.shape:
            if _change(grey, self._grey) <= self.threshold:
                move = (0.0, 0.0)
            else:
                move = self._pan(rgb)
        if move is None:
            self._key, self._grey, self._fine, self._since = rgb, grey, None, 0
            return None
        self._since += 1
        return move

    def _pan(self, rgb: np.ndarray) -> tuple[float, float] | None:
        if self._fine is None:
            self._fine = _grey_fine(self._key)
        fine = _grey_fine(rgb)
        dy, dx = pan(self._fine, fine)
        height, width = fine.shape
        if abs(dy) > MAX_PAN * height or abs(dx) > MAX_PAN * width:
            return None
        inner = _interior(dy, dx)
        if _change(moved(self._fine, dy, dx)[inner], fine[inner]) > self.threshold:
            return None
        scale = rgb.shape[1] / width
        return dy * scale, dx * scale


def _interior(dy: float, dx: float) -> tuple[slice, slice]:
    """The part of a picture moved by (dy, dx) that both it and the original cover (2 px in from that)."""
    margin = int(np.ceil(max(abs(dy), abs(dx)))) + 2
    return slice(margin, -margin), slice(margin, -margin)


def _change(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.percentile(np.abs(a - b), 99))


def _grey_fine(rgb: np.ndarray) -> np.ndarray:
    """The frame as grey (0-1) at PAN_SIDE at most, blurred so sub-pixel moves interpolate."""
    height, width = rgb.shape[:2]
    grey = Image.fromarray(rgb).convert("L")
    scale = PAN_SIDE / max(height, width)
    if scale < 1:
        grey = grey.resize((max(1, round(width * scale)), max(1, round(height * scale))), Image.Resampling.BOX)
    return np.asarray(grey.filter(ImageFilter.GaussianBlur(1.5)), dtype=np.float32) / 255.0


def pan(reference: np.ndarray, current: np.ndarray) -> tuple[float, float]:
    """(dy, dx) that moves `reference` onto `current`: phase correlation finds the whole
    pixels, then Gauss-Newton steps on the brightness difference (Lucas-Kanade for one
    translation) the fraction, which the correlation peak's neighbours only roughly give."""
    cross = np.fft.rfft2(current - current.mean()) * np.conj(np.fft.rfft2(reference - reference.mean()))
    correlation = np.fft.irfft2(cross / (np.abs(cross) + 1e-12), s=reference.shape)
    height, width = correlation.shape
    py, px = np.unravel_index(int(np.argmax(correlation)), correlation.shape)
    dy, dx = float(py - height if py > height / 2 else py), float(px - width if px > width / 2 else px)
    for _ in range(3):
        inner = _interior(dy, dx)
        if 2 * inner[0].start >= min(height, width):
            break
        warped = moved(reference, dy, dx)
        gy, gx = (g[inner] for g in np.gradient(warped))
        residual = (current - warped)[inner]
        normal = np.array([[np.sum(gy * gy), np.sum(gy * gx)], [np.sum(gy * gx), np.sum(gx * gx)]])
        if np.linalg.det(normal) <= 1e-9:  # a flat picture: no way to tell a move
            break
        step = -np.linalg.solve(normal, [np.sum(gy * residual), np.sum(gx * residual)])
        dy, dx = dy + float(step[0]), dx + float(step[1])
    return dy, dx


def moved(image: np.ndarray, dy: float, dx: float) -> np.ndarray:
    """HxW float32 moved by (dy, dx) pixels (bilinear); what comes in at an edge repeats the edge."""
    if dy == 0 and dx == 0:
        return image
    margin = int(np.ceil(max(abs(dy), abs(dx)))) + 1
    padded = np.pad(image.astype(np.float32, copy=False), margin, mode="edge")
    shifted = Image.fromarray(padded, "F").transform(
        (padded.shape[1], padded.shape[0]), Image.Transform.AFFINE, (1, 0, -dx, 0, 1, -dy), resample=Image.Resampling.BILINEAR
    )
    return np.asarray(shifted)[margin:-margin, margin:-margin]


def still_region(frames: list[np.ndarray], threshold: float = 0.02) -> np.ndarray:
    """HxW bool: pixels whose colour never changes by more than `threshold` between frames."""
    moved = np.zeros(frames[0].shape[:2], dtype=bool)
    for previous, current in zip(frames, frames[1:]):
        moved |= np.abs(current.astype(np.int16) - previous.astype(np.int16)).max(axis=2) > threshold * 255
    return ~moved


def flicker(alphas: list[np.ndarray], region: np.ndarray | None = None) -> float:
    """Mean |alpha_t - alpha_{t-1}| (0-1) over `region` (all pixels by default)."""
    if len(alphas) < 2:
        return 0.0
    changes = [np.abs(b.astype(np.float32) - a.astype(np.float32)) for a, b in zip(alphas, alphas[1:])]
    if region is not None:
        if not region.any():
            return 0.0
        return float(np.mean([c[region].mean() for c in changes]))
    return float(np.mean([c.mean() for c in changes]))


def finish_frame(rgb: np.ndarray, alpha: np.ndarray, options: VideoOptions) -> np.ndarray:
    """One output frame: RGBA cut-out (alpha formats), or RGB over the background (mp4, and gif
    with bg_color), in linear light as the image endpoints composite."""
    fmt = options.output_format
    flattened = fmt == "mp4" or (fmt == "gif" and options.bg_color is not None)
    if not flattened:
        return compose.cutout(rgb, alpha)
    height, width = alpha.shape
    if options.blur_strength > 0:
        backdrop = compose.blurred_background(rgb, alpha, options.blur_strength)
    elif options.background is not None:
        backdrop = options.background
    else:
        backdrop = compose.solid((width, height), options.bg_color or (255, 255, 255, 255))
    return compose.composite(rgb, alpha, backdrop)[..., :3]


Infer = Callable[[np.ndarray], Awaitable[np.ndarray]]
Progress = Callable[[int, int], Awaitable[None]]


async def remove_background(
    source: str,
    output: str,
    probe: ffmpeg.Probe,
    spec: segmentation.SegmentationSpec,
    infer: Infer,
    options: VideoOptions,
    progress: Progress,
    max_batch: int = 8,
) -> dict:
    """Runs the whole clip; `infer` runs a batch tensor on the model server, `progress(done,
    total)` hears after every batch. Returns figures for the job's log line."""
    width, height = probe.width, probe.height
    batch_size = max(1, min(options.batch, max_batch))
    fps = probe.fps or 25.0
    decoded: Iterator[np.ndarray] = ffmpeg.frames(source, width, height)
    finished: queue.Queue = queue.Queue(maxsize=batch_size * 2)
    smoother = Smoother(options.smoothing)
    figures: dict = {"frames": 0, "segmented": 0, "infer_ms": 0.0}
    done_encoding: dict = {}

    def feed() -> Iterator[np.ndarray]:
        while (frame := finished.get()) is not None:
            yield frame

    def encode() -> None:
        try:
            audio = source if options.keep_audio and probe.has_audio else None
            done_encoding["frames"] = ffmpeg.encode(feed(), fps, output, options.output_format, audio_from=audio)
        except BaseException as exc:  # noqa: BLE001 - handed to the event loop's side
            done_encoding["error"] = exc
            while finished.get() is not None:  # drain so the producer never blocks
                pass

    def read_batch() -> list[np.ndarray]:
        return [frame for _, frame in zip(range(batch_size), decoded)]

    keyframes = KeyFrames(options.reuse)
    last: dict = {}

    def prepare(frames: list[np.ndarray]) -> tuple[list, np.ndarray | None]:
        plans = [keyframes.plan(f) for f in frames]  # None: segment; (dy, dx): move the last mask
        chosen = [segmentation.preprocess(spec, Image.fromarray(f), options.quality) for f, move in zip(frames, plans) if move is None]
        return plans, np.concatenate(chosen) if chosen else None

    def post(frames: list[np.ndarray], plans: list, outputs: np.ndarray | None) -> None:
        results = iter(outputs if outputs is not None else ())
        for frame, move in zip(frames, plans):
            if move is None:
                mask = segmentation.to_mask(spec, next(results)[np.newaxis], (width, height), options.quality)
                last["mask"] = np.asarray(mask, dtype=np.float32) / 255.0
                alpha = last["mask"]
            else:
                alpha = moved(last["mask"], *move)
            finished.put(finish_frame(frame, smoother.step(frame, alpha), options))

    encoder = threading.Thread(target=encode, name="video-encode", daemon=True)
    encoder.start()
    total = max(probe.frames, 1)
    try:
        frames = await asyncio.to_thread(read_batch)
        while frames:
            if "error" in done_encoding:
                break
            plans, tensor = await asyncio.to_thread(prepare, frames)
            outputs = None
            if tensor is not None:
                begin = time.perf_counter()
                outputs = await infer(tensor)
                figures["infer_ms"] += (time.perf_counter() - begin) * 1000
                figures["segmented"] += len(tensor)
            # The next batch decodes while this one is finished and queued for the encoder.
            _, frames_next = await asyncio.gather(asyncio.to_thread(post, frames, plans, outputs), asyncio.to_thread(read_batch))
            figures["frames"] += len(frames)
            await progress(figures["frames"], max(total, figures["frames"]))
            frames = frames_next
    finally:
        await asyncio.to_thread(finished.put, None)
        await asyncio.to_thread(encoder.join)
        decoded.close()
    if "error" in done_encoding:
        raise done_encoding["error"]
    figures["infer_ms"] = round(figures["infer_ms"], 1)
    return figures
