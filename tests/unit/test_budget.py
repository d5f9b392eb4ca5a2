"""The worker's memory budget: jobs wait for the memory they need, not for a slot."""

from __future__ import annotations

import asyncio

from backdrop.jobs.v1 import jobs_pb2
from services.inference.budget import MB, MemoryBudget, job_bytes


def test_jobs_that_do_not_fit_together_run_one_after_the_other():
    async def scenario():
        budget = MemoryBudget(1000 * MB)
        running, peak, order = 0, 0, []

        async def job(name: str, need: int):
            nonlocal running, peak
            async with budget.reserve(need):
                running += 1
                peak = max(peak, running)
                order.append(name)
                await asyncio.sleep(0.05)
                running -= 1

        await asyncio.gather(job("big-1", 700 * MB), job("big-2", 700 * MB))
        big_peak = peak
        peak = 0
        await asyncio.gather(*(job(f"small-{n}", 200 * MB) for n in range(5)))
        return big_peak, peak, budget.free

    big_peak, small_peak, free = asyncio.run(scenario())
    assert big_peak == 1  # 2 x 700 MB do not fit in 1000 MB
    assert small_peak == 5  # 5 x 200 MB do
    assert free == 1000 * MB  # every reservation given back


def test_a_job_larger_than_the_budget_runs_alone_instead_of_never():
    async def scenario():
        budget = MemoryBudget(100 * MB)
        async with budget.reserve(5000 * MB) as held:
            return held, budget.free

    assert asyncio.run(asyncio.wait_for(scenario(), 2)) == (100 * MB, 0)


def test_estimates_grow_with_pixels_and_the_upscalers_own_factor():
    remove = jobs_pb2.WorkItem(remove_background=jobs_pb2.RemoveBackgroundOptions(edge_refinement=50))
    assert job_bytes(remove, 8000, 5000) > 5 * job_bytes(remove, 2000, 1500)
    upscale = jobs_pb2.WorkItem(upscale=jobs_pb2.UpscaleOptions(scale=2))
    assert job_bytes(upscale, 1000, 1000, 4) == 4 * job_bytes(upscale, 1000, 1000, 2)
    assert job_bytes(jobs_pb2.WorkItem(generate=jobs_pb2.GenerateOptions())) > 0
