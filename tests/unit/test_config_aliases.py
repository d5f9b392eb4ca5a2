"""Seed 002's and seed 003's settings as aliases of Backdrop's (services/runtime/aliases.py):
the mapping and its units, which name wins, the one-line messages of `make up`, and that the
consumers (config reads, the mesh's environment, Envoy's config, rate limits, models) see them."""

from __future__ import annotations

import os
import pathlib

import pytest

from deploy.envoy import render
from deploy.local import supervisor
from deploy.local.mesh import Mesh, Ports
from services.billing.catalog import Catalog
from services.billing.ratelimit import limit_for
from services.inference import models
from services.runtime import aliases, objectstore
from services.runtime.config import ConfigError, env_float, env_int, env_str
from services.runtime.errors import ServiceError
from services.runtime.signing import UrlSigner

REPO = pathlib.Path(__file__).resolve().parents[2]
# Seed 003's .env as its README prints it.
SEED_003_ENV = """\
# Redis
REDIS_URL=redis://localhost:6379/0

# SMTP (for notification emails)
SMTP_SERVER=smtp.example.com
SMTP_PORT=587
SMTP_USER=no-reply@example.com
SMTP_PASSWORD=supersecret

# App
BASE_URL=http://localhost:8000
OUTPUT_DIR=processed_images

# Scheduler
CLEANUP_INTERVAL_HOURS=1

# Model
GPU_ENABLED=false
MODEL_NAMES=u2net,u2netp,u2net_human_seg
"""


@pytest.fixture
def clean_env(monkeypatch):
    """No seed or target setting from the machine running the tests."""
    for alias in aliases.ALIASES:
        monkeypatch.delenv(alias.seed, raising=False)
        if alias.target:
            monkeypatch.delenv(alias.target, raising=False)
    monkeypatch.delenv("S3_ENDPOINT", raising=False)
    return monkeypatch


def test_every_seed_setting_has_one_entry_in_the_table():
    seeds = [a.seed for a in aliases.ALIASES]
    assert len(seeds) == len(set(seeds))
    assert set(seeds) == {
        "PORT", "MAX_FILE_SIZE", "MODEL", "API_KEY", "RATE_LIMIT", "CACHE_DIR", "CORS_ORIGINS",  # seed 002
        "REDIS_URL", "SMTP_SERVER", "SMTP_PORT", "SMTP_USER", "SMTP_PASSWORD", "BASE_URL", "OUTPUT_DIR",
        "CLEANUP_INTERVAL_HOURS", "GPU_ENABLED", "MODEL_NAMES",  # seed 003
    }


@pytest.mark.parametrize(
    ("seed", "value", "target", "expected"),
    [
        ("PORT", "5000", "BACKDROP_HTTP_PORT", "5000"),
        ("RATE_LIMIT", "50", "REMBG_REQUESTS_PER_HOUR", "50"),
        ("BASE_URL", "https://api.example.com/", "PUBLIC_BASE_URL", "https://api.example.com"),
        ("CLEANUP_INTERVAL_HOURS", "1.5", "CLEANUP_INTERVAL_S", "5400"),
        ("MODEL_NAMES", " U2net, u2netp ,", "ENABLED_MODELS", "u2net,u2netp"),
        ("OUTPUT_DIR", "/srv/processed", "OBJECT_STORE_DIR", "/srv/processed"),
        ("CACHE_DIR", "/var/cache/rembg", "OBJECT_STORE_DIR", "/var/cache/rembg"),
    ],
)
def test_a_seed_setting_sets_backdrops_in_backdrops_units(seed, value, target, expected):
    resolved = aliases.resolve({seed: value})
    assert resolved.env[target] == expected
    assert resolved.env[seed] == value  # the seed's own stays
    assert len(resolved.lines) == 1 and resolved.lines[0].startswith(f"backdrop: {seed}={value} (seed 00")
    assert f"sets {target}={expected}" in resolved.lines[0]


def test_a_relative_folder_is_made_absolute_from_where_make_up_runs():
    assert aliases.resolve({"OUTPUT_DIR": "processed_images"}).env["OBJECT_STORE_DIR"] == os.path.abspath("processed_images")


def test_backdrops_own_name_wins_and_the_line_says_so():
    resolved = aliases.resolve({"BASE_URL": "http://localhost:8000", "PUBLIC_BASE_URL": "https://backdrop.example.com"})
    assert resolved.env["PUBLIC_BASE_URL"] == "https://backdrop.example.com"
    assert resolved.lines == [
        "backdrop: BASE_URL (seed 003) is ignored: PUBLIC_BASE_URL is set too, and Backdrop's own name wins"
    ]


def test_two_seed_names_for_one_setting_the_first_in_the_table_wins():
    resolved = aliases.resolve({"CACHE_DIR": "/a", "OUTPUT_DIR": "/b"})
    assert resolved.env["OBJECT_STORE_DIR"] == "/a"
    assert "backdrop: OUTPUT_DIR (seed 003) is ignored: CACHE_DIR (seed 002) sets OBJECT_STORE_DIR already" in resolved.lines


