"""Seed 004's training queue on a real NATS server with the mesh's authorization block: with
WORKER_ROLE=inference and WORKER_ROLE=training side by side (production's CPU workers and GPU
trainers), a training job reaches only the trainers' consumer, every other job only the
workers', and the inference user may run both consumers."""

from __future__ import annotations

import asyncio

import pytest
from nats.js.api import AckPolicy, ConsumerConfig

from services.inference.worker import consumer_for
from services.runtime import messaging
from tests.integration.test_nats_permissions import PASSWORDS, connect, server  # noqa: F401 - the server fixture


def test_training_and_other_work_go_to_their_own_consumers(server, monkeypatch):  # noqa: F811
    async def scenario():
        orchestrator, _ = await connect(server, "orchestrator")
        inference, violations = await connect(server, "inference")
        for config in messaging.stream_configs():
            await orchestrator.jetstream().add_stream(config)
        subscriptions = {}
        for role in ("inference", "training"):
            name, subjects = consumer_for(role)
            config = ConsumerConfig(durable_name=name, ack_policy=AckPolicy.EXPLICIT)
            if len(subjects) == 1:
                config.filter_subject = subjects[0]
            else:
                config.filter_subjects = subjects
            subscriptions[role] = await messaging.durable_pull(inference.jetstream(), messaging.WORK_STREAM, f"{messaging.WORK_SUBJECT}.>", config)
        for operation in ("train", "generate", "remove_background"):
            await orchestrator.jetstream().publish(f"{messaging.WORK_SUBJECT}.{operation}", operation.encode())
        got = {}
        for role, subscription in subscriptions.items():
            messages = await subscription.fetch(10, timeout=2)
            got[role] = sorted(m.data.decode() for m in messages)
            for message in messages:
                await message.ack()
        await orchestrator.close()
        await inference.close()
        return got, violations

    got, violations = asyncio.run(scenario())
    assert got == {"inference": ["generate", "remove_background"], "training": ["train"]}
    assert not violations
    assert consumer_for("all") == (messaging.WORKERS_CONSUMER, [f"{messaging.WORK_SUBJECT}.>"])
    with pytest.raises(SystemExit):
        consumer_for("gpu")
