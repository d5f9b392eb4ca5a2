"""The jobs table and every query on it (typed SQLModel rows, SQLAlchemy Core queries, parameterised).

A job moves queued -> processing -> completed | failed. Terminal states are
final: every update is guarded by the states it may leave, so a redelivered
or duplicated event never changes a finished job.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from google.protobuf import timestamp_pb2
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncEngine

from backdrop.jobs.v1 import jobs_pb2
from services.runtime import metrics
from services.runtime.db import column, record, records, tables

Tables = tables()
metadata = Tables.metadata
UUID = postgresql.UUID(as_uuid=False)
TZ = sa.DateTime(timezone=True)


class Job(Tables, table=True):
    __tablename__ = "jobs"
    id: str = column(UUID, primary_key=True)
    operation: str = column(sa.Text, nullable=False)
    status: str = column(sa.Text, nullable=False)
    input_key: str = column(sa.Text, nullable=False)
    # The operation's options message, serialised.
    options: bytes = column(postgresql.BYTEA, nullable=False)
    # jobs.v1.JobResult, serialised.
    result: bytes | None = column(postgresql.BYTEA)
    error_code: str | None = column(sa.Text)
    error_message: str | None = column(sa.Text)
    attempts: int = column(sa.Integer, nullable=False, server_default="0")
    created_at: dt.datetime = column(TZ, nullable=False, server_default=sa.func.now())
    updated_at: dt.datetime = column(TZ, nullable=False, server_default=sa.func.now())
    published_at: dt.datetime | None = column(TZ)
    finished_at: dt.datetime | None = column(TZ)
    owner_id: str | None = column(UUID)
    batch_id: str | None = column(UUID)
    filename: str = column(sa.Text, nullable=False, server_default="")
    tier: str = column(sa.Text, nullable=False, server_default="")
    credits: int = column(sa.Integer, nullable=False, server_default="0")
    notify_email: str = column(sa.Text, nullable=False, server_default="")
    emailed_at: dt.datetime | None = column(TZ)
    # An email being sent: a lease, so a crash mid-send lets another try after it (emailed_at marks it sent).
    email_claimed_at: dt.datetime | None = column(TZ)
    request_hash: str = column(sa.Text, nullable=False, server_default="")
    expired_at: dt.datetime | None = column(TZ)
    progress: int = column(sa.Integer, nullable=False, server_default="0")
    progress_message: str = column(sa.Text, nullable=False, server_default="")


class Batch(Tables, table=True):
    __tablename__ = "batches"
    id: str = column(UUID, primary_key=True)
    owner_id: str | None = column(UUID)
    created_at: dt.datetime = column(TZ, nullable=False, server_default=sa.func.now())
    request_hash: str = column(sa.Text, nullable=False, server_default="")


jobs = Job.__table__
batches = Batch.__table__

STATUS_NAMES = {
    jobs_pb2.JOB_STATUS_QUEUED: "queued",
    jobs_pb2.JOB_STATUS_PROCESSING: "processing",
    jobs_pb2.JOB_STATUS_COMPLETED: "completed",
    jobs_pb2.JOB_STATUS_FAILED: "failed",
}
STATUS_VALUES = {name: value for value, name in STATUS_NAMES.items()}
OPEN = ("queued", "processing")
OPTION_TYPES = {
    "remove_background": jobs_pb2.RemoveBackgroundOptions,
    "upscale": jobs_pb2.UpscaleOptions,
    "enhance": jobs_pb2.EnhanceOptions,
    "generate": jobs_pb2.GenerateOptions,
    "remove_background_video": jobs_pb2.VideoRemovalOptions,
    "train": jobs_pb2.TrainOptions,
}


def timestamp(value: dt.datetime | None) -> timestamp_pb2.Timestamp | None:
    """A row's datetime as a message field (None stays unset)."""
    if value is None:
        return None
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


def to_proto(row: Job) -> jobs_pb2.Job:
    job = jobs_pb2.Job(
        id=row.id,
        status=STATUS_VALUES[row.status],
        input_key=row.input_key,
        error_code=row.error_code or "",
        error_message=row.error_message or "",
        attempts=row.attempts,
        created_at=timestamp(row.created_at),
        updated_at=timestamp(row.updated_at),
        finished_at=timestamp(row.finished_at),
        owner_id=row.owner_id or "",
        batch_id=row.batch_id or "",
        filename=row.filename,
        tier=row.tier,
        credits=row.credits,
        notify_email=row.notify_email,
        request_hash=row.request_hash,
        expired=row.expired_at is not None,
        progress=100 if row.status == "completed" else row.progress,
        progress_message=row.progress_message,
    )
    getattr(job, row.operation).CopyFrom(OPTION_TYPES[row.operation].FromString(row.options))
    if row.result:
        job.result.CopyFrom(jobs_pb2.JobResult.FromString(row.result))
    return job


