"""The auth service's tables and every query on them (SQLAlchemy Core, parameterised).

Secrets are never stored: passwords as Argon2id hashes, refresh tokens and API
keys as SHA-256 digests (they are long random strings, so a fast hash is
enough and lets a request find its row by digest).
"""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncEngine

metadata = sa.MetaData()
UUID = postgresql.UUID(as_uuid=False)
TZ = sa.DateTime(timezone=True)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", UUID, primary_key=True),
    sa.Column("email", sa.Text, nullable=False, unique=True),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("avatar", sa.Text, nullable=False, server_default=""),
    sa.Column("role", sa.Text, nullable=False, server_default="user"),
    sa.Column("plan", sa.Text, nullable=False, server_default="free"),
    sa.Column("created_at", TZ, nullable=False, server_default=sa.func.now()),
    sa.Column("updated_at", TZ, nullable=False, server_default=sa.func.now()),
)
refresh_tokens = sa.Table(
    "refresh_tokens",
    metadata,
    sa.Column("id", UUID, primary_key=True),
    sa.Column("user_id", UUID, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("family_id", UUID, nullable=False),
    sa.Column("token_hash", postgresql.BYTEA, nullable=False, unique=True),
    sa.Column("created_at", TZ, nullable=False, server_default=sa.func.now()),
    sa.Column("expires_at", TZ, nullable=False),
    sa.Column("used_at", TZ),
    sa.Column("revoked_at", TZ),
)
api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", UUID, primary_key=True),
    sa.Column("user_id", UUID, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("prefix", sa.Text, nullable=False),
    sa.Column("key_hash", postgresql.BYTEA, nullable=False, unique=True),
    sa.Column("created_at", TZ, nullable=False, server_default=sa.func.now()),
    sa.Column("last_used_at", TZ),
    sa.Column("revoked_at", TZ),
)
signing_keys = sa.Table(
    "signing_keys",
    metadata,
    sa.Column("kid", sa.Text, primary_key=True),
    sa.Column("private_pem", postgresql.BYTEA, nullable=False),
    sa.Column("created_at", TZ, nullable=False, server_default=sa.func.now()),
    sa.Column("retired_at", TZ),
    sa.Column("verify_until", TZ),
)
login_failures = sa.Table(
    "login_failures",
    metadata,
    sa.Column("subject", sa.Text, primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("blocked_until", TZ),
    sa.Column("updated_at", TZ, nullable=False, server_default=sa.func.now()),
)


FAILURE_WINDOW = dt.timedelta(minutes=15)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class AuthStore:
    def __init__(self, db: AsyncEngine):
        self.db = db

    # --- users -------------------------------------------------------------

    async def create_user(self, email: str, password_hash: str, name: str, avatar: str, role: str = "user"):
        """Returns the new row, or None when the email is taken."""
        insert = (
            postgresql.insert(users)
            .values(id=str(uuid.uuid4()), email=email, password_hash=password_hash, name=name, avatar=avatar, role=role)
            .on_conflict_do_nothing(index_elements=[users.c.email])
            .returning(*users.c)
        )
        async with self.db.begin() as conn:
            return (await conn.execute(insert)).first()

    async def user_by_email(self, email: str):
        async with self.db.connect() as conn:
            return (await conn.execute(sa.select(users).where(users.c.email == email))).first()

    async def user_by_id(self, user_id: str):
        async with self.db.connect() as conn:
            return (await conn.execute(sa.select(users).where(users.c.id == user_id))).first()

    async def update_user(self, user_id: str, **values):
        update = users.update().where(users.c.id == user_id).values(updated_at=sa.func.now(), **values).returning(*users.c)
        async with self.db.begin() as conn:
            return (await conn.execute(update)).first()

    async def list_users(self, offset: int, limit: int):
        async with self.db.connect() as conn:
            total = (await conn.execute(sa.select(sa.func.count()).select_from(users))).scalar_one()
            rows = (await conn.execute(sa.select(users).order_by(users.c.created_at).offset(offset).limit(limit))).all()
        return rows, total

    # --- refresh tokens (sessions) -------------------------------------------

    async def add_refresh_token(self, user_id: str, family_id: str, token_hash: bytes, expires_at: dt.datetime) -> None:
        async with self.db.begin() as conn:
            await conn.execute(
                refresh_tokens.insert().values(
                    id=str(uuid.uuid4()), user_id=user_id, family_id=family_id, token_hash=token_hash, expires_at=expires_at
                )
            )

    async def use_refresh_token(self, token_hash: bytes):
        """Marks a live token used and returns its row; a reused token revokes its family.

        Returns (row, outcome): outcome is "ok", "unknown", "expired", "revoked" or "reused".
        """
        async with self.db.begin() as conn:
            row = (
                await conn.execute(sa.select(refresh_tokens).where(refresh_tokens.c.token_hash == token_hash).with_for_update())
            ).first()
            if row is None:
                return None, "unknown"
            if row.revoked_at is not None:
                return row, "revoked"
            if row.used_at is not None:
                await conn.execute(
                    refresh_tokens.update()
                    .where(refresh_tokens.c.family_id == row.family_id, refresh_tokens.c.revoked_at.is_(None))
                    .values(revoked_at=sa.func.now())
                )
                return row, "reused"
            if row.expires_at <= now():
                return row, "expired"
            await conn.execute(refresh_tokens.update().where(refresh_tokens.c.id == row.id).values(used_at=sa.func.now()))
            return row, "ok"

    async def revoke_family(self, user_id: str, family_id: str) -> int:
        update = (
            refresh_tokens.update()
            .where(
                refresh_tokens.c.user_id == user_id,
                refresh_tokens.c.family_id == family_id,
                refresh_tokens.c.revoked_at.is_(None),
            )
            .values(revoked_at=sa.func.now())
        )
        async with self.db.begin() as conn:
            return (await conn.execute(update)).rowcount

    async def session_role(self, user_id: str, family_id: str) -> str | None:
        """The user's current role while the session (refresh-token family) is live; None once
        it was logged out, revoked for reuse or by a password change, or the user is gone."""
        live = sa.exists().where(
            refresh_tokens.c.family_id == family_id,
            refresh_tokens.c.user_id == user_id,
            refresh_tokens.c.revoked_at.is_(None),
        )
        query = sa.select(users.c.role).where(users.c.id == user_id, live)
        async with self.db.connect() as conn:
            return (await conn.execute(query)).scalar_one_or_none()

    async def revoke_sessions(self, user_id: str, keep_family: str | None = None) -> int:
        """Ends every session of a user but `keep_family` (a password change keeps the one that made it)."""
        update = refresh_tokens.update().where(refresh_tokens.c.user_id == user_id, refresh_tokens.c.revoked_at.is_(None))
        if keep_family:
            update = update.where(refresh_tokens.c.family_id != keep_family)
        async with self.db.begin() as conn:
            return (await conn.execute(update.values(revoked_at=sa.func.now()))).rowcount

    # --- API keys ------------------------------------------------------------

    async def add_api_key(self, user_id: str, name: str, prefix: str, key_hash: bytes):
        insert = (
            api_keys.insert()
            .values(id=str(uuid.uuid4()), user_id=user_id, name=name, prefix=prefix, key_hash=key_hash)
            .returning(*api_keys.c)
        )
        async with self.db.begin() as conn:
            return (await conn.execute(insert)).one()

    async def list_api_keys(self, user_id: str):
        query = (
            sa.select(api_keys)
            .where(api_keys.c.user_id == user_id, api_keys.c.revoked_at.is_(None))
            .order_by(api_keys.c.created_at)
        )
        async with self.db.connect() as conn:
            return (await conn.execute(query)).all()

    async def revoke_api_key(self, user_id: str, key_id: str) -> bool:
        update = (
            api_keys.update()
            .where(api_keys.c.id == key_id, api_keys.c.user_id == user_id, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=sa.func.now())
        )
        async with self.db.begin() as conn:
            return (await conn.execute(update)).rowcount > 0

    async def revoke_api_keys(self, user_id: str) -> int:
        update = (
            api_keys.update()
            .where(api_keys.c.user_id == user_id, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=sa.func.now())
        )
        async with self.db.begin() as conn:
            return (await conn.execute(update)).rowcount

    async def user_by_api_key(self, key_hash: bytes):
        """The owner of a live key, and marks the key used."""
        query = (
            sa.select(users, api_keys.c.id.label("key_id"))
            .join(api_keys, api_keys.c.user_id == users.c.id)
            .where(api_keys.c.key_hash == key_hash, api_keys.c.revoked_at.is_(None))
        )
        async with self.db.begin() as conn:
            row = (await conn.execute(query)).first()
            if row is not None:
                await conn.execute(api_keys.update().where(api_keys.c.id == row.key_id).values(last_used_at=sa.func.now()))
            return row

    # --- signing keys --------------------------------------------------------

    async def signing_keys(self):
        """Keys that still verify, newest first."""
        query = (
            sa.select(signing_keys)
            .where(sa.or_(signing_keys.c.verify_until.is_(None), signing_keys.c.verify_until > sa.func.now()))
            .order_by(signing_keys.c.created_at.desc())
        )
        async with self.db.connect() as conn:
            return (await conn.execute(query)).all()

    async def add_signing_key(self, kid: str, private_pem: bytes, keep_old_for: dt.timedelta) -> None:
        """Adds the key that signs from now on; older keys verify for `keep_old_for` more."""
        async with self.db.begin() as conn:
            await conn.execute(
                signing_keys.update()
                .where(signing_keys.c.retired_at.is_(None))
                .values(retired_at=sa.func.now(), verify_until=sa.func.now() + keep_old_for)
            )
            await conn.execute(signing_keys.insert().values(kid=kid, private_pem=private_pem))

    # --- login backoff -------------------------------------------------------

    async def blocked_for(self, subjects: list[str]) -> float:
        """Seconds until every subject may try again (0 when none is blocked)."""
        query = sa.select(sa.func.max(login_failures.c.blocked_until)).where(login_failures.c.subject.in_(subjects))
        async with self.db.connect() as conn:
            until = (await conn.execute(query)).scalar_one()
        return max(0.0, (until - now()).total_seconds()) if until else 0.0

    async def record_failure(self, free_failures: dict[str, int], max_block_s: float) -> None:
        """Counts a failure for each subject; past its free failures, each further one doubles the block."""
        async with self.db.begin() as conn:
            for subject, free in free_failures.items():
                insert = postgresql.insert(login_failures).values(subject=subject, failures=1)
                # Failures older than the window are forgotten.
                stale = login_failures.c.updated_at < sa.func.now() - FAILURE_WINDOW
                failures = sa.case((stale, 1), else_=login_failures.c.failures + 1)
                block = sa.func.least(sa.func.power(2, failures - free), max_block_s)
                upsert = insert.on_conflict_do_update(
                    index_elements=[login_failures.c.subject],
                    set_={
                        "failures": failures,
                        "updated_at": sa.func.now(),
                        "blocked_until": sa.case(
                            (failures > free, sa.func.now() + sa.func.make_interval(0, 0, 0, 0, 0, 0, block)),
                            else_=None,
                        ),
                    },
                )
                await conn.execute(upsert)

    async def clear_failures(self, subject: str) -> None:
        async with self.db.begin() as conn:
            await conn.execute(login_failures.delete().where(login_failures.c.subject == subject))

    async def prune_failures(self) -> int:
        """Forgets subjects whose failures are past the window and who are not blocked (L9)."""
        delete = login_failures.delete().where(
            login_failures.c.updated_at < sa.func.now() - FAILURE_WINDOW,
            sa.or_(login_failures.c.blocked_until.is_(None), login_failures.c.blocked_until < sa.func.now()),
        )
        async with self.db.begin() as conn:
            return (await conn.execute(delete)).rowcount
