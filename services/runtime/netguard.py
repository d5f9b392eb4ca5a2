"""Outbound URLs a client chose (webhooks, image URLs): the SSRF guard.

A URL is resolved once; every address it resolves to must be public (no
private, loopback, link-local, multicast or reserved range) unless its host is
on the operator's allow-list, and the connection then goes to the address that
was checked (DNS pinned), so a second lookup cannot redirect it.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import urllib.parse
from dataclasses import dataclass

from services.runtime.config import env_str
from services.runtime.errors import file_too_large, invalid


@dataclass(frozen=True)
class Target:
    url: str
    scheme: str
    host: str
    port: int
    path: str  # path and query
    address: str  # the checked IP to connect to

    @property
    def host_header(self) -> str:
        return self.host if self.port in (80, 443) else f"{self.host}:{self.port}"


def allowed_hosts() -> set[str]:
    return {h.strip().lower() for h in env_str("OUTBOUND_ALLOWED_HOSTS", "").split(",") if h.strip()}


def check(url: str, field: str = "url") -> Target:
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise invalid("INVALID_URL", f"{field} must be an http(s) URL", field=field)
    if parts.username or parts.password:
        raise invalid("INVALID_URL", f"{field} must not carry credentials", field=field)
    if len(url) > 2048:
        raise invalid("INVALID_URL", f"{field} is longer than 2048 characters", field=field)
    host = parts.hostname.lower()
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise invalid("INVALID_URL", f"{field}: the host {host!r} does not resolve", field=field) from None
    addresses = sorted({info[4][0] for info in infos})
    if host not in allowed_hosts():
        for address in addresses:
            ip = ipaddress.ip_address(address)
            if not ip.is_global or ip.is_multicast:
                raise invalid(
                    "URL_NOT_ALLOWED",
                    f"{field} resolves to a private, loopback or link-local address ({address}), which is not allowed",
                    field=field,
                )
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(url=url, scheme=parts.scheme, host=host, port=port, path=path, address=addresses[0])


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to the checked address, with the certificate checked for the URL's host."""

    def __init__(self, address: str, host: str, port: int, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def connect(target: Target, timeout: float) -> http.client.HTTPConnection:
    """A connection to the address that was checked, never to a fresh DNS answer."""
    if target.scheme == "https":
        return _PinnedHTTPSConnection(target.address, target.host, target.port, timeout)
    return http.client.HTTPConnection(target.address, target.port, timeout=timeout)


def fetch(url: str, max_bytes: int, field: str = "image_url", timeout: float = 15.0) -> bytes:
    """GET a client's URL through the guard: no redirects followed, at most `max_bytes` read."""
    target = check(url, field)
    connection = connect(target, timeout)
    try:
        connection.request("GET", target.path, headers={"Host": target.host_header, "User-Agent": "backdrop"})
        response = connection.getresponse()
        if response.status != 200:
            raise invalid("URL_FETCH_FAILED", f"{field}: the server answered {response.status}, not 200", field=field)
        too_large = file_too_large(max_bytes, f"{field}: the image is larger than {max_bytes // (1024 * 1024)}MB")
        declared = response.getheader("Content-Length")
        if declared and declared.isdigit() and int(declared) > max_bytes:
            raise too_large
        data = response.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise too_large
        return data
    except OSError as exc:
        raise invalid("URL_FETCH_FAILED", f"{field}: could not fetch it ({exc.__class__.__name__})", field=field) from None
    finally:
        connection.close()
