"""Alembic environment of the orchestrator's tables."""

from services.orchestrator import webhooks  # noqa: F401 - its tables join the metadata
from services.orchestrator.store import metadata
from services.runtime.db import run_migrations

run_migrations(metadata)
