"""Credits and pricing: /v1/credits, /v1/pricing/calculate, /v1/admin/credits."""

from __future__ import annotations

from backdrop.billing.v1 import billing_pb2, billing_pb2_grpc
from gateway import rest
from services.runtime import envelopes, identity


class CreditEndpoints:
    billing: billing_pb2_grpc.BillingServiceStub

    @rest.endpoint(envelopes.v1)
    async def GetCredits(self, request, context):
        caller = identity.required(context)
        return await self.billing.GetCredits(
            billing_pb2.GetCreditsRequest(user_id=caller.user_id, plan=caller.plan, page=request.page, limit=request.limit)
        )

    @rest.endpoint(envelopes.v1)
    async def CalculatePricing(self, request, context):
        identity.required(context)
        return await self.billing.Quote(request)

    @rest.endpoint(envelopes.v1)
    async def GrantCredits(self, request, context):
        identity.admin(context)
        return await self.billing.GrantCredits(
            billing_pb2.GrantCreditsRequest(user_id=request.user_id, amount=request.amount, reason=request.reason)
        )
