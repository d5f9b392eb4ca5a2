"""NATS JetStream: the streams, and publishing with the request id and trace context.

Images never travel on NATS (1 MB max payload): messages carry object-store
keys. Work is a work-queue stream pulled by inference workers; events are
kept for a day and consumed by the orchestrator. `Nats-Msg-Id` makes a
re-published message a no-op inside the stream's duplicate window.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError

from services.runtime import logs, tracing
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

# Durable consumers, each owned by one service.
WORKERS_CONSUMER = "inference-workers"
# Seed 004's training jobs (backdrop.work.train) when a GPU Deployment runs them apart (WORKER_ROLE=training).
TRAINERS_CONSUMER = "inference-trainers"
ORCHESTRATOR_CONSUMER = "orchestrator"
EMAIL_CONSUMER = "orchestrator-email"
REFUNDS_CONSUMER = "billing-refunds"

# The one service that creates and updates the streams; the others wait for them.
STREAM_MANAGER = "orchestrator"


def _consuming(stream: str, consumer: str) -> list[str]:
    """What reading one durable pull consumer takes: making it, its info, its next
    messages, and acking them."""
    api = "$JS.API.CONSUMER"
    return [
        f"{api}.CREATE.{stream}.{consumer}", f"{api}.CREATE.{stream}.{consumer}.>",
        f"{api}.DURABLE.CREATE.{stream}.{consumer}", f"{api}.INFO.{stream}.{consumer}",
        f"{api}.MSG.NEXT.{stream}.{consumer}", f"$JS.ACK.{stream}.{consumer}.>",
    ]


def permissions() -> dict[str, dict[str, list[str]]]:
    """Who may publish and subscribe to what on NATS: exactly the call graph (M11).

    Only the worker and the orchestrator may publish job events (billing refunds
    on them); only the orchestrator may queue work or create streams. Each
    service's replies come to its own inbox prefix, so no one reads another's.
    Rendered into NATS's authorization block by deploy/nats.py.
    """
    streams = (WORK_STREAM, EVENTS_STREAM)
    reading = [f"$JS.API.INFO", *(f"$JS.API.STREAM.INFO.{s}" for s in streams)]
    return {
        "orchestrator": {
            "publish": [
                *reading, *(f"$JS.API.STREAM.{verb}.{s}" for verb in ("CREATE", "UPDATE") for s in streams),
                *(f"$JS.API.CONSUMER.LIST.{s}" for s in streams),  # queue-depth metrics
                *_consuming(EVENTS_STREAM, ORCHESTRATOR_CONSUMER), *_consuming(EVENTS_STREAM, EMAIL_CONSUMER),
                f"{WORK_SUBJECT}.>", f"{EVENTS_SUBJECT}.>", f"{NOTIFY_SUBJECT}.>", f"{CANCEL_SUBJECT}.>",
            ],
            "subscribe": [f"{NOTIFY_SUBJECT}.>"],
        },
        "inference": {
            "publish": [*reading, *_consuming(WORK_STREAM, WORKERS_CONSUMER), *_consuming(WORK_STREAM, TRAINERS_CONSUMER), f"{EVENTS_SUBJECT}.>"],
            "subscribe": [f"{CANCEL_SUBJECT}.*"],
        },
        "billing": {
            "publish": [*reading, *_consuming(EVENTS_STREAM, REFUNDS_CONSUMER)],
            "subscribe": [],
        },
    }


def inbox_prefix(service: str) -> str:
    return f"_INBOX_{service}"


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
            # Full: a new job is refused at submit (the client hears it), never an old one dropped.
            max_bytes=env_int("NATS_WORK_MAX_BYTES", 1 << 30),
            discard=DiscardPolicy.NEW,
        ),
        StreamConfig(
            name=EVENTS_STREAM,
            subjects=[f"{EVENTS_SUBJECT}.>"],
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            num_replicas=replicas,
            duplicate_window=DUPLICATE_WINDOW_S,
            max_age=24 * 3600,
            # Events are consumed within seconds; the cap only stops a flood filling the disk.
            max_bytes=env_int("NATS_EVENTS_MAX_BYTES", 1 << 30),
        ),
    ]


async def connect(name: str) -> tuple[Client, JetStreamContext]:
    """Connects as NATS_USER (retrying until NATS is up) and makes sure the streams exist:
    the stream manager creates them, the others wait until it has."""

    async def on_error(exc: Exception) -> None:
        log.warning("nats error", extra=logs.fields(error=str(exc)))

    url = env_str("NATS_URL", "nats://127.0.0.1:4222")
    user = env_str("NATS_USER", "")
    credentials = {"user": user, "password": env_str("NATS_PASSWORD", ""), "inbox_prefix": inbox_prefix(user)} if user else {}
    for attempt in range(1, 31):  # NATS may still be starting
        try:
            client = await nats.connect(
                url,
                name=name,
                **credentials,
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
    if user and user != STREAM_MANAGER:
        await _wait_for_streams(js)
        return client, js
    for config in stream_configs():
        try:
            await js.add_stream(config)
        except BadRequestError:
            await js.update_stream(config)
    return client, js


async def _wait_for_streams(js: JetStreamContext) -> None:
    backoff = Backoff()
    for config in stream_configs():
        while True:
            try:
                await js.stream_info(config.name)
                break
            except Exception as exc:  # noqa: BLE001 - not made yet, or NATS restarting
                delay = backoff.next()
                log.info("waiting for a stream", extra=logs.fields(stream=config.name, error=repr(exc), retry_in_s=delay))
                await asyncio.sleep(delay)


def headers() -> dict[str, str]:
    """A message's headers: the request id and the trace context (traceparent) of the work."""
    rid = logs.request_id.get()
    return {**({logs.REQUEST_ID_KEY: rid} if rid else {}), **tracing.carrier()}


