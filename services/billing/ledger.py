"""The credit ledger: append-only, one row per grant, charge, refund or adjustment.

The balance is kept on the account row and changed in the same transaction as
the ledger row, under a row lock, so concurrent charges cannot overspend; the
unique indexes make a job's charge and refund happen once whatever retries.
"""

from __future__ import annotations

import datetime as dt

import grpc
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from backdrop.billing.v1 import billing_pb2
from services.billing.catalog import Catalog
from services.runtime.errors import ServiceError

metadata = sa.MetaData()
UUID = postgresql.UUID(as_uuid=False)
TZ = sa.DateTime(timezone=True)

accounts = sa.Table(
    "billing_accounts",
    metadata,
    sa.Column("user_id", UUID, primary_key=True),
    sa.Column("plan", sa.Text, nullable=False),
    sa.Column("balance", sa.Integer, nullable=False),
    sa.Column("created_at", TZ, nullable=False, server_default=sa.func.now()),
    sa.Column("updated_at", TZ, nullable=False, server_default=sa.func.now()),
)
ledger = sa.Table(
    "ledger",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("user_id", UUID, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("amount", sa.Integer, nullable=False),
    sa.Column("balance_after", sa.Integer, nullable=False),
    sa.Column("job_id", UUID),
    sa.Column("period", sa.Text),
    sa.Column("images", sa.Integer, nullable=False, server_default="0"),
    sa.Column("tier", sa.Text),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("created_at", TZ, nullable=False, server_default=sa.func.now()),
)
payments = sa.Table(
    "payments",
    metadata,
    sa.Column("reference", sa.Text, primary_key=True),
    sa.Column("user_id", UUID, nullable=False),
    sa.Column("plan", sa.Text, nullable=False),
    sa.Column("amount", sa.Integer, nullable=False),
    sa.Column("currency", sa.Text, nullable=False),
    sa.Column("created_at", TZ, nullable=False, server_default=sa.func.now()),
)
subscriptions = sa.Table(
    "subscriptions",
    metadata,
    sa.Column("user_id", UUID, primary_key=True),
    sa.Column("id", sa.Text, nullable=False, unique=True),
    sa.Column("plan", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("payment_reference", sa.Text, nullable=False),
    sa.Column("subscribed_at", TZ, nullable=False, server_default=sa.func.now()),
    sa.Column("period_end", TZ, nullable=False),
)


def _period(now: dt.datetime | None = None) -> str:
    return (now or dt.datetime.now(dt.UTC)).strftime("%Y-%m")


def iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def next_midnight() -> dt.datetime:
    today = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today + dt.timedelta(days=1)


class Ledger:
    def __init__(self, db: AsyncEngine, catalog: Catalog):
        self.db = db
        self.catalog = catalog

    async def append(self, conn: AsyncConnection, account, kind: str, amount: int, **fields) -> int:
        balance = account.balance + amount
        await conn.execute(
            accounts.update().where(accounts.c.user_id == account.user_id).values(balance=balance, updated_at=sa.func.now())
        )
        await conn.execute(
            ledger.insert().values(user_id=account.user_id, kind=kind, amount=amount, balance_after=balance, **fields)
        )
        return balance

    async def open_account(self, conn: AsyncConnection, user_id: str, plan: str):
        """The caller's account, locked for this transaction, with this month's grant applied."""
        await conn.execute(
            postgresql.insert(accounts)
            .values(user_id=user_id, plan=plan if plan in self.catalog.data["plans"] else "free", balance=0)
            .on_conflict_do_nothing(index_elements=[accounts.c.user_id])
        )
        account = (await conn.execute(sa.select(accounts).where(accounts.c.user_id == user_id).with_for_update())).one()
        ended = (
            await conn.execute(
                subscriptions.delete()
                .where(subscriptions.c.user_id == user_id, subscriptions.c.status == "cancelled", subscriptions.c.period_end <= sa.func.now())
                .returning(subscriptions.c.plan)
            )
        ).first()
        if ended is not None:  # a cancelled subscription ran out: back to the free plan
            await conn.execute(accounts.update().where(accounts.c.user_id == user_id).values(plan="free"))
            account = (await conn.execute(sa.select(accounts).where(accounts.c.user_id == user_id))).one()
        period = _period()
        granted = (
            await conn.execute(
                sa.select(sa.func.count()).select_from(ledger).where(
                    ledger.c.user_id == user_id, ledger.c.kind == "grant", ledger.c.period == period
                )
            )
        ).scalar_one()
        if not granted:
            grant = self.catalog.plan(account.plan)["monthly_credits"]
            await self.append(conn, account, "grant", grant, period=period, description=f"{account.plan} plan, {period}")
            account = (await conn.execute(sa.select(accounts).where(accounts.c.user_id == user_id))).one()
        return account

    async def charge(self, user_id: str, plan: str, job_id: str, tier: str, image_count: int) -> billing_pb2.ChargeResponse:
        pricing = self.catalog.price(tier, image_count)
        spec = self.catalog.data["tiers"][pricing.tier]
        async with self.db.begin() as conn:
            account = await self.open_account(conn, user_id, plan)
            existing = (
                await conn.execute(sa.select(ledger).where(ledger.c.job_id == job_id, ledger.c.kind == "charge"))
            ).first()
            if existing is None:
                self.catalog.check_allowed(account.plan, pricing.tier)
                await self._check_daily_quota(conn, account, image_count)
                if account.balance < pricing.finalTotal:
                    raise ServiceError(
                        grpc.StatusCode.FAILED_PRECONDITION,
                        "INSUFFICIENT_CREDITS",
                        f"You need {pricing.finalTotal} credits but only have {account.balance} available",
                        details={"required": pricing.finalTotal, "available": account.balance, "tier": pricing.tier},
                        http_status=402,
                    )
                balance = await self.append(
                    conn, account, "charge", -pricing.finalTotal, job_id=job_id, images=image_count, tier=pricing.tier,
                    description=f"{image_count} image(s), {pricing.tier}",
                )
            else:  # a retried request or a redelivered message: charged already
                balance = account.balance
        return billing_pb2.ChargeResponse(
            credits_charged=pricing.finalTotal, balance=balance, pricing=pricing, model=spec["model"], quality=spec["quality"]
        )

    async def images_today(self, conn: AsyncConnection, user_id: str) -> int:
        """Images charged since midnight UTC, less refunded ones."""
        today = next_midnight() - dt.timedelta(days=1)
        query = sa.select(sa.func.coalesce(sa.func.sum(ledger.c.images), 0)).where(
            ledger.c.user_id == user_id, ledger.c.kind.in_(("charge", "refund")), ledger.c.created_at >= today
        )
        return int((await conn.execute(query)).scalar_one())

    async def _check_daily_quota(self, conn: AsyncConnection, account, image_count: int) -> None:
        limit = self.catalog.plan(account.plan)["daily_quota"]
        used = await self.images_today(conn, account.user_id)
        if used + image_count > limit:
            reset = next_midnight()
            retry_after = int((reset - dt.datetime.now(dt.UTC)).total_seconds()) + 1
            raise ServiceError(
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                "QUOTA_EXCEEDED",
                f"The {account.plan} plan allows {limit} images a day; {used} used. The quota resets at {iso(reset)}",
                details={"limit": limit, "used": used, "resetsAt": iso(reset), "retry_after": retry_after},
            )

    async def refund(self, job_id: str) -> billing_pb2.RefundResponse:
        async with self.db.begin() as conn:
            charge = (
                await conn.execute(sa.select(ledger).where(ledger.c.job_id == job_id, ledger.c.kind == "charge"))
            ).first()
            if charge is None:
                return billing_pb2.RefundResponse(refunded=False)
            account = (
                await conn.execute(sa.select(accounts).where(accounts.c.user_id == charge.user_id).with_for_update())
            ).one()
            done = (
                await conn.execute(sa.select(ledger.c.id).where(ledger.c.job_id == job_id, ledger.c.kind == "refund"))
            ).first()
            if done is not None:
                return billing_pb2.RefundResponse(refunded=False)
            await self.append(
                conn, account, "refund", -charge.amount, job_id=job_id, images=-charge.images, tier=charge.tier,
                description="job failed",
            )
        return billing_pb2.RefundResponse(refunded=True, credits=-charge.amount)

    async def credits(self, user_id: str, plan: str, page: int, limit: int) -> billing_pb2.Credits:
        async with self.db.begin() as conn:
            account = await self.open_account(conn, user_id, plan)
            total = (
                await conn.execute(sa.select(sa.func.count()).select_from(ledger).where(ledger.c.user_id == user_id))
            ).scalar_one()
            rows = (
                await conn.execute(
                    sa.select(ledger)
                    .where(ledger.c.user_id == user_id)
                    .order_by(ledger.c.id.desc())
                    .offset((page - 1) * limit)
                    .limit(limit)
                )
            ).all()
        return billing_pb2.Credits(
            balance=account.balance,
            plan=account.plan,
            monthly_grant=self.catalog.plan(account.plan)["monthly_credits"],
            history=[
                billing_pb2.LedgerEntry(
                    kind=r.kind, amount=r.amount, balance_after=r.balance_after, job_id=r.job_id or "",
                    description=r.description, created_at=iso(r.created_at),
                )
                for r in rows
            ],
            total=total,
            page=page,
            limit=limit,
        )

    async def adjust(self, user_id: str, amount: int, reason: str) -> None:
        async with self.db.begin() as conn:
            account = await self.open_account(conn, user_id, "free")
            if account.balance + amount < 0:
                raise ServiceError(grpc.StatusCode.FAILED_PRECONDITION, "INVALID_INPUT", "The balance cannot go below zero")
            await self.append(conn, account, "adjustment", amount, description=reason[:200])
