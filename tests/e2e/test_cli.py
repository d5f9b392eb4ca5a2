"""The `backdrop` command (deploy/sdk/backdrop_sdk/cli.py) as a user runs it: the console
script `pip install` put in .venv/bin, as a subprocess, against the real mesh."""

from __future__ import annotations

import io
import json
import os
import pathlib
import select
import shutil
import signal
import stat
import subprocess
import time
import zipfile

import numpy as np
import pytest
from PIL import Image

from tests.conftest import REPO, register
from tests.contract.accounts import api_key, on_plan
from tests.samples import jpeg

pytestmark = pytest.mark.mesh
BACKDROP = REPO / ".venv" / "bin" / "backdrop"


@pytest.fixture(scope="module")
def small(astronaut) -> bytes:
    return jpeg(np.asarray(Image.fromarray(astronaut).resize((128, 128))))


@pytest.fixture(scope="module")
def env(mesh, tmp_path_factory) -> dict:
    """BACKDROP_URL and BACKDROP_API_KEY of a pro account; a config folder of its own."""
    if not BACKDROP.exists():
        pytest.fail("the backdrop console script is missing: `make install` (pip install -e .) installs it")
    account = on_plan(mesh.base_url, "pro")
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("BACKDROP_")},
        "BACKDROP_URL": mesh.base_url, "BACKDROP_API_KEY": api_key(mesh.base_url, account["headers"]),
        "BACKDROP_CONFIG_DIR": str(tmp_path_factory.mktemp("config")),
    }


def backdrop(env: dict, *args: str, stdin: str | None = None, cwd: pathlib.Path | None = None, timeout: float = 120):
    return subprocess.run([str(BACKDROP), *args], env=env, input=stdin, capture_output=True, text=True, cwd=cwd, timeout=timeout)


def assert_cutout(path: pathlib.Path, size=(128, 128)) -> None:
    image = Image.open(path)
    assert image.format == "PNG" and image.mode == "RGBA" and image.size == size
    alpha = np.asarray(image)[..., 3]
    assert alpha.min() == 0 and alpha.max() == 255


def test_remove_two_images_into_a_folder_with_json(env, small, tmp_path):
    (tmp_path / "a.jpg").write_bytes(small)
    (tmp_path / "b.jpg").write_bytes(small)
    run = backdrop(env, "remove", str(tmp_path / "a.jpg"), str(tmp_path / "b.jpg"), "-o", str(tmp_path / "out"), "--tier", "basic", "--json")
    assert run.returncode == 0, run.stderr
    results = json.loads(run.stdout)
    assert [pathlib.Path(r["output"]).name for r in results] == ["a.png", "b.png"]
    assert all(r["credits_used"] == 4 and r["tier"] == "basic" and (r["width"], r["height"]) == (128, 128) for r in results)
    for name in ("a.png", "b.png"):
        assert_cutout(tmp_path / "out" / name)
    human = backdrop(env, "remove", str(tmp_path / "a.jpg"), "-o", str(tmp_path / "again"), "--tier", "basic")
    assert human.returncode == 0 and human.stdout.strip().endswith("a.png")


