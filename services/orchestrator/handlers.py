"""JobService: submit, get, list and wait for jobs and batches.

A row and its work message never disagree for long: the row is written first
(published_at empty), then the message (Nats-Msg-Id = job id, so a second
publish is a no-op), then published_at is set; the republisher sends whatever
a crash left unpublished. That is a transactional outbox whose relay reads the
jobs table itself. Results flow back as JetStream events the orchestrator
applies idempotently (terminal states are final).
"""

from __future__ import annotations

import asyncio
import logging
import uuid

import grpc

from nats.aio.client import Client
from nats.js import JetStreamContext

from backdrop.jobs.v1 import jobs_pb2, jobs_pb2_grpc
from services.orchestrator.store import JobStore
from services.runtime import logs, messaging
from services.runtime.config import env_float
from services.runtime.errors import ServiceError, idempotency_conflict, invalid, not_found, rpc_errors, unavailable

log = logging.getLogger(__name__)

TERMINAL = (jobs_pb2.JOB_STATUS_COMPLETED, jobs_pb2.JOB_STATUS_FAILED)
MAX_WAIT_S = 300.0


def _job_id(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise not_found("JOB_NOT_FOUND", f"No job with id {value!r}") from None


def _owner(value: str) -> str | None:
    if not value:
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise invalid("INVALID_REQUEST", "owner_id must be a UUID") from None


def settled(job: jobs_pb2.Job) -> bool:
    """Finished, or waiting on something unavailable (the caller should know)."""
    return job.status in TERMINAL or (job.status == jobs_pb2.JOB_STATUS_QUEUED and bool(job.error_code))


class Publisher:
    """Publishes a job's work message; shared by SubmitJob and the republisher."""

    def __init__(self, js: JetStreamContext, store: JobStore):
        self.js = js
        self.store = store

    async def publish(self, job: jobs_pb2.Job) -> None:
        operation = job.WhichOneof("operation")
        item = jobs_pb2.WorkItem(job_id=job.id, input_key=job.input_key)
        getattr(item, operation).CopyFrom(getattr(job, operation))
        headers = {**messaging.headers(), "Nats-Msg-Id": job.id}
        await self.js.publish(f"{messaging.WORK_SUBJECT}.{operation}", item.SerializeToString(), headers=headers)
        await self.store.mark_published(job.id)

    async def fail(self, job_id: str, code: str, message: str) -> jobs_pb2.JobEvent:
        """Publishes a FAILED event for the job, as a worker would: the orchestrator's consumer
        applies it and tells the owner, and billing refunds the charge (once, by message id)."""
        event = jobs_pb2.JobEvent(job_id=job_id, status=jobs_pb2.JOB_STATUS_FAILED, error_code=code, error_message=message)
        await self.js.publish(
            f"{messaging.EVENTS_SUBJECT}.{job_id}", event.SerializeToString(),
            headers={**messaging.headers(), "Nats-Msg-Id": f"{job_id}:failed"},
        )
        return event

    async def republish_forgotten(self) -> None:
        """Publishes jobs whose submit died between the insert and the publish."""
        interval = env_float("REPUBLISH_INTERVAL_S", 15.0)
        while True:
            await asyncio.sleep(interval)
            try:
                for job in await self.store.unpublished(older_than_s=interval):
                    log.warning("republishing job", extra=logs.fields(job_id=job.id))
                    await self.publish(job)
            except Exception:  # noqa: BLE001 - retried next round
                log.exception("republish round failed")


class JobServicer(jobs_pb2_grpc.JobServiceServicer):
    def __init__(self, store: JobStore, publisher: Publisher, nats_client: Client):
        self.store = store
        self.publisher = publisher
        self.nats = nats_client

    @rpc_errors
    async def SubmitJob(self, request, context):
        operation = request.WhichOneof("operation")
        if operation is None:
            raise invalid("INVALID_REQUEST", "A job needs an operation")
        if not request.input_key and not (operation == "generate" and request.generate.mode in ("text", "video")):
            raise invalid("INVALID_REQUEST", "A job needs an input_key")
        try:
            job_id = str(uuid.UUID(request.job_id)) if request.job_id else str(uuid.uuid4())
        except ValueError:
            raise invalid("INVALID_REQUEST", "job_id must be a UUID") from None
        owner_id = _owner(request.owner_id)
        options = getattr(request, operation).SerializeToString()
        job, created = await self.store.create(
            job_id, operation, options, request.input_key, owner_id, request.tier, request.credits, request.notify_email,
            request.request_hash,
        )
        if not created and job.owner_id != (owner_id or ""):
            raise ServiceError(grpc.StatusCode.ALREADY_EXISTS, "JOB_EXISTS", "A job with this id already exists")
        if not created and job.request_hash != request.request_hash:
            raise idempotency_conflict()
        if created:
            try:
                await self.publisher.publish(job)
            except Exception:
                # The republisher will send it; the job is not lost.
                log.exception("publish failed; left for the republisher", extra=logs.fields(job_id=job_id))
        log.info("job submitted", extra=logs.fields(job_id=job_id, operation=operation, created=created))
        return job

    @rpc_errors
    async def SubmitBatch(self, request, context):
        operation = request.WhichOneof("operation")
        if operation is None or not request.items:
            raise invalid("INVALID_REQUEST", "A batch needs an operation and at least one item")
        batch_id = _job_id(request.batch_id) if request.batch_id else str(uuid.uuid4())
        for item in request.items:
            _job_id(item.job_id)
            if not item.input_key:
                raise invalid("INVALID_REQUEST", "Every batch item needs an input_key")
        options = getattr(request, operation).SerializeToString()
        batch = await self.store.create_batch(
            batch_id, _owner(request.owner_id), operation, options, list(request.items), request.tier, request.request_hash
        )
        if batch.request_hash != request.request_hash:
            raise idempotency_conflict()
        for job in batch.jobs:
            if job.status == jobs_pb2.JOB_STATUS_QUEUED:
                try:
                    await self.publisher.publish(job)
                except Exception:
                    log.exception("publish failed; left for the republisher", extra=logs.fields(job_id=job.id))
        log.info("batch submitted", extra=logs.fields(batch_id=batch_id, jobs=len(batch.jobs)))
        return batch

    @rpc_errors
    async def ListJobs(self, request, context):
        if not request.owner_id:
            raise invalid("INVALID_REQUEST", "ListJobs needs an owner_id")
        _owner(request.owner_id)
        limit = min(max(request.limit or 20, 1), 100)
        page = max(request.page or 1, 1)
        found, total = await self.store.list(request, (page - 1) * limit, limit)
        return jobs_pb2.ListJobsResponse(jobs=found, total=total)

    async def _snapshot(self, item_id: str, owner_id: str) -> jobs_pb2.Batch:
        """A batch, or a single job as a batch of one."""
        batch = await self.store.get_batch(item_id, owner_id)
        if batch is not None:
            return batch
        job = await self._get(item_id, owner_id)
        return jobs_pb2.Batch(id=job.id, owner_id=job.owner_id, created_at=job.created_at, jobs=[job])

    @rpc_errors
    async def Watch(self, request, context):
        snapshot = await self._snapshot(_job_id(request.id), request.owner_id)
        poll_s = env_float("WATCH_POLL_S", 15.0)
        changed = asyncio.Event()

        async def on_change(_msg):
            changed.set()

        subscriptions = [
            await self.nats.subscribe(f"{messaging.NOTIFY_SUBJECT}.{job.id}", cb=on_change) for job in snapshot.jobs
        ]
        try:
            last = None
            while True:
                snapshot = await self._snapshot(snapshot.id, request.owner_id)
                if snapshot != last:
                    yield snapshot
                    last = snapshot
                if all(job.status in TERMINAL for job in snapshot.jobs):
                    return
                changed.clear()
                # The notification wakes the stream; a slow poll (WATCH_POLL_S) covers a lost one, so
                # an idle stream does not re-read its rows every few seconds (L10).
                try:
                    await asyncio.wait_for(changed.wait(), timeout=poll_s)
                    await asyncio.sleep(0.1)  # a burst (a batch's jobs ending together) is read once
                except TimeoutError:
                    pass
        finally:
            for subscription in subscriptions:
                await subscription.unsubscribe()

    @rpc_errors
    async def GetBatch(self, request, context):
        batch = await self.store.get_batch(_job_id(request.batch_id), request.owner_id)
        if batch is None:
            raise not_found("JOB_NOT_FOUND", f"No batch with id {request.batch_id!r}")
        return batch

    @rpc_errors
    async def GetJob(self, request, context):
        return await self._get(request.job_id, request.owner_id)

    @rpc_errors
    async def GetJobStats(self, request, context):
        return await self.store.stats(min(max(request.days, 1), 365))

    async def _get(self, job_id: str, owner_id: str = "") -> jobs_pb2.Job:
        job = await self.store.get(_job_id(job_id), owner_id)
        if job is None:
            raise not_found("JOB_NOT_FOUND", f"No job with id {job_id!r}")
        return job

    @rpc_errors
    async def CancelJob(self, request, context):
        """The FAILED event goes through the events stream like a worker's, so billing refunds the charge."""
        job = await self._get(request.job_id, request.owner_id)
        if job.status in TERMINAL:
            raise ServiceError(grpc.StatusCode.FAILED_PRECONDITION, "JOB_FINISHED", "The job has already finished", http_status=409)
        event = await self.publisher.fail(job.id, "CANCELLED", "Cancelled by its owner")
        await self.nats.publish(f"{messaging.CANCEL_SUBJECT}.{job.id}", b"")
        if await self.store.apply(event):  # also applied here, so the answer shows it
            await self.nats.publish(f"{messaging.NOTIFY_SUBJECT}.{job.id}", b"")
        log.info("job cancelled", extra=logs.fields(job_id=job.id))
        return await self._get(job.id, request.owner_id)

    @rpc_errors
    async def WaitJob(self, request, context):
        timeout = min(max(request.timeout_seconds, 0.0), MAX_WAIT_S)
        job = await self._get(request.job_id, request.owner_id)
        changed = asyncio.Event()

        async def on_change(_msg):
            changed.set()

        if not self.nats.is_connected:
            raise unavailable("SERVICE_UNAVAILABLE", "The message bus is unavailable")
        subscription = await self.nats.subscribe(f"{messaging.NOTIFY_SUBJECT}.{job.id}", cb=on_change)
        try:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
            job = await self._get(job.id)  # read again: the change may precede the subscription
            while not settled(job) and loop.time() < deadline:
                changed.clear()
                # The notification is a hint; a slow poll covers a lost one.
                try:
                    await asyncio.wait_for(changed.wait(), timeout=min(2.0, deadline - loop.time()))
                except TimeoutError:
                    pass
                job = await self._get(job.id)
        finally:
            await subscription.unsubscribe()
        return job
