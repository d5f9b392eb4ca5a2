"""Alembic environment of the orchestrator's tables."""

from services.orchestrator import projects, webhooks  # noqa: F401 - their tables join the metadata
from services.orchestrator.store import metadata
from services.runtime.db import run_migrations

run_migrations(metadata)
