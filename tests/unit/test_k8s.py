"""The Kubernetes manifests, as a platform engineer would check them: they
build, validate against the schemas, and hold the properties the README
promises."""

from __future__ import annotations

import base64
import os
import pathlib
import re
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
        # The gateway also has its WebSocket port, and every service its metrics port.
        port = next(p for p in container["ports"] if p["name"] == "grpc")
        assert container["readinessProbe"]["grpc"] == {"port": port["containerPort"]}
        assert container["livenessProbe"]["grpc"] == {"port": port["containerPort"], "service": "liveness"}
        sources = [next(iter(s.values()))["name"] for s in container["envFrom"]]
        assert sources[0].startswith("backdrop-config") and sources[1] == f"backdrop-{name}"
        service_ports = of_kind(docs, "Service")[name]["spec"]["ports"]
        assert "grpc" in {p["name"] for p in service_ports}


def test_only_envoy_is_reachable_from_outside(overlay):
    _, docs = overlay
    services = of_kind(docs, "Service")
    external = [n for n, s in services.items() if s["spec"].get("type") in ("LoadBalancer", "NodePort")]
    assert external == ["envoy"]
    # The client's own address reaches Envoy (no SNAT): per-address limits and login backoff key on it.
    assert services["envoy"]["spec"]["externalTrafficPolicy"] == "Local"
    policies = of_kind(docs, "NetworkPolicy")
    assert policies["default-deny-ingress"]["spec"]["podSelector"] == {}
    assert [rule.get("from") for rule in policies["envoy-ingress"]["spec"]["ingress"]] == [None]  # anyone


# How a service's code reaches a peer: a shared client module, or an address setting.
CLIENT_MODULES = {"db": "postgres", "messaging": "nats", "objectstore": "minio"}
ADDRESS_SETTINGS = {"AUTH_ADDR": "auth", "BILLING_ADDR": "billing", "ORCHESTRATOR_ADDR": "orchestrator",
                    "INFERENCE_ADDR": "inference", "TRITON_URL": "triton"}
PACKAGES = {"gateway": REPO / "gateway", **{name: REPO / "services" / name for name in SERVICES if name != "gateway"}}


def call_graph() -> dict[str, set[str]]:
    """Who calls whom, read from the code (and, for Envoy, from its rendered clusters)."""
    graph = {}
    for name, package in PACKAGES.items():
        code = "\n".join(path.read_text() for path in package.rglob("*.py"))
        modules = {m for m, peer in CLIENT_MODULES.items()
                   if re.search(rf"services\.runtime\.{m}\b|from services\.runtime import [^\n]*\b{m}\b", code)}
        graph[name] = {CLIENT_MODULES[m] for m in modules} | {peer for s, peer in ADDRESS_SETTINGS.items() if s in code}
    envoy = yaml.safe_load(render.render({**render.DEFAULTS, **render.K8S}))
    graph["envoy"] = {
        endpoint["endpoint"]["address"]["socket_address"]["address"]
        for cluster in envoy["static_resources"]["clusters"]
        for endpoint in cluster["load_assignment"]["endpoints"][0]["lb_endpoints"]
    } - {"127.0.0.1"}  # its own admin, inside the pod (the stats listener's upstream)
    graph["db-roles"] = {CLIENT_MODULES["db"]}  # the Job runs services.runtime.db (test_the_db_roles_job_...)
    return graph


