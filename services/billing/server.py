"""Billing service: quotes, charges, refunds, balances; refunds failed jobs from their events."""

from __future__ import annotations

import asyncio
import logging
import pathlib
import uuid

import grpc
from envoy.service.ratelimit.v3 import rls_pb2, rls_pb2_grpc

from backdrop.billing.v1 import billing_pb2, billing_pb2_grpc
from backdrop.jobs.v1 import jobs_pb2, jobs_pb2_grpc
from services.billing.catalog import Catalog
from services.billing import payments
from services.billing.ledger import Ledger
from services.billing.ratelimit import RateLimits
from services.billing.subscriptions import Subscriptions
from services.runtime import db, grpcio, logs, messaging
from services.runtime.config import env_float, env_int, env_str, grpc_target
from services.runtime.errors import invalid, rpc_errors

MIGRATIONS = pathlib.Path(__file__).with_name("migrations")
CONSUMER = messaging.REFUNDS_CONSUMER
log = logging.getLogger(__name__)


def _uuid(value: str, field: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise invalid("INVALID_INPUT", f"{field} must be a UUID", field=field) from None


class Billing(billing_pb2_grpc.BillingServiceServicer):
    def __init__(self, ledger: Ledger, catalog: Catalog, subscriptions: Subscriptions, plan_changed=lambda user_id: None):
        self.ledger = ledger
        self.catalog = catalog
        self.subscriptions = subscriptions
        # Tells this replica's rate limiter at once (others see it within PLAN_CACHE_S).
        self.plan_changed = plan_changed

    @rpc_errors
    async def Quote(self, request, context):
        return self.catalog.price(request.tier, request.imageCount)

    @rpc_errors
    async def Charge(self, request, context):
        request.user_id, request.job_id = _uuid(request.user_id, "user_id"), _uuid(request.job_id, "job_id")
        return await self.ledger.charge(request)

    @rpc_errors
    async def ChargeBatch(self, request, context):
        if not request.job_ids:
            raise invalid("INVALID_INPUT", "a batch needs at least one job", field="job_ids")
        request.user_id = _uuid(request.user_id, "user_id")
        request.job_ids[:] = [_uuid(job_id, "job_ids") for job_id in request.job_ids]
        return await self.ledger.charge_batch(request)

    @rpc_errors
    async def Refund(self, request, context):
        return await self.ledger.refund(_uuid(request.job_id, "job_id"))

    @rpc_errors
    async def GetCredits(self, request, context):
        limit = min(max(request.limit or 20, 1), 100)
        return await self.ledger.credits(_uuid(request.user_id, "user_id"), request.plan, max(request.page or 1, 1), limit)

    @rpc_errors
    async def GrantCredits(self, request, context):
        user_id = _uuid(request.user_id, "user_id")
        if not request.amount or abs(request.amount) > 10_000_000:
            raise invalid("INVALID_INPUT", "amount must be a non-zero number of credits", field="amount")
        await self.ledger.adjust(user_id, request.amount, request.reason or "adjustment by an admin")
        return await self.ledger.credits(user_id, "", 1, 20)


    @rpc_errors
    async def GetSubscription(self, request, context):
        return await self.subscriptions.status(_uuid(request.user_id, "user_id"), request.plan)

    @rpc_errors
    async def Subscribe(self, request, context):
        user_id = _uuid(request.user_id, "user_id")
        subscribed = await self.subscriptions.subscribe(
            user_id, "free", request.plan, request.paymentMethodId, request.cycle, request.dialect
        )
        self.plan_changed(user_id)
        return subscribed

    @rpc_errors
    async def CancelSubscription(self, request, context):
        user_id = _uuid(request.user_id, "user_id")
        cancelled = await self.subscriptions.cancel(user_id)
        self.plan_changed(user_id)
        return cancelled

    @rpc_errors
    async def ReactivateSubscription(self, request, context):
        user_id = _uuid(request.user_id, "user_id")
        reactivated = await self.subscriptions.reactivate(user_id)
        self.plan_changed(user_id)
        return reactivated

    @rpc_errors
    async def GetPlanView(self, request, context):
        return await self.subscriptions.view(_uuid(request.user_id, "user_id"), request.plan, request.dialect)

    @rpc_errors
    async def PurchaseCredits(self, request, context):
        request.user_id = _uuid(request.user_id, "user_id")
        return await self.subscriptions.purchase(request)

    @rpc_errors
    async def GetUsageStats(self, request, context):
        return await self.subscriptions.usage(min(max(request.days, 1), 365))


async def refund_failed_jobs(js, ledger: Ledger) -> None:
    """Every failed job gets its credits back, once (the ledger's unique index); any event of a job
    settles its charge (the job exists, so the reconciler leaves it)."""

    async def refund(msg) -> bool:
        event = jobs_pb2.JobEvent.FromString(msg.data)
        if event.status == jobs_pb2.JOB_STATUS_FAILED:
            result = await ledger.refund(event.job_id)
            if result.refunded:
                log.info("job refunded", extra=logs.fields(job_id=event.job_id, credits=result.credits))
        else:
            await ledger.settle(event.job_id)
        return True

    await messaging.consume(js, CONSUMER, messaging.EVENTS_STREAM, f"{messaging.EVENTS_SUBJECT}.>", refund)


async def reconcile_once(ledger: Ledger, jobs: jobs_pb2_grpc.JobServiceStub, older_than_s: float) -> int:
    """Charges whose job the orchestrator does not have after `older_than_s` are refunded (M4): the
    gateway died, or the client went away, between the charge and SubmitJob. A job that exists is
    never refunded here; its FAILED event does that. Returns how many were refunded."""
    refunded = 0
    for job_id, owner_id in await ledger.unsettled(older_than_s):
        try:
            await jobs.GetJob(jobs_pb2.GetJobRequest(job_id=job_id, owner_id=owner_id), timeout=10)
        except grpc.aio.AioRpcError as error:
            if error.code() != grpc.StatusCode.NOT_FOUND:
                continue  # the orchestrator cannot say: ask again next round
            result = await ledger.refund(job_id, "job was never queued")
            refunded += result.refunded
            log.warning("charge without a job refunded", extra=logs.fields(job_id=job_id, credits=result.credits))
            continue
        await ledger.settle(job_id)
    return refunded


async def reconcile_loop(ledger: Ledger, jobs: jobs_pb2_grpc.JobServiceStub) -> None:
    older_than_s = env_float("BILLING_RECONCILE_AFTER_S", 300.0)
    interval = env_float("BILLING_RECONCILE_INTERVAL_S", 60.0)
    while True:
        await asyncio.sleep(interval)
        try:
            await reconcile_once(ledger, jobs, older_than_s)
        except Exception:  # noqa: BLE001 - next round
            log.exception("could not reconcile charges")


async def main() -> None:
    logs.setup("billing", env_str("LOG_LEVEL", "INFO"))
    await db.migrate(MIGRATIONS, "billing")
    engine = db.engine()
    catalog = Catalog.load()
    ledger = Ledger(engine, catalog)
    nats_client, js = await messaging.connect("billing")

    rate_limits = RateLimits(engine, catalog)
    subscriptions = Subscriptions(ledger, payments.from_env())
    orchestrator = grpcio.channel(grpc_target("ORCHESTRATOR_ADDR", 50052))
    jobs = jobs_pb2_grpc.JobServiceStub(orchestrator)

    def register(server):
        billing_pb2_grpc.add_BillingServiceServicer_to_server(Billing(ledger, catalog, subscriptions, rate_limits.forget), server)
        rls_pb2_grpc.add_RateLimitServiceServicer_to_server(rate_limits, server)
        return [
            billing_pb2.DESCRIPTOR.services_by_name["BillingService"].full_name,
            rls_pb2.DESCRIPTOR.services_by_name["RateLimitService"].full_name,
        ]

    async def refunds():
        await refund_failed_jobs(js, ledger)

    async def reconcile():
        await reconcile_loop(ledger, jobs)

    async def close():
        await orchestrator.close()
        await nats_client.drain()
        await engine.dispose()

    await grpcio.serve(
        name="billing",
        port=env_int("BILLING_PORT", 50055),
        register=register,
        checks={"postgres": lambda: db.check(engine), "nats": lambda: messaging.check(nats_client)},
        background=[refunds, reconcile, rate_limits.expire, subscriptions.expire_loop],
        on_shutdown=close,
    )


if __name__ == "__main__":
    asyncio.run(main())
