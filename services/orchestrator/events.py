"""Applies the workers' job events to the jobs table, tells waiters, and queues
the owners' webhooks when a job (or its whole batch) ends."""

from __future__ import annotations

from nats.aio.client import Client
from nats.js import JetStreamContext

from backdrop.jobs.v1 import jobs_pb2
from services.orchestrator.store import JobStore
from services.orchestrator.webhooks import Webhooks
from services.runtime import messaging

CONSUMER = "orchestrator"
TERMINAL = {jobs_pb2.JOB_STATUS_COMPLETED: "job.completed", jobs_pb2.JOB_STATUS_FAILED: "job.failed"}


async def consume(nats_client: Client, js: JetStreamContext, store: JobStore, webhooks: Webhooks) -> None:
    async def apply(msg) -> bool:
        event = jobs_pb2.JobEvent.FromString(msg.data)
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
