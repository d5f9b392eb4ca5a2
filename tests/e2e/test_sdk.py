"""The Python SDK (deploy/sdk, package backdrop_sdk) against the real mesh: seed 001's
Python example as its document writes it, Backdrop's own API sync and async, retries
on 429/503 (a local server of the test's own that refuses first), and idempotency (a
create whose answer is lost is retried as the same job, charged once)."""

from __future__ import annotations

import asyncio
import http.server
import io
import json
import shutil
import subprocess
import sys
import threading
import time
import zipfile

import numpy as np
import pytest
import requests
from PIL import Image

from backdrop_sdk import (
    AsyncBackgroundRemoverClient, AsyncClient, AuthenticationError, BackgroundRemoverClient, Client, InsufficientCreditsError,
    InvalidRequestError, NotFoundError, RateLimitError, RetryPolicy, ServerError,
)
from tests.conftest import REPO, register
from tests.contract.accounts import api_key, on_plan
from tests.samples import jpeg

pytestmark = pytest.mark.mesh


@pytest.fixture(scope="module")
def small(astronaut) -> bytes:
    return jpeg(np.asarray(Image.fromarray(astronaut).resize((128, 128))))


@pytest.fixture(scope="module")
def pro(mesh) -> dict:
    """An account on pro (the example's professional tier) with an API key."""
    account = on_plan(mesh.base_url, "pro")
    return {**account, "key": api_key(mesh.base_url, account["headers"])}


