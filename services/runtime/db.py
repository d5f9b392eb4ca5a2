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
import re
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
    return _sqlalchemy_url(env_str("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))


def _sqlalchemy_url(url: str) -> str:
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


# --- roles (M11): each service logs in as its own role and owns only its tables -----------

# The services with tables, and where their migrations are.
MIGRATIONS = {service: pathlib.Path(__file__).resolve().parent.parent / service / "migrations" for service in ("auth", "billing", "orchestrator")}


def role(service: str) -> str:
    return f"backdrop_{service}"


def created_objects(migrations: pathlib.Path) -> tuple[set[str], set[str]]:
    """The tables and functions a service's migrations create (read from their source: the
    tables each downgrade drops, named as literals, and the functions they create): what its
    role must own on a database that an older release migrated as the superuser. A test
    checks these names against what the role owns on a fresh database."""
    source = "\n".join(path.read_text() for path in sorted((migrations / "versions").glob("*.py")))
    tables = set(re.findall(r"op\.(?:create|drop)_table\(\s*[\"'](\w+)[\"']", source))
    functions = set(re.findall(r"CREATE (?:OR REPLACE )?FUNCTION (\w+)\(", source))
    return tables, functions


def provision(superuser_url: str, passwords: dict[str, str]) -> None:
    """Makes each service's login role and hands it its tables; idempotent.

    The role is no superuser and may create tables only in `public`; it owns
    what its own migrations make, and nothing grants it another service's
    tables, so a compromised service reads no other's rows, and cannot run
    `COPY ... PROGRAM`. Run as the superuser: by `make up` before the services
    start, and by the `db-roles` Job in Kubernetes.
    """
    from psycopg import sql

    sync_engine = create_engine(_sqlalchemy_url(superuser_url))
    try:
        with sync_engine.begin() as connection:
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": zlib.crc32(b"backdrop-roles")})
            raw = connection.connection.driver_connection
            database = connection.execute(text("SELECT current_database()")).scalar_one()
            for service, password in passwords.items():
                name = sql.Identifier(role(service))
                exists = connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role(service)}).first()
                verb = sql.SQL("ALTER ROLE") if exists else sql.SQL("CREATE ROLE")
                raw.execute(
                    sql.SQL("{} {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD {}").format(
                        verb, name, sql.Literal(password)
                    )
                )
                raw.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), name))
                raw.execute(sql.SQL("GRANT USAGE, CREATE ON SCHEMA public TO {}").format(name))
                tables, functions = created_objects(MIGRATIONS[service])
                owned = connection.execute(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename = ANY(:t) AND tableowner <> :r"),
                    {"t": sorted(tables | {f"alembic_version_{service}"}), "r": role(service)},
                ).scalars()
                for table in owned:
                    raw.execute(sql.SQL("ALTER TABLE public.{} OWNER TO {}").format(sql.Identifier(table), name))
                for signature in connection.execute(
                    text(
                        "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_roles o ON o.oid = p.proowner "
                        "WHERE p.pronamespace = 'public'::regnamespace AND p.proname = ANY(:f) AND o.rolname <> :r"
                    ),
                    {"f": sorted(functions), "r": role(service)},
                ).scalars():
                    raw.execute(sql.SQL("ALTER FUNCTION {} OWNER TO {}").format(sql.SQL(signature), name))
    finally:
        sync_engine.dispose()


def service_url(superuser_url: str, service: str, password: str) -> str:
    """The superuser's URL with the service's role and password in place of the superuser's."""
    from sqlalchemy.engine import make_url

    return make_url(superuser_url).set(username=role(service), password=password).render_as_string(hide_password=False)


def main() -> None:
    """`python -m services.runtime.db provision`: the Kubernetes `db-roles` Job. DATABASE_URL is
    the superuser's; <SERVICE>_DB_PASSWORD each service's role password."""
    import sys

    if sys.argv[1:] != ["provision"]:
        raise SystemExit("usage: python -m services.runtime.db provision")
    provision(env_str("DATABASE_URL"), {service: env_str(f"{service.upper()}_DB_PASSWORD") for service in MIGRATIONS})
    print(f"roles ready: {', '.join(role(s) for s in MIGRATIONS)}")


if __name__ == "__main__":
    main()
