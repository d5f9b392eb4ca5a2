"""Operator commands of the auth service (they act on its own tables).

  python -m services.auth.cli create-admin --email admin@example.com [--promote-existing]
      creates the account (password from $ADMIN_PASSWORD or a prompt). An
      account that exists already is refused unless --promote-existing: anyone
      can register any email, so its owner may not be who the operator thinks
      (M2). Promotion sets the operator's password, ends every session, revokes
      every API key and prints when the account was created, to check it.
      `make admin EMAIL=...` runs this.
  python -m services.auth.cli rotate-keys
      a new signing key signs from now on; the old one keeps verifying until
      the access tokens it signed have expired, so nobody is logged out.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import getpass
import os
import sys

from services.auth import tokens
from services.auth.accounts import _email, _password
from services.auth.passwords import hash_password
from services.auth.server import MIGRATIONS
from services.auth.store import AuthStore
from services.runtime import db
from services.runtime.clock import iso as _iso
from services.runtime.errors import ServiceError


class Refused(Exception):
    """The operator asked for something the command will not do as asked; the message says what to do."""


async def create_admin(store: AuthStore, email: str, password: str | None, promote_existing: bool = False) -> str:
    email = _email(email)
    existing = await store.user_by_email(email)
    if existing is not None and not promote_existing:
        raise Refused(
            f"{email} is already registered (created {_iso(existing.created_at)}), by someone who may not be you. "
            "Check that the account is yours, then run again with --promote-existing: its password is reset to "
            "$ADMIN_PASSWORD (or the prompt's), its sessions end and its API keys are revoked"
        )
    prompt = "New password for the admin: " if existing is not None else "Password for the new admin: "
    password = _password(password if password is not None else getpass.getpass(prompt))
    password_hash = await hash_password(password)
    if existing is None:
        if await store.create_user(email, password_hash, email.split("@")[0], "", role="admin") is not None:
            return f"created admin {email}"
        raise Refused(f"{email} was registered meanwhile; check it is yours and run again with --promote-existing")
    user_id = str(existing.id)
    await store.update_user(user_id, role="admin", password_hash=password_hash)
    sessions = await store.revoke_sessions(user_id)
    keys = await store.revoke_api_keys(user_id)
    return (
        f"{email} (created {_iso(existing.created_at)}) is now an admin: password reset, "
        f"{sessions} session token(s) and {keys} API key(s) revoked"
    )


async def rotate_keys(store: AuthStore) -> str:
    kid, pem = tokens.new_private_key()
    await store.add_signing_key(kid, pem, keep_old_for=dt.timedelta(seconds=tokens.ACCESS_TTL_S))
    return f"signing with {kid}; older keys verify for {tokens.ACCESS_TTL_S} s more"


async def run(args) -> str:
    await db.migrate(MIGRATIONS, "auth")
    engine = db.engine()
    try:
        store = AuthStore(engine)
        if args.command == "create-admin":
            return await create_admin(store, args.email, os.environ.get("ADMIN_PASSWORD"), args.promote_existing)
        return await rotate_keys(store)
    finally:
        await engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m services.auth.cli", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    admin = commands.add_parser("create-admin", help="create an admin (or, with --promote-existing, promote an account)")
    admin.add_argument("--email", required=True)
    admin.add_argument(
        "--promote-existing", action="store_true",
        help="make an existing account the admin: resets its password, ends its sessions, revokes its API keys",
    )
    commands.add_parser("rotate-keys", help="start signing with a new key")
    try:
        print(asyncio.run(run(parser.parse_args())))
    except ServiceError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 2
    except Refused as refused:
        print(f"refused: {refused}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
