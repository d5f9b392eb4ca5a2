"""Seed 004's WebSocket (/fomi/v1/ws, "Real-time Updates") as a FOMI frontend uses it:
the token in the upgrade's headers, a subscription by event type, then the
generation_progress events of the caller's own generations as the worker steps
through them (the tiny diffusion pipeline), and nothing about anyone else's."""

from __future__ import annotations

import datetime as dt
import json
import socket
import time
import urllib.parse
import uuid

import pytest
import requests
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

pytestmark = pytest.mark.mesh

ALL_EVENTS = ["generation_progress", "system_notifications", "training_progress"]
EVENT_FIELDS = {"type", "generationId", "progress", "status", "message", "timestamp"}


def fomi_account(base_url: str) -> dict[str, str]:
    """A fresh account made at seed 004's register; its bearer header."""
    body = {"email": f"ws-{uuid.uuid4().hex[:12]}@example.com", "password": "securepassword123", "displayName": "WS User"}
    made = requests.post(f"{base_url}/fomi/v1/auth/register", json=body, timeout=30)
    assert made.status_code == 201, made.text
    return {"Authorization": f"Bearer {made.json()['token']}"}


def ws_url(base_url: str, path: str = "/fomi/v1/ws") -> str:
    return base_url.replace("http://", "ws://") + path


def subscribe(ws, events=ALL_EVENTS) -> None:
    ws.send(json.dumps({"type": "subscribe", "events": events}))
    assert json.loads(ws.recv(timeout=20)) == {"type": "subscribed", "events": sorted(events)}


def refused(url: str, headers: dict | None = None):
    with pytest.raises(InvalidStatus) as caught:
        connect(url, additional_headers=headers or {}, open_timeout=20).close()
    return caught.value.response


def test_generation_progress_reaches_its_owner_and_no_one_else(base_url):
    mine, theirs = fomi_account(base_url), fomi_account(base_url)
    with connect(ws_url(base_url), additional_headers=mine, open_timeout=20) as own, \
            connect(ws_url(base_url), additional_headers=theirs, open_timeout=20) as other:
        subscribe(own)
        subscribe(other)
        # Long enough (2 x 50 steps at 768 px) that the socket, which looks for new jobs once a
        # second, follows most of it on a fast machine too.
        body = {"prompt": "a lighthouse in a storm", "numImages": 2, "steps": 50, "quality": "hd", "seed": 11}
        started = requests.post(f"{base_url}/fomi/v1/images/generate", json=body, headers=mine, timeout=120)
        assert started.status_code in (200, 202), started.text
        generation_id = started.json()["generation"]["id"]
        events = []
        while not events or events[-1]["status"] not in ("completed", "failed"):
            events.append(json.loads(own.recv(timeout=120)))
        with pytest.raises(TimeoutError):  # the other user's socket heard nothing of it
            other.recv(timeout=2)
    for event in events:
        assert set(event) == EVENT_FIELDS, event
        assert event["type"] == "generation_progress" and event["generationId"] == generation_id
        assert isinstance(event["progress"], int) and 0 <= event["progress"] <= 100
        assert event["status"] in ("pending", "processing", "completed") and isinstance(event["message"], str)
        assert event["timestamp"].endswith("Z") and dt.datetime.fromisoformat(event["timestamp"])
    progress = [event["progress"] for event in events]
    assert progress == sorted(progress)
    stepping = [event for event in events if event["status"] == "processing" and event["progress"] < 100]
    assert len({event["progress"] for event in stepping}) >= 5, progress  # it moved step by step
    assert any(event["message"].startswith("Generating image 2 of 2") for event in stepping)
    assert events[-1] == {**events[-1], "status": "completed", "progress": 100, "message": "Done"}
    final = requests.get(f"{base_url}/fomi/v1/images/generate/{generation_id}", headers=mine, timeout=30).json()["generation"]
    assert final["status"] == "completed" and len(final["images"]) == 2


def test_a_cancelled_generation_ends_with_a_failed_event(base_url):
    mine = fomi_account(base_url)
    with connect(ws_url(base_url), additional_headers=mine, open_timeout=20) as ws:
        subscribe(ws, ["generation_progress"])
        body = {"prompt": "a long night", "steps": 50, "numImages": 2, "quality": "hd", "seed": 2}  # free: at most 2 images
        started = requests.post(f"{base_url}/fomi/v1/images/generate", json=body, headers=mine, timeout=60)
        assert started.status_code in (200, 202), started.text
        generation_id = started.json()["generation"]["id"]
        event = json.loads(ws.recv(timeout=60))
        while event["progress"] < 2:  # under way: cancel it
            event = json.loads(ws.recv(timeout=60))
        cancelled = requests.delete(f"{base_url}/fomi/v1/images/generate/{generation_id}", headers=mine, timeout=30)
        assert cancelled.status_code == 200, cancelled.text
        while event["status"] != "failed":
            event = json.loads(ws.recv(timeout=60))
            assert event["generationId"] == generation_id and event["status"] != "completed", event
    assert event["message"] == "Cancelled by its owner" and event["progress"] < 100


