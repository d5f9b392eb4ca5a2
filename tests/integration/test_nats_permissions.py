"""M11 on a real NATS server run with the authorization block the mesh renders: each
service may publish and read exactly its part of the call graph, and nobody connects
without a password. (The whole mesh runs with the same block: every e2e test.)"""

from __future__ import annotations

import asyncio
import subprocess
import time

import nats
import nats.errors
import pytest

from deploy import nats as nats_config
from deploy.local.mesh import BIN, free_port, port_open
from services.runtime import messaging

PASSWORDS = {service: f"password-of-{service}" for service in messaging.permissions()}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("nats")
    config = folder / "nats.conf"
    config.write_text(nats_config.render(PASSWORDS))
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "nats-server"), "-c", str(config), "-js", "-sd", str(folder / "store"), "-a", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 15
    while not port_open(port):
        assert time.monotonic() < deadline and process.poll() is None, "nats-server did not start"
        time.sleep(0.05)
    yield f"nats://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


async def connect(url: str, service: str, password: str | None = None):
    violations: list[str] = []

    async def on_error(exc: Exception) -> None:
        violations.append(str(exc))

    client = await nats.connect(
        url, user=service, password=password or PASSWORDS[service], inbox_prefix=messaging.inbox_prefix(service),
        error_cb=on_error, allow_reconnect=False,
    )
    return client, violations


async def refused(client, violations: list[str], subject: str) -> bool:
    """True when the server calls publishing to `subject` a permissions violation (and stores nothing)."""
    try:
        await client.jetstream().publish(subject, b"forged", timeout=1)
    except (nats.errors.TimeoutError, asyncio.TimeoutError):
        pass
    else:
        return False
    await client.flush()
    return any("permissions violation" in v.lower() and f'"{subject}"' in v for v in violations)


def run(coroutine):
    return asyncio.run(coroutine)


def test_the_orchestrator_makes_the_streams_and_queues_work(server):
    async def scenario():
        client, _ = await connect(server, "orchestrator")
        js = client.jetstream()
        for config in messaging.stream_configs():
            await js.add_stream(config)
        ack = await js.publish(f"{messaging.WORK_SUBJECT}.remove_background", b"work", timeout=5)
        await client.drain()
        return ack

    assert run(scenario()).stream == messaging.WORK_STREAM


def test_only_the_worker_and_the_orchestrator_may_report_a_job(server):
    test_the_orchestrator_makes_the_streams_and_queues_work(server)
    subject = f"{messaging.EVENTS_SUBJECT}.job_1"

    async def scenario():
        worker, _ = await connect(server, "inference")
        ack = await worker.jetstream().publish(subject, b"completed", timeout=5)
        await worker.drain()
        billing, violations = await connect(server, "billing")
        forged = await refused(billing, violations, subject)  # billing refunds on FAILED events: never its own
        await billing.close()
        return ack, forged

    ack, billing_refused = run(scenario())
    assert ack.stream == messaging.EVENTS_STREAM
    assert billing_refused


def test_the_worker_can_neither_queue_work_nor_touch_the_streams(server):
    test_the_orchestrator_makes_the_streams_and_queues_work(server)

    async def scenario():
        worker, violations = await connect(server, "inference")
        queued = await refused(worker, violations, f"{messaging.WORK_SUBJECT}.remove_background")
        js = worker.jetstream(timeout=1)
        try:  # shrinking the events stream would drop other jobs' events
            await js.update_stream(messaging.stream_configs()[1])
            updated = True
        except (nats.errors.TimeoutError, asyncio.TimeoutError):
            updated = False
        await worker.close()
        return queued, updated

    assert run(scenario()) == (True, False)


def test_a_service_reads_only_its_own_consumer(server):
    test_the_orchestrator_makes_the_streams_and_queues_work(server)

    async def scenario():
        billing, _ = await connect(server, "billing")
        js = billing.jetstream(timeout=2)
        own = await messaging.durable_pull(
            js, messaging.EVENTS_STREAM, f"{messaging.EVENTS_SUBJECT}.>",
            nats.js.api.ConsumerConfig(durable_name=messaging.REFUNDS_CONSUMER, ack_policy=nats.js.api.AckPolicy.EXPLICIT),
        )
        try:  # the orchestrator's consumer: billing may not take its messages
            await js.pull_subscribe(f"{messaging.EVENTS_SUBJECT}.>", durable=messaging.ORCHESTRATOR_CONSUMER, stream=messaging.EVENTS_STREAM)
            other = True
        except (nats.errors.TimeoutError, asyncio.TimeoutError, nats.js.errors.Error):
            other = False
        await billing.close()
        return own is not None, other

    assert run(scenario()) == (True, False)


def test_no_password_no_connection(server):
    async def attempt(**credentials):
        try:
            client = await nats.connect(server, allow_reconnect=False, max_reconnect_attempts=0, connect_timeout=2, **credentials)
        except (nats.errors.Error, OSError):
            return False
        await client.close()
        return True

    assert not run(attempt())
    assert not run(attempt(user="billing", password="guess"))
    assert run(attempt(user="billing", password=PASSWORDS["billing"]))
