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
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("created_at", TZ, nullable=False, server_default=sa.func.now()),
)


def _period(now: dt.datetime | None = None) -> str:
    return (now or dt.datetime.now(dt.UTC)).strftime("%Y-%m")


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


class Ledger:
    def __init__(self, db: AsyncEngine, catalog: Catalog):
        self.db = db
        self.catalog = catalog

    async def _append(self, conn: AsyncConnection, account, kind: str, amount: int, **fields) -> int:
        balance = account.balance + amount
        await conn.execute(
            accounts.update().where(accounts.c.user_id == account.user_id).values(balance=balance, updated_at=sa.func.now())
        )
        await conn.execute(
            ledger.insert().values(user_id=account.user_id, kind=kind, amount=amount, balance_after=balance, **fields)
        )
        return balance

    async def _open(self, conn: AsyncConnection, user_id: str, plan: str):
        """The caller's account, locked for this transaction, with this month's grant applied."""
        await conn.execute(
            postgresql.insert(accounts)
            .values(user_id=user_id, plan=plan if plan in self.catalog.data["plans"] else "free", balance=0)
            .on_conflict_do_nothing(index_elements=[accounts.c.user_id])
        )
        account = (await conn.execute(sa.select(accounts).where(accounts.c.user_id == user_id).with_for_update())).one()
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
            await self._append(conn, account, "grant", grant, period=period, description=f"{account.plan} plan, {period}")
            account = (await conn.execute(sa.select(accounts).where(accounts.c.user_id == user_id))).one()
        return account

    async def charge(self, user_id: str, plan: str, job_id: str, tier: str, image_count: int) -> billing_pb2.ChargeResponse:
        pricing = self.catalog.price(tier, image_count)
        spec = self.catalog.data["tiers"][pricing.tier]
        async with self.db.begin() as conn:
            account = await self._open(conn, user_id, plan)
            existing = (
                await conn.execute(sa.select(ledger).where(ledger.c.job_id == job_id, ledger.c.kind == "charge"))
            ).first()
            if existing is None:
                self.catalog.check_allowed(account.plan, pricing.tier)
                if account.balance < pricing.finalTotal:
                    raise ServiceError(
                        grpc.StatusCode.FAILED_PRECONDITION,
                        "INSUFFICIENT_CREDITS",
                        f"You need {pricing.finalTotal} credits but only have {account.balance} available",
                        details={"required": pricing.finalTotal, "available": account.balance, "tier": pricing.tier},
                        http_status=402,
                    )
                balance = await self._append(
                    conn, account, "charge", -pricing.finalTotal, job_id=job_id,
                    description=f"{image_count} image(s), {pricing.tier}",
                )
            else:  # a retried request or a redelivered message: charged already
                balance = account.balance
        return billing_pb2.ChargeResponse(
            credits_charged=pricing.finalTotal, balance=balance, pricing=pricing, model=spec["model"], quality=spec["quality"]
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
            await self._append(conn, account, "refund", -charge.amount, job_id=job_id, description="job failed")
        return billing_pb2.RefundResponse(refunded=True, credits=-charge.amount)

    async def credits(self, user_id: str, plan: str, page: int, limit: int) -> billing_pb2.Credits:
        async with self.db.begin() as conn:
            account = await self._open(conn, user_id, plan)
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
                    description=r.description, created_at=_iso(r.created_at),
                )
                for r in rows
            ],
            total=total,
            page=page,
            limit=limit,
        )

    async def adjust(self, user_id: str, amount: int, reason: str) -> None:
        async with self.db.begin() as conn:
            account = await self._open(conn, user_id, "free")
            if account.balance + amount < 0:
                raise ServiceError(grpc.StatusCode.FAILED_PRECONDITION, "INVALID_INPUT", "The balance cannot go below zero")
            await self._append(conn, account, "adjustment", amount, description=reason[:200])
