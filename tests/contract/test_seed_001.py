"""Seed 001 (Background Remover Pro) as its document shows it: every endpoint called
with the document's own example request through Envoy, every documented field
checked for its JSON type and nesting, the documented status codes and error
envelope, and the document's TypeScript login flow and WebSocket client run
under Node.

The seed is served as the "lumiku" dialect: each documented path P is at
/lumiku/v1 + P (the production base URL https://api.lumiku.com/v1) and at
/lumiku/api + P (the development base URL http://localhost:3000/api); the
background-remover paths are also at /v1/background-remover/...

Runtime is kept small: one pro account for the work, fresh accounts where a
case needs a plan or a balance of its own, and small images.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import pathlib
import re
import shutil
import subprocess
import time
import urllib.parse
import zipfile

import numpy as np
import pytest
import requests
from PIL import Image

from tests.conftest import register
from tests.contract.shapes import OneOf, assert_shape
from tests.samples import jpeg

pytestmark = pytest.mark.mesh

NODE_DIR = pathlib.Path(__file__).with_name("node")
BASES = ("/lumiku/v1", "/lumiku/api")
REMOVER_BASES = ("/lumiku/v1/background-remover", "/lumiku/api/background-remover", "/v1/background-remover")
MB = 1024 * 1024

TIER = OneOf("basic", "standard", "professional", "industry")
JOB_STATUS = OneOf("pending", "processing", "completed", "failed")
UPPER_SNAKE = re.compile(r"^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$")

# --- the document's shapes ---------------------------------------------------

ERROR = {
    "success": bool,
    "error": {"code": str, "message": str, "details": dict, "timestamp": str, "requestId": str},
}
LOGIN = {"token": str}
REMOVAL = {
    "success": bool,
    "data": {
        "jobId": str,
        "originalUrl": str,
        "processedUrl": str,
        "creditsUsed": int,
        "pricingType": str,
        "processingTimeMs": int,
        "tier": TIER,
        "metadata": {"originalSize": int, "processedSize": int, "width": int, "height": int, "format": str},
    },
}
BATCH_PRICING = {
    "baseCreditsPerImage": int,
    "baseTotal": int,
    "discountPercentage": int,
    "discountAmount": int,
    "finalTotal": int,
    "creditsPerImageAfterDiscount": float,
}
BATCH = {
    "success": bool,
    "data": {
        "batchId": str,
        "totalImages": int,
        "tier": TIER,
        "pricing": BATCH_PRICING,
        "estimatedCompletionMinutes": int,
        "status": str,
        "createdAt": str,
    },
}
PROGRESS = {"totalImages": int, "processedImages": int, "failedImages": int, "percentage": int}
BATCH_PROCESSING = {
    "success": bool,
    "data": {
        "batchId": str,
        "status": str,
        "progress": PROGRESS,
        "pricing": {"totalCredits": int, "discountPercentage": int},
        "timing": {"startedAt": str, "estimatedCompletionAt": str},
        "zipUrl": type(None),
    },
}
BATCH_COMPLETED = {
    "success": bool,
    "data": {"batchId": str, "status": str, "progress": PROGRESS, "zipUrl": str, "zipSizeBytes": int, "completedAt": str},
}
JOB = {
    "success": bool,
    "data": {
        "id": str,
        "status": JOB_STATUS,
        "tier": TIER,
        "originalUrl": str,
        "processedUrl": str,
        "creditsUsed": int,
        "pricingType": str,
        "processingTimeMs": int,
        "aiProvider": str,
        "modelName": str,
        "metadata": {"fileSizeBytes": int, "width": int, "height": int, "format": str},
        "createdAt": str,
        "completedAt": str,
    },
}
HISTORY = {
    "success": bool,
    "data": {
        "jobs": [{"id": str, "tier": TIER, "status": JOB_STATUS, "creditsUsed": int, "createdAt": str}],
        "pagination": {"page": int, "limit": int, "total": int, "totalPages": int, "hasNext": bool, "hasPrev": bool},
    },
}
QUOTA = {"limit": int, "used": int, "remaining": int}
SUBSCRIBED = {
    "success": bool,
    "data": {
        "hasSubscription": bool,
        "plan": str,
        "status": str,
        "pricing": {"monthlyPrice": int, "currency": str},
        "quotas": {"daily": {**QUOTA, "resetsAt": str}, "professionalTier": QUOTA},
        "allowedTiers": [TIER],
        "billing": {"nextBillingDate": str, "subscribedAt": str},
    },
}
AVAILABLE_PLAN = {"name": str, "price": int, "dailyQuota": int, "allowedTiers": [TIER]}
NO_SUBSCRIPTION = {"success": bool, "data": {"hasSubscription": bool, "availablePlans": [AVAILABLE_PLAN]}}
SUBSCRIBE = {
    "success": bool,
    "data": {"subscriptionId": str, "plan": str, "status": str, "nextBillingDate": str, "amountCharged": int},
}
CANCEL = {"success": bool, "data": {"message": str, "expiresAt": str, "remainingDays": int}}
AVATAR_BATCH = {
    "success": bool,
    "data": {"batchId": str, "projectId": str, "totalAvatars": int, "totalCredits": int, "discountPercentage": int},
}
AUTO_REMOVAL = {"success": bool, "data": {"jobId": str, "generatedImageId": str, "processedUrl": str, "creditsUsed": int}}
TIER_COUNT = {"count": int, "percentage": float}
STATS = {
    "success": bool,
    "data": {
        "period": str,
        "jobs": {"total": int, "completed": int, "failed": int, "successRate": float},
        "usage": {"totalCreditsUsed": int, "totalRevenue": int, "avgCreditsPerJob": float},
        "tierBreakdown": {tier: TIER_COUNT for tier in ("basic", "standard", "professional", "industry")},
        "subscriptions": {"active": int, "starter": int, "pro": int, "mrr": int},
    },
}
PRICE = {
    "success": bool,
    "data": {
        "imageCount": int,
        "tier": TIER,
        **BATCH_PRICING,
        "breakdown": {"costInIDR": int, "costInUSD": float, "savingsIDR": int},
    },
}
WS_PROGRESS = {
    "type": OneOf("progress"),
    "batchId": str,
    "processedImages": int,
    "totalImages": int,
    "percentage": int,
    "status": str,
}
WS_COMPLETED = {"type": OneOf("completed"), "batchId": str, "zipUrl": str, "processedImages": int, "failedImages": int}


# --- helpers -------------------------------------------------------------------


@dataclasses.dataclass
class User:
    id: str
    email: str
    password: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def new_user(origin: str, plan: str | None = None, **fields) -> User:
    """A registered account (Backdrop's POST /v1/auth/register), on `plan` if given."""
    made = register(origin, **fields)
    user = User(made["user"]["id"], made["user"]["email"], made["password"], made["token"])
    if plan:
        subscribe(origin, user, plan)
    return user


def subscribe(origin: str, user: User, plan: str) -> None:
    """Through Backdrop's own /v1/subscription, with the local provider's test card."""
    paid = requests.post(
        f"{origin}/v1/subscription", json={"plan": plan, "paymentMethodId": "pm_card_visa"}, headers=user.headers, timeout=30
    )
    assert paid.status_code == 201, paid.text


def when(stamp: str) -> dt.datetime:
    """An ISO 8601 timestamp as the document writes them ("2025-01-15T10:30:00Z"), aware."""
    assert isinstance(stamp, str) and stamp, f"not a timestamp: {stamp!r}"
    parsed = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    assert parsed.tzinfo is not None, f"timestamp without a zone: {stamp!r}"
    return parsed


def ok(response: requests.Response, status: int = 200) -> dict:
    """A success body: the status, JSON, and success: true."""
    assert response.status_code == status, f"{response.request.method} {response.url}: {response.status_code} {response.text[:500]}"
    assert response.headers.get("content-type", "").startswith("application/json"), response.headers.get("content-type")
    body = response.json()
    assert body.get("success") is True, body
    return body


def assert_error(response: requests.Response, status: int, code: str | None = None) -> dict:
    """Seed 001's error envelope: {success: false, error: {code, message, details, timestamp, requestId}}."""
    assert response.status_code == status, f"{response.request.method} {response.url}: {response.status_code} {response.text[:500]}"
    assert response.headers.get("content-type", "").startswith("application/json"), response.headers.get("content-type")
    body = response.json()
    assert_shape(body, ERROR)
    assert set(body) == {"success", "error"}, f"undocumented keys at the top of the envelope: {body!r}"
    assert set(body["error"]) <= {"code", "message", "details", "timestamp", "requestId"}, body
    assert body["success"] is False
    error = body["error"]
    assert UPPER_SNAKE.match(error["code"]), error
    assert error["message"], error
    when(error["timestamp"])
    assert error["requestId"] and error["requestId"] == response.headers.get("x-request-id"), (error, response.headers)
    if code is not None:
        assert error["code"] == code, error
    return error


def fetch(origin: str, url: str) -> requests.Response:
    """A URL from a response: absolute, or a path on the server."""
    response = requests.get(urllib.parse.urljoin(origin + "/", url), timeout=60)
    assert response.status_code == 200, f"GET {url}: {response.status_code} {response.text[:300]}"
    return response


def rgba_png(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG" and image.mode == "RGBA", (image.format, image.mode)
    return image


def remove(api: str, user: User, upload: bytes, tier: str | None, filename: str = "image.jpg") -> requests.Response:
    """The cURL example: -F image=@... -F tier=..."""
    data = {"tier": tier} if tier is not None else {}
    return requests.post(f"{api}/remove", files={"image": (filename, upload, "image/jpeg")}, data=data, headers=user.headers, timeout=120)


def start_batch(api: str, user: User, images: list[tuple[str, bytes]], tier: str) -> requests.Response:
    """The cURL example: -F tier=... -F images=@... -F images=@..."""
    files = [("images", (name, data, "image/jpeg")) for name, data in images]
    return requests.post(f"{api}/batch", files=files, data={"tier": tier}, headers=user.headers, timeout=120)


def wait_batch(api: str, user: User, batch_id: str, timeout: float = 180) -> dict:
    """Polls the batch status once a second (well inside the status class's 120 a minute)."""
    deadline = time.monotonic() + timeout
    while True:
        body = ok(requests.get(f"{api}/batch/{batch_id}", headers=user.headers, timeout=30))
        if body["data"]["status"] in ("completed", "failed"):
            return body
        assert time.monotonic() < deadline, body
        time.sleep(1.0)


def balance(origin: str, user: User) -> int:
    response = requests.get(f"{origin}/v1/credits", headers=user.headers, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["balance"]


def resized(photo: bytes, size: int) -> bytes:
    return jpeg(np.asarray(Image.open(io.BytesIO(photo)).convert("RGB").resize((size, size))))


def tiny_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


# --- fixtures --------------------------------------------------------------------


@pytest.fixture(scope="module")
def origin(mesh) -> str:
    return mesh.base_url


@pytest.fixture(scope="module")
def api(origin) -> str:
    """The document's production base URL with the background-remover prefix."""
    return f"{origin}/lumiku/v1/background-remover"


@pytest.fixture(scope="module")
def small(photo) -> bytes:
    return resized(photo, 128)


@pytest.fixture(scope="module")
def medium(photo) -> bytes:
    return resized(photo, 256)


@pytest.fixture(scope="module")
def pro(origin) -> User:
    """The account most cases share: on pro (every tier, 5000 credits, endpoint limits)."""
    return new_user(origin, plan="pro")


@pytest.fixture(scope="module")
def single(api, pro, small) -> tuple[bytes, requests.Response]:
    """Endpoint 1 with the cURL example's fields (tier=professional)."""
    return small, remove(api, pro, small, "professional")


@pytest.fixture(scope="module")
def batch(api, pro, medium, photo) -> dict:
    """Endpoint 2 with three images and one that cannot be decoded; its first status
    (taken at once, while it runs) and its last."""
    images = [(f"image{n}.jpg", medium) for n in (1, 2, 3)] + [("image4.jpg", photo[:2000])]
    created = start_batch(api, pro, images, "standard")
    body = ok(created, 201)
    batch_id = body["data"]["batchId"]
    first = requests.get(f"{api}/batch/{batch_id}", headers=pro.headers, timeout=30)
    return {"created": body, "first": first, "final": wait_batch(api, pro, batch_id)}


# --- login -----------------------------------------------------------------------------


def test_login_at_both_base_urls_gives_a_working_token(origin):
    user = new_user(origin)
    for base in BASES:
        response = requests.post(f"{origin}{base}/auth/login", json={"email": user.email, "password": user.password}, timeout=30)
        assert response.status_code == 200, response.text
        body = response.json()
        assert_shape(body, LOGIN)
        mine = requests.get(f"{origin}{base}/background-remover/jobs", headers={"Authorization": f"Bearer {body['token']}"}, timeout=30)
        ok(mine)
    wrong = requests.post(f"{origin}/lumiku/v1/auth/login", json={"email": user.email, "password": "not the password"}, timeout=30)
    assert_error(wrong, 401, "UNAUTHORIZED")


# --- 1. remove ------------------------------------------------------------------------


def test_remove_single_image(origin, single):
    upload, response = single
    body = ok(response)
    assert_shape(body, REMOVAL)
    data = body["data"]
    assert data["tier"] == "professional" and data["creditsUsed"] == 15 and data["pricingType"] == "credits"
    assert data["processingTimeMs"] >= 0
    meta = data["metadata"]
    assert meta["originalSize"] == len(upload)
    assert (meta["width"], meta["height"]) == (128, 128) and meta["format"] == "png"
    cutout = fetch(origin, data["processedUrl"]).content
    assert meta["processedSize"] == len(cutout)
    assert rgba_png(cutout).size == (128, 128)
    assert fetch(origin, data["originalUrl"]).content == upload


@pytest.mark.parametrize("base", REMOVER_BASES[1:])
def test_remove_at_the_other_base_urls(origin, base, pro, small):
    data = ok(remove(f"{origin}{base}", pro, small, "basic"))["data"]
    assert data["tier"] == "basic" and data["creditsUsed"] == 4
    assert rgba_png(fetch(origin, data["processedUrl"]).content).size == (128, 128)


# --- 2-4. batches ----------------------------------------------------------------------


def test_start_batch_is_201_with_its_pricing(batch):
    body = batch["created"]
    assert_shape(body, BATCH)
    data = body["data"]
    assert data["totalImages"] == 4 and data["tier"] == "standard" and data["status"] == "pending"
    assert {k: data["pricing"][k] for k in BATCH_PRICING} == {
        "baseCreditsPerImage": 8, "baseTotal": 32, "discountPercentage": 0, "discountAmount": 0, "finalTotal": 32,
        "creditsPerImageAfterDiscount": 8,
    }
    assert data["estimatedCompletionMinutes"] >= 1
    when(data["createdAt"])


def test_batch_status_while_processing(batch):
    body = ok(batch["first"])
    assert body["data"]["status"] != "completed", "the batch ended before its first status: this case needs a slower batch"
    assert_shape(body, BATCH_PROCESSING)
    data = body["data"]
    assert data["batchId"] == batch["created"]["data"]["batchId"]
    assert data["status"] in ("pending", "processing")
    progress = data["progress"]
    assert progress["totalImages"] == 4 and progress["percentage"] < 100
    assert progress["processedImages"] + progress["failedImages"] < 4
    assert data["pricing"] == {"totalCredits": 32, "discountPercentage": 0}
    assert when(data["timing"]["estimatedCompletionAt"]) >= when(data["timing"]["startedAt"])
    assert data["zipUrl"] is None


def test_batch_status_when_completed(batch):
    body = batch["final"]
    assert_shape(body, BATCH_COMPLETED)
    data = body["data"]
    assert data["status"] == "completed"
    assert data["progress"] == {"totalImages": 4, "processedImages": 3, "failedImages": 1, "percentage": 100}
    assert when(data["completedAt"]) >= when(batch["created"]["data"]["createdAt"])
    assert data["zipSizeBytes"] > 0


def test_batch_zip_download(origin, api, pro, batch):
    data = batch["final"]["data"]
    batch_id = data["batchId"]
    urls = {f"{api}/batch/{batch_id}/download", urllib.parse.urljoin(origin + "/", data["zipUrl"])}
    for url in urls:
        download = requests.get(url, headers=pro.headers, timeout=120)
        assert download.status_code == 200, (url, download.text[:300])
        assert download.headers["content-type"] == "application/zip"
        assert download.headers["content-disposition"] == f'attachment; filename="{batch_id}.zip"'
        assert len(download.content) == data["zipSizeBytes"]
        archive = zipfile.ZipFile(io.BytesIO(download.content))
        assert sorted(archive.namelist()) == ["removed-image1.png", "removed-image2.png", "removed-image3.png"]
        for name in archive.namelist():
            assert rgba_png(archive.read(name)).size == (256, 256)


def test_a_batch_that_is_not_yours_is_404(origin, api, batch):
    batch_id = batch["created"]["data"]["batchId"]
    other = new_user(origin)
    assert_error(requests.get(f"{api}/batch/{batch_id}", headers=other.headers, timeout=30), 404)
    assert_error(requests.get(f"{api}/batch/{batch_id}/download", headers=other.headers, timeout=30), 404)
    unknown = "00000000-0000-4000-8000-000000000001"
    assert_error(requests.get(f"{api}/batch/{unknown}", headers=other.headers, timeout=30), 404)
    assert_error(requests.get(f"{api}/batch/batch_xyz789", headers=other.headers, timeout=30), 404)


# --- 5. job details -----------------------------------------------------------------------


def test_job_details(origin, api, pro, single):
    upload, response = single
    removed = ok(response)["data"]
    body = ok(requests.get(f"{api}/jobs/{removed['jobId']}", headers=pro.headers, timeout=30))
    assert_shape(body, JOB)
    data = body["data"]
    assert data["id"] == removed["jobId"] and data["status"] == "completed" and data["tier"] == "professional"
    assert data["creditsUsed"] == 15 and data["pricingType"] == "credits" and data["processingTimeMs"] >= 0
    assert data["aiProvider"] and data["modelName"]
    # The document's job metadata describes the original: its size in bytes and format ("jpg").
    assert data["metadata"] == {**data["metadata"], "fileSizeBytes": len(upload), "width": 128, "height": 128, "format": "jpg"}
    assert when(data["completedAt"]) >= when(data["createdAt"])
    assert fetch(origin, data["originalUrl"]).content == upload
    assert rgba_png(fetch(origin, data["processedUrl"]).content).size == (128, 128)


def test_job_details_of_an_unknown_or_someone_elses_job_is_404(origin, api, single):
    job_id = ok(single[1])["data"]["jobId"]
    other = new_user(origin)
    assert_error(requests.get(f"{api}/jobs/{job_id}", headers=other.headers, timeout=30), 404)
    assert_error(requests.get(f"{api}/jobs/job_abc123", headers=other.headers, timeout=30), 404)


# --- 6. job history -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def history_user(origin, api, small, photo) -> User:
    """Three jobs of a fresh account: basic and standard completed, then a basic one that fails."""
    user = new_user(origin)
    assert ok(remove(api, user, small, "basic"))["data"]["creditsUsed"] == 4
    assert ok(remove(api, user, small, "standard"))["data"]["creditsUsed"] == 8
    assert_error(remove(api, user, photo[:2000], "basic"), 400)  # decodes as nothing: a failed job
    return user


def test_job_history_with_every_filter_sort_and_page(api, history_user):
    def history(query: str) -> dict:
        body = ok(requests.get(f"{api}/jobs{query}", headers=history_user.headers, timeout=30))
        assert_shape(body, HISTORY)
        return body["data"]

    example = history("?page=1&limit=20&status=completed")  # the document's request
    assert example["pagination"] == {"page": 1, "limit": 20, "total": 2, "totalPages": 1, "hasNext": False, "hasPrev": False}
    assert [j["status"] for j in example["jobs"]] == ["completed", "completed"]

    everything = history("")
    assert everything["pagination"] == {"page": 1, "limit": 20, "total": 3, "totalPages": 1, "hasNext": False, "hasPrev": False}
    for job in everything["jobs"]:
        when(job["createdAt"])
    assert [j["status"] for j in history("?status=failed")["jobs"]] == ["failed"]
    assert [j["tier"] for j in history("?tier=standard")["jobs"]] == ["standard"]
    assert sorted(j["status"] for j in history("?tier=basic")["jobs"]) == ["completed", "failed"]

    today = dt.datetime.now(dt.UTC).date()
    assert history(f"?startDate={today - dt.timedelta(days=1)}&endDate={today + dt.timedelta(days=1)}")["pagination"]["total"] == 3
    assert history("?startDate=2099-01-01")["pagination"]["total"] == 0
    assert history("?endDate=2000-01-01")["pagination"]["total"] == 0

    assert [j["creditsUsed"] for j in history("?status=completed&sortBy=creditsUsed&sortOrder=asc")["jobs"]] == [4, 8]
    assert [j["creditsUsed"] for j in history("?status=completed&sortBy=creditsUsed&sortOrder=desc")["jobs"]] == [8, 4]
    oldest_first = history("?sortBy=createdAt&sortOrder=asc")["jobs"]
    newest_first = history("?sortBy=createdAt&sortOrder=desc")["jobs"]
    assert [when(j["createdAt"]) for j in oldest_first] == sorted(when(j["createdAt"]) for j in oldest_first)
    assert [when(j["createdAt"]) for j in newest_first] == sorted((when(j["createdAt"]) for j in newest_first), reverse=True)
    assert {j["id"] for j in oldest_first} == {j["id"] for j in newest_first} and len(oldest_first) == 3

    middle = history("?sortBy=createdAt&sortOrder=desc&limit=1&page=2")
    assert middle["pagination"] == {"page": 2, "limit": 1, "total": 3, "totalPages": 3, "hasNext": True, "hasPrev": True}
    assert [j["id"] for j in middle["jobs"]] == [newest_first[1]["id"]]
    last = history("?sortBy=createdAt&sortOrder=desc&limit=1&page=3")
    assert last["pagination"]["hasNext"] is False and last["pagination"]["hasPrev"] is True
    assert history("?limit=100")["pagination"]["limit"] == 100

    # limit: "max: 100": past it, either refused or held to 100.
    over = requests.get(f"{api}/jobs?limit=101", headers=history_user.headers, timeout=30)
    if over.status_code == 400:
        assert_error(over, 400)
    else:
        assert ok(over)["data"]["pagination"]["limit"] == 100
    assert_error(requests.get(f"{api}/jobs?sortBy=size", headers=history_user.headers, timeout=30), 400)
    assert_error(requests.get(f"{api}/jobs?sortOrder=sideways", headers=history_user.headers, timeout=30), 400)


# --- 7-9. subscription ---------------------------------------------------------------------


def test_subscription_get_post_delete(origin, api):
    user = new_user(origin)  # a free account: no subscription
    none = ok(requests.get(f"{api}/subscription", headers=user.headers, timeout=30))
    assert_shape(none, NO_SUBSCRIPTION)
    assert none["data"]["hasSubscription"] is False
    plans = {plan["name"]: plan for plan in none["data"]["availablePlans"]}
    assert {"starter", "pro"} <= set(plans)
    assert plans["starter"]["price"] == 99000 and {"basic", "standard"} <= set(plans["starter"]["allowedTiers"])
    assert plans["pro"]["price"] == 299000 and {"basic", "standard", "professional"} <= set(plans["pro"]["allowedTiers"])
    assert_shape(plans["pro"], {**AVAILABLE_PLAN, "professionalQuota": int})

    # The document's request: its example payment method is not a real one, and nothing is charged.
    declined = requests.post(f"{api}/subscription", json={"plan": "pro", "paymentMethodId": "pm_abc123"}, headers=user.headers, timeout=30)
    assert_error(declined, 402, "PAYMENT_DECLINED")

    created = ok(
        requests.post(f"{api}/subscription", json={"plan": "pro", "paymentMethodId": "pm_card_visa"}, headers=user.headers, timeout=30),
        201,
    )
    assert_shape(created, SUBSCRIBE)
    assert created["data"]["plan"] == "pro" and created["data"]["status"] == "active" and created["data"]["amountCharged"] == 299000
    next_billing = when(created["data"]["nextBillingDate"])

    status = ok(requests.get(f"{api}/subscription", headers=user.headers, timeout=30))
    assert_shape(status, SUBSCRIBED)
    data = status["data"]
    assert data["hasSubscription"] is True and data["plan"] == "pro" and data["status"] == "active"
    assert data["pricing"] == {"monthlyPrice": 299000, "currency": "IDR"}
    daily = data["quotas"]["daily"]
    assert daily["remaining"] == daily["limit"] - daily["used"] and when(daily["resetsAt"]) > dt.datetime.now(dt.UTC)
    professional = data["quotas"]["professionalTier"]
    assert professional["remaining"] == professional["limit"] - professional["used"]
    assert {"basic", "standard", "professional"} <= set(data["allowedTiers"])
    assert when(data["billing"]["nextBillingDate"]) == next_billing
    assert dt.timedelta(days=28) <= next_billing - when(data["billing"]["subscribedAt"]) <= dt.timedelta(days=31)

    cancelled = ok(requests.delete(f"{api}/subscription", headers=user.headers, timeout=30))
    assert_shape(cancelled, CANCEL)
    assert cancelled["data"]["message"] == "Subscription cancelled successfully"
    assert when(cancelled["data"]["expiresAt"]) == next_billing
    assert 28 <= cancelled["data"]["remainingDays"] <= 31


# --- 10-11. integrations ------------------------------------------------------------------------


def test_avatar_creator_batch_of_a_projects_images(origin, api, small):
    # An account of its own: a batch start's burst is 2 (plans.json), and this case starts two.
    owner = new_user(origin, plan="pro")
    project = requests.post(f"{origin}/v1/projects", json={"name": "Avatars", "type": "image"}, headers=owner.headers, timeout=30)
    assert project.status_code in (200, 201), project.text
    project_id = project.json()["id"]
    for n in range(2):
        added = requests.post(
            f"{origin}/v1/projects/{project_id}/images", files={"file": (f"avatar{n}.jpg", small, "image/jpeg")}, headers=owner.headers, timeout=60
        )
        assert added.status_code in (200, 201), added.text

    body = ok(
        requests.post(
            f"{api}/integrations/avatar-creator/batch", json={"projectId": project_id, "tier": "professional"}, headers=owner.headers, timeout=60
        ),
        201,
    )
    assert_shape(body, AVATAR_BATCH)
    data = body["data"]
    assert data["projectId"] == project_id and data["totalAvatars"] == 2
    assert data["totalCredits"] == 30 and data["discountPercentage"] == 0
    done = wait_batch(api, owner, data["batchId"])["data"]
    assert done["status"] == "completed" and done["progress"]["totalImages"] == 2 and done["progress"]["processedImages"] == 2

    other = new_user(origin, plan="starter")
    refused = requests.post(
        f"{api}/integrations/avatar-creator/batch", json={"projectId": project_id, "tier": "basic"}, headers=other.headers, timeout=30
    )
    assert_error(refused, 404)
    unknown = requests.post(
        f"{api}/integrations/avatar-creator/batch", json={"projectId": "proj_abc123", "tier": "professional"}, headers=owner.headers, timeout=30
    )
    assert_error(unknown, 404)


def generated_image(origin: str, user: User) -> dict:
    """One image made by POST /v1/images/generate (the tiny test pipeline), once finished."""
    body = {"prompt": "a person standing, full body", "seed": 7, "steps": 10, "numImages": 1, "aspectRatio": "1:1"}
    started = requests.post(f"{origin}/v1/images/generate", json=body, headers=user.headers, timeout=120)
    assert started.status_code in (200, 202), started.text
    generation_id = started.json()["generation"]["id"]
    deadline = time.monotonic() + 120
    while True:
        generation = requests.get(f"{origin}/v1/images/generate/{generation_id}", headers=user.headers, timeout=30).json()["generation"]
        if generation["status"] in ("completed", "failed"):
            assert generation["status"] == "completed", generation
            return generation["images"][0]
        assert time.monotonic() < deadline, generation
        time.sleep(0.5)


def test_pose_generator_auto_remove(origin, api, pro):
    image = generated_image(origin, pro)
    response = requests.post(
        f"{api}/integrations/pose-generator/auto-remove", json={"generatedImageId": image["id"], "tier": "standard"},
        headers=pro.headers, timeout=120,
    )
    body = ok(response)
    assert_shape(body, AUTO_REMOVAL)
    data = body["data"]
    assert data["generatedImageId"] == image["id"] and data["creditsUsed"] == 8
    assert rgba_png(fetch(origin, data["processedUrl"]).content).size == (image["width"], image["height"])
    job = ok(requests.get(f"{api}/jobs/{data['jobId']}", headers=pro.headers, timeout=30))["data"]
    assert job["status"] == "completed" and job["tier"] == "standard" and job["creditsUsed"] == 8

    for caller, image_id in ((pro, "pose_gen_001"), (new_user(origin), image["id"])):
        missing = requests.post(
            f"{api}/integrations/pose-generator/auto-remove", json={"generatedImageId": image_id, "tier": "standard"},
            headers=caller.headers, timeout=30,
        )
        assert_error(missing, 404)


# --- 12. admin stats --------------------------------------------------------------------------------


def test_admin_stats(api, admin_bearer, pro, single):
    ok(single[1])  # at least one job in the period
    body = ok(requests.get(f"{api}/admin/stats?period=30d", headers=admin_bearer, timeout=30))
    assert_shape(body, STATS)
    data = body["data"]
    assert data["period"] == "30d"
    jobs = data["jobs"]
    assert jobs["total"] >= jobs["completed"] + jobs["failed"] and jobs["completed"] >= 1
    assert 0 < jobs["successRate"] <= 100
    assert data["usage"]["totalCreditsUsed"] > 0 and data["usage"]["avgCreditsPerJob"] > 0
    assert abs(sum(t["percentage"] for t in data["tierBreakdown"].values()) - 100) < 1
    subscriptions = data["subscriptions"]
    assert subscriptions["active"] >= subscriptions["pro"] >= 1 and subscriptions["mrr"] >= 299000

    refused = assert_error(requests.get(f"{api}/admin/stats?period=30d", headers=pro.headers, timeout=30), 403)
    assert refused["code"] in ("FORBIDDEN", "INSUFFICIENT_PERMISSIONS")


# --- 13. pricing calculator -------------------------------------------------------------------------


def test_pricing_calculator_gives_the_documents_numbers(api, pro):
    body = ok(requests.post(f"{api}/pricing/calculate", json={"imageCount": 100, "tier": "standard"}, headers=pro.headers, timeout=30))
    assert_shape(body, PRICE)
    expected = {
        "imageCount": 100, "tier": "standard", "baseCreditsPerImage": 8, "baseTotal": 800, "discountPercentage": 10,
        "discountAmount": 80, "finalTotal": 720, "creditsPerImageAfterDiscount": 7.2,
        "breakdown": {"costInIDR": 72000, "costInUSD": 4.8, "savingsIDR": 8000},
    }
    assert {k: body["data"][k] for k in expected} == expected


def test_every_route_answers_at_every_base_url(origin, pro, single, batch):
    """The same reads at /lumiku/v1, /lumiku/api and /v1/background-remover."""
    job_id = ok(single[1])["data"]["jobId"]
    batch_id = batch["created"]["data"]["batchId"]
    for base in REMOVER_BASES:
        url = f"{origin}{base}"
        price = ok(requests.post(f"{url}/pricing/calculate", json={"imageCount": 50, "tier": "basic"}, headers=pro.headers, timeout=30))
        assert price["data"]["discountPercentage"] == 5 and price["data"]["finalTotal"] == 190
        assert ok(requests.get(f"{url}/jobs/{job_id}", headers=pro.headers, timeout=30))["data"]["id"] == job_id
        assert ok(requests.get(f"{url}/batch/{batch_id}", headers=pro.headers, timeout=30))["data"]["batchId"] == batch_id
        assert ok(requests.get(f"{url}/jobs?limit=1", headers=pro.headers, timeout=30))["data"]["pagination"]["limit"] == 1
        assert ok(requests.get(f"{url}/subscription", headers=pro.headers, timeout=30))["data"]["plan"] == "pro"


# --- errors ----------------------------------------------------------------------------------------------


def test_a_batch_of_one_image_is_400(origin, api, small):
    user = new_user(origin)
    # The document gives 400 for fewer than 2 images and names no code of its own for it (Backdrop's
    # is BATCH_TOO_SMALL): its clients get the enum's validation code.
    error = assert_error(start_batch(api, user, [("image1.jpg", small)], "basic"), 400, "INVALID_INPUT")
    assert error["details"].get("field") == "images"


def test_a_batch_of_501_images_is_400_before_any_work(origin, api):
    user = new_user(origin)
    images = [(f"image{n}.png", tiny_png()) for n in range(501)]
    error = assert_error(start_batch(api, user, images, "basic"), 400, "BATCH_TOO_LARGE")
    assert error["message"]
    assert balance(origin, user) == 100  # nothing charged
    assert ok(requests.get(f"{api}/jobs", headers=user.headers, timeout=30))["data"]["pagination"]["total"] == 0


def test_an_invalid_or_missing_tier_is_400(origin, api, small):
    user = new_user(origin)
    # The document names no code for a bad tier: its enum's validation codes.
    assert_error(remove(api, user, small, "ultra"), 400, "INVALID_INPUT")
    assert_error(remove(api, user, small, None), 400, "MISSING_REQUIRED_FIELD")
    assert_error(start_batch(api, user, [("a.jpg", small), ("b.jpg", small)], "ultra"), 400, "INVALID_INPUT")
    priced = requests.post(f"{api}/pricing/calculate", json={"imageCount": 10, "tier": "ultra"}, headers=user.headers, timeout=30)
    assert_error(priced, 400, "INVALID_INPUT")
    assert balance(origin, user) == 100


def test_a_file_over_10_mb_is_400(origin, api, small):
    user = new_user(origin)
    large = small + b"\0" * (10 * MB)  # a JPEG with padding after its end: 10 MB and more
    assert_error(remove(api, user, large, "basic"), 400, "FILE_TOO_LARGE")
    assert balance(origin, user) == 100


def test_a_tier_the_plan_does_not_allow_is_403(origin, api, small):
    user = new_user(origin)  # free: basic and standard
    assert_error(remove(api, user, small, "professional"), 403, "TIER_NOT_ALLOWED")
    assert balance(origin, user) == 100


def test_insufficient_credits_is_402_with_the_documents_details(origin, api, admin_bearer, small):
    """The document's example error: 15 credits needed, 8 available, at the professional tier."""
    user = new_user(origin, plan="starter")
    grant = requests.post(
        f"{origin}/v1/admin/credits", json={"user_id": user.id, "amount": 8 - balance(origin, user), "reason": "test"},
        headers=admin_bearer, timeout=30,
    )
    assert grant.status_code == 200, grant.text
    assert balance(origin, user) == 8
    error = assert_error(remove(api, user, small, "professional"), 402, "INSUFFICIENT_CREDITS")
    assert error["message"] == "You need 15 credits but only have 8 available"
    assert error["details"] == {"required": 15, "available": 8, "tier": "professional"}
    error = assert_error(start_batch(api, user, [("a.jpg", small), ("b.jpg", small)], "standard"), 402, "INSUFFICIENT_CREDITS")
    assert error["details"] == {"required": 16, "available": 8, "tier": "standard"}
    assert balance(origin, user) == 8


@pytest.mark.parametrize("base", REMOVER_BASES)
def test_no_token_is_401_in_the_envelope(origin, base):
    assert_error(requests.get(f"{origin}{base}/jobs", timeout=30), 401, "UNAUTHORIZED")
    assert_error(requests.get(f"{origin}{base}/jobs", headers={"Authorization": "Bearer not-a-token"}, timeout=30), 401, "INVALID_TOKEN")


def test_an_unknown_path_is_404_in_the_envelope(origin, pro):
    for path in ("/lumiku/v1/no-such-endpoint", "/lumiku/api/no-such-endpoint", "/lumiku/v1/background-remover/no-such-endpoint"):
        assert_error(requests.get(f"{origin}{path}", headers=pro.headers, timeout=30), 404)


def test_single_remove_is_30_a_minute_burst_10_then_429(origin, api):
    """The Single Remove class (30 req/min, burst 10) on a plan with endpoint limits: a fresh
    account is on free. The requests carry no image, so each is a quick 400 at the gateway;
    the edge counts every request it is asked about, refused ones too, so 31 sent within one
    burst window are 10 let through, 20 past the burst and the 31st past the minute's 30."""
    user = new_user(origin)
    left = 20 - time.time() % 20
    if left < 8:  # burst windows are the clock's thirds of a minute: start early in one
        time.sleep(left + 0.2)
    replies = [
        requests.post(f"{api}/remove", files={"tier": (None, "basic")}, headers=user.headers, timeout=30) for _ in range(31)
    ]
    let_through, past_burst, past_minute = replies[:10], replies[10:30], replies[30]
    assert [r.status_code for r in replies] == [400] * 10 + [429] * 21, [r.text for r in replies]
    assert [r.headers.get("x-ratelimit-limit") for r in replies] == ["30"] * 31, [dict(r.headers) for r in replies[-1:]]
    assert [int(r.headers["x-ratelimit-remaining"]) for r in let_through] == list(range(9, -1, -1))
    assert all(r.headers.get("x-ratelimit-remaining") == "0" for r in replies[10:]), [dict(r.headers) for r in replies[-1:]]
    for reply in replies:
        reset = int(reply.headers["x-ratelimit-reset"])
        assert time.time() - 1 <= reset <= time.time() + 61  # a Unix time, within the minute window

    def refusal(reply: requests.Response, limit: int, window: str, longest: int) -> None:
        error = assert_error(reply, 429, "RATE_LIMIT_EXCEEDED")
        retry_after = error["details"]["retryAfter"]
        assert error["details"] == {"retryAfter": retry_after, "limit": limit, "window": window}
        assert isinstance(retry_after, int) and 1 <= retry_after <= longest
        assert error["message"] == f"Too many requests. Please try again in {retry_after} seconds"
        assert int(reply.headers["retry-after"]) == retry_after

    for reply in past_burst:
        refusal(reply, 10, "20 seconds", 20)
    refusal(past_minute, 30, "1 minute", 60)  # the document's example body


# --- the document's TypeScript, under Node -----------------------------------------------------------


def node_or_skip() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not on PATH: seed 001's TypeScript login flow and WebSocket client run under Node")
    return node


def test_the_documents_login_flow_under_node(origin, small, tmp_path):
    """Its "Example Login Flow", with its own example account, against the development base URL."""
    node = node_or_skip()
    made = requests.post(
        f"{origin}/v1/auth/register", json={"email": "user@example.com", "password": "password123", "name": "Example User"}, timeout=30
    )
    assert made.status_code in (201, 409), made.text  # 409: made by an earlier run on this mesh
    login = requests.post(f"{origin}/lumiku/v1/auth/login", json={"email": "user@example.com", "password": "password123"}, timeout=30)
    user = User("", "user@example.com", "password123", login.json()["token"])
    if made.status_code == 201:
        subscribe(origin, user, "starter")  # the cURL example's tier=professional needs a plan that has it

    script = (NODE_DIR / "login_flow.mjs").read_text().replace("'/api/", f"'{origin}/lumiku/api/")
    (tmp_path / "flow.mjs").write_text(script)
    (tmp_path / "photo.jpg").write_bytes(small)
    ran = subprocess.run([node, "flow.mjs", "photo.jpg"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr
    out = json.loads(ran.stdout.strip().splitlines()[-1])
    assert out["loginStatus"] == 200 and out["token"]
    assert out["status"] == 200, out["body"]
    assert_shape(out["body"], REMOVAL)
    assert out["body"]["data"]["tier"] == "professional" and out["body"]["data"]["creditsUsed"] == 15


def node_websocket(node: str, cache: pathlib.Path) -> tuple[list[str], str | None]:
    """(node's argv, the line replacing `import WebSocket from 'ws'` or None to keep it).
    The npm `ws` package is installed once into the pytest cache; without the registry,
    Node's built-in WebSocket with `on` mapped to addEventListener."""
    if not (cache / "node_modules" / "ws" / "package.json").exists() and shutil.which("npm"):
        subprocess.run(
            ["npm", "install", "--prefix", str(cache), "--no-audit", "--no-fund", "--no-save", "ws@8"],
            capture_output=True, text=True, timeout=120,
        )
    if (cache / "node_modules" / "ws" / "package.json").exists():
        return [node], None
    shim = (
        "class WebSocket extends globalThis.WebSocket { on(event, listener) { "
        "this.addEventListener(event, (e) => listener(event === 'message' ? e.data : e)) } }"
    )
    for argv in ([node], [node, "--experimental-websocket"]):
        probe = subprocess.run([*argv, "-e", "process.exit(typeof WebSocket === 'function' ? 0 : 1)"], capture_output=True, timeout=30)
        if probe.returncode == 0:
            return argv, shim
    pytest.skip("npm could not install `ws` and this Node has no built-in WebSocket (Node >= 22, or 20 with --experimental-websocket)")


def test_the_documents_websocket_client_under_node(origin, api, medium, tmp_path_factory, tmp_path):
    node = node_or_skip()
    watcher = new_user(origin, plan="pro")  # its own batch start (the class's burst is 2)
    cache = tmp_path_factory.getbasetemp() / "seed-001-node-ws"  # npm's `ws`, installed once per session
    cache.mkdir(exist_ok=True)
    argv, shim = node_websocket(node, cache)
    batch_id = ok(start_batch(api, watcher, [(f"image{n}.jpg", medium) for n in range(6)], "standard"), 201)["data"]["batchId"]

    script = (NODE_DIR / "websocket_flow.mjs").read_text()
    if shim is not None:
        script = script.replace("import WebSocket from 'ws'", shim)
    host = urllib.parse.urlsplit(origin).netloc
    script = (
        script.replace("'wss://api.lumiku.com/v1", f"'ws://{host}/lumiku/v1")
        .replace("'YOUR_JWT_TOKEN'", f"'{watcher.token}'")
        .replace("'batch_xyz789'", f"'{batch_id}'")
    )
    (tmp_path / "client.mjs").write_text(script)
    if not (tmp_path / "node_modules").exists() and (cache / "node_modules").exists():
        (tmp_path / "node_modules").symlink_to(cache / "node_modules")
    ran = subprocess.run([*argv, "client.mjs"], cwd=tmp_path, capture_output=True, text=True, timeout=150)
    assert ran.returncode == 0, (ran.stdout, ran.stderr)
    lines = ran.stdout.splitlines()
    messages = [json.loads(line[len("MESSAGE "):]) for line in lines if line.startswith("MESSAGE ")]
    assert messages and len([line for line in lines if line.startswith("Progress:")]) == len(messages)  # the document's own log line

    *progress, completed = messages
    assert progress, f"no progress message before the end: {messages}"
    for update in progress:
        assert_shape(update, WS_PROGRESS)
        assert update["batchId"] == batch_id and update["totalImages"] == 6 and update["status"] in ("pending", "processing")
    percentages = [update["percentage"] for update in progress]
    assert percentages == sorted(percentages) and percentages[-1] < 100
    assert_shape(completed, WS_COMPLETED)
    status = ok(requests.get(f"{api}/batch/{batch_id}", headers=watcher.headers, timeout=30))["data"]
    assert completed == {**completed, "batchId": batch_id, "zipUrl": status["zipUrl"], "processedImages": 6, "failedImages": 0}
    assert requests.get(urllib.parse.urljoin(origin + "/", completed["zipUrl"]), headers=watcher.headers, timeout=60).status_code == 200
