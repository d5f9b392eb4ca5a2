"""Seed 004's plans, subscription, credits and rate limits at /fomi/v1, through Envoy:
every field of its shapes, with the numbers of services/billing/plans.json."""

from __future__ import annotations

import datetime as dt
import time
import uuid

import grpc
import pytest
import requests
import sqlalchemy as sa

from backdrop.billing.v1 import billing_pb2, billing_pb2_grpc
from services.billing.catalog import Catalog
from tests.contract.shapes import DATETIME, OneOf, assert_shape

pytestmark = pytest.mark.mesh

CATALOG = Catalog.load()
PLANS = CATALOG.data["plans"]
FOMI_NAMES = {name: spec["dialects"]["fomi"]["name"] for name, spec in PLANS.items()}
CREDITS = {"remaining": int, "total": int, "resetDate": DATETIME}
SUBSCRIPTION = {
    "success": OneOf(True),
    "subscription": {
        "plan": OneOf("free", "basic", "pro", "enterprise"),
        "status": OneOf("active", "cancelled", "expired"),
        "credits": CREDITS,
        "limits": {"dailyGenerations": int, "maxImagesPerGeneration": int, "maxVideoDuration": int, "customModels": int, "priorityQueue": bool},
        "features": {"advancedSettings": bool, "customModels": bool, "commercialUse": bool, "apiAccess": bool},
        "billing": {"cycle": OneOf("monthly", "yearly"), "nextBilling": str, "amount": float},
    },
}
ENTRY = {"id": str, "amount": int, "type": str, "description": str, "createdAt": DATETIME}


