"""Payment providers. Billing talks to this interface only; the shipped provider
is local and moves no money: it accepts test payment-method ids and refuses the
rest, so subscriptions can be exercised end to end without a payment account."""

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


def from_env() -> PaymentProvider:
    name = env_str("PAYMENT_PROVIDER", "local")
    if name != "local":
        raise ValueError(f"PAYMENT_PROVIDER={name!r}: only 'local' ships; add a provider in services/billing/payments.py")
    return LocalPaymentProvider()
