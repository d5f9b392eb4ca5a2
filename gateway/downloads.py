"""Stored files sent to clients as a stream of google.api.HttpBody chunks.

A download used to read the whole object and answer it as one message (about
3x its size in gateway memory, and nothing above the transcoder's 52 MB
response limit could be delivered). Server-streaming RPCs that yield HttpBody
chunks pass through Envoy's transcoder as a plain streamed body: the first
chunk carries the content type, the others only bytes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
from google.api import httpbody_pb2

from gateway import rest
from services.runtime import envelopes
from services.runtime.config import env_int
from services.runtime.errors import ServiceError, not_found
from services.runtime.objectstore import ObjectNotFound


def chunk_bytes() -> int:
    return max(64 * 1024, env_int("DOWNLOAD_CHUNK_BYTES", 1024 * 1024))


async def open_object(store, key: str, content_type: str) -> AsyncIterator[httpbody_pb2.HttpBody]:
    """The object's HttpBody chunks; FILE_NOT_FOUND (404) is raised here, before anything is sent."""
    chunks = store.chunks(key, chunk_bytes())
    try:
        first = await anext(chunks, b"")
    except (ObjectNotFound, ValueError):
        raise not_found("FILE_NOT_FOUND", "The file does not exist or has been deleted") from None

    async def stream():
        yield httpbody_pb2.HttpBody(content_type=content_type, data=first)
        async for chunk in chunks:
            yield httpbody_pb2.HttpBody(data=chunk)

    return stream()


def streaming(dialect: envelopes.Dialect):
    """rest.endpoint for server-streaming RPCs: a ServiceError (or a failed peer call) becomes its REST error."""

    def wrap(handler):
        async def rpc(self, request, context):
            try:
                async for item in handler(self, request, context):
                    yield item
            except ServiceError as error:
                await rest.abort(context, error, dialect)
            except grpc.aio.AioRpcError as failed:
                await rest.abort(context, ServiceError.from_rpc_error(failed), dialect)

        rpc.__name__ = handler.__name__
        rpc.__doc__ = handler.__doc__
        return rpc

    return wrap
