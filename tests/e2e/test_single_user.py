"""AUTH_REQUIRED=false: the single-user mode, on a mesh of its own. Seed 003's
clients send no credentials, so this is where they run as written."""

from __future__ import annotations

import textwrap

import pytest
import requests

from deploy.local.mesh import Mesh, Ports
from deploy.local.supervisor import auth_banner
from tests.conftest import running

pytestmark = pytest.mark.mesh


@pytest.fixture(scope="module")
def open_mesh(tmp_path_factory, mesh):
    """Started after the shared mesh (its fixture) so the two never start at once.

    Its model repository has every model but the diffusion ones: an install
    whose operator has brought no diffusion weights.
    """
    lines: list[str] = []
    repository = tmp_path_factory.mktemp("repository-without-diffusion")
    for model in mesh.model_repository.iterdir():
        if not model.name.startswith("diffusion-"):
            (repository / model.name).symlink_to(model)
    instance = Mesh(
        tmp_path_factory.mktemp("single-user"), ports=Ports.free(), sink=lambda n, l: lines.append(f"{n} | {l}"),
        # Files expire after 8 s here, so retention can be seen working.
        env={"AUTH_REQUIRED": "false", "RETENTION_S": "8", "CLEANUP_INTERVAL_S": "0.5"},
        model_repository=repository,
    )
    yield from running(instance, lines)


def test_make_up_says_so_loudly():
    assert "AUTH DISABLED" in auth_banner({"AUTH_REQUIRED": "false"})
    assert "auth required" in auth_banner({})


@pytest.mark.parametrize(
    ("path", "body"),
    [("/v1/images/generate", {"prompt": "a red boat"}), ("/v1/backgrounds/generate", {"prompt": "a quiet beach"})],
)
def test_without_diffusion_weights_generation_is_503_and_says_how_to_install(open_mesh, path, body):
    before = requests.get(f"{open_mesh.base_url}/v1/credits", timeout=30).json()
    response = requests.post(f"{open_mesh.base_url}{path}", json=body, timeout=60)
    assert response.status_code == 503, response.text
    assert response.json()["error"] == "MODEL_UNAVAILABLE"
    assert "deploy.models.diffusion install" in response.json()["message"]
    assert requests.get(f"{open_mesh.base_url}/v1/credits", timeout=30).json() == before  # nothing charged


def test_every_request_is_the_local_admin(open_mesh):
    me = requests.get(f"{open_mesh.base_url}/v1/users/me", timeout=30)
    assert me.status_code == 200 and me.json()["role"] == "admin"


def test_seed_003_python_client_as_written(open_mesh, photo, tmp_path, monkeypatch, capsys):
    source = textwrap.dedent(
        '''
        import time
        import requests

        BASE = "http://localhost:8000"
        # 1) Submit
        with open("portrait.jpg", "rb") as f:
            files = {"file": ("portrait.jpg", f, "image/jpeg")}
            data = {
                "email": "you@example.com",
                "model": "u2net",
                "output_format": "png",
                "quality": 90,
                "scale": 1.0
            }
            r = requests.post(f"{BASE}/process", files=files, data=data)
            r.raise_for_status()
            info = r.json()
            pid = info["processing_id"]
            status_url = info["status_url"]
            print("Started:", pid)

        # 2) Poll
        while True:
            time.sleep(2)
            st = requests.get(status_url).json()["status"]
            print("Status:", st)
            if st != "processing":
                break

        # 3) Download
        if st == "completed":
            dl = requests.get(f"{BASE}/download/{pid}")
            dl.raise_for_status()
            with open(f"{pid}.png", "wb") as out:
                out.write(dl.content)
            print("Saved output:", f"{pid}.png")
        else:
            print("Processing failed!")
        '''
    ).replace("http://localhost:8000", open_mesh.base_url)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "portrait.jpg").write_bytes(photo)
    exec(compile(source, "seed_003_client.py", "exec"), {})
    out = capsys.readouterr().out
    pid = out.split("Started: ", 1)[1].split()[0]
    assert f"Saved output: {pid}.png" in out
    from PIL import Image

    assert Image.open(tmp_path / f"{pid}.png").mode == "RGBA"


def test_seed_002_curl_needs_no_key(open_mesh, photo):
    response = requests.post(f"{open_mesh.base_url}/remove-bg", files={"image": ("p.jpg", photo)}, timeout=120)
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"


def test_results_expire_and_their_storage_is_freed(open_mesh, photo):
    import time

    base = open_mesh.base_url
    pid = requests.post(f"{base}/process", files={"file": ("p.jpg", photo)}, data={"email": "a@example.com"}, timeout=60).json()["processing_id"]
    deadline = time.monotonic() + 60
    while requests.get(f"{base}/status/{pid}", timeout=30).json()["status"] == "processing":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    objects = open_mesh.data_dir / "objects"
    stored = [p for p in objects.rglob("*") if p.is_file() and pid in str(p) and not p.name.endswith(".content-type")]
    assert stored  # the original and the result
    deadline = time.monotonic() + 30
    # The sweep deletes the files, then marks the job: in between the file is simply not found (404 too).
    while (download := requests.get(f"{base}/download/{pid}", timeout=30)).status_code == 200 or (
        download.status_code == 404 and download.json()["error"] == "FILE_NOT_FOUND"
    ):
        assert time.monotonic() < deadline, "never expired"
        time.sleep(0.5)
    assert download.status_code == 404 and download.json()["error"] == "EXPIRED"  # seed 003: expired is 404
    assert not any(p.exists() for p in stored)
