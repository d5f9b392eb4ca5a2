"""Failures a real deployment meets: the inference server down, a worker
killed mid-job. Nothing is lost and nothing is done twice."""

from __future__ import annotations

import io
import os
import signal
import threading
import time

import grpc
import psycopg
import pytest
import requests
from PIL import Image

from backdrop.jobs.v1 import jobs_pb2, jobs_pb2_grpc

pytestmark = pytest.mark.mesh


def job_rows(mesh, since: float) -> list[tuple]:
    with psycopg.connect(mesh.service_env()["DATABASE_URL"]) as conn:
        return conn.execute(
            "SELECT id::text, status, attempts, error_code FROM jobs WHERE created_at >= to_timestamp(%s) ORDER BY created_at",
            (since,),
        ).fetchall()


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def get_job(mesh, job_id: str) -> jobs_pb2.Job:
    with grpc.insecure_channel(f"127.0.0.1:{mesh.ports.orchestrator}") as channel:
        return jobs_pb2_grpc.JobServiceStub(channel).GetJob(jobs_pb2.GetJobRequest(job_id=job_id), timeout=5)


def test_inference_server_down_answers_202_and_the_job_finishes_when_it_is_back(mesh, photo, key_headers):
    base = mesh.base_url
    mesh.stop_child("modelserver")
    try:
        def unhealthy():
            reply = requests.get(f"{base}/health", timeout=10)
            return reply.json() if reply.status_code == 503 else None

        health = wait_for(unhealthy, 30, "/health to report the inference server down")
        assert health["status"] == "degraded"
        assert "inference/model-server" in health["unhealthy"]

        response = requests.post(
            f"{base}/v1/process/remove-background", files={"file": ("p.jpg", photo)}, headers=key_headers, timeout=60
        )
        # Charged and queued: a 202 with the job id (L7), so a client polls instead of paying again.
        assert response.status_code == 202, response.text
        body = response.json()
        assert body["status"] == "processing"
        job_id = body["id"]
        assert get_job(mesh, job_id).status == jobs_pb2.JOB_STATUS_QUEUED

        legacy = requests.post(f"{base}/remove-bg", files={"image": ("p.jpg", photo)}, headers=key_headers, timeout=60)
        assert legacy.status_code == 202
        assert legacy.json()["status"] == "processing"
    finally:
        mesh.restart_child("modelserver")

    job = wait_for(
        lambda: (j := get_job(mesh, job_id)).status == jobs_pb2.JOB_STATUS_COMPLETED and j, 60, "the queued job to finish"
    )
    stored = mesh.data_dir / "objects" / job.result.result_key
    assert Image.open(stored).mode == "RGBA"
    mesh.wait_healthy(60)


def test_worker_killed_mid_job_loses_nothing_and_does_it_once(mesh, photo, key_headers):
    started = time.time() - 1
    modelserver = mesh.children["modelserver"].process
    os.killpg(modelserver.pid, signal.SIGSTOP)  # holds the job inside the worker
    replies: list[requests.Response] = []
    client = threading.Thread(
        target=lambda: replies.append(
            requests.post(f"{mesh.base_url}/remove-bg", files={"image": ("p.jpg", photo)}, headers=key_headers, timeout=120)
        )
    )
    try:
        client.start()
        rows = wait_for(
            lambda: [r for r in job_rows(mesh, started) if r[1] == "processing"], 30, "the job to be processing"
        )
        job_id = rows[0][0]
        os.killpg(mesh.children["inference"].process.pid, signal.SIGKILL)
        mesh.children["inference"].process.wait()
    finally:
        os.killpg(modelserver.pid, signal.SIGCONT)
    mesh.restart_child("inference")
    client.join(timeout=120)

    assert replies and replies[0].status_code == 200, replies and replies[0].text
    assert Image.open(io.BytesIO(replies[0].content)).mode == "RGBA"
    (row,) = [r for r in job_rows(mesh, started) if r[0] == job_id]
    assert row[1] == "completed"
    assert row[2] >= 2  # delivered again after the kill
    assert len(job_rows(mesh, started)) == 1  # one request, one job
    mesh.wait_healthy(60)


def test_orchestrator_and_worker_killed_mid_batch_every_image_once(mesh, photo, key_headers):
    """A batch in flight survives SIGKILL of the orchestrator and of the worker: each image
    is done once and charged once."""
    started = time.time() - 1
    modelserver = mesh.children["modelserver"].process
    os.killpg(modelserver.pid, signal.SIGSTOP)
    try:
        files = [("images", (f"{n}.jpg", photo, "image/jpeg")) for n in range(4)]
        accepted = requests.post(f"{mesh.base_url}/remove-bg/batch", files=files, headers=key_headers, timeout=60)
        assert accepted.status_code == 202, accepted.text
        batch_id = accepted.json()["batch_id"]
        wait_for(lambda: any(r[1] == "processing" for r in job_rows(mesh, started)), 30, "a job in the worker")
        for name in ("orchestrator", "inference"):
            os.killpg(mesh.children[name].process.pid, signal.SIGKILL)
            mesh.children[name].process.wait()
    finally:
        os.killpg(modelserver.pid, signal.SIGCONT)
    mesh.restart_child("orchestrator")
    mesh.restart_child("inference")

    def finished():
        reply = requests.get(f"{mesh.base_url}/queue-status/{batch_id}", headers=key_headers, timeout=30)
        return reply.status_code == 200 and reply.json()["completed"] and reply.json()

    state = wait_for(finished, 120, "the batch to finish")
    assert [f["status"] for f in state["files"]] == ["completed"] * 4
    rows = job_rows(mesh, started)
    assert len(rows) == 4 and all(r[1] == "completed" for r in rows)
    with psycopg.connect(mesh.service_env()["DATABASE_URL"]) as conn:
        charges = conn.execute(
            "SELECT count(*), count(DISTINCT job_id) FROM ledger WHERE kind = 'charge' AND job_id = ANY(%s::uuid[])",
            ([r[0] for r in rows],),
        ).fetchone()
    assert charges == (4, 4)
    mesh.wait_healthy(60)