@pytest.mark.parametrize(
    ("seed", "value", "why"),
    [
        ("REDIS_URL", "redis://localhost:6379/0", "no meaning here (jobs queue on NATS JetStream"),
        ("GPU_ENABLED", "true", "the inference server picks the device"),
    ],
)
def test_a_setting_with_no_meaning_here_is_one_line_that_says_why(seed, value, why):
    resolved = aliases.resolve({seed: value})
    assert len(resolved.lines) == 1
    assert resolved.lines[0].startswith(f"backdrop: {seed} (seed 00") and f"is ignored: {why}" in resolved.lines[0]
    assert "\n" not in resolved.lines[0]
    assert resolved.env == {seed: value}


def test_the_folder_settings_do_not_apply_when_files_go_to_s3():
    resolved = aliases.resolve({"OUTPUT_DIR": "/srv/out", "S3_ENDPOINT": "http://minio:9000"})
    assert "OBJECT_STORE_DIR" not in resolved.env
    assert resolved.lines == ["backdrop: OUTPUT_DIR (seed 003) is ignored: files are kept in S3 (S3_ENDPOINT is set), not in a folder"]


def test_settings_that_already_have_backdrops_name_say_nothing():
    env = {"MAX_FILE_SIZE": "1", "MODEL": "u2net", "CORS_ORIGINS": "https://a.example", "SMTP_SERVER": "smtp.example.com"}
    assert aliases.resolve(env).env == env
    assert aliases.resolve(env).lines == []


@pytest.mark.parametrize(
    ("seed", "value"),
    [("PORT", "http"), ("PORT", "70000"), ("RATE_LIMIT", "-3"), ("RATE_LIMIT", "fifty"),
     ("CLEANUP_INTERVAL_HOURS", "0"), ("CLEANUP_INTERVAL_HOURS", "hourly"), ("BASE_URL", "localhost:8000"),
     ("MODEL_NAMES", " , ")],
)
def test_a_bad_seed_value_is_refused_naming_the_seed_setting(seed, value):
    with pytest.raises(ConfigError, match=seed):
        aliases.resolve({seed: value})


def test_seed_003s_whole_env_file(tmp_path):
    path = tmp_path / ".env"
    path.write_text(SEED_003_ENV)
    settings = supervisor.read_env_file(path)
    assert settings["SMTP_PASSWORD"] == "supersecret" and settings["MODEL_NAMES"] == "u2net,u2netp,u2net_human_seg"
    resolved = aliases.resolve(settings)
    assert resolved.env["PUBLIC_BASE_URL"] == "http://localhost:8000"
    assert resolved.env["CLEANUP_INTERVAL_S"] == "3600"
    assert resolved.env["ENABLED_MODELS"] == "u2net,u2netp,u2net_human_seg"
    assert resolved.env["OBJECT_STORE_DIR"].endswith("/processed_images")
    ignored = [line.split(" ")[1] for line in resolved.lines if " is ignored: " in line]
    assert ignored == ["REDIS_URL", "GPU_ENABLED"]
    assert len(resolved.lines) == 6  # one per seed setting but the SMTP ones (Backdrop's names already)
    assert resolved.env["SMTP_SERVER"] == "smtp.example.com"  # Backdrop's own name already


def test_env_file_lines_quotes_export_and_comments(tmp_path):
    path = tmp_path / "backdrop.env"
    path.write_text("export PORT=5000\nAPI_KEY='a b c'\nRATE_LIMIT=50 # per hour\nCORS_ORIGINS=\"*\"\n")
    assert supervisor.read_env_file(path) == {"PORT": "5000", "API_KEY": "a b c", "RATE_LIMIT": "50", "CORS_ORIGINS": "*"}
    path.write_text("PORT 5000\n")
    with pytest.raises(ConfigError, match="backdrop.env:1"):
        supervisor.read_env_file(path)


def test_make_up_reads_the_env_file_and_the_environment_wins(tmp_path, clean_env):
    clean_env.setattr(os, "environ", dict(os.environ))  # what the file adds goes when the test ends
    path = tmp_path / "seed.env"
    path.write_text("PORT=5000\nRATE_LIMIT=50\n")
    clean_env.setenv("BACKDROP_ENV_FILE", str(path))
    clean_env.setenv("RATE_LIMIT", "7")
    lines = supervisor.operator_environment()
    assert lines == [f"backdrop: read 2 settings from {path} (the environment wins over it)"]
    assert os.environ["PORT"] == "5000" and os.environ["RATE_LIMIT"] == "7"
    clean_env.setenv("BACKDROP_ENV_FILE", str(tmp_path / "missing.env"))
    with pytest.raises(OSError):
        supervisor.operator_environment()


