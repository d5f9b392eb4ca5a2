"""AuthService: register, login, sessions, profile, API keys, signing keys."""

from __future__ import annotations

import logging
import re
import uuid

import grpc

from backdrop.auth.v1 import auth_pb2, auth_pb2_grpc
from services.auth import tokens
from services.auth.edge import BadCredential
from services.auth.passwords import DUMMY_HASH, hash_password, needs_rehash, password_matches
from services.auth.store import AuthStore
from services.runtime import logs
from services.runtime.clock import iso as _iso
from services.runtime.config import env_int
from services.runtime.errors import ServiceError, invalid, not_found, rpc_errors

log = logging.getLogger(__name__)

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
API_KEY_PREFIX = "bdp_"
REFRESH_PREFIX = "rt_"
LIMITS = {"email": 254, "password": 1024, "name": 200, "avatar": 2048}
MIN_PASSWORD = 8
BAD_LOGIN = "Invalid email or password"


def _unauthenticated(reason: str, message: str) -> ServiceError:
    return ServiceError(grpc.StatusCode.UNAUTHENTICATED, reason, message)


def _check_length(field: str, value: str) -> str:
    if len(value) > LIMITS[field]:
        raise invalid("INVALID_INPUT", f"{field} must be at most {LIMITS[field]} characters", field=field)
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
    avatar = _check_length("avatar", value.strip())
    if avatar and not avatar.startswith(("https://", "http://")):
        raise invalid("INVALID_INPUT", "avatar must be an http(s) URL", field="avatar")
    return avatar


def _name(value: str) -> str:
    name = _check_length("name", value.strip())
    if len(name) < 2:
        raise invalid("INVALID_INPUT", "name must be at least 2 characters", field="name")
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
        wait = await self.store.blocked_for(list(free))
        if wait > 0:
            raise ServiceError(
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                "RATE_LIMIT_EXCEEDED",
                f"Too many failed logins. Try again in {int(wait) + 1} seconds",
                details={"retry_after": int(wait) + 1},
            )
        user = await self.store.user_by_email(email)
        password = request.password[: LIMITS["password"]]
        matched = await password_matches(user.password_hash if user else DUMMY_HASH, password)
        if user is None or not matched:
            await self.store.record_failure(free, self.max_block_s)
            raise _unauthenticated("INVALID_CREDENTIALS", BAD_LOGIN)
        await self.store.clear_failures(account)
        if needs_rehash(user.password_hash):
            await self._rehash(user, password)
        return await self._session(user)

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
            if not await password_matches(user.password_hash, request.current_password):
                raise invalid("INVALID_CREDENTIALS", "current_password is not correct", field="current_password")
            values["password_hash"] = await hash_password(_password(request.new_password, "new_password"))
        if not values:
            return user_message(user)
        updated = await self.store.update_user(request.user_id, **values)
        if "password_hash" in values:
            # Whoever had the old password (or a stolen session) is out; the session that
            # changed it stays. API keys stay: they are listed and revocable one by one.
            await self.store.revoke_sessions(request.user_id, keep_family=request.session_id or None)
            self.edge.forget(user_id=request.user_id)
        return user_message(updated)

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
