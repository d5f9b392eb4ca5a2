"""Seed 004's plans, subscription and credits (FOMI): the code of protos/backdrop/fomi/v1/plans.proto.

Billing does the work and holds the numbers (services/billing/plans.json, whose
`dialects.fomi` blocks are seed 004's view of each plan); this module only
checks the request and shapes billing's answers as seed 004's clients read them.
"""

from __future__ import annotations

import re

import grpc
from google.protobuf import json_format

from backdrop.billing.v1 import billing_pb2
from backdrop.fomi.v1 import plans_pb2, plans_pb2_grpc
from gateway import rest
from services.runtime import envelopes, identity
from services.runtime.errors import ServiceError, invalid

FOMI = envelopes.FOMI
DIALECT = FOMI.name
# A payment provider's id of a payment method (pm_card_visa, card_123, ...).
PAYMENT_METHOD = re.compile(r"[A-Za-z0-9_\-]{1,100}")
# What a ledger entry was for, as seed 004's history names it.
CHARGE_TYPES = {"generate": "image_generation", "remove_background": "background_removal", "upscale": "upscale", "enhance": "enhancement"}
KIND_TYPES = {"refund": "refund", "grant": "plan_credits", "purchase": "purchase", "adjustment": "adjustment"}


def _payment_method(value: str) -> str:
    value = value.strip()
    if not PAYMENT_METHOD.fullmatch(value):
        raise invalid("INVALID_PARAMETER", "paymentMethod is required: the id of a payment method (letters, digits, _ and -)", field="paymentMethod")
    return value


def _entry(entry: billing_pb2.LedgerEntry) -> plans_pb2.PlanCreditEntry:
    if entry.kind == "charge":
        kind = "background_removal" if entry.operation.startswith("removebg:") else CHARGE_TYPES.get(entry.operation, "usage")
    else:
        kind = KIND_TYPES.get(entry.kind, entry.kind)
    description = entry.description
    if kind == "image_generation":
        description = f"Generated {entry.images} image{'' if entry.images == 1 else 's'}"
    return plans_pb2.PlanCreditEntry(id=f"credit_{entry.id}", amount=entry.amount, type=kind, description=description, createdAt=entry.created_at)


class FomiPlans(plans_pb2_grpc.FomiPlansServicer):
    def __init__(self, gateway):
        # The GatewayServicer: its billing peer does the work.
        self.gateway = gateway

    async def _payment(self, call):
        """A declined payment method is the request's paymentMethod field (billing names seed 001's)."""
        try:
            return await call
        except grpc.aio.AioRpcError as failed:
            error = ServiceError.from_rpc_error(failed)
            if error.reason == "PAYMENT_DECLINED":
                error.details["field"] = "paymentMethod"
            raise error from None

    async def _subscription(self, caller: identity.Identity) -> plans_pb2.PlanSubscriptionResponse:
        view = await self.gateway.billing.GetPlanView(
            billing_pb2.PlanViewRequest(user_id=caller.user_id, plan=caller.plan, dialect=DIALECT)
        )
        shown = json_format.MessageToDict(view.view)
        return plans_pb2.PlanSubscriptionResponse(
            success=True,
            subscription=plans_pb2.PlanSubscription(
                plan=view.plan, status=view.status,
                credits=plans_pb2.PlanCredits(remaining=view.credits_remaining, total=view.credits_total, resetDate=view.reset_date),
                limits=json_format.ParseDict(shown.get("limits", {}), plans_pb2.PlanLimits()),
                features=json_format.ParseDict(shown.get("features", {}), plans_pb2.PlanFeatures()),
                billing=plans_pb2.PlanBilling(cycle=view.cycle, nextBilling=view.next_billing, amount=view.amount),
            ),
        )

    @rest.endpoint(FOMI)
    async def GetSubscription(self, request, context):
        return await self._subscription(identity.required(context))

    @rest.endpoint(FOMI)
    async def UpgradeSubscription(self, request, context):
        caller = identity.required(context)
        if not request.plan.strip():
            raise invalid("INVALID_PLAN", "plan is required: basic, pro or enterprise", field="plan")
        await self._payment(
            self.gateway.billing.Subscribe(
                billing_pb2.SubscribeRequest(
                    user_id=caller.user_id, plan=request.plan[:50], paymentMethodId=_payment_method(request.paymentMethod),
                    cycle=request.cycle[:20], dialect=DIALECT,
                )
            )
        )
        return await self._subscription(caller)

    @rest.endpoint(FOMI)
    async def CancelSubscription(self, request, context):
        caller = identity.required(context)
        await self.gateway.billing.CancelSubscription(billing_pb2.CancelSubscriptionRequest(user_id=caller.user_id))
        return await self._subscription(caller)

    @rest.endpoint(FOMI)
    async def ReactivateSubscription(self, request, context):
        caller = identity.required(context)
        await self.gateway.billing.ReactivateSubscription(billing_pb2.ReactivateSubscriptionRequest(user_id=caller.user_id))
        return await self._subscription(caller)

    @rest.endpoint(FOMI)
    async def GetCredits(self, request, context):
        caller = identity.required(context)
        if request.page < 0 or not 0 <= request.limit <= 100:
            raise invalid("INVALID_PARAMETER", "page must be 1 or more and limit from 1 to 100", field="limit" if request.page >= 0 else "page")
        credits = await self.gateway.billing.GetCredits(
            billing_pb2.GetCreditsRequest(user_id=caller.user_id, plan=caller.plan, page=request.page or 1, limit=request.limit or 20)
        )
        return plans_pb2.PlanCreditsResponse(
            success=True,
            credits=plans_pb2.PlanCreditHistory(
                remaining=credits.balance, total=credits.period_total, resetDate=credits.reset_date,
                history=[_entry(entry) for entry in credits.history],
            ),
        )

    @rest.endpoint(FOMI)
    async def PurchaseCredits(self, request, context):
        caller = identity.required(context)
        if not request.package.strip():
            raise invalid("INVALID_PACKAGE", "package is required (a credit package such as pro_1000)", field="package")
        if request.amount < 0:
            raise invalid("INVALID_PARAMETER", "amount must be the package's credits", field="amount")
        bought = await self._payment(
            self.gateway.billing.PurchaseCredits(
                billing_pb2.PurchaseCreditsRequest(
                    user_id=caller.user_id, plan=caller.plan, package=request.package[:50], credits=request.amount,
                    payment_method=_payment_method(request.paymentMethod), idempotency_key=rest.idempotency_key(context),
                )
            )
        )
        credits = await self.gateway.billing.GetCredits(
            billing_pb2.GetCreditsRequest(user_id=caller.user_id, plan=caller.plan, page=1, limit=1)
        )
        return plans_pb2.PlanPurchaseResponse(
            success=True,
            purchase=plans_pb2.PlanPurchase(
                id=bought.id, package=bought.package, amount=bought.credits, cost=bought.amount_usd, createdAt=bought.created_at,
            ),
            credits=plans_pb2.PlanCredits(remaining=credits.balance, total=credits.period_total, resetDate=credits.reset_date),
        )
