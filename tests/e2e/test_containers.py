"""The images as Kubernetes deploys them, run for real: `make images` builds them, and the
production overlay runs as containers (deploy/docker/cluster.py) with its replicas: 2 Envoys,
2 gateways, 2 inference workers, a 3-node JetStream cluster. Failover is tested on it.

Needs a Docker engine (as root the test installs and starts one); where there is none the module
is skipped with the one-line reason."""

from __future__ import annotations

import io
import subprocess
import time
import uuid

import numpy as np
import pytest
import requests
from PIL import Image

from deploy.docker import cluster as docker_cluster
from deploy.docker import images as docker_images
from deploy.local.mesh import free_port, port_open
from tests.samples import jpeg

# The first test carries the module's setup: on a fresh machine Docker's install, the local base
# image and every image's build (about 10 minutes on 2 cores; seconds once cached).
pytestmark = pytest.mark.timeout(1800)

PROJECT = "backdrop-test"  # apart from an operator's own `make up-containers` (project "backdrop")
BATCH = 50
BASIC_PRICE = 4  # plans.json: the basic tier's credits an image (a batch of 50 gets a volume discount)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    problem = docker_images.engine_problem()
    if problem:
        pytest.skip(f"no container engine: {problem}")
    # ISNet (88 MB, 2 s an image) stays out of the smoke deployment; the image builds it otherwise.
    docker_images.build_all(models_skip="isnet")
    port = _two_free_ports()
    deployment = docker_cluster.Cluster(tmp_path_factory.mktemp("containers"), port, project=PROJECT)
    deployment.down(volumes=True)
    try:
        deployment.up(timeout=300)
        yield deployment
    finally:
        deployment.down(volumes=True)


def _two_free_ports() -> int:
    for _ in range(50):
        port = free_port()
        if port < 65535 and not port_open(port + 1):
            return port
    raise RuntimeError("no two consecutive free ports")


def urls(cluster) -> list[str]:
    return [f"http://127.0.0.1:{cluster.port + i}" for i in range(docker_cluster.MAX_REPLICAS)]


def container(cluster, workload: str, index: int) -> str:
    return f"{cluster.project}-{workload}-{index}"


