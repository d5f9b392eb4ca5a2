"""Rate limits at the edge: headers on every response, 429 past the limit,
shared by every Envoy replica (the counters live in billing's database)."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time

import pytest
import requests

from deploy.envoy import render
from deploy.local.mesh import free_port, port_open
from tests.conftest import register

pytestmark = pytest.mark.mesh


@contextlib.contextmanager
def second_envoy(mesh, tmp_path):
    """Another Envoy replica in front of the same mesh."""
    port = free_port()
    env = {**mesh.service_env(), "BACKDROP_HTTP_PORT": str(port), "ENVOY_ADMIN_PORT": str(free_port())}
    config = tmp_path / "envoy.yaml"
    config.write_text(render.render(env))
    envoy = subprocess.Popen(
        [str(mesh_bin("envoy")), "-c", str(config), "--log-level", "error", "--base-id", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not port_open(port):
            assert time.monotonic() < deadline and envoy.poll() is None, "the second Envoy did not start"
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        envoy.terminate()
        envoy.wait(10)


def fresh_minute(margin_s: float = 10.0, window_s: int = 60) -> None:
    """Waits for a new minute (or `window_s`) window when this one ends too soon for a test's requests."""
    left = window_s - time.time() % window_s
    if left < margin_s:
        time.sleep(left + 0.2)


def mesh_bin(name: str):
    import pathlib

    return pathlib.Path(sys.executable).with_name(name)


def test_limit_headers_then_429_at_limit_plus_one_across_two_envoys(mesh, base_url, tmp_path):
    """/v1/subscription: seed 001's subscription class, 10 a minute (bursts are its own dialect's, /lumiku)."""
    headers = {"Authorization": f"Bearer {register(base_url)['token']}"}
    with second_envoy(mesh, tmp_path) as other_url:
        fresh_minute()
        replies = [
            requests.get(f"{(base_url, other_url)[i % 2]}/v1/subscription", headers=headers, timeout=30) for i in range(11)
        ]
    assert [r.status_code for r in replies] == [200] * 10 + [429]
    assert [int(r.headers["x-ratelimit-remaining"]) for r in replies[:10]] == list(range(9, -1, -1))
    assert all(r.headers["x-ratelimit-limit"] == "10" for r in replies)
    reset = int(replies[0].headers["x-ratelimit-reset"])
    assert time.time() < reset <= time.time() + 61  # a Unix time within the minute window
    refused = replies[10]
    retry_after = int(refused.headers["retry-after"])
    assert 1 <= retry_after <= 60
    assert refused.json() == {
        "error": "RATE_LIMIT_EXCEEDED",
        "message": f"Too many requests. Please try again in {retry_after} seconds",
        "details": {"retryAfter": retry_after, "limit": 10, "window": "1 minute"},
        "request_id": refused.headers["x-request-id"],
    }


def test_seed_001_subscription_burst_at_its_base_url(base_url):
    """/lumiku/v1: 10 a minute, burst 5 (at most 5 in any 30 s window), in seed 001's envelope."""
    headers = {"Authorization": f"Bearer {register(base_url)['token']}"}
    fresh_minute(window_s=30)  # the burst's window; the minute's starts on one of its boundaries
    replies = [requests.get(f"{base_url}/lumiku/v1/background-remover/subscription", headers=headers, timeout=30) for _ in range(6)]
    assert [r.status_code for r in replies] == [200] * 5 + [429]
    assert [int(r.headers["x-ratelimit-remaining"]) for r in replies[:5]] == list(range(4, -1, -1))
    assert all(r.headers["x-ratelimit-limit"] == "10" for r in replies)
    refused = replies[5]
    retry_after = int(refused.headers["retry-after"])
    assert 1 <= retry_after <= 30
    error = refused.json()["error"]
    assert refused.json()["success"] is False and error["code"] == "RATE_LIMIT_EXCEEDED"
    assert error["details"] == {"retryAfter": retry_after, "limit": 5, "window": "30 seconds"}
    assert error["requestId"] == refused.headers["x-request-id"]


def test_the_plan_limit_counts_every_endpoint(base_url):
    headers = {"Authorization": f"Bearer {register(base_url)['token']}"}
    first = requests.get(f"{base_url}/v1/users/me", headers=headers, timeout=30)
    second = requests.get(f"{base_url}/v1/credits", headers=headers, timeout=30)
    assert first.headers["x-ratelimit-limit"] == "100"  # the free plan: 100 requests an hour (seed 000)
    assert int(second.headers["x-ratelimit-remaining"]) == int(first.headers["x-ratelimit-remaining"]) - 1


def test_seed_002_rate_limit_body(base_url):
    account = register(base_url)
    key = requests.post(
        f"{base_url}/v1/api-keys", json={"name": "rl"}, headers={"Authorization": f"Bearer {account['token']}"}, timeout=30
    ).json()["key"]
    not_an_image = {"image": ("a.gif", b"GIF89a" + b"\0" * 32, "image/gif")}
    fresh_minute(20)
    codes = [
        requests.post(f"{base_url}/remove-bg", files=not_an_image, headers={"X-API-Key": key}, timeout=30).status_code
        for _ in range(31)
    ]
    assert codes == [400] * 30 + [429]  # seed 001's single-remove class: 30 a minute
    refused = requests.post(f"{base_url}/remove-bg", files=not_an_image, headers={"X-API-Key": key}, timeout=30)
    seconds = int(refused.headers["retry-after"])
    assert refused.json() == {"error": f"Rate limit exceeded. Try again in {seconds} seconds"}


def test_open_endpoints_are_not_counted(base_url):
    reply = requests.get(f"{base_url}/health", timeout=10)
    assert reply.status_code == 200 and "x-ratelimit-limit" not in reply.headers
