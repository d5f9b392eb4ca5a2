"""Retention: originals and results are deleted a while after their job ends.

RETENTION_S (default a week) is how long files are kept; CLEANUP_INTERVAL_S
(seed 003's cleanup interval, default an hour) how often this looks. The
files are deleted from the object store first, then the job is marked
expired, so a crash in between only deletes them again; downloads of an
expired job answer 410 Gone, and its signed links 404.

The same round prunes old webhook deliveries (WEBHOOK_DELIVERY_KEEP_DAYS) and
fails charged jobs whose work message the work stream has dropped (L9).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from backdrop.jobs.v1 import jobs_pb2
from services.orchestrator.store import JobStore
from services.runtime import logs, messaging
from services.runtime.config import env_float
from services.runtime.objectstore import ObjectStore, delete_prefix

log = logging.getLogger(__name__)
WORK_EXPIRED = "WORK_EXPIRED"


def owned_keys(job: jobs_pb2.Job) -> tuple[list[str], list[str]]:
    """(prefixes, keys) of the files a job owns (M3): its results folder and upload folder, and
    a batch item's original at uploads/{batch_id}/{n}.{fmt}. An uploaded image (images/...)
    or a shared background is not the job's own and is kept."""
    prefixes = [f"results/{job.id}/", f"uploads/{job.id}/"]
    own = tuple(prefixes) + ((f"uploads/{job.batch_id}/",) if job.batch_id else ())
    keys = [job.input_key, job.result.result_key, job.result.mask_key, *(image.key for image in job.result.images)]
    return prefixes, [key for key in dict.fromkeys(keys) if key and key.startswith(own)]


async def expire_once(store: JobStore, objects: ObjectStore, retention_s: float) -> int:
    expired = await store.to_expire(retention_s)
    for job in expired:
        prefixes, keys = owned_keys(job)
        for prefix in prefixes:
            await delete_prefix(objects, prefix)
        for key in keys:
            await objects.delete(key)
    if expired:
        await store.mark_expired([job.id for job in expired])
        log.info("expired job files", extra=logs.fields(jobs=len(expired)))
    return len(expired)


def work_max_age_s() -> float:
    """How long the work stream keeps a message (messaging.stream_configs)."""
    config = next(c for c in messaging.stream_configs() if c.name == messaging.WORK_STREAM)
    return float(config.max_age or 7 * 24 * 3600)


async def fail_dropped_work(store: JobStore, fail: Callable[[str, str, str], Awaitable[None]]) -> int:
    """A job queued longer than the work stream keeps its message never runs: it is failed
    (a FAILED event, so billing refunds it) instead of staying queued forever (L9)."""
    stuck = await store.queued_before(work_max_age_s())
    for job_id in stuck:
        await fail(job_id, WORK_EXPIRED, "The job waited longer than the work queue keeps work; its credits are refunded")
    if stuck:
        log.warning("failed jobs whose work expired", extra=logs.fields(jobs=len(stuck)))
    return len(stuck)


async def run(store: JobStore, objects: ObjectStore, webhooks=None, fail=None) -> None:
    retention_s = env_float("RETENTION_S", 7 * 24 * 3600.0)
    interval_s = env_float("CLEANUP_INTERVAL_S", 3600.0)
    while True:
        try:
            while await expire_once(store, objects, retention_s) == 200:
                pass  # a backlog: keep going
            if webhooks is not None:
                await webhooks.prune(env_float("WEBHOOK_DELIVERY_KEEP_DAYS", 30.0))
            if fail is not None:
                await fail_dropped_work(store, fail)
        except Exception:  # noqa: BLE001 - next round
            log.exception("retention round failed")
        await asyncio.sleep(interval_s)
