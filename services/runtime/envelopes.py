"""The API dialects: which seed's API a path belongs to, and its error envelope.

Backdrop serves each replaced system's API under a base URL of its own (a
dialect), so that its clients, configured by a base URL only, work unchanged:

  backdrop  /v1, and seed 003's /process, /status, /download  (seed 000's envelope)
  rembg     /remove-bg, /health, /queue-status                 (seed 002)
  lumiku    /lumiku/v1, /lumiku/api, and /v1/background-remover (seed 001)
  fomi      /fomi/v1                                           (seed 004)
  removebg  /v1.0                                              (remove.bg's API v1.0)

This is the one place that maps a path to its dialect: the gateway's RPCs name
their envelope here, the auth service answers ext_authz's 401s with it, billing
its 429s, and deploy/envoy/render.py hands the same prefixes to Envoy's Lua
filter for the errors Envoy makes itself (unknown paths, body limits).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from services.runtime import logs
from services.runtime.clock import now_iso
from services.runtime.errors import ServiceError


def _details(error: ServiceError) -> dict:
    # ErrorInfo carries strings; numbers go back out as JSON numbers (seed 001's {required, available}).
    return {k: int(v) if v.isdigit() else v for k, v in error.details.items()}


def v1(error: ServiceError) -> dict:
    """The /v1 envelope: seed 000's {error, message, details} plus the request id."""
    return {"error": error.reason, "message": error.message, "details": _details(error), "request_id": logs.request_id.get()}


def rembg(error: ServiceError) -> dict:
    """Seed 002's {"error": "..."}."""
    return {"error": error.message}


def lumiku(error: ServiceError) -> dict:
    """Seed 001's {success: false, error: {code, message, details, timestamp, requestId}}."""
    return {
        "success": False,
        "error": {
            "code": error.reason,
            "message": error.message,
            "details": _details(error),
            "timestamp": now_iso(),
            "requestId": logs.request_id.get(),
        },
    }


def fomi(error: ServiceError) -> dict:
    """Seed 004's {success: false, error: {code, message, details}}."""
    return {"success": False, "error": {"code": error.reason, "message": error.message, "details": _details(error)}}


def removebg(error: ServiceError) -> dict:
    """remove.bg's {"errors": [{"title", "code", "detail"}]}: its codes are lowercase; clients show the title."""
    item = {"title": error.message, "code": error.reason.lower()}
    if error.details:
        item["detail"] = ", ".join(f"{k}: {v}" for k, v in sorted(error.details.items()))
    return {"errors": [item]}


# remove.bg answers a bad or missing key with 403, and a too-large upload with 400.
REMOVEBG_AUTH = ("UNAUTHORIZED", "INVALID_TOKEN", "TOKEN_EXPIRED", "SESSION_ENDED")


@dataclasses.dataclass(frozen=True)
class Dialect:
    name: str
    envelope: Callable[[ServiceError], dict]
    # Paths of the dialect: exact routes, and prefixes (ending in "/").
    routes: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    # HTTP statuses this dialect's document gives some codes (seed 001: an upload over 10 MB is a 400).
    statuses: dict[str, int] = dataclasses.field(default_factory=dict)
    # Backdrop's codes as this dialect's document names them (seed 004: AUTHENTICATION_FAILED).
    codes: dict[str, str] = dataclasses.field(default_factory=dict)


