"""The public REST error bodies, one per API family.

Used by the gateway for its RPCs and by the auth service for the 401s that
Envoy's ext_authz sends before a request reaches the gateway.
"""

from __future__ import annotations

from services.runtime import logs
from services.runtime.errors import ServiceError


def v1(error: ServiceError) -> dict:
    """The /v1 envelope: seed 000's {error, message, details} plus the request id."""
    return {
        "error": error.reason,
        "message": error.message,
        # ErrorInfo carries strings; numbers go back out as JSON numbers (seed 001's {required, available}).
        "details": {k: int(v) if v.isdigit() else v for k, v in error.details.items()},
        "request_id": logs.request_id.get(),
    }


def rembg(error: ServiceError) -> dict:
    """Seed 002's {"error": "..."}."""
    return {"error": error.message}


def for_path(path: str):
    """The envelope of the API a path belongs to: /v1 and the rest are v1, seed 002's are rembg."""
    route = path.split("?", 1)[0]
    return rembg if route in ("/remove-bg", "/health") or route.startswith(("/remove-bg/", "/queue-status/")) else v1
