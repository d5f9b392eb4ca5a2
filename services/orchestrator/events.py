"""Applies the workers' job events to the jobs table, tells waiters, files a finished
video in its project, and queues the owners' webhooks when a job (or its whole batch) ends."""

from __future__ import annotations

import logging

from nats.aio.client import Client
from nats.js import JetStreamContext

from backdrop.jobs.v1 import jobs_pb2
from services.orchestrator.projects import Projects
from services.orchestrator.store import JobStore
from services.orchestrator.webhooks import Webhooks
from services.runtime import logs, messaging

log = logging.getLogger(__name__)

CONSUMER = messaging.ORCHESTRATOR_CONSUMER
TERMINAL = {jobs_pb2.JOB_STATUS_COMPLETED: "job.completed", jobs_pb2.JOB_STATUS_FAILED: "job.failed"}


def foreign_keys(event: jobs_pb2.JobEvent) -> list[str]:
    """The result keys of a COMPLETED event that are not under results/{job_id}/ (M11): a worker
    writes only there, so any other key is a bug or a forged event pointing at another's file."""
    result = event.result
    keys = [result.result_key, result.mask_key, *(image.key for image in result.images)]
    return [key for key in keys if key and not key.startswith(f"results/{event.job_id}/")]


async def file_in_project(store: JobStore, projects: Projects, event: jobs_pb2.JobEvent) -> None:
    """A finished video sent to a project is filed before its job reads completed, so whoever
    sees it completed (a poll, a socket, a job.completed webhook) finds it in the project."""
    job = await store.get(event.job_id)
    if job is not None and job.status not in TERMINAL and job.remove_background_video.project_id:
        job.result.CopyFrom(event.result)
        await projects.file_video(job)


async def consume(nats_client: Client, js: JetStreamContext, store: JobStore, webhooks: Webhooks, publisher, projects: Projects) -> None:
    async def apply(msg) -> bool:
        event = jobs_pb2.JobEvent.FromString(msg.data)
        if event.status == jobs_pb2.JOB_STATUS_COMPLETED and foreign_keys(event):
            log.error("completed event with foreign result keys", extra=logs.fields(job_id=event.job_id, keys=foreign_keys(event)))
            job = await store.get(event.job_id)
            if job is not None and job.status not in TERMINAL:  # a finished job stays as it is (and is not refunded)
                await publisher.fail(event.job_id, "INTERNAL_ERROR", "The job could not be completed; its credits are refunded")
            return True
        if event.status == jobs_pb2.JOB_STATUS_COMPLETED:
            await file_in_project(store, projects, event)
        if await store.apply(event):
            await nats_client.publish(f"{messaging.NOTIFY_SUBJECT}.{event.job_id}", b"")
        if event.status in TERMINAL:
            # Also on a redelivery: a delivery is made once per webhook and event.
            job = await store.get(event.job_id)
            if job is not None and job.status in TERMINAL:
                name = TERMINAL[job.status]
                await webhooks.enqueue(job.owner_id, name, f"{name}:{job.id}", job=job)
                if job.batch_id:
                    batch = await store.get_batch(job.batch_id)
                    if batch is not None and all(j.status in TERMINAL for j in batch.jobs):
                        await webhooks.enqueue(job.owner_id, "batch.completed", f"batch.completed:{batch.id}", batch=batch)
        return True

    await messaging.consume(js, CONSUMER, messaging.EVENTS_STREAM, f"{messaging.EVENTS_SUBJECT}.>", apply)
