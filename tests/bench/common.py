"""What every bench's mesh shares: a static key on the enterprise plan (no hourly limit to run into)."""

from __future__ import annotations

import secrets

BENCH_KEY = secrets.token_urlsafe(24)
BENCH_ENV = {"API_KEY": BENCH_KEY, "API_KEY_PLAN": "enterprise"}
BENCH_HEADERS = {"X-API-Key": BENCH_KEY}
