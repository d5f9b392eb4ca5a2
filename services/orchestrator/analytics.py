"""Seed 004's usage analytics over the jobs table (GalleryService.GetUsage): completed
generations and enhancements and the credits of the period's jobs, grouped in SQL by UTC
day, operation and status; weeks and months are sums of those days. The ledger's
figures (credits used, balance) are billing's, read by the gateway."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from backdrop.jobs.v1 import gallery_pb2
from services.orchestrator.store import jobs

# The job operations seed 004 counts: diffusion's kinds (generate, variations, inpaint,
# outpaint, edit are modes of one operation) and the enhancements.
GENERATIONS = ("generate",)
VIDEOS: tuple[str, ...] = ()  # no video operation yet
ENHANCEMENTS = ("upscale", "enhance", "remove_background")
MODEL = "stable-diffusion"  # what every generation runs: the installed diffusion pipeline
MAX_DAYS = 366


def _week(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _buckets(days: list[dt.date], totals: dict, start_of) -> list[gallery_pb2.UsageBucket]:
    """Sums the days' totals into buckets starting at start_of(day), oldest first."""
    buckets: dict[dt.date, list[int]] = {}
    for day in days:
        bucket = buckets.setdefault(start_of(day), [0, 0, 0])
        for i, value in enumerate(totals.get(day, (0, 0, 0))):
            bucket[i] += value
    return [
        gallery_pb2.UsageBucket(date=start.isoformat(), generations=g, enhancements=e, credits=c)
        for start, (g, e, c) in buckets.items()
    ]


async def usage(engine: AsyncEngine, owner_id: str, days: int) -> gallery_pb2.Usage:
    days = min(max(days, 1), MAX_DAYS)
    today = dt.datetime.now(dt.UTC).date()
    first = today - dt.timedelta(days=days - 1)
    day = sa.func.date_trunc("day", sa.func.timezone("UTC", jobs.c.created_at)).label("day")
    query = (
        sa.select(day, jobs.c.operation, jobs.c.status, sa.func.count().label("count"), sa.func.sum(jobs.c.credits).label("credits"))
        .where(
            jobs.c.owner_id == owner_id,
            jobs.c.created_at >= dt.datetime.combine(first, dt.time(), dt.UTC),
            jobs.c.operation.in_(GENERATIONS + VIDEOS + ENHANCEMENTS),
        )
        .group_by(day, jobs.c.operation, jobs.c.status)
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    counts: dict[str, int] = defaultdict(int)  # completed jobs per operation
    finished = completed_credits = 0
    totals: dict[dt.date, tuple[int, int, int]] = {}
    for row in rows:
        credits = int(row.credits or 0)
        completed = row.status == "completed"
        if completed:
            counts[row.operation] += row.count
            completed_credits += credits
        if row.status in ("completed", "failed"):
            finished += credits
        g, e, c = totals.get(row.day.date(), (0, 0, 0))
        done = row.count if completed else 0
        totals[row.day.date()] = (
            g + (done if row.operation not in ENHANCEMENTS else 0),
            e + (done if row.operation in ENHANCEMENTS else 0),
            c + (0 if row.status == "failed" else credits),  # a failed job's credits are refunded
        )
    images = sum(counts[op] for op in GENERATIONS)
    period = [first + dt.timedelta(days=n) for n in range(days)]
    return gallery_pb2.Usage(
        images=images,
        videos=sum(counts[op] for op in VIDEOS),
        enhancements=sum(counts[op] for op in ENHANCEMENTS),
        models={MODEL: images} if images else {},
        finished_credits=finished,
        completed_credits=completed_credits,
        daily=_buckets(period, totals, lambda d: d),
        weekly=_buckets(period, totals, _week),
        monthly=_buckets(period, totals, _month),
        since=first.isoformat(),
    )
