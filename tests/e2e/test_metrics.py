"""Metrics and traces on a real mesh of its own, whose OTLP collector is this test's.

After one remove-background request through Envoy: every service's /metrics answers and
shows its part of that request counted (the gateway's method, billing's Charge, the
orchestrator's SubmitJob and the job completed, the worker's model time for u2netp), Envoy's
Prometheus stats answer on their own port and nothing else of its admin does, and the spans
of that request, from Envoy to the worker, form one trace that carries its request id.
"""

from __future__ import annotations

import threading
import time
from concurrent import futures

import grpc
import pytest
import requests
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from prometheus_client.parser import text_string_to_metric_families

from deploy.local.mesh import Mesh, Ports, free_port
from tests.conftest import REPO, register, running

pytestmark = pytest.mark.mesh

REQUEST_ID = "backdrop.request_id"


class Collector(trace_service_pb2_grpc.TraceServiceServicer):
    """A tiny OTLP/gRPC trace receiver: keeps (service name, span) of every export."""

    def __init__(self):
        self.spans: list[tuple[str, object]] = []
        self.lock = threading.Lock()
        self.port = free_port()
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        trace_service_pb2_grpc.add_TraceServiceServicer_to_server(self, self.server)
        self.server.add_insecure_port(f"127.0.0.1:{self.port}")

    def Export(self, request, context):
        with self.lock:
            for resource in request.resource_spans:
                service = next((a.value.string_value for a in resource.resource.attributes if a.key == "service.name"), "")
                self.spans += [(service, span) for scope in resource.scope_spans for span in scope.spans]
        return trace_service_pb2.ExportTraceServiceResponse()

    def of_request(self, request_id: str) -> list[tuple[str, object]]:
        with self.lock:
            return [(s, span) for s, span in self.spans if attribute(span, REQUEST_ID) == request_id]


def attribute(span, key: str) -> str:
    return next((a.value.string_value for a in span.attributes if a.key == key), "")


@pytest.fixture(scope="module")
def collector():
    receiver = Collector()
    receiver.server.start()
    yield receiver
    receiver.server.stop(0)


@pytest.fixture(scope="module")
def observed(tmp_path_factory, collector):
    """Its model server loads only what a remove-background request needs (quick to start, small)."""
    lines: list[str] = []
    repository = tmp_path_factory.mktemp("repository-u2netp")
    for model in ("u2netp", "nudenet-320n"):
        (repository / model).symlink_to(REPO / ".models" / "repository" / model)
    instance = Mesh(
        tmp_path_factory.mktemp("observed"), ports=Ports.free(), sink=lambda n, l: lines.append(f"{n} | {l}"),
        env={"OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{collector.port}", "OTEL_BSP_SCHEDULE_DELAY": "200",
             "ENABLED_MODELS": "u2netp"},
        model_repository=repository,
    )
    instance.lines = lines
    yield from running(instance, lines)


@pytest.fixture(scope="module")
def removal(observed, photo) -> str:
    """One remove-background request (seed 002's /remove-bg) by a new account; its request id."""
    token = register(observed.base_url)["token"]
    response = requests.post(
        f"{observed.base_url}/remove-bg", files={"image": ("photo.jpg", photo, "image/jpeg")},
        headers={"Authorization": f"Bearer {token}"}, timeout=120,
    )
    assert response.status_code == 200 and response.headers["Content-Type"] == "image/png", response.text
    return response.headers["x-request-id"]


def scrape(url: str) -> dict[tuple[str, tuple], float]:
    reply = requests.get(url, timeout=10)
    assert reply.status_code == 200, url
    assert reply.headers["Content-Type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(reply.text)
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels) -> float:
    """The sum of `name`'s samples whose labels include `labels`."""
    return sum(v for (n, ls), v in samples.items() if n == name and labels.items() <= dict(ls).items())


def handled(samples: dict, service: str, method: str, code: str = "OK") -> float:
    return value(samples, "grpc_server_handled_total", grpc_service=service, grpc_method=method, grpc_code=code)


def service_metrics(mesh: Mesh, name: str) -> dict:
    return scrape(f"http://127.0.0.1:{mesh.metrics_ports()[name]}/metrics")


def test_make_up_says_where_the_metrics_are(observed):
    said = "\n".join(observed.lines)
    for name, port in observed.metrics_ports().items():
        assert f"{name} http://127.0.0.1:{port}/metrics" in said
    assert f"envoy http://127.0.0.1:{observed.ports.envoy_stats}/stats/prometheus" in said
    assert f"traces: exported to http://127.0.0.1:" in said


