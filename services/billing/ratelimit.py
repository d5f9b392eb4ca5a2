"""Envoy's rate-limit protocol (envoy.service.ratelimit.v3), answered by billing.

Why this and not per-process counters: Envoy asks before every request, and
the counters live in PostgreSQL (one upsert per request, in one statement for
all of its descriptors), so the limits hold across any number of Envoy and
gateway replicas. Why billing: the limits are plan numbers, and plans live
here (plans.json). Fixed windows aligned to the unit (minute, hour) keep it to
one row per key and window.

Descriptors Envoy sends (deploy/envoy): [user, plan] for the plan's hourly
limit (seed 000); [user, plan, api] under a dialect whose document gives plans
limits of their own, those instead (api=fomi: seed 004's requests a minute and
a day, plans.json plans.*.dialects); [user, class(, api)] for seed 001's endpoint classes, and
[remote_address, class] for the open routes (register, login, files, ...),
which have no user to count: those count per client address (plans.json
address_limits), an IPv6 client per /64, since one host commonly holds a /64.
The plan that decides the limits is billing's own (billing_accounts, cached for
PLAN_CACHE_S), not the plan header: a token or API key minted before a downgrade
or an expired subscription keeps naming the old plan (H5).
REMBG_REQUESTS_PER_HOUR (seed 002's RATE_LIMIT) counts seed 002's three routes (the
descriptors tagged api=rembg) per caller and hour, whatever the plan, instead of
their endpoint classes; the plan's hourly limit still applies as well.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import json
import logging
import time
import uuid

import grpc
import sqlalchemy as sa
from envoy.config.core.v3 import base_pb2
from envoy.service.ratelimit.v3 import rls_pb2, rls_pb2_grpc
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncEngine

from services.billing.catalog import Catalog
from services.runtime import envelopes, logs
from services.runtime.errors import ServiceError
from services.billing.ledger import TZ, Tables, accounts
from services.runtime.config import env_float, env_int, env_str
from services.runtime.db import column

log = logging.getLogger(__name__)
Unit = rls_pb2.RateLimitResponse.RateLimit
UNITS = {"minute": (Unit.MINUTE, 60), "hour": (Unit.HOUR, 3600), "day": (Unit.DAY, 86400)}
WINDOW_NAMES = {60: "1 minute", 3600: "1 hour", 86400: "1 day"}


def window_name(seconds: int) -> str:
    """Seed 001's "1 minute"; a burst window is "20 seconds"."""
    return WINDOW_NAMES.get(seconds) or f"{seconds} seconds"


def _window_start(now: dt.datetime, seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(now.timestamp()) // seconds * seconds, dt.UTC)


class Counter(Tables, table=True):
    __tablename__ = "rate_counters"
    key: str = column(sa.Text, primary_key=True)
    window_start: dt.datetime = column(TZ, primary_key=True)
    count: int = column(sa.Integer, nullable=False)


counters = Counter.__table__


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks(text: str) -> tuple[Network, ...]:
    """BILLING_EXEMPT_ADDRESSES: comma-separated addresses or CIDRs."""
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in text.split(",") if item.strip())


# Client addresses the per-address limits do not count: a trusted internal caller,
# or the test suite's loopback (its fixtures register hundreds of accounts).
EXEMPT = networks(env_str("BILLING_EXEMPT_ADDRESSES", ""))


# Seed 002's one limit for its routes (0: none, the endpoint classes apply).
REMBG_PER_HOUR = env_int("REMBG_REQUESTS_PER_HOUR", 0)


