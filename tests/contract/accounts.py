"""Accounts for the contract tests: the seeds' examples use every documented
option (portrait models, the highest quality), which Backdrop prices above
the free plan, and a module makes more calls than free's 100 an hour."""

from __future__ import annotations

import requests

from tests.conftest import register


def on_plan(base_url: str, plan: str = "pro") -> dict:
    """A new account subscribed to `plan` (the local test payment provider);
    returns register's AuthResponse plus `headers` with its Bearer token."""
    account = register(base_url)
    headers = {"Authorization": f"Bearer {account['token']}"}
    subscribed = requests.post(
        f"{base_url}/v1/subscription", json={"plan": plan, "paymentMethodId": "pm_card_visa"}, headers=headers, timeout=30
    )
    assert subscribed.status_code == 201, subscribed.text
    return {**account, "headers": headers}


def api_key(base_url: str, headers: dict) -> str:
    """A new API key of the account behind `headers` (seed 002's X-API-Key)."""
    created = requests.post(f"{base_url}/v1/api-keys", json={"name": "contract"}, headers=headers, timeout=30)
    assert created.status_code == 201, created.text
    return created.json()["key"]
