"""Applies the workers' job events to the jobs table, then tells waiters."""

from __future__ import annotations

import logging

from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from backdrop.jobs.v1 import jobs_pb2
from services.orchestrator.store import JobStore
from services.runtime import logs, messaging

log = logging.getLogger(__name__)

CONSUMER = "orchestrator"


async def consume(nats_client: Client, js: JetStreamContext, store: JobStore) -> None:
    config = ConsumerConfig(
        durable_name=CONSUMER,
        ack_policy=AckPolicy.EXPLICIT,
        deliver_policy=DeliverPolicy.ALL,
        ack_wait=30,
        max_deliver=-1,
    )
    subscription = await js.pull_subscribe(
        f"{messaging.EVENTS_SUBJECT}.>", durable=CONSUMER, stream=messaging.EVENTS_STREAM, config=config
    )
    while True:
        try:
            messages = await subscription.fetch(64, timeout=5)
        except TimeoutError:
            continue
        for msg in messages:
            messaging.adopt_request_id(msg)
            event = jobs_pb2.JobEvent.FromString(msg.data)
            try:
                changed = await store.apply(event)
            except Exception:  # noqa: BLE001 - redelivered later
                log.exception("could not apply event", extra=logs.fields(job_id=event.job_id))
                await msg.nak(delay=1)
                continue
            if changed:
                await nats_client.publish(f"{messaging.NOTIFY_SUBJECT}.{event.job_id}", b"")
            await msg.ack()
