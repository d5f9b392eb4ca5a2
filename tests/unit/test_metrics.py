"""The shared metrics and tracing (services/runtime/metrics.py, tracing.py), on a real
grpc.aio server in this process: each call is counted under its method and status code,
timed into the right histogram bucket, and traced as a child of its caller's span with the
request id; the /metrics endpoint serves it all as Prometheus text."""

from __future__ import annotations

import asyncio
import urllib.request

import grpc
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import REGISTRY

from deploy.local.mesh import free_port
from services.runtime import grpcio, logs, messaging, metrics, tracing
from services.runtime.errors import invalid

SERVICE = "test.metrics.v1.Probe"
exporter = InMemorySpanExporter()


@pytest.fixture(scope="module", autouse=True)
def spans():
    """An in-memory span exporter: the SDK set up as tracing.setup does, nothing leaves the process."""
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)  # set once per process; the services' tracer is a proxy to it
    yield exporter


def handled(method: str, code: str) -> float:
    return REGISTRY.get_sample_value(
        "grpc_server_handled_total", {"grpc_service": SERVICE, "grpc_method": method, "grpc_code": code}
    ) or 0.0


def bucket(method: str, le: str) -> float:
    return REGISTRY.get_sample_value(
        "grpc_server_handling_seconds_bucket", {"grpc_service": SERVICE, "grpc_method": method, "le": le}
    ) or 0.0


async def _ok(request: bytes, context) -> bytes:
    await asyncio.sleep(0.03)
    return request


async def _invalid(request: bytes, context) -> bytes:
    await invalid("INVALID_INPUT", "no good").abort(context)


async def _crash(request: bytes, context) -> bytes:
    raise RuntimeError("a bug")


async def _stream(request: bytes, context):
    for part in (b"a", b"b"):
        yield part


async def _request_id(request: bytes, context) -> bytes:
    return logs.request_id.get().encode()


@pytest.fixture(scope="module")
async def channel():
    server = grpc.aio.server(interceptors=[grpcio.RequestIdServerInterceptor(), metrics.ObservingInterceptor()])
    handlers = {name: grpc.unary_unary_rpc_method_handler(fn) for name, fn in
                (("Ok", _ok), ("Invalid", _invalid), ("Crash", _crash), ("RequestId", _request_id))}
    handlers["Stream"] = grpc.unary_stream_rpc_method_handler(_stream)
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler(SERVICE, handlers)])
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    client = grpcio.channel(f"127.0.0.1:{port}")
    yield client
    await client.close()
    await server.stop(0)


def call(channel, method: str):
    return channel.unary_unary(f"/{SERVICE}/{method}")


async def test_a_call_is_counted_under_its_method_and_status_code(channel):
    before = handled("Ok", "OK"), handled("Invalid", "INVALID_ARGUMENT"), handled("Crash", "UNKNOWN")
    assert await call(channel, "Ok")(b"hi") == b"hi"
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await call(channel, "Invalid")(b"")
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.aio.AioRpcError) as crashed:
        await call(channel, "Crash")(b"")
    assert crashed.value.code() == grpc.StatusCode.UNKNOWN
    after = handled("Ok", "OK"), handled("Invalid", "INVALID_ARGUMENT"), handled("Crash", "UNKNOWN")
    assert [b - a for a, b in zip(before, after)] == [1, 1, 1]
    assert handled("Invalid", "OK") == 0 and handled("Crash", "OK") == 0


async def test_a_stream_is_counted_once_when_it_ends(channel):
    before = handled("Stream", "OK")
    parts = [part async for part in channel.unary_stream(f"/{SERVICE}/Stream")(b"")]
    assert parts == [b"a", b"b"]
    assert handled("Stream", "OK") - before == 1


async def test_latency_lands_in_its_histogram_bucket(channel):
    before = {le: bucket("Ok", le) for le in ("0.025", "0.05", "+Inf")}
    await call(channel, "Ok")(b"x")  # sleeps 30 ms
    after = {le: bucket("Ok", le) for le in before}
    assert after["0.025"] - before["0.025"] == 0  # slower than 25 ms
    assert after["0.05"] - before["0.05"] == 1 and after["+Inf"] - before["+Inf"] == 1
    # The buckets reach a synchronous request's whole wait (minutes), not just Prometheus' default 10 s.
    assert metrics.LATENCY_BUCKETS[-1] >= 120 and list(metrics.LATENCY_BUCKETS) == sorted(metrics.LATENCY_BUCKETS)


async def test_a_call_is_traced_as_a_child_of_its_caller_with_the_request_id(channel, spans):
    spans.clear()
    rid = "req-test-123"
    with tracing.span("caller") as parent:
        token = logs.request_id.set(rid)
        try:
            assert await call(channel, "RequestId")(b"") == rid.encode()  # the id crossed as metadata too
        finally:
            logs.request_id.reset(token)
    (served,) = [s for s in spans.get_finished_spans() if s.name == f"{SERVICE}/RequestId"]
    assert served.kind == trace.SpanKind.SERVER
    assert served.context.trace_id == parent.get_span_context().trace_id
    assert served.parent.span_id == parent.get_span_context().span_id
    assert served.attributes[tracing.REQUEST_ID] == rid
    assert served.attributes["rpc.grpc.status_code"] == 0


async def test_a_nats_message_carries_the_trace_to_its_consumer(spans):
    spans.clear()
    with tracing.span("publisher") as parent:
        token = logs.request_id.set("req-nats-1")
        headers = messaging.headers()
        logs.request_id.reset(token)
    assert headers[logs.REQUEST_ID_KEY] == "req-nats-1" and headers["traceparent"].startswith("00-")

    class Message:
        subject = "backdrop.work.remove_background"

    Message.headers = headers
    with messaging.handling(Message()):
        assert logs.request_id.get() == "req-nats-1"
    (consumed,) = [s for s in spans.get_finished_spans() if s.name.startswith("process ")]
    assert consumed.kind == trace.SpanKind.CONSUMER
    assert consumed.context.trace_id == parent.get_span_context().trace_id
    assert consumed.attributes[tracing.REQUEST_ID] == "req-nats-1"


def test_nothing_is_exported_unless_a_collector_is_configured(monkeypatch):
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", raising=False)
    assert not tracing.enabled()
    tracing.setup("probe")()  # a no-op hook
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4317")
    assert tracing.enabled()


def test_the_metrics_endpoint_serves_prometheus_text(monkeypatch):
    port = free_port()
    monkeypatch.setenv("PROBE_METRICS_PORT", str(port))
    stop = metrics.start("probe")
    try:
        metrics.CREDITS_CHARGED.labels("basic").inc(3)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as reply:
            text = reply.read().decode()
        assert reply.status == 200 and reply.headers["Content-Type"].startswith("text/plain")
        assert "# TYPE grpc_server_handled_total counter" in text
        assert "# TYPE grpc_server_handling_seconds histogram" in text
        assert 'backdrop_credits_charged_total{tier="basic"}' in text
    finally:
        stop()
    monkeypatch.setenv("PROBE_METRICS_PORT", "0")
    assert metrics.start("probe") is None  # 0 turns it off


def test_the_otlp_exporter_imports_against_its_own_protos():
    """xds-protos ships an older opentelemetry/proto; `make install` puts opentelemetry-proto's
    back (a fresh venv otherwise fails every service at start-up when tracing is imported)."""
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    from opentelemetry.proto.common.v1 import common_pb2

    assert OTLPSpanExporter and "InstrumentationScope" in common_pb2.DESCRIPTOR.message_types_by_name
