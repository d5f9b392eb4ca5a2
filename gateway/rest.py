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
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from services.runtime import envelopes
from services.runtime.errors import ServiceError, invalid

STATUS_HEADER = "x-backdrop-status"
ERROR_HEADER = "x-backdrop-error"
DIALECT_HEADER = "x-backdrop-dialect"


def idempotency_key(context: grpc.aio.ServicerContext) -> str:
    """The request's Idempotency-Key header (at most 255 visible ASCII characters), or ""."""
    key = dict(context.invocation_metadata() or ()).get("idempotency-key", "").strip()
    if len(key) > 255 or not key.isascii() or not key.isprintable():
        raise invalid("INVALID_IDEMPOTENCY_KEY", "Idempotency-Key must be at most 255 printable ASCII characters")
    return key


async def set_status(context: grpc.aio.ServicerContext, status: int) -> None:
    await context.send_initial_metadata(((STATUS_HEADER, str(status)),))


async def abort(context: grpc.aio.ServicerContext, error: ServiceError, dialect: envelopes.Dialect):
    """Ends the RPC with `error`, and tells Envoy the REST status and body of `dialect`'s envelope."""
    status, body = envelopes.body(dialect, error)
    rest = [(STATUS_HEADER, str(status)), (ERROR_HEADER, json.dumps(body, ensure_ascii=True))]
    if "retry_after" in error.details:
        rest.append(("retry-after", error.details["retry_after"]))
    await error.abort(context, extra_metadata=rest)


def refuse_nul(message: Message, path: str = "") -> None:
    """A NUL character in any text field is a 400: PostgreSQL cannot store one, and no
    name, prompt or filter needs it."""
    for field, value in message.ListFields():
        name = f"{path}{field.name}"
        if field.type == FieldDescriptor.TYPE_STRING:
            values = value if field.label == FieldDescriptor.LABEL_REPEATED else [value]
            if any("\x00" in item for item in values):
                raise invalid("INVALID_PARAMETER", f"{name} may not contain NUL characters", field=name)
        elif field.type == FieldDescriptor.TYPE_MESSAGE:
            if field.message_type.GetOptions().map_entry:
                items = [f"{k}{v}" for k, v in value.items() if isinstance(v, str) or isinstance(k, str)]
                if any("\x00" in item for item in items):
                    raise invalid("INVALID_PARAMETER", f"{name} may not contain NUL characters", field=name)
                continue
            for item in value if field.label == FieldDescriptor.LABEL_REPEATED else [value]:
                refuse_nul(item, f"{name}.")


def request_dialect(context: grpc.aio.ServicerContext) -> envelopes.Dialect:
    """The dialect of the path a request came in on, as Envoy's Lua filter names it (after
    dropping any x-backdrop-* header a client sent); the gateway's own for internal callers."""
    name = dict(context.invocation_metadata() or ()).get(DIALECT_HEADER, "")
    return envelopes.BY_NAME.get(name, envelopes.BACKDROP)


def endpoint(dialect: envelopes.Dialect | None = None):
    """Decorates an RPC so a ServiceError (or a failed peer call) becomes its REST error in
    `dialect`'s envelope; without one, in the request's (an RPC bound under several
    dialects' paths: seed 004's generation is at /v1 and /fomi/v1)."""

    def wrap(handler: Callable[..., Awaitable]):
        async def rpc(self, request, context):
            try:
                refuse_nul(request)
                return await handler(self, request, context)
            except ServiceError as error:
                await abort(context, error, dialect or request_dialect(context))
            except grpc.aio.AioRpcError as failed:
                await abort(context, ServiceError.from_rpc_error(failed), dialect or request_dialect(context))

        rpc.__name__ = handler.__name__
        return rpc

    return wrap