def test_the_upgrade_needs_a_valid_token(base_url):
    for headers in (None, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic dXNlcjpwdw=="}):
        response = refused(ws_url(base_url), headers)
        assert response.status_code == 401, (headers, response.body)
        body = json.loads(response.body)
        assert body == {"success": False, "error": {"code": "AUTHENTICATION_FAILED", "message": body["error"]["message"], "details": body["error"]["details"]}}
        assert body["error"]["message"] and isinstance(body["error"]["details"], dict)
    # A logged-out session's token no longer opens one.
    bearer = fomi_account(base_url)
    assert requests.post(f"{base_url}/fomi/v1/auth/logout", headers=bearer, json={}, timeout=30).status_code == 200
    assert refused(ws_url(base_url), bearer).status_code == 401


def test_an_api_key_works_as_the_bearer_too(base_url):
    bearer = fomi_account(base_url)
    key = requests.post(f"{base_url}/v1/api-keys", json={"name": "ws"}, headers=bearer, timeout=30).json()["key"]
    for headers in ({"Authorization": f"Bearer {key}"}, {"X-API-Key": key}):
        with connect(ws_url(base_url), additional_headers=headers, open_timeout=20) as ws:
            subscribe(ws, ["training_progress"])


def test_the_documents_own_path_works_on_a_dialect_hostname(base_url):
    """DIALECT_HOSTS gives fomi.localhost (tests/conftest.py): there the socket is at /v1/ws."""
    bearer = fomi_account(base_url)
    port = urllib.parse.urlsplit(base_url).port
    with connect(f"ws://fomi.localhost:{port}/v1/ws", sock=socket.create_connection(("127.0.0.1", port)),
                 additional_headers=bearer, open_timeout=20) as ws:
        subscribe(ws, ["generation_progress"])


def test_bad_messages_get_errors_and_the_socket_stays_usable(base_url):
    bearer = fomi_account(base_url)
    with connect(ws_url(base_url), additional_headers=bearer, open_timeout=20) as ws:
        ws.send(json.dumps({"type": "subscribe", "events": ["generation_progress", "stock_prices"]}))
        error = json.loads(ws.recv(timeout=20))
        assert error["type"] == "error" and error["error"]["code"] == "UNKNOWN_EVENT"
        assert "'stock_prices'" in error["error"]["message"] and set(error["error"]) == {"code", "message", "details"}
        for bad in ("not json", json.dumps([1, 2]), json.dumps({"type": "dance"})):
            ws.send(bad)
            assert json.loads(ws.recv(timeout=20))["error"]["code"] == "INVALID_MESSAGE"
        for events in ([], "generation_progress", [1], ["generation_progress"] * 11):
            ws.send(json.dumps({"type": "subscribe", "events": events}))
            assert json.loads(ws.recv(timeout=20))["error"]["code"] == "INVALID_PARAMETER"
        subscribe(ws, ["generation_progress"])  # nothing above subscribed anything
        ws.send(json.dumps({"type": "unsubscribe", "events": ["generation_progress"]}))
        assert json.loads(ws.recv(timeout=20)) == {"type": "unsubscribed", "events": []}
        ws.send("x" * (17 * 1024))  # past the 16 KB a message may be
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=20)
        assert closed.value.rcvd.code == 1009


def test_open_sockets_per_account_are_bounded(base_url):
    bearer = fomi_account(base_url)
    sockets = [connect(ws_url(base_url), additional_headers=bearer, open_timeout=20) for _ in range(10)]
    try:
        response = refused(ws_url(base_url), bearer)
        assert response.status_code == 429 and json.loads(response.body)["error"]["code"] == "RATE_LIMITED"
        sockets.pop().close()
        deadline = 50
        while deadline:  # the slot frees once the server has seen the close
            try:
                sockets.append(connect(ws_url(base_url), additional_headers=bearer, open_timeout=20))
                break
            except InvalidStatus:
                deadline -= 1
                time.sleep(0.1)
        assert deadline, "a closed socket's slot was never freed"
    finally:
        for ws in sockets:
            ws.close()
