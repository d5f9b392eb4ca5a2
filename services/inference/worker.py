"""The inference worker: pulls work from JetStream, runs it, reports events.

Delivery is at-least-once; doing a job twice is harmless because its outputs
have fixed keys and the orchestrator applies only the first terminal event
(and JetStream drops a re-published event with the same Nats-Msg-Id). A
message is acked only after its result is stored and its event published, so
a worker killed mid-job loses nothing: the job is redelivered after ack_wait.
"""

from __future__ import annotations

import asyncio
import logging
import time

from google.protobuf.message import DecodeError
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from backdrop.jobs.v1 import jobs_pb2
from services.inference.operations import Operations
from services.inference.triton import InferenceServer, ModelError, ModelServerUnavailable
from services.runtime import logs, messaging
from services.runtime.config import env_float, env_int, env_str
from services.runtime.errors import ServiceError
from services.runtime.objectstore import ObjectNotFound, ObjectStore

log = logging.getLogger(__name__)

CONSUMER = messaging.WORKERS_CONSUMER
CANCELLED_TTL_S = 3600.0
TRAIN = "train"
ROLES = ("all", "inference", "training")


def consumer_for(role: str) -> tuple[str, list[str]]:
    """WORKER_ROLE's consumer and work subjects. all (the default: one pool does everything, as
    `make up` runs it); inference (every operation but training, on the same consumer) and
    training (only seed 004's training jobs, a consumer of its own that KEDA scales the GPU
    Deployment on): the work stream is a work queue, so the two filters must not overlap."""
    if role not in ROLES:
        raise SystemExit(f"WORKER_ROLE must be one of {', '.join(ROLES)}, not {role!r}")
    if role == "training":
        return messaging.TRAINERS_CONSUMER, [f"{messaging.WORK_SUBJECT}.{TRAIN}"]
    if role == "inference":
        operations = [f.name for f in jobs_pb2.WorkItem.DESCRIPTOR.oneofs_by_name["operation"].fields if f.name != TRAIN]
        return CONSUMER, [f"{messaging.WORK_SUBJECT}.{operation}" for operation in operations]
    return CONSUMER, [f"{messaging.WORK_SUBJECT}.>"]


class JobCancelled(Exception):
    """Its owner cancelled the job: the orchestrator has failed it already."""


