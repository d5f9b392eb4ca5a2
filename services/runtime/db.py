"""PostgreSQL: the async engine, the tables' typed models and Alembic migrations of the calling service.

DATABASE_URL may be any postgresql:// URL; each service owns its tables and
migrates them at start-up under an advisory lock, so replicas starting
together do not race. The tables are SQLModel classes whose columns are
exactly the sa.Column the migrations made (`column`), so the models type the
rows but never decide the schema: the Alembic history does.
"""

from __future__ import annotations

import asyncio
import pathlib
import zlib
from typing import Any, TypeVar

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from services.runtime.config import env_int, env_str


Model = TypeVar("Model", bound=SQLModel)


def tables() -> type[SQLModel]:
    """A base class for one service's tables: their own metadata, so each service's
    Alembic history sees only its own tables."""
    return type("Tables", (SQLModel,), {}, registry=registry())


def column(type_: Any, *args: Any, **kwargs: Any) -> Any:
    """A model field whose column is exactly this sa.Column (type, nullability, server default)."""
    return Field(sa_column=sa.Column(type_, *args, **kwargs))


def record(model: type[Model], row: Any) -> Model | None:
    """A Core result row as its table's typed model (None stays None)."""
    return None if row is None else model.model_validate(row)


def records(model: type[Model], rows: Any) -> list[Model]:
    return [model.model_validate(row) for row in rows]


def database_url() -> str:
    url = env_str("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    raise ValueError("DATABASE_URL must be a postgresql:// URL")


def engine() -> AsyncEngine:
    return create_async_engine(
        database_url(),
        pool_size=env_int("DATABASE_POOL_SIZE", 10),
        pool_pre_ping=True,
    )


def _migrate(migrations: pathlib.Path, service: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(migrations))
    config.set_main_option("version_table", f"alembic_version_{service}")
    sync_engine = create_engine(database_url())
    lock_id = zlib.crc32(f"backdrop-migrations-{service}".encode())
    with sync_engine.begin() as connection:
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock_id})
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")  # parts of a service may add migrations side by side
    sync_engine.dispose()


async def migrate(migrations: pathlib.Path, service: str) -> None:
    await asyncio.to_thread(_migrate, migrations, service)


def run_migrations(metadata) -> None:
    """The body of every service's migrations/env.py: run on the connection `_migrate` opened."""
    from alembic import context

    config = context.config
    context.configure(
        connection=config.attributes["connection"],
        target_metadata=metadata,
        version_table=config.get_main_option("version_table"),
    )
    with context.begin_transaction():
        context.run_migrations()


async def check(db: AsyncEngine) -> None:
    async with db.connect() as connection:
        await connection.execute(text("SELECT 1"))