def test_config_reads_fall_back_to_the_seed_names(clean_env):
    clean_env.setenv("CLEANUP_INTERVAL_HOURS", "2")
    clean_env.setenv("RATE_LIMIT", "2")
    clean_env.setenv("BASE_URL", "https://api.example.com/")
    assert env_float("CLEANUP_INTERVAL_S", 3600.0) == 7200.0
    assert env_int("REMBG_REQUESTS_PER_HOUR", 0) == 2
    assert UrlSigner(key=b"k").url("results/x.png").startswith("https://api.example.com/v1/files/results/x.png?")
    clean_env.setenv("CLEANUP_INTERVAL_S", "60")
    assert env_float("CLEANUP_INTERVAL_S", 3600.0) == 60.0  # Backdrop's own wins in the services too
    clean_env.setenv("RATE_LIMIT", "lots")
    with pytest.raises(ConfigError, match="RATE_LIMIT"):
        env_int("REMBG_REQUESTS_PER_HOUR", 0)


def test_the_local_file_store_is_the_output_dir(tmp_path, clean_env):
    clean_env.setenv("OUTPUT_DIR", str(tmp_path / "processed_images"))
    assert objectstore.from_env().root == tmp_path / "processed_images"
    assert env_str("OBJECT_STORE_DIR", ".data/objects") == str(tmp_path / "processed_images")


def test_rate_limit_is_one_hourly_counter_for_seed_002s_routes_whatever_the_plan():
    catalog = Catalog.load()
    for plan in ("free", "pro", "enterprise"):
        for route_class in ("single_remove", "batch_start", "status"):
            entries = {"user": "u1", "plan": plan, "class": route_class, "api": "rembg"}
            assert limit_for(catalog, entries, plan, rembg_per_hour=2) == ("u1:rembg", 2, "hour")
    # The /v1 routes keep their endpoint classes, and the plan's own hourly limit stays.
    assert limit_for(catalog, {"user": "u1", "class": "single_remove"}, "free", rembg_per_hour=2) == ("u1:single_remove", 30, "minute")
    assert limit_for(catalog, {"user": "u1", "plan": "free"}, "free", rembg_per_hour=2) == ("u1:plan", 100, "hour")
    # Unset: seed 002's routes have their endpoint classes as before.
    rembg = {"user": "u1", "class": "single_remove", "api": "rembg"}
    assert limit_for(catalog, rembg, "free", rembg_per_hour=0) == ("u1:single_remove", 30, "minute")


def test_model_names_limit_the_models_clients_may_ask_for(clean_env):
    clean_env.setenv("MODEL_NAMES", "u2netp,silueta")  # a name that is no model here is skipped
    assert list(models.enabled_models()) == ["u2netp"]
    assert models.resolve("u2net").name == "u2netp"  # the same model: u2net runs u2netp here
    with pytest.raises(ServiceError) as refused:
        models.resolve("u2net_human_seg")
    assert refused.value.reason == "INVALID_MODEL" and "modnet" not in str(refused.value)
    clean_env.setenv("MODEL_NAMES", "u2net_human_seg")
    assert list(models.enabled_models()) == ["modnet"] and models.default_model() == "modnet"
    clean_env.setenv("MODEL_NAMES", "silueta")
    with pytest.raises(ConfigError, match="ENABLED_MODELS"):
        models.enabled_models()
    clean_env.delenv("MODEL_NAMES")
    assert set(models.enabled_models()) == {"u2netp", "modnet", "isnet"}


def test_the_mesh_gives_the_services_backdrops_names(tmp_path, clean_env):
    env = {"PORT": "5000", "RATE_LIMIT": "2", "BASE_URL": "http://localhost:5000", "CLEANUP_INTERVAL_HOURS": "1",
           "MODEL_NAMES": "u2netp", "OUTPUT_DIR": str(tmp_path / "out"), "REDIS_URL": "redis://x"}
    assert Ports.from_env(env).http == 5000
    mesh = Mesh(tmp_path / "data", ports=Ports.free(), env=env)
    children = mesh.service_env()
    assert children["REMBG_REQUESTS_PER_HOUR"] == "2"
    assert children["PUBLIC_BASE_URL"] == "http://localhost:5000"
    assert children["CLEANUP_INTERVAL_S"] == "3600"
    assert children["ENABLED_MODELS"] == "u2netp"
    assert children["OBJECT_STORE_DIR"] == str(tmp_path / "out")
    assert children["BACKDROP_HTTP_PORT"] == str(mesh.ports.http)  # the port the mesh listens on
    lines = mesh.seed_settings()
    assert len(lines) == 7 and all(line.startswith("backdrop: ") for line in lines)
    assert any(line.startswith("backdrop: REDIS_URL (seed 003) is ignored") for line in lines)


def test_envoys_config_takes_port_and_cors_origins():
    config = render.render({"PORT": "5000", "CORS_ORIGINS": "https://app.example.com"})
    assert "port_value: 5000" in config and '"exact": "https://app.example.com"' in config
    assert "port_value: 8081" in render.render({"PORT": "5000", "BACKDROP_HTTP_PORT": "8081"})


def test_the_readme_lists_every_seed_setting():
    readme = (REPO / "README.md").read_text()
    section = readme.split("### Coming from rembg-server or the async service", 1)[1].split("\n## ", 1)[0]
    for alias in aliases.ALIASES:
        assert f"`{alias.seed}`" in section, alias.seed
        if alias.target:
            assert f"`{alias.target}`" in section, alias.target
