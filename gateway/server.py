"""The gateway: the public API's RPCs, wired to the orchestrator, the inference
service and the object store."""

from __future__ import annotations

import asyncio
import json

import grpc
from google.api import httpbody_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc

from backdrop.auth.v1 import auth_pb2_grpc
from backdrop.billing.v1 import billing_pb2_grpc
from backdrop.gateway.v1 import gateway_pb2, gateway_pb2_grpc
from backdrop.inference.v1 import inference_pb2_grpc
from backdrop.jobs.v1 import canvas_pb2_grpc, custom_models_pb2_grpc, gallery_pb2_grpc, jobs_pb2, jobs_pb2_grpc, webhooks_pb2_grpc
from backdrop.lumiku.v1 import lumiku_pb2, lumiku_pb2_grpc
from backdrop.removebg.v1 import removebg_pb2, removebg_pb2_grpc
from gateway import backgrounds, downloads, multipart, options, rest
from gateway.accounts import AccountEndpoints
from gateway.asynchronous import AsyncEndpoints
from gateway.batches import JOB_STATUS, BatchEndpoints
from gateway.credits import CreditEndpoints
from gateway.generation import GenerationEndpoints
from gateway.imaging import ImagingEndpoints
from gateway.projects import ProjectImageEndpoints
from gateway.video import VideoEndpoints
from gateway.webhooks import WebhookEndpoints
from gateway.dialects import fomi
from gateway.web.app import WebApp
from backdrop.web.v1 import app_pb2, app_pb2_grpc
from backdrop.web.v1 import docs_pb2, docs_pb2_grpc
from gateway.web.docs import Docs
from gateway.dialects.lumiku import BackgroundRemoverPro
from gateway.dialects.removebg import RemoveBg
from gateway.dialects.fomi.realtime import RealtimeUpdates
from gateway.websocket import BatchProgress, SocketServer
from services.runtime.signing import UrlSigner
from gateway.process import MB, BackgroundRemoval, outcome, parse_options
from services.runtime import envelopes, grpcio, identity, logs, objectstore
from services.runtime.clock import iso_stamp
from services.runtime.config import env_int, env_str, grpc_target
from services.runtime.errors import invalid, not_found
from services.runtime.objectstore import ObjectNotFound

# Dependencies each backend reports under grpc.health.v1 (see HealthMonitor).
BACKEND_DEPENDENCIES = ("postgres", "nats", "model-server", "object-store")


def _json_body(payload: dict) -> httpbody_pb2.HttpBody:
    return httpbody_pb2.HttpBody(content_type="application/json", data=json.dumps(payload).encode())


def _field(fields: dict[str, list[multipart.Part]], name: str) -> str:
    parts = fields.get(name)
    return parts[0].text if parts else ""


