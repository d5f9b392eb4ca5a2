"""Concurrency by memory: a job runs when the working memory it needs is free.

A count of jobs is the wrong bound: four 1 MP photos need a few hundred MB,
four 40 MP ones several GB. Each job reserves its estimate (from its pixel
count) out of INFERENCE_MEMORY_BUDGET_MB before it decodes anything; a job
larger than the whole budget runs alone rather than never.
"""

from __future__ import annotations

import asyncio
import contextlib

from services.inference.pipeline import footprint
from services.runtime.config import env_int

MB = 1 << 20


class MemoryBudget:
    def __init__(self, total_bytes: int | None = None):
        self.total = total_bytes if total_bytes is not None else env_int("INFERENCE_MEMORY_BUDGET_MB", 1200) * MB
        self.free = self.total
        self._changed = asyncio.Condition()

    @contextlib.asynccontextmanager
    async def reserve(self, nbytes: int):
        """Waits until `nbytes` (capped at the whole budget) are free, holds them for the block."""
        amount = max(0, min(int(nbytes), self.total))
        async with self._changed:
            await self._changed.wait_for(lambda: self.free >= amount)
            self.free -= amount
        try:
            yield amount
        finally:
            async with self._changed:
                self.free += amount
                self._changed.notify_all()


UPSCALE_BYTES_PER_OUTPUT_PIXEL = 8  # the uint8 result, its image and the encoder's rows
GENERATION_BYTES = 256 * MB
ENHANCE_BYTES_PER_PIXEL = 24


def job_bytes(item, width: int = 0, height: int = 0, model_scale: int = 1) -> int:
    """What one job (a jobs_pb2.WorkItem) on a width x height input needs, about; an upscale
    counts the output at its model's own factor, which is what the worker allocates."""
    operation = item.WhichOneof("operation")
    if operation == "generate" and item.generate.HasField("video"):
        from services.inference.pipeline.video_diffusion import working_bytes

        return GENERATION_BYTES + working_bytes(item.generate)
    if operation == "generate":
        return GENERATION_BYTES
    if operation == "upscale":
        return width * height * model_scale * model_scale * UPSCALE_BYTES_PER_OUTPUT_PIXEL
    if operation == "enhance":
        return width * height * ENHANCE_BYTES_PER_PIXEL
    return footprint.working_bytes(width, height, item.remove_background)
