"""OpenTelemetry traces: one trace per request, Envoy → gateway → services → NATS → worker.

Nothing is exported unless OTEL_EXPORTER_OTLP_ENDPOINT (or _TRACES_ENDPOINT) is set:
then spans go over OTLP/gRPC to that collector (the SDK reads the other OTEL_* settings,
e.g. OTEL_BSP_SCHEDULE_DELAY, OTEL_TRACES_SAMPLER). Without it the spans here are no-ops,
but the W3C `traceparent` still passes through, so a trace Envoy starts stays one trace.

The context crosses gRPC as metadata (grpcio.py's client interceptor, carrier()) and NATS
as message headers (messaging.headers() and messaging.handling()); every span carries the
request id (REQUEST_ID), the id Envoy made and every log line of the work has.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable, Iterator

import grpc
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from services.runtime import logs
from services.runtime.config import env_str

log = logging.getLogger(__name__)

REQUEST_ID = "backdrop.request_id"
tracer = trace.get_tracer("backdrop")


def enabled() -> bool:
    return bool(env_str("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "") or env_str("OTEL_EXPORTER_OTLP_ENDPOINT", ""))


def setup(service: str) -> Callable[[], None]:
    """Exports this process's spans when a collector is configured; returns the hook that
    flushes what is left at shutdown."""
    if not enabled():
        return lambda: None
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    log.info("exporting traces", extra=logs.fields(endpoint=env_str("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "") or env_str("OTEL_EXPORTER_OTLP_ENDPOINT")))
    return provider.shutdown


def carrier() -> dict[str, str]:
    """The current trace context as headers (traceparent, tracestate) for a call or a message."""
    headers: dict[str, str] = {}
    propagate.inject(headers)
    return headers


def _with_request_id(attributes: dict) -> dict:
    rid = logs.request_id.get()
    return {**attributes, REQUEST_ID: rid} if rid else attributes


@contextlib.contextmanager
def server_span(method: str, metadata: Iterable | None) -> Iterator[trace.Span]:
    """A span for one RPC served here (method "/pkg.Service/Method"), child of the caller's."""
    headers = {key: value for key, value in (metadata or ()) if isinstance(value, str)}
    service, _, name = method.strip("/").partition("/")
    attributes = _with_request_id({"rpc.system": "grpc", "rpc.service": service, "rpc.method": name})
    with tracer.start_as_current_span(
        method.strip("/"), context=propagate.extract(headers), kind=SpanKind.SERVER, attributes=attributes,
        record_exception=False, set_status_on_exception=False,
    ) as span:
        yield span


# The server-side error codes of OpenTelemetry's gRPC conventions; the others are the client's doing.
_SERVER_ERRORS = {grpc.StatusCode.UNKNOWN, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.UNIMPLEMENTED,
                  grpc.StatusCode.INTERNAL, grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DATA_LOSS}


def end_rpc(span: trace.Span, code: grpc.StatusCode) -> None:
    span.set_attribute("rpc.grpc.status_code", code.value[0])
    if code in _SERVER_ERRORS:
        span.set_status(Status(StatusCode.ERROR, code.name))


@contextlib.contextmanager
def consumer_span(destination: str, subject: str, headers: dict | None) -> Iterator[trace.Span]:
    """A span for handling one NATS message, child of the span that published it."""
    attributes = _with_request_id({"messaging.system": "nats", "messaging.destination.name": destination, "messaging.nats.subject": subject})
    with tracer.start_as_current_span(
        f"process {destination}", context=propagate.extract(dict(headers or {})), kind=SpanKind.CONSUMER, attributes=attributes
    ) as span:
        yield span


def span(name: str, **attributes) -> contextlib.AbstractContextManager[trace.Span]:
    """A span of work inside this process (a model call, say)."""
    return tracer.start_as_current_span(name, attributes=_with_request_id(attributes))