class JobStore:
    def __init__(self, db: AsyncEngine):
        self.db = db

    async def create(
        self,
        job_id: str,
        operation: str,
        options: bytes,
        input_key: str,
        owner_id: str | None,
        tier: str = "",
        credits: int = 0,
        notify_email: str = "",
        request_hash: str = "",
    ) -> tuple[jobs_pb2.Job, bool]:
        """Inserts the job; returns (job, created). An existing id is returned as it is."""
        insert = (
            postgresql.insert(jobs)
            .values(
                id=job_id, operation=operation, status="queued", input_key=input_key, options=options, owner_id=owner_id,
                tier=tier, credits=credits, notify_email=notify_email, request_hash=request_hash,
            )
            .on_conflict_do_nothing(index_elements=[jobs.c.id])
            .returning(*jobs.c)
        )
        async with self.db.begin() as conn:
            row = record(Job, (await conn.execute(insert)).first())
            if row is not None:
                metrics.JOBS.labels("queued").inc()
                return to_proto(row), True
            existing = record(Job, (await conn.execute(sa.select(jobs).where(jobs.c.id == job_id))).one())
            return to_proto(existing), False

    async def create_batch(
        self,
        batch_id: str,
        owner_id: str | None,
        operation: str,
        options: bytes,
        items: list[jobs_pb2.BatchItem],
        tier: str = "",
        request_hash: str = "",
    ) -> jobs_pb2.Batch:
        """The batch and its jobs, in one transaction; a retried batch id returns what exists."""
        async with self.db.begin() as conn:
            created = (
                await conn.execute(
                    postgresql.insert(batches)
                    .values(id=batch_id, owner_id=owner_id, request_hash=request_hash)
                    .on_conflict_do_nothing(index_elements=[batches.c.id])
                    .returning(batches.c.id)
                )
            ).first()
            if created is not None:
                await conn.execute(
                    jobs.insert(),
                    [
                        dict(
                            id=item.job_id, operation=operation, status="queued", input_key=item.input_key, options=options,
                            owner_id=owner_id, batch_id=batch_id, filename=item.filename, tier=tier, credits=item.credits,
                        )
                        for item in items
                    ],
                )
                metrics.JOBS.labels("queued").inc(len(items))
        return await self.get_batch(batch_id, owner_id or "")

    async def get_batch(self, batch_id: str, owner_id: str = "") -> jobs_pb2.Batch | None:
        query = sa.select(batches).where(batches.c.id == batch_id)
        if owner_id:
            query = query.where(batches.c.owner_id == owner_id)
        async with self.db.connect() as conn:
            batch = record(Batch, (await conn.execute(query)).first())
            if batch is None:
                return None
            query = sa.select(jobs).where(jobs.c.batch_id == batch_id).order_by(jobs.c.created_at, jobs.c.filename)
            rows = records(Job, await conn.execute(query))
        return jobs_pb2.Batch(
            id=batch.id, owner_id=batch.owner_id or "", created_at=timestamp(batch.created_at), jobs=[to_proto(r) for r in rows],
            request_hash=batch.request_hash,
        )

    async def get(self, job_id: str, owner_id: str = "") -> jobs_pb2.Job | None:
        """The job; with an owner, only that owner's job."""
        query = sa.select(jobs).where(jobs.c.id == job_id)
        if owner_id:
            query = query.where(jobs.c.owner_id == owner_id)
        async with self.db.connect() as conn:
            row = record(Job, (await conn.execute(query)).first())
        return to_proto(row) if row else None

    async def mark_published(self, job_id: str) -> None:
        async with self.db.begin() as conn:
            await conn.execute(jobs.update().where(jobs.c.id == job_id).values(published_at=sa.func.now()))

    async def unpublished(self, older_than_s: float, limit: int = 100) -> list[jobs_pb2.Job]:
        """Jobs whose work message was never published (a crash between insert and publish)."""
        cutoff = sa.func.now() - dt.timedelta(seconds=older_than_s)
        query = (
            sa.select(jobs)
            .where(jobs.c.published_at.is_(None), jobs.c.status == "queued", jobs.c.created_at < cutoff)
            .order_by(jobs.c.created_at)
            .limit(limit)
        )
        async with self.db.connect() as conn:
            return [to_proto(row) for row in records(Job, await conn.execute(query))]

    async def list(self, request: jobs_pb2.ListJobsRequest, offset: int, limit: int) -> tuple[list[jobs_pb2.Job], int]:
        """A user's jobs, filtered and sorted as seed 001's history asks."""
        where = [jobs.c.owner_id == request.owner_id]
        if request.status:
            where.append(jobs.c.status == STATUS_NAMES[request.status])
        if request.tier:
            where.append(jobs.c.tier == request.tier)
        if request.HasField("start"):
            where.append(jobs.c.created_at >= request.start.ToDatetime(dt.UTC))
        if request.HasField("end"):
            where.append(jobs.c.created_at <= request.end.ToDatetime(dt.UTC))
        column = jobs.c.credits if request.sort_by == "credits" else jobs.c.created_at
        order = column.asc() if request.ascending else column.desc()
        async with self.db.connect() as conn:
            total = (await conn.execute(sa.select(sa.func.count()).select_from(jobs).where(*where))).scalar_one()
            rows = records(Job, await conn.execute(sa.select(jobs).where(*where).order_by(order, jobs.c.id).offset(offset).limit(limit)))
        return [to_proto(row) for row in rows], total

    async def claim_email(self, job_id: str, lease_s: float = 120.0) -> tuple[jobs_pb2.Job | None, bool]:
        """(the finished job if this caller may send its email now, whether it was sent already).

        The claim is a lease, and the email counts as sent only once mark_emailed runs after
        the send: a crash in between lets a later try send it, instead of dropping it (L11)."""
        lease_cutoff = sa.func.now() - dt.timedelta(seconds=lease_s)
        claim = (
            jobs.update()
            .where(
                jobs.c.id == job_id, jobs.c.notify_email != "", jobs.c.emailed_at.is_(None),
                jobs.c.status.in_(("completed", "failed")),
                sa.or_(jobs.c.email_claimed_at.is_(None), jobs.c.email_claimed_at < lease_cutoff),
            )
            .values(email_claimed_at=sa.func.now())
            .returning(*jobs.c)
        )
        async with self.db.begin() as conn:
            row = record(Job, (await conn.execute(claim)).first())
            if row is not None:
                return to_proto(row), False
            sent = (await conn.execute(sa.select(jobs.c.emailed_at).where(jobs.c.id == job_id))).scalar()
        return None, sent is not None

    async def mark_emailed(self, job_id: str) -> None:
        async with self.db.begin() as conn:
            await conn.execute(jobs.update().where(jobs.c.id == job_id).values(emailed_at=sa.func.now()))

    async def unclaim_email(self, job_id: str) -> None:
        async with self.db.begin() as conn:
            await conn.execute(jobs.update().where(jobs.c.id == job_id).values(email_claimed_at=None))

    async def to_expire(self, older_than_s: float, limit: int = 200) -> list[jobs_pb2.Job]:
        cutoff = sa.func.now() - dt.timedelta(seconds=older_than_s)
        query = (
            sa.select(jobs)
            .where(jobs.c.expired_at.is_(None), jobs.c.finished_at.is_not(None), jobs.c.finished_at < cutoff)
            .order_by(jobs.c.finished_at)
            .limit(limit)
        )
        async with self.db.connect() as conn:
            return [to_proto(row) for row in records(Job, await conn.execute(query))]

    async def queued_before(self, older_than_s: float, limit: int = 200) -> list[str]:
        """Ids of jobs still queued though published longer ago than `older_than_s`."""
        cutoff = sa.func.now() - dt.timedelta(seconds=older_than_s)
        query = (
            sa.select(jobs.c.id)
            .where(jobs.c.status == "queued", jobs.c.published_at.is_not(None), jobs.c.published_at < cutoff)
            .order_by(jobs.c.published_at)
            .limit(limit)
        )
        async with self.db.connect() as conn:
            return [row.id for row in await conn.execute(query)]

    async def mark_expired(self, job_ids: list[str]) -> None:
        async with self.db.begin() as conn:
            await conn.execute(jobs.update().where(jobs.c.id.in_(job_ids)).values(expired_at=sa.func.now()))

    async def stats(self, days: int) -> jobs_pb2.JobStats:
        since = sa.func.now() - dt.timedelta(days=days)
        query = (
            sa.select(jobs.c.status, sa.func.count()).where(jobs.c.created_at >= since).group_by(jobs.c.status)
        )
        async with self.db.connect() as conn:
            counts = dict((await conn.execute(query)).all())
        completed, failed = counts.get("completed", 0), counts.get("failed", 0)
        finished = completed + failed
        return jobs_pb2.JobStats(
            total=sum(counts.values()),
            completed=completed,
            failed=failed,
            successRate=round(100 * completed / finished, 1) if finished else 0,
        )

    async def apply(self, event: jobs_pb2.JobEvent) -> bool:
        """Applies a worker's event; returns whether the row changed."""
        values: dict = {"updated_at": sa.func.now(), "attempts": sa.func.greatest(jobs.c.attempts, event.attempt)}
        status = STATUS_NAMES.get(event.status)
        if status is None:
            return False
        values["status"] = status
        if status == "processing" and event.progress:
            values["progress"] = sa.func.greatest(jobs.c.progress, event.progress)
            values["progress_message"] = event.progress_message
        values["error_code"] = event.error_code or None
        values["error_message"] = event.error_message or None
        if status == "completed":
            values["result"] = event.result.SerializeToString()
        if status in ("completed", "failed"):
            values["finished_at"] = sa.func.now()
        update = jobs.update().where(jobs.c.id == event.job_id, jobs.c.status.in_(OPEN)).values(**values)
        async with self.db.begin() as conn:
            changed = (await conn.execute(update)).rowcount > 0
        if changed and status in ("completed", "failed"):  # once: a finished job is never updated again
            metrics.JOBS.labels(status).inc()
        return changed
