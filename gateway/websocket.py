"""The gateway's WebSockets: one server on GATEWAY_WS_PORT, behind Envoy's gateway_ws cluster.

Two sockets use it: seed 001's batch progress (BatchProgress, below) and seed 004's
real-time updates (gateway/dialects/fomi/realtime.py). What they share is here:
routing by path; the credential check by the auth service (a JWT or an API key, in
the upgrade's headers or, for seed 001, in a first message); bounds on everything a
client controls: message size, things followed per socket, open sockets per user,
time to authenticate, idle time; a re-check of the credential every WS_REAUTH_S, so
that a logout, a password change or an expired token ends the socket (close code
4401); and follower tasks that end with their socket.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import json
import logging
from collections.abc import AsyncIterator, Coroutine
from typing import Protocol

import grpc
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from backdrop.auth.v1 import auth_pb2, auth_pb2_grpc
from backdrop.jobs.v1 import jobs_pb2, jobs_pb2_grpc
from gateway.batches import TERMINAL, batch_status
from services.runtime import envelopes, logs
from services.runtime.config import env_float, env_int, env_str
from services.runtime.errors import ServiceError

log = logging.getLogger(__name__)
MAX_MESSAGE_BYTES = 16 * 1024
MAX_SUBSCRIPTIONS = 20  # things one socket follows at once (batches, jobs, feeds)
AUTH_TIMEOUT_S = 10
CREDENTIAL_CLOSE = 4401  # the credential stopped being valid while the socket was open


def unauthenticated(message: str) -> ServiceError:
    return ServiceError(grpc.StatusCode.UNAUTHENTICATED, "UNAUTHORIZED", message)


def credential_of(headers) -> str:
    """The upgrade's credential: `Authorization: Bearer <JWT or API key>`, or `X-API-Key`."""
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return headers.get("x-api-key", "").strip()


class Route(Protocol):
    paths: frozenset[str]
    # Set: the credential comes in the upgrade's headers, and a refusal is an HTTP
    # response in this dialect's envelope. None: the route authenticates in-band.
    dialect: envelopes.Dialect | None

    async def serve(self, session: Session) -> None: ...


class Session:
    """One open socket: its caller once authenticated, and the tasks following things for it."""

    def __init__(self, socket: ServerConnection, server: SocketServer):
        self.socket = socket
        self.server = server
        self.user_id, self.credential = getattr(socket, "caller", ("", ""))
        self.tasks: set[asyncio.Task] = set()
        self.active_at = asyncio.get_running_loop().time()

    def touch(self) -> None:
        self.active_at = asyncio.get_running_loop().time()

    async def send(self, payload: dict) -> None:
        await self.socket.send(json.dumps(payload))

    async def messages(self) -> AsyncIterator[object]:
        """Each message the client sends, as parsed JSON; None for one that is not JSON."""
        async for raw in self.socket:
            self.touch()
            try:
                yield json.loads(raw)
            except ValueError:
                yield None

    async def sign_in(self, credential: str) -> None:
        """In-band authentication (seed 001's auth message); ServiceError when refused."""
        user_id = await self.server.authenticate(credential)
        self.server.admit(self.socket, user_id)
        self.user_id, self.credential = user_id, credential

    def follow(self, work: Coroutine) -> asyncio.Task | None:
        """Runs `work` until it ends or the socket closes; None (not run) past MAX_SUBSCRIPTIONS."""
        if len(self.tasks) >= MAX_SUBSCRIPTIONS:
            work.close()
            return None

        async def guarded():
            try:
                await work
            except ConnectionClosed:
                pass
            finally:
                self.touch()

        task = asyncio.create_task(guarded())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task


def refusal(connection: ServerConnection, dialect: envelopes.Dialect, error: ServiceError) -> Response:
    """The upgrade refused with an HTTP status and `dialect`'s error body."""
    status, body = envelopes.body(dialect, error)
    response = connection.respond(status, "")
    data = json.dumps(body).encode()
    for name, value in (("Content-Type", "application/json"), ("Content-Length", str(len(data)))):
        del response.headers[name]
        response.headers[name] = value
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="backdrop"'
    return dataclasses.replace(response, body=data)


