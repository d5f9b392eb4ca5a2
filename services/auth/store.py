"""The auth service's tables and every query on them (typed SQLModel rows, SQLAlchemy Core queries, parameterised).

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

from services.auth.sealing import SealedText
from services.runtime.db import column, record, records, tables

Tables = tables()
metadata = Tables.metadata
UUID = postgresql.UUID(as_uuid=False)
TZ = sa.DateTime(timezone=True)


class User(Tables, table=True):
    __tablename__ = "users"
    id: str = column(UUID, primary_key=True)
    email: str = column(sa.Text, nullable=False, unique=True)
    password_hash: str = column(sa.Text, nullable=False)
    name: str = column(sa.Text, nullable=False)
    avatar: str = column(sa.Text, nullable=False, server_default="")
    role: str = column(sa.Text, nullable=False, server_default="user")
    plan: str = column(sa.Text, nullable=False, server_default="free")
    created_at: dt.datetime = column(TZ, nullable=False, server_default=sa.func.now())
    updated_at: dt.datetime = column(TZ, nullable=False, server_default=sa.func.now())
    # Settings (seed 004's /settings).
    bio: str = column(sa.Text, nullable=False, server_default="")
    website: str = column(sa.Text, nullable=False, server_default="")
    theme: str = column(sa.Text, nullable=False, server_default="light")
    language: str = column(sa.Text, nullable=False, server_default="en")
    timezone: str = column(sa.Text, nullable=False, server_default="UTC")
    notify_email: bool = column(sa.Boolean, nullable=False, server_default=sa.true())
    notify_push: bool = column(sa.Boolean, nullable=False, server_default=sa.true())
    notify_generation_complete: bool = column(sa.Boolean, nullable=False, server_default=sa.true())
    notify_training_complete: bool = column(sa.Boolean, nullable=False, server_default=sa.true())
    password_changed_at: dt.datetime | None = column(TZ)
    # Two-factor (services/auth/totp.py): the confirmed secret, an enrolment's secret
    # waiting for its first code, and the last step whose code was accepted.
    totp_secret: str | None = column(SealedText)  # sealed at rest (services/auth/sealing.py)
    totp_pending_secret: str | None = column(SealedText)
    totp_last_step: int | None = column(sa.BigInteger)


class RefreshToken(Tables, table=True):
    __tablename__ = "refresh_tokens"
    id: str = column(UUID, primary_key=True)
    user_id: str = column(UUID, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    family_id: str = column(UUID, nullable=False)
    token_hash: bytes = column(postgresql.BYTEA, nullable=False, unique=True)
    created_at: dt.datetime = column(TZ, nullable=False, server_default=sa.func.now())
    expires_at: dt.datetime = column(TZ, nullable=False)
    used_at: dt.datetime | None = column(TZ)
    revoked_at: dt.datetime | None = column(TZ)


class ApiKey(Tables, table=True):
    __tablename__ = "api_keys"
    id: str = column(UUID, primary_key=True)
    user_id: str = column(UUID, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    name: str = column(sa.Text, nullable=False)
    prefix: str = column(sa.Text, nullable=False)
    key_hash: bytes = column(postgresql.BYTEA, nullable=False, unique=True)
    created_at: dt.datetime = column(TZ, nullable=False, server_default=sa.func.now())
    last_used_at: dt.datetime | None = column(TZ)
    revoked_at: dt.datetime | None = column(TZ)


class SigningKey(Tables, table=True):
    __tablename__ = "signing_keys"
    kid: str = column(sa.Text, primary_key=True)
    private_pem: bytes = column(postgresql.BYTEA, nullable=False)
    created_at: dt.datetime = column(TZ, nullable=False, server_default=sa.func.now())
    retired_at: dt.datetime | None = column(TZ)
    verify_until: dt.datetime | None = column(TZ)


class LoginFailure(Tables, table=True):
    __tablename__ = "login_failures"
    subject: str = column(sa.Text, primary_key=True)
    failures: int = column(sa.Integer, nullable=False)
    blocked_until: dt.datetime | None = column(TZ)
    updated_at: dt.datetime = column(TZ, nullable=False, server_default=sa.func.now())


users = User.__table__
refresh_tokens = RefreshToken.__table__
api_keys = ApiKey.__table__
signing_keys = SigningKey.__table__
login_failures = LoginFailure.__table__


FAILURE_WINDOW = dt.timedelta(minutes=15)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class AuthStore:
    def __init__(self, db: AsyncEngine):
        self.db = db

    # --- users -------------------------------------------------------------

    async def create_user(self, email: str, password_hash: str, name: str, avatar: str, role: str = "user") -> User | None:
        """Returns the new user, or None when the email is taken."""
        insert = (
            postgresql.insert(users)
            .values(id=str(uuid.uuid4()), email=email, password_hash=password_hash, name=name, avatar=avatar, role=role)
            .on_conflict_do_nothing(index_elements=[users.c.email])
            .returning(*users.c)
        )
        async with self.db.begin() as conn:
            return record(User, (await conn.execute(insert)).first())

    async def user_by_email(self, email: str) -> User | None:
        async with self.db.connect() as conn:
            return record(User, (await conn.execute(sa.select(users).where(users.c.email == email))).first())

    async def user_by_id(self, user_id: str) -> User | None:
        async with self.db.connect() as conn:
            return record(User, (await conn.execute(sa.select(users).where(users.c.id == user_id))).first())

    async def update_user(self, user_id: str, **values) -> User | None:
        update = users.update().where(users.c.id == user_id).values(updated_at=sa.func.now(), **values).returning(*users.c)
        async with self.db.begin() as conn:
            return record(User, (await conn.execute(update)).first())

    async def use_totp_step(self, user_id: str, step: int, **values) -> User | None:
        """Records `step` as used (and sets `values`) unless it or a later step already was:
        of two logins racing with one code, one wins. Returns the updated user, or None."""
        last = users.c.totp_last_step
        update = (
            users.update()
            .where(users.c.id == user_id, sa.or_(last.is_(None), last < step))
            .values(totp_last_step=step, updated_at=sa.func.now(), **values)
            .returning(*users.c)
        )
        async with self.db.begin() as conn:
            return record(User, (await conn.execute(update)).first())

    async def list_users(self, offset: int, limit: int) -> tuple[list[User], int]:
        async with self.db.connect() as conn:
            total = (await conn.execute(sa.select(sa.func.count()).select_from(users))).scalar_one()
            rows = records(User, await conn.execute(sa.select(users).order_by(users.c.created_at).offset(offset).limit(limit)))
        return rows, total

    # --- refresh tokens (sessions) -------------------------------------------

    async def add_refresh_token(self, user_id: str, family_id: str, token_hash: bytes, expires_at: dt.datetime) -> None:
        async with self.db.begin() as conn:
            await conn.execute(
                refresh_tokens.insert().values(
                    id=str(uuid.uuid4()), user_id=user_id, family_id=family_id, token_hash=token_hash, expires_at=expires_at
                )
            )

    async def use_refresh_token(self, token_hash: bytes) -> tuple[RefreshToken | None, str]:
        """Marks a live token used and returns its row; a reused token revokes its family.

        Returns (row, outcome): outcome is "ok", "unknown", "expired", "revoked" or "reused".
        """
        async with self.db.begin() as conn:
            row = record(
                RefreshToken,
                (await conn.execute(sa.select(refresh_tokens).where(refresh_tokens.c.token_hash == token_hash).with_for_update())).first(),
            )
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

    async def add_api_key(self, user_id: str, name: str, prefix: str, key_hash: bytes) -> ApiKey:
        insert = (
            api_keys.insert()
            .values(id=str(uuid.uuid4()), user_id=user_id, name=name, prefix=prefix, key_hash=key_hash)
            .returning(*api_keys.c)
        )
        async with self.db.begin() as conn:
            return ApiKey.model_validate((await conn.execute(insert)).one())

    async def list_api_keys(self, user_id: str) -> list[ApiKey]:
        query = (
            sa.select(api_keys)
            .where(api_keys.c.user_id == user_id, api_keys.c.revoked_at.is_(None))
            .order_by(api_keys.c.created_at)
        )
        async with self.db.connect() as conn:
            return records(ApiKey, await conn.execute(query))

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

    async def user_by_api_key(self, key_hash: bytes) -> User | None:
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
            return record(User, row)

    # --- signing keys --------------------------------------------------------

    async def signing_keys(self) -> list[SigningKey]:
        """Keys that still verify, newest first."""
        query = (
            sa.select(signing_keys)
            .where(sa.or_(signing_keys.c.verify_until.is_(None), signing_keys.c.verify_until > sa.func.now()))
            .order_by(signing_keys.c.created_at.desc())
        )
        async with self.db.connect() as conn:
            return records(SigningKey, await conn.execute(query))

    async def reseal_signing_key(self, kid: str, private_pem: bytes) -> None:
        async with self.db.begin() as conn:
            await conn.execute(signing_keys.update().where(signing_keys.c.kid == kid).values(private_pem=private_pem))

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
