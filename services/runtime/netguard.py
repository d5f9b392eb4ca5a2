"""Outbound URLs a client chose (webhooks, image URLs): the SSRF guard.

A URL is resolved once (with a timeout); every address it resolves to must be
public unless its host is on the operator's allow-list: no private, loopback,
link-local, multicast, reserved or site-local range, and no IPv6 translation
address (NAT64, SIIT, 6to4, IPv4-compatible, IPv4-mapped, Teredo) that embeds
such an IPv4 address. The connection then goes to the address that was checked
(DNS pinned), so a second lookup cannot redirect it. Refusals never name the
address a host resolved to (that would make the guard a DNS oracle).

`fetch` has a total wall-clock deadline and a minimum transfer rate, so a
server that drips bytes cannot hold a thread; `fetch_async` runs it in a
small pool of its own, never in the default executor that object-store I/O
uses, and answers 429 TOO_MANY_FETCHES when that pool stays full.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import http.client
import ipaddress
import socket
import ssl
import threading
import time
import urllib.parse
from dataclasses import dataclass

import grpc

from services.runtime.config import env_float, env_int, env_str
from services.runtime.errors import ServiceError, file_too_large, invalid

READ_CHUNK = 64 * 1024
RATE_GRACE_S = 5.0  # the minimum rate is enforced once a fetch has run this long
QUEUE_WAIT_S = 2.0  # how long fetch_async waits for a free slot before answering 429

_resolver = concurrent.futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="netguard-dns")
_fetch_threads = env_int("OUTBOUND_FETCH_THREADS", 8)
_fetcher = concurrent.futures.ThreadPoolExecutor(max_workers=_fetch_threads, thread_name_prefix="netguard-fetch")
_slots = threading.BoundedSemaphore(_fetch_threads)

# IPv6 prefixes that carry an IPv4 address in their last 32 bits: that address is what gets reached.
_EMBEDDED_V4_LOW32 = (
    ipaddress.ip_network("64:ff9b::/96"),  # NAT64 well-known prefix (RFC 6052)
    ipaddress.ip_network("::ffff:0:0:0/96"),  # SIIT (RFC 6145)
)
# Refused outright: local-use NAT64 (RFC 8215), IPv4-compatible (deprecated), site-local, Teredo, ORCHID, 6bone.
_DENIED_V6 = tuple(
    ipaddress.ip_network(n)
    for n in ("64:ff9b:1::/48", "::/96", "fec0::/10", "2001::/32", "2001:10::/28", "2001:20::/28", "3ffe::/16")
)
_SIXTOFOUR = ipaddress.ip_network("2002::/16")


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


def is_public(address: str) -> bool:
    """Whether an address may be reached for a client: global, not multicast, and not a
    translation address that leads to a non-public IPv4 one."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if any(ip in network for network in _DENIED_V6):
            return False
        if ip.ipv4_mapped is not None:
            return False  # a v4-mapped socket address reaches the IPv4 host itself: always refused
        if any(ip in network for network in _EMBEDDED_V4_LOW32):
            return is_public(str(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)))
        if ip in _SIXTOFOUR:
            return is_public(str(ip.sixtofour))
    return ip.is_global and not ip.is_multicast


def _resolve(host: str, port: int, timeout: float, field: str) -> list[str]:
    """getaddrinfo with a deadline (it has none of its own): run in a small pool and waited on."""
    future = _resolver.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    try:
        infos = future.result(timeout=timeout)
    except concurrent.futures.TimeoutError:
        future.cancel()
        raise invalid("INVALID_URL", f"{field}: the host {host!r} did not resolve within {timeout:g} s", field=field) from None
    except (OSError, UnicodeError):
        raise invalid("INVALID_URL", f"{field}: the host {host!r} does not resolve", field=field) from None
    return sorted({info[4][0] for info in infos})


