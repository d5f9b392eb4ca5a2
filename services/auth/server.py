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
from services.auth.accounts import Accounts, hash_password
from services.auth.edge import LOCAL, LOCAL_USER_ID, EdgeAuthorization
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


async def ensure_local_user(store: AuthStore) -> None:
    """The built-in user of seed 002's static API_KEY and of single-user mode."""
    if await store.user_by_id(LOCAL_USER_ID) is None:
        async with store.db.begin() as conn:
            await conn.execute(
                users.insert().values(
                    id=LOCAL_USER_ID, email="local@backdrop.invalid", name="Local user", role=LOCAL.role, plan=LOCAL.plan,
                    password_hash=await hash_password(secrets.token_urlsafe(32)),  # no one can log in as it
                )
            )


async def main() -> None:
    logs.setup("auth", env_str("LOG_LEVEL", "INFO"))
    await db.migrate(MIGRATIONS, "auth")
    engine = db.engine()
    store = AuthStore(engine)
    keyring = KeyRingHolder(store)
    await keyring.load()
    required = env_bool("AUTH_REQUIRED", True)
    static_key = env_str("API_KEY", "")
    if static_key or not required:
        await ensure_local_user(store)
    log.info("auth mode", extra=logs.fields(required=required, static_api_key=bool(static_key)))

    edge = EdgeAuthorization(store, keyring, required, static_key)

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
        background=[keyring.refresh],
        on_shutdown=engine.dispose,
    )


if __name__ == "__main__":
    asyncio.run(main())
