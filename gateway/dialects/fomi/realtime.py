"""Seed 004's "Real-time Updates (WebSocket)" at /fomi/v1/ws, served by gateway/websocket.py.

The token is in the upgrade's headers (`Authorization: Bearer <JWT or API key>`, or
`X-API-Key`), checked by the auth service; without a valid one the upgrade is refused
with 401 in seed 004's envelope (AUTHENTICATION_FAILED). The client then sends
{"type": "subscribe", "events": [...]} (and may send "unsubscribe"); it is answered
{"type": "subscribed", "events": [what it is subscribed to now]}.

A subscription is to event types, not ids: generation_progress follows every
generation job of the caller's own (text-to-image, variations, edits, inpainting,
outpainting), those running when it subscribes and each one started after, and sends
{type, generationId, progress, status, message, timestamp} as each advances (the
diffusion worker reports every denoising step), then its completed or failed.
training_progress follows the caller's trainings the same way (POST /models/train):
{type, trainingId, progress, epoch, loss, status, message, timestamp} for each step
the training worker reports (the loss is that step's), then completed or failed.
system_notifications is accepted, but nothing sends notifications. An unknown event
or message type is an error message on the socket, {"type": "error", "error": {code,
message, details}}, and the socket stays open.

Finding new jobs: the orchestrator's Watch follows an id, and no RPC streams an owner's
new jobs, so the caller's newest jobs are listed every FOMI_WS_POLL_S (one indexed
query, only the last few seconds' jobs) and each new generation is watched; a job this
gateway queues for the caller wakes the listing at once (process.NewJobs), so it is
followed from its first step.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging

import grpc
from google.protobuf import timestamp_pb2

from backdrop.jobs.v1 import jobs_pb2, jobs_pb2_grpc
from gateway.generation import STATUS, progress_message
from gateway.process import NewJobs
from services.inference.pipeline.lora import parse_message
from gateway.websocket import Session
from services.runtime import envelopes
from services.runtime.clock import iso_stamp, now_iso
from services.runtime.config import env_float

log = logging.getLogger(__name__)
PATH = "/fomi/v1/ws"
EVENTS = ("generation_progress", "training_progress", "system_notifications")
MAX_EVENTS_PER_MESSAGE = 10
TERMINAL = (jobs_pb2.JOB_STATUS_COMPLETED, jobs_pb2.JOB_STATUS_FAILED)
LIST_LIMIT = 100
# Jobs are listed from a little before the newest one seen: a job whose row commits
# after a later one's is still found.
OVERLAP = dt.timedelta(seconds=5)


def error(code: str, message: str, **details) -> dict:
    return {"type": "error", "error": {"code": code, "message": message, "details": details}}


def generation_event(job: jobs_pb2.Job) -> dict:
    return {
        "type": "generation_progress",
        "generationId": job.id,
        "progress": job.progress,
        "status": STATUS.get(job.status, "pending"),
        "message": progress_message(job),
        "timestamp": iso_stamp(job.updated_at) or now_iso(),
    }


TRAINING_STATUS = {
    jobs_pb2.JOB_STATUS_QUEUED: "uploading", jobs_pb2.JOB_STATUS_PROCESSING: "training",
    jobs_pb2.JOB_STATUS_COMPLETED: "completed", jobs_pb2.JOB_STATUS_FAILED: "failed",
}
# The event each followed operation sends, and the subscription it needs.
FOLLOWED = {"generate": "generation_progress", "train": "training_progress"}


def training_event(job: jobs_pb2.Job) -> dict:
    epoch, loss = parse_message(job.progress_message) or (0, 0.0)
    if job.status == jobs_pb2.JOB_STATUS_COMPLETED and job.result.training.epoch_losses:
        epoch, loss = job.train.epochs, job.result.training.epoch_losses[-1]
    return {
        "type": "training_progress",
        "trainingId": job.id,
        "progress": job.progress,
        "epoch": epoch,
        "loss": loss,
        "status": TRAINING_STATUS.get(job.status, "uploading"),
        "message": job.progress_message if job.status == jobs_pb2.JOB_STATUS_PROCESSING else progress_message(job),
        "timestamp": iso_stamp(job.updated_at) or now_iso(),
    }


def _events(message: dict) -> list[str] | dict:
    """The message's event names, or the error to send back."""
    events = message.get("events")
    if not isinstance(events, list) or not 1 <= len(events) <= MAX_EVENTS_PER_MESSAGE or not all(isinstance(e, str) for e in events):
        return error(
            "INVALID_PARAMETER", f"events must be a list of 1 to {MAX_EVENTS_PER_MESSAGE} event names: {', '.join(EVENTS)}",
            field="events",
        )
    unknown = [name for name in events if name not in EVENTS]
    if unknown:
        return error("UNKNOWN_EVENT", f"Unknown event {unknown[0][:64]!r}; the events are {', '.join(EVENTS)}", events=",".join(EVENTS))
    return events


