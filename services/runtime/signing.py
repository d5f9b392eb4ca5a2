"""Signed, expiring download URLs for stored results, on the public port (gateway and webhooks)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import urllib.parse

import grpc

from services.runtime.config import env_int, env_str
from services.runtime.errors import ServiceError


class UrlSigner:
    def __init__(self, key: bytes | None = None, base_url: str | None = None, ttl_s: int | None = None):
        self.key = key or env_str("URL_SIGNING_KEY").encode()
        # Configured, never taken from the request's Host header (clients forge it).
        port = env_str("BACKDROP_HTTP_PORT", "8080")
        self.base_url = (base_url or env_str("PUBLIC_BASE_URL", f"http://127.0.0.1:{port}")).rstrip("/")
        self.ttl_s = ttl_s or env_int("SIGNED_URL_TTL_S", 3600)

    def _signature(self, key: str, expires: int) -> str:
        digest = hmac.new(self.key, f"{key}\n{expires}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def url(self, key: str, now: float | None = None) -> str:
        expires = int((now or time.time()) + self.ttl_s)
        query = urllib.parse.urlencode({"expires": expires, "signature": self._signature(key, expires)})
        return f"{self.base_url}/v1/files/{urllib.parse.quote(key)}?{query}"

    def verify(self, key: str, expires: int, signature: str, now: float | None = None) -> None:
        if not hmac.compare_digest(self._signature(key, expires), signature or ""):
            raise ServiceError(grpc.StatusCode.PERMISSION_DENIED, "INVALID_SIGNATURE", "The download link is not valid")
        if expires < (now or time.time()):
            raise ServiceError(
                grpc.StatusCode.PERMISSION_DENIED, "LINK_EXPIRED", "The download link has expired; request a new one"
            )