class GatewayServicer(
    AccountEndpoints,
    AsyncEndpoints,
    BatchEndpoints,
    CreditEndpoints,
    GenerationEndpoints,
    ImagingEndpoints,
    ProjectImageEndpoints,
    VideoEndpoints,
    WebhookEndpoints,
    gateway_pb2_grpc.GatewayServicer,
):
    def __init__(self, removal: BackgroundRemoval, store, signer: UrlSigner, backends: dict[str, grpc.aio.Channel]):
        self.auth = auth_pb2_grpc.AuthServiceStub(backends["auth"])
        self.billing = removal.billing
        self.jobs = removal.jobs
        self.webhooks = webhooks_pb2_grpc.WebhookServiceStub(backends["orchestrator"])
        self.projects = webhooks_pb2_grpc.ProjectServiceStub(backends["orchestrator"])
        self.gallery = gallery_pb2_grpc.GalleryServiceStub(backends["orchestrator"])
        self.canvases = canvas_pb2_grpc.CanvasServiceStub(backends["orchestrator"])
        # Seed 004's custom models (gateway/dialects/fomi/training.py): their rows, and their files on the inference side.
        self.custom_models = custom_models_pb2_grpc.CustomModelServiceStub(backends["orchestrator"])
        self.model_files = inference_pb2_grpc.CustomModelFilesStub(backends["inference"])
        self.removal = removal
        self.store = store
        self.signer = signer
        self.library = backgrounds.Library(store)
        self.health = {name: health_pb2_grpc.HealthStub(ch) for name, ch in backends.items()}
        self.rembg_max_bytes = env_int("MAX_FILE_SIZE", 10) * MB  # seed 002: megabytes
        self.v1_max_bytes = env_int("V1_MAX_FILE_SIZE_MB", 50) * MB

    async def _unhealthy_parts(self) -> list[str]:
        async def check(name: str, stub) -> list[str]:
            try:
                overall = await stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=2)
                if overall.status == health_pb2.HealthCheckResponse.SERVING:
                    return []
            except grpc.aio.AioRpcError:
                return [name]
            failing = []
            for dependency in BACKEND_DEPENDENCIES:
                try:
                    reply = await stub.Check(health_pb2.HealthCheckRequest(service=dependency), timeout=2)
                except grpc.aio.AioRpcError:
                    continue  # not a dependency of this backend
                if reply.status != health_pb2.HealthCheckResponse.SERVING:
                    failing.append(f"{name}/{dependency}")
            return failing or [name]

        results = await asyncio.gather(*(check(n, s) for n, s in self.health.items()))
        parts = [part for result in results for part in result]
        try:
            await self.store.check()
        except Exception:  # noqa: BLE001
            parts.append("gateway/object-store")
        return parts

    async def Health(self, request, context):
        unhealthy = await self._unhealthy_parts()
        if unhealthy:
            await rest.set_status(context, 503)
            return gateway_pb2.HealthResponse(status="degraded", unhealthy=unhealthy)
        return gateway_pb2.HealthResponse(status="healthy")

    @rest.endpoint(envelopes.REMBG)
    async def RemoveBg(self, request: httpbody_pb2.HttpBody, context):
        """Seed 002: multipart `image` -> image/png."""
        fields = await multipart.parse_async(request.data, request.content_type)
        image = fields.get("image")
        if not image or not image[0].data:
            raise invalid("NO_IMAGE", "No image provided")
        caller = identity.required(context)
        options = parse_options(env_str("MODEL", ""), "", "false", "0")
        job, _ = await self.removal.submit(
            caller, image[0].data, options, self.rembg_max_bytes, idempotency_key=rest.idempotency_key(context)
        )
        if not outcome(job):
            await rest.set_status(context, 202)
            return _json_body({"message": "Still processing", "job_id": job.id, "status": "processing"})
        png = await self.store.get(job.result.result_key)
        return httpbody_pb2.HttpBody(content_type="image/png", data=png)

    @rest.endpoint(envelopes.BACKDROP)
    async def RemoveBackground(self, request: httpbody_pb2.HttpBody, context):
        """Seed 000: multipart `file` (or `image_url`) + options -> ProcessingResult.

        `quality` is seed 000's low..ultra, or a number 1-100: the jpg/webp quality.
        """
        caller = identity.required(context)
        data, fields = await self._upload_or_url(request)
        quality = _field(fields, "quality").strip()
        numeric_quality = quality.isdigit()
        removal = parse_options(
            _field(fields, "model"),
            "" if numeric_quality else quality,
            _field(fields, "return_mask"),
            _field(fields, "edge_refinement"),
        )
        options.apply_removal_fields(removal, lambda name: _field(fields, name))
        if numeric_quality:
            removal.output_quality = round(options.number(quality, "quality", 1, 100, 0))
        if _field(fields, "background_id"):
            removal.background_key = await self.background_key(caller, _field(fields, "background_id"))
        job, charge = await self.removal.submit(
            caller, data, removal, self.v1_max_bytes, tier=_field(fields, "tier"),
            idempotency_key=rest.idempotency_key(context),
        )
        return await self._processing_result(context, job, charge)

    async def _processing_result(self, context, job: jobs_pb2.Job, charge) -> gateway_pb2.ProcessingResult:
        """Seed 000's ProcessingResult with what it cost; 202 and the job id while it still runs."""
        if not outcome(job):
            await rest.set_status(context, 202)
            return gateway_pb2.ProcessingResult(
                id=job.id, status="processing", credits_used=charge.credits_charged, tier=charge.pricing.tier
            )
        processed = self._result(job)
        processed.credits_used = charge.credits_charged
        processed.tier = charge.pricing.tier
        return processed

    def _result(self, job: jobs_pb2.Job) -> gateway_pb2.ProcessingResult:
        result = job.result
        elapsed = job.finished_at.ToDatetime() - job.created_at.ToDatetime()
        return gateway_pb2.ProcessingResult(
            id=job.id,
            status="completed",
            image=self.signer.url(result.result_key),
            mask=self.signer.url(result.mask_key) if result.mask_key else "",
            metadata=gateway_pb2.ProcessingResult.Metadata(
                width=result.width,
                height=result.height,
                format=result.format,
                processing_time=round(elapsed.total_seconds(), 3),
            ),
        )

    @rest.endpoint(envelopes.BACKDROP)
    async def GetJob(self, request, context):
        caller = identity.required(context)
        batch = await self._batch_or_none(request.id, caller.user_id)
        if batch is not None:
            return self._batch_job(batch)
        job = await self.removal.jobs.GetJob(jobs_pb2.GetJobRequest(job_id=request.id, owner_id=caller.user_id))
        return self._job_status(job)

    def _job_status(self, job: jobs_pb2.Job) -> gateway_pb2.BatchJob:
        """A job as seed 000's BatchJob; a video's progress is its frames done (the worker's events)."""
        status = JOB_STATUS[job.status]
        done = job.status in (jobs_pb2.JOB_STATUS_COMPLETED, jobs_pb2.JOB_STATUS_FAILED)
        running = float(job.progress) if job.WhichOneof("operation") == "remove_background_video" else 50.0
        return gateway_pb2.BatchJob(
            id=job.id,
            status=status,
            progress=100.0 if done else (running if status == "processing" else 0.0),
            total_files=1,
            processed_files=1 if done else 0,
            results=[self._result(job)] if job.status == jobs_pb2.JOB_STATUS_COMPLETED else [],
            created_at=iso_stamp(job.created_at),
            error=job.error_code if job.status == jobs_pb2.JOB_STATUS_FAILED else "",
            message=job.error_message if job.status == jobs_pb2.JOB_STATUS_FAILED else "",
        )

    @downloads.streaming(envelopes.BACKDROP)
    async def DownloadFile(self, request, context):
        """A signed file, streamed in chunks (gateway/downloads.py), never held whole."""
        self.signer.verify(request.key, request.expires, request.signature)
        try:
            content_type = await self.store.content_type(request.key)
        except (ObjectNotFound, ValueError):
            raise not_found("FILE_NOT_FOUND", "The file does not exist or has been deleted") from None
        async for chunk in await downloads.open_object(self.store, request.key, content_type):
            yield chunk


