"""An environment file written for seed 002 and seed 003, under their setting names, changes what
the mesh does: its port, upload limit, rate limit, public base URL, file folder, cleanup interval
and models (services/runtime/aliases.py). On a mesh of its own, started from that file."""

from __future__ import annotations

import os
import secrets
import time

import pytest
import requests

from deploy.local.mesh import Mesh, Ports, free_port
from deploy.local.supervisor import read_env_file
from tests.conftest import REPO, running

pytestmark = pytest.mark.mesh
KEY = secrets.token_hex(24)


@pytest.fixture(scope="module")
def seed_mesh(tmp_path_factory):
    if not (REPO / ".models" / "repository" / "u2netp" / "1" / "model.onnx").exists():
        pytest.fail("the model repository is missing: run `make models` (make test does)")
    folder = tmp_path_factory.mktemp("seed-settings")
    port = free_port()
    env_file = folder / ".env"
    env_file.write_text(
        f"""\
# seed 002 (rembg microservice)
PORT={port}
MAX_FILE_SIZE=1
API_KEY={KEY}
RATE_LIMIT=2
# seed 003 (the async service)
REDIS_URL=redis://localhost:6379/0
BASE_URL=http://localhost:{port}/
OUTPUT_DIR={folder / "processed_images"}
CLEANUP_INTERVAL_HOURS=0.0002
GPU_ENABLED=false
MODEL_NAMES=u2net,u2netp
# Backdrop's own: results are kept 6 s here, so the cleanup can be seen
RETENTION_S=6
"""
    )
    settings = read_env_file(env_file)
    ports = Ports.free()
    ports.http = Ports.from_env(settings).http  # what `make up` does with the operator's PORT
    lines: list[str] = []
    instance = Mesh(folder / "data", ports=ports, sink=lambda n, line: lines.append(f"{n} | {line}"), env=settings)
    instance.folder = folder
    yield from running(instance, lines)


def test_make_up_says_what_each_seed_setting_does(seed_mesh):
    lines = seed_mesh.seed_settings()
    assert any(line.startswith("backdrop: RATE_LIMIT=2 (seed 002) sets REMBG_REQUESTS_PER_HOUR=2") for line in lines)
    assert any(line.startswith("backdrop: REDIS_URL (seed 003) is ignored: no meaning here") for line in lines)
    assert any(line.startswith("backdrop: GPU_ENABLED (seed 003) is ignored") for line in lines)


def test_the_mesh_listens_on_seed_002s_port(seed_mesh):
    port = int(read_env_file(seed_mesh.folder / ".env")["PORT"])
    assert seed_mesh.base_url == f"http://127.0.0.1:{port}"
    assert requests.get(f"http://127.0.0.1:{port}/health", timeout=30).json()["status"] == "healthy"


def test_max_file_size_then_rate_limit_on_remove_bg(seed_mesh, photo):
    url, headers = f"{seed_mesh.base_url}/remove-bg", {"X-API-Key": KEY}
    first = requests.post(url, headers=headers, files={"image": ("p.jpg", photo)}, timeout=120)
    assert first.status_code == 200 and first.content.startswith(b"\x89PNG")
    assert first.headers["x-ratelimit-limit"] == "2" and first.headers["x-ratelimit-remaining"] == "1"
    big = b"\xff\xd8\xff" + os.urandom(2 * 1024 * 1024)
    second = requests.post(url, headers=headers, files={"image": ("big.jpg", big)}, timeout=120)
    assert second.status_code == 400 and second.json() == {"error": "File too large. Maximum size: 1MB"}
    third = requests.post(url, headers=headers, files={"image": ("p.jpg", photo)}, timeout=120)
    assert third.status_code == 429, third.text
    assert third.json()["error"].startswith("Rate limit exceeded. Try again in ")
    assert int(third.headers["retry-after"]) > 0
    # The /v1 routes are not seed 002's: they keep their own limits.
    v1 = requests.post(f"{seed_mesh.base_url}/v1/process/remove-background", headers=headers,
                       files={"file": ("p.jpg", photo)}, timeout=120)
    assert v1.status_code == 200, v1.text


def test_model_names_and_base_url_on_seed_003s_process(seed_mesh, photo):
    base, headers = seed_mesh.base_url, {"X-API-Key": KEY}
    port = seed_mesh.ports.http
    refused = requests.post(f"{base}/process", headers=headers, files={"file": ("p.jpg", photo)},
                            data={"email": "a@example.com", "model": "u2net_human_seg"}, timeout=60)
    assert refused.status_code == 400 and refused.json()["error"] == "INVALID_MODEL"
    assert "u2net_human_seg" not in refused.json()["details"]["valid_models"]
    accepted = requests.post(f"{base}/process", headers=headers, files={"file": ("p.jpg", photo)},
                             data={"email": "a@example.com", "model": "u2net"}, timeout=60)
    assert accepted.status_code == 202, accepted.text
    pid = accepted.json()["processing_id"]
    assert accepted.json()["status_url"] == f"http://localhost:{port}/status/{pid}"


def test_output_dir_holds_the_files_and_the_cleanup_interval_deletes_them(seed_mesh, photo):
    base, headers = seed_mesh.base_url, {"X-API-Key": KEY}
    pid = requests.post(f"{base}/process", headers=headers, files={"file": ("p.jpg", photo)},
                        data={"email": "a@example.com"}, timeout=60).json()["processing_id"]
    deadline = time.monotonic() + 60
    while requests.get(f"{base}/status/{pid}", headers=headers, timeout=30).json()["status"] == "processing":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    output = seed_mesh.folder / "processed_images"
    stored = [p for p in output.rglob("*") if p.is_file() and pid in str(p) and not p.name.endswith(".content-type")]
    assert len(stored) >= 2  # the original and the result, in OUTPUT_DIR
    assert not (seed_mesh.data_dir / "objects").exists()
    deadline = time.monotonic() + 30  # kept 6 s, swept every 0.72 s
    while (download := requests.get(f"{base}/download/{pid}", headers=headers, timeout=30)).status_code == 200:
        assert time.monotonic() < deadline, "never expired"
        time.sleep(0.5)
    assert download.status_code == 404  # seed 003: expired ids are 404
    assert not any(p.exists() for p in stored)
