"""AuthService: register, login, sessions, profile, API keys, signing keys."""

from __future__ import annotations

import logging
import re
import uuid

import grpc

from backdrop.auth.v1 import auth_pb2, auth_pb2_grpc
from services.auth import settings, tokens, totp
from services.auth.edge import BadCredential
from services.auth.passwords import DUMMY_HASH, hash_password, needs_rehash, password_matches
from services.auth.store import AuthStore, now
from services.runtime import logs
from services.runtime.clock import iso as _iso
from services.runtime.config import env_int, env_str
from services.runtime.errors import ServiceError, invalid, not_found, rpc_errors

log = logging.getLogger(__name__)

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
API_KEY_PREFIX = "bdp_"
REFRESH_PREFIX = "rt_"
LIMITS = {"email": 254, "password": 1024, "name": 200, "avatar": 2048}
MIN_PASSWORD = 8
BAD_LOGIN = "Invalid email or password"


def _unauthenticated(reason: str, message: str, **details) -> ServiceError:
    return ServiceError(grpc.StatusCode.UNAUTHENTICATED, reason, message, details=details)


def _check_length(field: str, value: str, limit: str | None = None) -> str:
    most = LIMITS[limit or field]
    if len(value) > most:
        raise invalid("INVALID_INPUT", f"{field} must be at most {most} characters", field=field)
    return value


def _email(value: str) -> str:
    email = _check_length("email", value.strip().lower())
    if not email:
        raise invalid("MISSING_REQUIRED_FIELD", "email is required", field="email")
    if not EMAIL.match(email):
        raise invalid("INVALID_INPUT", "email must be a valid email address", field="email")
    return email


def _password(value: str, field: str = "password") -> str:
    if len(value) < MIN_PASSWORD:
        raise invalid("INVALID_INPUT", f"{field} must be at least {MIN_PASSWORD} characters", field=field)
    if len(value) > LIMITS["password"]:
        raise invalid("INVALID_INPUT", f"{field} must be at most {LIMITS['password']} characters", field=field)
    return value


def _avatar(value: str) -> str:
    return settings.url("avatar", value)


def _name(value: str, field: str = "name") -> str:
    name = _check_length(field, value.strip(), "name")
    if len(name) < 2:
        raise invalid("INVALID_INPUT", f"{field} must be at least 2 characters", field=field)
    return name


def user_message(row) -> auth_pb2.User:
    return auth_pb2.User(
        id=str(row.id), email=row.email, name=row.name, plan=row.plan, role=row.role,
        avatar=row.avatar, created_at=_iso(row.created_at),
    )


def api_key_message(row) -> auth_pb2.ApiKey:
    return auth_pb2.ApiKey(
        id=str(row.id), name=row.name, prefix=row.prefix, created_at=_iso(row.created_at), last_used_at=_iso(row.last_used_at)
    )