def cutout(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG" and image.mode == "RGBA", (image.format, image.mode)
    alpha = np.asarray(image)[..., 3]
    assert alpha.min() == 0 and alpha.max() == 255, "a cut-out has transparent and opaque pixels"
    return image


def charges(base_url: str, headers: dict) -> list[dict]:
    history = requests.get(f"{base_url}/v1/credits?limit=100", headers=headers, timeout=30).json()["history"]
    return [entry for entry in history if entry["kind"] == "charge"]


# --- seed 001's Python example, as written (but its import line and base URL) ------------------------

SEED_001_EXAMPLE = '''
from backdrop_sdk import BackgroundRemoverClient
import time

client = BackgroundRemoverClient(api_key=API_KEY, base_url=BASE_URL)

# Single removal
with open('image.jpg', 'rb') as f:
    result = client.remove_single(
        image=f,
        tier='professional'
    )
    print(f"Processed URL: {result.processed_url}")

# Batch processing
batch = client.start_batch(
    images=['img1.jpg', 'img2.jpg', 'img3.jpg'],
    tier='standard'
)

# Poll for progress
while not batch.is_complete():
    progress = batch.get_progress()
    print(f"Progress: {progress.percentage}%")
    time.sleep(2)

# Download ZIP
batch.download_zip('output.zip')
'''


def test_seed_001_python_example_runs_as_written(base_url, pro, small, tmp_path):
    for name in ("image.jpg", "img1.jpg", "img2.jpg", "img3.jpg"):
        (tmp_path / name).write_bytes(small)
    before = sum(entry["amount"] for entry in charges(base_url, pro["headers"]))
    script = f"API_KEY = {pro['key']!r}\nBASE_URL = {base_url + '/lumiku/v1'!r}\n" + SEED_001_EXAMPLE
    run = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr
    (url,) = [line.split(": ", 1)[1] for line in run.stdout.splitlines() if line.startswith("Processed URL: ")]
    assert url.startswith(f"{base_url}/v1/files/")
    assert cutout(requests.get(url, timeout=30).content).size == (128, 128)
    assert all(0 <= int(line[10:-1]) <= 100 for line in run.stdout.splitlines() if line.startswith("Progress: "))
    archive = zipfile.ZipFile(tmp_path / "output.zip")
    assert sorted(archive.namelist()) == ["removed-img1.png", "removed-img2.png", "removed-img3.png"]
    for name in archive.namelist():
        assert cutout(archive.read(name)).size == (128, 128)
    # Charged once each: the professional image (15) and the batch of three standard ones (3 x 8).
    assert sum(entry["amount"] for entry in charges(base_url, pro["headers"])) == before - 15 - 3 * 8


def test_seed_001_batch_progress_callback_and_async_client(base_url, pro, small, tmp_path):
    seen = []

    async def flow():
        async with AsyncBackgroundRemoverClient(api_key=pro["key"], base_url=base_url, poll_interval=0.3) as client:
            single = await client.remove_single(image=small, tier="basic")
            batch = await client.start_batch(images=[small, small], tier="basic", onProgress=seen.append)
            assert (batch.total_images, batch.tier, batch.pricing["finalTotal"]) == (2, "basic", 8)
            done = await batch.wait_for_completion(timeout=120)
            path = await batch.download_zip(tmp_path / "async.zip")
            return single, done, path, await client.get_job(single.job_id)

    single, done, path, job = asyncio.run(flow())
    assert single.credits_used == 4 and single.tier == "basic" and single.metadata["format"] == "png"
    assert job["id"] == single.job_id and job["status"] == "completed"
    assert done.status == "completed" and done.progress.percentage == 100 and done.zip_url.endswith("/download")
    assert seen and seen[-1].percentage == 100 and seen[-1].processed_images == 2
    assert [p.percentage for p in seen] == sorted(p.percentage for p in seen)
    names = zipfile.ZipFile(path).namelist()
    assert sorted(names) == ["removed-image-2.png", "removed-image.png"]


def test_seed_001_errors_are_typed_with_the_envelopes_code(base_url, small):
    client = BackgroundRemoverClient(token=register(base_url)["token"], base_url=f"{base_url}/lumiku/v1")  # on free
    with pytest.raises(InvalidRequestError) as bad:
        client.start_batch(images=[small], tier="basic")
    assert (bad.value.status, bad.value.code) == (400, "INVALID_INPUT") and "at least 2" in bad.value.message
    with pytest.raises(NotFoundError) as missing:
        client.get_batch("00000000-0000-4000-8000-000000000001")
    assert missing.value.status == 404
    with pytest.raises(InsufficientCreditsError) as plan:
        client.remove_single(image=small, tier="professional")
    assert (plan.value.status, plan.value.code) == (403, "TIER_NOT_ALLOWED") and plan.value.request_id
    with pytest.raises(AuthenticationError) as unauthorised:
        BackgroundRemoverClient(api_key="bdp_not_a_key", base_url=base_url).remove_single(image=small)
    assert (unauthorised.value.status, unauthorised.value.code) == (401, "INVALID_TOKEN")


# --- Backdrop's own API ---------------------------------------------------------------------------------


def test_own_api_sync_login_remove_progress_credits_keys(base_url, account, small, tmp_path):
    with Client(base_url=base_url) as client:
        auth = client.login(account["user"]["email"], account["password"])
        assert auth["user"]["email"] == account["user"]["email"]
        result = client.remove_background(small, tier="basic", crop=True)
        assert result["tier"] == "basic" and result["credits_used"] == 4
        cutout(client.save(result["image"], tmp_path / "cut.png").read_bytes())
        assert (tmp_path / "cut.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        batch = client.submit_batch([small, small], tier="basic")
        events = []
        final = client.wait_job(batch["id"], on_progress=events.append, timeout=120)
        assert final["status"] == "completed" and final["processed_files"] == 2 and len(final["results"]) == 2
        assert events and events[-1]["progress"] == 100
        credits = client.credits()
        assert credits["balance"] == 100 - 3 * 4 and credits["plan"] == "free"
        created = client.create_api_key("sdk test")
        assert created["key"].startswith("bdp_")
        with Client(created["key"], base_url) as keyed:
            assert keyed.me()["email"] == account["user"]["email"]
        assert [k["name"] for k in client.list_api_keys()] == ["sdk test"]
        client.delete_api_key(created["api_key"]["id"])
        with pytest.raises(AuthenticationError):
            Client(created["key"], base_url).credits()
        with pytest.raises(InvalidRequestError) as bad:
            client.remove_background(small, tier="basic", size="huge")
        assert bad.value.status == 400 and bad.value.code == "INVALID_PARAMETER" and bad.value.request_id


def test_own_api_async_upscale_and_generate(base_url, pro, small, tmp_path):
    async def flow():
        async with AsyncClient(pro["key"], base_url, poll_interval=0.3) as client:
            up = await client.upscale(small, scale=2)
            steps = []
            generation = await client.generate("a red kite", steps=10, seed=3, on_progress=lambda g: steps.append(g["progress"]))
            image = await client.download(generation["images"][0]["url"])
            return up, generation, steps, image

    up, generation, steps, image = asyncio.run(flow())
    assert up["status"] == "completed" and (up["enhancedImage"]["width"], up["enhancedImage"]["height"]) == (256, 256)
    assert generation["status"] == "completed" and len(generation["images"]) == 1 and steps[-1] == 100
    assert Image.open(io.BytesIO(image)).format == "PNG"


# --- retries, against a server of the test's own ------------------------------------------------------------


class Scripted(http.server.ThreadingHTTPServer):
    """Answers each request with the next (status, headers, body) of its script (the last
    one from then on), and keeps when each request came and its headers."""

    def __init__(self, script: list[tuple[int, dict, dict]]):
        self.script, self.seen = list(script), []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def answer(self):
                self.rfile.read(int(self.headers.get("content-length") or 0))
                outer.seen.append((time.monotonic(), dict(self.headers)))
                status, headers, body = outer.script.pop(0) if len(outer.script) > 1 else outer.script[0]
                data = json.dumps(body).encode()
                self.send_response(status)
                for name, value in {"content-type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = answer

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


LIMITED = {"success": False, "error": {"code": "RATE_LIMIT_EXCEEDED", "message": "Too many requests. Please try again in 1 seconds",
                                       "details": {"retryAfter": 1, "limit": 10, "window": "20 seconds"}}}
CREDITS = {"balance": 7, "plan": "pro"}


def test_a_429_with_retry_after_is_waited_for_then_retried():
    server = Scripted([(429, {"retry-after": "1"}, LIMITED), (200, {}, CREDITS)])
    try:
        assert Client("bdp_x", server.url).credits() == CREDITS
    finally:
        server.shutdown()
    (first, _), (second, _) = server.seen
    assert second - first >= 1.0  # Retry-After: 1 honoured


def test_503_backs_off_and_a_create_keeps_its_idempotency_key(small):
    down = {"error": "SERVICE_UNAVAILABLE", "message": "down", "details": {}}
    server = Scripted([(503, {}, down), (503, {}, down), (200, {}, {"id": "j1", "status": "completed"})])
    try:
        result = Client("bdp_x", server.url, retry=RetryPolicy(base_delay=0.2)).remove_background(small, tier="basic")
    finally:
        server.shutdown()
    assert result["id"] == "j1" and len(server.seen) == 3
    keys = {headers.get("Idempotency-Key") for _, headers in server.seen}
    assert len(keys) == 1 and keys != {None}


def test_retries_are_bounded_and_end_in_a_typed_error():
    server = Scripted([(429, {"retry-after": "0"}, LIMITED)])
    try:
        with pytest.raises(RateLimitError) as limited:
            Client("bdp_x", server.url, retry=RetryPolicy(max_attempts=3)).credits()
        assert len(server.seen) == 3
        assert (limited.value.status, limited.value.code, limited.value.details["retryAfter"]) == (429, "RATE_LIMIT_EXCEEDED", 1)
        assert limited.value.message.startswith("Too many requests")
        server.seen.clear()
        server.script = [(429, {"retry-after": "3600"}, LIMITED)]  # a day's quota: not worth waiting for
        with pytest.raises(RateLimitError) as later:
            Client("bdp_x", server.url).credits()
        assert len(server.seen) == 1 and later.value.retry_after == 3600
        server.seen.clear()
        server.script = [(500, {}, {"error": "INTERNAL", "message": "boom", "details": {}})]
        with pytest.raises(ServerError):
            Client("bdp_x", server.url).credits()
        assert len(server.seen) == 1  # a 500 is not retried
    finally:
        server.shutdown()


def test_retry_after_as_seconds_or_a_date_and_jitter_within_its_bounds():
    from backdrop_sdk._http import retry_after

    assert retry_after({"retry-after": "7"}) == 7.0
    assert retry_after({"retry-after": "Thu, 03 Dec 2026 10:00:30 GMT"}, now=1796292000.0) == 30.0
    assert retry_after({}) is None and retry_after({"retry-after": "soon"}) is None
    policy = RetryPolicy(max_attempts=4, base_delay=0.5, max_delay=1.5)
    waits = [[policy.delay(attempt, 503, None) for attempt in (1, 2, 3)] for _ in range(200)]
    assert all(0 <= a <= 0.5 and 0 <= b <= 1.0 and 0 <= c <= 1.5 for a, b, c in waits)
    assert len({round(a, 6) for a, _, _ in waits}) > 100  # jittered, not one fixed wait
    assert policy.delay(4, 503, None) is None and policy.delay(1, 500, None) is None and policy.delay(1, 429, 2.0) == 2.0


# --- idempotency for real: the mesh did the work, the answer was lost --------------------------------------


class LosesFirstAnswer(http.server.ThreadingHTTPServer):
    """Forwards to the mesh; the first POST's answer is thrown away and the client gets a 503."""

    def __init__(self, upstream: str):
        self.posts = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def forward(self):
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length", "connection")}
                answer = requests.request(self.command, upstream + self.path, data=body, headers=headers, timeout=120)
                if self.command == "POST":
                    outer.posts += 1
                    if outer.posts == 1:
                        answer = None
                status, data = (503, b'{"error":"UNAVAILABLE","message":"lost","details":{}}') if answer is None else (answer.status_code, answer.content)
                self.send_response(status)
                self.send_header("content-type", "application/json" if answer is None else answer.headers.get("content-type", ""))
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = forward

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


def test_a_create_whose_answer_is_lost_is_one_job_and_one_charge(base_url, bearer, small):
    proxy = LosesFirstAnswer(base_url)
    token = bearer["Authorization"].split()[1]
    try:
        result = Client(token, f"http://127.0.0.1:{proxy.server_address[1]}", retry=RetryPolicy(base_delay=0.2)).remove_background(small, tier="basic")
    finally:
        proxy.shutdown()
    assert proxy.posts == 2 and result["credits_used"] == 4
    assert len(charges(base_url, bearer)) == 1
    history = requests.get(f"{base_url}/v1/process/jobs", headers=bearer, timeout=30).json()["data"]
    assert [job["id"] for job in history["jobs"]] == [result["id"]]


def test_the_sdk_package_builds_alone_with_its_types_and_the_cli(tmp_path):
    """deploy/sdk is its own distribution: a wheel with py.typed and the `backdrop` entry point."""
    source = shutil.copytree(REPO / "deploy" / "sdk", tmp_path / "sdk", ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(tmp_path), str(source)],
        check=True, capture_output=True, timeout=120,
    )
    (wheel,) = tmp_path.glob("backdrop_sdk-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "backdrop_sdk/py.typed" in names and "backdrop_sdk/lumiku.py" in names
    (entry,) = [n for n in names if n.endswith("entry_points.txt")]
    assert "backdrop = backdrop_sdk.cli:main" in zipfile.ZipFile(wheel).read(entry).decode()
