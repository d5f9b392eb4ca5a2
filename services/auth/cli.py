"""Operator commands of the auth service (they act on its own tables).

  python -m services.auth.cli create-admin --email admin@example.com
      creates the account (password from $ADMIN_PASSWORD or a prompt), or
      makes an existing account an admin. `make admin EMAIL=...` runs this.
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
from services.auth.accounts import _email, _password, hash_password
from services.auth.server import MIGRATIONS
from services.auth.store import AuthStore
from services.runtime import db
from services.runtime.errors import ServiceError


async def create_admin(store: AuthStore, email: str, password: str | None) -> str:
    email = _email(email)
    existing = await store.user_by_email(email)
    if existing is not None:
        await store.update_user(str(existing.id), role="admin")
        return f"{email} is now an admin"
    password = _password(password if password is not None else getpass.getpass("Password for the new admin: "))
    await store.create_user(email, await hash_password(password), email.split("@")[0], "", role="admin")
    return f"created admin {email}"


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
            return await create_admin(store, args.email, os.environ.get("ADMIN_PASSWORD"))
        return await rotate_keys(store)
    finally:
        await engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m services.auth.cli", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    admin = commands.add_parser("create-admin", help="create an admin, or promote an existing account")
    admin.add_argument("--email", required=True)
    commands.add_parser("rotate-keys", help="start signing with a new key")
    try:
        print(asyncio.run(run(parser.parse_args())))
    except ServiceError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
