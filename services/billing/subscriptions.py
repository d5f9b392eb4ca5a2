"""Seed 001's subscriptions: status with quotas, subscribe or upgrade, cancel at period end."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid

import grpc
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from backdrop.billing.v1 import billing_pb2
from services.billing.ledger import Ledger, accounts, iso, ledger, next_midnight, payments, subscriptions
from services.billing.payments import PaymentProvider
from services.runtime.errors import ServiceError, invalid

log = logging.getLogger(__name__)


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
            try:
                payment = await self.payments.charge(
                    user_id, row.payment_method, plan["monthly_price"], self.catalog.data["currency"], f"Backdrop {row.plan} renewal"
                )
            except ServiceError as refused:
                log.warning("renewal refused; the subscription ends", extra={"user_id": user_id, "reason": refused.reason})
                return False
            period = dt.timedelta(days=self.catalog.data["subscription_days"])
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
            await self.ledger.append(conn, account, "grant", plan["monthly_credits"], description=f"{row.plan} renewal {row.id}")
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

    async def subscribe(self, user_id: str, token_plan: str, plan_name: str, payment_method: str) -> billing_pb2.SubscribeResponse:
        plan_name = plan_name.strip().lower()
        plans = self.catalog.data["plans"]
        if plan_name not in plans or plans[plan_name]["monthly_price"] <= 0:
            paid = ", ".join(p.name for p in self._available())
            raise invalid("INVALID_PLAN", f"plan must be one of {paid}", field="plan")
        if not payment_method:
            raise invalid("MISSING_REQUIRED_FIELD", "paymentMethodId is required", field="paymentMethodId")
        price = plans[plan_name]["monthly_price"]
        async with self.ledger.db.begin() as conn:
            account = await self.ledger.open_account(conn, user_id, token_plan)
            current = (await conn.execute(sa.select(subscriptions).where(subscriptions.c.user_id == user_id))).first()
            if current is not None and current.plan == plan_name and current.status == "active":
                raise ServiceError(grpc.StatusCode.ALREADY_EXISTS, "ALREADY_SUBSCRIBED", f"You are subscribed to {plan_name} already")
            payment = await self.payments.charge(user_id, payment_method, price, self.catalog.data["currency"], f"Backdrop {plan_name}")
            subscription_id = f"sub_{uuid.uuid4().hex[:16]}"
            period_end = dt.datetime.now(dt.UTC) + dt.timedelta(days=self.catalog.data["subscription_days"])
            values = {"id": subscription_id, "plan": plan_name, "status": "active", "payment_reference": payment.reference,
                      "subscribed_at": sa.func.now(), "period_end": period_end, "payment_method": payment_method}
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
            # The new plan's credits come with the payment.
            grant = plans[plan_name]["monthly_credits"]
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