class SocketServer:
    def __init__(self, auth: auth_pb2_grpc.AuthServiceStub, routes: list[Route]):
        self.auth = auth
        self.routes = {path: route for route in routes for path in route.paths}
        self.max_per_user = env_int("WS_MAX_CONNECTIONS_PER_USER", 10)
        self.idle_s = env_float("WS_IDLE_TIMEOUT_S", 300.0)
        self.reauth_s = env_float("WS_REAUTH_S", 60.0)
        self.open: collections.Counter[str] = collections.Counter()
        self._releases: set[asyncio.Task] = set()

    async def authenticate(self, credential: str) -> str:
        """The user a JWT or API key names, as the auth service checks it (its ext_authz code)."""
        if not credential:
            raise unauthenticated("Authentication required: send 'Authorization: Bearer <token or API key>'")
        try:
            found = await self.auth.Authenticate(auth_pb2.AuthenticateRequest(credential=credential), timeout=10)
        except grpc.aio.AioRpcError as error:
            raise ServiceError.from_rpc_error(error) from None
        return found.user_id

    def admit(self, connection: ServerConnection, user_id: str) -> None:
        """Counts the socket among its user's open ones until it closes; RATE_LIMITED when they are full."""
        if self.open[user_id] >= self.max_per_user:
            raise ServiceError(
                grpc.StatusCode.RESOURCE_EXHAUSTED, "RATE_LIMIT_EXCEEDED",
                f"At most {self.max_per_user} WebSockets per account may be open at once; close one first",
            )
        self.open[user_id] += 1

        async def release():
            try:
                await connection.wait_closed()
            finally:
                self.open[user_id] -= 1
                if self.open[user_id] <= 0:
                    del self.open[user_id]

        task = asyncio.create_task(release())
        self._releases.add(task)
        task.add_done_callback(self._releases.discard)

    async def _upgrade(self, connection: ServerConnection, request: Request) -> Response | None:
        logs.request_id.set(request.headers.get("x-request-id", ""))
        route = self.routes.get(request.path.split("?")[0])
        if route is None:
            return connection.respond(404, "No WebSocket at this path")
        if route.dialect is None:
            return None
        credential = credential_of(request.headers)
        try:
            user_id = await self.authenticate(credential)
            self.admit(connection, user_id)
        except ServiceError as error:
            return refusal(connection, route.dialect, error)
        connection.caller = (user_id, credential)
        return None

    async def _watchdog(self, session: Session) -> None:
        """Closes a socket idle for WS_IDLE_TIMEOUT_S (nothing heard, nothing followed), and one
        whose credential is no longer valid (CREDENTIAL_CLOSE)."""
        loop = asyncio.get_running_loop()
        checked = loop.time()
        while True:
            await asyncio.sleep(min(self.idle_s, self.reauth_s, 10.0))
            now = loop.time()
            if not session.tasks and now - session.active_at > self.idle_s:
                await session.socket.close(1000, "idle")
                return
            if session.credential and now - checked >= self.reauth_s:
                checked = now
                try:
                    await self.authenticate(session.credential)
                except ServiceError as error:
                    if error.code == grpc.StatusCode.UNAUTHENTICATED:
                        await session.socket.close(CREDENTIAL_CLOSE, "the credential is no longer valid")
                        return

    async def handle(self, socket: ServerConnection) -> None:
        logs.request_id.set(socket.request.headers.get("x-request-id", ""))
        route = self.routes[socket.request.path.split("?")[0]]  # _upgrade refused any other path
        session = Session(socket, self)
        watchdog = asyncio.create_task(self._watchdog(session))
        try:
            await route.serve(session)
        except ConnectionClosed:
            pass
        finally:
            watchdog.cancel()
            for task in list(session.tasks):
                task.cancel()

    async def run(self) -> None:
        host = env_str("GRPC_LISTEN_ADDRESS", "127.0.0.1")
        port = env_int("GATEWAY_WS_PORT", 50061)
        async with serve(self.handle, host, port, process_request=self._upgrade, max_size=MAX_MESSAGE_BYTES):
            await asyncio.Future()


# --- seed 001 ------------------------------------------------------------------------


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


class BatchProgress:
    """Seed 001's WebSocket: /lumiku/v1/background-remover/ws (and its other base URLs).

    The client sends {"type": "auth", "token": ...} (a JWT or an API key), then
    {"type": "subscribe", "batchId": ...}; it gets "progress" messages as the batch
    advances, then "completed", or "error".
    """

    paths = frozenset(base + "/background-remover/ws" for base in ("/lumiku/v1", "/lumiku/api", "/v1"))
    dialect = None

    def __init__(self, jobs: jobs_pb2_grpc.JobServiceStub):
        self.jobs = jobs

    async def _follow(self, session: Session, batch_id: str) -> None:
        try:
            async for batch in self.jobs.Watch(jobs_pb2.WatchRequest(id=batch_id, owner_id=session.user_id)):
                await session.send(progress_message(batch))
                if all(job.status in TERMINAL for job in batch.jobs):
                    return
        except grpc.aio.AioRpcError as error:
            message = "Batch not found" if error.code() == grpc.StatusCode.NOT_FOUND else "Processing failed"
            await session.send({"type": "error", "batchId": batch_id, "error": message})

    async def serve(self, session: Session) -> None:
        try:
            async with asyncio.timeout(AUTH_TIMEOUT_S):
                first = json.loads(await session.socket.recv())
        except (TimeoutError, ValueError):
            await session.socket.close(code=1008, reason="expected a JSON auth message")
            return
        if not isinstance(first, dict) or first.get("type") != "auth" or not isinstance(first.get("token"), str):
            await session.send({"type": "error", "error": "Send {\"type\": \"auth\", \"token\": ...} first"})
            return
        try:
            await session.sign_in(first["token"])
        except ServiceError as error:
            refused = "Unauthorized" if error.code == grpc.StatusCode.UNAUTHENTICATED else error.message
            await session.send({"type": "error", "error": refused})
            return
        async for message in session.messages():
            batch_id = message.get("batchId") if isinstance(message, dict) else None
            if not isinstance(message, dict) or message.get("type") != "subscribe" or not isinstance(batch_id, str):
                await session.send({"type": "error", "error": "Expected {\"type\": \"subscribe\", \"batchId\": ...}"})
                continue
            if session.follow(self._follow(session, batch_id)) is None:
                await session.send({"type": "error", "batchId": batch_id, "error": "Too many subscriptions"})
