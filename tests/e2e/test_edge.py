"""The edge (Envoy) as a client or an attacker meets it: unknown query
parameters are ignored, small routes refuse big bodies on the bytes that
arrive, the open routes are limited per client address, native gRPC is
refused, and signed links stay out of the access log."""

from __future__ import annotations

import http.client
import json
import random
import re
import time
import urllib.parse
import uuid

import grpc
import numpy as np
import pytest
import requests
import urllib3
from google.protobuf import empty_pb2

from backdrop.gateway.v1 import gateway_pb2, gateway_pb2_grpc
from services.billing.catalog import Catalog
from tests.samples import jpeg

pytestmark = pytest.mark.mesh

PASSWORD = "correct horse battery"


def bearer(account: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {account['token']}"}


def from_address(base_url: str, source: str, method: str, path: str, body: dict | None = None) -> tuple[int, dict, dict]:
    """One request sent from the loopback address `source` (any 127.x address is this machine)."""
    url = urllib.parse.urlsplit(base_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30, source_address=(source, 0))
    try:
        payload = json.dumps(body).encode() if body is not None else None
        connection.request(method, path, body=payload, headers={"Content-Type": "application/json"} if payload else {})
        reply = connection.getresponse()
        return reply.status, {k.lower(): v for k, v in reply.getheaders()}, json.loads(reply.read() or b"{}")
    finally:
        connection.close()


def another_address() -> str:
    """A loopback address of its own for each test run: its per-address counters start at zero."""
    return f"127.{random.randint(1, 254)}.{random.randint(1, 254)}.{random.randint(2, 254)}"


def test_unknown_query_parameters_are_ignored(base_url, account):
    headers = bearer(account)
    for path in ("/health", "/v1/credits", "/v1/users/me", "/v1/api-keys", "/v1/process/jobs", "/v1/backgrounds?category=solid"):
        plain = requests.get(f"{base_url}{path}", headers=headers, timeout=30)
        junk = "&" if "?" in path else "?"
        noisy = requests.get(f"{base_url}{path}{junk}utm_source=x&_=1712345678&fbclid=a.b&a.b[c]=%20+", headers=headers, timeout=30)
        assert plain.status_code == noisy.status_code == 200, (path, noisy.status_code, noisy.text)
        # Signed links expire a fixed time after each call: two calls a second apart differ there only.
        unsigned = lambda reply: re.sub(r"expires=\d+&signature=[\w-]+", "SIGNED", reply.text)  # noqa: E731
        assert unsigned(noisy) == unsigned(plain) or path == "/health"  # health may change between two calls
    quote = requests.post(
        f"{base_url}/v1/pricing/calculate?utm_source=newsletter", json={"imageCount": 3, "tier": "basic"}, headers=headers, timeout=30
    )
    assert quote.status_code == 200 and quote.json()["imageCount"] == 3
    # A parameter that names a field still has to be valid: a 400 that says which.
    bad = requests.get(f"{base_url}/v1/process/jobs?page=abc&utm_source=x", headers=headers, timeout=30)
    assert bad.status_code == 400 and bad.json()["details"] == {"field": "page"}


def test_small_routes_refuse_big_bodies_on_the_bytes_received(base_url, account):
    big = json.dumps({"email": account["user"]["email"], "password": "x" * 70_000}).encode()

    def chunked(data: bytes):  # no Content-Length: only the bytes that arrive tell the size
        for start in range(0, len(data), 8192):
            yield data[start : start + 8192]

    for content_type in ("application/json", "text/plain"):
        reply = requests.post(f"{base_url}/v1/auth/login", data=chunked(big), headers={"Content-Type": content_type}, timeout=30)
        assert reply.status_code == 413, reply.text
        body = reply.json()
        assert body["error"] == "PAYLOAD_TOO_LARGE" and "65536 bytes" in body["message"]
        assert body["request_id"] == reply.headers["x-request-id"]
    declared = requests.post(f"{base_url}/v1/auth/login", data=big, headers={"Content-Type": "text/plain"}, timeout=30)
    assert declared.status_code == 413 and declared.json()["error"] == "PAYLOAD_TOO_LARGE"
    # A normal login still works, and so does an upload far past 64 KB, chunked too.
    login = requests.post(f"{base_url}/v1/auth/login", json={"email": account["user"]["email"], "password": PASSWORD}, timeout=30)
    assert login.status_code == 200 and login.json()["user"]["id"] == account["user"]["id"]
    noise = jpeg(np.random.default_rng(7).integers(0, 256, (400, 400, 3), dtype=np.uint8))
    assert len(noise) > 100_000
    form, content_type = urllib3.encode_multipart_formdata({"file": ("noise.jpg", noise, "image/jpeg")})
    upload = requests.post(
        f"{base_url}/v1/images", data=chunked(form), headers={**bearer(account), "Content-Type": content_type}, timeout=60
    )
    assert upload.status_code in (200, 201), upload.text
    assert (upload.json().get("data") or upload.json())["width"] == 400


def test_register_flood_from_one_address_is_429_with_retry_after(base_url):
    limit = Catalog.load().data["address_limits"]["register"]["requests"]
    flooder = another_address()
    codes = []
    for _ in range(limit + 1):
        body = {"email": f"flood-{uuid.uuid4().hex[:10]}@example.com", "password": PASSWORD, "name": "Flood"}
        status, headers, reply = from_address(base_url, flooder, "POST", "/v1/auth/register", body)
        codes.append(status)
    assert codes == [201] * limit + [429]
    retry_after = int(headers["retry-after"])
    assert 1 <= retry_after <= 3600
    assert reply["error"] == "RATE_LIMIT_EXCEEDED"
    assert reply["details"] == {"retryAfter": retry_after, "limit": limit, "window": "1 hour"}
    # Only that address, only that route: another address registers, the flooder still logs in.
    other = {"email": f"calm-{uuid.uuid4().hex[:10]}@example.com", "password": PASSWORD, "name": "Calm"}
    assert from_address(base_url, another_address(), "POST", "/v1/auth/register", other)[0] == 201
    status, _, _ = from_address(base_url, flooder, "POST", "/v1/auth/login", {"email": other["email"], "password": PASSWORD})
    assert status == 200


def test_native_grpc_is_refused_at_the_public_port(mesh, base_url, key_headers):
    public = urllib.parse.urlsplit(base_url).netloc
    calls = {
        "Health": lambda stub, md: stub.Health(gateway_pb2.HealthRequest(), timeout=10, metadata=md),
        "GetSubscription": lambda stub, md: stub.GetSubscription(empty_pb2.Empty(), timeout=10, metadata=md),
    }
    metadata = [("x-api-key", key_headers["X-API-Key"])]
    with grpc.insecure_channel(public) as channel:
        stub = gateway_pb2_grpc.GatewayStub(channel)
        for name, call in calls.items():
            with pytest.raises(grpc.RpcError) as refused:
                call(stub, metadata)
            assert "not native gRPC" in refused.value.details(), name
    # The same call on the gateway's internal port is served: the refusal is the edge's.
    with grpc.insecure_channel(f"127.0.0.1:{mesh.ports.gateway}") as channel:
        assert calls["Health"](gateway_pb2_grpc.GatewayStub(channel), []).status
    # gRPC-Web, or gRPC over HTTP/1.1, the same.
    web = requests.post(f"{base_url}/backdrop.gateway.v1.Gateway/Health", data=b"", headers={"Content-Type": "application/grpc-web"}, timeout=10)
    assert web.status_code == 415 and web.json()["error"] == "UNSUPPORTED_MEDIA_TYPE"


def test_the_access_log_leaves_out_query_strings(mesh, base_url):
    secret = uuid.uuid4().hex
    reply = requests.get(f"{base_url}/v1/files/uploads/x.png?expires=1&signature={secret}", timeout=10)
    request_id = reply.headers["x-request-id"]
    deadline = time.monotonic() + 10
    while True:
        lines = [line for line in mesh.log.path.read_text().splitlines() if request_id in line and '"component":"envoy"' in line]
        if lines or time.monotonic() > deadline:
            break
        time.sleep(0.2)  # Envoy flushes its access log about once a second
    assert lines and '"path":"/v1/files/uploads/x.png"' in lines[0]
    assert secret not in mesh.log.path.read_text()
