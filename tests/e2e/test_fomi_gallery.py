"""Seed 004's gallery, community and usage analytics at /fomi/v1, as a FOMI frontend
uses them, on the real mesh with the tiny diffusion pipeline: generated images
appear in the personal gallery, a shared one in the community gallery and in
full-text search, another user likes and downloads it, and usage counts what was
generated and charged."""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import io
import time
import uuid

import pytest
import requests
from PIL import Image
from sqlalchemy.ext.asyncio import create_async_engine

from services.orchestrator.store import JobStore
from services.runtime import db

pytestmark = pytest.mark.mesh

PERSONAL_FIELDS = {"id", "type", "url", "thumbnail", "prompt", "model", "createdAt", "tags", "isPublic", "downloads", "likes"}
COMMUNITY_FIELDS = {
    "id", "type", "url", "thumbnail", "prompt", "author", "model", "createdAt", "likes", "downloads", "tags", "isLiked",
    "isDownloaded",
}
LIGHTHOUSE = "a lighthouse on a cliff at dawn"
LAKE = "a quiet forest lake"


class User:
    def __init__(self, base_url: str, name: str, plan: str = "enterprise"):
        self.base_url = base_url
        body = {
            "email": f"gallery-{uuid.uuid4().hex[:12]}@example.com", "password": "securepassword123", "displayName": name,
            "avatar": f"https://example.com/{name.split()[0].lower()}.jpg",
        }
        made = requests.post(f"{base_url}/fomi/v1/auth/register", json=body, timeout=60)
        assert made.status_code == 201, made.text
        self.id, self.name, self.avatar = made.json()["user"]["id"], name, body["avatar"]
        self.headers = {"Authorization": f"Bearer {made.json()['token']}"}
        if plan:  # seed 004's free plan allows 10 requests a minute; a frontend's session makes more
            subscribed = requests.post(
                f"{base_url}/v1/subscription", json={"plan": plan, "paymentMethodId": "pm_card_visa"}, headers=self.headers, timeout=30
            )
            assert subscribed.status_code == 201, subscribed.text

    def call(self, method: str, path: str, status: int | None = 200, **kwargs) -> dict:
        """The JSON of a call that answers `status` (None: 200 or 202)."""
        response = requests.request(method, f"{self.base_url}/fomi/v1{path}", headers=self.headers, timeout=120, **kwargs)
        assert response.status_code in ((200, 202) if status is None else (status,)), response.text
        return response.json()

    def generate(self, prompt: str, images: int, steps: int = 10) -> str:
        body = {"prompt": prompt, "numImages": images, "steps": steps, "seed": 7}
        response = requests.post(f"{self.base_url}/fomi/v1/images/generate", json=body, headers=self.headers, timeout=120)
        assert response.status_code in (200, 202), response.text
        return response.json()["generation"]["id"]

    def finished(self, generation_id: str) -> dict:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            generation = self.call("GET", f"/images/generate/{generation_id}")["generation"]
            if generation["status"] in ("completed", "failed"):
                return generation
            time.sleep(0.5)
        raise AssertionError("the generation did not finish in 120 s")

    def community(self, **params) -> dict[str, dict]:
        listed = self.call("GET", "/gallery/community", params={"limit": 100, **params})
        assert listed["success"] is True
        return {item["id"]: item for item in listed["items"]}

    def search(self, q: str, **params) -> list[str]:
        found = self.call("GET", "/gallery/search", params={"q": q, "limit": 100, **params})
        assert set(found) == {"success", "items", "pagination"}
        return [item["id"] for item in found["items"]]


def error_code(response: requests.Response) -> str:
    body = response.json()
    assert body["success"] is False and set(body["error"]) == {"code", "message", "details"}, body
    return body["error"]["code"]


def image(url: str, kind: str) -> Image.Image:
    got = requests.get(url, timeout=60)
    assert got.status_code == 200, got.text
    picture = Image.open(io.BytesIO(got.content))
    assert picture.format == kind
    return picture


