"""NATS JetStream: the streams, and publishing with the request id.

Images never travel on NATS (1 MB max payload): messages carry object-store
keys. Work is a work-queue stream pulled by inference workers; events are
kept for a day and consumed by the orchestrator. `Nats-Msg-Id` makes a
re-published message a no-op inside the stream's duplicate window.
"""

from __future__ import annotations

import asyncio
import logging

import nats
import nats.errors
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError

from services.runtime import logs
from services.runtime.config import env_int, env_str

log = logging.getLogger(__name__)

WORK_STREAM = "BACKDROP_WORK"
WORK_SUBJECT = "backdrop.work"  # .<operation>
EVENTS_STREAM = "BACKDROP_EVENTS"
EVENTS_SUBJECT = "backdrop.events.job"  # .<job id>
# Core NATS (not stored): "this job's row changed", for waiters on any replica.
NOTIFY_SUBJECT = "backdrop.notify.job"  # .<job id>
# Core NATS: "stop this job" to every worker.
CANCEL_SUBJECT = "backdrop.cancel.job"  # .<job id>

DUPLICATE_WINDOW_S = 120


def stream_configs() -> list[StreamConfig]:
    replicas = env_int("NATS_STREAM_REPLICAS", 1)
    return [
        StreamConfig(
            name=WORK_STREAM,
            subjects=[f"{WORK_SUBJECT}.>"],
            retention=RetentionPolicy.WORK_QUEUE,
            storage=StorageType.FILE,
            num_replicas=replicas,
            duplicate_window=DUPLICATE_WINDOW_S,
            max_age=7 * 24 * 3600,
        ),
        StreamConfig(
            name=EVENTS_STREAM,
            subjects=[f"{EVENTS_SUBJECT}.>"],
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            num_replicas=replicas,
            duplicate_window=DUPLICATE_WINDOW_S,
            max_age=24 * 3600,
        ),
    ]


async def connect(name: str) -> tuple[Client, JetStreamContext]:
    """Connects (retrying until NATS is up) and makes sure the streams exist."""

    async def on_error(exc: Exception) -> None:
        log.warning("nats error", extra=logs.fields(error=str(exc)))

    url = env_str("NATS_URL", "nats://127.0.0.1:4222")
    for attempt in range(1, 31):  # NATS may still be starting
        try:
            client = await nats.connect(
                url,
                name=name,
                max_reconnect_attempts=-1,
                reconnect_time_wait=1,
                connect_timeout=3,
                error_cb=on_error,
            )
            break
        except (OSError, nats.errors.NoServersError):
            if attempt == 30:
                raise
            await asyncio.sleep(1)
    js = client.jetstream()
    for config in stream_configs():
        try:
            await js.add_stream(config)
        except BadRequestError:
            await js.update_stream(config)
    return client, js


def headers() -> dict[str, str]:
    rid = logs.request_id.get()
    return {logs.REQUEST_ID_KEY: rid} if rid else {}


def adopt_request_id(msg) -> None:
    """Continues the request id a message was published with."""
    logs.request_id.set((msg.headers or {}).get(logs.REQUEST_ID_KEY, ""))


async def consume(js: JetStreamContext, durable: str, stream: str, subject: str, handle) -> None:
    """Runs a durable pull consumer forever: `handle(msg)` returns True to ack, False to retry later.

    Each message is handled under the request id it was published with.
    """
    config = ConsumerConfig(
        durable_name=durable, ack_policy=AckPolicy.EXPLICIT, deliver_policy=DeliverPolicy.ALL, ack_wait=30, max_deliver=-1
    )
    subscription = await js.pull_subscribe(subject, durable=durable, stream=stream, config=config)
    while True:
        try:
            messages = await subscription.fetch(64, timeout=5)
        except TimeoutError:
            continue
        for msg in messages:
            adopt_request_id(msg)
            try:
                done = await handle(msg)
            except Exception:  # noqa: BLE001 - the message is redelivered
                log.exception("message handling failed", extra=logs.fields(consumer=durable))
                done = False
            if done:
                await msg.ack()
            else:
                await msg.nak(delay=2)


async def check(client: Client) -> None:
    if not client.is_connected:
        raise ConnectionError("not connected to NATS")
    await client.flush(timeout=2)
