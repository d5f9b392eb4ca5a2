"""Webhooks (seed 000): who to tell, what to send, and delivery with retries.

A delivery is a row, made once per webhook and event (a unique key), so a
redelivered job event never sends twice. A dispatcher takes due rows with
SKIP LOCKED (any number of replicas), posts the JSON (no image bytes, only
signed URLs) signed per the Standard Webhooks scheme, and records every
attempt: non-2xx is retried with exponential backoff and jitter for about a
day, 410 Gone disables the webhook at once, and so do repeated failed
deliveries. Targets go through the SSRF guard when created and again when sent.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime as dt
import hashlib
import hmac
import http.client
import json
import logging
import random
import secrets
import time
import uuid

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncEngine

from backdrop.jobs.v1 import jobs_pb2, webhooks_pb2, webhooks_pb2_grpc
from services.orchestrator.store import TZ, UUID, Tables
from services.runtime import logs, netguard
from services.runtime.clock import iso as _iso
from services.runtime.config import env_float, env_int
from services.runtime.db import column
from services.runtime.errors import invalid, not_found, rpc_errors
from services.runtime.signing import UrlSigner

log = logging.getLogger(__name__)
EVENTS = ("job.completed", "job.failed", "batch.completed", "project.created")
class Webhook(Tables, table=True):
    __tablename__ = "webhooks"
    id: str = column(UUID, primary_key=True)
    owner_id: str = column(UUID, nullable=False)
    url: str = column(sa.Text, nullable=False)
    events: list[str] = column(postgresql.ARRAY(sa.Text), nullable=False)
    secret: str = column(sa.Text, nullable=False)
    active: bool = column(sa.Boolean, nullable=False, server_default=sa.true())
    failures: int = column(sa.Integer, nullable=False, server_default="0")
    created_at: dt.datetime = column(TZ, nullable=False, server_default=sa.func.now())


class Delivery(Tables, table=True):
    __tablename__ = "webhook_deliveries"
    id: str = column(UUID, primary_key=True)
    webhook_id: str = column(UUID, nullable=False)
    event_id: str = column(sa.Text, nullable=False)
    event: str = column(sa.Text, nullable=False)
    payload: str = column(sa.Text, nullable=False)
    state: str = column(sa.Text, nullable=False, server_default="pending")
    attempts: int = column(sa.Integer, nullable=False, server_default="0")
    last_status_code: int = column(sa.Integer, nullable=False, server_default="0")
    last_error: str = column(sa.Text, nullable=False, server_default="")
    next_attempt_at: dt.datetime = column(TZ, nullable=False, server_default=sa.func.now())
    delivered_at: dt.datetime | None = column(TZ)
    created_at: dt.datetime = column(TZ, nullable=False, server_default=sa.func.now())


webhooks = Webhook.__table__
deliveries = Delivery.__table__


def signing_key(secret: str) -> bytes:
    """Standard Webhooks: a whsec_ secret is base64; any other is used as its bytes."""
    if secret.startswith("whsec_"):
        return base64.b64decode(secret[len("whsec_"):], validate=True)
    return secret.encode()


def check_secret(secret: str) -> None:
    """Refuses at creation a secret that could not sign (L1), rather than failing every delivery."""
    if len(secret) > 256:
        raise invalid("INVALID_WEBHOOK_SECRET", "secret is longer than 256 characters", field="secret")
    try:
        key = signing_key(secret)
    except (binascii.Error, ValueError):
        raise invalid(
            "INVALID_WEBHOOK_SECRET", "A secret starting with whsec_ must be followed by valid base64", field="secret"
        ) from None
    if not key:
        raise invalid("INVALID_WEBHOOK_SECRET", "secret holds no key: give whsec_ and base64 bytes", field="secret")


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(signing_key(secret), f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def backoff(attempt: int) -> float:
    """Seconds before the next attempt: doubling from the base, capped, with +-20% jitter."""
    delay = min(env_float("WEBHOOK_RETRY_BASE_S", 60.0) * 2 ** (attempt - 1), env_float("WEBHOOK_RETRY_CAP_S", 6 * 3600.0))
    return delay * random.uniform(0.8, 1.2)


def post(url: str, body: bytes, headers: dict[str, str], deadline: float | None = None) -> int:
    """One attempt; returns the HTTP status (raises OSError on network failure or past the deadline).

    The whole attempt (DNS, connect, send, headers, a small body read) has one deadline
    (WEBHOOK_TIMEOUT_S): a watchdog shuts the socket down when it passes, so a receiver that
    drip-feeds its answer cannot hold the attempt open (M8)."""
    deadline = deadline if deadline is not None else env_float("WEBHOOK_TIMEOUT_S", 10.0)
    started = time.monotonic()
    target = netguard.check(url)
    remaining = deadline - (time.monotonic() - started)
    if remaining <= 0:
        raise TimeoutError(f"no answer within {deadline:g} s")
    connection = netguard.connect(target, remaining)
    watchdog, expired = netguard.start_watchdog(connection, remaining)
    try:
        connection.request("POST", target.path, body=body, headers={**headers, "Host": target.host_header})
        response = connection.getresponse()
        response.read(4 * 1024)
        if expired.is_set():
            raise TimeoutError(f"no answer within {deadline:g} s")
        return response.status
    except (OSError, http.client.HTTPException) as exc:
        if expired.is_set():
            raise TimeoutError(f"no answer within {deadline:g} s") from exc
        raise
    finally:
        watchdog.cancel()
        connection.close()


def _webhook_message(row, secret: str = "") -> webhooks_pb2.Webhook:
    return webhooks_pb2.Webhook(
        id=row.id, url=row.url, events=list(row.events), active=row.active, created_at=_iso(row.created_at), secret=secret
    )


class Webhooks(webhooks_pb2_grpc.WebhookServiceServicer):
    def __init__(self, db: AsyncEngine, signer: UrlSigner | None):
        self.db = db
        self.signer = signer

    # --- the API -----------------------------------------------------------------

    @rpc_errors
    async def CreateWebhook(self, request, context):
        target = await asyncio.to_thread(netguard.check, request.url)
        events = list(dict.fromkeys(request.events))
        if not events or any(e not in EVENTS for e in events):
            raise invalid("INVALID_PARAMETER", f"events must be some of {', '.join(EVENTS)}", field="events")
        secret = request.secret or "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
        check_secret(secret)
        async with self.db.begin() as conn:
            if (await conn.execute(sa.select(sa.func.count()).where(webhooks.c.owner_id == request.owner_id))).scalar_one() >= 20:
                raise invalid("TOO_MANY_WEBHOOKS", "At most 20 webhooks per account")
            row = (
                await conn.execute(
                    webhooks.insert()
                    .values(id=str(uuid.uuid4()), owner_id=request.owner_id, url=target.url, events=events, secret=secret)
                    .returning(*webhooks.c)
                )
            ).one()
        return _webhook_message(row, secret=secret)

    @rpc_errors
    async def ListWebhooks(self, request, context):
        async with self.db.connect() as conn:
            rows = (await conn.execute(sa.select(webhooks).where(webhooks.c.owner_id == request.owner_id).order_by(webhooks.c.created_at))).all()
        return webhooks_pb2.ListWebhooksResponse(webhooks=[_webhook_message(r) for r in rows])

    async def _owned(self, conn, owner_id: str, webhook_id: str):
        try:
            webhook_id = str(uuid.UUID(webhook_id))
        except ValueError:
            raise not_found("WEBHOOK_NOT_FOUND", "No such webhook") from None
        row = (await conn.execute(sa.select(webhooks).where(webhooks.c.id == webhook_id, webhooks.c.owner_id == owner_id))).first()
        if row is None:
            raise not_found("WEBHOOK_NOT_FOUND", "No such webhook")
        return row

    @rpc_errors
    async def DeleteWebhook(self, request, context):
        async with self.db.begin() as conn:
            row = await self._owned(conn, request.owner_id, request.webhook_id)
            await conn.execute(webhooks.delete().where(webhooks.c.id == row.id))
        return webhooks_pb2.DeleteWebhookResponse(success=True)

    @rpc_errors
    async def ListDeliveries(self, request, context):
        async with self.db.connect() as conn:
            row = await self._owned(conn, request.owner_id, request.webhook_id)
            rows = (
                await conn.execute(
                    sa.select(deliveries).where(deliveries.c.webhook_id == row.id).order_by(deliveries.c.created_at.desc()).limit(100)
                )
            ).all()
        return webhooks_pb2.ListDeliveriesResponse(
            deliveries=[
                webhooks_pb2.WebhookDelivery(
                    id=d.id, event=d.event, state=d.state, attempts=d.attempts, last_status_code=d.last_status_code,
                    last_error=d.last_error, created_at=_iso(d.created_at), delivered_at=_iso(d.delivered_at),
                    next_attempt_at=_iso(d.next_attempt_at) if d.state == "pending" else "",
                )
                for d in rows
            ]
        )

    # --- events -> deliveries ----------------------------------------------------

    def _payload(self, event: str, job: jobs_pb2.Job | None, batch: jobs_pb2.Batch | None, project=None) -> dict:
        data: dict = {}
        if job is not None:
            data = {"job_id": job.id, "status": event.split(".")[1], "batch_id": job.batch_id or None}
            if job.status == jobs_pb2.JOB_STATUS_COMPLETED and self.signer:
                data["image"] = self.signer.url(job.result.result_key)
                if job.result.mask_key:
                    data["mask"] = self.signer.url(job.result.mask_key)
            if job.status == jobs_pb2.JOB_STATUS_FAILED:
                data["error"] = {"code": job.error_code, "message": job.error_message}
        if batch is not None:
            data = {
                "batch_id": batch.id,
                "total_files": len(batch.jobs),
                "completed": sum(j.status == jobs_pb2.JOB_STATUS_COMPLETED for j in batch.jobs),
                "failed": sum(j.status == jobs_pb2.JOB_STATUS_FAILED for j in batch.jobs),
            }
        if project is not None:
            data = {"project_id": project.id, "name": project.name, "type": project.type}
        return {"type": event, "timestamp": _iso(dt.datetime.now(dt.UTC)), "data": data}

    async def enqueue(self, owner_id: str, event: str, event_id: str, job=None, batch=None, project=None) -> int:
        """One delivery per subscribed active webhook; a repeat of the same event adds nothing."""
        if not owner_id:
            return 0
        async with self.db.begin() as conn:
            hooks = (
                await conn.execute(
                    sa.select(webhooks.c.id).where(
                        webhooks.c.owner_id == owner_id, webhooks.c.active.is_(True), webhooks.c.events.any(event)
                    )
                )
            ).all()
            if not hooks:
                return 0
            payload = json.dumps(self._payload(event, job, batch, project))
            rows = [
                dict(id=str(uuid.uuid4()), webhook_id=h.id, event_id=event_id, event=event, payload=payload) for h in hooks
            ]
            result = await conn.execute(
                postgresql.insert(deliveries).values(rows).on_conflict_do_nothing(constraint="webhook_deliveries_once")
            )
        return result.rowcount

    async def prune(self, older_than_days: float) -> int:
        """Deletes delivered and failed deliveries past their keeping time (L9); pending ones stay."""
        cutoff = sa.func.now() - dt.timedelta(days=older_than_days)
        async with self.db.begin() as conn:
            result = await conn.execute(
                deliveries.delete().where(deliveries.c.state.in_(("delivered", "failed")), deliveries.c.created_at < cutoff)
            )
        return result.rowcount

    # --- delivery ----------------------------------------------------------------

    async def _due(self, limit: int):
        """Takes due deliveries, leasing them so no other replica sends them meanwhile."""
        lease = dt.timedelta(seconds=60)
        async with self.db.begin() as conn:
            rows = (
                await conn.execute(
                    sa.select(deliveries, webhooks.c.url, webhooks.c.secret, webhooks.c.active)
                    .join(webhooks, webhooks.c.id == deliveries.c.webhook_id)
                    .where(deliveries.c.state == "pending", deliveries.c.next_attempt_at <= sa.func.now())
                    .order_by(deliveries.c.next_attempt_at)
                    .limit(limit)
                    .with_for_update(skip_locked=True, of=deliveries)
                )
            ).all()
            if rows:
                await conn.execute(
                    deliveries.update()
                    .where(deliveries.c.id.in_([r.id for r in rows]))
                    .values(next_attempt_at=sa.func.now() + lease)
                )
        return rows

    async def _attempt(self, row) -> None:
        attempt = row.attempts + 1
        if not row.active:
            status, error = 0, "webhook disabled"
        else:
            timestamp = int(time.time())
            body = row.payload.encode()
            deadline = env_float("WEBHOOK_TIMEOUT_S", 10.0)
            try:  # signing too: a row with a bad secret fails its attempt, not the dispatcher (L1)
                headers = {
                    "content-type": "application/json",
                    "user-agent": "Backdrop-Webhooks/1",
                    "webhook-id": row.event_id,
                    "webhook-timestamp": str(timestamp),
                    "webhook-signature": sign(row.secret, row.event_id, timestamp, body),
                }
                # The thread's own watchdog ends it; this bound is a second guard.
                status = await asyncio.wait_for(asyncio.to_thread(post, row.url, body, headers, deadline), deadline + 2)
                error = ""
            except Exception as exc:  # noqa: BLE001 - network errors, refused targets: recorded, retried
                status, error = 0, (getattr(exc, "message", None) or str(exc) or type(exc).__name__)[:500]
        delivered = 200 <= status < 300
        gone = status == 410 or not row.active
        final = delivered or gone or attempt >= env_int("WEBHOOK_MAX_ATTEMPTS", 12)
        values = {"attempts": attempt, "last_status_code": status, "last_error": error}
        if delivered:
            values.update(state="delivered", delivered_at=sa.func.now())
        elif final:
            values.update(state="failed")
        else:
            values.update(next_attempt_at=sa.func.now() + dt.timedelta(seconds=backoff(attempt)))
        async with self.db.begin() as conn:
            await conn.execute(deliveries.update().where(deliveries.c.id == row.id).values(**values))
            if delivered:
                await conn.execute(webhooks.update().where(webhooks.c.id == row.webhook_id).values(failures=0))
            elif final:
                disable_after = env_int("WEBHOOK_DISABLE_AFTER", 3)
                await conn.execute(
                    webhooks.update()
                    .where(webhooks.c.id == row.webhook_id)
                    .values(
                        failures=webhooks.c.failures + 1,
                        active=sa.and_(sa.literal(not gone), webhooks.c.failures + 1 < disable_after),
                    )
                )
        log.info(
            "webhook attempt",
            extra=logs.fields(webhook_id=row.webhook_id, event=row.event, attempt=attempt, status=status, delivered=delivered),
        )

    async def _attempt_safely(self, row) -> None:
        try:
            await self._attempt(row)
        except Exception:  # noqa: BLE001 - the lease runs out and the row is tried again
            log.exception("webhook attempt failed", extra=logs.fields(webhook_id=row.webhook_id))

    async def dispatch(self) -> None:
        """Each attempt is its own task, at most WEBHOOK_CONCURRENCY at once: a slow receiver holds
        one slot until its deadline, never a whole round (M8). The 60 s lease outlasts the deadline."""
        concurrency = max(env_int("WEBHOOK_CONCURRENCY", 16), 1)
        running: set[asyncio.Task] = set()
        while True:
            rows = []
            try:
                free = concurrency - len(running)
                if free > 0:
                    rows = await self._due(free)
                    for row in rows:
                        task = asyncio.create_task(self._attempt_safely(row))
                        running.add(task)
                        task.add_done_callback(running.discard)
            except Exception:  # noqa: BLE001 - next round
                log.exception("webhook dispatch round failed")
                rows = []
            await asyncio.sleep(0.05 if rows else env_float("WEBHOOK_POLL_S", 1.0))