def _when(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


class Fomi:
    """A seed 004 client at /fomi/v1: a new account, its token, and the calls it makes."""

    def __init__(self, base_url: str):
        self.base = f"{base_url}/fomi/v1"
        made = requests.post(f"{self.base}/auth/register", json={
            "email": f"plans-{uuid.uuid4().hex[:12]}@example.com", "password": "securepassword123", "displayName": "Plan Tester",
        }, timeout=30)
        assert made.status_code == 201, made.text
        self.user_id = made.json()["user"]["id"]
        self.headers = {"Authorization": f"Bearer {made.json()['token']}"}

    def get(self, path: str) -> requests.Response:
        return requests.get(f"{self.base}{path}", headers=self.headers, timeout=30)

    def post(self, path: str, body: dict | None = None, **headers) -> requests.Response:
        return requests.post(f"{self.base}{path}", json=body, headers={**self.headers, **headers}, timeout=30)

    def subscription(self) -> dict:
        response = self.get("/subscription")
        assert response.status_code == 200, response.text
        assert_shape(response.json(), SUBSCRIPTION)
        return response.json()["subscription"]

    def credits(self) -> dict:
        response = self.get("/credits?limit=100")
        assert response.status_code == 200, response.text
        body = response.json()
        assert_shape(body, {"success": OneOf(True), "credits": {**CREDITS, "history": [ENTRY]}})
        assert body["success"] is True
        return body["credits"]


def assert_error(response: requests.Response, status: int, code: str, field: str | None = None) -> dict:
    """Seed 004's error envelope, exactly."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"success", "error"} and body["success"] is False, body
    assert set(body["error"]) == {"code", "message", "details"} and body["error"]["code"] == code, body
    assert body["error"]["message"], body
    if field is not None:
        assert body["error"]["details"]["field"] == field, body
        assert field in body["error"]["message"], body
    return body["error"]


def assert_plan_view(subscription: dict, plan: str) -> None:
    """Name, limits and features are plans.json's view of `plan` (its dialects.fomi block)."""
    view = PLANS[plan]["dialects"]["fomi"]
    assert subscription["plan"] == view["name"]
    assert subscription["limits"] == view["limits"]
    assert subscription["features"] == view["features"]


@pytest.fixture
def billing(mesh):
    with grpc.insecure_channel(f"127.0.0.1:{mesh.ports.billing}") as channel:
        yield billing_pb2_grpc.BillingServiceStub(channel)


def test_a_new_accounts_subscription_and_credits_in_the_seeds_shapes(base_url):
    fomi = Fomi(base_url)
    subscription = fomi.subscription()
    assert_plan_view(subscription, "free")
    assert subscription["status"] == "active"
    grant = PLANS["free"]["monthly_credits"]
    assert subscription["credits"]["remaining"] == subscription["credits"]["total"] == grant
    now = dt.datetime.now(dt.UTC)
    reset = _when(subscription["credits"]["resetDate"])
    assert reset.day == 1 and reset.hour == 0 and now < reset <= now + dt.timedelta(days=31)  # the next month's grant
    assert subscription["billing"] == {"cycle": "monthly", "nextBilling": "", "amount": 0}

    credits = fomi.credits()
    assert (credits["remaining"], credits["total"], credits["resetDate"]) == (grant, grant, subscription["credits"]["resetDate"])
    [entry] = credits["history"]
    assert entry["amount"] == grant and entry["type"] == "plan_credits" and entry["id"].startswith("credit_")
    assert abs(_when(entry["createdAt"]) - now) < dt.timedelta(minutes=1)


def test_upgrade_cancel_and_reactivate(base_url):
    fomi = Fomi(base_url)
    assert_error(fomi.post("/subscription/upgrade", {"plan": "gold", "cycle": "monthly", "paymentMethod": "pm_card_visa"}), 400, "INVALID_PLAN", "plan")
    assert_error(fomi.post("/subscription/upgrade", {"plan": "pro", "cycle": "weekly", "paymentMethod": "pm_card_visa"}), 400, "INVALID_CYCLE", "cycle")
    assert_error(fomi.post("/subscription/upgrade", {"plan": "pro", "cycle": "monthly", "paymentMethod": ""}), 400, "INVALID_PARAMETER", "paymentMethod")
    declined = assert_error(fomi.post("/subscription/upgrade", {"plan": "pro", "cycle": "monthly", "paymentMethod": "card_123"}), 402, "PAYMENT_DECLINED")
    assert declined["details"]["field"] == "paymentMethod"
    assert fomi.subscription()["plan"] == "free"  # nothing changed

    upgraded = fomi.post("/subscription/upgrade", {"plan": "pro", "cycle": "monthly", "paymentMethod": "pm_card_visa"})
    assert upgraded.status_code == 200, upgraded.text
    assert_shape(upgraded.json(), SUBSCRIPTION)
    subscription = fomi.subscription()
    assert subscription == upgraded.json()["subscription"]
    assert_plan_view(subscription, "pro")
    assert subscription["status"] == "active"
    credits = PLANS["free"]["monthly_credits"] + PLANS["pro"]["monthly_credits"]  # the pro plan's credits come with its payment
    assert subscription["credits"]["remaining"] == subscription["credits"]["total"] == credits
    next_billing = _when(subscription["billing"]["nextBilling"])
    days = CATALOG.data["cycles"]["monthly"]["days"]
    assert abs(next_billing - dt.datetime.now(dt.UTC) - dt.timedelta(days=days)) < dt.timedelta(minutes=2)
    assert subscription["credits"]["resetDate"] == subscription["billing"]["nextBilling"]
    assert subscription["billing"]["cycle"] == "monthly"
    assert subscription["billing"]["amount"] == round(PLANS["pro"]["monthly_price"] / CATALOG.data["usd_rate"], 2)
    assert fomi.credits()["history"][0]["type"] == "plan_credits" and fomi.credits()["history"][0]["amount"] == PLANS["pro"]["monthly_credits"]

    cancelled = fomi.post("/subscription/cancel")
    assert cancelled.status_code == 200, cancelled.text
    after = cancelled.json()["subscription"]
    assert after["status"] == "cancelled" and after["plan"] == "pro"  # to the end of the period
    assert after["billing"]["nextBilling"] == "" and after["billing"]["amount"] == 0
    assert fomi.subscription()["status"] == "cancelled"
    assert_error(fomi.post("/subscription/cancel"), 404, "NO_SUBSCRIPTION")

    reactivated = fomi.post("/subscription/reactivate", {})
    assert reactivated.status_code == 200, reactivated.text
    again = reactivated.json()["subscription"]
    assert again["status"] == "active" and again["plan"] == "pro"
    assert again["billing"]["nextBilling"] == subscription["billing"]["nextBilling"]  # the same period, not paid again
    assert again["credits"]["remaining"] == credits
    assert_error(fomi.post("/subscription/reactivate"), 400, "ALREADY_ACTIVE")

    # Seed 004's "basic" is the catalogue's starter; yearly: a year's price and a year's credits.
    yearly = fomi.post("/subscription/upgrade", {"plan": "basic", "cycle": "yearly", "paymentMethod": "pm_card_visa"})
    assert yearly.status_code == 200, yearly.text
    subscription = yearly.json()["subscription"]
    assert_plan_view(subscription, "starter")
    assert subscription["billing"]["cycle"] == "yearly"
    assert subscription["billing"]["amount"] == round(PLANS["starter"]["yearly_price"] / CATALOG.data["usd_rate"], 2)
    days = CATALOG.data["cycles"]["yearly"]["days"]
    assert abs(_when(subscription["billing"]["nextBilling"]) - dt.datetime.now(dt.UTC) - dt.timedelta(days=days)) < dt.timedelta(minutes=2)
    assert subscription["credits"]["remaining"] == credits + 12 * PLANS["starter"]["monthly_credits"]


def test_buying_credits(base_url):
    fomi = Fomi(base_url)
    before = fomi.credits()["remaining"]
    assert_error(fomi.post("/credits/purchase", {"package": "gold_9", "amount": 9, "paymentMethod": "pm_card_visa"}), 400, "INVALID_PACKAGE", "package")
    assert_error(fomi.post("/credits/purchase", {"package": "pro_1000", "amount": 999, "paymentMethod": "pm_card_visa"}), 400, "INVALID_PARAMETER", "amount")
    assert_error(fomi.post("/credits/purchase", {"package": "pro_1000", "amount": 1000, "paymentMethod": "bad method!"}), 400, "INVALID_PARAMETER", "paymentMethod")

    package = CATALOG.data["credit_packages"]["pro_1000"]
    key = str(uuid.uuid4())
    bought = fomi.post("/credits/purchase", {"package": "pro_1000", "amount": 1000, "paymentMethod": "pm_card_visa"}, **{"Idempotency-Key": key})
    assert bought.status_code == 200, bought.text
    body = bought.json()
    assert_shape(body, {"success": OneOf(True), "purchase": {"id": str, "package": str, "amount": int, "cost": float, "createdAt": DATETIME}, "credits": CREDITS})
    assert body["purchase"]["package"] == "pro_1000" and body["purchase"]["amount"] == package["credits"] == 1000
    assert body["purchase"]["cost"] == round(package["price"] / CATALOG.data["usd_rate"], 2)
    assert body["credits"]["remaining"] == before + 1000

    # A retry of the same request (same key) is the same purchase: paid and granted once.
    retried = fomi.post("/credits/purchase", {"package": "pro_1000", "amount": 1000, "paymentMethod": "pm_card_visa"}, **{"Idempotency-Key": key})
    assert retried.status_code == 200 and retried.json()["purchase"] == body["purchase"], retried.text
    credits = fomi.credits()
    assert credits["remaining"] == before + 1000 and credits["total"] == before + 1000
    purchases = [entry for entry in credits["history"] if entry["type"] == "purchase"]
    assert len(purchases) == 1 and purchases[0]["amount"] == 1000 and "pro_1000" in purchases[0]["description"]


def test_a_free_accounts_eleventh_request_in_a_minute_is_rate_limited(base_url):
    free, other = Fomi(base_url), Fomi(base_url)
    per_minute = PLANS["free"]["dialects"]["fomi"]["requests_per_minute"]
    if time.time() % 60 > 45:  # fixed windows: keep the burst inside one minute
        time.sleep(61 - time.time() % 60)
    with requests.Session() as session:
        answers = [session.get(f"{free.base}/credits", headers=free.headers, timeout=30) for _ in range(per_minute)]
        refused = session.get(f"{free.base}/credits", headers=free.headers, timeout=30)
    assert [a.status_code for a in answers] == [200] * per_minute, [a.text for a in answers if a.status_code != 200]
    assert [int(a.headers["x-ratelimit-remaining"]) for a in answers] == list(range(per_minute - 1, -1, -1))
    assert {a.headers["x-ratelimit-limit"] for a in answers} == {str(per_minute)}
    error = assert_error(refused, 429, "RATE_LIMITED")
    assert error["details"]["limit"] == per_minute and error["details"]["window"] == "1 minute"
    assert refused.headers["x-ratelimit-limit"] == str(per_minute) and refused.headers["x-ratelimit-remaining"] == "0"
    reset = int(refused.headers["x-ratelimit-reset"])
    assert time.time() < reset <= time.time() + 61  # a Unix time within the minute
    assert 0 < int(refused.headers["retry-after"]) <= 60
    # Counted per user: another free account is not held back.
    assert other.get("/credits").status_code == 200


def test_the_plans_generation_limits_are_enforced_at_charge_time_without_charging(base_url, billing):
    fomi = Fomi(base_url)
    limits = PLANS["free"]["dialects"]["fomi"]["limits"]
    before = fomi.credits()

    def charge(images: int, dialect: str = "fomi") -> billing_pb2.ChargeResponse:
        return billing.Charge(billing_pb2.ChargeRequest(
            user_id=fomi.user_id, plan="free", job_id=str(uuid.uuid4()), image_count=images, operation="generate", steps=10, dialect=dialect,
        ))

    with pytest.raises(grpc.RpcError) as refused:
        charge(limits["maxImagesPerGeneration"] + 1)
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert f"at most {limits['maxImagesPerGeneration']}" in refused.value.details()
    assert fomi.credits() == before  # nothing charged

    done = charge(limits["maxImagesPerGeneration"])
    after = fomi.credits()
    assert after["remaining"] == before["remaining"] - done.credits_charged and after["total"] == before["total"]
    entry = after["history"][0]
    assert entry["amount"] == -done.credits_charged and entry["type"] == "image_generation"
    assert entry["description"] == f"Generated {limits['maxImagesPerGeneration']} images"
    # The limits are the plan's, at every base URL: a generation through /v1 (no dialect) too.
    billing.GrantCredits(billing_pb2.GrantCreditsRequest(user_id=fomi.user_id, amount=1000, reason="test"))
    with pytest.raises(grpc.RpcError) as at_v1:
        charge(limits["maxImagesPerGeneration"] + 1, dialect="")
    assert at_v1.value.code() == grpc.StatusCode.PERMISSION_DENIED

    for _ in range(limits["dailyGenerations"] - 1):  # one generation was charged above
        charge(1)
    with pytest.raises(grpc.RpcError) as daily:
        charge(1)
    assert daily.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED and f"{limits['dailyGenerations']} generations a day" in daily.value.details()


@pytest.fixture
def db(mesh):
    engine = sa.create_engine(mesh.service_env()["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1))
    yield engine
    engine.dispose()


def test_a_yearly_plan_renews_for_a_year_and_a_cancelled_one_expires(base_url, db):
    fomi = Fomi(base_url)
    made = fomi.post("/subscription/upgrade", {"plan": "basic", "cycle": "yearly", "paymentMethod": "pm_card_visa"})
    assert made.status_code == 200, made.text
    remaining = made.json()["subscription"]["credits"]["remaining"]

    def end_period():
        with db.begin() as conn:
            conn.execute(sa.text("UPDATE subscriptions SET period_end = now() - interval '1 minute' WHERE user_id = :u"), {"u": fomi.user_id})

    end_period()
    renewed = fomi.subscription()
    assert renewed["plan"] == "basic" and renewed["status"] == "active" and renewed["billing"]["cycle"] == "yearly"
    year = dt.timedelta(days=CATALOG.data["cycles"]["yearly"]["days"])
    assert abs(_when(renewed["billing"]["nextBilling"]) - dt.datetime.now(dt.UTC) - year) < dt.timedelta(minutes=2)
    assert renewed["credits"]["remaining"] == remaining + 12 * PLANS["starter"]["monthly_credits"]
    with db.connect() as conn:
        paid = conn.execute(sa.text("SELECT amount FROM payments WHERE user_id = :u ORDER BY created_at"), {"u": fomi.user_id}).scalars().all()
    assert paid == [PLANS["starter"]["yearly_price"]] * 2

    assert fomi.post("/subscription/cancel").status_code == 200
    end_period()
    expired = fomi.subscription()
    assert_plan_view(expired, "free")
    assert expired["status"] == "expired" and expired["billing"] == {"cycle": "monthly", "nextBilling": "", "amount": 0}
    assert_error(fomi.post("/subscription/reactivate"), 404, "NO_SUBSCRIPTION")


def test_numimages_over_the_plans_max_is_refused_under_fomi_v1_with_no_charge(base_url):
    fomi = Fomi(base_url)
    before = fomi.credits()
    most = PLANS["free"]["dialects"]["fomi"]["limits"]["maxImagesPerGeneration"]
    refused = fomi.post("/images/generate", {"prompt": "a red kite", "numImages": most + 1, "steps": 10, "seed": 3})
    error = assert_error(refused, 403, "PERMISSION_DENIED")
    assert error["details"]["maxImagesPerGeneration"] == most and str(most) in error["message"]
    assert fomi.credits() == before