def test_network_policies_admit_exactly_the_call_graph(overlay):
    _, docs = overlay
    graph = call_graph()
    # The edges the review found missing (H1, M3), and the ones everything rests on.
    assert graph["envoy"] == {"gateway", "auth", "billing"}  # the API, ext_authz, rate limits
    assert graph["gateway"] == {"auth", "billing", "orchestrator", "inference", "minio"}
    assert graph["orchestrator"] == {"postgres", "nats", "minio"}  # minio: retention's deletes
    assert graph["inference"] == {"nats", "minio", "triton"}
    assert graph["auth"] == {"postgres"}
    assert graph["billing"] == {"postgres", "nats", "orchestrator"}  # orchestrator: the charge reconciler
    policies = of_kind(docs, "NetworkPolicy")
    services = of_kind(docs, "Service")
    for target in set().union(*graph.values()):
        rules = policies[f"{target}-ingress"]["spec"]["ingress"]
        admitted = {peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"] for rule in rules for peer in rule["from"]}
        assert admitted == {caller for caller, callees in graph.items() if target in callees}, target
        ports = {port["port"] for rule in rules for port in rule["ports"]}
        assert ports and ports <= {port["port"] for port in services[target]["spec"]["ports"]}, target


def test_envoy_sheds_load_before_its_pod_is_oom_killed(overlay):
    _, docs = overlay
    (container,) = of_kind(docs, "Deployment")["envoy"]["spec"]["template"]["spec"]["containers"]
    memory = container["resources"]["limits"]["memory"]
    units = {"Mi": 2**20, "Gi": 2**30}
    limit = int(memory[:-2]) * units[memory[-2:]]
    overload = yaml.safe_load(render.render({**render.DEFAULTS, **render.K8S}))["overload_manager"]
    monitors = {m["name"]: m["typed_config"] for m in overload["resource_monitors"]}
    heap = monitors["envoy.resource_monitors.fixed_heap"]["max_heap_size_bytes"]
    assert 0.5 * limit <= heap <= 0.8 * limit  # the rest of the pod's memory is not heap
    assert monitors["envoy.resource_monitors.global_downstream_max_connections"]["max_active_downstream_connections"] > 0
    actions = {a["name"] for a in overload["actions"]}
    assert {"envoy.overload_actions.shrink_heap", "envoy.overload_actions.stop_accepting_requests"} <= actions
    # Enough heap for several uploads of the largest size at once.
    assert heap >= 8 * int(render.DEFAULTS["MAX_BODY_BYTES"])


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
        for listener in config["static_resources"]["listeners"]:  # the public one and Envoy's stats
            listener["address"]["socket_address"]["address"] = "ANY"
        hcm = config["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"]
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
    # Bases are build arguments (BASE_IMAGE; deploy/docker/images.py) whose defaults are pinned.
    defaults = dict(line.split()[1].split("=", 1) for line in lines if line.startswith("ARG ") and "=" in line)
    bases = [line.split()[1] for line in lines if line.startswith("FROM ")]
    bases = [defaults.get(b.strip("${}"), b) for b in bases if b.strip("${}") in defaults or ":" in b]
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


# --- metrics (services/runtime/metrics.py, k8s/base/monitoring, k8s/components/monitoring) ---

def with_monitoring(tmp_path) -> list[dict]:
    """The local overlay with the Prometheus Operator component, as an operator adds it."""
    overlay = tmp_path / "monitored"
    overlay.mkdir()
    (overlay / "kustomization.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "resources": [os.path.relpath(REPO / "k8s" / "overlays" / "local", overlay)],
                "components": [os.path.relpath(REPO / "k8s" / "components" / "monitoring", overlay)],
            }
        )
    )
    return build(overlay, "--load-restrictor", "LoadRestrictionsNone")


def metrics_ports() -> dict[str, int]:
    from services.runtime.metrics import DEFAULT_PORTS

    return {**DEFAULT_PORTS, "envoy": int(render.DEFAULTS["ENVOY_STATS_PORT"])}


def test_every_pod_has_a_metrics_port_on_a_labelled_internal_service(overlay):
    _, docs = overlay
    deployments, services = of_kind(docs, "Deployment"), of_kind(docs, "Service")
    for name, port in metrics_ports().items():
        (container,) = deployments[name]["spec"]["template"]["spec"]["containers"]
        assert {"name": "metrics", "containerPort": port} in container["ports"], name
        service = services["envoy-metrics" if name == "envoy" else name]
        assert service["metadata"]["labels"]["backdrop.dev/metrics"] == "true", name
        assert {"name": "metrics", "port": port, "targetPort": "metrics"} in service["spec"]["ports"], name
        assert service["spec"].get("type", "ClusterIP") == "ClusterIP", name
        assert service["spec"]["selector"] == {"app.kubernetes.io/name": name}
    # The public Service carries no metrics: Envoy's are on envoy-metrics only.
    assert [p["name"] for p in services["envoy"]["spec"]["ports"]] == ["http"]


def test_prometheus_may_reach_the_metrics_ports_and_only_those(overlay):
    _, docs = overlay
    policy = of_kind(docs, "NetworkPolicy")["metrics-scrape"]["spec"]
    (expression,) = policy["podSelector"]["matchExpressions"]
    assert expression["key"] == "app.kubernetes.io/name" and set(expression["values"]) == set(metrics_ports())
    (rule,) = policy["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": "metrics"}]
    assert rule["from"] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}]