def adopt_request_id(msg) -> None:
    """Continues the request id a message was published with."""
    logs.request_id.set((msg.headers or {}).get(logs.REQUEST_ID_KEY, ""))


@contextlib.contextmanager
def handling(msg):
    """Handles `msg` as part of the work that published it: its request id, and a span in its trace
    (named by the subject's pattern: a job id is no span name)."""
    adopt_request_id(msg)
    with tracing.consumer_span(_pattern(msg.subject), msg.subject, msg.headers):
        yield


def _pattern(subject: str) -> str:
    for prefix in (EVENTS_SUBJECT, NOTIFY_SUBJECT, CANCEL_SUBJECT):
        if subject.startswith(f"{prefix}."):
            return f"{prefix}.*"
    return subject


class Backoff:
    """Exponential delays with a cap, for loops that must outlive their peers' restarts."""

    def __init__(self, first: float = 0.5, cap: float = 15.0):
        self.first, self.cap, self.current = first, cap, first

    def next(self) -> float:
        delay, self.current = self.current, min(self.cap, self.current * 2)
        return delay

    def reset(self) -> None:
        self.current = self.first


def redelivery_delay(attempt: int) -> float:
    """A failed event waits longer each time: its peer (PostgreSQL, say) may be restarting."""
    return min(60.0, 2.0 * 2 ** max(0, attempt - 1))


def event_max_deliver() -> int:
    """Finite, so a poison event cannot loop forever; ~25 minutes of retries at the delays above."""
    return env_int("EVENT_MAX_DELIVER", 30)


async def durable_pull(js: JetStreamContext, stream: str, subject: str, config: ConsumerConfig):
    """A pull subscription on a durable consumer, its config brought up to date
    (a consumer made by an older release keeps `max_deliver=-1` otherwise)."""
    try:
        await js.add_consumer(stream, config=config)
    except nats.js.errors.Error as exc:  # an edit the server refuses: keep the consumer as it is
        log.warning("consumer config not updated", extra=logs.fields(consumer=config.durable_name, error=str(exc)))
    return await js.pull_subscribe(subject, durable=config.durable_name, stream=stream, config=config)


async def fetch(subscription, batch: int, backoff: Backoff, consumer: str, timeout: float = 5.0) -> list:
    """Up to `batch` messages; [] on a quiet poll, and [] after a pause while NATS is away.

    Any NATS error (a restart, a leader election, no responders) is waited out
    here: a consumer loop ends only when it is cancelled.
    """
    try:
        messages = await subscription.fetch(batch, timeout=timeout)
    except (TimeoutError, asyncio.TimeoutError, nats.errors.TimeoutError):
        backoff.reset()
        return []
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # noqa: BLE001 - see the docstring
        delay = backoff.next()
        log.warning("cannot fetch from NATS; retrying", extra=logs.fields(consumer=consumer, error=repr(exc), retry_in_s=delay))
        await asyncio.sleep(delay)
        return []
    backoff.reset()
    return messages


async def settle(msg, done: bool, consumer: str) -> None:
    """Acks or naks; if NATS is away the message simply comes back after ack_wait."""
    try:
        if done:
            await msg.ack()
        else:
            await msg.nak(delay=redelivery_delay(msg.metadata.num_delivered))
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # noqa: BLE001
        log.warning("cannot settle a message; it will be redelivered", extra=logs.fields(consumer=consumer, error=repr(exc)))


async def consume(js: JetStreamContext, durable: str, stream: str, subject: str, handle) -> None:
    """Runs a durable pull consumer forever: `handle(msg)` returns True to ack, False to retry later.

    Each message is handled under the request id it was published with. A
    message that still fails on its last delivery is logged as dropped.
    """
    max_deliver = event_max_deliver()
    config = ConsumerConfig(
        durable_name=durable, ack_policy=AckPolicy.EXPLICIT, deliver_policy=DeliverPolicy.ALL, ack_wait=30, max_deliver=max_deliver
    )
    backoff = Backoff()
    subscription = None
    while subscription is None:
        try:
            subscription = await durable_pull(js, stream, subject, config)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - NATS may be restarting
            delay = backoff.next()
            log.warning("cannot subscribe; retrying", extra=logs.fields(consumer=durable, error=repr(exc), retry_in_s=delay))
            await asyncio.sleep(delay)
    while True:
        for msg in await fetch(subscription, 64, backoff, durable):
            with handling(msg):
                try:
                    done = await handle(msg)
                except asyncio.CancelledError:
                    raise
                except Exception:  # noqa: BLE001 - the message is redelivered
                    log.exception("message handling failed", extra=logs.fields(consumer=durable))
                    done = False
            if not done and msg.metadata.num_delivered >= max_deliver:
                log.error(
                    "message dropped after its last delivery",
                    extra=logs.fields(consumer=durable, subject=msg.subject, deliveries=msg.metadata.num_delivered),
                )
            await settle(msg, done, durable)


async def check(client: Client) -> None:
    if not client.is_connected:
        raise ConnectionError("not connected to NATS")
    await client.flush(timeout=2)
