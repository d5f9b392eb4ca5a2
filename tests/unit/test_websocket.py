"""The WebSocket machinery (gateway/websocket.py) and seed 004's socket
(gateway/dialects/fomi/realtime.py) against fake auth and job services: what the
mesh tests cannot wait for (re-checks of the credential, idle time) and how new
jobs are found."""

from __future__ import annotations

import asyncio
import json

import grpc
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from backdrop.auth.v1 import auth_pb2
from backdrop.jobs.v1 import jobs_pb2
from deploy.local.mesh import free_port
from gateway.dialects.fomi.realtime import RealtimeUpdates
from gateway.process import NewJobs
from gateway.websocket import SocketServer
from services.runtime.errors import STATUS_DETAILS_KEY, ServiceError

USER = "00000000-0000-4000-8000-00000000000a"
DONE, RUNNING = jobs_pb2.JOB_STATUS_COMPLETED, jobs_pb2.JOB_STATUS_PROCESSING


class FakeAuth:
    def __init__(self):
        self.valid = {"good-token"}

    async def Authenticate(self, request, timeout=None):
        if request.credential not in self.valid:
            error = ServiceError(grpc.StatusCode.UNAUTHENTICATED, "INVALID_TOKEN", "The token is not valid")
            trailing = grpc.aio.Metadata((STATUS_DETAILS_KEY, error.to_status().SerializeToString()))
            raise grpc.aio.AioRpcError(grpc.StatusCode.UNAUTHENTICATED, grpc.aio.Metadata(), trailing, "bad")
        return auth_pb2.Identity(user_id=USER, role="user", plan="free")


def job(job_id: str, status=RUNNING, progress=0, operation="generate", seconds=100) -> jobs_pb2.Job:
    made = jobs_pb2.Job(id=job_id, status=status, progress=progress, owner_id=USER, progress_message=f"step {progress}")
    getattr(made, operation).SetInParent()
    made.created_at.FromSeconds(seconds)
    made.updated_at.FromSeconds(seconds + progress)
    return made


class FakeJobs:
    """The owner's jobs (newest first) and, per job, the snapshots Watch streams."""

    def __init__(self):
        self.listed: list[jobs_pb2.Job] = []
        self.snapshots: dict[str, list[jobs_pb2.Job]] = {}
        self.requests: list[jobs_pb2.ListJobsRequest] = []

    async def ListJobs(self, request, timeout=None):
        self.requests.append(request)
        return jobs_pb2.ListJobsResponse(jobs=self.listed)

    async def _watch(self, request):
        for snapshot in self.snapshots[request.id]:
            await asyncio.sleep(0.01)
            yield jobs_pb2.Batch(id=request.id, jobs=[snapshot])

    def Watch(self, request):
        assert request.owner_id == USER
        return self._watch(request)


@pytest.fixture
async def server(monkeypatch):
    monkeypatch.setenv("WS_REAUTH_S", "0.2")
    monkeypatch.setenv("WS_IDLE_TIMEOUT_S", "0.5")
    monkeypatch.setenv("WS_MAX_CONNECTIONS_PER_USER", "2")
    monkeypatch.setenv("FOMI_WS_POLL_S", "0.05")
    port = free_port()
    monkeypatch.setenv("GATEWAY_WS_PORT", str(port))
    auth, jobs = FakeAuth(), FakeJobs()
    sockets = SocketServer(auth, [RealtimeUpdates(jobs, NEW_JOBS)])
    task = asyncio.create_task(sockets.run())
    await asyncio.sleep(0.2)
    yield f"ws://127.0.0.1:{port}/fomi/v1/ws", auth, jobs, sockets
    task.cancel()


NEW_JOBS = NewJobs()  # what the gateway's job flow tells when it queues a job


BEARER = {"Authorization": "Bearer good-token"}


async def test_a_revoked_credential_closes_the_socket_with_4401(server):
    url, auth, _, _ = server
    async with connect(url, additional_headers=BEARER) as ws:
        await ws.send(json.dumps({"type": "subscribe", "events": ["training_progress"]}))
        assert json.loads(await ws.recv()) == {"type": "subscribed", "events": ["training_progress"]}
        auth.valid.clear()  # a logout, a password change, an expiry
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd.code == 4401


