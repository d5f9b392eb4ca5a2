"""Prometheus metrics: every service answers /metrics on a port of its own.

grpcio.serve starts the endpoint (start()) and installs ObservingInterceptor, so every
RPC of every service is counted by method and status code and timed, under the names
of go-grpc-prometheus that dashboards know (grpc_server_handled_total,
grpc_server_handling_seconds). The domain metrics are defined here, in one list, and
recorded where they happen: jobs by state (orchestrator store), credits (billing
ledger), model time (the tritonclient wrapper), queue depth (read from JetStream at
scrape time, watch_queues). Each service is one asyncio process: the default
registry is the whole truth, no multi-process mode is needed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import grpc
from prometheus_client import REGISTRY, Counter, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from services.runtime import logs, tracing
from services.runtime.config import env_float, env_int, env_str

log = logging.getLogger(__name__)

# One port per service, beside its gRPC port (5005x); <NAME>_METRICS_PORT overrides, 0 turns it off.
DEFAULT_PORTS = {"gateway": 9101, "orchestrator": 9102, "inference": 9103, "auth": 9104, "billing": 9105}
# A synchronous request waits for its job (SYNC_TIMEOUT_S, up to minutes): buckets reach that far.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
MODEL_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)

RPCS = Counter(
    "grpc_server_handled_total", "RPCs completed on this server, by method and gRPC status code",
    ["grpc_service", "grpc_method", "grpc_code"],
)
RPC_SECONDS = Histogram(
    "grpc_server_handling_seconds", "Time from an RPC's start to its status, by method",
    ["grpc_service", "grpc_method"], buckets=LATENCY_BUCKETS,
)
JOBS = Counter(
    "backdrop_jobs_total", "Jobs that reached each state: queued when submitted, completed or failed once", ["state"]
)
CREDITS_CHARGED = Counter(
    "backdrop_credits_charged_total", "Credits charged by the ledger (a retried charge is not counted again)", ["tier"]
)
CREDITS_REFUNDED = Counter("backdrop_credits_refunded_total", "Credits refunded by the ledger (failed jobs)", ["tier"])
INFERENCE_SECONDS = Histogram(
    "backdrop_inference_seconds", "Time of one call to the inference server (tritonclient), by model",
    ["model"], buckets=MODEL_BUCKETS,
)


def start(name: str) -> Callable[[], None] | None:
    """Serves /metrics for service `name`; returns the hook that stops it (None when off)."""
    port = env_int(f"{name.upper()}_METRICS_PORT", DEFAULT_PORTS.get(name, 0))
    if not port:
        return None
    address = env_str("METRICS_LISTEN_ADDRESS", env_str("GRPC_LISTEN_ADDRESS", "127.0.0.1"))
    server, _ = start_http_server(port, addr=address)
    log.info("metrics", extra=logs.fields(url=f"http://{address}:{port}/metrics"))
    return server.shutdown


def _split(method: str) -> tuple[str, str]:
    service, _, name = method.strip("/").partition("/")
    return service, name


class ObservingInterceptor(grpc.aio.ServerInterceptor):
    """Counts, times and traces every RPC (tracing.server_span). Installed after the request-id
    interceptor, so the span carries the request id. Unknown methods never reach it (no
    handler), so the labels are bounded by the registered services."""

    async def intercept_service(self, continuation, handler_call_details):
        handler = await continuation(handler_call_details)
        if handler is None:
            return None
        method = handler_call_details.method
        kinds = (
            ("unary_unary", grpc.unary_unary_rpc_method_handler, False),
            ("unary_stream", grpc.unary_stream_rpc_method_handler, True),
            ("stream_unary", grpc.stream_unary_rpc_method_handler, False),
            ("stream_stream", grpc.stream_stream_rpc_method_handler, True),
        )
        for attribute, make, streaming in kinds:
            behavior = getattr(handler, attribute)
            if behavior is not None:
                wrap = _observe_stream if streaming else _observe_unary
                return make(wrap(behavior, method), handler.request_deserializer, handler.response_serializer)
        return handler


def _code_of(context, exc: BaseException | None) -> grpc.StatusCode:
    if isinstance(exc, (asyncio.CancelledError, GeneratorExit)):  # the caller went away
        return grpc.StatusCode.CANCELLED
    code = context.code()
    if isinstance(code, int):  # the aio context may hold the raw number
        code = next((c for c in grpc.StatusCode if c.value[0] == code), grpc.StatusCode.UNKNOWN)
    if code is not None and code != grpc.StatusCode.OK:
        return code
    return grpc.StatusCode.UNKNOWN if exc is not None and not isinstance(exc, grpc.aio.AbortError) else grpc.StatusCode.OK


def record(method: str, code: grpc.StatusCode, seconds: float) -> None:
    service, name = _split(method)
    RPCS.labels(service, name, code.name).inc()
    RPC_SECONDS.labels(service, name).observe(seconds)


def _observe_unary(behavior, method: str):
    async def unary(request_or_iterator, context):
        started, failure = time.perf_counter(), None
        with tracing.server_span(method, context.invocation_metadata()) as span:
            try:
                return await behavior(request_or_iterator, context)
            except BaseException as exc:
                failure = exc
                raise
            finally:
                code = _code_of(context, failure)
                tracing.end_rpc(span, code)
                record(method, code, time.perf_counter() - started)

    return unary


def _observe_stream(behavior, method: str):
    async def streaming(request_or_iterator, context):
        started, failure = time.perf_counter(), None
        with tracing.server_span(method, context.invocation_metadata()) as span:
            try:
                async for item in behavior(request_or_iterator, context):
                    yield item
            except BaseException as exc:
                failure = exc
                raise
            finally:
                code = _code_of(context, failure)
                tracing.end_rpc(span, code)
                record(method, code, time.perf_counter() - started)

    return streaming


class _QueueDepth(Collector):
    """JetStream's own counts, read at scrape time on the service's event loop: messages per
    stream, and per consumer those not yet delivered and those delivered but not acked
    (work in progress). A scrape that cannot read them in time just lacks them."""

    def __init__(self, js, streams: tuple[str, ...], loop: asyncio.AbstractEventLoop):
        self.js, self.streams, self.loop = js, streams, loop
        self.timeout = env_float("METRICS_READ_TIMEOUT_S", 2.0)

    def describe(self):
        return []  # read nothing when registered

    def collect(self):
        future = asyncio.run_coroutine_threadsafe(self._read(), self.loop)
        try:
            return future.result(timeout=self.timeout)
        except Exception as exc:  # noqa: BLE001 - NATS away, or the loop busy: this scrape has no queue figures
            future.cancel()
            log.warning("queue depth not read", extra=logs.fields(error=repr(exc)))
            return []

    async def _read(self) -> list[GaugeMetricFamily]:
        held = GaugeMetricFamily("backdrop_queue_messages", "Messages held in each JetStream stream", labels=["stream"])
        pending = GaugeMetricFamily(
            "backdrop_queue_pending_messages", "Messages of a stream not yet delivered to each consumer", labels=["stream", "consumer"]
        )
        unacked = GaugeMetricFamily(
            "backdrop_queue_unacked_messages", "Messages delivered to each consumer and not yet acknowledged (in progress)",
            labels=["stream", "consumer"],
        )
        for stream in self.streams:
            held.add_metric([stream], (await self.js.stream_info(stream)).state.messages)
            for consumer in await self.js.consumers_info(stream):
                pending.add_metric([stream, consumer.name], consumer.num_pending or 0)
                unacked.add_metric([stream, consumer.name], consumer.num_ack_pending or 0)
        return [held, pending, unacked]


def watch_queues(js, streams: tuple[str, ...]) -> None:
    """Reports the depth of `streams` and their consumers from this process (call it on the loop)."""
    REGISTRY.register(_QueueDepth(js, streams, asyncio.get_running_loop()))
