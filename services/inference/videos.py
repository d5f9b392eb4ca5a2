"""The worker's side of a video background removal job (gateway/video.py queues it).

The input is copied from the object store to a temporary file in chunks (ffmpeg
reads files, and a video is never held whole), run through
services/inference/pipeline/video.py, and the output file stored as the job's
result. Progress goes out after every batch of frames as the job's events.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time

import numpy as np

from backdrop.jobs.v1 import jobs_pb2
from services.inference import models
from services.inference.generation import Progress
from services.inference.pipeline import compose, ffmpeg, video
from services.inference.triton import InferenceServer
from services.runtime import images
from services.runtime.colour import parse_colour
from services.runtime.config import env_int
from services.runtime.errors import invalid
from services.runtime.objectstore import ObjectStore

# Frames per model request: the model configs' max_batch_size (deploy/models/configs), ISNet one
# at a time (about 1 GB of activations per image on the server).
MAX_BATCH = {"u2netp": 8, "modnet": 4, "isnet": 1}
RESULT_NAMES = {"webm": "video.webm", "mov": "video.mov", "mp4": "video.mp4", "gif": "video.gif", "matte": "matte.mp4", "png": "frames.zip"}


async def _download(store: ObjectStore, key: str, path: str) -> None:
    with open(path, "wb") as sink:
        async for chunk in store.chunks(key, 1024 * 1024):
            await asyncio.to_thread(sink.write, chunk)


def reserved_bytes(options: jobs_pb2.VideoRemovalOptions, width: int, height: int) -> int:
    """The job's working memory: a few batches of frames in flight, each as RGB, alpha and output."""
    return width * height * 12 * env_int("VIDEO_BATCH", 8) * 4


_running: asyncio.Semaphore | None = None


async def run(store: ObjectStore, server: InferenceServer, item: jobs_pb2.WorkItem, timings: dict, progress: Progress, budget) -> jobs_pb2.JobResult:
    """One video at a time per worker by default (VIDEO_CONCURRENCY): each holds its input and
    output on local disk and keeps the model server busy on its own."""
    global _running
    if _running is None:
        _running = asyncio.Semaphore(env_int("VIDEO_CONCURRENCY", 1))
    async with _running:
        return await _run(store, server, item, timings, progress, budget)


async def _run(store: ObjectStore, server: InferenceServer, item: jobs_pb2.WorkItem, timings: dict, progress: Progress, budget) -> jobs_pb2.JobResult:
    options = item.remove_background_video
    spec = models.resolve(options.model)
    fmt = options.output_format or "webm"
    if fmt not in ffmpeg.FORMATS:
        raise invalid("INVALID_PARAMETER", f"output_format must be one of {', '.join(ffmpeg.FORMATS)}", field="output_format")
    extension, content_type, alpha, audio = ffmpeg.FORMATS[fmt]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="backdrop-video-") as work:
        source, output = os.path.join(work, "input"), os.path.join(work, f"output.{extension}")
        await _download(store, item.input_key, source)
        try:
            info = await asyncio.to_thread(ffmpeg.probe, source)
        except ffmpeg.FfmpegError as exc:
            raise invalid("INVALID_VIDEO", f"The video cannot be read ({exc.message})") from None
        background = None
        if options.background_key and fmt == "mp4":
            picture = await asyncio.to_thread(images.decode_rgb, await store.get(options.background_key), True)
            background = await asyncio.to_thread(compose.fit_cover, picture, (info.width, info.height))
        colour = parse_colour(options.bg_color) if options.bg_color else None
        settings = video.VideoOptions(
            output_format=fmt, quality=options.quality or "high", bg_color=colour, background=background,
            blur_strength=options.blur_strength if fmt == "mp4" else 0.0, smoothing=options.smoothing,
            keep_audio=options.keep_audio, batch=env_int("VIDEO_BATCH", 8),
        )

        async def infer(tensor: np.ndarray) -> np.ndarray:
            return await server.infer(spec.name, tensor)

        async def frames_done(done: int, total: int) -> None:
            await progress(min(99, done * 100 // total), f"frame {done} of {total}")

        async with budget.reserve(reserved_bytes(options, info.width, info.height)):
            figures = await video.remove_background(source, output, info, spec, infer, settings, frames_done, MAX_BATCH.get(spec.name, 1))
        key = f"results/{item.job_id}/{RESULT_NAMES[fmt]}"
        await store.put_file(key, output, content_type)
    timings.update(figures)
    return jobs_pb2.JobResult(
        result_key=key,
        width=info.width,
        height=info.height,
        format=fmt,
        content_type=content_type,
        processing_seconds=time.perf_counter() - started,
        model=spec.name,
        video_output=jobs_pb2.VideoOutput(
            frames=figures["frames"], fps=info.fps, duration_seconds=info.duration_s,
            has_audio=bool(audio and options.keep_audio and info.has_audio), has_alpha=alpha and not (fmt == "gif" and colour),
        ),
    )


