"""Applies the workers' job events to the jobs table, then tells waiters."""

from __future__ import annotations

from nats.aio.client import Client
from nats.js import JetStreamContext

from backdrop.jobs.v1 import jobs_pb2
from services.orchestrator.store import JobStore
from services.runtime import messaging

CONSUMER = "orchestrator"


async def consume(nats_client: Client, js: JetStreamContext, store: JobStore) -> None:
    async def apply(msg) -> bool:
        event = jobs_pb2.JobEvent.FromString(msg.data)
        if await store.apply(event):
            await nats_client.publish(f"{messaging.NOTIFY_SUBJECT}.{event.job_id}", b"")
        return True

    await messaging.consume(js, CONSUMER, messaging.EVENTS_STREAM, f"{messaging.EVENTS_SUBJECT}.>", apply)
