"""kill -9 of any one process of the mesh in the middle of a batch, with the
supervisor running as under `make up`: the mesh heals by itself within 60 s,
every image of the batch is done, and the batch is charged its quoted price once."""

from __future__ import annotations

import json
import os
import signal
import time

import psycopg
import pytest
import requests

pytestmark = pytest.mark.mesh

VICTIMS = ["inference", "orchestrator", "billing", "auth", "gateway", "nats", "postgres", "modelserver", "envoy"]
IMAGES = 3
BASIC_PRICE = 4  # credits per image at the basic tier (plans.json)


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except (requests.RequestException, psycopg.Error):
            value = None  # the part we killed is still coming back
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def healthy(mesh) -> bool:
    return requests.get(f"{mesh.base_url}/health", timeout=5).status_code == 200


def job_statuses(mesh, batch_id: str) -> list[str]:
    with psycopg.connect(mesh.service_env()["DATABASE_URL"], connect_timeout=3) as conn:
        rows = conn.execute("SELECT status FROM jobs WHERE batch_id = %s::uuid", (batch_id,)).fetchall()
    return [r[0] for r in rows]


def attempts(mesh, batch_id: str) -> int:
    with psycopg.connect(mesh.service_env()["DATABASE_URL"], connect_timeout=3) as conn:
        return conn.execute("SELECT max(attempts) FROM jobs WHERE batch_id = %s::uuid", (batch_id,)).fetchone()[0] or 0


def ledger(mesh, batch_id: str) -> list[tuple[str, int]]:
    with psycopg.connect(mesh.service_env()["DATABASE_URL"], connect_timeout=3) as conn:
        rows = conn.execute(
            "SELECT l.kind, l.amount FROM ledger l JOIN jobs j ON j.id = l.job_id WHERE j.batch_id = %s::uuid ORDER BY l.kind",
            (batch_id,),
        ).fetchall()
    return [(kind, amount) for kind, amount in rows]


@pytest.mark.parametrize("victim", VICTIMS)
def test_kill_9_mid_batch_heals_and_charges_once(mesh, bearer, photo, victim):
    wait_for(lambda: healthy(mesh), 60, "the mesh to be healthy before the test")
    balance = requests.get(f"{mesh.base_url}/v1/credits", headers=bearer, timeout=30).json()["balance"]
    modelserver = mesh.children["modelserver"].process
    os.killpg(modelserver.pid, signal.SIGSTOP)  # holds the batch's jobs in flight
    try:
        files = [("files", (f"{n}.jpg", photo, "image/jpeg")) for n in range(IMAGES)]
        options = json.dumps({"tier": "basic"})
        accepted = requests.post(
            f"{mesh.base_url}/v1/process/batch", files=files, data={"options": options}, headers=bearer, timeout=60
        )
        assert accepted.status_code == 202, accepted.text
        batch_id = accepted.json()["id"]
        wait_for(lambda: "processing" in job_statuses(mesh, batch_id), 30, "a job of the batch in the worker")
        victim_pid = mesh.children[victim].process.pid
        os.kill(victim_pid, signal.SIGKILL)  # the process only, as the kernel's OOM killer would
        killed_at = time.monotonic()
    finally:
        if victim != "modelserver":
            os.killpg(modelserver.pid, signal.SIGCONT)

    wait_for(lambda: mesh.children[victim].process.pid != victim_pid, 30, f"the supervisor to restart {victim}")
    wait_for(lambda: healthy(mesh), 60, f"the mesh to heal after kill -9 of {victim}")
    assert time.monotonic() - killed_at < 60

    def finished():
        status = requests.get(f"{mesh.base_url}/v1/process/jobs/{batch_id}", headers=bearer, timeout=30).json()
        return status if status["status"] in ("completed", "failed") else None

    done = wait_for(finished, 120, "the batch to finish")
    assert done["status"] == "completed" and done["processed_files"] == IMAGES, done
    assert [f["status"] for f in done["files"]] == ["completed"] * IMAGES, done["files"]
    assert ledger(mesh, batch_id) == [("charge", -BASIC_PRICE)] * IMAGES  # once each, nothing refunded
    after = requests.get(f"{mesh.base_url}/v1/credits", headers=bearer, timeout=30).json()["balance"]
    assert balance - after == IMAGES * BASIC_PRICE


@pytest.mark.parametrize("peer", ["nats", "postgres"])
def test_services_outlive_a_restart_of_their_peers(mesh, bearer, photo, peer):
    """M9: a NATS or PostgreSQL restart is waited out inside each service; none exits."""
    wait_for(lambda: healthy(mesh), 60, "the mesh to be healthy before the test")
    services = ["orchestrator", "inference", "billing", "auth", "gateway"]
    pids = {name: mesh.children[name].process.pid for name in services}
    mesh.restart_child(peer)
    wait_for(lambda: healthy(mesh), 60, f"the mesh to be healthy after {peer} restarted")
    reply = requests.post(
        f"{mesh.base_url}/v1/process/remove-background", files={"file": ("p.jpg", photo)}, data={"tier": "basic"},
        headers=bearer, timeout=120,
    )
    assert reply.status_code == 200, reply.text
    assert {name: mesh.children[name].process.pid for name in services} == pids
    assert all(mesh.children[name].process.poll() is None for name in services)


def test_a_job_that_keeps_killing_its_worker_fails_and_is_refunded(mesh, bearer, photo):
    """C1: a job whose every attempt ends in kill -9 (the OOM killer's way) is given up
    after WORK_MAX_ATTEMPTS (3 in the test mesh) before any more work, and refunded."""
    wait_for(lambda: healthy(mesh), 60, "the mesh to be healthy before the test")
    balance = requests.get(f"{mesh.base_url}/v1/credits", headers=bearer, timeout=30).json()["balance"]
    modelserver = mesh.children["modelserver"].process
    os.killpg(modelserver.pid, signal.SIGSTOP)  # every attempt stops inside the worker
    try:
        accepted = requests.post(
            f"{mesh.base_url}/v1/process/batch", files=[("files", ("p.jpg", photo, "image/jpeg"))],
            data={"options": json.dumps({"tier": "basic"})}, headers=bearer, timeout=60,
        )
        assert accepted.status_code == 202, accepted.text
        batch_id = accepted.json()["id"]
        for attempt in (1, 2, 3):
            wait_for(lambda: attempts(mesh, batch_id) == attempt, 60, f"attempt {attempt} to be in a worker")
            worker = mesh.children["inference"].process.pid
            os.kill(worker, signal.SIGKILL)
            wait_for(lambda: mesh.children["inference"].process.pid != worker, 30, "the worker to be restarted")
        wait_for(lambda: job_statuses(mesh, batch_id) == ["failed"], 60, "the job to be given up")
    finally:
        os.killpg(modelserver.pid, signal.SIGCONT)
    status = requests.get(f"{mesh.base_url}/v1/process/jobs/{batch_id}", headers=bearer, timeout=30).json()
    (failed,) = status["files"]
    assert failed["error"] == "PROCESSING_FAILED" and "given up" in failed["message"], failed
    wait_for(lambda: sorted(ledger(mesh, batch_id)) == [("charge", -BASIC_PRICE), ("refund", BASIC_PRICE)], 30, "the refund")
    after = requests.get(f"{mesh.base_url}/v1/credits", headers=bearer, timeout=30).json()["balance"]
    assert after == balance
