"""Subscriptions: seed 001's status with quotas, subscribe or upgrade, cancel at period end; seed 004's
view of a plan (its names, limits and features from plans.json), billing cycles, reactivation and
credits bought on their own. Every payment goes through the payment provider (payments.py)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid

from google.protobuf import json_format, struct_pb2

import grpc
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from backdrop.billing.v1 import billing_pb2
from services.billing.ledger import Ledger, accounts, iso, ledger, next_midnight, payments, subscriptions
from services.billing.payments import PaymentProvider
from services.runtime.errors import ServiceError, invalid

log = logging.getLogger(__name__)
# A purchase's Idempotency-Key names its ledger row (per user).
PURCHASE_NAMESPACE = uuid.UUID("6f2d7a35-3c1e-4b8a-9d0e-1f6a4c2b7e90")


class Subscriptions:
    def __init__(self, ledger: Ledger, payments: PaymentProvider):
        self.ledger = ledger
        self.catalog = ledger.catalog
        self.payments = payments

    def _available(self) -> list[billing_pb2.AvailablePlan]:
        return [
            billing_pb2.AvailablePlan(
                name=name, price=plan["monthly_price"], dailyQuota=plan["daily_quota"],
                allowedTiers=plan["allowed_tiers"], monthlyCredits=plan["monthly_credits"],
                professionalQuota=plan.get("professional_daily_quota") or 0,
            )
            for name, plan in self.catalog.data["plans"].items()
            if plan["monthly_price"] > 0
        ]

    async def expire_ended(self, user_id: str | None = None) -> int:
        """Subscriptions whose period is over (H5): an active one renews, charging its payment method
        for another period and granting the plan's credits; a cancelled one, or one whose renewal is
        declined, ends and its account goes back to free. Returns how many ended."""
        due = sa.select(subscriptions.c.user_id, subscriptions.c.status).where(subscriptions.c.period_end <= sa.func.now())
        if user_id:
            due = due.where(subscriptions.c.user_id == user_id)
        async with self.ledger.db.connect() as conn:
            rows = (await conn.execute(due)).all()
        ended = 0
        for row in rows:
            if row.status == "active" and await self._renew(row.user_id):
                continue
            ended += await self._end(row.user_id)
        return ended

    async def _renew(self, user_id: str) -> bool:
        """Charges one more period, under the subscription's row lock; False when the payment is refused."""
        async with self.ledger.db.begin() as conn:
            row = (
                await conn.execute(
                    sa.select(subscriptions)
                    .where(subscriptions.c.user_id == user_id, subscriptions.c.status == "active", subscriptions.c.period_end <= sa.func.now())
                    .with_for_update()
                )
            ).first()
            if row is None:
                return True  # renewed or changed meanwhile
            plan = self.catalog.data["plans"].get(row.plan)
            if plan is None or plan["monthly_price"] <= 0:
                return False
            _, cycle = self.catalog.cycle(row.cycle)
            try:
                payment = await self.payments.charge(
                    user_id, row.payment_method, plan[cycle["price"]], self.catalog.data["currency"], f"Backdrop {row.plan} renewal"
                )
            except ServiceError as refused:
                log.warning("renewal refused; the subscription ends", extra={"user_id": user_id, "reason": refused.reason})
                return False
            period = dt.timedelta(days=cycle["days"])
            # The next period follows on; after a long outage of billing it starts now.
            period_end = max(row.period_end + period, dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1))
            await conn.execute(
                subscriptions.update()
                .where(subscriptions.c.user_id == user_id)
                .values(period_end=period_end, payment_reference=payment.reference)
            )
            await conn.execute(
                payments.insert().values(
                    reference=payment.reference, user_id=user_id, plan=row.plan, amount=payment.amount, currency=payment.currency
                )
            )
            account = await self.ledger.open_account(conn, user_id, row.plan)
            grant = plan["monthly_credits"] * cycle["credit_months"]
            await self.ledger.append(conn, account, "grant", grant, description=f"{row.plan} renewal {row.id}")
        return True

    async def _end(self, user_id: str) -> int:
        async with self.ledger.db.begin() as conn:
            gone = (
                await conn.execute(
                    subscriptions.delete()
                    .where(subscriptions.c.user_id == user_id, subscriptions.c.period_end <= sa.func.now())
                    .returning(subscriptions.c.user_id)
                )
            ).first()
            if gone is not None:
                await conn.execute(accounts.update().where(accounts.c.user_id == user_id).values(plan="free"))
        return int(gone is not None)

    async def expire_loop(self) -> None:
        while True:
            await asyncio.sleep(60)
            try:
                await self.expire_ended()
            except Exception:  # noqa: BLE001 - next round
                log.exception("could not expire subscriptions")

    async def status(self, user_id: str, token_plan: str) -> billing_pb2.SubscriptionResponse:
        await self.expire_ended(user_id)
        async with self.ledger.db.begin() as conn:
            account = await self.ledger.open_account(conn, user_id, token_plan)
            used = self.ledger.images_today(account)
            professional = await self.ledger.professional_images_today(conn, user_id)
            row = (await conn.execute(sa.select(subscriptions).where(subscriptions.c.user_id == user_id))).first()
        plan = self.catalog.plan(account.plan)
        if row is None:
            return billing_pb2.SubscriptionResponse(
                success=True,
                data=billing_pb2.SubscriptionData(
                    hasSubscription=False, plan=account.plan, allowedTiers=plan["allowed_tiers"], availablePlans=self._available()
                ),
            )
        limit = plan["daily_quota"]
        data = billing_pb2.SubscriptionData(
            hasSubscription=True,
            plan=row.plan,
            status=row.status,
            pricing=billing_pb2.PlanPrice(monthlyPrice=plan["monthly_price"], currency=self.catalog.data["currency"]),
            quotas=billing_pb2.Quotas(
                daily=billing_pb2.Quota(limit=limit, used=used, remaining=max(0, limit - used), resetsAt=iso(next_midnight())),
                professionalTier=_professional(plan, professional),
            ),
            allowedTiers=plan["allowed_tiers"],
            billing=billing_pb2.BillingDates(
                nextBillingDate=iso(row.period_end) if row.status == "active" else "",
                subscribedAt=iso(row.subscribed_at),
                expiresAt=iso(row.period_end) if row.status == "cancelled" else "",
            ),
        )
        return billing_pb2.SubscriptionResponse(success=True, data=data)

    async def subscribe(
        self, user_id: str, token_plan: str, plan_name: str, payment_method: str, cycle_name: str = "", dialect: str = ""
    ) -> billing_pb2.SubscribeResponse:
        """Pays for a paid plan's first period and starts it (an upgrade replaces the current one).
        `plan_name` is `dialect`'s name for the plan when a dialect is given (seed 004's basic)."""
        plans = self.catalog.data["plans"]
        paid = [p.name for p in self._available()]
        named = plan_name.strip().lower()
        if dialect:
            paid = [self.catalog.dialect_plan(dialect, p)["name"] for p in paid]
            named = self.catalog.plan_named(dialect, named) if named in paid else None
        if named not in plans or plans[named]["monthly_price"] <= 0:
            raise invalid("INVALID_PLAN", f"plan must be one of {', '.join(paid)}", field="plan")
        plan_name = named
        cycle_name, cycle = self.catalog.cycle(cycle_name)
        if not payment_method:
            raise invalid("MISSING_REQUIRED_FIELD", "paymentMethodId is required", field="paymentMethodId")
        price = plans[plan_name][cycle["price"]]
        async with self.ledger.db.begin() as conn:
            account = await self.ledger.open_account(conn, user_id, token_plan)
            current = (await conn.execute(sa.select(subscriptions).where(subscriptions.c.user_id == user_id))).first()
            if current is not None and current.plan == plan_name and current.status == "active" and current.cycle == cycle_name:
                raise ServiceError(grpc.StatusCode.ALREADY_EXISTS, "ALREADY_SUBSCRIBED", f"You are subscribed to {plan_name} already")
            payment = await self.payments.charge(user_id, payment_method, price, self.catalog.data["currency"], f"Backdrop {plan_name}")
            subscription_id = f"sub_{uuid.uuid4().hex[:16]}"
            period_end = dt.datetime.now(dt.UTC) + dt.timedelta(days=cycle["days"])
            values = {"id": subscription_id, "plan": plan_name, "status": "active", "payment_reference": payment.reference,
                      "subscribed_at": sa.func.now(), "period_end": period_end, "payment_method": payment_method, "cycle": cycle_name}
            await conn.execute(
                postgresql.insert(subscriptions).values(user_id=user_id, **values)
                .on_conflict_do_update(index_elements=[subscriptions.c.user_id], set_=values)
            )
            await conn.execute(accounts.update().where(accounts.c.user_id == user_id).values(plan=plan_name))
            await conn.execute(
                payments.insert().values(
                    reference=payment.reference, user_id=user_id, plan=plan_name, amount=payment.amount, currency=payment.currency
                )
            )
            # The new plan's credits come with the payment (a year's with a yearly one).
            grant = plans[plan_name]["monthly_credits"] * cycle["credit_months"]
            await self.ledger.append(conn, account, "grant", grant, description=f"{plan_name} subscription {subscription_id}")
        return billing_pb2.SubscribeResponse(
            success=True,
            data=billing_pb2.SubscribeData(
                subscriptionId=subscription_id, plan=plan_name, status="active", nextBillingDate=iso(period_end), amountCharged=price
            ),
        )

    async def cancel(self, user_id: str) -> billing_pb2.CancelSubscriptionResponse:
        async with self.ledger.db.begin() as conn:
            row = (
                await conn.execute(
                    subscriptions.update()
                    .where(subscriptions.c.user_id == user_id, subscriptions.c.status == "active")
                    .values(status="cancelled")
                    .returning(subscriptions.c.period_end)
                )
            ).first()
        if row is None:
            raise ServiceError(grpc.StatusCode.NOT_FOUND, "NO_SUBSCRIPTION", "There is no active subscription to cancel")
        remaining = max(0, (row.period_end - dt.datetime.now(dt.UTC)).days)
        return billing_pb2.CancelSubscriptionResponse(
            success=True,
            data=billing_pb2.CancelData(
                message="Subscription cancelled successfully", expiresAt=iso(row.period_end), remainingDays=remaining
            ),
        )

    async def reactivate(self, user_id: str) -> billing_pb2.SubscribeResponse:
        """A cancelled subscription whose period has not ended renews again at its end; nothing is paid now."""
        async with self.ledger.db.begin() as conn:
            row = (
                await conn.execute(
                    subscriptions.update()
                    .where(subscriptions.c.user_id == user_id, subscriptions.c.status == "cancelled", subscriptions.c.period_end > sa.func.now())
                    .values(status="active")
                    .returning(*subscriptions.c)
                )
            ).first()
            if row is None:
                current = (await conn.execute(sa.select(subscriptions.c.status).where(subscriptions.c.user_id == user_id))).scalar_one_or_none()
        if row is None:
            if current == "active":
                raise ServiceError(grpc.StatusCode.FAILED_PRECONDITION, "ALREADY_ACTIVE", "The subscription is active: there is nothing to reactivate")
            raise ServiceError(
                grpc.StatusCode.NOT_FOUND, "NO_SUBSCRIPTION", "There is no cancelled subscription to reactivate; subscribe with an upgrade instead"
            )
        return billing_pb2.SubscribeResponse(
            success=True,
            data=billing_pb2.SubscribeData(subscriptionId=row.id, plan=row.plan, status="active", nextBillingDate=iso(row.period_end)),
        )

    def _usd(self, amount: int) -> float:
        """An amount of plans.json's currency in US dollars (seed 004 shows dollars), to the cent."""
        return round(amount / self.catalog.data["usd_rate"], 2)

    async def view(self, user_id: str, token_plan: str, dialect: str) -> billing_pb2.PlanView:
        """The caller's plan as `dialect`'s document shows it: its name, status, this period's credits,
        the plan's limits and features there (plans.json) and the next payment."""
        await self.expire_ended(user_id)
        async with self.ledger.db.begin() as conn:
            account = await self.ledger.open_account(conn, user_id, token_plan)
            total, reset = await self.ledger.credit_period(conn, account)
            row = (await conn.execute(sa.select(subscriptions).where(subscriptions.c.user_id == user_id))).first()
            paid_before = row is None and (
                await conn.execute(
                    sa.select(payments.c.reference).where(payments.c.user_id == user_id, payments.c.plan.in_(list(self.catalog.data["plans"]))).limit(1)
                )
            ).first() is not None
        shown = self.catalog.dialect_plan(dialect, account.plan)
        if shown is None:
            raise invalid("INVALID_INPUT", f"No plan view for dialect {dialect!r}", field="dialect")
        view = billing_pb2.PlanView(
            plan=shown["name"], catalog_plan=account.plan, credits_remaining=account.balance, credits_total=total,
            reset_date=iso(reset), cycle=row.cycle if row else "monthly",
            status=row.status if row else ("expired" if paid_before else "active"),
            view=json_format.ParseDict({k: v for k, v in shown.items() if k in ("limits", "features", "video")}, struct_pb2.Struct()),
        )
        if row is not None and row.status == "active":
            view.next_billing, view.amount = iso(row.period_end), self._usd(self.catalog.cycle_price(row.plan, row.cycle))
        return view

    async def purchase(self, request: billing_pb2.PurchaseCreditsRequest) -> billing_pb2.PurchaseCreditsResponse:
        """A credit package (plans.json credit_packages), paid through the provider and granted once:
        with an idempotency key, a retry answers the first purchase and pays nothing."""
        package = self.catalog.package(request.package)
        name = request.package.strip().lower()
        if request.credits and request.credits != package["credits"]:
            raise invalid(
                "INVALID_PARAMETER", f"amount must be {package['credits']}, the credits of package {name} (or left out)", field="amount"
            )
        if not request.payment_method:
            raise invalid("MISSING_REQUIRED_FIELD", "paymentMethod is required", field="paymentMethod")
        key = request.idempotency_key
        purchase_id = str(uuid.uuid5(PURCHASE_NAMESPACE, f"{request.user_id}:{key}") if key else uuid.uuid4())
        description = f"{package['credits']} credits ({name})"
        currency = self.catalog.data["currency"]
        async with self.ledger.db.begin() as conn:
            account = await self.ledger.open_account(conn, request.user_id, request.plan)  # locked: one purchase at a time
            done = (
                await conn.execute(sa.select(ledger).where(ledger.c.job_id == purchase_id, ledger.c.kind == "purchase"))
            ).first()
            if done is not None:
                if done.description != description:
                    raise ServiceError(
                        grpc.StatusCode.ALREADY_EXISTS, "IDEMPOTENCY_CONFLICT",
                        "This Idempotency-Key bought another package; send a new key for a new purchase", http_status=422,
                    )
                balance, created = account.balance, done.created_at
            else:
                payment = await self.payments.charge(request.user_id, request.payment_method, package["price"], currency, f"Backdrop {description}")
                await conn.execute(
                    payments.insert().values(
                        reference=payment.reference, user_id=request.user_id, plan=f"credits:{name}", amount=payment.amount, currency=payment.currency
                    )
                )
                created = dt.datetime.now(dt.UTC)
                account = await self.ledger.append(
                    conn, account, "purchase", package["credits"], job_id=purchase_id, description=description, operation="purchase",
                    settled=True, created_at=created,
                )
                balance = account.balance
        return billing_pb2.PurchaseCreditsResponse(
            id=f"purchase_{uuid.UUID(purchase_id).hex[:16]}", package=name, credits=package["credits"], price=package["price"],
            currency=currency, amount_usd=self._usd(package["price"]), balance=balance, created_at=iso(created),
        )

    async def usage(self, days: int) -> billing_pb2.UsageStats:
        """Seed 001's usage, tier and subscription figures over the last `days` days."""
        since = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
        async with self.ledger.db.connect() as conn:
            net = (
                await conn.execute(
                    sa.select(ledger.c.tier, sa.func.sum(ledger.c.images), sa.func.sum(-ledger.c.amount))
                    .where(ledger.c.kind.in_(("charge", "refund")), ledger.c.created_at >= since)
                    .group_by(ledger.c.tier)
                )
            ).all()
            charges = (
                await conn.execute(
                    sa.select(sa.func.count()).where(ledger.c.kind == "charge", ledger.c.created_at >= since)
                )
            ).scalar_one()
            revenue = (
                await conn.execute(sa.select(sa.func.coalesce(sa.func.sum(payments.c.amount), 0)).where(payments.c.created_at >= since))
            ).scalar_one()
            active = dict(
                (
                    await conn.execute(
                        sa.select(subscriptions.c.plan, sa.func.count())
                        .where(subscriptions.c.period_end > sa.func.now())
                        .group_by(subscriptions.c.plan)
                    )
                ).all()
            )
        images = {tier: int(count or 0) for tier, count, _ in net if tier}
        credits = sum(int(spent or 0) for _, _, spent in net)
        all_images = sum(images.values())
        prices = {name: plan["monthly_price"] for name, plan in self.catalog.data["plans"].items()}
        return billing_pb2.UsageStats(
            usage=billing_pb2.Usage(
                totalCreditsUsed=credits, totalRevenue=int(revenue), avgCreditsPerJob=round(credits / charges, 2) if charges else 0
            ),
            tierBreakdown={
                tier: billing_pb2.TierCount(count=images.get(tier, 0), percentage=round(100 * images.get(tier, 0) / all_images, 1) if all_images else 0)
                for tier in self.catalog.data["tiers"]
            },
            subscriptions=billing_pb2.SubscriptionStats(
                active=sum(active.values()),
                starter=active.get("starter", 0),
                pro=active.get("pro", 0),
                enterprise=active.get("enterprise", 0),
                mrr=sum(prices.get(plan, 0) * count for plan, count in active.items()),
            ),
        )


def _professional(plan: dict, used: int) -> billing_pb2.Quota | None:
    limit = plan.get("professional_daily_quota")
    return None if limit is None else billing_pb2.Quota(limit=limit, used=used, remaining=max(0, limit - used))