@pytest.fixture(scope="module")
def world(mesh, photo):
    """An owner with three generated images (two of one generation), one cancelled
    generation and one enhancement, and a second user."""
    owner, other = User(mesh.base_url, "Ada Painter"), User(mesh.base_url, "Bo Viewer")
    lighthouse = owner.generate(LIGHTHOUSE, images=2)
    lake = owner.generate(LAKE, images=1)
    generations = {g["id"]: g for g in (owner.finished(lighthouse), owner.finished(lake))}
    assert all(g["status"] == "completed" for g in generations.values()), generations
    # A generation that fails (cancelled at once: its 4 x 50 steps have not run) makes no item.
    doomed = owner.generate("a storm over the sea", images=4, steps=50)
    cancelled = requests.delete(f"{mesh.base_url}/fomi/v1/images/generate/{doomed}", headers=owner.headers, timeout=60)
    assert cancelled.status_code == 200, cancelled.text
    assert owner.finished(doomed)["status"] == "failed"
    # An enhancement is an item too.
    uploaded = requests.post(f"{mesh.base_url}/v1/images", files={"file": ("in.jpg", photo)}, headers=owner.headers, timeout=60)
    assert uploaded.status_code == 201, uploaded.text
    enhanced = owner.call("POST", "/images/enhance/quality", status=None, json={"imageId": uploaded.json()["id"], "enhancementType": "sharpen"})
    deadline = time.monotonic() + 60
    while enhanced["enhancement"]["status"] not in ("completed", "failed") and time.monotonic() < deadline:
        time.sleep(0.5)
        enhanced = owner.call("GET", f"/images/enhance/{enhanced['enhancement']['id']}")
    assert enhanced["enhancement"]["status"] == "completed", enhanced
    return owner, other, generations[lighthouse], generations[lake]


def test_generated_images_and_enhancements_are_the_personal_gallery_in_pages(world):
    owner, _, lighthouse, lake = world
    first = owner.call("GET", "/gallery/personal", params={"page": 1, "limit": 3, "type": "all"})
    second = owner.call("GET", "/gallery/personal", params={"page": 2, "limit": 3})
    assert first["success"] is True and set(first) == {"success", "items", "pagination"}
    assert first["pagination"] == {"page": 1, "limit": 3, "total": 4, "hasNext": True}
    assert second["pagination"] == {"page": 2, "limit": 3, "total": 4, "hasNext": False}
    items = first["items"] + second["items"]
    assert len(items) == 4 and len({item["id"] for item in items}) == 4
    assert [item["prompt"] for item in items] == ["", LAKE, LIGHTHOUSE, LIGHTHOUSE]  # newest first; no failed one
    for item in items:
        assert set(item) == PERSONAL_FIELDS
        assert item | {"id": "", "url": "", "thumbnail": "", "createdAt": "", "prompt": "", "model": ""} == {
            "id": "", "type": "image", "url": "", "thumbnail": "", "prompt": "", "model": "", "createdAt": "",
            "tags": [], "isPublic": False, "downloads": 0, "likes": 0,
        }
        created = dt.datetime.fromisoformat(item["createdAt"].replace("Z", "+00:00"))
        assert abs(dt.datetime.now(dt.UTC) - created) < dt.timedelta(minutes=10)
    assert [item["model"] for item in items[1:]] == ["stable-diffusion"] * 3 and items[0]["model"]
    # The items show the generations' own images (full size and thumbnail) and the enhanced photo.
    sizes = {(image["width"], image["height"]) for g in (lighthouse, lake) for image in g["images"]}
    for item in items[1:]:
        assert image(item["url"], "PNG").size in sizes
        assert max(image(item["thumbnail"], "JPEG").size) <= 320
    assert image(items[0]["url"], "PNG").size == (512, 512)  # the astronaut, sharpened
    assert owner.call("GET", "/gallery/personal", params={"type": "canvas"})["pagination"]["total"] == 0
    assert owner.call("GET", "/gallery/personal", params={"type": "image"})["pagination"]["total"] == 4
    for params in ({"type": "gif"}, {"limit": 101}, {"page": -1}):
        bad = requests.get(f"{owner.base_url}/fomi/v1/gallery/personal", params=params, headers=owner.headers, timeout=30)
        assert bad.status_code == 400 and error_code(bad) == "INVALID_PARAMETER", params


