"""Webhook attempt deadline and secrets (M8, L1), the keys a job owns (M3), foreign result keys (M11)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import pytest

from backdrop.jobs.v1 import jobs_pb2
from services.orchestrator import events, retention, webhooks
from services.runtime.errors import ServiceError
from services.runtime.objectstore import LocalObjectStore, delete_prefix


def test_a_drip_fed_answer_ends_at_the_attempt_deadline(monkeypatch):
    monkeypatch.setenv("OUTBOUND_ALLOWED_HOSTS", "127.0.0.1")
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def drip():
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            for byte in b"HTTP/1.1 200 OK\r\n":
                if stop.wait(0.3):
                    return
                conn.sendall(bytes([byte]))

    threading.Thread(target=drip, daemon=True).start()
    started = time.monotonic()
    try:
        with pytest.raises(TimeoutError):
            webhooks.post(f"http://127.0.0.1:{listener.getsockname()[1]}/h", b"{}", {}, deadline=1.0)
        assert time.monotonic() - started < 2.0  # though each byte came well inside a per-read timeout
    finally:
        stop.set()
        listener.close()


@pytest.mark.parametrize("secret", ["whsec_x", "whsec_!!!!", "whsec_", "x" * 257])
def test_secrets_that_cannot_sign_are_refused(secret):
    with pytest.raises(ServiceError) as caught:
        webhooks.check_secret(secret)
    assert caught.value.reason == "INVALID_WEBHOOK_SECRET"


def test_good_secrets_pass():
    webhooks.check_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    webhooks.check_secret("my-own-secret")


def test_a_batch_item_and_a_generation_own_all_their_files():
    job = jobs_pb2.Job(id="j", batch_id="b", input_key="uploads/b/3.jpg")
    job.result.images.add(key="results/j/image-2.png")
    prefixes, keys = retention.owned_keys(job)
    assert prefixes == ["results/j/", "uploads/j/"] and keys == ["uploads/b/3.jpg", "results/j/image-2.png"]
    shared = jobs_pb2.Job(id="j", input_key="images/u/img.png")  # an uploaded image outlives the job
    assert retention.owned_keys(shared)[1] == []


def test_delete_prefix_deletes_the_folder_only(tmp_path):
    store = LocalObjectStore(tmp_path)

    async def run():
        for key in ("results/j/image-1.png", "results/j/image-1.thumb.jpg", "results/jj/image.png"):
            await store.put(key, b"x", "image/png")
        assert await delete_prefix(store, "results/j/") == 2
        return await store.list("results/")

    assert asyncio.run(run()) == ["results/jj/image.png"]


def test_completed_events_may_name_only_the_jobs_own_results():
    event = jobs_pb2.JobEvent(job_id="j", status=jobs_pb2.JOB_STATUS_COMPLETED)
    event.result.result_key = "results/j/image.png"
    assert events.foreign_keys(event) == []
    event.result.mask_key = "images/victim/img.png"
    event.result.images.add(key="results/jj/image-1.png")
    assert events.foreign_keys(event) == ["images/victim/img.png", "results/jj/image-1.png"]
