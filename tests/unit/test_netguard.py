import socket
import threading
import time

import pytest

from services.runtime import netguard
from services.runtime.errors import ServiceError


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1/hook", "http://localhost:8080/", "http://10.1.2.3/", "http://169.254.169.254/latest/meta-data",
     "http://[::1]/", "http://192.168.1.1/", "http://0.0.0.0/"],
)
def test_private_targets_are_refused(url, monkeypatch):
    monkeypatch.delenv("OUTBOUND_ALLOWED_HOSTS", raising=False)
    with pytest.raises(ServiceError) as caught:
        netguard.check(url)
    assert caught.value.reason == "URL_NOT_ALLOWED"


@pytest.mark.parametrize("url", ["ftp://example.com/", "http://user:pw@example.com/", "not a url", "http://"])
def test_malformed_urls(url):
    with pytest.raises(ServiceError) as caught:
        netguard.check(url)
    assert caught.value.reason == "INVALID_URL"


def test_the_operator_allow_list(monkeypatch):
    monkeypatch.setenv("OUTBOUND_ALLOWED_HOSTS", "127.0.0.1")
    target = netguard.check("http://127.0.0.1:9000/hooks?x=1")
    assert (target.address, target.port, target.path) == ("127.0.0.1", 9000, "/hooks?x=1")


# --- M7: translation ranges and no DNS oracle ---------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "64:ff9b::a00:5",  # NAT64 -> 10.0.0.5
        "64:ff9b::7f00:1",  # NAT64 -> 127.0.0.1
        "64:ff9b:1::808:808",  # local-use NAT64: refused outright
        "::ffff:0:7f00:1",  # SIIT -> 127.0.0.1
        "::ffff:0:a9fe:a9fe",  # SIIT -> 169.254.169.254
        "2002:a00:5::",  # 6to4 -> 10.0.0.5
        "2002:c0a8:101::1",  # 6to4 -> 192.168.1.1
        "::a00:5",  # IPv4-compatible
        "::808:808",  # IPv4-compatible, even of a public address
        "fec0::1",  # site-local
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
        "::ffff:10.0.0.5",  # IPv4-mapped
        "fe80::1%eth0",  # link-local with a zone
    ],
)
def test_translation_and_legacy_v6_ranges_are_refused(address, monkeypatch):
    monkeypatch.delenv("OUTBOUND_ALLOWED_HOSTS", raising=False)
    assert not netguard.is_public(address)
    monkeypatch.setattr(netguard.socket, "getaddrinfo", lambda *a, **k: [(0, 0, 0, "", (address, 80))])
    with pytest.raises(ServiceError) as caught:
        netguard.check("http://innocent.example/x", "image_url")
    assert caught.value.reason == "URL_NOT_ALLOWED"
    assert address not in caught.value.message and address.split("%")[0] not in caught.value.message


@pytest.mark.parametrize("address", ["8.8.8.8", "2606:4700::1111", "64:ff9b::808:808", "2002:808:808::1", "::ffff:0:808:808"])
def test_public_addresses_and_their_translations_pass(address):
    assert netguard.is_public(address)


def test_a_private_resolution_is_not_echoed(monkeypatch):
    monkeypatch.delenv("OUTBOUND_ALLOWED_HOSTS", raising=False)
    monkeypatch.setattr(netguard.socket, "getaddrinfo", lambda *a, **k: [(0, 0, 0, "", ("10.43.2.7", 5432))])
    with pytest.raises(ServiceError) as caught:
        netguard.check("http://postgres.backdrop.svc.cluster.local:5432/")
    assert "10.43" not in caught.value.message and "10.43" not in str(caught.value.details)


def test_dns_resolution_has_a_timeout(monkeypatch):
    monkeypatch.setattr(netguard.socket, "getaddrinfo", lambda *a, **k: time.sleep(3))
    started = time.monotonic()
    with pytest.raises(ServiceError) as caught:
        netguard.check("http://slow-dns.example/", resolve_timeout=0.2)
    assert caught.value.reason == "INVALID_URL" and "did not resolve within" in caught.value.message
    assert time.monotonic() - started < 2


# --- H6: deadlines, minimum rate, its own bounded pool -------------------------------------


class _Server:
    """A loopback HTTP server whose handler is `respond(socket)`."""

    def __init__(self, respond):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.port = self.listener.getsockname()[1]
        self.respond = respond
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn):
        with conn:
            conn.recv(65536)
            try:
                self.respond(conn)
            except OSError:
                pass

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/image.png"

    def close(self):
        self.listener.close()


@pytest.fixture
def serve(monkeypatch):
    monkeypatch.setenv("OUTBOUND_ALLOWED_HOSTS", "127.0.0.1")
    servers = []

    def start(respond):
        servers.append(_Server(respond))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def _drip_body(conn):
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
    for _ in range(1000):
        conn.sendall(b"x")
        time.sleep(0.1)


def _drip_headers(conn):
    for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"y" * 1000:
        conn.sendall(bytes([byte]))
        time.sleep(0.1)


def test_a_normal_fetch_still_works(serve):
    server = serve(lambda c: c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"))
    assert netguard.fetch(server.url, 100) == b"hello"


@pytest.mark.parametrize("respond", [_drip_body, _drip_headers], ids=["body", "headers"])
def test_a_slow_drip_is_cut_at_the_deadline(serve, respond):
    """Per-socket-operation timeouts never fire on a drip; the total deadline does, headers included."""
    server = serve(respond)
    started = time.monotonic()
    with pytest.raises(ServiceError) as caught:
        netguard.fetch(server.url, 10_000, deadline=1.0, min_rate=0)
    assert caught.value.reason == "URL_FETCH_TIMEOUT" and caught.value.http_status == 400
    assert time.monotonic() - started < 3


def test_a_transfer_below_the_minimum_rate_is_cut(serve, monkeypatch):
    monkeypatch.setattr(netguard, "RATE_GRACE_S", 0.5)
    server = serve(_drip_body)
    started = time.monotonic()
    with pytest.raises(ServiceError) as caught:
        netguard.fetch(server.url, 10_000, deadline=30, min_rate=1000)
    assert caught.value.reason == "URL_FETCH_TIMEOUT"
    assert time.monotonic() - started < 3


async def test_fetch_async_uses_its_own_pool_and_refuses_when_full(serve, monkeypatch):
    server = serve(lambda c: c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
    names = []
    original = netguard.fetch
    monkeypatch.setattr(netguard, "fetch", lambda *a, **k: names.append(threading.current_thread().name) or original(*a, **k))
    assert await netguard.fetch_async(server.url, 100) == b"ok"
    assert names[0].startswith("netguard-fetch")

    monkeypatch.setattr(netguard, "_slots", threading.BoundedSemaphore(1))
    monkeypatch.setattr(netguard, "QUEUE_WAIT_S", 0.2)
    assert netguard._slots.acquire(blocking=False)  # the only slot is busy
    with pytest.raises(ServiceError) as caught:
        await netguard.fetch_async(server.url, 100)
    assert (caught.value.reason, caught.value.http_status) == ("TOO_MANY_FETCHES", 429)
    netguard._slots.release()
    assert await netguard.fetch_async(server.url, 100) == b"ok"