def test_envoy_serves_only_its_prometheus_stats_on_the_metrics_port():
    config = yaml.safe_load(render.render({**render.DEFAULTS, **render.K8S}))
    assert config["admin"]["address"]["socket_address"]["address"] == "127.0.0.1"  # never exposed
    listeners = {listener["name"]: listener for listener in config["static_resources"]["listeners"]}
    stats = listeners["stats"]
    assert stats["address"]["socket_address"] == {"address": "0.0.0.0", "port_value": int(render.DEFAULTS["ENVOY_STATS_PORT"])}
    (host,) = stats["filter_chains"][0]["filters"][0]["typed_config"]["route_config"]["virtual_hosts"]
    proxied = [r for r in host["routes"] if "route" in r]
    assert {r["match"]["path"] for r in proxied} == {"/stats/prometheus", "/metrics"}
    assert all(r["route"]["cluster"] == "envoy_admin" and r["match"]["headers"][0]["string_match"] == {"exact": "GET"} for r in proxied)
    assert [r["route"].get("prefix_rewrite", r["match"]["path"]) for r in proxied] == ["/stats/prometheus"] * 2
    assert host["routes"][-1] == {"match": {"prefix": "/"}, "direct_response": host["routes"][-1]["direct_response"]}
    assert host["routes"][-1]["direct_response"]["status"] == 404
    admin = {c["name"]: c for c in config["static_resources"]["clusters"]}["envoy_admin"]
    address = admin["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]["address"]["socket_address"]
    assert address == {"address": "127.0.0.1", "port_value": int(render.DEFAULTS["ENVOY_ADMIN_PORT"])}


def test_envoy_traces_only_when_a_collector_is_configured():
    hcm = lambda config: config["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"]  # noqa: E731
    plain = yaml.safe_load(render.render({**render.DEFAULTS, **render.K8S}))
    assert "tracing" not in hcm(plain) and "otel_collector" not in {c["name"] for c in plain["static_resources"]["clusters"]}
    traced = yaml.safe_load(render.render({**render.DEFAULTS, **render.K8S, "OTEL_EXPORTER_OTLP_ENDPOINT": "http://otel-collector.monitoring:4317"}))
    tracing = hcm(traced)["tracing"]
    assert tracing["provider"]["name"] == "envoy.tracers.opentelemetry"
    assert tracing["custom_tags"] == [{"tag": "backdrop.request_id", "request_header": {"name": "x-request-id"}}]
    collector = {c["name"]: c for c in traced["static_resources"]["clusters"]}["otel_collector"]
    address = collector["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]["address"]["socket_address"]
    assert address == {"address": "otel-collector.monitoring", "port_value": 4317}
    with pytest.raises(ValueError, match="http://host:port"):
        render.render({**render.DEFAULTS, "OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4317"})


def test_the_service_monitor_scrapes_every_labelled_service(tmp_path):
    docs = with_monitoring(tmp_path)
    (monitor,) = [d for d in docs if d["kind"] == "ServiceMonitor"]
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1" and monitor["metadata"]["namespace"] == "backdrop"
    selected = {n for n, s in of_kind(docs, "Service").items()
                if all(s["metadata"].get("labels", {}).get(k) == v for k, v in monitor["spec"]["selector"]["matchLabels"].items())}
    assert selected == {*SERVICES, "envoy-metrics", "triton"}
    assert monitor["spec"]["endpoints"] == [{"port": "metrics", "path": "/metrics", "interval": "15s"}]
    for name in selected:
        assert "metrics" in {p["name"] for p in of_kind(docs, "Service")[name]["spec"]["ports"]}, name


def test_the_plain_scrape_config_and_the_dashboard(overlay):
    import json

    from prometheus_client import REGISTRY

    _, docs = overlay
    configmaps = of_kind(docs, "ConfigMap")
    scrape = yaml.safe_load(next(c for n, c in configmaps.items() if n.startswith("prometheus-scrape"))["data"]["prometheus-scrape.yaml"])
    (job,) = scrape["scrape_configs"]
    assert job["metrics_path"] == "/metrics" and job["kubernetes_sd_configs"][0]["namespaces"]["names"] == ["backdrop"]
    kept = {r["source_labels"][0]: r["regex"] for r in job["relabel_configs"] if r.get("action") == "keep"}
    assert kept == {"__meta_kubernetes_service_label_backdrop_dev_metrics": "true", "__meta_kubernetes_endpoint_port_name": "metrics"}

    (board_map,) = [c for n, c in configmaps.items() if n.startswith("grafana-dashboard")]
    assert board_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    board = json.loads(board_map["data"]["backdrop.json"])
    titles = " | ".join(panel["title"] for panel in board["panels"])
    for wanted in ("Requests/s by route", "Error rate by route", "p50 / p95 / p99", "Jobs by state", "Queue depth",
                   "Credits charged", "Inference time per model"):
        assert wanted in titles
    import services.runtime.metrics  # noqa: F401  (its metrics registered)

    ours = {metric.name for metric in REGISTRY.collect()} | {"backdrop_queue_pending_messages", "backdrop_queue_unacked_messages"}
    for panel in board["panels"]:
        for target in panel["targets"]:
            names = set(re.findall(r"\b((?:grpc_server|backdrop|envoy)_[a-z_]+)\b", target["expr"]))
            assert names, target["expr"]
            for name in names - {n for n in names if n.startswith("envoy_")}:
                base = re.sub(r"_(total|bucket)$", "", name)
                assert base in ours, f"{panel['title']}: {name} is not a metric Backdrop exports"


def secret_references(docs) -> dict[str, set[str]]:
    """Which Secrets each workload's containers read (whole, or key by key), by workload name."""
    refs: dict[str, set[str]] = {}
    for name, workload in {**workloads(docs), **of_kind(docs, "Job")}.items():
        pod = workload["spec"]["template"]["spec"]
        for container in pod["containers"] + pod.get("initContainers", []):
            for source in container.get("envFrom", []):
                if "secretRef" in source:
                    refs.setdefault(name, set()).add(source["secretRef"]["name"])
            for variable in container.get("env", []):
                if ref := variable.get("valueFrom", {}).get("secretKeyRef"):
                    refs.setdefault(name, set()).add(ref["name"])
    return refs


def test_each_workload_reads_only_its_own_secret(overlay):
    """M11: no pod holds another's credentials; only PostgreSQL and the db-roles Job see the superuser."""
    from deploy import k8s_secrets

    _, docs = overlay
    refs = secret_references(docs)
    assert {name: names for name, names in refs.items()} == {
        **{service: {f"backdrop-{service}"} for service in SERVICES},
        "nats": {"backdrop-nats"}, "postgres": {"backdrop-postgres"}, "db-roles": {"backdrop-postgres"},
        "minio": {"backdrop-minio"},
    }
    assert set().union(*refs.values()) == set(k8s_secrets.KEYS)
    made = k8s_secrets.values(None, None, {})
    assert "DATABASE_URL" not in made["backdrop-inference"] and "DATABASE_URL" not in made["backdrop-gateway"]
    assert "URL_SIGNING_KEY" not in made["backdrop-inference"] and "URL_SIGNING_KEY" not in made["backdrop-billing"]
    for service in ("auth", "billing", "orchestrator"):
        assert made[f"backdrop-{service}"]["DATABASE_URL"].startswith(f"postgresql://backdrop_{service}:")
    assert made["backdrop-postgres"]["DATABASE_URL"].startswith("postgresql://postgres:")
    # The NATS server's passwords are the services' own.
    for service in ("orchestrator", "inference", "billing"):
        assert made["backdrop-nats"][f"NATS_{service.upper()}_PASSWORD"] == made[f"backdrop-{service}"]["NATS_PASSWORD"]
        assert made[f"backdrop-{service}"]["NATS_USER"] == service


def test_the_db_roles_job_provisions_as_the_superuser_under_the_same_hardening(overlay):
    _, docs = overlay
    job = of_kind(docs, "Job")["db-roles"]
    pod = job["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["args"] == ["services.runtime.db", "provision"]
    assert container["image"].startswith("backdrop/service:")
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["automountServiceAccountToken"] is False
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]


def test_nats_runs_with_the_rendered_authorization(overlay):
    from deploy import nats as nats_config

    _, docs = overlay
    (configmap,) = [c for n, c in of_kind(docs, "ConfigMap").items() if n.startswith("nats-")]
    assert configmap["data"]["authorization.conf"] == nats_config.render()
    assert "include ./authorization.conf" in configmap["data"]["nats.conf"]
