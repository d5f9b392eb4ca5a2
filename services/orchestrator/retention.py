"""Retention: originals and results are deleted a while after their job ends.

RETENTION_S (default a week) is how long files are kept; CLEANUP_INTERVAL_S
(seed 003's cleanup interval, default an hour) how often this looks. The
files are deleted from the object store first, then the job is marked
expired, so a crash in between only deletes them again; downloads of an
expired job answer 410 Gone, and its signed links 404.
"""

from __future__ import annotations

import asyncio
import logging

from services.orchestrator.store import JobStore
from services.runtime import logs
from services.runtime.config import env_float
from services.runtime.objectstore import ObjectStore

log = logging.getLogger(__name__)


async def expire_once(store: JobStore, objects: ObjectStore, retention_s: float) -> int:
    expired = await store.to_expire(retention_s)
    for job in expired:
        # Only the job's own files: an input may be an uploaded image or a background other jobs share.
        own = (f"uploads/{job.id}/", f"results/{job.id}/")
        keys = [job.input_key, job.result.result_key, job.result.mask_key]
        await asyncio.gather(*(objects.delete(key) for key in keys if key and key.startswith(own)))
    if expired:
        await store.mark_expired([job.id for job in expired])
        log.info("expired job files", extra=logs.fields(jobs=len(expired)))
    return len(expired)


async def run(store: JobStore, objects: ObjectStore) -> None:
    retention_s = env_float("RETENTION_S", 7 * 24 * 3600.0)
    interval_s = env_float("CLEANUP_INTERVAL_S", 3600.0)
    while True:
        try:
            while await expire_once(store, objects, retention_s) == 200:
                pass  # a backlog: keep going
        except Exception:  # noqa: BLE001 - next round
            log.exception("retention round failed")
        await asyncio.sleep(interval_s)
