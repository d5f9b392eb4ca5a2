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
from services.runtime import metrics
from services.runtime.clock import iso
from services.runtime.db import column, record, records, tables
from services.runtime.errors import ServiceError

Tables = tables()
metadata = Tables.metadata
UUID = postgresql.UUID(as_uuid=False)
TZ = sa.DateTime(timezone=True)
# The tier seed 001's plans ration on their own (plans.json professional_daily_quota).
PROFESSIONAL = "professional"


class Account(Tables, table=True):
    __tablename__ = "billing_accounts"
    user_id: str = column(UUID, primary_key=True)
    plan: str = column(sa.Text, nullable=False)
    balance: int = column(sa.Integer, nullable=False)
    granted_period: str = column(sa.Text, nullable=False, server_default="")
    quota_day: dt.date = column(sa.Date, nullable=False, server_default=sa.func.current_date())
    images_today: int = column(sa.Integer, nullable=False, server_default="0")
    created_at: dt.datetime = column(TZ, nullable=False, server_default=sa.func.now())
    updated_at: dt.datetime = column(TZ, nullable=False, server_default=sa.func.now())


class LedgerEntry(Tables, table=True):
    __tablename__ = "ledger"
    id: int = column(sa.BigInteger, sa.Identity(), primary_key=True)
    user_id: str = column(UUID, nullable=False)
    kind: str = column(sa.Text, nullable=False)
    amount: int = column(sa.Integer, nullable=False)
    balance_after: int = column(sa.Integer, nullable=False)
    job_id: str | None = column(UUID)
    period: str | None = column(sa.Text)
    images: int = column(sa.Integer, nullable=False, server_default="0")
    tier: str | None = column(sa.Text)
    description: str = column(sa.Text, nullable=False, server_default="")
    created_at: dt.datetime = column(TZ, nullable=False, server_default=sa.func.now())
    # A batch's charges and refunds share its first job's id (L2).
    batch: str | None = column(UUID)
    # False while the orchestrator has not confirmed the charge's job exists (M4).
    settled: bool = column(sa.Boolean, nullable=False, server_default=sa.false())
    # What a charge or refund was for (the job's operation: generate, remove_background, ...), or "purchase".
    operation: str | None = column(sa.Text)


class Payment(Tables, table=True):
    __tablename__ = "payments"
    reference: str = column(sa.Text, primary_key=True)
    user_id: str = column(UUID, nullable=False)
    plan: str = column(sa.Text, nullable=False)
    amount: int = column(sa.Integer, nullable=False)
    currency: str = column(sa.Text, nullable=False)
    created_at: dt.datetime = column(TZ, nullable=False, server_default=sa.func.now())


class Subscription(Tables, table=True):
    __tablename__ = "subscriptions"
    user_id: str = column(UUID, primary_key=True)
    id: str = column(sa.Text, nullable=False, unique=True)
    plan: str = column(sa.Text, nullable=False)
    status: str = column(sa.Text, nullable=False)
    payment_reference: str = column(sa.Text, nullable=False)
    subscribed_at: dt.datetime = column(TZ, nullable=False, server_default=sa.func.now())
    period_end: dt.datetime = column(TZ, nullable=False)
    payment_method: str = column(sa.Text, nullable=False, server_default="")
    # monthly | yearly (plans.json cycles)
    cycle: str = column(sa.Text, nullable=False, server_default="monthly")


accounts = Account.__table__
ledger = LedgerEntry.__table__
payments = Payment.__table__
subscriptions = Subscription.__table__


def _period(now: dt.datetime | None = None) -> str:
    return (now or dt.datetime.now(dt.UTC)).strftime("%Y-%m")


def _today() -> dt.date:
    """Quotas reset at midnight UTC (next_midnight); the database's own date may be in another zone."""
    return dt.datetime.now(dt.UTC).date()


def next_midnight() -> dt.datetime:
    today = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today + dt.timedelta(days=1)