class Accounts(auth_pb2_grpc.AuthServiceServicer):
    def __init__(self, store: AuthStore, keyring_of, edge=None):
        self.store = store
        self.keyring_of = keyring_of  # () -> KeyRing, refreshed by the server
        self.edge = edge  # the ext_authz check, for credentials sent inside other protocols
        # Free failures before the backoff starts: per account *and* client address (so
        # nobody can lock a user out from elsewhere, M6), and (looser, as many people can
        # share an address) per client address.
        self.free_per_account = env_int("LOGIN_FREE_FAILURES_PER_ACCOUNT", 5)
        self.free_per_ip = env_int("LOGIN_FREE_FAILURES_PER_IP", 50)
        self.max_block_s = env_int("LOGIN_MAX_BLOCK_S", 900)
        # Wrong two-factor codes and current passwords, per user (only someone who has the
        # password, or a session, gets to try them, so no stranger can lock a user out).
        self.free_per_user = env_int("SECOND_FACTOR_FREE_FAILURES", 5)
        self.issuer = env_str("TOTP_ISSUER", "Backdrop")

    async def _session(self, user, family_id: str | None = None) -> auth_pb2.AuthResponse:
        family = family_id or str(uuid.uuid4())
        refresh = tokens.new_opaque(REFRESH_PREFIX)
        await self.store.add_refresh_token(str(user.id), family, tokens.digest(refresh), tokens.refresh_expiry())
        return auth_pb2.AuthResponse(
            success=True,
            token=self.keyring_of().issue(user, family),
            refresh_token=refresh,
            user=user_message(user),
            expires_in=tokens.ACCESS_TTL_S,
        )

    @rpc_errors
    async def Register(self, request, context):
        email = _email(request.email)
        password = _password(request.password)
        name = _name(request.name or request.display_name)
        avatar = _avatar(request.avatar)
        user = await self.store.create_user(email, await hash_password(password), name, avatar)
        if user is None:
            raise ServiceError(grpc.StatusCode.ALREADY_EXISTS, "EMAIL_TAKEN", "An account with this email already exists", details={"field": "email"})
        log.info("user registered", extra=logs.fields(user_id=str(user.id)))
        return await self._session(user)

    @rpc_errors
    async def Login(self, request, context):
        email = request.email.strip().lower()[: LIMITS["email"]]
        if not email or not request.password:
            raise invalid("MISSING_REQUIRED_FIELD", "email and password are required", field="email" if not email else "password")
        account = f"account:{email}|{request.client_ip}"
        free = {account: self.free_per_account}
        if request.client_ip:
            free[f"ip:{request.client_ip}"] = self.free_per_ip
        await self._refuse_if_blocked(list(free), "failed logins")
        user = await self.store.user_by_email(email)
        password = request.password[: LIMITS["password"]]
        matched = await password_matches(user.password_hash if user else DUMMY_HASH, password)
        if user is None or not matched:
            await self.store.record_failure(free, self.max_block_s)
            raise _unauthenticated("INVALID_CREDENTIALS", BAD_LOGIN)
        if user.totp_secret is not None:
            await self._second_factor(user, request.two_factor_code, free)
        await self.store.clear_failures(account)
        if needs_rehash(user.password_hash):
            await self._rehash(user, password)
        return await self._session(user)

    async def _refuse_if_blocked(self, subjects: list[str], what: str) -> None:
        wait = await self.store.blocked_for(subjects)
        if wait > 0:
            raise ServiceError(
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                "RATE_LIMIT_EXCEEDED",
                f"Too many {what}. Try again in {int(wait) + 1} seconds",
                details={"retry_after": int(wait) + 1},
            )

    async def _second_factor(self, user, code: str, free: dict[str, int]) -> None:
        """A login's TOTP code: a wrong one counts for the login's backoff and the user's own."""
        if not code.strip():
            raise _unauthenticated(
                "INVALID_CREDENTIALS",
                "This account uses two-factor authentication: send the 6-digit code of its authenticator app as twoFactorCode",
                two_factor="required",
            )
        if await self._use_code(user, code, user.totp_secret, free) is None:
            raise _unauthenticated(
                "INVALID_CREDENTIALS", "The two-factor code is wrong or was already used; send the current one", two_factor="invalid"
            )

    async def _use_code(self, user, code: str, secret: str, free: dict[str, int] | None = None, **values):
        """Accepts `code` for `secret` once (and sets `values` on the user); None for a wrong or
        reused code, which counts towards the user's backoff (and the login's, `free`)."""
        subject = f"2fa:{user.id}"
        await self._refuse_if_blocked([subject], "wrong two-factor codes")
        typed = totp.normalise(code)
        step = None if typed is None else totp.matching_step(secret, typed, after=user.totp_last_step)
        updated = None if step is None else await self.store.use_totp_step(str(user.id), step, **values)
        if updated is None:
            await self.store.record_failure({**(free or {}), subject: self.free_per_user}, self.max_block_s)
            return None
        await self.store.clear_failures(subject)
        return updated

    async def _rehash(self, user, password: str) -> None:
        """Upgrades a hash made with older Argon2 parameters; a busy pool leaves it for the next login."""
        try:
            await self.store.update_user(str(user.id), password_hash=await hash_password(password))
        except ServiceError:
            pass

    @rpc_errors
    async def Refresh(self, request, context):
        if not request.refresh_token:
            raise invalid("MISSING_REQUIRED_FIELD", "refreshToken is required", field="refreshToken")
        row, outcome = await self.store.use_refresh_token(tokens.digest(request.refresh_token))
        if outcome == "reused":
            self.edge.forget(session_id=str(row.family_id))
            log.warning("refresh token reused; session revoked", extra=logs.fields(user_id=str(row.user_id)))
        if outcome != "ok":
            message = {"expired": "The refresh token has expired; log in again"}.get(outcome, "The refresh token is not valid")
            raise _unauthenticated("TOKEN_EXPIRED" if outcome == "expired" else "INVALID_TOKEN", message)
        user = await self.store.user_by_id(str(row.user_id))
        if user is None:
            raise _unauthenticated("INVALID_TOKEN", "The refresh token is not valid")
        return await self._session(user, family_id=str(row.family_id))

    @rpc_errors
    async def Logout(self, request, context):
        if request.session_id:
            await self.store.revoke_family(request.user_id, request.session_id)
            self.edge.forget(session_id=request.session_id)
        return auth_pb2.LogoutResponse(success=True)

    async def _user(self, user_id: str):
        user = await self.store.user_by_id(user_id)
        if user is None:
            raise not_found("USER_NOT_FOUND", "No such user")
        return user

    @rpc_errors
    async def GetUser(self, request, context):
        return user_message(await self._user(request.user_id))

    @rpc_errors
    async def UpdateUser(self, request, context):
        user = await self._user(request.user_id)
        values: dict = {}
        if request.HasField("name"):
            values["name"] = _name(request.name)
        if request.HasField("avatar"):
            values["avatar"] = _avatar(request.avatar)
        if request.HasField("plan"):
            values["plan"] = request.plan
        if request.new_password:
            values |= await self._new_password(user, request.current_password, request.new_password, "current_password", "new_password")
        if not values:
            return user_message(user)
        return user_message(await self._update(user, request.session_id, values))

    async def _check_current_password(self, user, current: str, field: str, purpose: str) -> None:
        """What a session alone may not do (change the password, start two-factor enrolment)
        needs the current password too; wrong guesses back off per user."""
        if not current:
            raise invalid("MISSING_REQUIRED_FIELD", f"{field} is required to {purpose}", field=field)
        subject = f"password:{user.id}"
        await self._refuse_if_blocked([subject], "wrong current passwords")
        if not await password_matches(user.password_hash, current[: LIMITS["password"]]):
            await self.store.record_failure({subject: self.free_per_user}, self.max_block_s)
            raise invalid("INVALID_CREDENTIALS", f"{field} is not correct", field=field)
        await self.store.clear_failures(subject)

    async def _new_password(self, user, current: str, new: str, current_field: str, new_field: str) -> dict:
        """The columns of a password change, once the current password is right."""
        new = _password(new, new_field)
        await self._check_current_password(user, current, current_field, "change the password")
        return {"password_hash": await hash_password(new), "password_changed_at": now()}

    async def _update(self, user, session_id: str, values: dict):
        updated = await self.store.update_user(str(user.id), **values)
        if "password_hash" in values:
            # Whoever had the old password (or a stolen session) is out; the session that
            # changed it stays. API keys stay: they are listed and revocable one by one.
            await self.store.revoke_sessions(str(user.id), keep_family=session_id or None)
            self.edge.forget(user_id=str(user.id))
            log.info("password changed; other sessions ended", extra=logs.fields(user_id=str(user.id)))
        return updated

    # --- settings (seed 004's /settings) ---------------------------------------

    @rpc_errors
    async def GetSettings(self, request, context):
        return settings.message(await self._user(request.user_id))

    @rpc_errors
    async def UpdateProfile(self, request, context):
        user = await self._user(request.user_id)
        values: dict = {}
        if request.HasField("display_name"):
            values["name"] = _name(request.display_name, "displayName")
        if request.HasField("avatar"):
            values["avatar"] = settings.url("avatar", request.avatar)
        if request.HasField("bio"):
            values["bio"] = settings.bio(request.bio)
        if request.HasField("website"):
            values["website"] = settings.url("website", request.website)
        return settings.message(await self.store.update_user(str(user.id), **values) if values else user)

    @rpc_errors
    async def UpdatePreferences(self, request, context):
        user = await self._user(request.user_id)
        values: dict = {}
        for name, check in (("theme", settings.theme), ("language", settings.language), ("timezone", settings.timezone)):
            if request.HasField(name):
                values[name] = check(getattr(request, name))
        for name in settings.NOTIFICATIONS:
            if request.notifications.HasField(name):
                values[f"notify_{name}"] = getattr(request.notifications, name)
        return settings.message(await self.store.update_user(str(user.id), **values) if values else user)

    @rpc_errors
    async def UpdateSecurity(self, request, context):
        user = await self._user(request.user_id)
        changes_password = bool(request.new_password)
        if changes_password and request.HasField("two_factor_enabled"):
            raise invalid(
                "INVALID_INPUT", "Send twoFactorEnabled and a password change (currentPassword, newPassword) in separate requests",
                field="twoFactorEnabled",
            )
        if changes_password:
            values = await self._new_password(user, request.current_password, request.new_password, "currentPassword", "newPassword")
            user = await self._update(user, request.session_id, values)
        elif request.HasField("two_factor_enabled"):
            if request.two_factor_enabled:
                return await self._enable_two_factor(user, request)
            user = await self._disable_two_factor(user, request.two_factor_code)
        elif request.current_password:
            raise invalid("MISSING_REQUIRED_FIELD", "newPassword is required to change the password", field="newPassword")
        return auth_pb2.SecurityUpdate(settings=settings.message(user))

    async def _enable_two_factor(self, user, request) -> auth_pb2.SecurityUpdate:
        """Without a code: a new secret, shown once, pending; this needs the current password, or a
        stolen session could put its own second factor on the account and lock its owner out. With
        a code: the pending secret's current code turns two-factor on, and every other session
        ends. Already on: nothing changes (no secret is shown again)."""
        code = request.two_factor_code
        if user.totp_secret is None and not code:
            await self._check_current_password(user, request.current_password, "currentPassword", "start two-factor enrolment")
            secret = totp.new_secret()
            user = await self.store.update_user(str(user.id), totp_pending_secret=secret, totp_last_step=None)
            log.info("two-factor enrolment started", extra=logs.fields(user_id=str(user.id)))
            setup = auth_pb2.TwoFactorSetup(secret=secret, otpauth_uri=totp.uri(secret, user.email, self.issuer))
            return auth_pb2.SecurityUpdate(settings=settings.message(user), two_factor_setup=setup)
        if user.totp_secret is None:
            pending = user.totp_pending_secret
            if pending is None:
                raise invalid(
                    "INVALID_INPUT",
                    "twoFactorCode confirms a pending enrolment, and none is: send twoFactorEnabled true without a code to get a secret",
                    field="twoFactorCode",
                )
            user = await self._use_code(user, code, pending, totp_secret=pending, totp_pending_secret=None)
            if user is None:
                raise invalid("INVALID_CREDENTIALS", "twoFactorCode is not the current code of the new secret", field="twoFactorCode")
            await self.store.revoke_sessions(str(user.id), keep_family=request.session_id or None)
            self.edge.forget(user_id=str(user.id))
            log.info("two-factor authentication on; other sessions ended", extra=logs.fields(user_id=str(user.id)))
        return auth_pb2.SecurityUpdate(settings=settings.message(user))

    async def _disable_two_factor(self, user, code: str):
        """Off needs a current code; a pending enrolment is cancelled without one."""
        if user.totp_secret is None:
            return await self.store.update_user(str(user.id), totp_pending_secret=None) if user.totp_pending_secret else user
        if not code:
            raise invalid(
                "MISSING_REQUIRED_FIELD", "Turning two-factor authentication off needs a current code (twoFactorCode)", field="twoFactorCode"
            )
        if await self._use_code(user, code, user.totp_secret, totp_secret=None, totp_pending_secret=None) is None:
            raise invalid("INVALID_CREDENTIALS", "twoFactorCode is wrong or was already used", field="twoFactorCode")
        log.info("two-factor authentication off", extra=logs.fields(user_id=str(user.id)))
        # The next enrolment's secret starts with no step used.
        return await self.store.update_user(str(user.id), totp_last_step=None)

    @rpc_errors
    async def CreateApiKey(self, request, context):
        name = request.name.strip()
        if not name or len(name) > 100:
            raise invalid("INVALID_INPUT", "name is required (at most 100 characters)", field="name")
        key = tokens.new_opaque(API_KEY_PREFIX)
        row = await self.store.add_api_key(request.user_id, name, key[:10], tokens.digest(key))
        return auth_pb2.CreatedApiKey(api_key=api_key_message(row), key=key)

    @rpc_errors
    async def ListApiKeys(self, request, context):
        return auth_pb2.ListApiKeysResponse(api_keys=[api_key_message(r) for r in await self.store.list_api_keys(request.user_id)])

    @rpc_errors
    async def DeleteApiKey(self, request, context):
        try:
            key_id = str(uuid.UUID(request.api_key_id))
        except ValueError:
            key_id = None
        if key_id is None or not await self.store.revoke_api_key(request.user_id, key_id):
            raise not_found("API_KEY_NOT_FOUND", "No such API key")
        return auth_pb2.DeleteApiKeyResponse(success=True)

    @rpc_errors
    async def ListUsers(self, request, context):
        limit = min(max(request.limit or 20, 1), 100)
        page = max(request.page or 1, 1)
        rows, total = await self.store.list_users((page - 1) * limit, limit)
        return auth_pb2.ListUsersResponse(users=[user_message(r) for r in rows], total=total, page=page, limit=limit)

    @rpc_errors
    async def Authenticate(self, request, context):
        credential = request.credential.strip()
        headers = {"x-api-key": credential} if credential.startswith("bdp_") else {"authorization": f"Bearer {credential}"}
        if self.edge.is_static_key(credential):
            headers = {"x-api-key": credential}
        try:
            caller = await self.edge.authenticate(headers)
        except BadCredential as bad:
            raise _unauthenticated(bad.reason, bad.message) from None
        if caller is None:
            raise _unauthenticated("UNAUTHORIZED", "A token or an API key is required")
        return auth_pb2.Identity(user_id=caller.user_id, role=caller.role, plan=caller.plan)

    @rpc_errors
    async def GetJwks(self, request, context):
        return auth_pb2.Jwks(keys=[auth_pb2.Jwk(**key) for key in self.keyring_of().jwks()])
