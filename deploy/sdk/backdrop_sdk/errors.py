"""Typed errors: every failed call raises one, carrying the HTTP status and the
code, message and details of whichever dialect's error envelope answered."""

from __future__ import annotations

import json
from typing import Any, Dict, Mapping, Optional

# When a body names no code (a proxy's page, an empty body), the status's usual one.
DEFAULT_CODES = {
    400: "INVALID_INPUT", 401: "UNAUTHORIZED", 402: "INSUFFICIENT_CREDITS", 403: "FORBIDDEN", 404: "NOT_FOUND",
    409: "CONFLICT", 413: "FILE_TOO_LARGE", 422: "INVALID_INPUT", 429: "RATE_LIMIT_EXCEEDED",
    500: "INTERNAL_ERROR", 502: "BAD_GATEWAY", 503: "SERVICE_UNAVAILABLE", 504: "TIMEOUT",
}
# 403s that are about the plan, not the credential.
PLAN_CODES = {"TIER_NOT_ALLOWED", "QUOTA_EXCEEDED", "PLAN_REQUIRED", "PERMISSION_DENIED", "INSUFFICIENT_CREDITS"}


class BackdropError(Exception):
    """A call that failed: `status` (0 when no HTTP answer came), `code` (UPPER_SNAKE),
    `message`, `details`, `request_id`, and for 429/503 `retry_after` in seconds."""

    def __init__(
        self, status: int, code: str, message: str, details: Optional[Mapping[str, Any]] = None,
        request_id: str = "", retry_after: Optional[float] = None,
    ):
        super().__init__(f"{code} ({status}): {message}" if status else f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details: Dict[str, Any] = dict(details or {})
        self.request_id = request_id
        self.retry_after = retry_after


class InvalidRequestError(BackdropError):
    """400, 404, 409, 413, 422: the request needs changing."""


class NotFoundError(InvalidRequestError):
    """404: no such thing, or not yours."""


class AuthenticationError(BackdropError):
    """401 (no, a wrong or an expired credential) or a 403 about the caller's role."""


class InsufficientCreditsError(BackdropError):
    """402, or a 403/429 about the plan (a tier it lacks, the day's quota)."""


class RateLimitError(BackdropError):
    """429 that retrying within the client's bounds did not get past."""


class ServerError(BackdropError):
    """5xx: the server or a part of it failed or is down."""


class NetworkError(BackdropError):
    """No HTTP answer: connection refused, reset, timed out (status 0)."""


def _envelope(body: Any) -> tuple:
    """(code, message, details, request_id) from any of Backdrop's dialects' error bodies."""
    if not isinstance(body, dict):
        return "", "", {}, ""
    error = body.get("error")
    if isinstance(error, dict):  # seeds 001 and 004: {success: false, error: {code, message, details, requestId}}
        return str(error.get("code") or ""), str(error.get("message") or ""), error.get("details") or {}, str(error.get("requestId") or "")
    if isinstance(error, str) and "message" in body:  # /v1 (seed 000): {error, message, details, request_id}
        return error, str(body.get("message") or ""), body.get("details") or {}, str(body.get("request_id") or "")
    if isinstance(error, str):  # seed 002: {"error": "..."}
        return "", error, {}, ""
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):  # remove.bg: {errors: [{title, code}]}
        return str(errors[0].get("code") or "").upper(), str(errors[0].get("title") or ""), {}, ""
    if "message" in body:  # Envoy's own {code, message}
        return "", str(body["message"]), {}, ""
    return "", "", {}, ""


def from_response(status: int, content: bytes, headers: Mapping[str, str], retry_after: Optional[float] = None) -> BackdropError:
    try:
        body = json.loads(content.decode("utf-8")) if content else None
    except (UnicodeDecodeError, ValueError):
        body = None
    code, message, details, request_id = _envelope(body)
    code = code or DEFAULT_CODES.get(status, "HTTP_ERROR")
    message = message or (content[:200].decode("utf-8", "replace").strip() if body is None and content else f"HTTP {status}")
    request_id = request_id or headers.get("x-request-id", "")
    if status == 402 or (status in (403, 429) and code in PLAN_CODES):
        kind: type = InsufficientCreditsError
    elif status in (401, 403):
        kind = AuthenticationError
    elif status == 404:
        kind = NotFoundError
    elif status == 429:
        kind = RateLimitError
    elif status >= 500:
        kind = ServerError
    elif 400 <= status < 500:
        kind = InvalidRequestError
    else:
        kind = BackdropError
    return kind(status, code, message, details, request_id, retry_after)