def check(url: str, field: str = "url", resolve_timeout: float | None = None) -> Target:
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise invalid("INVALID_URL", f"{field} must be an http(s) URL", field=field)
    if parts.username or parts.password:
        raise invalid("INVALID_URL", f"{field} must not carry credentials", field=field)
    if len(url) > 2048:
        raise invalid("INVALID_URL", f"{field} is longer than 2048 characters", field=field)
    host = parts.hostname.lower()
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise invalid("INVALID_URL", f"{field} has an invalid port", field=field) from None
    timeout = resolve_timeout if resolve_timeout is not None else env_float("OUTBOUND_DNS_TIMEOUT_S", 5.0)
    addresses = _resolve(host, port, timeout, field)
    if not addresses:
        raise invalid("INVALID_URL", f"{field}: the host {host!r} does not resolve", field=field)
    if host not in allowed_hosts() and not all(is_public(address) for address in addresses):
        raise invalid(
            "URL_NOT_ALLOWED",
            f"{field} points to a private, loopback, link-local or otherwise non-public address, which is not allowed",
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


def start_watchdog(connection: http.client.HTTPConnection, seconds: float) -> tuple[threading.Timer, threading.Event]:
    """Shuts the connection's socket after `seconds`, so a recv blocked inside http.client
    (headers, a chunk, a drip-fed body) returns; the event tells the caller it was the deadline.
    Cancel the timer when done."""
    expired = threading.Event()

    def cut() -> None:
        expired.set()
        sock = connection.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    watchdog = threading.Timer(max(0.0, seconds), cut)
    watchdog.daemon = True
    watchdog.start()
    return watchdog, expired


def fetch(
    url: str,
    max_bytes: int,
    field: str = "image_url",
    timeout: float = 15.0,
    deadline: float | None = None,
    min_rate: float | None = None,
) -> bytes:
    """GET a client's URL through the guard: no redirects followed, at most `max_bytes` read,
    all of it (DNS, connect, headers, body) within `deadline` seconds (OUTBOUND_FETCH_DEADLINE_S),
    and, after the first seconds, at no less than `min_rate` bytes/s (OUTBOUND_FETCH_MIN_BYTES_PER_S)."""
    deadline = deadline if deadline is not None else env_float("OUTBOUND_FETCH_DEADLINE_S", 20.0)
    min_rate = min_rate if min_rate is not None else env_float("OUTBOUND_FETCH_MIN_BYTES_PER_S", 32 * 1024)
    started = time.monotonic()

    def remaining() -> float:
        return deadline - (time.monotonic() - started)

    def too_slow() -> ServiceError:
        return invalid(
            "URL_FETCH_TIMEOUT",
            f"{field}: the server did not send the file within {deadline:g} s (or sent it too slowly); "
            "upload the file instead or host it somewhere faster",
            field=field,
            deadline_s=deadline,
        )

    target = check(url, field, resolve_timeout=max(0.1, min(remaining(), env_float("OUTBOUND_DNS_TIMEOUT_S", 5.0))))
    if remaining() <= 0:
        raise too_slow()
    connection = connect(target, min(timeout, remaining()))
    watchdog, expired = start_watchdog(connection, remaining())
    try:
        connection.request("GET", target.path, headers={"Host": target.host_header, "User-Agent": "backdrop"})
        response = connection.getresponse()
        if response.status != 200:
            raise invalid("URL_FETCH_FAILED", f"{field}: the server answered {response.status}, not 200", field=field)
        too_large = file_too_large(max_bytes, f"{field}: the image is larger than {max_bytes // (1024 * 1024)}MB")
        declared = response.getheader("Content-Length")
        if declared and declared.isdigit() and int(declared) > max_bytes:
            raise too_large
        chunks, received = [], 0
        while True:
            if expired.is_set() or remaining() <= 0:
                raise too_slow()
            chunk = response.read1(READ_CHUNK)
            if not chunk:
                break
            chunks.append(chunk)
            received += len(chunk)
            if received > max_bytes:
                raise too_large
            elapsed = time.monotonic() - started
            if elapsed > RATE_GRACE_S and received < min_rate * elapsed:
                raise too_slow()
        if expired.is_set():
            raise too_slow()  # the watchdog cut the body short
        return b"".join(chunks)
    except (OSError, http.client.HTTPException) as exc:
        if expired.is_set():
            raise too_slow() from None
        raise invalid("URL_FETCH_FAILED", f"{field}: could not fetch it ({exc.__class__.__name__})", field=field) from None
    finally:
        watchdog.cancel()
        connection.close()


def _fetch_in_slot(*args, **kwargs) -> bytes:
    try:
        return fetch(*args, **kwargs)
    finally:
        _slots.release()


async def fetch_async(url: str, max_bytes: int, field: str = "image_url", **options) -> bytes:
    """`fetch` in the outbound pool (OUTBOUND_FETCH_THREADS, 8 by default), never the default executor.

    A slot is held until the thread really ends (not when the caller gives up), so the pool
    can never be oversubscribed; when no slot frees up within a short wait, 429 TOO_MANY_FETCHES.
    """
    waited = 0.0
    while not _slots.acquire(blocking=False):
        if waited >= QUEUE_WAIT_S:
            raise ServiceError(
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                "TOO_MANY_FETCHES",
                f"Too many image URLs are being fetched right now; retry shortly or upload the file instead ({field})",
                details={"retry_after": "2", "field": field},
                http_status=429,
            )
        await asyncio.sleep(0.05)
        waited += 0.05
    try:
        future = _fetcher.submit(_fetch_in_slot, url, max_bytes, field, **options)
    except BaseException:
        _slots.release()
        raise
    return await asyncio.wrap_future(future)
