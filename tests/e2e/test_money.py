"""Money and access through the mesh: the tier decides what a request gets (H4), subscriptions
renew or end and the rate limit follows billing's plan (H5), a charge without a job is refunded
and a refunded job never runs free (M4), heavy work is bounded and priced by its real cost (M10),
and a batch's refunds re-price it (L2)."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import time
import uuid

import grpc
import numpy as np
import pytest
import requests
import sqlalchemy as sa
from envoy.service.ratelimit.v3 import rls_pb2, rls_pb2_grpc
from PIL import Image
from sqlalchemy.ext.asyncio import create_async_engine

from backdrop.billing.v1 import billing_pb2, billing_pb2_grpc
from backdrop.jobs.v1 import jobs_pb2_grpc
from gateway.process import IDEMPOTENCY_NAMESPACE
from services.billing.catalog import Catalog
from services.billing.ledger import Ledger
from services.billing.server import reconcile_once
from tests.samples import jpeg

pytestmark = pytest.mark.mesh
SMALL = jpeg(np.full((48, 48, 3), 128, np.uint8))


@pytest.fixture
def billing(mesh):
    with grpc.insecure_channel(f"127.0.0.1:{mesh.ports.billing}") as channel:
        yield billing_pb2_grpc.BillingServiceStub(channel)


def db_url(mesh) -> str:
    return mesh.service_env()["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture
def db(mesh):
    engine = sa.create_engine(db_url(mesh))
    yield engine
    engine.dispose()


def ledger_of(base_url, bearer) -> tuple[int, list[tuple[str, int]]]:
    body = requests.get(f"{base_url}/v1/credits?limit=100", headers=bearer, timeout=30).json()
    return body["balance"], sorted((e["kind"], e["amount"]) for e in body["history"])


def error(response: requests.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == code, body
    return body


def reconcile(mesh) -> None:
    """One pass of billing's reconciler, run now rather than after BILLING_RECONCILE_AFTER_S."""

    async def run():
        engine = create_async_engine(db_url(mesh))
        try:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{mesh.ports.orchestrator}") as channel:
                ledger, jobs = Ledger(engine, Catalog.load()), jobs_pb2_grpc.JobServiceStub(channel)
                for _ in range(20):  # older test charges come first, 100 at a time
                    if not await ledger.unsettled(0):
                        return
                    await reconcile_once(ledger, jobs, 0)
        finally:
            await engine.dispose()

    asyncio.run(run())


# --- H4: the tier decides model and quality ---------------------------------------


def test_a_free_user_cannot_buy_the_industry_result_with_model_and_quality(base_url, bearer):
    url = f"{base_url}/v1/process/remove-background"
    files = {"file": ("p.jpg", SMALL)}
    named = requests.post(url, files=files, data={"tier": "basic", "model": "modnet", "quality": "ultra"}, headers=bearer, timeout=60)
    body = error(named, 400, "INVALID_OPTION")
    assert "industry" in body["message"]
    # Without a tier, the tier is the one that includes them, and the free plan does not.
    unnamed = requests.post(url, files=files, data={"model": "modnet", "quality": "ultra"}, headers=bearer, timeout=60)
    assert "industry" in error(unnamed, 403, "TIER_NOT_ALLOWED")["message"]
    alias = requests.post(url, files=files, data={"model": "u2net_human_seg"}, headers=bearer, timeout=60)
    assert "professional" in error(alias, 403, "TIER_NOT_ALLOWED")["message"]
    # The batch's options JSON and seed 003's /process are held to the same rule.
    options = json.dumps({"tier": "basic", "model": "modnet", "quality": "ultra"})
    batch = requests.post(
        f"{base_url}/v1/process/batch", files=[("files", ("a.jpg", SMALL))], data={"options": options}, headers=bearer, timeout=60
    )
    error(batch, 400, "INVALID_OPTION")
    process = requests.post(
        f"{base_url}/process", files={"file": ("p.jpg", SMALL)}, data={"email": "me@example.com", "model": "modnet"},
        headers=bearer, timeout=60,
    )
    error(process, 403, "TIER_NOT_ALLOWED")
    assert ledger_of(base_url, bearer) == (100, [("grant", 100)])  # no credits moved


# --- M4: a charge and its job -----------------------------------------------------------


