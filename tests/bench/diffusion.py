"""`make bench-diffusion`: seconds per denoising step and per image for the tiny
pipeline on CPU, through the inference service's own generation code (the
models in-process through onnxruntime instead of over gRPC).

Baseline, in the same run: one bare onnxruntime call of the UNet on the same
tensors; the ratio is what the sampler loop (guidance, scheduler arithmetic,
progress) adds per step. Prints figures; asserts nothing.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time

import numpy as np

from backdrop.jobs.v1 import jobs_pb2
from tests.bench.common import bare_run_ms
from tests.bench.operations import InProcessModels


async def main_async() -> None:
    from services.inference.generation import UNET, Generation
    from services.runtime.objectstore import LocalObjectStore

    models = InProcessModels()
    with tempfile.TemporaryDirectory() as folder:
        generation = Generation(LocalObjectStore(folder), models)
        print(f"{'size':>9} {'steps':>5} {'bare UNet ms':>12} {'ms/step':>8} {'x bare':>7} {'s/image':>8}")
        for side, steps in ((256, 20), (512, 20), (512, 30)):
            latent = np.zeros((2, 4, side // 8, side // 8), np.float32)
            context = np.zeros((2, 77, 32), np.float32)
            unet = models.session(UNET)
            feeds = {"sample": latent, "timestep": np.array([500, 500], np.float32), "encoder_hidden_states": context}
            bare_ms = bare_run_ms(unet, feeds)
            step_times: list[float] = []
            last = [time.perf_counter()]

            async def progress(percent: int, message: str) -> None:
                now = time.perf_counter()
                step_times.append(now - last[0])
                last[0] = now

            item = jobs_pb2.WorkItem(
                job_id="bench", generate=jobs_pb2.GenerateOptions(mode="text", prompt="a lighthouse at dusk", num_images=1, width=side, height=side, seed=1, guidance_scale=7.5, steps=steps)
            )
            await generation.run(item, {}, progress)  # warm-up
            step_times.clear()
            start = time.perf_counter()
            last[0] = start
            await generation.run(item, {}, progress)
            per_image = time.perf_counter() - start
            per_step = statistics.median(step_times)
            print(f"{side}x{side:<5} {steps:>5} {bare_ms:12.1f} {per_step * 1000:8.1f} {per_step * 1000 / bare_ms:7.2f} {per_image:8.2f}")


def main() -> None:
    asyncio.run(main_async())


if __name__ == "__main__":
    main()
