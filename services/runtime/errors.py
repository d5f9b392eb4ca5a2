"""One error type for every service: a gRPC status with a google.rpc.ErrorInfo.

`reason` is the UPPER_SNAKE code the public API shows (seed codes such as
INVALID_FILE_TYPE, FILE_TOO_LARGE); `http_status` is what a REST client sees
when it differs from the usual mapping of the gRPC code (413 has no gRPC code).
"""

from __future__ import annotations

import inspect
import logging
import uuid

import grpc
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2

DOMAIN = "backdrop.dev"
STATUS_DETAILS_KEY = "grpc-status-details-bin"
HTTP_STATUS_KEY = "http_status"

# The usual HTTP status of each gRPC code (google.rpc.Code's documentation).
HTTP_STATUS = {
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.CANCELLED: 499,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
}


log = logging.getLogger(__name__)

# What a client is told when a peer failed without a ServiceError of its own.
_PLAIN_ERRORS = {
    grpc.StatusCode.UNAVAILABLE: ("SERVICE_UNAVAILABLE", "A backend service is unavailable; retry shortly"),
    grpc.StatusCode.DEADLINE_EXCEEDED: ("TIMEOUT", "A backend service did not answer in time; retry shortly"),
    grpc.StatusCode.INTERNAL: ("INTERNAL_ERROR", "Internal error; it was logged, retry later or report it with the request id"),
}


class ServiceError(Exception):
    def __init__(
        self,
        code: grpc.StatusCode,
        reason: str,
        message: str,
        *,
        details: dict[str, str] | None = None,
        http_status: int | None = None,
    ):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = {k: str(v) for k, v in (details or {}).items()}
        self.http_status = http_status or HTTP_STATUS.get(code, 500)

    def to_status(self) -> status_pb2.Status:
        # The REST status travels with the error so that it survives a hop between services.
        metadata = {**self.details, HTTP_STATUS_KEY: str(self.http_status)}
        info = error_details_pb2.ErrorInfo(reason=self.reason, domain=DOMAIN, metadata=metadata)
        packed = any_pb2.Any()
        packed.Pack(info)
        return status_pb2.Status(code=self.code.value[0], message=self.message, details=[packed])

    async def abort(self, context: grpc.aio.ServicerContext, extra_metadata=()) -> None:
        """Ends the RPC with this error; never returns."""
        metadata = ((STATUS_DETAILS_KEY, self.to_status().SerializeToString()), *extra_metadata)
        await context.abort(self.code, self.message, trailing_metadata=metadata)

    @classmethod
    def from_rpc_error(cls, error: grpc.aio.AioRpcError) -> "ServiceError":
        """Rebuilds the error a peer service raised, ErrorInfo included."""
        for key, value in error.trailing_metadata() or ():
            if key == STATUS_DETAILS_KEY:
                status = status_pb2.Status.FromString(value)
                for detail in status.details:
                    info = error_details_pb2.ErrorInfo()
                    if detail.Unpack(info):
                        details = dict(info.metadata)
                        http_status = int(details.pop(HTTP_STATUS_KEY, 0)) or None
                        return cls(error.code(), info.reason, status.message, details=details, http_status=http_status)
        # No ErrorInfo: an unhandled exception or a transport failure. Its text (exception
        # reprs, SQL, peer addresses) is logged, never passed on.
        code = error.code()
        reason, message = _PLAIN_ERRORS.get(code, _PLAIN_ERRORS[grpc.StatusCode.INTERNAL])
        log.warning("peer call failed without ErrorInfo: %s: %s", code.name, error.details())
        return cls(code, reason, f"{message} ({code.name})")


def invalid(reason: str, message: str, **details) -> ServiceError:
    return ServiceError(grpc.StatusCode.INVALID_ARGUMENT, reason, message, details=details)


def not_found(reason: str, message: str, **details) -> ServiceError:
    return ServiceError(grpc.StatusCode.NOT_FOUND, reason, message, details=details)


def uuid_or_not_found(value: str, reason: str, message: str) -> str:
    """`value` as a canonical UUID; anything else names nothing, so it is not found (never a
    500 from PostgreSQL's uuid type, nor an odd string inside an object key)."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise not_found(reason, message) from None


def unavailable(reason: str, message: str, **details) -> ServiceError:
    return ServiceError(grpc.StatusCode.UNAVAILABLE, reason, message, details=details)


def idempotency_conflict() -> ServiceError:
    """An Idempotency-Key sent again with another request: 422 (the IETF draft's status)."""
    return ServiceError(
        grpc.StatusCode.ALREADY_EXISTS,
        "IDEMPOTENCY_KEY_REUSED",
        "This Idempotency-Key was used for a different request; use a new key",
        http_status=422,
    )


def rpc_errors(handler):
    """Decorates a servicer method so a ServiceError ends the RPC with its status and ErrorInfo."""
    if inspect.isasyncgenfunction(handler):

        async def stream(self, request, context):
            try:
                async for item in handler(self, request, context):
                    yield item
            except ServiceError as error:
                await error.abort(context)

        stream.__name__ = handler.__name__
        return stream

    async def rpc(self, request, context):
        try:
            return await handler(self, request, context)
        except ServiceError as error:
            await error.abort(context)

    rpc.__name__ = handler.__name__
    rpc.__doc__ = handler.__doc__
    return rpc


def diffusion_unavailable() -> ServiceError:
    """Seed 004's MODEL_UNAVAILABLE: no diffusion weights are installed, and how an operator installs them."""
    return ServiceError(
        grpc.StatusCode.UNAVAILABLE,
        "MODEL_UNAVAILABLE",
        "No diffusion weights are installed. An operator installs an exported Stable Diffusion ONNX directory with "
        "`python -m deploy.models.diffusion install DIR` (or the tiny test pipeline with `make models-diffusion-tiny`) "
        "and restarts the inference server.",
        http_status=503,
    )


def video_unavailable() -> ServiceError:
    """MODEL_UNAVAILABLE for video generation: no video diffusion weights are installed."""
    return ServiceError(
        grpc.StatusCode.UNAVAILABLE,
        "MODEL_UNAVAILABLE",
        "No video diffusion weights are installed. An operator installs an ONNX export of Stable Video Diffusion with "
        "`python -m deploy.models.video install DIR` (or the tiny test pipeline with `make models-video-tiny`) "
        "and restarts the inference server; text-to-video also needs the image pipeline (deploy.models.diffusion).",
        http_status=503,
    )


def file_too_large(limit_bytes: int, message: str | None = None) -> ServiceError:
    """413 FILE_TOO_LARGE, with the limit in the details (seed 002's message by default)."""
    return ServiceError(
        grpc.StatusCode.INVALID_ARGUMENT,
        "FILE_TOO_LARGE",
        message or f"File too large. Maximum size: {limit_bytes // (1024 * 1024)}MB",
        details={"max_bytes": limit_bytes},
        http_status=413,
    )