def test_every_service_counts_its_part_of_the_request(observed, removal):
    gateway = service_metrics(observed, "gateway")
    assert handled(gateway, "backdrop.gateway.v1.Gateway", "RemoveBg") >= 1
    assert value(gateway, "grpc_server_handling_seconds_count", grpc_method="RemoveBg") >= 1
    assert value(gateway, "grpc_server_handling_seconds_bucket", grpc_method="RemoveBg", le="+Inf") >= 1

    billing = service_metrics(observed, "billing")
    assert handled(billing, "backdrop.billing.v1.BillingService", "Charge") >= 1
    assert value(billing, "backdrop_credits_charged_total") >= 1

    auth = service_metrics(observed, "auth")  # Envoy's ext_authz check of the bearer token
    assert handled(auth, "envoy.service.auth.v3.Authorization", "Check") >= 1

    orchestrator = service_metrics(observed, "orchestrator")
    assert handled(orchestrator, "backdrop.jobs.v1.JobService", "SubmitJob") >= 1
    assert value(orchestrator, "backdrop_jobs_total", state="queued") >= 1
    assert value(orchestrator, "backdrop_jobs_total", state="completed") >= 1
    # Queue depth, read from JetStream at scrape time: the work queue is empty again.
    key = ("backdrop_queue_pending_messages", (("consumer", "inference-workers"), ("stream", "BACKDROP_WORK")))
    assert orchestrator[key] == 0
    assert ("backdrop_queue_messages", (("stream", "BACKDROP_WORK"),)) in orchestrator

    inference = service_metrics(observed, "inference")
    assert value(inference, "backdrop_inference_seconds_count", model="u2netp") >= 1
    assert value(inference, "backdrop_inference_seconds_sum", model="u2netp") > 0


def test_envoy_serves_its_prometheus_stats_and_nothing_else_of_its_admin(observed, removal):
    stats = f"http://127.0.0.1:{observed.ports.envoy_stats}"
    for path in ("/stats/prometheus", "/metrics"):
        samples = scrape(stats + path)
        # Envoy's counter envoy_http_downstream_rq_xx; the parser names a counter's sample *_total.
        answered = value(samples, "envoy_http_downstream_rq_xx_total", envoy_http_conn_manager_prefix="public", envoy_response_code_class="2")
        assert answered >= 1, path
    for method, path in (("GET", "/stats"), ("GET", "/config_dump"), ("POST", "/quitquitquit"), ("POST", "/stats/prometheus"),
                         ("POST", "/logging?level=trace")):
        assert requests.request(method, stats + path, timeout=10).status_code == 404, path
    assert requests.get(f"{observed.base_url}/health", timeout=10).status_code == 200  # still up


def test_one_request_is_one_trace_from_envoy_to_the_worker(observed, removal, collector):
    wanted = {"envoy", "gateway", "billing", "orchestrator", "inference"}
    # A span is exported when it ends: the worker's `infer` before the `process` around it.
    named = {"backdrop.gateway.v1.Gateway/RemoveBg", "process backdrop.work.remove_background", "infer u2netp", "process backdrop.events.job.*"}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        spans = collector.of_request(removal)
        if wanted <= {service for service, _ in spans} and named <= {span.name for _, span in spans}:
            break
        time.sleep(0.5)
    by_service = {}
    for service, span in spans:
        by_service.setdefault(service, []).append(span)
    assert wanted <= set(by_service), f"spans with request id {removal} came from {sorted(by_service)}"
    trace_ids = {span.trace_id for _, span in spans}
    assert len(trace_ids) == 1, "the request's spans are in more than one trace"
    names = {span.name for _, span in spans}
    assert "backdrop.gateway.v1.Gateway/RemoveBg" in names
    assert "backdrop.billing.v1.BillingService/Charge" in names and "backdrop.jobs.v1.JobService/SubmitJob" in names
    assert "process backdrop.work.remove_background" in names and "infer u2netp" in names
    assert "process backdrop.events.job.*" in names  # the worker's events, consumed in the same trace
    # The gateway's span is a child of Envoy's: the trace begins at the edge.
    (edge,) = [s for s in by_service["envoy"] if s.parent_span_id == b""]
    (served,) = [s for s in by_service["gateway"] if s.name.endswith("/RemoveBg")]
    ids = {s.span_id for _, s in spans}
    assert served.parent_span_id in ids and edge.trace_id == served.trace_id
