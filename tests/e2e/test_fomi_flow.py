"""Seed 004's main flow, end to end, only through its base URL /fomi/v1 as a FOMI
frontend runs it: register, upgrade, generate 4 images with progress over the
WebSocket, share one, find it in the community gallery and in search, and another
user likes and downloads it. Each step's own details are tested in the
test_fomi_*.py modules; this proves they join up."""

from __future__ import annotations

import io
import json
import time
import uuid

import pytest
import requests
from PIL import Image
from websockets.sync.client import connect

pytestmark = pytest.mark.mesh

FOMI = "/fomi/v1"
PROMPT = "a paper boat drifting on a rainy canal"


class Frontend:
    """One signed-in FOMI user: its calls under /fomi/v1 with its token."""

    def __init__(self, base_url: str, name: str):
        self.base_url = base_url
        body = {"email": f"flow-{uuid.uuid4().hex[:12]}@example.com", "password": "securepassword123", "displayName": name}
        made = requests.post(f"{base_url}{FOMI}/auth/register", json=body, timeout=30)
        assert made.status_code == 201, made.text
        assert made.json()["user"]["subscription"]["plan"] == "free"
        self.token = made.json()["token"]
        self.user = made.json()["user"]

    def call(self, method: str, path: str, expect=(200,), **kwargs) -> dict:
        response = requests.request(
            method, f"{self.base_url}{FOMI}{path}", headers={"Authorization": f"Bearer {self.token}"}, timeout=120, **kwargs
        )
        assert response.status_code in expect, f"{method} {path}: {response.status_code} {response.text[:400]}"
        assert response.json()["success"] is True
        return response.json()


def test_register_generate_share_like_download(base_url):
    owner, fan = Frontend(base_url, "Owner Flow"), Frontend(base_url, "Fan Flow")
    # Free makes at most 2 images a generation: the owner upgrades, as the app's plan page does.
    upgraded = owner.call("POST", "/subscription/upgrade", json={"plan": "pro", "cycle": "monthly", "paymentMethod": "pm_card_visa"})
    assert upgraded["success"] is True
    assert owner.call("GET", "/subscription")["subscription"]["plan"] == "pro"
    # A new token carries the new plan (the app signs in again after paying).
    owner.token = requests.post(
        f"{base_url}{FOMI}/auth/login", json={"email": owner.user["email"], "password": "securepassword123"}, timeout=30
    ).json()["token"]

    socket_url = base_url.replace("http://", "ws://") + f"{FOMI}/ws"
    with connect(socket_url, additional_headers={"Authorization": f"Bearer {owner.token}"}, open_timeout=20) as ws:
        ws.send(json.dumps({"type": "subscribe", "events": ["generation_progress"]}))
        assert json.loads(ws.recv(timeout=20))["type"] == "subscribed"
        started = owner.call("POST", "/images/generate", expect=(200, 202), json={"prompt": PROMPT, "numImages": 4, "steps": 10, "seed": 11})
        generation_id = started["generation"]["id"]
        progress = []
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            event = json.loads(ws.recv(timeout=60))
            assert event["type"] == "generation_progress" and event["generationId"] == generation_id
            progress.append(event["progress"])
            if event["status"] in ("completed", "failed"):
                assert event["status"] == "completed", event
                break
    assert progress == sorted(progress) and progress[-1] == 100 and len(set(progress)) > 2
    generation = owner.call("GET", f"/images/generate/{generation_id}")["generation"]
    assert generation["status"] == "completed" and len(generation["images"]) == 4

    mine = owner.call("GET", "/gallery/personal", params={"type": "image", "limit": 20})["items"]
    assert len(mine) == 4 and all(item["prompt"] == PROMPT and item["isPublic"] is False for item in mine)
    chosen = mine[0]
    shared = owner.call("POST", "/gallery/share", json={
        "itemId": chosen["id"], "isPublic": True, "title": "Rain boat", "description": "A boat on the canal", "tags": ["rain", "boat"],
    })
    assert shared["item"]["isPublic"] is True

    community = {item["id"]: item for item in fan.call("GET", "/gallery/community", params={"sort": "latest", "limit": 100})["items"]}
    assert chosen["id"] in community and community[chosen["id"]]["author"]["name"] == "Owner Flow"
    assert community[chosen["id"]]["isLiked"] is False
    found = [item["id"] for item in fan.call("GET", "/gallery/search", params={"q": "paper boat"})["items"]]
    assert chosen["id"] in found
    # Only the shared one of the four is anyone else's to see.
    assert not set(item["id"] for item in mine[1:]) & set(community)

    liked = fan.call("POST", f"/gallery/{chosen['id']}/like", json={})
    assert liked["isLiked"] is True and liked["likes"] == 1
    download = fan.call("POST", f"/gallery/{chosen['id']}/download", json={})
    image = requests.get(download["url"], timeout=60)
    assert image.status_code == 200
    with Image.open(io.BytesIO(image.content)) as picture:
        assert picture.format == "PNG" and picture.size == (generation["images"][0]["width"], generation["images"][0]["height"])
    seen = {item["id"]: item for item in fan.call("GET", "/gallery/community", params={"limit": 100})["items"]}[chosen["id"]]
    assert (seen["likes"], seen["downloads"], seen["isLiked"], seen["isDownloaded"]) == (1, 1, True, True)