class RealtimeUpdates:
    paths = frozenset({PATH})
    dialect = envelopes.FOMI

    def __init__(self, jobs: jobs_pb2_grpc.JobServiceStub, new_jobs: NewJobs):
        self.jobs = jobs
        self.new_jobs = new_jobs
        self.poll_s = env_float("FOMI_WS_POLL_S", 1.0)

    async def serve(self, session: Session) -> None:
        subscribed: set[str] = set()
        feed: asyncio.Task | None = None
        async for message in session.messages():
            kind = message.get("type") if isinstance(message, dict) else None
            if kind not in ("subscribe", "unsubscribe"):
                await session.send(error("INVALID_MESSAGE", 'Send {"type": "subscribe", "events": [...]} (or "unsubscribe")'))
                continue
            events = _events(message)
            if isinstance(events, dict):
                await session.send(events)
                continue
            if kind == "subscribe":
                subscribed.update(events)
            else:
                subscribed.difference_update(events)
            followed = subscribed & set(FOLLOWED.values())
            if followed and (feed is None or feed.done()):
                ready = asyncio.Event()
                feed = session.follow(self._generations(session, ready, subscribed))
                if feed is None:
                    subscribed.difference_update(followed)
                    await session.send(error("RATE_LIMITED", "This socket follows too much at once; close some subscriptions"))
                    continue
                # Answered once the running jobs are known: a job started after the answer is news.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(ready.wait(), timeout=15)
            elif not followed and feed is not None:
                feed.cancel()
                feed = None
            await session.send({"type": f"{kind}d", "events": sorted(subscribed)})

    async def _generations(self, session: Session, ready: asyncio.Event, subscribed: set[str]) -> None:
        """Follows each generation (and training) job of the caller whose event is in `subscribed`:
        those running now, then every new one. `ready` is set once the jobs that were running
        are known (or could not be listed)."""
        seen: set[str] = set()
        followers: list[asyncio.Task] = []
        since: timestamp_pb2.Timestamp | None = None  # None: the first listing, taken as it stands
        try:
            while True:
                request = jobs_pb2.ListJobsRequest(owner_id=session.user_id, limit=LIST_LIMIT)  # newest first
                if since is not None:
                    request.start.CopyFrom(since)
                try:
                    listed = list((await self.jobs.ListJobs(request, timeout=10)).jobs)
                except grpc.aio.AioRpcError as failed:
                    log.warning("listing jobs for a socket failed: %s", failed.code().name)
                    ready.set()
                    await asyncio.sleep(self.poll_s)
                    continue
                for job in reversed(listed):  # oldest first
                    if job.id in seen:
                        continue
                    # Jobs that had ended before the subscription are not news.
                    event_name = FOLLOWED.get(job.WhichOneof("operation"))
                    if event_name is None or (since is None and job.status in TERMINAL):
                        seen.add(job.id)
                        continue
                    if event_name not in subscribed:  # followed once its event is subscribed to
                        continue
                    follower = session.follow(self._follow(session, job.id, seen))
                    if follower is None:
                        break  # at the socket's bound: tried again next round
                    seen.add(job.id)
                    followers.append(follower)
                since = timestamp_pb2.Timestamp()  # with no job yet, every later one is new
                if listed:
                    since.FromDatetime(listed[0].created_at.ToDatetime(dt.UTC) - OVERLAP)
                    seen.intersection_update(job.id for job in listed)
                ready.set()
                followers = [task for task in followers if not task.done()]
                await self.new_jobs.wait(session.user_id, self.poll_s)
        finally:
            for task in followers:
                task.cancel()

    async def _follow(self, session: Session, job_id: str, seen: set[str]) -> None:
        """One job's events as they change, until it ends."""
        last = None
        try:
            async for batch in self.jobs.Watch(jobs_pb2.WatchRequest(id=job_id, owner_id=session.user_id)):
                job = batch.jobs[0]
                event = training_event(job) if job.WhichOneof("operation") == "train" else generation_event(job)
                if (event["progress"], event["status"], event["message"]) != last:
                    last = (event["progress"], event["status"], event["message"])
                    await session.send(event)
                if job.status in TERMINAL:
                    return
        except grpc.aio.AioRpcError as failed:
            log.warning("watching a job for a socket failed: %s", failed.code().name)
            seen.discard(job_id)  # found again next round, and followed from where it is