def client_key(address: str, exempt: tuple[Network, ...] = EXEMPT) -> str | None:
    """The counter's name for a client address (IPv4 as is, IPv6 by its /64); None when exempt."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if any(ip in network for network in exempt):
        return None
    if isinstance(ip, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def limit_for(
    catalog: Catalog,
    entries: dict[str, str],
    plan_name: str = "free",
    exempt: tuple[Network, ...] = EXEMPT,
    rembg_per_hour: int = REMBG_PER_HOUR,
) -> tuple[str, int, str] | None:
    """(counter key, requests per window, unit name) of a descriptor, or None when unlimited.
    `plan_name` is the user's plan as billing knows it; the descriptor's own plan entry is not trusted."""
    if "remote_address" in entries:
        spec = catalog.data["address_limits"].get(entries.get("class", ""))
        client = client_key(entries["remote_address"], exempt)
        if spec is None or client is None:
            return None
        return f"address:{client}:{entries['class']}", spec["requests"], spec["unit"]
    user = entries.get("user")
    if not user:
        return None
    if "class" in entries:
        if entries.get("api") == "rembg" and rembg_per_hour > 0:
            return f"{user}:rembg", rembg_per_hour, "hour"
        plan = catalog.plan(plan_name)
        spec = catalog.data["endpoint_limits"].get(entries["class"])
        if spec is None or not plan["endpoint_limits"]:
            return None
        return f"{user}:{entries['class']}", spec["requests"], spec["unit"]
    if "plan" in entries:
        own = catalog.dialect_plan(entries.get("api", ""), plan_name)
        if own is not None and "requests_per_minute" in own:
            per_minute = own["requests_per_minute"]
            return (f"{user}:{entries['api']}:minute", per_minute, "minute") if per_minute else None
        per_hour = catalog.plan(plan_name)["requests_per_hour"]
        return (f"{user}:plan", per_hour, "hour") if per_hour else None
    return None


def day_window_for(catalog: Catalog, entries: dict[str, str], plan_name: str) -> tuple[int, int] | None:
    """(requests, seconds) of a dialect's daily limit next to its per-minute one (seed 004: free 100 a
    day); None when it has none (enterprise: unlimited) or the descriptor is not a dialect's plan limit."""
    if "plan" not in entries or "class" in entries or not entries.get("user"):
        return None
    own = catalog.dialect_plan(entries.get("api", ""), plan_name) or {}
    per_day = own.get("requests_per_day")
    return (per_day, UNITS["day"][1]) if per_day and "requests_per_minute" in own else None


