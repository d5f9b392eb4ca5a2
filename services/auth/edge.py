"""Envoy's ext_authz Check: authentication of every request at the edge.

Envoy asks before a request reaches the gateway. A valid credential (a JWT
this service signed, a live API key, or seed 002's static API_KEY) turns into
identity headers that overwrite whatever the client sent; the credential
itself is removed from the forwarded request. Without a credential only the
open paths pass. Why ext_authz for JWTs too (not jwt_authn): one place decides,
with the same error envelope, for both kinds of credential, and the key ring
is read from the same table that signs.

A JWT passes only while its session is live (M1): logout, refresh-token
reuse and a password change end the session's access tokens at once, not at
their expiry. The session's state and the user's current role (so a demoted
admin stops being one) are read from the database and cached per session for
SESSION_CACHE_S (2 s by default): another replica of this service sees a
revocation within that time, this one at once (the revoking RPC forgets it).

Seed 002's static API_KEY is a plain `user` (plan API_KEY_PLAN), never an
admin (H8): it is one secret shared by every client of an install.
"""

from __future__ import annotations

import hmac
import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import grpc
from envoy.config.core.v3 import base_pb2
from envoy.service.auth.v3 import external_auth_pb2, external_auth_pb2_grpc
from envoy.type.v3 import http_status_pb2
from google.rpc import code_pb2, status_pb2

from services.auth import tokens
from services.auth.store import AuthStore
from services.runtime import envelopes, identity, logs
from services.runtime.config import ConfigError
from services.runtime.errors import ServiceError

log = logging.getLogger(__name__)

OPEN_PATHS = frozenset({
    "/health", "/v1/auth/register", "/v1/auth/login", "/v1/auth/refresh", "/.well-known/jwks.json",
    # Seed 001's login, under both of its base URLs; seed 004's account entry points.
    "/lumiku/v1/auth/login", "/lumiku/api/auth/login", "/fomi/v1/auth/register", "/fomi/v1/auth/login", "/fomi/v1/auth/refresh",
    # Seed 001's WebSocket authenticates with its first message (gateway/websocket.py).
    *(base + "/background-remover/ws" for base in ("/v1", "/lumiku/v1", "/lumiku/api")),
    # The web app's page (gateway/web/app.py); its files are under /app/ (below).
    "/",
    # The API docs: Swagger UI and the OpenAPI documents (gateway/web/docs.py).
    "/docs",
})
# Signed, expiring download links: the signature is the credential (services/runtime/signing.py).
# The web app's static files: public by nature.
OPEN_PREFIXES = ("/v1/files/", "/app/", "/docs/", "/openapi/")
LOCAL_USER_ID = "00000000-0000-4000-8000-000000000001"
OVERWRITE = base_pb2.HeaderValueOption.OVERWRITE_IF_EXISTS_OR_ADD


@dataclass(frozen=True)
class Caller:
    user_id: str
    role: str
    plan: str
    session_id: str
    method: str


# Single-user mode (AUTH_REQUIRED=false): the operator's own machine, every request its admin.
LOCAL = Caller(LOCAL_USER_ID, "admin", "enterprise", "", "local")
STATIC_KEY_ROLE = "user"
MIN_STATIC_KEY = 16
# Values published in docs and seeds (seed 002's example key, the README's quick start).
KNOWN_STATIC_KEYS = frozenset({"change-me", "changeme", "your-api-key-here", "secret", "password", "api-key", "apikey", "test"})


def check_static_key(key: str, allow_weak: bool) -> None:
    """Refuses a guessable API_KEY at start-up: shorter than 16 characters or a published example.
    API_KEY_ALLOW_WEAK=true lets one through (a test install that runs seed 002's examples as written)."""
    if not key or allow_weak:
        return
    if len(key) < MIN_STATIC_KEY or key.strip().lower() in KNOWN_STATIC_KEYS:
        raise ConfigError(
            f"API_KEY is too weak: use at least {MIN_STATIC_KEY} random characters, not an example value "
            "(e.g. `openssl rand -hex 24`); API_KEY_ALLOW_WEAK=true accepts it on a test install"
        )


class BadCredential(Exception):
    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason, self.message = reason, message


def is_open(path: str) -> bool:
    route = path.split("?", 1)[0]
    return route in OPEN_PATHS or route.startswith(OPEN_PREFIXES)


