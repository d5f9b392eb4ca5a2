"""Outbound URLs a client chose (webhooks, image URLs): the SSRF guard.

A URL is resolved once; every address it resolves to must be public (no
private, loopback, link-local, multicast or reserved range) unless its host is
on the operator's allow-list, and the connection then goes to the address that
was checked (DNS pinned), so a second lookup cannot redirect it.
"""

from __future__ import annotations

import ipaddress
import socket
import urllib.parse
from dataclasses import dataclass

from services.runtime.config import env_str
from services.runtime.errors import invalid


@dataclass(frozen=True)
class Target:
    url: str
    scheme: str
    host: str
    port: int
    path: str  # path and query
    address: str  # the checked IP to connect to


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
