"""Seed 001's WebSocket: /lumiku/v1/background-remover/ws (and its other base URLs).

The client sends {"type": "auth", "token": ...} (a JWT or an API key, checked
by the auth service, not here), then {"type": "subscribe", "batchId": ...};
it gets "progress" messages as the batch advances, then "completed", or
"error". Envoy routes the upgrade here (deploy/envoy); everything a client
sends is bounded: message size, subscriptions, time to authenticate.
"""

from __future__ import annotations

import asyncio
import json
import logging

import grpc
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from backdrop.auth.v1 import auth_pb2, auth_pb2_grpc
from backdrop.jobs.v1 import jobs_pb2, jobs_pb2_grpc
from gateway.batches import TERMINAL, batch_status
from services.runtime import logs
from services.runtime.config import env_int, env_str

log = logging.getLogger(__name__)
PATHS = frozenset(base + "/background-remover/ws" for base in ("/lumiku/v1", "/lumiku/api", "/v1"))
MAX_MESSAGE_BYTES = 16 * 1024
MAX_SUBSCRIPTIONS = 20
AUTH_TIMEOUT_S = 10


def progress_message(batch: jobs_pb2.Batch) -> dict:
    jobs = list(batch.jobs)
    status, done = batch_status(jobs)
    failed = sum(job.status == jobs_pb2.JOB_STATUS_FAILED for job in jobs)
    if done == len(jobs):
        return {
            "type": "completed",
            "batchId": batch.id,
            "zipUrl": f"/v1/background-remover/batch/{batch.id}/download",
            "processedImages": done - failed,
            "failedImages": failed,
        }
    return {
        "type": "progress",
        "batchId": batch.id,
        "processedImages": done,
        "totalImages": len(jobs),
        "percentage": round(100 * done / len(jobs)),
        "status": status,
    }


class ProgressSocket:
    def __init__(self, auth: auth_pb2_grpc.AuthServiceStub, jobs: jobs_pb2_grpc.JobServiceStub):
        self.auth = auth
        self.jobs = jobs

    async def _follow(self, socket: ServerConnection, batch_id: str, owner_id: str) -> None:
        try:
            async for batch in self.jobs.Watch(jobs_pb2.WatchRequest(id=batch_id, owner_id=owner_id)):
                await socket.send(json.dumps(progress_message(batch)))
                if all(job.status in TERMINAL for job in batch.jobs):
                    return
        except grpc.aio.AioRpcError as error:
            message = "Batch not found" if error.code() == grpc.StatusCode.NOT_FOUND else "Processing failed"
            await socket.send(json.dumps({"type": "error", "batchId": batch_id, "error": message}))

    async def handle(self, socket: ServerConnection) -> None:
        if socket.request.path.split("?")[0] not in PATHS:
            await socket.close(code=1008, reason="unknown path")
            return
        logs.request_id.set(socket.request.headers.get("x-request-id", ""))
        owner_id = ""
        followers: list[asyncio.Task] = []
        try:
            async with asyncio.timeout(AUTH_TIMEOUT_S):
                first = json.loads(await socket.recv())
            if not isinstance(first, dict) or first.get("type") != "auth" or not isinstance(first.get("token"), str):
                await socket.send(json.dumps({"type": "error", "error": "Send {\"type\": \"auth\", \"token\": ...} first"}))
                return
            try:
                owner_id = (await self.auth.Authenticate(auth_pb2.AuthenticateRequest(credential=first["token"]))).user_id
            except grpc.aio.AioRpcError:
                await socket.send(json.dumps({"type": "error", "error": "Unauthorized"}))
                return
            async for raw in socket:
                message = json.loads(raw)
                batch_id = message.get("batchId") if isinstance(message, dict) else None
                if not isinstance(message, dict) or message.get("type") != "subscribe" or not isinstance(batch_id, str):
                    await socket.send(json.dumps({"type": "error", "error": "Expected {\"type\": \"subscribe\", \"batchId\": ...}"}))
                    continue
                if len(followers) >= MAX_SUBSCRIPTIONS:
                    await socket.send(json.dumps({"type": "error", "batchId": batch_id, "error": "Too many subscriptions"}))
                    continue
                followers.append(asyncio.create_task(self._follow(socket, batch_id, owner_id)))
        except (TimeoutError, ValueError):
            await socket.close(code=1008, reason="expected a JSON auth message")
        except ConnectionClosed:
            pass
        finally:
            for task in followers:
                task.cancel()

    async def run(self) -> None:
        host = env_str("GRPC_LISTEN_ADDRESS", "127.0.0.1")
        async with serve(self.handle, host, env_int("GATEWAY_WS_PORT", 50061), max_size=MAX_MESSAGE_BYTES):
            await asyncio.Future()