async def main() -> None:
    logs.setup("gateway", env_str("LOG_LEVEL", "INFO"))
    store = objectstore.from_env()
    backends = {
        "orchestrator": grpcio.channel(grpc_target("ORCHESTRATOR_ADDR", 50052)),
        "inference": grpcio.channel(grpc_target("INFERENCE_ADDR", 50053)),
        "auth": grpcio.channel(grpc_target("AUTH_ADDR", 50054)),
        "billing": grpcio.channel(grpc_target("BILLING_ADDR", 50055)),
    }
    removal = BackgroundRemoval(
        jobs_pb2_grpc.JobServiceStub(backends["orchestrator"]),
        inference_pb2_grpc.InferenceServiceStub(backends["inference"]),
        billing_pb2_grpc.BillingServiceStub(backends["billing"]),
        store,
    )
    servicer = GatewayServicer(removal, store, UrlSigner(), backends)

    def register(server):
        # One proto service per dialect (services/runtime/envelopes.py), all served here.
        gateway_pb2_grpc.add_GatewayServicer_to_server(servicer, server)
        lumiku_pb2_grpc.add_BackgroundRemoverProServicer_to_server(BackgroundRemoverPro(servicer), server)
        removebg_pb2_grpc.add_RemoveBgServicer_to_server(RemoveBg(servicer), server)
        app_pb2_grpc.add_WebAppServicer_to_server(WebApp(), server)  # the web app at /
        docs_pb2_grpc.add_DocsServicer_to_server(Docs(), server)  # Swagger UI at /docs
        return [
            gateway_pb2.DESCRIPTOR.services_by_name["Gateway"].full_name,
            lumiku_pb2.DESCRIPTOR.services_by_name["BackgroundRemoverPro"].full_name,
            removebg_pb2.DESCRIPTOR.services_by_name["RemoveBg"].full_name,
            app_pb2.DESCRIPTOR.services_by_name["WebApp"].full_name,
            docs_pb2.DESCRIPTOR.services_by_name["Docs"].full_name,
            *fomi.register(server, servicer),
        ]

    async def close():
        for channel in backends.values():
            await channel.close()

    # The WebSockets: seed 001's batch progress and seed 004's real-time updates.
    sockets = SocketServer(auth_pb2_grpc.AuthServiceStub(backends["auth"]), [BatchProgress(removal.jobs), RealtimeUpdates(removal.jobs, removal.new_jobs)])
    await grpcio.serve(
        name="gateway",
        port=env_int("GATEWAY_PORT", 50051),
        register=register,
        checks={"object-store": store.check},
        background=[sockets.run],
        on_shutdown=close,
    )


if __name__ == "__main__":
    asyncio.run(main())
