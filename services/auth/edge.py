"""Envoy's ext_authz Check: authentication of every request at the edge.

Envoy asks before a request reaches the gateway. A valid credential (a JWT
this service signed, a live API key, or seed 002's static API_KEY) turns into
identity headers that overwrite whatever the client sent; the credential
itself is removed from the forwarded request. Without a credential only the
open paths pass. Why ext_authz for JWTs too (not jwt_authn): one place decides,
with the same error envelope, for both kinds of credential, and the key ring
is read from the same table that signs.
"""

from __future__ import annotations

import hmac
import json
import logging
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
from services.runtime.errors import ServiceError

log = logging.getLogger(__name__)

OPEN_PATHS = frozenset({"/health", "/v1/auth/register", "/v1/auth/login", "/v1/auth/refresh", "/.well-known/jwks.json",
                        # Seed 001's WebSocket authenticates with its first message (gateway/websocket.py).
                        "/v1/background-remover/ws"})
# Signed, expiring download links: the signature is the credential (services/runtime/signing.py).
OPEN_PREFIXES = ("/v1/files/",)
LOCAL_USER_ID = "00000000-0000-4000-8000-000000000001"
OVERWRITE = base_pb2.HeaderValueOption.OVERWRITE_IF_EXISTS_OR_ADD


@dataclass(frozen=True)
class Caller:
    user_id: str
    role: str
    plan: str
    session_id: str
    method: str


LOCAL = Caller(LOCAL_USER_ID, "admin", "enterprise", "", "local")


class BadCredential(Exception):
    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason, self.message = reason, message


def is_open(path: str) -> bool:
    route = path.split("?", 1)[0]
    return route in OPEN_PATHS or route.startswith(OPEN_PREFIXES)


class EdgeAuthorization(external_auth_pb2_grpc.AuthorizationServicer):
    def __init__(self, store: AuthStore, keyring_of: Callable[[], tokens.KeyRing], required: bool, static_key: str):
        self.store = store
        self.keyring_of = keyring_of
        self.required = required
        self.static_key = static_key

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
            return Caller(claims.user_id, claims.role, claims.plan, claims.session_id, "jwt")
        key = headers.get("x-api-key", "")
        if not key:
            return None
        if self.static_key and hmac.compare_digest(key.encode(), self.static_key.encode()):
            return Caller(LOCAL_USER_ID, LOCAL.role, LOCAL.plan, "", "static_key")
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
    envelope = envelopes.for_path(path)
    error = ServiceError(grpc.StatusCode.UNAUTHENTICATED, reason, "Unauthorized" if envelope is envelopes.rembg else message)
    denied = external_auth_pb2.DeniedHttpResponse(
        status=http_status_pb2.HttpStatus(code=http_status_pb2.Unauthorized),
        headers=[_header("content-type", "application/json"), _header("www-authenticate", 'Bearer realm="backdrop"')],
        body=json.dumps(envelope(error)),
    )
    return external_auth_pb2.CheckResponse(
        status=status_pb2.Status(code=code_pb2.UNAUTHENTICATED), denied_response=denied
    )