def test_share_like_download_and_search(world):
    owner, other, lighthouse, _ = world
    listed = owner.call("GET", "/gallery/personal", params={"limit": 100})["items"]
    lake_item = next(item for item in listed if item["prompt"] == LAKE)
    # Unshared: nobody else can like, download or share it.
    for method, path in (("POST", "like"), ("DELETE", "like"), ("POST", "download")):
        refused = requests.request(method, f"{other.base_url}/fomi/v1/gallery/{lake_item['id']}/{path}", headers=other.headers, timeout=30)
        assert refused.status_code == 404 and error_code(refused) == "NOT_FOUND", (method, path)
    stolen = requests.post(f"{other.base_url}/fomi/v1/gallery/share", json={"itemId": lake_item["id"], "isPublic": True}, headers=other.headers, timeout=30)
    assert stolen.status_code == 404 and error_code(stolen) == "NOT_FOUND"
    assert lake_item["id"] not in other.community()

    for body in ({"tags": [f"t{n}" for n in range(21)]}, {"tags": ["x" * 41]}, {"title": "x" * 201}, {"description": "x" * 2001}):
        refused = requests.post(
            f"{owner.base_url}/fomi/v1/gallery/share", json={"itemId": lake_item["id"], **body}, headers=owner.headers, timeout=30
        )
        assert refused.status_code == 400 and error_code(refused) == "INVALID_PARAMETER", body
    # The owner shares a generation's image by the id the generation gave it.
    shared = owner.call("POST", "/gallery/share", json={
        "itemId": lighthouse["images"][0]["id"], "isPublic": True, "title": "My Beautiful Artwork",
        "description": "A stunning coast I created", "tags": ["Seascape", "art", "ai-generated"],
    })["item"]
    assert shared["isPublic"] is True and shared["tags"] == ["seascape", "art", "ai-generated"]
    assert shared["title"] == "My Beautiful Artwork" and shared["prompt"] == LIGHTHOUSE
    item_id = shared["id"]
    assert item_id in {item["id"] for item in listed}
    owner.call("POST", "/gallery/share", json={"itemId": lake_item["id"], "isPublic": True, "title": "Still water"})

    seen = other.community()
    assert set(seen[item_id]) == COMMUNITY_FIELDS
    assert seen[item_id]["author"] == {"id": owner.id, "name": "Ada Painter", "avatar": owner.avatar}
    assert seen[item_id] | {"url": "", "thumbnail": "", "createdAt": "", "author": {}} == {
        "id": item_id, "type": "image", "url": "", "thumbnail": "", "prompt": LIGHTHOUSE, "author": {},
        "model": "stable-diffusion", "createdAt": "", "likes": 0, "downloads": 0, "tags": ["seascape", "art", "ai-generated"],
        "isLiked": False, "isDownloaded": False,
    }
    assert len([i for i in seen.values() if i["author"]["id"] == owner.id]) == 2  # the third is still private
    latest = list(other.community(sort="latest"))
    assert latest.index(lake_item["id"]) < latest.index(item_id)  # shared after it
    assert item_id in other.community(category="seascape") and lake_item["id"] not in other.community(category="seascape")

    # Full-text search over prompts, titles and tags of shared items only.
    assert item_id in other.search("lighthouse")  # the prompt (stemmed: "lighthouses" finds it too)
    assert item_id in other.search("lighthouses")
    assert item_id in other.search("beautiful artwork")  # the title
    assert item_id in other.search("seascape", category="art")  # a tag
    assert item_id not in other.search("lighthouse -dawn")  # websearch syntax: its prompt has "dawn"
    assert lake_item["id"] in other.search("forest") and item_id not in other.search("forest")
    private = next(item for item in listed if item["prompt"] == LIGHTHOUSE and item["id"] != item_id)
    assert private["id"] not in other.search("lighthouse")
    for params in ({"q": ""}, {"q": "x" * 201}):
        bad = requests.get(f"{other.base_url}/fomi/v1/gallery/search", params=params, headers=other.headers, timeout=30)
        assert bad.status_code == 400 and error_code(bad) == "INVALID_PARAMETER"

    # Likes: idempotent, exact under concurrent requests, seen by the liker only.
    liked = other.call("POST", f"/gallery/{item_id}/like", json={})
    assert liked == {"success": True, "itemId": item_id, "isLiked": True, "likes": 1}
    assert other.call("POST", f"/gallery/{item_id}/like", json={})["likes"] == 1
    fans = [User(owner.base_url, f"Fan {n}", plan="") for n in range(3)]
    with concurrent.futures.ThreadPoolExecutor(9) as pool:
        list(pool.map(lambda fan: fan.call("POST", f"/gallery/{item_id}/like", json={}), [f for f in fans for _ in range(3)]))
    assert other.community()[item_id]["likes"] == 4 and other.community()[item_id]["isLiked"] is True
    assert owner.community()[item_id]["isLiked"] is False
    popular = list(other.community(sort="popular"))
    assert popular.index(item_id) < popular.index(lake_item["id"])
    with concurrent.futures.ThreadPoolExecutor(9) as pool:
        list(pool.map(lambda fan: fan.call("DELETE", f"/gallery/{item_id}/like"), [f for f in fans for _ in range(3)]))
    assert other.call("DELETE", f"/gallery/{item_id}/like") == {"success": True, "itemId": item_id, "isLiked": False, "likes": 0}
    assert other.call("DELETE", f"/gallery/{item_id}/like")["likes"] == 0

    # Downloads: counted per downloader, a signed link to the PNG.
    first = other.call("POST", f"/gallery/{item_id}/download", json={})
    assert set(first) == {"success", "itemId", "url", "expiresAt", "downloads"} and first["downloads"] == 1
    png = requests.get(first["url"], timeout=60)
    assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    tampered = requests.get(first["url"].replace("signature=", "signature=x"), timeout=60)
    assert tampered.status_code == 403
    assert other.call("POST", f"/gallery/{item_id}/download", json={})["downloads"] == 1  # downloaders, not calls
    assert other.community()[item_id]["isDownloaded"] is True and owner.community()[item_id]["isDownloaded"] is False
    mine = {item["id"]: item for item in owner.call("GET", "/gallery/personal", params={"limit": 100})["items"]}
    assert {k: mine[item_id][k] for k in ("isPublic", "tags", "downloads", "likes")} == {
        "isPublic": True, "tags": ["seascape", "art", "ai-generated"], "downloads": 1, "likes": 0,
    }

    # Unshared again: private to its owner once more.
    owner.call("POST", "/gallery/share", json={"itemId": item_id, "isPublic": False})
    assert item_id not in other.community() and item_id not in other.search("lighthouse")
    gone = requests.post(f"{other.base_url}/fomi/v1/gallery/{item_id}/download", json={}, headers=other.headers, timeout=30)
    assert gone.status_code == 404
    assert owner.call("POST", f"/gallery/{item_id}/download", json={})["downloads"] == 2  # the owner still may