def test_a_charge_whose_job_never_arrived_is_refunded_and_the_job_never_runs_free(mesh, base_url, bearer, account, billing):
    """The gateway died between the charge and SubmitJob; the client then retries with its key."""
    key = f"lost-{uuid.uuid4().hex[:8]}"
    job_id = str(uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{account['user']['id']}:{key}"))
    billing.Charge(billing_pb2.ChargeRequest(user_id=account["user"]["id"], plan="free", job_id=job_id, tier="standard"))
    assert ledger_of(base_url, bearer)[0] == 92
    reconcile(mesh)
    assert ledger_of(base_url, bearer) == (100, [("charge", -8), ("grant", 100), ("refund", 8)])

    retried = requests.post(
        f"{base_url}/v1/process/remove-background", files={"file": ("p.jpg", SMALL)},
        headers={**bearer, "Idempotency-Key": key}, timeout=60,
    )
    error(retried, 409, "JOB_REFUNDED")
    assert requests.get(f"{base_url}/v1/process/jobs/{job_id}", headers=bearer, timeout=30).status_code == 404
    assert ledger_of(base_url, bearer)[0] == 100


def test_a_job_that_exists_is_never_refunded_by_the_reconciler(mesh, base_url, bearer):
    done = requests.post(
        f"{base_url}/v1/process/remove-background", files={"file": ("p.jpg", SMALL)}, headers=bearer, timeout=120
    )
    assert done.status_code in (200, 202), done.text
    assert done.json()["credits_used"] == 8
    reconcile(mesh)
    assert ledger_of(base_url, bearer) == (92, [("charge", -8), ("grant", 100)])


# --- H5: subscriptions and the plan ---------------------------------------------------------


def test_a_subscription_renews_at_its_end_and_after_cancelling_ends_and_limits_follow(mesh, base_url, bearer, account, db):
    user_id = account["user"]["id"]
    made = requests.post(f"{base_url}/v1/subscription", json={"plan": "pro", "paymentMethodId": "pm_card_visa"}, headers=bearer, timeout=30)
    assert made.status_code == 201, made.text

    def end_period():
        with db.begin() as conn:
            conn.execute(sa.text("UPDATE subscriptions SET period_end = now() - interval '1 minute' WHERE user_id = :u"), {"u": user_id})

    end_period()
    renewed = requests.get(f"{base_url}/v1/subscription", headers=bearer, timeout=30).json()["data"]
    assert renewed["plan"] == "pro" and renewed["status"] == "active"
    next_billing = dt.datetime.fromisoformat(renewed["billing"]["nextBillingDate"].replace("Z", "+00:00"))
    assert next_billing > dt.datetime.now(dt.UTC) + dt.timedelta(days=29)
    with db.connect() as conn:
        paid = conn.execute(sa.text("SELECT count(*) FROM payments WHERE user_id = :u"), {"u": user_id}).scalar_one()
    assert paid == 2
    assert ledger_of(base_url, bearer) == (10_100, [("grant", 100), ("grant", 5000), ("grant", 5000)])

    assert requests.delete(f"{base_url}/v1/subscription", headers=bearer, timeout=30).status_code == 200
    end_period()
    ended = requests.get(f"{base_url}/v1/subscription", headers=bearer, timeout=30).json()["data"]
    assert ended["hasSubscription"] is False and ended["plan"] == "free"

    # The token still says pro; the rate limit goes by billing's plan: free's 100 an hour.
    with grpc.insecure_channel(f"127.0.0.1:{mesh.ports.billing}") as channel:
        limits = rls_pb2_grpc.RateLimitServiceStub(channel)
        request = rls_pb2.RateLimitRequest(domain="backdrop")
        descriptor = request.descriptors.add()
        descriptor.entries.add(key="user", value=user_id)
        descriptor.entries.add(key="plan", value="pro")
        deadline = time.monotonic() + 20  # billing caches a plan for PLAN_CACHE_S
        while (limit := limits.ShouldRateLimit(request).statuses[0].current_limit.requests_per_unit) != 100:
            assert time.monotonic() < deadline, limit
            time.sleep(1)


# --- M10: heavy work at its real cost --------------------------------------------------------


def upload(base_url, bearer, width: int, height: int) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (90, 120, 150)).save(buffer, format="JPEG")
    made = requests.post(f"{base_url}/v1/images", files={"file": ("u.jpg", buffer.getvalue())}, headers=bearer, timeout=60)
    assert made.status_code == 201, made.text
    return made.json()["id"]


def test_upscale_is_bounded_and_priced_at_the_models_real_scale(base_url, bearer):
    url = f"{base_url}/v1/images/enhance/upscale"
    big = upload(base_url, bearer, 1500, 1500)  # x2 = 9 MP, but x4plus works at x4: 36 MP > 32 MP
    refused = requests.post(url, json={"imageId": big, "scale": 2, "model": "realesrgan-x4plus"}, headers=bearer, timeout=60)
    assert "4x" in error(refused, 400, "IMAGE_TOO_LARGE")["message"]
    assert ledger_of(base_url, bearer) == (100, [("grant", 100)])

    medium = upload(base_url, bearer, 1024, 1024)  # x2 = 4.19 MP at 2 credits each: 9, above the tier's 8
    done = requests.post(url, json={"imageId": medium, "scale": 2, "quality": "standard"}, headers=bearer, timeout=120)
    assert done.status_code in (200, 202), done.text
    assert ledger_of(base_url, bearer) == (91, [("charge", -9), ("grant", 100)])


# --- L2: a batch's refunds re-price it ----------------------------------------------------------


def test_failed_images_of_a_discounted_batch_are_refunded_at_the_remaining_count_price(account, billing):
    user_id = account["user"]["id"]
    billing.GrantCredits(billing_pb2.GrantCreditsRequest(user_id=user_id, amount=200, reason="test"))
    job_ids = [str(uuid.uuid4()) for _ in range(50)]
    charged = billing.ChargeBatch(billing_pb2.ChargeBatchRequest(user_id=user_id, plan="free", tier="basic", job_ids=job_ids))
    assert charged.credits_charged == 190 and charged.pricing.discountPercentage == 5  # 50 x 4, 5% off
    # One bad image: 49 images at no discount cost 196, more than was paid: nothing back.
    assert billing.Refund(billing_pb2.RefundRequest(job_id=job_ids[0])).credits == 0
    # Refunded down to nothing, the batch gives back exactly what it cost.
    back = sum(billing.Refund(billing_pb2.RefundRequest(job_id=j)).credits for j in job_ids[1:])
    assert back == 190
    assert billing.GetCredits(billing_pb2.GetCreditsRequest(user_id=user_id)).balance == 300
