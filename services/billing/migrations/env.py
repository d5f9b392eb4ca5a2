"""Alembic environment of the billing service's tables."""

from services.billing.ledger import metadata
from services.runtime.db import run_migrations

run_migrations(metadata)
