"""M11: each service logs in to PostgreSQL as its own role, which owns exactly the tables its
migrations make and can read no other service's rows; an older database migrated by the
superuser is handed over."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import errors, sql

from services.runtime import db

# One table of each service that another must never read.
SECRETS = {"auth": "signing_keys", "billing": "ledger", "orchestrator": "jobs"}


def connect(mesh, service: str):
    return psycopg.connect(mesh.env_of(service)["DATABASE_URL"], autocommit=True)


def superuser(mesh):
    return psycopg.connect(mesh.service_env()["DATABASE_URL"], autocommit=True)


@pytest.mark.parametrize("service", sorted(db.MIGRATIONS))
def test_a_service_role_owns_exactly_its_migrations_tables(mesh, service):
    tables, functions = db.created_objects(db.MIGRATIONS[service])
    with superuser(mesh) as conn:
        owned = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tableowner = %s", (db.role(service),))}
        flags = conn.execute("SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = %s", (db.role(service),)).fetchone()
        procs = {r[0] for r in conn.execute("SELECT proname FROM pg_proc p JOIN pg_roles o ON o.oid = p.proowner WHERE o.rolname = %s", (db.role(service),))}
    # Equality, so a table made some other way than op.create_table would fail here (the handover reads these names).
    assert owned == tables | {f"alembic_version_{service}"}
    assert procs == functions
    assert flags == (False, False, False)


@pytest.mark.parametrize("service", sorted(db.MIGRATIONS))
def test_a_service_reads_no_other_services_rows(mesh, service):
    with connect(mesh, service) as conn:
        assert conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(SECRETS[service]))).fetchone()[0] >= 0
        for other, table in SECRETS.items():
            if other == service:
                continue
            with pytest.raises(errors.InsufficientPrivilege):
                conn.execute(sql.SQL("SELECT * FROM {} LIMIT 1").format(sql.Identifier(table)))


def test_no_service_runs_programs_on_the_database_host(mesh):
    with connect(mesh, "auth") as conn, pytest.raises(errors.InsufficientPrivilege):
        conn.execute("COPY (SELECT 1) TO PROGRAM 'true'")


def test_only_tools_and_the_three_services_hold_a_database_url(mesh):
    assert "DATABASE_URL" not in mesh.env_of("gateway") and "DATABASE_URL" not in mesh.env_of("inference")
    for service in db.MIGRATIONS:
        assert db.role(service) in mesh.env_of(service)["DATABASE_URL"]


def test_a_database_the_superuser_migrated_is_handed_over(mesh):
    """An older release ran every migration as the superuser: provisioning gives the role its
    tables and functions, after which the service migrates and writes as itself."""
    name = "handover_check"
    url = mesh.service_env()["DATABASE_URL"].rsplit("/", 1)[0] + f"/{name}"
    with superuser(mesh) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("DATABASE_URL", url)
            db._migrate(db.MIGRATIONS["orchestrator"], "orchestrator")  # as the superuser, as before
        password = mesh._secret("db-orchestrator")
        db.provision(url, {"orchestrator": password})
        with psycopg.connect(url, autocommit=True) as conn:
            owners = {r[0] for r in conn.execute("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'")}
            functions = {r[0] for r in conn.execute("SELECT DISTINCT o.rolname FROM pg_proc p JOIN pg_roles o ON o.oid = p.proowner WHERE p.pronamespace = 'public'::regnamespace")}
        assert owners == {db.role("orchestrator")} and functions == {db.role("orchestrator")}
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("DATABASE_URL", db.service_url(url, "orchestrator", password))
            db._migrate(db.MIGRATIONS["orchestrator"], "orchestrator")  # up to date: runs as the role
        with psycopg.connect(db.service_url(url, "orchestrator", password), autocommit=True) as conn:
            conn.execute("UPDATE jobs SET status = status WHERE false")
    finally:
        with superuser(mesh) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


def test_the_signing_keys_in_the_database_are_sealed(mesh):
    """A dump of the auth tables holds no key that can sign a token (SIGNING_KEY_PASSPHRASE)."""
    with superuser(mesh) as conn:
        pems = [bytes(row[0]) for row in conn.execute("SELECT private_pem FROM signing_keys")]
    assert pems and all(pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----") for pem in pems)

