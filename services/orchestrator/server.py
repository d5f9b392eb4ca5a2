"""Orchestrator service: the jobs table, the work stream and the events."""

from __future__ import annotations

import asyncio
import pathlib

from backdrop.jobs.v1 import canvas_pb2, canvas_pb2_grpc, custom_models_pb2, custom_models_pb2_grpc, gallery_pb2, gallery_pb2_grpc, jobs_pb2, jobs_pb2_grpc, webhooks_pb2, webhooks_pb2_grpc
from services.orchestrator import events, notifications, retention
from services.orchestrator.gallery import Gallery
from services.orchestrator.canvas import Canvases
from services.orchestrator.custom_models import CustomModels
from services.orchestrator.handlers import JobServicer, Publisher
from services.orchestrator.store import JobStore
from services.orchestrator.projects import Projects
from services.orchestrator.webhooks import Webhooks
from services.runtime import db, grpcio, logs, messaging, metrics, objectstore
from services.runtime.signing import UrlSigner
from services.runtime.config import env_int, env_str

MIGRATIONS = pathlib.Path(__file__).with_name("migrations")


async def main() -> None:
    logs.setup("orchestrator", env_str("LOG_LEVEL", "INFO"))
    await db.migrate(MIGRATIONS, "orchestrator")
    engine = db.engine()
    store = JobStore(engine)
    nats_client, js = await messaging.connect("orchestrator")
    publisher = Publisher(js, store)
    # The orchestrator fills the work queue: it reports its depth (and the events' consumers).
    metrics.watch_queues(js, (messaging.WORK_STREAM, messaging.EVENTS_STREAM))

    webhooks = Webhooks(engine, UrlSigner())
    objects = objectstore.from_env()
    projects = Projects(engine, webhooks, objects)

    def register(server):
        jobs_pb2_grpc.add_JobServiceServicer_to_server(JobServicer(store, publisher, nats_client), server)
        webhooks_pb2_grpc.add_WebhookServiceServicer_to_server(webhooks, server)
        webhooks_pb2_grpc.add_ProjectServiceServicer_to_server(projects, server)
        gallery_pb2_grpc.add_GalleryServiceServicer_to_server(Gallery(engine), server)
        canvas_pb2_grpc.add_CanvasServiceServicer_to_server(Canvases(engine, objects, store), server)
        custom_models_pb2_grpc.add_CustomModelServiceServicer_to_server(CustomModels(engine), server)
        return [
            jobs_pb2.DESCRIPTOR.services_by_name["JobService"].full_name,
            webhooks_pb2.DESCRIPTOR.services_by_name["WebhookService"].full_name,
            webhooks_pb2.DESCRIPTOR.services_by_name["ProjectService"].full_name,
            gallery_pb2.DESCRIPTOR.services_by_name["GalleryService"].full_name,
            canvas_pb2.DESCRIPTOR.services_by_name["CanvasService"].full_name,
            custom_models_pb2.DESCRIPTOR.services_by_name["CustomModelService"].full_name,
        ]

    async def consume_events():
        await events.consume(nats_client, js, store, webhooks, publisher, projects)

    async def send_emails():
        await notifications.consume(js, store)

    async def expire_files():
        await retention.run(store, objects, webhooks, publisher.fail)

    async def close():
        await nats_client.drain()
        await engine.dispose()

    await grpcio.serve(
        name="orchestrator",
        port=env_int("ORCHESTRATOR_PORT", 50052),
        register=register,
        checks={"postgres": lambda: db.check(engine), "nats": lambda: messaging.check(nats_client)},
        background=[consume_events, send_emails, publisher.republish_forgotten, webhooks.dispatch, expire_files],
        on_shutdown=close,
    )


if __name__ == "__main__":
    asyncio.run(main())