class Worker:
    def __init__(self, nats_client: Client, js: JetStreamContext, store: ObjectStore, server: InferenceServer):
        self.nats = nats_client
        self.js = js
        self.operations = Operations(store, server)
        self.cancelled: dict[str, float] = {}
        # Enough jobs in flight to overlap decoding and encoding with the model server's work.
        self.concurrency = env_int("INFERENCE_CONCURRENCY", 4)
        self.ack_wait = env_float("WORK_ACK_WAIT_S", 30.0)
        self.retry_delay = env_float("WORK_RETRY_DELAY_S", 2.0)
        self.max_attempts = env_int("WORK_MAX_ATTEMPTS", 5)
        # How long one delivery waits for a model server that is down before handing the job back.
        self.model_server_wait = env_float("MODEL_SERVER_WAIT_S", 300.0)
        self.consumer, self.subjects = consumer_for(env_str("WORKER_ROLE", "all"))
        if self.subjects == [f"{messaging.WORK_SUBJECT}.{TRAIN}"]:
            self.concurrency = env_int("TRAINING_CONCURRENCY", 1)  # a training holds the whole GPU

    async def _listen_for_cancels(self) -> None:
        async def on_cancel(msg):
            now = time.monotonic()
            self.cancelled[msg.subject.rsplit(".", 1)[-1]] = now
            for job_id, at in list(self.cancelled.items()):
                if now - at > CANCELLED_TTL_S:
                    del self.cancelled[job_id]

        await self.nats.subscribe(f"{messaging.CANCEL_SUBJECT}.*", cb=on_cancel)

    def _check_cancelled(self, job_id: str) -> None:
        if job_id in self.cancelled:
            raise JobCancelled(job_id)

    async def run(self) -> None:
        await self._listen_for_cancels()
        config = ConsumerConfig(
            durable_name=self.consumer,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=self.ack_wait,
            max_ack_pending=1000,
            # A backstop only: _handle fails a job past max_attempts before doing any work.
            max_deliver=self.max_attempts + 2,
        )
        if len(self.subjects) == 1:
            config.filter_subject = self.subjects[0]
        else:
            config.filter_subjects = self.subjects
        subscription = await messaging.durable_pull(self.js, messaging.WORK_STREAM, f"{messaging.WORK_SUBJECT}.>", config)
        slots = asyncio.Semaphore(self.concurrency)
        running: set[asyncio.Task] = set()
        backoff = messaging.Backoff()
        while True:
            await slots.acquire()
            free = 1
            while free < self.concurrency and not slots.locked():
                await slots.acquire()
                free += 1
            messages = await messaging.fetch(subscription, free, backoff, self.consumer)
            for _ in range(free - len(messages)):
                slots.release()
            for msg in messages:
                task = asyncio.create_task(self._handle(msg))
                running.add(task)
                task.add_done_callback(lambda t: (running.discard(t), slots.release()))

    async def _heartbeat(self, msg) -> None:
        """Tells JetStream the job is alive so a long job is not redelivered; a missed beat
        (NATS restarting) is retried at the next one, never silently the last."""
        while True:
            await asyncio.sleep(self.ack_wait / 3)
            try:
                await msg.in_progress()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001
                log.warning("heartbeat failed", extra=logs.fields(error=repr(exc)))

    async def _handle(self, msg) -> None:
        """One delivery of a job. Never raises: whatever happens, the message is settled
        (or left to come back after ack_wait if NATS itself is gone)."""
        with messaging.handling(msg):
            try:
                await self._attempt(msg)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - e.g. NATS went away while publishing an event
                log.exception("job delivery not settled; it will be redelivered", extra=logs.fields(subject=msg.subject))

    async def _attempt(self, msg) -> None:
        try:
            item = jobs_pb2.WorkItem.FromString(msg.data)
        except DecodeError:
            # A poison message: no job to fail, nothing to retry. Terminated and logged.
            log.error("unreadable work message terminated", extra=logs.fields(subject=msg.subject, size=len(msg.data)))
            await msg.term()
            return
        attempt = msg.metadata.num_delivered
        if item.job_id in self.cancelled:
            log.info("cancelled job skipped", extra=logs.fields(job_id=item.job_id))
            await msg.ack_sync()
            return
        if attempt > self.max_attempts:
            # Checked before any work: a job that kills its worker (out of memory, say)
            # never reaches an except branch, so only the delivery count can stop it.
            log.error("job given up: it stopped its worker on every attempt", extra=logs.fields(job_id=item.job_id, attempt=attempt))
            await self._fail(
                msg, item, attempt, "PROCESSING_FAILED",
                f"The job stopped its worker {attempt - 1} times (an image too large for this server?) and was given up; its credits are refunded",
            )
            return
        log.info("job started", extra=logs.fields(job_id=item.job_id, attempt=attempt))
        await self._publish(item.job_id, jobs_pb2.JobEvent(status=jobs_pb2.JOB_STATUS_PROCESSING, attempt=attempt))
        heartbeat = asyncio.create_task(self._heartbeat(msg))
        timings: dict[str, float] = {}
        try:
            async def progress(percent: int, message: str) -> None:
                self._check_cancelled(item.job_id)
                event = jobs_pb2.JobEvent(status=jobs_pb2.JOB_STATUS_PROCESSING, attempt=attempt, progress=percent, progress_message=message)
                await self._publish(item.job_id, event)

            result = await self._run_waiting_for_model_server(item, attempt, timings, progress)
        except JobCancelled:
            log.info("job stopped: cancelled", extra=logs.fields(job_id=item.job_id))
            await msg.ack_sync()
        except ServiceError as exc:
            await self._fail(msg, item, attempt, exc.reason, exc.message)
        except ObjectNotFound:
            await self._fail(msg, item, attempt, "INPUT_NOT_FOUND", "The uploaded image is no longer stored")
        except ModelServerUnavailable:
            # Waited out model_server_wait_s already: hand the job back, another worker may see a live server.
            await msg.nak(delay=self.retry_delay)
        except (ModelError, Exception):  # noqa: BLE001 - a bug must not lose the job
            log.exception("job attempt failed", extra=logs.fields(job_id=item.job_id, attempt=attempt))
            if attempt >= self.max_attempts:
                await self._fail(msg, item, attempt, "PROCESSING_FAILED", "Failed to process image")
            else:
                await msg.nak(delay=self.retry_delay * attempt)
        else:
            event = jobs_pb2.JobEvent(status=jobs_pb2.JOB_STATUS_COMPLETED, result=result, attempt=attempt)
            await self._publish(item.job_id, event, msg_id=f"{item.job_id}:completed")
            await msg.ack_sync()
            log.info("job completed", extra=logs.fields(job_id=item.job_id, **timings))
        finally:
            heartbeat.cancel()

    async def _run_waiting_for_model_server(self, item, attempt: int, timings: dict, progress) -> jobs_pb2.JobResult:
        """Runs the job; while the model server is down, waits for it within this delivery
        (the heartbeat keeps the message), so an outage does not use up the job's attempts."""
        deadline = time.monotonic() + self.model_server_wait
        backoff = messaging.Backoff(first=self.retry_delay, cap=10.0)
        while True:
            try:
                return await self.operations.run(item, timings, progress)
            except ModelServerUnavailable as exc:
                if time.monotonic() > deadline:
                    raise
                log.warning("inference server unavailable; waiting for it", extra=logs.fields(job_id=item.job_id))
                await self._publish(
                    item.job_id,
                    jobs_pb2.JobEvent(
                        status=jobs_pb2.JOB_STATUS_QUEUED, error_code="MODEL_SERVER_UNAVAILABLE", error_message=str(exc), attempt=attempt
                    ),
                )
                await asyncio.sleep(backoff.next())

    async def _fail(self, msg, item, attempt: int, code: str, message: str) -> None:
        log.info("job failed", extra=logs.fields(job_id=item.job_id, error_code=code))
        event = jobs_pb2.JobEvent(
            status=jobs_pb2.JOB_STATUS_FAILED, error_code=code, error_message=message, attempt=attempt
        )
        await self._publish(item.job_id, event, msg_id=f"{item.job_id}:failed")
        await msg.ack_sync()

    async def _publish(self, job_id: str, event: jobs_pb2.JobEvent, msg_id: str | None = None) -> None:
        event.job_id = job_id
        headers = messaging.headers()
        if msg_id:
            headers["Nats-Msg-Id"] = msg_id
        await self.js.publish(f"{messaging.EVENTS_SUBJECT}.{job_id}", event.SerializeToString(), headers=headers)
