"""Billing's money rules without servers: the tier decides model and quality (H4), heavy work is
priced by its cost (M10), and the payment provider runs only when explicitly enabled (H5)."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from gateway.process import queue_charged, shielded
from services.billing import payments
from services.billing.catalog import Catalog
from services.runtime.errors import ServiceError


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load()


def test_a_named_tier_that_does_not_include_the_model_is_refused_naming_the_tier_that_does(catalog):
    with pytest.raises(ServiceError) as refused:
        catalog.resolve("basic", "modnet", "ultra")
    assert refused.value.reason == "INVALID_OPTION" and "industry" in refused.value.message
    assert refused.value.details["tier"] == "industry"


@pytest.mark.parametrize(
    ("tier", "model", "quality", "charged"),
    [
        ("", "", "", "standard"),
        ("", "u2netp", "", "standard"),  # the default tier includes it
        ("", "modnet", "", "professional"),  # the cheapest tier that does
        ("", "modnet", "ultra", "industry"),
        ("", "isnet", "", "professional"),  # ISNet: professional and industry only
        ("", "", "ultra", "industry"),
        ("basic", "u2netp", "low", "basic"),  # less than the tier gives is fine
        ("industry", "modnet", "high", "industry"),
    ],
)
def test_the_tier_charged_is_one_that_includes_the_request(catalog, tier, model, quality, charged):
    assert catalog.resolve(tier, model, quality) == charged


def test_a_model_in_no_tier_is_refused(catalog):
    with pytest.raises(ServiceError) as refused:
        catalog.resolve("", "silueta", "")
    assert refused.value.reason == "INVALID_OPTION"


def test_upscale_is_priced_per_output_megapixel_and_generation_per_step(catalog):
    assert catalog.cost_per_image("", "upscale", 512 * 512 * 4) == 8  # 1 MP: the tier's price is the floor
    assert catalog.cost_per_image("", "upscale", 2000 * 2000 * 16) == 128  # 64 MP at 2 credits each
    assert catalog.cost_per_image("", "generate", steps=50) == 15
    assert catalog.cost_per_image("", "generate", steps=10) == 8
    assert catalog.price("", 4, catalog.cost_per_image("", "generate", steps=50)).finalTotal == 60


def test_the_test_payment_provider_needs_to_be_allowed(monkeypatch):
    monkeypatch.delenv("PAYMENT_PROVIDER", raising=False)
    assert isinstance(payments.from_env(), payments.NoPaymentProvider)
    monkeypatch.setenv("PAYMENT_PROVIDER", "local")
    monkeypatch.delenv("ALLOW_TEST_PAYMENTS", raising=False)
    with pytest.raises(ValueError, match="ALLOW_TEST_PAYMENTS"):
        payments.from_env()
    monkeypatch.setenv("ALLOW_TEST_PAYMENTS", "true")
    assert isinstance(payments.from_env(), payments.LocalPaymentProvider)


async def test_without_a_provider_a_paid_plan_is_503():
    with pytest.raises(ServiceError) as refused:
        await payments.NoPaymentProvider().charge("u", "pm_card_visa", 1, "IDR", "x")
    assert refused.value.reason == "PAYMENTS_NOT_CONFIGURED" and refused.value.http_status == 503


class _Failed(grpc.aio.AioRpcError):
    def __init__(self, code: grpc.StatusCode):
        super().__init__(code, grpc.aio.Metadata(), grpc.aio.Metadata(), details="x")


def _calls(*outcomes):
    """A fake SubmitJob that fails or answers in turn; records its calls."""
    made = []

    async def call(request, timeout=None):
        made.append(request)
        outcome = outcomes[len(made) - 1]
        if isinstance(outcome, grpc.StatusCode):
            raise _Failed(outcome)
        return outcome

    return call, made


async def test_an_ambiguous_submit_failure_is_retried_and_never_refunded(monkeypatch):
    monkeypatch.setattr(asyncio, "sleep", _no_sleep)
    refunds = []

    async def refund():
        refunds.append(1)

    call, made = _calls(grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, "job")
    assert await queue_charged(call, "request", refund) == "job" and len(made) == 3 and not refunds
    call, made = _calls(*[grpc.StatusCode.UNAVAILABLE] * 3)
    with pytest.raises(grpc.aio.AioRpcError):
        await queue_charged(call, "request", refund)
    assert not refunds  # left to billing's reconciler, which asks the orchestrator
    call, made = _calls(grpc.StatusCode.INVALID_ARGUMENT)
    with pytest.raises(grpc.aio.AioRpcError):
        await queue_charged(call, "request", refund)
    assert refunds == [1] and len(made) == 1  # refused for sure: no job, refunded at once


async def test_a_cancelled_request_does_not_abandon_its_charged_work():
    finished = asyncio.Event()

    async def work():
        await asyncio.sleep(0.05)
        finished.set()
        return "queued"

    request = asyncio.ensure_future(shielded(work()))
    await asyncio.sleep(0)
    request.cancel()
    with pytest.raises(asyncio.CancelledError):
        await request
    await asyncio.wait_for(finished.wait(), 2)


_real_sleep = asyncio.sleep


async def _no_sleep(seconds):
    await _real_sleep(0)
