"""Seed 004's usage analytics (FOMI): the code of protos/backdrop/fomi/v1/analytics.proto.

Counts and trends are the orchestrator's (GalleryService.GetUsage: SQL over the
caller's jobs); credits used and the balance are billing's ledger, read through
GetCredits (newest entry first) back to the period's first day.
"""

from __future__ import annotations

from backdrop.billing.v1 import billing_pb2
from backdrop.fomi.v1 import analytics_pb2, analytics_pb2_grpc
from backdrop.jobs.v1 import gallery_pb2 as usage_pb2
from gateway import rest
from services.runtime import envelopes, identity
from services.runtime.errors import invalid
from services.runtime.identity import Identity

FOMI = envelopes.FOMI
PERIODS = {"7d": 7, "30d": 30, "90d": 90}
LEDGER_PAGE = 100
# At most this many ledger pages are read (10,000 entries in 90 days); past it, `used`
# counts the newest entries only.
LEDGER_PAGES = 100


async def ledger_used(billing, caller: Identity, since: str) -> tuple[int, int]:
    """(credits charged less refunded since the day `since` (YYYY-MM-DD), the balance)."""
    used, balance = 0, None
    for page in range(1, LEDGER_PAGES + 1):
        credits = await billing.GetCredits(
            billing_pb2.GetCreditsRequest(user_id=caller.user_id, plan=caller.plan, page=page, limit=LEDGER_PAGE)
        )
        balance = credits.balance if balance is None else balance
        for entry in credits.history:
            if entry.created_at[:10] < since:
                return max(used, 0), balance
            if entry.kind in ("charge", "refund"):
                used -= entry.amount  # charges are negative, refunds positive
        if page * LEDGER_PAGE >= credits.total:
            break
    return max(used, 0), balance or 0


def _trends(buckets) -> list[analytics_pb2.Trend]:
    return [
        analytics_pb2.Trend(date=b.date, generations=b.generations, enhancements=b.enhancements, credits=b.credits)
        for b in buckets
    ]


class FomiAnalytics(analytics_pb2_grpc.FomiAnalyticsServicer):
    def __init__(self, gateway):
        # The GatewayServicer: its peers (the orchestrator's gallery service, billing).
        self.gateway = gateway

    @rest.endpoint(FOMI)
    async def Usage(self, request, context):
        caller = identity.required(context)
        period = request.period or "30d"
        if period not in PERIODS:
            raise invalid("INVALID_PARAMETER", f"period must be one of {', '.join(PERIODS)}", field="period")
        usage = await self.gateway.gallery.GetUsage(usage_pb2.UsageRequest(owner_id=caller.user_id, days=PERIODS[period]))
        used, remaining = await ledger_used(self.gateway.billing, caller, usage.since)
        finished = usage.finished_credits
        return analytics_pb2.UsageResponse(
            success=True,
            analytics=analytics_pb2.Analytics(
                generations=analytics_pb2.Generations(
                    total=usage.images + usage.videos, images=usage.images, videos=usage.videos, enhancements=usage.enhancements
                ),
                credits=analytics_pb2.CreditUsage(
                    used=used, remaining=remaining,
                    efficiency=round(usage.completed_credits / finished, 2) if finished else 0.0,
                ),
                models=dict(usage.models),
                trends=analytics_pb2.Trends(
                    daily=_trends(usage.daily), weekly=_trends(usage.weekly), monthly=_trends(usage.monthly)
                ),
            ),
        )