def inspect(name: str, template: str) -> str:
    return subprocess.run(["docker", "inspect", "-f", template, name], check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture(scope="module")
def admin(cluster) -> dict[str, str]:
    """The first admin, made as an operator does: the auth service's command, in its container."""
    email, password = f"admin-{uuid.uuid4().hex[:8]}@example.com", "admin password 1"
    subprocess.run(
        ["docker", "exec", "-e", f"ADMIN_PASSWORD={password}", container(cluster, "auth", 0), "python", "-m", "services.auth.cli", "create-admin", "--email", email],
        check=True, capture_output=True, timeout=60,
    )
    token = requests.post(f"{urls(cluster)[0]}/v1/auth/login", json={"email": email, "password": password}, timeout=30).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def user(cluster, admin, credits: int = 0) -> tuple[dict[str, str], str]:
    body = {"email": f"user-{uuid.uuid4().hex[:12]}@example.com", "password": "correct horse battery", "name": "Container User"}
    made = requests.post(f"{urls(cluster)[1]}/v1/auth/register", json=body, timeout=30)
    assert made.status_code == 201, made.text
    headers = {"Authorization": f"Bearer {made.json()['token']}"}
    if credits:
        granted = requests.post(f"{urls(cluster)[0]}/v1/admin/credits", json={"user_id": made.json()["user"]["id"], "amount": credits}, headers=admin, timeout=30)
        assert granted.status_code == 200, granted.text
    return headers, made.json()["user"]["id"]


@pytest.fixture(scope="module")
def small_photo(astronaut) -> bytes:
    return jpeg(np.asarray(Image.fromarray(astronaut).resize((256, 256))))


def test_every_container_runs_as_the_manifests_say(cluster):
    """Hardened as in k8s: non-root, read-only root filesystem, no capabilities, and healthy."""
    names = [p.main.name for p in cluster.pods() if not p.main.run_once]
    assert len([n for n in names if "-nats-" in n]) == 3 and len([n for n in names if "-gateway-" in n]) == 2
    for name in names:
        assert docker_cluster.state(name) == "healthy", name
        assert inspect(name, "{{.HostConfig.ReadonlyRootfs}}") == "true", name
        assert inspect(name, "{{.HostConfig.CapDrop}}") == "[ALL]", name
        user = inspect(name, "{{.Config.User}}")
        assert user and not user.startswith("0:"), (name, user)
    # Every service's configuration came from the rendered ConfigMap and its own Secret.
    env = inspect(container(cluster, "inference", 0), "{{json .Config.Env}}")
    assert "NATS_URL=nats://nats:4222" in env and "NATS_STREAM_REPLICAS=3" in env and "DATABASE_URL" not in env


def test_a_cutout_through_either_envoy(cluster, admin, small_photo):
    headers, _ = user(cluster, admin)
    for url in urls(cluster):
        response = requests.post(f"{url}/v1/process/remove-background", files={"file": ("p.jpg", small_photo)}, headers=headers, timeout=120)
        assert response.status_code == 200, response.text
        cutout = np.asarray(Image.open(io.BytesIO(requests.get(response.json()["image"], timeout=30).content)))
        assert cutout.shape == (256, 256, 4)
        alpha = cutout[..., 3]
        assert 0.2 < (alpha > 128).mean() < 0.9  # a subject cut out, not an empty or full mask


def test_rate_limits_are_shared_by_both_envoys(cluster, admin):
    headers, _ = user(cluster, admin)
    remaining = []
    for i in range(6):
        response = requests.get(f"{urls(cluster)[i % 2]}/v1/credits", headers=headers, timeout=30)
        assert response.status_code == 200, response.text
        remaining.append(int(response.headers["x-ratelimit-remaining"]))
    # One counter (billing's, in PostgreSQL) for both edges: each request, through either, takes one.
    assert remaining == list(range(remaining[0], remaining[0] - 6, -1))


def submit_batch(cluster, headers, photo: bytes, count: int) -> str:
    files = [("files", (f"{i}.jpg", photo, "image/jpeg")) for i in range(count)]
    response = requests.post(f"{urls(cluster)[0]}/v1/process/batch", files=files, data={"options": '{"tier": "basic"}'}, headers=headers, timeout=120)
    assert response.status_code == 202, response.text
    return response.json()["id"]


def batch_status(cluster, headers, batch_id: str) -> dict | None:
    """The batch through whichever Envoy answers; None while the mesh heals (a 5xx or no answer)."""
    for url in urls(cluster):
        try:
            response = requests.get(f"{url}/v1/process/jobs/{batch_id}", headers=headers, timeout=10)
        except requests.RequestException:
            continue
        if response.status_code == 200:
            return response.json()
    return None


def wait_batch(cluster, headers, batch_id: str, timeout: float, during=None) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        status = batch_status(cluster, headers, batch_id)
        if status and during:
            during = during(status)
        if status and status["status"] in ("completed", "failed"):
            return status
        assert time.monotonic() < deadline, status
        time.sleep(2.0)  # within the free plan's 100 requests an hour


def charges(cluster, headers) -> list[tuple[str, int]]:
    history = requests.get(f"{urls(cluster)[1]}/v1/credits?limit=100", headers=headers, timeout=30).json()["history"]
    return [(e["kind"], e["amount"]) for e in history if e["kind"] not in ("grant", "adjustment")]


def assert_done_and_charged_once(cluster, headers, done: dict, count: int) -> None:
    assert done["status"] == "completed" and done["processed_files"] == count, done
    assert [f["status"] for f in done["files"]] == ["completed"] * count
    assert len(done["results"]) == count
    # Charged once per image, whatever was redelivered: the quoted price in all, no refund, nothing twice.
    quote = requests.post(f"{urls(cluster)[0]}/v1/pricing/calculate", json={"imageCount": count, "tier": "basic"}, headers=headers, timeout=30).json()
    deadline = time.monotonic() + 30
    while len(charges(cluster, headers)) < count:
        assert time.monotonic() < deadline, charges(cluster, headers)
        time.sleep(1)
    entries = charges(cluster, headers)
    assert len(entries) == count and {kind for kind, _ in entries} == {"charge"}, entries
    assert -sum(amount for _, amount in entries) == quote["finalTotal"], (entries, quote)


def test_a_gateway_a_worker_and_a_nats_node_die_mid_batch(cluster, admin, small_photo):
    headers, _ = user(cluster, admin, credits=BATCH * BASIC_PRICE)
    batch_id = submit_batch(cluster, headers, small_photo, BATCH)
    victims = [container(cluster, "gateway", 0), container(cluster, "inference", 0), container(cluster, "nats", 1)]

    def kill_once_started(status):
        if status["processed_files"] >= 5:
            subprocess.run(["docker", "kill", *victims], check=True, capture_output=True)
            return None  # once
        return kill_once_started

    done = wait_batch(cluster, headers, batch_id, timeout=400, during=kill_once_started)
    assert all(docker_cluster.state(v) == "exited" for v in victims)  # they stayed dead: the rest did the work
    assert_done_and_charged_once(cluster, headers, done, BATCH)
    for victim in victims:  # back to full strength for the next test
        subprocess.run(["docker", "start", victim], check=True, capture_output=True)
    cluster.wait_healthy(victims, timeout=180)


def test_rolling_replacement_of_the_inference_workers_loses_nothing(cluster, admin, small_photo):
    count = 40
    headers, _ = user(cluster, admin, credits=count * BASIC_PRICE)
    batch_id = submit_batch(cluster, headers, small_photo, count)
    workers = [p for p in cluster.pods() if p.workload == "inference"]
    assert batch_status(cluster, headers, batch_id)["processed_files"] < count  # the replacement happens mid-batch
    for pod in workers:  # one at a time, as a Deployment's rolling update: stop, start anew, wait ready
        subprocess.run(["docker", "stop", "--time", "30", pod.main.name], check=True, capture_output=True)
        cluster.start(pod)
        cluster.wait_healthy([pod.main.name], timeout=180)
    done = wait_batch(cluster, headers, batch_id, timeout=300)
    assert_done_and_charged_once(cluster, headers, done, count)
