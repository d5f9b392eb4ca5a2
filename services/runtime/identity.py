"""Who is calling: the identity Envoy verified, as request headers / gRPC metadata.

Only the auth service's ext_authz answer sets these headers, and Envoy strips
any the client sent (deploy/envoy), so a service behind Envoy can trust them
and never parses client credentials itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import grpc

from services.runtime.errors import ServiceError

PREFIX = "x-backdrop-"
USER_ID = "x-backdrop-user-id"
ROLE = "x-backdrop-role"
PLAN = "x-backdrop-plan"
SESSION_ID = "x-backdrop-session-id"
METHOD = "x-backdrop-auth-method"  # jwt | api_key | static_key | local
CLIENT_IP = "x-backdrop-client-ip"
HEADERS = (USER_ID, ROLE, PLAN, SESSION_ID, METHOD, CLIENT_IP)


@dataclass(frozen=True)
class Identity:
    user_id: str
    role: str
    plan: str
    session_id: str
    method: str
    client_ip: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def of(context: grpc.aio.ServicerContext) -> Identity | None:
    """The caller's verified identity, or None on an open endpoint."""
    values = {key: value for key, value in context.invocation_metadata() or () if key.startswith(PREFIX)}
    if not values.get(USER_ID):
        return None
    return Identity(
        values[USER_ID], values.get(ROLE, "user"), values.get(PLAN, "free"),
        values.get(SESSION_ID, ""), values.get(METHOD, ""), values.get(CLIENT_IP, ""),
    )


def client_ip(context: grpc.aio.ServicerContext) -> str:
    return dict(context.invocation_metadata() or ()).get(CLIENT_IP, "")


def required(context: grpc.aio.ServicerContext) -> Identity:
    """The identity, or 401: a second line behind Envoy's check."""
    found = of(context)
    if found is None:
        raise ServiceError(grpc.StatusCode.UNAUTHENTICATED, "UNAUTHORIZED", "Authentication required")
    return found


def admin(context: grpc.aio.ServicerContext) -> Identity:
    found = required(context)
    if not found.is_admin:
        raise ServiceError(grpc.StatusCode.PERMISSION_DENIED, "FORBIDDEN", "This endpoint is for administrators")
    return found