class EdgeAuthorization(external_auth_pb2_grpc.AuthorizationServicer):
    def __init__(
        self,
        store: AuthStore,
        keyring_of: Callable[[], tokens.KeyRing],
        required: bool,
        static_key: str,
        static_plan: str = "pro",
        session_cache_s: float = 2.0,
    ):
        self.store = store
        self.keyring_of = keyring_of
        self.required = required
        self.static_key = static_key
        self.static_caller = Caller(LOCAL_USER_ID, STATIC_KEY_ROLE, static_plan, "", "static_key")
        self.session_cache_s = session_cache_s
        self._sessions: dict[str, tuple[float, str, str | None]] = {}  # sid -> (until, user id, role or None)

    def is_static_key(self, value: str) -> bool:
        return bool(self.static_key) and hmac.compare_digest(value.encode(), self.static_key.encode())

    def forget(self, session_id: str = "", user_id: str = "") -> None:
        """Drops cached session states after a revocation, so this replica refuses at once."""
        if session_id:
            self._sessions.pop(session_id, None)
        if user_id:
            for sid in [sid for sid, (_, owner, _) in self._sessions.items() if owner == user_id]:
                del self._sessions[sid]

    async def _session_role(self, claims: tokens.Claims) -> str:
        """The user's role now, while the token's session is live; BadCredential once it has ended."""
        clock = time.monotonic()
        cached = self._sessions.get(claims.session_id)
        if cached is not None and cached[0] > clock and cached[1] == claims.user_id:
            role = cached[2]
        else:
            try:
                uuid.UUID(claims.session_id)
                role = await self.store.session_role(claims.user_id, claims.session_id)
            except ValueError:
                role = None
            if len(self._sessions) > 50_000:  # bounded: drop what has expired
                self._sessions = {k: v for k, v in self._sessions.items() if v[0] > clock}
            self._sessions[claims.session_id] = (clock + self.session_cache_s, claims.user_id, role)
        if role is None:
            raise BadCredential("SESSION_ENDED", "This session has ended (logout or password change); log in again")
        return role

    async def authenticate(self, headers) -> Caller | None:
        """The caller a request's credential names; None without one."""
        authorization = headers.get("authorization", "")
        if authorization:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise BadCredential("INVALID_TOKEN", "Send the token as 'Authorization: Bearer <token>'")
            try:
                claims = self.keyring_of().verify(token.strip())
            except tokens.TokenError as error:
                raise BadCredential(error.reason, error.message) from None
            role = await self._session_role(claims)
            return Caller(claims.user_id, role, claims.plan, claims.session_id, "jwt")
        key = headers.get("x-api-key", "")
        if not key:
            return None
        if self.is_static_key(key):
            return self.static_caller
        owner = await self.store.user_by_api_key(tokens.digest(key)) if key.startswith("bdp_") else None
        if owner is None:
            raise BadCredential("INVALID_TOKEN", "The API key is not valid")
        return Caller(str(owner.id), owner.role, owner.plan, "", "api_key")

    async def Check(self, request, context):
        http = request.attributes.request.http
        headers = http.headers
        logs.request_id.set(headers.get("x-request-id", ""))
        client_ip = request.attributes.source.address.socket_address.address
        try:
            caller = await self.authenticate(headers)
        except BadCredential as bad:
            if is_open(http.path):
                caller = None  # a stale token must not lock anyone out of login or refresh
            else:
                log.info("credential refused", extra=logs.fields(reason=bad.reason, path=http.path.split("?")[0]))
                return deny(http.path, bad.reason, bad.message)
        if caller is None and not self.required:
            caller = LOCAL
        if caller is None and not is_open(http.path):
            return deny(http.path, "UNAUTHORIZED", "Authentication required: send 'Authorization: Bearer <token>' or 'X-API-Key'")
        return allow(caller, client_ip)


def _header(key: str, value: str) -> base_pb2.HeaderValueOption:
    return base_pb2.HeaderValueOption(header=base_pb2.HeaderValue(key=key, value=value), append_action=OVERWRITE)


def allow(caller: Caller | None, client_ip: str) -> external_auth_pb2.CheckResponse:
    ok = external_auth_pb2.OkHttpResponse(
        headers=[_header(identity.CLIENT_IP, client_ip)],
        # The gateway gets the identity, never the credential.
        headers_to_remove=["authorization", "x-api-key"],
    )
    if caller is None:
        ok.headers_to_remove.extend(h for h in identity.HEADERS if h != identity.CLIENT_IP)
    else:
        values = {
            identity.USER_ID: caller.user_id,
            identity.ROLE: caller.role,
            identity.PLAN: caller.plan,
            identity.SESSION_ID: caller.session_id,
            identity.METHOD: caller.method,
        }
        ok.headers.extend(_header(k, v) for k, v in values.items())
    return external_auth_pb2.CheckResponse(status=status_pb2.Status(code=code_pb2.OK), ok_response=ok)


def deny(path: str, reason: str, message: str) -> external_auth_pb2.CheckResponse:
    dialect = envelopes.dialect_of(path)
    error = ServiceError(grpc.StatusCode.UNAUTHENTICATED, reason, "Unauthorized" if dialect is envelopes.REMBG else message)
    status, body = envelopes.body(dialect, error)  # 401, or the dialect's own (remove.bg: 403)
    denied = external_auth_pb2.DeniedHttpResponse(
        status=http_status_pb2.HttpStatus(code=status),
        headers=[_header("content-type", "application/json"), _header("www-authenticate", 'Bearer realm="backdrop"')],
        body=json.dumps(body),
    )
    return external_auth_pb2.CheckResponse(
        status=status_pb2.Status(code=code_pb2.UNAUTHENTICATED), denied_response=denied
    )
