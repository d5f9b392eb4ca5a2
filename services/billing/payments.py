"""Payment providers. Billing talks to this interface only. The shipped provider
is local and moves no money: it accepts test payment-method ids and refuses the
rest, so subscriptions can be exercised end to end without a payment account.
It runs only when asked for twice (PAYMENT_PROVIDER=local and
ALLOW_TEST_PAYMENTS=true), so no deployment gives plans away by default (H5);
with no provider, paid plan changes answer 503 PAYMENTS_NOT_CONFIGURED."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Protocol

import grpc

from services.runtime.config import env_str
from services.runtime.errors import ServiceError


@dataclass(frozen=True)
class Payment:
    reference: str
    amount: int
    currency: str


class PaymentProvider(Protocol):
    async def charge(self, customer: str, payment_method: str, amount: int, currency: str, description: str) -> Payment: ...


class LocalPaymentProvider:
    """Accepts ids that start with `pm_test_` or Stripe's test cards (`pm_card_…`)."""

    ACCEPTED = ("pm_test_", "pm_card_")

    async def charge(self, customer: str, payment_method: str, amount: int, currency: str, description: str) -> Payment:
        if not payment_method.startswith(self.ACCEPTED) or payment_method == "pm_card_chargeDeclined":
            raise ServiceError(
                grpc.StatusCode.FAILED_PRECONDITION,
                "PAYMENT_DECLINED",
                "The payment method was declined (the local provider accepts test ids such as pm_card_visa)",
                details={"field": "paymentMethodId"},
                http_status=402,
            )
        return Payment(f"pay_local_{uuid.uuid4().hex[:16]}", amount, currency)


class NoPaymentProvider:
    """No provider configured: nothing can be bought, everything else works."""

    async def charge(self, customer: str, payment_method: str, amount: int, currency: str, description: str) -> Payment:
        raise ServiceError(
            grpc.StatusCode.UNAVAILABLE,
            "PAYMENTS_NOT_CONFIGURED",
            "Paid plans are not available on this deployment: no payment provider is configured",
            http_status=503,
        )


def from_env() -> PaymentProvider:
    """The configured provider. The test provider needs ALLOW_TEST_PAYMENTS=true as well: a
    deployment that names it by mistake refuses to start instead of selling plans for nothing."""
    name = env_str("PAYMENT_PROVIDER", "").strip().lower()
    if not name:
        return NoPaymentProvider()
    if name != "local":
        raise ValueError(f"PAYMENT_PROVIDER={name!r}: only 'local' ships; add a provider in services/billing/payments.py")
    if env_str("ALLOW_TEST_PAYMENTS", "").strip().lower() != "true":
        raise ValueError("PAYMENT_PROVIDER=local accepts test cards and moves no money: set ALLOW_TEST_PAYMENTS=true to run it")
    return LocalPaymentProvider()
