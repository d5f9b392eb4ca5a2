"""Orchestrator hardening: a slow webhook receiver stalls no one (M8), bad secrets are refused (L1),
retention deletes every file a job owns (M3), dropped work is failed (L9), foreign result keys fail
the job (M11), and the email outbox claims with a lease (L11). The store-level checks run against
the session mesh's own PostgreSQL, NATS and object store."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import threading
import time
import uuid

import pytest
import requests
import sqlalchemy as sa

from backdrop.jobs.v1 import jobs_pb2
from deploy.local.mesh import free_port
from tests.e2e.test_batches import wait_done
from tests.e2e.test_webhooks import Receiver, create

pytestmark = pytest.mark.mesh


class DripReceiver:
    """Accepts, reads the request, then answers one byte every two seconds (a tarpit)."""

    def __init__(self):
        self.connections = 0
        self.closed = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", free_port()))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/hooks"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while not self.closed.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn):
        with conn:
            conn.recv(65536)
            for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n":
                if self.closed.wait(2.0):
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return

    def close(self):
        self.closed.set()
        self.listener.close()


@pytest.fixture
def backends(mesh, monkeypatch):
    """The mesh's DATABASE_URL and NATS_URL (as the orchestrator), so the services' own store code runs here."""
    env = {**mesh.service_env(), **mesh.nats_credentials("orchestrator")}
    for name in ("DATABASE_URL", "NATS_URL", "NATS_USER", "NATS_PASSWORD"):
        monkeypatch.setenv(name, env[name])
    return env


def deliveries(base_url, bearer, webhook_id):
    return requests.get(f"{base_url}/v1/webhooks/{webhook_id}/deliveries", headers=bearer, timeout=30).json()["deliveries"]


def test_a_drip_feeding_receiver_stalls_no_other_delivery(base_url, bearer):
    slow, normal = DripReceiver(), Receiver()
    try:
        slow_hook = create(base_url, bearer, slow.url, events=["project.created"]).json()
        normal_hook = create(base_url, bearer, normal.url, events=["project.created"]).json()
        for n in (1, 2, 3):
            started = time.monotonic()
            made = requests.post(f"{base_url}/v1/projects", json={"name": f"p{n}", "type": "image"}, headers=bearer, timeout=30)
            assert made.status_code in (200, 201)
            normal.wait(n, timeout=5)  # promptly, though the slow one still holds its earlier attempts
            assert time.monotonic() - started < 5
        assert slow.connections >= 1
        deadline = time.monotonic() + 20
        while True:  # the tarpit's attempt ends at its deadline, counted as failed and retried
            slow_rows = deliveries(base_url, bearer, slow_hook["id"])
            if slow_rows and any(d["attempts"] >= 1 and d["state"] == "pending" and d["last_error"] for d in slow_rows):
                break
            assert time.monotonic() < deadline, slow_rows
            time.sleep(0.5)
        assert all(d["state"] == "delivered" for d in deliveries(base_url, bearer, normal_hook["id"]))
        assert requests.get(f"{base_url}/health", timeout=10).status_code == 200
    finally:
        for hook in (locals().get("slow_hook"), locals().get("normal_hook")):
            if hook:
                requests.delete(f"{base_url}/v1/webhooks/{hook['id']}", headers=bearer, timeout=30)
        slow.close()
        normal.server.shutdown()


@pytest.mark.parametrize("secret", ["whsec_x", "whsec_not base64!", "whsec_"])
def test_a_secret_that_cannot_sign_is_refused(base_url, bearer, secret):
    response = create(base_url, bearer, "http://127.0.0.1:9/hooks", secret=secret)
    assert response.status_code == 400 and response.json()["error"] == "INVALID_WEBHOOK_SECRET"
    assert response.json()["details"]["field"] == "secret"


def test_retention_deletes_batch_originals_and_every_result(mesh, backends, base_url, bearer, photo):
    from services.orchestrator import retention
    from services.orchestrator.store import JobStore, jobs
    from services.runtime import db
    from services.runtime.objectstore import LocalObjectStore

    files = [("files", ("a.jpg", photo)), ("files", ("b.jpg", photo))]
    batch = requests.post(f"{base_url}/v1/process/batch", files=files, headers=bearer, timeout=60).json()
    wait_done(base_url, bearer, batch["id"])
    objects_dir = mesh.data_dir / "objects"
    assert list((objects_dir / "uploads" / batch["id"]).iterdir())

    async def expire():
        engine = db.engine()
        try:
            store = JobStore(engine)
            found = await store.get_batch(batch["id"])
            ids = [job.id for job in found.jobs]
            async with engine.begin() as conn:  # finished long ago; no other job of the session is
                await conn.execute(jobs.update().where(jobs.c.id.in_(ids)).values(finished_at=sa.func.now() - dt.timedelta(days=30)))
            await retention.expire_once(store, LocalObjectStore(objects_dir), 7 * 24 * 3600)
            return ids, await store.get_batch(batch["id"])
        finally:
            await engine.dispose()

    ids, after = asyncio.run(expire())
    assert all(job.expired for job in after.jobs)
    assert not [p for p in (objects_dir / "uploads" / batch["id"]).rglob("*") if p.is_file()]  # the originals
    for job_id in ids:
        assert not [p for p in (objects_dir / "results" / job_id).rglob("*") if p.is_file()]
        assert requests.get(f"{base_url}/download/{job_id}", headers=bearer, timeout=30).status_code == 404  # seed 003: "404 if ID missing or expired"


def _queued_job(store, owner_id: str, published_days_ago: float):
    async def make():
        from services.orchestrator.store import jobs

        job_id = str(uuid.uuid4())
        await store.create(job_id, "remove_background", jobs_pb2.RemoveBackgroundOptions().SerializeToString(), f"uploads/{job_id}/in.png", owner_id)
        async with store.db.begin() as conn:
            await conn.execute(
                jobs.update().where(jobs.c.id == job_id).values(published_at=sa.func.now() - dt.timedelta(days=published_days_ago))
            )
        return job_id

    return make()


async def _until_failed(store, job_id: str, timeout: float = 20) -> jobs_pb2.Job:
    deadline = time.monotonic() + timeout
    while True:
        job = await store.get(job_id)
        if job.status == jobs_pb2.JOB_STATUS_FAILED:
            return job
        assert time.monotonic() < deadline, f"job still {job.status}"
        await asyncio.sleep(0.2)


def test_dropped_work_fails_and_foreign_result_keys_fail_the_job(backends, account):
    """L9: a job queued past the work stream's max_age is failed (a FAILED event, which billing refunds);
    M11: a COMPLETED event naming another job's file fails the job instead of linking that file."""
    from services.orchestrator import retention
    from services.orchestrator.handlers import Publisher
    from services.orchestrator.store import JobStore
    from services.runtime import db, messaging

    owner = account["user"]["id"]

    async def check():
        engine = db.engine()
        client, js = await messaging.connect("test-hardening")
        try:
            store = JobStore(engine)
            old = await _queued_job(store, owner, published_days_ago=8)
            fresh = await _queued_job(store, owner, published_days_ago=0)
            await retention.fail_dropped_work(store, Publisher(js, store).fail)
            dropped = await _until_failed(store, old)
            assert dropped.error_code == retention.WORK_EXPIRED
            assert (await store.get(fresh)).status == jobs_pb2.JOB_STATUS_QUEUED

            forged = jobs_pb2.JobEvent(
                job_id=fresh, status=jobs_pb2.JOB_STATUS_COMPLETED,
                result=jobs_pb2.JobResult(result_key=f"images/{uuid.uuid4()}/img.png"),
            )
            await js.publish(f"{messaging.EVENTS_SUBJECT}.{fresh}", forged.SerializeToString(), headers=messaging.headers())
            failed = await _until_failed(store, fresh)
            assert failed.error_code == "INTERNAL_ERROR" and not failed.result.result_key
        finally:
            await client.drain()
            await engine.dispose()

    asyncio.run(check())


def test_the_email_claim_is_a_lease_and_sent_is_marked_after_the_send(backends, account):
    from services.orchestrator.store import JobStore
    from services.runtime import db

    async def check():
        engine = db.engine()
        try:
            store = JobStore(engine)
            job_id = str(uuid.uuid4())
            await store.create(job_id, "remove_background", b"", f"uploads/{job_id}/in.png", account["user"]["id"], notify_email="a@example.com")
            await store.apply(jobs_pb2.JobEvent(job_id=job_id, status=jobs_pb2.JOB_STATUS_FAILED, error_code="X"))
            first, _ = await store.claim_email(job_id)
            assert first is not None
            assert await store.claim_email(job_id) == (None, False)  # being sent: not twice at once
            again, _ = await store.claim_email(job_id, lease_s=0)  # the sender died: its lease runs out
            assert again is not None
            await store.mark_emailed(job_id)
            assert await store.claim_email(job_id, lease_s=0) == (None, True)
        finally:
            await engine.dispose()

    asyncio.run(check())
