"""Alembic environment: runs on the connection services.runtime.db opened."""

from alembic import context

from services.orchestrator.store import metadata

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=config.get_main_option("version_table"),
)
with context.begin_transaction():
    context.run_migrations()