BACKDROP = Dialect("backdrop", v1)
DIALECTS = (
    # Seed 002 lists "file too large" among its 400s.
    Dialect(
        "rembg", rembg, routes=("/remove-bg", "/health"), prefixes=("/remove-bg/", "/queue-status/"),
        statuses={"FILE_TOO_LARGE": 400, "PAYLOAD_TOO_LARGE": 400},
    ),
    Dialect(
        "lumiku",
        lumiku,
        prefixes=("/lumiku/v1/", "/lumiku/api/", "/v1/background-remover/"),
        statuses={"FILE_TOO_LARGE": 400, "PAYLOAD_TOO_LARGE": 400},
        # Seed 001's ErrorCode enum.
        codes={
            "INVALID_CREDENTIALS": "UNAUTHORIZED", "SESSION_ENDED": "INVALID_TOKEN",
            "INVALID_PARAMETER": "INVALID_INPUT", "INVALID_TIER": "INVALID_INPUT",
            "BATCH_TOO_SMALL": "INVALID_INPUT", "NO_FILES": "MISSING_REQUIRED_FIELD", "NO_IMAGE": "MISSING_REQUIRED_FIELD",
            "PAYLOAD_TOO_LARGE": "FILE_TOO_LARGE", "INVALID_IMAGE": "INVALID_FILE_TYPE", "ADMIN_REQUIRED": "INSUFFICIENT_PERMISSIONS",
            "INVALID_REQUEST": "INVALID_INPUT", "AUTH_BUSY": "SERVICE_UNAVAILABLE", "TIMEOUT": "SERVICE_UNAVAILABLE",
        },
    ),
    Dialect(
        "fomi",
        fomi,
        prefixes=("/fomi/v1/",),
        # Seed 004's error codes.
        codes={
            "INVALID_CREDENTIALS": "AUTHENTICATION_FAILED", "UNAUTHORIZED": "AUTHENTICATION_FAILED",
            "INVALID_TOKEN": "AUTHENTICATION_FAILED", "TOKEN_EXPIRED": "AUTHENTICATION_FAILED",
            "SESSION_ENDED": "AUTHENTICATION_FAILED",
            "ADMIN_REQUIRED": "PERMISSION_DENIED", "FORBIDDEN": "PERMISSION_DENIED", "PAYLOAD_TOO_LARGE": "FILE_TOO_LARGE",
            "RATE_LIMIT_EXCEEDED": "RATE_LIMITED",
        },
    ),
    Dialect(
        "removebg",
        removebg,
        prefixes=("/v1.0/",),
        statuses={
            **dict.fromkeys(REMOVEBG_AUTH, 403),
            "FILE_TOO_LARGE": 400, "PAYLOAD_TOO_LARGE": 400, "IMAGE_TOO_LARGE": 400, "UNSUPPORTED_MEDIA_TYPE": 400,
        },
        # remove.bg's error codes (its OpenAPI document); a reason not named here is sent lowercased.
        codes={
            **dict.fromkeys(REMOVEBG_AUTH, "auth_failed"),
            "INSUFFICIENT_CREDITS": "insufficient_credits", "RATE_LIMIT_EXCEEDED": "rate_limit_exceeded",
            "PAYLOAD_TOO_LARGE": "file_too_large", "IMAGE_TOO_LARGE": "resolution_too_high",
            "INVALID_IMAGE": "failed_to_read_image", "INVALID_MULTIPART": "invalid_request",
            "UNSUPPORTED_MEDIA_TYPE": "invalid_request",
        },
    ),
)
BY_NAME = {d.name: d for d in (BACKDROP, *DIALECTS)}
REMBG, LUMIKU, FOMI, REMOVEBG = BY_NAME["rembg"], BY_NAME["lumiku"], BY_NAME["fomi"], BY_NAME["removebg"]


def dialect_of(path: str) -> Dialect:
    route = path.split("?", 1)[0]
    for dialect in DIALECTS:
        if route in dialect.routes or route.startswith(dialect.prefixes):
            return dialect
    return BACKDROP


def body(dialect: Dialect, error: ServiceError) -> tuple[int, dict]:
    """The HTTP status and JSON body `dialect`'s clients get for `error`, in its own codes."""
    status = dialect.statuses.get(error.reason, error.http_status)
    code = dialect.codes.get(error.reason, error.reason)
    named = ServiceError(error.code, code, error.message, details=error.details, http_status=status)
    return status, dialect.envelope(named)