def month_start(moment: dt.datetime, months_later: int = 0) -> dt.datetime:
    """Midnight UTC of the first day of `moment`'s month, or of a later month."""
    index = moment.year * 12 + moment.month - 1 + months_later
    return dt.datetime(index // 12, index % 12 + 1, 1, tzinfo=dt.UTC)


class Ledger:
    """Every change of a balance: a few statements in one transaction, the account row locked."""

    def __init__(self, db: AsyncEngine, catalog: Catalog):
        self.db = db
        self.catalog = catalog

    async def append(self, conn: AsyncConnection, account: Account, kind: str, amount: int, images: int = 0, **fields) -> Account:
        """Changes the balance (and today's image count) and records why; returns the account row."""
        today = _today()
        updated = (
            await conn.execute(
                accounts.update()
                .where(accounts.c.user_id == account.user_id)
                .values(
                    balance=accounts.c.balance + amount,
                    images_today=sa.case(
                        (accounts.c.quota_day == today, accounts.c.images_today + images), else_=max(images, 0)
                    ),
                    quota_day=today,
                    updated_at=sa.func.now(),
                )
                .returning(*accounts.c)
            )
        ).one()
        account = Account.model_validate(updated)
        await conn.execute(
            ledger.insert().values(
                user_id=account.user_id, kind=kind, amount=amount, balance_after=account.balance, images=images, **fields
            )
        )
        return account

    async def open_account(self, conn: AsyncConnection, user_id: str, plan: str) -> Account:
        """The caller's account, locked for this transaction, with this month's grant applied."""
        opened = (
            postgresql.insert(accounts)
            .values(user_id=user_id, plan=plan if plan in self.catalog.data["plans"] else "free", balance=0)
            .on_conflict_do_update(index_elements=[accounts.c.user_id], set_={"updated_at": accounts.c.updated_at})
            .returning(*accounts.c)  # the upsert both returns and locks the row
        )
        account = Account.model_validate((await conn.execute(opened)).one())
        period = _period()
        if account.granted_period != period:
            # A subscription's credits come with each of its payments (subscriptions.py), not by the calendar (H5).
            subscribed = (await conn.execute(sa.select(subscriptions.c.id).where(subscriptions.c.user_id == user_id))).first()
            if subscribed is None:
                grant = self.catalog.plan(account.plan)["monthly_credits"]
                account = await self.append(conn, account, "grant", grant, period=period, description=f"{account.plan} plan, {period}")
            await conn.execute(accounts.update().where(accounts.c.user_id == user_id).values(granted_period=period))
        return account

    def images_today(self, account: Account) -> int:
        return account.images_today if account.quota_day == _today() else 0

    async def charge(self, request: billing_pb2.ChargeRequest) -> billing_pb2.ChargeResponse:
        """One job of `image_count` images, at the quoted price: its tier's (H4), by its cost (M10)."""
        tier = self.catalog.resolve(request.tier, request.model, request.quality)
        per_image = self.catalog.cost_per_image(tier, request.operation, request.output_pixels, request.steps)
        image_count = request.image_count or 1
        pricing = self.catalog.price(tier, image_count, per_image)
        return await self._charge(
            request.user_id, request.plan, pricing, [(request.job_id, image_count, pricing.finalTotal)], request.model, request.quality,
            operation=request.operation or None, dialect=request.dialect,
        )

    async def charge_batch(self, request: billing_pb2.ChargeBatchRequest) -> billing_pb2.ChargeResponse:
        """A batch of one-image jobs: the quoted total, spread over the jobs in whole credits."""
        job_ids = list(request.job_ids)
        pricing = self.catalog.price(self.catalog.resolve(request.tier, request.model, request.quality), len(job_ids))
        share, extra = divmod(pricing.finalTotal, len(job_ids))
        items = [(job_id, 1, share + (1 if n < extra else 0)) for n, job_id in enumerate(job_ids)]
        return await self._charge(
            request.user_id, request.plan, pricing, items, request.model, request.quality, batch=job_ids[0], operation="remove_background"
        )

    async def _charge(
        self, user_id: str, plan: str, pricing: billing_pb2.Pricing, items, model: str = "", quality: str = "", batch: str | None = None,
        operation: str | None = None, dialect: str = "",
    ) -> billing_pb2.ChargeResponse:
        """Charges every (job id, images, credits) item or none; a job charged before is not charged again,
        and a job refunded before is not charged nor run again (JOB_REFUNDED). A generation charged under a
        dialect whose document limits its plans (seed 004) is held to those limits first."""
        spec = self.catalog.data["tiers"][pricing.tier]
        job_ids = [job_id for job_id, _, _ in items]
        async with self.db.begin() as conn:
            account = await self.open_account(conn, user_id, plan)
            try:
                self.catalog.check_allowed(account.plan, pricing.tier)
                self._check_daily_quota(account, pricing.imageCount)
                if pricing.tier == PROFESSIONAL:
                    await self._check_professional_quota(conn, account, pricing.imageCount)
                if operation == "generate":
                    await self._check_generation_limits(conn, account, dialect, pricing.imageCount)
                if account.balance < pricing.finalTotal:
                    raise ServiceError(
                        grpc.StatusCode.FAILED_PRECONDITION,
                        "INSUFFICIENT_CREDITS",
                        f"You need {pricing.finalTotal} credits but only have {account.balance} available",
                        details={"required": pricing.finalTotal, "available": account.balance, "tier": pricing.tier},
                        http_status=402,
                    )
            except ServiceError:
                # A retried request whose jobs were charged already succeeds, whatever the balance now.
                charged = await conn.execute(
                    sa.select(sa.func.count()).where(ledger.c.job_id.in_(job_ids), ledger.c.kind == "charge")
                )
                if charged.scalar_one() < len(job_ids):
                    raise
                await self._check_not_refunded(conn, job_ids)
                balance = account.balance
            else:
                balance_after, rows = account.balance, []
                for job_id, images, credits in items:
                    balance_after -= credits
                    rows.append(
                        dict(
                            user_id=user_id, kind="charge", amount=-credits, balance_after=balance_after, job_id=job_id,
                            images=images, tier=pricing.tier, description=f"{images} image(s), {pricing.tier}", batch=batch,
                            operation=operation,
                        )
                    )
                inserted = await conn.execute(
                    postgresql.insert(ledger)
                    .values(rows)
                    .on_conflict_do_nothing(index_elements=[ledger.c.job_id, ledger.c.kind], index_where=ledger.c.job_id.isnot(None))
                    .returning(ledger.c.amount, ledger.c.images)
                )
                new = inserted.all()
                if len(new) < len(items):
                    await self._check_not_refunded(conn, job_ids)
                balance = account.balance
                if new:  # not all retries: move the balance by what was inserted
                    metrics.CREDITS_CHARGED.labels(pricing.tier).inc(-sum(r.amount for r in new))
                    balance = (
                        await conn.execute(
                            accounts.update()
                            .where(accounts.c.user_id == user_id)
                            .values(
                                balance=accounts.c.balance + sum(r.amount for r in new),
                                images_today=self.images_today(account) + sum(r.images for r in new),
                                quota_day=_today(),
                                updated_at=sa.func.now(),
                            )
                            .returning(accounts.c.balance)
                        )
                    ).scalar_one()
        return billing_pb2.ChargeResponse(
            credits_charged=pricing.finalTotal, balance=balance, pricing=pricing, model=model or spec["model"],
            quality=quality or spec["quality"], job_credits=[credits for _, _, credits in items],
        )

    async def _check_not_refunded(self, conn: AsyncConnection, job_ids: list[str]) -> None:
        """A retry whose jobs were all refunded (they failed, or never reached the orchestrator) must not get them free."""
        refunded = await conn.execute(sa.select(sa.func.count()).where(ledger.c.job_id.in_(job_ids), ledger.c.kind == "refund"))
        if refunded.scalar_one() == len(job_ids):
            raise ServiceError(
                grpc.StatusCode.FAILED_PRECONDITION,
                "JOB_REFUNDED",
                "This request's job was refunded (it failed or was never queued); send it again with a new Idempotency-Key",
                http_status=409,
            )

    def _check_daily_quota(self, account: Account, image_count: int) -> None:
        limit = self.catalog.plan(account.plan)["daily_quota"]
        used = self.images_today(account)
        if used + image_count > limit:
            reset = next_midnight()
            retry_after = int((reset - dt.datetime.now(dt.UTC)).total_seconds()) + 1
            raise ServiceError(
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                "QUOTA_EXCEEDED",
                f"The {account.plan} plan allows {limit} images a day; {used} used. The quota resets at {iso(reset)}",
                details={"limit": limit, "used": used, "resetsAt": iso(reset), "retry_after": retry_after},
            )

    async def _charged_today(self, conn: AsyncConnection, user_id: str, measure, *where) -> int:
        """`measure` over the user's charges since midnight UTC whose job was not refunded."""
        midnight = next_midnight() - dt.timedelta(days=1)
        refunded = sa.select(ledger.c.job_id).where(ledger.c.user_id == user_id, ledger.c.kind == "refund", ledger.c.job_id.is_not(None))
        used = await conn.execute(
            sa.select(sa.func.coalesce(measure, 0)).where(
                ledger.c.user_id == user_id, ledger.c.kind == "charge", ledger.c.created_at >= midnight,
                ledger.c.job_id.not_in(refunded), *where,
            )
        )
        return int(used.scalar_one())

    async def professional_images_today(self, conn: AsyncConnection, user_id: str) -> int:
        """Professional-tier images charged today (seed 001's professionalTier quota)."""
        return await self._charged_today(conn, user_id, sa.func.sum(ledger.c.images), ledger.c.tier == PROFESSIONAL)

    async def generations_today(self, conn: AsyncConnection, user_id: str) -> int:
        """Generation jobs charged today, whatever their images (seed 004's dailyGenerations)."""
        return await self._charged_today(conn, user_id, sa.func.count(), ledger.c.operation == "generate")

    async def _check_generation_limits(self, conn: AsyncConnection, account: Account, dialect: str, image_count: int) -> None:
        """The plan's generation limits: seed 004's document gives them (plans.json
        plans.*.dialects.fomi.limits), and they hold at every base URL the generation RPCs
        are bound to (/v1 as well as /fomi/v1). `dialect` only picks the plan's name shown."""
        view = self.catalog.dialect_plan("fomi", account.plan) or {}
        limits = view.get("limits") or {}
        name = (self.catalog.dialect_plan(dialect, account.plan) or {}).get("name", account.plan)
        most = limits.get("maxImagesPerGeneration")
        if most is not None and image_count > most:
            raise ServiceError(
                grpc.StatusCode.PERMISSION_DENIED,
                "PERMISSION_DENIED",
                f"The {name} plan generates at most {most} image(s) per request; {image_count} were asked for. "
                f"Ask for fewer, or upgrade the plan",
                details={"maxImagesPerGeneration": most, "requested": image_count, "plan": name},
            )
        daily = limits.get("dailyGenerations")
        if daily is not None:
            used = await self.generations_today(conn, account.user_id)
            if used >= daily:
                reset = next_midnight()
                retry_after = int((reset - dt.datetime.now(dt.UTC)).total_seconds()) + 1
                raise ServiceError(
                    grpc.StatusCode.RESOURCE_EXHAUSTED,
                    "RATE_LIMIT_EXCEEDED",
                    f"The {name} plan allows {daily} generations a day; {used} used. The count resets at {iso(reset)}",
                    details={"dailyGenerations": daily, "used": used, "resetsAt": iso(reset), "retry_after": retry_after},
                )

    async def _check_professional_quota(self, conn: AsyncConnection, account: Account, image_count: int) -> None:
        limit = self.catalog.plan(account.plan).get("professional_daily_quota")
        if limit is None:
            return
        used = await self.professional_images_today(conn, account.user_id)
        if used + image_count > limit:
            reset = next_midnight()
            raise ServiceError(
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                "QUOTA_EXCEEDED",
                f"The {account.plan} plan allows {limit} professional-tier images a day; {used} used. The quota resets at {iso(reset)}",
                details={"limit": limit, "used": used, "tier": PROFESSIONAL, "resetsAt": iso(reset),
                         "retry_after": int((reset - dt.datetime.now(dt.UTC)).total_seconds()) + 1},
            )

    async def refund(self, job_id: str, reason: str = "job failed") -> billing_pb2.RefundResponse:
        """A job's charge back, once. A batch's image gets back what re-pricing the batch on its remaining
        images leaves over (L2): padding a batch with bad images does not buy the good ones a deeper discount."""
        async with self.db.begin() as conn:
            charge = record(
                LedgerEntry, (await conn.execute(sa.select(ledger).where(ledger.c.job_id == job_id, ledger.c.kind == "charge"))).first()
            )
            if charge is None:
                return billing_pb2.RefundResponse(refunded=False)
            account = Account.model_validate(
                (await conn.execute(sa.select(accounts).where(accounts.c.user_id == charge.user_id).with_for_update())).one()
            )
            done = (
                await conn.execute(sa.select(ledger.c.id).where(ledger.c.job_id == job_id, ledger.c.kind == "refund"))
            ).first()
            if done is not None:
                return billing_pb2.RefundResponse(refunded=False)
            amount = -charge.amount
            if charge.batch is not None:
                amount = await self._batch_refund(conn, charge)
            await self.append(
                conn, account, "refund", amount, images=-charge.images, job_id=job_id, tier=charge.tier,
                description=reason, batch=charge.batch, settled=True, operation=charge.operation,
            )
            await conn.execute(ledger.update().where(ledger.c.id == charge.id).values(settled=True))
        metrics.CREDITS_REFUNDED.labels(charge.tier or "").inc(amount)
        return billing_pb2.RefundResponse(refunded=True, credits=amount)

    async def _batch_refund(self, conn: AsyncConnection, charge: LedgerEntry) -> int:
        """What was paid for the batch beyond the price of its images still standing: what the batch has
        paid stays min(its quote, the price of its remaining images), so a refund never exceeds the charge."""
        rows = (
            await conn.execute(
                sa.select(ledger.c.kind, sa.func.count(), sa.func.sum(ledger.c.amount))
                .where(ledger.c.batch == charge.batch, ledger.c.kind.in_(("charge", "refund")))
                .group_by(ledger.c.kind)
            )
        ).all()
        totals = {kind: (count, int(amount or 0)) for kind, count, amount in rows}
        charges, paid = totals.get("charge", (0, 0))
        refunds, returned = totals.get("refund", (0, 0))
        remaining = charges - refunds - 1
        still_owed = self.catalog.price(charge.tier, remaining).finalTotal if remaining > 0 else 0
        return max(0, -paid - returned - still_owed)

    async def settle(self, job_id: str) -> None:
        """The orchestrator has the charge's job: the reconciler leaves it alone."""
        async with self.db.begin() as conn:
            await conn.execute(
                ledger.update().where(ledger.c.job_id == job_id, ledger.c.kind == "charge", ~ledger.c.settled).values(settled=True)
            )

    async def unsettled(self, older_than_s: float, limit: int = 100) -> list[tuple[str, str]]:
        """(job id, owner) of charges older than `older_than_s` whose job nobody has confirmed."""
        async with self.db.connect() as conn:
            rows = await conn.execute(
                sa.select(ledger.c.job_id, ledger.c.user_id)
                .where(
                    ledger.c.kind == "charge", ~ledger.c.settled,
                    ledger.c.created_at < sa.func.now() - dt.timedelta(seconds=older_than_s),
                )
                .order_by(ledger.c.created_at)
                .limit(limit)
            )
            return [(row.job_id, row.user_id) for row in rows]

    async def credits(self, user_id: str, plan: str, page: int, limit: int) -> billing_pb2.Credits:
        async with self.db.begin() as conn:
            account = await self.open_account(conn, user_id, plan)
            total = (
                await conn.execute(sa.select(sa.func.count()).select_from(ledger).where(ledger.c.user_id == user_id))
            ).scalar_one()
            rows = records(
                LedgerEntry,
                await conn.execute(
                    sa.select(ledger)
                    .where(ledger.c.user_id == user_id)
                    .order_by(ledger.c.id.desc())
                    .offset((page - 1) * limit)
                    .limit(limit)
                ),
            )
            period_total, reset = await self.credit_period(conn, account)
        return billing_pb2.Credits(
            period_total=period_total,
            reset_date=iso(reset),
            balance=account.balance,
            plan=account.plan,
            monthly_grant=self.catalog.plan(account.plan)["monthly_credits"],
            history=[
                billing_pb2.LedgerEntry(
                    kind=r.kind, amount=r.amount, balance_after=r.balance_after, job_id=r.job_id or "",
                    description=r.description, created_at=iso(r.created_at), id=r.id, operation=r.operation or "", images=r.images,
                )
                for r in rows
            ],
            total=total,
            page=page,
            limit=limit,
        )

    async def credit_period(self, conn: AsyncConnection, account: Account) -> tuple[int, dt.datetime]:
        """(credits of this period, when it ends): the balance plus what was spent since the period began.
        A subscription's period is its billing cycle's; without one, the plan's calendar month, whose
        grant comes on the first of the next (a cancelled plan's too, once it has ended)."""
        now = dt.datetime.now(dt.UTC)
        row = (await conn.execute(sa.select(subscriptions).where(subscriptions.c.user_id == account.user_id))).first()
        if row is None:
            start, reset = month_start(now), month_start(now, 1)
        else:
            start = row.period_end - dt.timedelta(days=self.catalog.cycle(row.cycle)[1]["days"])
            reset = row.period_end if row.status == "active" else month_start(row.period_end, 1)
        spent = (
            await conn.execute(
                sa.select(sa.func.coalesce(sa.func.sum(-ledger.c.amount), 0)).where(
                    ledger.c.user_id == account.user_id, ledger.c.kind.in_(("charge", "refund")), ledger.c.created_at >= start
                )
            )
        ).scalar_one()
        return account.balance + max(0, int(spent)), reset

    async def adjust(self, user_id: str, amount: int, reason: str) -> None:
        async with self.db.begin() as conn:
            account = await self.open_account(conn, user_id, "free")
            if account.balance + amount < 0:
                raise ServiceError(grpc.StatusCode.FAILED_PRECONDITION, "INVALID_INPUT", "The balance cannot go below zero")
            await self.append(conn, account, "adjustment", amount, description=reason[:200])
