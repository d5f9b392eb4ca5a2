"""gRPC bootstrap shared by every service: server, health, reflection,
request-id and trace propagation, metrics (/metrics), graceful shutdown, and client channels."""

from __future__ import annotations

import asyncio
import logging
import signal
import uuid
from collections.abc import Awaitable, Callable, Iterable

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from services.runtime import logs, metrics, tracing
from services.runtime.config import env_float, env_int, env_str

log = logging.getLogger(__name__)

# Images cross gRPC between Envoy and the gateway: room for a 50 MB upload.
MAX_MESSAGE_BYTES = env_int("GRPC_MAX_MESSAGE_BYTES", 64 * 1024 * 1024)
CHANNEL_OPTIONS = [
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
]

HealthCheck = Callable[[], Awaitable[None]]
LIVENESS = "liveness"


def _with_request_id(behavior, request_id_of):
    """Wraps an RPC behaviour so it runs with the caller's request id."""

    if asyncio.iscoroutinefunction(behavior):

        async def unary(request, context):
            logs.request_id.set(request_id_of(context))
            return await behavior(request, context)

        return unary

    async def streaming(request, context):
        logs.request_id.set(request_id_of(context))
        async for item in behavior(request, context):
            yield item

    return streaming


def _request_id_of(context: grpc.aio.ServicerContext) -> str:
    for key, value in context.invocation_metadata() or ():
        if key == logs.REQUEST_ID_KEY and value:
            return value[:128]
    return uuid.uuid4().hex


class RequestIdServerInterceptor(grpc.aio.ServerInterceptor):
    async def intercept_service(self, continuation, handler_call_details):
        handler = await continuation(handler_call_details)
        if handler is None:
            return None
        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(
                _with_request_id(handler.unary_unary, _request_id_of),
                handler.request_deserializer,
                handler.response_serializer,
            )
        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(
                _with_request_id(handler.unary_stream, _request_id_of),
                handler.request_deserializer,
                handler.response_serializer,
            )
        return handler


class _RequestIdClientInterceptor(grpc.aio.UnaryUnaryClientInterceptor, grpc.aio.UnaryStreamClientInterceptor):
    """Sends the current request id and trace context to the called service."""

    def _details(self, details: grpc.aio.ClientCallDetails) -> grpc.aio.ClientCallDetails:
        rid, trace_headers = logs.request_id.get(), tracing.carrier()
        if not rid and not trace_headers:
            return details
        metadata = grpc.aio.Metadata(*(details.metadata or ()))
        if rid:
            metadata[logs.REQUEST_ID_KEY] = rid
        for key, value in trace_headers.items():
            metadata[key] = value
        return grpc.aio.ClientCallDetails(
            details.method, details.timeout, metadata, details.credentials, details.wait_for_ready
        )

    async def intercept_unary_unary(self, continuation, client_call_details, request):
        return await continuation(self._details(client_call_details), request)

    async def intercept_unary_stream(self, continuation, client_call_details, request):
        return await continuation(self._details(client_call_details), request)


def channel(target: str) -> grpc.aio.Channel:
    return grpc.aio.insecure_channel(
        target, options=CHANNEL_OPTIONS, interceptors=[_RequestIdClientInterceptor()]
    )


class HealthMonitor:
    """Runs the service's dependency checks and publishes them on grpc.health.v1.

    Each dependency is served under its own name (e.g. "postgres") so a caller
    can say which part is down; "" is SERVING only when every check passes.
    """

    def __init__(self, servicer: health.aio.HealthServicer, checks: dict[str, HealthCheck]):
        self.servicer = servicer
        self.checks = checks
        self.interval = env_float("HEALTH_CHECK_INTERVAL_S", 2.0)
        self.failures: dict[str, str] = {}

    async def check_once(self) -> bool:
        healthy = True
        for name, check in self.checks.items():
            try:
                await asyncio.wait_for(check(), timeout=max(1.0, self.interval * 2))
                status = health_pb2.HealthCheckResponse.SERVING
                if name in self.failures:
                    log.info("dependency recovered", extra=logs.fields(dependency=name))
                    del self.failures[name]
            except Exception as exc:  # noqa: BLE001 - any failure means not serving
                healthy = False
                status = health_pb2.HealthCheckResponse.NOT_SERVING
                reason = str(exc) or type(exc).__name__
                if self.failures.get(name) != reason:
                    log.warning("dependency unhealthy", extra=logs.fields(dependency=name, error=reason))
                self.failures[name] = reason
            await self.servicer.set(name, status)
        overall = health_pb2.HealthCheckResponse.SERVING if healthy else health_pb2.HealthCheckResponse.NOT_SERVING
        await self.servicer.set("", overall)
        return healthy

    async def run(self) -> None:
        while True:
            await self.check_once()
            await asyncio.sleep(self.interval)


