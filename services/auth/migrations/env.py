"""Alembic environment of the auth service's tables."""

from services.auth.store import metadata
from services.runtime.db import run_migrations

run_migrations(metadata)