def test_watch_mode_picks_up_a_file_added_after_start(env, small, tmp_path):
    inbox, out = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    watcher = subprocess.Popen(
        [str(BACKDROP), "remove", str(inbox), "--watch", "-o", str(out), "--interval", "0.2", "--tier", "basic", "--json"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert "watching" in watcher.stderr.readline()
        time.sleep(0.5)
        (inbox / "late.jpg").write_bytes(small)
        ready, _, _ = select.select([watcher.stdout], [], [], 60)
        assert ready, "no result within 60 s of the file appearing"
        result = json.loads(watcher.stdout.readline())
        assert result["input"] == str(inbox / "late.jpg") and result["output"] == str(out / "late.png")
        assert_cutout(out / "late.png")
        watcher.send_signal(signal.SIGINT)
        assert watcher.wait(timeout=30) == 0
    finally:
        if watcher.poll() is None:
            watcher.kill()
            watcher.wait()


def test_batch_writes_a_zip_with_the_documents_names(env, small, tmp_path):
    folder = tmp_path / "shoot"
    folder.mkdir()
    for name in ("one.jpg", "two.jpg"):
        (folder / name).write_bytes(small)
    run = backdrop(env, "batch", str(folder), "--zip", str(tmp_path / "out.zip"), "--tier", "basic", "--json")
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)
    assert (summary["status"], summary["total"], summary["processed"], summary["failed"], summary["credits"]) == ("completed", 2, 2, 0, 8)
    archive = zipfile.ZipFile(tmp_path / "out.zip")
    assert sorted(archive.namelist()) == ["removed-one.png", "removed-two.png"]
    for name in archive.namelist():
        (tmp_path / name).write_bytes(archive.read(name))
        assert_cutout(tmp_path / name)


def test_upscale_and_generate(env, small, tmp_path):
    up = backdrop(env, "upscale", str(write(tmp_path / "p.jpg", small)), "--scale", "2", "-o", str(tmp_path), "--json")
    assert up.returncode == 0, up.stderr
    (result,) = json.loads(up.stdout)
    assert Image.open(result["output"]).size == (256, 256) == (result["width"], result["height"])
    made = backdrop(env, "generate", "a red kite over a beach", "-o", str(tmp_path / "gen"), "--steps", "10", "--seed", "7", "--json")
    assert made.returncode == 0, made.stderr
    generation = json.loads(made.stdout)
    assert generation["status"] == "completed" and len(generation["images"]) == 1
    image = Image.open(generation["images"][0]["output"])
    assert image.format == "PNG" and image.size == (generation["images"][0]["width"], generation["images"][0]["height"])


def write(path: pathlib.Path, data: bytes) -> pathlib.Path:
    path.write_bytes(data)
    return path


def test_login_stores_a_key_owner_only_then_credits_use_it(env, mesh):
    account = register(mesh.base_url)
    bare = {k: v for k, v in env.items() if k != "BACKDROP_API_KEY"}
    login = backdrop(bare, "login", "--email", account["user"]["email"], "--password-stdin", stdin=account["password"] + "\n")
    assert login.returncode == 0, login.stderr
    stored = pathlib.Path(env["BACKDROP_CONFIG_DIR"]) / "credentials.json"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert json.loads(stored.read_text())["api_key"].startswith("bdp_")
    credits = backdrop(bare, "credits", "--json")
    assert credits.returncode == 0, credits.stderr
    assert json.loads(credits.stdout)["balance"] == 100 and json.loads(credits.stdout)["plan"] == "free"
    assert "100 credits on plan free" in backdrop(bare, "credits").stdout
    assert backdrop(bare, "logout").returncode == 0 and not stored.exists()
    assert backdrop(bare, "credits").returncode == 2  # no credential left (and the key was revoked)


def test_exit_codes(env, mesh, small, tmp_path):
    bad_key = backdrop({**env, "BACKDROP_API_KEY": "bdp_not_a_real_key"}, "credits", "--json")
    assert bad_key.returncode == 2
    assert json.loads(bad_key.stderr)["error"]["code"] == "INVALID_TOKEN"
    free = {**env, "BACKDROP_API_KEY": api_key(mesh.base_url, {"Authorization": f"Bearer {register(mesh.base_url)['token']}"})}
    plan = backdrop(free, "remove", str(write(tmp_path / "p.jpg", small)), "-o", str(tmp_path), "--tier", "professional")
    assert plan.returncode == 3 and "TIER_NOT_ALLOWED" in plan.stderr
    assert backdrop(env, "remove").returncode == 1  # usage
    assert backdrop(env, "remove", str(tmp_path / "missing.jpg")).returncode == 1
    broken = backdrop(env, "remove", str(write(tmp_path / "broken.jpg", small[:300])), "-o", str(tmp_path), "--tier", "basic")
    assert broken.returncode == 1 and "INVALID_IMAGE" in broken.stderr
    nobody = backdrop({**env, "BACKDROP_URL": "http://127.0.0.1:9"}, "credits")
    assert nobody.returncode == 4