async def serve(
    *,
    name: str,
    port: int,
    register: Callable[[grpc.aio.Server], Iterable[str]],
    checks: dict[str, HealthCheck] | None = None,
    background: Iterable[Callable[[], Awaitable[None]]] = (),
    on_shutdown: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Runs a service until SIGTERM/SIGINT, then drains and stops it.

    `register` adds the service's servicers and returns their full names (for
    reflection); `background` are long-running tasks such as NATS consumers.
    """
    stop_tracing = tracing.setup(name)
    # The request id first: the observing interceptor's span and counts run inside it.
    server = grpc.aio.server(interceptors=[RequestIdServerInterceptor(), metrics.ObservingInterceptor()], options=CHANNEL_OPTIONS)
    service_names = list(register(server))
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        [*service_names, health.SERVICE_NAME, reflection.SERVICE_NAME], server
    )
    # Loopback by default (make up); 0.0.0.0 in a pod.
    address = f"{env_str('GRPC_LISTEN_ADDRESS', '127.0.0.1')}:{port}"
    server.add_insecure_port(address)
    await server.start()
    stop_metrics = metrics.start(name)

    # "liveness" is SERVING while the process runs: a failing dependency makes a
    # pod unready (""), it is no reason to restart it.
    await health_servicer.set(LIVENESS, health_pb2.HealthCheckResponse.SERVING)
    monitor = HealthMonitor(health_servicer, checks or {})
    await monitor.check_once()
    tasks = [asyncio.create_task(monitor.run(), name="health")]
    tasks += [asyncio.create_task(_keep_running(job), name=getattr(job, "__name__", "task")) for job in background]
    log.info("serving", extra=logs.fields(address=address, services=service_names))

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    crashed = asyncio.create_task(_first_crash(tasks))
    await asyncio.wait([asyncio.create_task(stop.wait()), crashed], return_when=asyncio.FIRST_COMPLETED)
    if crashed.done() and crashed.exception() is None and crashed.result() is not None:
        log.error("background task failed; shutting down", exc_info=crashed.result())

    log.info("shutting down")
    await health_servicer.enter_graceful_shutdown()
    await server.stop(env_float("SHUTDOWN_GRACE_S", 10.0))
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    crashed.cancel()
    if on_shutdown:
        try:  # a peer that is already gone (NATS, Postgres) must not hold the exit
            await asyncio.wait_for(on_shutdown(), timeout=5)
        except TimeoutError:
            log.warning("shutdown hooks timed out")
    if stop_metrics:
        stop_metrics()
    stop_tracing()
    log.info("stopped")


async def _keep_running(job: Callable[[], Awaitable[None]]) -> None:
    """Restarts a background task that dies (with backoff, logged) instead of the process:
    a consumer that trips over a NATS or PostgreSQL restart comes back by itself."""
    from services.runtime.messaging import Backoff

    name = getattr(job, "__name__", "task")
    backoff = Backoff(first=1.0, cap=30.0)
    while True:
        started = asyncio.get_running_loop().time()
        try:
            await job()
            log.warning("background task returned; restarting it", extra=logs.fields(task=name))
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - see the docstring
            log.exception("background task failed; restarting it", extra=logs.fields(task=name))
        if asyncio.get_running_loop().time() - started > 60:
            backoff.reset()  # it ran fine for a while: this is a new failure, not a loop
        await asyncio.sleep(backoff.next())


async def _first_crash(tasks: list[asyncio.Task]) -> BaseException | None:
    """Resolves with the exception of the first background task that dies."""
    done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    for task in done:
        if not task.cancelled() and task.exception() is not None:
            return task.exception()
    return None