async def test_an_idle_socket_is_closed_and_a_following_one_is_not(server):
    url, *_ = server
    async with connect(url, additional_headers=BEARER) as idle, connect(url, additional_headers=BEARER) as busy:
        await busy.send(json.dumps({"type": "subscribe", "events": ["generation_progress"]}))
        assert json.loads(await busy.recv())["type"] == "subscribed"
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(idle.recv(), 5)
        assert closed.value.rcvd.code == 1000 and closed.value.rcvd.reason == "idle"
        await asyncio.sleep(1)
        await busy.send(json.dumps({"type": "subscribe", "events": ["generation_progress"]}))
        assert json.loads(await busy.recv())["type"] == "subscribed"  # still open


async def test_sockets_per_user_are_counted_until_they_close(server):
    url, _, _, sockets = server
    first = await connect(url, additional_headers=BEARER)
    second = await connect(url, additional_headers=BEARER)
    with pytest.raises(InvalidStatus) as refused:
        await connect(url, additional_headers=BEARER)
    assert refused.value.response.status_code == 429
    assert json.loads(refused.value.response.body)["error"]["code"] == "RATE_LIMITED"
    await first.close()
    await asyncio.sleep(0.1)
    assert sockets.open[USER] == 1
    third = await connect(url, additional_headers=BEARER)
    await second.close()
    await third.close()
    await asyncio.sleep(0.1)
    assert USER not in sockets.open


async def test_a_bad_token_is_refused_at_the_upgrade_in_seed_004s_envelope(server):
    url, *_ = server
    with pytest.raises(InvalidStatus) as refused:
        await connect(url, additional_headers={"Authorization": "Bearer nope"})
    assert refused.value.response.status_code == 401
    assert json.loads(refused.value.response.body) == {
        "success": False, "error": {"code": "AUTHENTICATION_FAILED", "message": "The token is not valid", "details": {}},
    }
    with pytest.raises(InvalidStatus) as unknown:
        await connect(url.replace("/fomi/v1/ws", "/fomi/v1/other"), additional_headers=BEARER)
    assert unknown.value.response.status_code == 404


async def test_new_generations_are_followed_and_ended_or_foreign_ones_are_not(server):
    url, _, jobs, _ = server
    jobs.listed = [job("ended", DONE, 100), job("removal", RUNNING, operation="remove_background"), job("running", RUNNING, 40)]
    jobs.snapshots["running"] = [job("running", RUNNING, 40), job("running", DONE, 100)]
    async with connect(url, additional_headers=BEARER) as ws:
        await ws.send(json.dumps({"type": "subscribe", "events": ["generation_progress"]}))
        assert json.loads(await ws.recv())["type"] == "subscribed"
        running = [json.loads(await asyncio.wait_for(ws.recv(), 5)) for _ in range(2)]
        assert [(e["generationId"], e["progress"], e["status"]) for e in running] == [("running", 40, "processing"), ("running", 100, "completed")]
        assert running[0]["message"] == "step 40" and running[1]["message"] == "Done"
        assert running[0]["timestamp"] == "1970-01-01T00:02:20Z"
        # A generation started after the subscription: followed even though it has ended by the next listing.
        jobs.snapshots["new"] = [job("new", DONE, 100, seconds=200)]
        jobs.listed = [job("new", DONE, 100, seconds=200), *jobs.listed]
        event = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert (event["generationId"], event["status"]) == ("new", "completed")
        with pytest.raises(TimeoutError):  # nothing else: the ended and foreign jobs, and no repeats
            await asyncio.wait_for(ws.recv(), 0.5)
    # After the first listing, only the last few seconds' jobs are asked for.
    assert not jobs.requests[0].HasField("start") and jobs.requests[-1].start.seconds == 195


async def test_a_job_this_gateway_queues_is_followed_at_once(server, monkeypatch):
    """The listing polls slowly here (30 s); a job queued by this gateway wakes it."""
    url, _, jobs, sockets = server
    sockets.routes["/fomi/v1/ws"].poll_s = 30.0
    async with connect(url, additional_headers=BEARER) as ws:
        await ws.send(json.dumps({"type": "subscribe", "events": ["training_progress"]}))
        assert json.loads(await ws.recv())["type"] == "subscribed"
        jobs.snapshots["training"] = [job("training", RUNNING, 5, operation="train", seconds=300)]
        jobs.listed = [job("training", RUNNING, 5, operation="train", seconds=300)]
        NEW_JOBS.queued(USER)
        event = json.loads(await asyncio.wait_for(ws.recv(), 2))
        assert (event["type"], event["trainingId"], event["progress"]) == ("training_progress", "training", 5)
