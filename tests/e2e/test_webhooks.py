"""Seed 000's webhooks, delivered to a real HTTP receiver on loopback."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.server
import json
import threading
import time

import pytest
import requests

from deploy.local.mesh import free_port

pytestmark = pytest.mark.mesh


class Receiver:
    """An HTTP endpoint that answers with the statuses it is given, in order, then 200."""

    def __init__(self, statuses=()):
        self.statuses = list(statuses)
        self.received: list[tuple[dict, bytes]] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["content-length"]))
                receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.port = free_port()
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.port}/hooks"

    def wait(self, count: int, timeout: float = 30) -> list[tuple[dict, bytes]]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            assert time.monotonic() < deadline, f"{len(self.received)} of {count} deliveries arrived"
            time.sleep(0.1)
        return self.received


@pytest.fixture
def receiver():
    made = []

    def make(statuses=()):
        made.append(Receiver(statuses))
        return made[-1]

    yield make
    for r in made:
        r.server.shutdown()


def create(base_url, bearer, url, events=("job.completed", "job.failed"), secret=None) -> requests.Response:
    body = {"url": url, "events": list(events)}
    if secret:
        body["secret"] = secret
    return requests.post(f"{base_url}/v1/webhooks", json=body, headers=bearer, timeout=30)


def verify(secret: str, headers: dict, body: bytes) -> bool:
    """Standard Webhooks verification, as a receiver does it."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(hmac.compare_digest(expected, sig.split(",", 1)[1]) for sig in headers["webhook-signature"].split(" "))


def process(base_url, bearer, upload) -> requests.Response:
    return requests.post(f"{base_url}/v1/process/remove-background", files={"file": ("p.jpg", upload)}, headers=bearer, timeout=120)


def test_job_completed_is_signed_and_carries_urls_not_bytes(base_url, bearer, photo, receiver):
    target = receiver()
    created = create(base_url, bearer, target.url)
    assert created.status_code == 201, created.text
    webhook = created.json()
    assert webhook["active"] is True and webhook["secret"].startswith("whsec_")
    listed = requests.get(f"{base_url}/v1/webhooks", headers=bearer, timeout=30).json()["webhooks"]
    assert [w["id"] for w in listed] == [webhook["id"]] and listed[0]["secret"] == ""

    job_id = process(base_url, bearer, photo).json()["id"]
    (headers, body), = target.wait(1)
    assert verify(webhook["secret"], headers, body)
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 60
    event = json.loads(body)
    assert event["type"] == "job.completed" and event["data"]["job_id"] == job_id
    assert len(body) < 4096  # URLs, never image bytes
    image = requests.get(event["data"]["image"], timeout=30)
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"

    process(base_url, bearer, photo[:2000])  # a failure is delivered too
    _, failed = target.wait(2)[1]
    assert json.loads(failed)["type"] == "job.failed" and json.loads(failed)["data"]["error"]["code"] == "INVALID_IMAGE"


def test_retries_until_it_is_taken_and_records_every_attempt(base_url, bearer, photo, receiver):
    target = receiver(statuses=[500, 503])
    webhook = create(base_url, bearer, target.url, events=["job.completed"], secret="my-own-secret").json()
    process(base_url, bearer, photo)
    received = target.wait(3)
    assert len({h["webhook-id"] for h, _ in received}) == 1  # the same message, retried
    deadline = time.monotonic() + 10
    while True:
        (delivery,) = requests.get(f"{base_url}/v1/webhooks/{webhook['id']}/deliveries", headers=bearer, timeout=30).json()["deliveries"]
        if delivery["state"] == "delivered":
            break
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert delivery["attempts"] == 3 and delivery["last_status_code"] == 200
    key_check = hmac.new(b"my-own-secret", f"{received[2][0]['webhook-id']}.{received[2][0]['webhook-timestamp']}.".encode() + received[2][1], hashlib.sha256)
    assert received[2][0]["webhook-signature"] == "v1," + base64.b64encode(key_check.digest()).decode()


def test_410_disables_the_webhook(base_url, bearer, photo, receiver):
    target = receiver(statuses=[410])
    webhook = create(base_url, bearer, target.url).json()
    process(base_url, bearer, photo)
    target.wait(1)
    deadline = time.monotonic() + 10
    while requests.get(f"{base_url}/v1/webhooks", headers=bearer, timeout=30).json()["webhooks"][0]["active"]:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    process(base_url, bearer, photo)
    time.sleep(1.5)
    assert len(target.received) == 1  # nothing more to a disabled webhook
    assert requests.delete(f"{base_url}/v1/webhooks/{webhook['id']}", headers=bearer, timeout=30).status_code == 200
    assert requests.get(f"{base_url}/v1/webhooks", headers=bearer, timeout=30).json()["webhooks"] == []


def test_batch_completed(base_url, bearer, photo, receiver):
    target = receiver()
    create(base_url, bearer, target.url, events=["batch.completed"])
    files = [("files", (f"{n}.jpg", photo)) for n in range(2)]
    batch = requests.post(f"{base_url}/v1/process/batch", files=files, headers=bearer, timeout=60).json()
    (_, body), = target.wait(1)
    event = json.loads(body)
    assert event["type"] == "batch.completed"
    assert event["data"] == {"batch_id": batch["id"], "total_files": 2, "completed": 2, "failed": 0}


@pytest.mark.parametrize(
    ("url", "code"),
    [("http://10.0.0.1/hook", "URL_NOT_ALLOWED"), ("http://169.254.169.254/latest", "URL_NOT_ALLOWED"),
     ("http://localhost:9/hook", "URL_NOT_ALLOWED"), ("ftp://example.com/", "INVALID_URL")],
)
def test_private_targets_are_refused(base_url, bearer, url, code):
    response = create(base_url, bearer, url)
    assert response.status_code == 400 and response.json()["error"] == code


def test_unknown_events_are_refused(base_url, bearer, receiver):
    response = create(base_url, bearer, receiver().url, events=["job.exploded"])
    assert response.status_code == 400 and response.json()["details"]["field"] == "events"


def test_projects_and_project_created(base_url, bearer, receiver):
    target = receiver()
    create(base_url, bearer, target.url, events=["project.created"])
    made = requests.post(f"{base_url}/v1/projects", json={"name": "Spring catalogue", "type": "batch"}, headers=bearer, timeout=30)
    assert made.status_code == 201, made.text
    project = made.json()
    assert project["name"] == "Spring catalogue" and project["status"] == "draft" and project["type"] == "batch"
    requests.post(f"{base_url}/v1/projects", json={"name": "Portraits", "type": "image"}, headers=bearer, timeout=30)

    listed = requests.get(f"{base_url}/v1/projects", headers=bearer, timeout=30).json()
    assert listed["total"] == 2 and [p["name"] for p in listed["items"]] == ["Portraits", "Spring catalogue"]
    found = requests.get(f"{base_url}/v1/projects?search=spring", headers=bearer, timeout=30).json()
    assert [p["id"] for p in found["items"]] == [project["id"]]

    events = [json.loads(body) for _, body in target.wait(2)]
    assert {e["type"] for e in events} == {"project.created"}
    assert project["id"] in {e["data"]["project_id"] for e in events}

    bad = requests.post(f"{base_url}/v1/projects", json={"name": "x", "type": "audio"}, headers=bearer, timeout=30)
    assert bad.status_code == 400 and bad.json()["details"]["field"] == "type"
