"""How gateway RPCs shape the REST response Envoy sends.

Envoy's transcoder only maps gRPC OK to HTTP 200, and its error body has a
numeric code. So the gateway sends the HTTP status (x-backdrop-status) and,
for errors, the JSON error body (x-backdrop-error) as response metadata; the
Lua filter in deploy/envoy applies them. gRPC callers still get a normal
status with a google.rpc.ErrorInfo.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

import grpc

from services.runtime.errors import ServiceError, invalid

STATUS_HEADER = "x-backdrop-status"
ERROR_HEADER = "x-backdrop-error"


def idempotency_key(context: grpc.aio.ServicerContext) -> str:
    """The request's Idempotency-Key header (at most 255 visible ASCII characters), or ""."""
    key = dict(context.invocation_metadata() or ()).get("idempotency-key", "").strip()
    if len(key) > 255 or not key.isascii() or not key.isprintable():
        raise invalid("INVALID_IDEMPOTENCY_KEY", "Idempotency-Key must be at most 255 printable ASCII characters")
    return key


async def set_status(context: grpc.aio.ServicerContext, status: int) -> None:
    await context.send_initial_metadata(((STATUS_HEADER, str(status)),))


async def abort(context: grpc.aio.ServicerContext, error: ServiceError, body: Callable[[ServiceError], dict]):
    rest = [(STATUS_HEADER, str(error.http_status)), (ERROR_HEADER, json.dumps(body(error), ensure_ascii=True))]
    if "retry_after" in error.details:
        rest.append(("retry-after", error.details["retry_after"]))
    await error.abort(context, extra_metadata=rest)


def endpoint(body: Callable[[ServiceError], dict]):
    """Decorates an RPC so a ServiceError (or a failed peer call) becomes its REST error."""

    def wrap(handler: Callable[..., Awaitable]):
        async def rpc(self, request, context):
            try:
                return await handler(self, request, context)
            except ServiceError as error:
                await abort(context, error, body)
            except grpc.aio.AioRpcError as failed:
                await abort(context, ServiceError.from_rpc_error(failed), body)

        rpc.__name__ = handler.__name__
        return rpc

    return wrap