def test_usage_counts_what_was_generated_and_charged(world):
    owner, other, lighthouse, lake = world
    usage = owner.call("GET", "/analytics/usage", params={"period": "7d"})
    assert set(usage) == {"success", "analytics"} and usage["success"] is True
    analytics = usage["analytics"]
    assert set(analytics) == {"generations", "credits", "models", "trends"}
    # Two generations completed (the cancelled one produced nothing).
    assert analytics["generations"] == {"total": 2, "images": 2, "videos": 0, "enhancements": 1}
    assert analytics["models"] == {"stable-diffusion": 2}
    ledger = requests.get(f"{owner.base_url}/v1/credits", params={"limit": 100}, headers=owner.headers, timeout=30).json()
    entries = [e for e in ledger["history"] if e["kind"] in ("charge", "refund")]
    charged = [-e["amount"] for e in ledger["history"] if e["kind"] == "charge"]
    assert len(charged) == 4 and any(e["kind"] == "refund" for e in entries)  # the cancelled one came back
    assert analytics["credits"]["used"] == -sum(e["amount"] for e in entries) > 0
    assert analytics["credits"]["remaining"] == ledger["balance"]
    # Efficiency: the completed generations' share of what the finished ones were charged.
    completed = sum(charged) - max(charged)  # the cancelled 4 x 50 steps cost the most
    assert analytics["credits"]["efficiency"] == round(completed / sum(charged), 2) < 1
    trends = analytics["trends"]
    today = dt.datetime.now(dt.UTC).date()
    assert [t["date"] for t in trends["daily"]] == [(today - dt.timedelta(days=n)).isoformat() for n in range(6, -1, -1)]
    assert trends["daily"][-1] == {"date": today.isoformat(), "generations": 2, "enhancements": 1, "credits": completed}
    assert all(t["generations"] == 0 for t in trends["daily"][:-1])
    for series in ("weekly", "monthly"):
        assert sum(t["generations"] for t in trends[series]) == 2 and sum(t["credits"] for t in trends[series]) == completed
    assert trends["monthly"][-1]["date"] == today.replace(day=1).isoformat()
    assert len(owner.call("GET", "/analytics/usage")["analytics"]["trends"]["daily"]) == 30  # default 30d
    assert len(owner.call("GET", "/analytics/usage", params={"period": "90d"})["analytics"]["trends"]["daily"]) == 90
    # Another user sees their own (none).
    assert other.call("GET", "/analytics/usage")["analytics"]["generations"]["total"] == 0
    bad = requests.get(f"{owner.base_url}/fomi/v1/analytics/usage", params={"period": "1y"}, headers=owner.headers, timeout=30)
    assert bad.status_code == 400 and error_code(bad) == "INVALID_PARAMETER"


def test_retention_takes_an_expired_generation_out_of_the_gallery(world, mesh):
    """Retention marks a job expired once its files are deleted (JobStore.mark_expired);
    its items, shared or not, go with it."""
    owner, other, _, _ = world
    generation = owner.finished(owner.generate("an old photograph of a harbour", images=1))
    shared = owner.call("POST", "/gallery/share", json={"itemId": generation["images"][0]["id"], "isPublic": True})["item"]
    other.call("POST", f"/gallery/{shared['id']}/like", json={})
    assert shared["id"] in other.search("harbour")

    async def expire():
        engine = create_async_engine(db.database_url())
        try:
            await JobStore(engine).mark_expired([generation["id"]])
        finally:
            await engine.dispose()

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATABASE_URL", mesh.service_env()["DATABASE_URL"])
        asyncio.run(expire())
    mine = owner.call("GET", "/gallery/personal", params={"limit": 100})
    assert shared["id"] not in {item["id"] for item in mine["items"]} and mine["pagination"]["total"] == 4
    assert shared["id"] not in other.community() and other.search("harbour") == []
    gone = requests.post(f"{other.base_url}/fomi/v1/gallery/{shared['id']}/like", json={}, headers=other.headers, timeout=30)
    assert gone.status_code == 404
