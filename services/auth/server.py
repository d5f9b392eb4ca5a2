"""Auth service: AuthService for the gateway, ext_authz Check for Envoy."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import pathlib
import secrets

from envoy.service.auth.v3 import external_auth_pb2, external_auth_pb2_grpc

from backdrop.auth.v1 import auth_pb2, auth_pb2_grpc
from services.auth import tokens
from services.auth.accounts import Accounts
from services.auth.edge import LOCAL, LOCAL_USER_ID, STATIC_KEY_ROLE, EdgeAuthorization, check_static_key
from services.auth.passwords import hash_password
from services.auth.store import AuthStore, users
from services.runtime import db, grpcio, logs
from services.runtime.config import env_bool, env_float, env_int, env_str

MIGRATIONS = pathlib.Path(__file__).with_name("migrations")
log = logging.getLogger(__name__)


class KeyRingHolder:
    """The current key ring, reloaded so a rotation by the CLI reaches every replica."""

    def __init__(self, store: AuthStore):
        self.store = store
        self.ring: tokens.KeyRing | None = None

    async def load(self) -> None:
        rows = await self.store.signing_keys()
        if not any(row.retired_at is None for row in rows):
            kid, pem = tokens.new_private_key()
            await self.store.add_signing_key(kid, pem, keep_old_for=dt.timedelta(seconds=tokens.ACCESS_TTL_S))
            log.info("created a signing key", extra=logs.fields(kid=kid))
            rows = await self.store.signing_keys()
        if tokens.passphrase() and (plain := [row for row in rows if not tokens.is_sealed(row.private_pem)]):
            for row in plain:  # stored before the passphrase was set
                await self.store.reseal_signing_key(row.kid, tokens.seal(tokens.open_key(row.private_pem)))
            log.info("sealed the signing keys", extra=logs.fields(keys=len(plain)))
            rows = await self.store.signing_keys()
        self.ring = tokens.KeyRing(rows)

    def __call__(self) -> tokens.KeyRing:
        return self.ring

    async def refresh(self) -> None:
        while True:
            await asyncio.sleep(env_float("KEYRING_REFRESH_S", 10.0))
            try:
                await self.load()
            except Exception:  # noqa: BLE001 - keep the last ring
                log.exception("could not reload signing keys")


async def ensure_local_user(store: AuthStore, required: bool, static_plan: str) -> None:
    """The built-in user of seed 002's static API_KEY and of single-user mode: the admin of
    single-user mode, a plain user behind the static key (H8), whatever an earlier start made it."""
    role, plan = (LOCAL.role, LOCAL.plan) if not required else (STATIC_KEY_ROLE, static_plan)
    if await store.user_by_id(LOCAL_USER_ID) is None:
        async with store.db.begin() as conn:
            await conn.execute(
                users.insert().values(
                    id=LOCAL_USER_ID, email="local@backdrop.invalid", name="Local user", role=role, plan=plan,
                    password_hash=await hash_password(secrets.token_urlsafe(32)),  # no one can log in as it
                )
            )
    else:
        await store.update_user(LOCAL_USER_ID, role=role)


async def prune_failures(store: AuthStore) -> None:
    """Deletes forgotten login failures now and then (L9), so the table holds only live backoffs."""
    while True:
        try:
            pruned = await store.prune_failures()
            if pruned:
                log.info("pruned login failures", extra=logs.fields(rows=pruned))
        except Exception:  # noqa: BLE001 - try again next round
            log.exception("could not prune login failures")
        await asyncio.sleep(env_float("LOGIN_FAILURES_PRUNE_S", 600.0))


async def main() -> None:
    logs.setup("auth", env_str("LOG_LEVEL", "INFO"))
    static_key = env_str("API_KEY", "")
    allow_weak = env_bool("API_KEY_ALLOW_WEAK", False)
    check_static_key(static_key, allow_weak)  # before anything else: a weak key never serves
    await db.migrate(MIGRATIONS, "auth")
    engine = db.engine()
    store = AuthStore(engine)
    keyring = KeyRingHolder(store)
    await keyring.load()
    required = env_bool("AUTH_REQUIRED", True)
    static_plan = env_str("API_KEY_PLAN", "pro")
    if static_key or not required:
        await ensure_local_user(store, required, static_plan)
    if static_key and allow_weak:
        log.warning("API_KEY_ALLOW_WEAK=true: a guessable static API key is accepted; never on a reachable install")
    log.info("auth mode", extra=logs.fields(required=required, static_api_key=bool(static_key), static_key_plan=static_plan))

    edge = EdgeAuthorization(store, keyring, required, static_key, static_plan, env_float("SESSION_CACHE_S", 2.0))

    async def prune_login_failures() -> None:
        await prune_failures(store)

    def register(server):
        auth_pb2_grpc.add_AuthServiceServicer_to_server(Accounts(store, keyring, edge), server)
        external_auth_pb2_grpc.add_AuthorizationServicer_to_server(edge, server)
        return [
            auth_pb2.DESCRIPTOR.services_by_name["AuthService"].full_name,
            external_auth_pb2.DESCRIPTOR.services_by_name["Authorization"].full_name,
        ]

    await grpcio.serve(
        name="auth",
        port=env_int("AUTH_PORT", 50054),
        register=register,
        checks={"postgres": lambda: db.check(engine)},
        background=[keyring.refresh, prune_login_failures],
        on_shutdown=engine.dispose,
    )


if __name__ == "__main__":
    asyncio.run(main())
