"""Credits, pricing and subscriptions: /v1/credits, /v1/pricing/calculate,
/v1/subscription, /v1/admin/credits, /v1/admin/stats."""

from __future__ import annotations

import re

from backdrop.auth.v1 import auth_pb2
from backdrop.billing.v1 import billing_pb2, billing_pb2_grpc
from backdrop.gateway.v1 import gateway_pb2
from backdrop.jobs.v1 import jobs_pb2, jobs_pb2_grpc
from gateway import rest
from services.runtime import envelopes, identity
from services.runtime.errors import invalid


class CreditEndpoints:
    billing: billing_pb2_grpc.BillingServiceStub
    jobs: jobs_pb2_grpc.JobServiceStub

    @rest.endpoint(envelopes.BACKDROP)
    async def GetCredits(self, request, context):
        caller = identity.required(context)
        return await self.billing.GetCredits(
            billing_pb2.GetCreditsRequest(user_id=caller.user_id, plan=caller.plan, page=request.page, limit=request.limit)
        )

    @rest.endpoint(envelopes.BACKDROP)
    async def CalculatePricing(self, request, context):
        identity.required(context)
        return await self.billing.Quote(request)

    @rest.endpoint(envelopes.BACKDROP)
    async def GetSubscription(self, request, context):
        return await self.subscription(context)

    @rest.endpoint(envelopes.BACKDROP)
    async def Subscribe(self, request, context):
        return await self.subscribe(context, request.plan, request.paymentMethodId)

    @rest.endpoint(envelopes.BACKDROP)
    async def CancelSubscription(self, request, context):
        return await self.cancel_subscription(context)

    @rest.endpoint(envelopes.BACKDROP)
    async def GetAdminStats(self, request, context):
        return await self.admin_stats(context, request.period)

    # The work of the endpoints above, shared with seed 001's dialect (gateway/dialects/lumiku.py).

    async def subscription(self, context) -> billing_pb2.SubscriptionResponse:
        caller = identity.required(context)
        return await self.billing.GetSubscription(billing_pb2.GetSubscriptionRequest(user_id=caller.user_id, plan=caller.plan))

    async def subscribe(self, context, plan: str, payment_method: str) -> billing_pb2.SubscribeResponse:
        caller = identity.required(context)
        response = await self.billing.Subscribe(
            billing_pb2.SubscribeRequest(user_id=caller.user_id, plan=plan, paymentMethodId=payment_method)
        )
        # New tokens show the plan; charges, tiers and rate limits go by billing's own record of it,
        # which also follows renewals and expiry (services/billing/ratelimit.py).
        await self.auth.UpdateUser(auth_pb2.UpdateUserRequest(user_id=caller.user_id, plan=response.data.plan))
        await rest.set_status(context, 201)
        return response

    async def cancel_subscription(self, context) -> billing_pb2.CancelSubscriptionResponse:
        return await self.billing.CancelSubscription(
            billing_pb2.CancelSubscriptionRequest(user_id=identity.required(context).user_id)
        )

    async def admin_stats(self, context, period: str) -> gateway_pb2.AdminStats:
        identity.admin(context)
        period = period or "30d"
        if not re.fullmatch(r"([1-9][0-9]{0,2})d", period) or int(period[:-1]) > 365:
            raise invalid("INVALID_PARAMETER", "period must be a number of days such as 30d (1d to 365d)", field="period")
        days = int(period[:-1])
        jobs = await self.jobs.GetJobStats(jobs_pb2.JobStatsRequest(days=days))
        usage = await self.billing.GetUsageStats(billing_pb2.UsageStatsRequest(days=days))
        return gateway_pb2.AdminStats(
            success=True,
            data=gateway_pb2.AdminStats.Data(
                period=period, jobs=jobs, usage=usage.usage, tierBreakdown=usage.tierBreakdown, subscriptions=usage.subscriptions
            ),
        )

    @rest.endpoint(envelopes.BACKDROP)
    async def GrantCredits(self, request, context):
        identity.admin(context)
        return await self.billing.GrantCredits(
            billing_pb2.GrantCreditsRequest(user_id=request.user_id, amount=request.amount, reason=request.reason)
        )