def burst_for(catalog: Catalog, entries: dict[str, str], requests: int, seconds: int) -> tuple[int, int] | None:
    """(requests, seconds) of an endpoint class's burst window: seed 001's "30 a minute, burst 10"
    is at most 10 in any 20-second window (the minute's share of the burst) as well as 30 a minute."""
    if entries.get("api") != "lumiku" or not entries.get("user"):  # only seed 001's document has bursts
        return None
    spec = catalog.data["endpoint_limits"].get(entries.get("class", ""))
    if not spec or not spec.get("burst"):
        return None
    return spec["burst"], max(1, seconds * spec["burst"] // requests)


class RateLimits(rls_pb2_grpc.RateLimitServiceServicer):
    def __init__(self, db: AsyncEngine, catalog: Catalog):
        self.db = db
        self.catalog = catalog
        self.cache_s = env_float("PLAN_CACHE_S", 10.0)
        self._plans: dict[str, tuple[float, str]] = {}

    def forget(self, user_id: str) -> None:
        """The user's plan changed here: the next check reads it again."""
        self._plans.pop(user_id, None)

    async def plan_of(self, user_id: str, claimed: str) -> str:
        """The user's plan in billing_accounts, cached for a few seconds. Without an account yet, the
        claimed plan: the one billing opens the account with on the first charge."""
        now = time.monotonic()
        cached = self._plans.get(user_id)
        if cached is None or now - cached[0] >= self.cache_s:
            found = None
            try:
                uuid.UUID(user_id)
            except ValueError:
                pass
            else:
                async with self.db.connect() as conn:
                    found = (await conn.execute(sa.select(accounts.c.plan).where(accounts.c.user_id == user_id))).scalar_one_or_none()
            if len(self._plans) > 100_000:
                self._plans.clear()
            cached = self._plans[user_id] = (now, found)
        return cached[1] or claimed or "free"

    async def _count(self, keys: list[tuple[str, dt.datetime]], hits: int) -> list[int]:
        rows = [{"key": key, "window_start": start, "count": hits} for key, start in keys]
        statement = postgresql.insert(counters).values(rows)
        statement = statement.on_conflict_do_update(
            index_elements=[counters.c.key, counters.c.window_start],
            set_={"count": counters.c.count + statement.excluded.count},
        ).returning(counters.c.key, counters.c.count)
        async with self.db.begin() as conn:
            # Counters are not money: a crash may forget the last few counts, so their
            # commit does not wait for the disk (the ledger's commits do).
            await conn.execute(sa.text("SET LOCAL synchronous_commit = off"))
            found = {row.key: row.count for row in await conn.execute(statement)}
        return [found[key] for key, _ in keys]

    async def ShouldRateLimit(self, request, context):
        logs.request_id.set("")  # only Envoy knows the request's id: its Lua filter writes it into a 429's body
        now = dt.datetime.now(dt.UTC)
        hits = request.hits_addend or 1
        limits = []
        for descriptor in request.descriptors:
            entries = {e.key: e.value for e in descriptor.entries}
            plan = await self.plan_of(entries["user"], entries.get("plan", "")) if entries.get("user") else "free"
            found = limit_for(self.catalog, entries, plan)
            if found is None:
                limits.append(None)
                continue
            key, requests, unit = found
            unit_enum, seconds = UNITS[unit]
            windows = [(key, requests, seconds)]
            burst = burst_for(self.catalog, entries, requests, seconds)
            if burst is not None:
                windows.append((f"{key}:burst", *burst))
            day = day_window_for(self.catalog, entries, plan)
            if day is not None:
                windows.append((key.rsplit(":", 1)[0] + ":day", *day))
            api = entries.get("api", "")
            limits.append(([(k, n, w, _window_start(now, w)) for k, n, w in windows], unit_enum, api))
        active = [(key, start) for item in filter(None, limits) for key, _, _, start in item[0]]
        counts = dict(zip((key for key, _ in active), await self._count(active, hits))) if active else {}
        response = rls_pb2.RateLimitResponse(overall_code=rls_pb2.RateLimitResponse.OK)
        worst = None
        for item in limits:
            if item is None:
                response.statuses.add(code=rls_pb2.RateLimitResponse.OK)
                continue
            windows, unit_enum, api = item
            # The headers show the window's own limit (X-RateLimit-Limit: 30); a burst past its
            # shorter window is over the limit too, and says when that window resets.
            (_, requests, seconds, start), over = windows[0], None
            remaining = min(n - counts[k] for k, n, _, _ in windows)
            for key, allowed, window, begun in windows:
                if counts[key] > allowed:
                    reset = max(1, int((begun + dt.timedelta(seconds=window) - now).total_seconds()))
                    if over is None or reset > over[0]:
                        over = (reset, allowed, window)
            reset = over[0] if over else max(1, int((start + dt.timedelta(seconds=seconds) - now).total_seconds()))
            status = response.statuses.add(
                code=rls_pb2.RateLimitResponse.OVER_LIMIT if over else rls_pb2.RateLimitResponse.OK,
                current_limit=Unit(requests_per_unit=requests, unit=unit_enum),
                limit_remaining=max(0, remaining),
            )
            status.duration_until_reset.FromSeconds(reset)
            if over and (worst is None or over[0] > worst[0]):
                worst = (*over, api)
        if worst is not None:
            response.overall_code = rls_pb2.RateLimitResponse.OVER_LIMIT
            reset, requests, seconds, api = worst
            message = f"Too many requests. Please try again in {reset} seconds"
            if api == "rembg":  # seed 002's body
                body = {"error": f"Rate limit exceeded. Try again in {reset} seconds"}
            else:  # the dialect's envelope with seed 001's details; Envoy's Lua fills in the request id
                error = ServiceError(
                    grpc.StatusCode.RESOURCE_EXHAUSTED, "RATE_LIMIT_EXCEEDED", message,
                    details={"retryAfter": str(reset), "limit": str(requests), "window": window_name(seconds)},
                )
                body = envelopes.body(envelopes.BY_NAME.get(api, envelopes.BACKDROP), error)[1]
            response.raw_body = json.dumps(body).encode()
            response.response_headers_to_add.extend(
                [
                    base_pb2.HeaderValue(key="retry-after", value=str(reset)),
                    base_pb2.HeaderValue(key="content-type", value="application/json"),
                ]
            )
        return response

    async def expire(self) -> None:
        """Drops windows older than a day, now and then."""
        while True:
            await asyncio.sleep(600)
            try:
                async with self.db.begin() as conn:
                    await conn.execute(counters.delete().where(counters.c.window_start < sa.func.now() - dt.timedelta(days=1)))
            except Exception:  # noqa: BLE001 - next round
                log.exception("could not expire rate counters")
