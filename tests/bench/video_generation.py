"""`make bench-video-generation`: seconds per denoising step and per output frame of
the tiny video pipeline on CPU, and peak memory, through the inference service's own
video code (services/inference/pipeline/video_diffusion.py; the networks in-process
through onnxruntime instead of over gRPC, the real ffmpeg encoder).

Baseline, in the same run: one bare onnxruntime call of the video UNet on one
segment's tensors; the ratio is what the sampler loop (guidance, EDM arithmetic,
conditioning, progress) adds per step. Peak memory: the process's maximum resident
set before and after each configuration (it only rises) and tracemalloc's peak of
Python and numpy allocations during it. Prints figures; asserts nothing.
"""

from __future__ import annotations

import asyncio
import os
import resource
import statistics
import tempfile
import time
import tracemalloc

import numpy as np

from backdrop.jobs.v1 import jobs_pb2
from tests.bench.common import bare_run_ms
from tests.bench.operations import InProcessModels

# (seconds, fps, resolution, aspect, steps, keyframe short side)
CONFIGURATIONS = ((1, 24, "720p", "16:9", 10, 64), (3, 24, "720p", "16:9", 10, 64), (3, 24, "1080p", "16:9", 10, 64), (2, 24, "720p", "16:9", 10, 128))


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def main_async() -> None:
    from gateway.dialects.fomi.videos import output_size
    from services.inference.generation import Generation
    from services.inference.pipeline import video_diffusion as vd
    from services.runtime.objectstore import LocalObjectStore

    models = InProcessModels()
    print(f"{'video':>22} {'keyframes':>9} {'bare UNet ms':>12} {'ms/step':>8} {'x bare':>7} {'ms/frame':>9} {'total s':>8} {'RSS MB':>7} {'py peak MB':>10}")
    with tempfile.TemporaryDirectory() as folder:
        generation = Generation(LocalObjectStore(folder), models)
        for seconds, fps, resolution, aspect, steps, side in CONFIGURATIONS:
            os.environ["DIFFUSION_VIDEO_SIDE"] = str(side)
            width, height = output_size(resolution, aspect)
            gen_w, gen_h = vd.generation_size(width, height, side)
            count = vd.keyframe_count(seconds, vd.keyframe_fps())
            frames = min(count, vd.segment_frames())
            unet = models.session(vd.UNET)
            feeds = {
                "sample": np.zeros((2, frames, 8, gen_h // 8, gen_w // 8), np.float32), "timestep": np.array([1.0, 1.0], np.float32),
                "encoder_hidden_states": np.zeros((2, 1, 32), np.float32), "added_time_ids": np.array([[6, 127, 0.02]] * 2, np.float32),
            }
            bare_ms = bare_run_ms(unet, feeds)
            stamps: list[tuple[float, str]] = []

            async def progress(percent: int, message: str) -> None:
                stamps.append((time.perf_counter(), message))

            video = jobs_pb2.VideoOptions(duration=seconds, fps=fps, resolution=resolution, aspect_ratio=aspect, motion_strength=0.5, camera_movement="pan")
            item = jobs_pb2.WorkItem(
                job_id="bench", generate=jobs_pb2.GenerateOptions(
                    mode="video", prompt="a lighthouse at dusk", num_images=1, width=width, height=height, seed=1, guidance_scale=7.5,
                    steps=steps, safety_filter=False, video=video,
                ),
            )
            await generation.run(item, {}, progress)  # warm-up
            stamps.clear()
            tracemalloc.start()
            start = time.perf_counter()
            await generation.run(item, {}, progress)
            total = time.perf_counter() - start
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            steps_at = [t for t, m in stamps if m.startswith("Generating frames")]
            per_step = statistics.median(np.diff(steps_at)) if len(steps_at) > 1 else float("nan")
            encode_at = [t for t, m in stamps if m.startswith("Encoding frame")]
            encoded = int(encode_at and [m for t, m in stamps if m.startswith("Encoding frame")][-1].split()[2])
            per_frame = (encode_at[-1] - steps_at[0]) / max(1, encoded) if encode_at and steps_at else float("nan")
            label = f"{seconds}s {fps}fps {resolution} @{gen_w}x{gen_h}"
            print(
                f"{label:>22} {count:>9} {bare_ms:12.1f} {per_step * 1000:8.1f} {per_step * 1000 / bare_ms:7.2f} "
                f"{per_frame * 1000:9.1f} {total:8.2f} {rss_mb():7.0f} {peak / 2**20:10.1f}"
            )


def main() -> None:
    asyncio.run(main_async())


if __name__ == "__main__":
    main()
