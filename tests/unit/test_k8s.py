"""The Kubernetes manifests, as a platform engineer would check them: they
build, validate against the schemas, and hold the properties the README
promises."""

from __future__ import annotations

import base64
import os
import pathlib
import subprocess
import sys

import kubernetes_validate
import pytest
import yaml

from deploy.envoy import render
from services.inference.worker import CONSUMER
from services.runtime.messaging import WORK_STREAM
from tests.conftest import REPO

BIN = pathlib.Path(sys.executable).parent
KUBERNETES_VERSION = "1.33.0"
SERVICES = ("gateway", "orchestrator", "inference", "auth", "billing")


def build(path: pathlib.Path, *flags: str) -> list[dict]:
    result = subprocess.run([str(BIN / "kubectl"), "kustomize", *flags, str(path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@pytest.fixture(scope="module", params=["local", "production"])
def overlay(request) -> tuple[str, list[dict]]:
    return request.param, build(REPO / "k8s" / "overlays" / request.param)


def of_kind(docs, kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def workloads(docs) -> dict[str, dict]:
    return {**of_kind(docs, "Deployment"), **of_kind(docs, "StatefulSet")}


def test_every_resource_validates_against_the_schemas(overlay):
    _, docs = overlay
    for doc in docs:
        if doc["apiVersion"].startswith("keda.sh/"):
            continue  # a CRD: checked in test_production_scaling
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_workloads_have_probes_limits_and_a_hardened_context(overlay):
    _, docs = overlay
    for name, workload in workloads(docs).items():
        pod = workload["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["automountServiceAccountToken"] is False, name
        for container in pod["containers"] + pod.get("initContainers", []):
            where = f"{name}/{container['name']}"
            if container in pod["containers"]:
                assert "readinessProbe" in container and "livenessProbe" in container, where
            for bound in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(container["resources"][bound]), where
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, where
            assert context["readOnlyRootFilesystem"] is True, where
            assert context["capabilities"]["drop"] == ["ALL"], where


def test_every_volume_mount_has_its_volume(overlay):
    _, docs = overlay
    for name, workload in workloads(docs).items():
        pod = workload["spec"]["template"]["spec"]
        volumes = {volume["name"] for volume in pod.get("volumes", [])}
        claims = {claim["metadata"]["name"] for claim in workload["spec"].get("volumeClaimTemplates", [])}
        for container in pod["containers"] + pod.get("initContainers", []):
            for mount in container.get("volumeMounts", []):
                assert mount["name"] in volumes | claims, f"{name}/{container['name']} mounts {mount['name']!r}"


def test_services_probe_grpc_health_and_take_config_from_the_environment(overlay):
    _, docs = overlay
    deployments = of_kind(docs, "Deployment")
    for name in SERVICES:
        (container,) = deployments[name]["spec"]["template"]["spec"]["containers"]
        port = container["ports"][0]  # grpc first; the gateway also has its WebSocket port
        assert port["name"] == "grpc"
        assert container["readinessProbe"]["grpc"] == {"port": port["containerPort"]}
        assert container["livenessProbe"]["grpc"] == {"port": port["containerPort"], "service": "liveness"}
        sources = [next(iter(s.values()))["name"] for s in container["envFrom"]]
        assert sources[0].startswith("backdrop-config") and sources[1] == "backdrop-secrets"
        service_ports = of_kind(docs, "Service")[name]["spec"]["ports"]
        assert service_ports[0]["name"] == "grpc"


def test_only_envoy_is_reachable_from_outside(overlay):
    _, docs = overlay
    external = [n for n, s in of_kind(docs, "Service").items() if s["spec"].get("type") in ("LoadBalancer", "NodePort")]
    assert external == ["envoy"]
    policies = of_kind(docs, "NetworkPolicy")
    assert policies["default-deny-ingress"]["spec"]["podSelector"] == {}

    def callers(name: str) -> list[str]:
        rules = policies[f"{name}-ingress"]["spec"]["ingress"]
        return [peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"] for rule in rules for peer in rule.get("from", [])]

    sources = {
        name: callers(name)
        for name in ("envoy", "gateway", "orchestrator", "inference", "triton", "postgres", "auth", "billing")
    }
    assert sources["envoy"] == []  # anyone
    assert sources["gateway"] == ["envoy"]
    assert sources["orchestrator"] == ["gateway"] and sources["inference"] == ["gateway"]
    assert sources["triton"] == ["inference"] and sources["postgres"] == ["orchestrator", "auth", "billing"]
    assert sources["billing"] == ["gateway"]
    assert sources["auth"] == ["envoy", "gateway"]


def test_triton_requests_a_gpu_only_in_production(overlay):
    name, docs = overlay
    triton = of_kind(docs, "Deployment")["triton"]["spec"]["template"]["spec"]
    limits = triton["containers"][0]["resources"]["limits"]
    assert ("nvidia.com/gpu" in limits) == (name == "production")
    assert triton["initContainers"][0]["image"].startswith("backdrop/models:")
    ports = {p["name"] for p in triton["containers"][0]["ports"]}
    assert ports == {"http", "grpc", "metrics"}
    assert triton["containers"][0]["readinessProbe"]["httpGet"]["path"] == "/v2/health/ready"


def test_envoy_configmap_is_the_config_make_up_runs(overlay):
    _, docs = overlay
    (configmap,) = [c for n, c in of_kind(docs, "ConfigMap").items() if n.startswith("envoy-")]
    deployed = configmap["data"]["envoy.yaml"]
    assert base64.b64decode(configmap["binaryData"]["backdrop.binpb"]) == (REPO / "protos/gen/backdrop.binpb").read_bytes()
    # Same template as make up; only the pod's addresses and the descriptor path differ.
    local = yaml.safe_load(render.render(render.DEFAULTS))
    pod = yaml.safe_load(deployed)
    assert deployed == render.render({**render.DEFAULTS, **render.K8S})
    for config, values in ((local, render.DEFAULTS), (pod, render.DEFAULTS)):
        listener = config["static_resources"]["listeners"][0]
        listener["address"]["socket_address"]["address"] = "ANY"
        hcm = listener["filter_chains"][0]["filters"][0]["typed_config"]
        for f in hcm["http_filters"]:
            if "proto_descriptor" in f["typed_config"]:
                f["typed_config"]["proto_descriptor"] = "DESCRIPTOR"
        for cluster in config["static_resources"]["clusters"]:
            endpoint = cluster["load_assignment"]["endpoints"][0]["lb_endpoints"][0]
            endpoint["endpoint"]["address"]["socket_address"]["address"] = cluster["name"].upper()
    assert local == pod


def test_committed_envoy_files_are_current():
    for name, data in render.k8s_files().items():
        assert (render.K8S_DIR / name).read_bytes() == data, f"k8s/base/envoy/{name} is stale: run `make k8s`"


def test_production_scaling():
    docs = build(REPO / "k8s" / "overlays" / "production")
    deployments = of_kind(docs, "Deployment")
    assert deployments["gateway"]["spec"]["replicas"] >= 2 and deployments["envoy"]["spec"]["replicas"] >= 2
    hpa = of_kind(docs, "HorizontalPodAutoscaler")["gateway"]["spec"]
    assert hpa["scaleTargetRef"]["name"] == "gateway" and hpa["metrics"][0]["resource"]["name"] == "cpu"
    scaled = of_kind(docs, "ScaledObject")["inference"]["spec"]
    (trigger,) = scaled["triggers"]
    assert trigger["type"] == "nats-jetstream" and scaled["scaleTargetRef"]["name"] == "inference"
    assert trigger["metadata"]["stream"] == WORK_STREAM and trigger["metadata"]["consumer"] == CONSUMER
    assert set(of_kind(docs, "PodDisruptionBudget")) >= {"envoy", "gateway", "orchestrator", "inference", "auth", "nats"}
    nats = of_kind(docs, "StatefulSet")["nats"]
    assert nats["spec"]["replicas"] == 3
    config = next(c for n, c in of_kind(docs, "ConfigMap").items() if n.startswith("nats-"))
    assert "routes" in config["data"]["nats.conf"] and "jetstream" in config["data"]["nats.conf"]
    settings = next(c for n, c in of_kind(docs, "ConfigMap").items() if n.startswith("backdrop-config"))
    assert settings["data"]["NATS_STREAM_REPLICAS"] == "3"


def test_managed_datastores_component(tmp_path):
    overlay = tmp_path / "managed"
    overlay.mkdir()
    (overlay / "kustomization.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "resources": [os.path.relpath(REPO / "k8s" / "overlays" / "local", overlay)],
                "components": [os.path.relpath(REPO / "k8s" / "components" / "managed-datastores", overlay)],
            }
        )
    )
    docs = build(overlay, "--load-restrictor", "LoadRestrictionsNone")
    assert "postgres" not in workloads(docs) and "minio" not in workloads(docs)
    assert {"gateway", "orchestrator", "inference", "triton", "nats", "envoy"} <= set(workloads(docs))
    settings = of_kind(docs, "ConfigMap")["backdrop-config"]["data"]
    assert settings["S3_ENDPOINT"].startswith("https://")


@pytest.mark.parametrize("dockerfile", sorted((REPO / "deploy" / "docker").glob("*.Dockerfile")), ids=lambda p: p.name)
def test_dockerfiles_lint_clean_run_as_non_root_and_pin_their_bases(dockerfile):
    result = subprocess.run([str(BIN / "hadolint"), str(dockerfile)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = dockerfile.read_text().splitlines()
    bases = [line.split()[1] for line in lines if line.startswith("FROM ")]
    assert bases and all(":" in b and not b.endswith(":latest") for b in bases)
    assert [line for line in lines if line.startswith("USER ")][-1].split()[1].split(":")[0] not in ("root", "0")
    assert sum(line.startswith("FROM ") for line in lines) >= 2  # multi-stage


def test_inference_pods_get_the_diffusion_tokenizer(overlay):
    _, docs = overlay
    pod = workloads(docs)["inference"]["spec"]["template"]["spec"]
    inference = pod["containers"][0]
    env = {item["name"]: item.get("value") for item in inference["env"]}
    mounts = {mount["mountPath"]: mount["name"] for mount in inference["volumeMounts"]}
    assert mounts[env["DIFFUSION_TOKENIZER_DIR"]] == "tokenizer" and "/tmp" in mounts
    copier = next(c for c in pod["initContainers"] if c["name"] == "diffusion-tokenizer")
    assert copier["image"].startswith("backdrop/models") and copier["volumeMounts"][0]["name"] == "tokenizer"
