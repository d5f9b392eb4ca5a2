"""Seed 001's API (Background Remover Pro): the code of protos/backdrop/lumiku/v1.

Every RPC answers {success: true, data: ...} and fails in seed 001's envelope.
The work is the gateway's own (removal, batches, billing); this module shapes it
as the document does.
"""

from __future__ import annotations

import datetime as dt
import math
import pathlib
import zipfile

import grpc
from google.api import httpbody_pb2
from google.protobuf import struct_pb2

from backdrop.auth.v1 import auth_pb2
from backdrop.billing.v1 import billing_pb2
from backdrop.jobs.v1 import jobs_pb2, webhooks_pb2
from backdrop.lumiku.v1 import lumiku_pb2, lumiku_pb2_grpc
from gateway import downloads, multipart, rest
from gateway.batches import JOB_STATUS, TERMINAL, batch_status
from gateway.process import MB, outcome, parse_options
from services.runtime import envelopes, identity
from services.runtime.clock import iso, iso_stamp
from services.runtime.config import env_float, env_int
from services.runtime.errors import ServiceError, invalid, not_found

LUMIKU = envelopes.LUMIKU
# Links in bodies: /v1/background-remover works at the root host and on a dialect hostname alike.
BASE = "/v1/background-remover"
MIN_IMAGES, MAX_IMAGES = 2, 500
ZIP_CHUNK_BYTES = 1024 * 1024
# Who ran the model, for job details: Backdrop's own inference service (KServe v2: Triton or MLServer).
AI_PROVIDER = "backdrop"
# A ZIP_STORED entry written to a stream: local header + name + data + data descriptor, and its
# central directory record + name; then the end record (zipfile's layout, no ZIP64 under 4 GB).
ZIP_LOCAL, ZIP_DESCRIPTOR, ZIP_CENTRAL, ZIP_END = 30, 16, 46, 22


class _Spool:
    """A write-only file for zipfile whose bytes are taken out as they come."""

    def __init__(self):
        self.parts: list[bytes] = []
        self.offset = 0

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        self.offset += len(data)
        return len(data)

    def tell(self) -> int:
        return self.offset

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


def zip_name(filename: str, used: set[str]) -> str:
    """removed-<name>.png, unique within the archive, with no path in it."""
    stem = pathlib.PurePosixPath(filename.replace("\\", "/")).stem or "image"
    name, n = f"removed-{stem}.png", 1
    while name in used:
        n += 1
        name = f"removed-{stem}-{n}.png"
    used.add(name)
    return name


def zip_size(entries: list[tuple[str, int]]) -> int:
    """The size of the archive DownloadBatch streams for (name, bytes) entries."""
    return ZIP_END + sum(ZIP_LOCAL + ZIP_DESCRIPTOR + ZIP_CENTRAL + 2 * len(name.encode()) + size for name, size in entries)


def _field(fields: dict[str, list[multipart.Part]], name: str) -> str:
    parts = fields.get(name)
    return parts[0].text.strip() if parts else ""


def _upload_format(key: str) -> str:
    """The format of a stored upload, by the extension it was stored with (seed 001 writes "jpg")."""
    extension = key.rsplit(".", 1)[-1].lower() if "." in key else ""
    return "jpg" if extension == "jpeg" else extension


def _required_tier(tier: str) -> str:
    if not tier:
        raise invalid("MISSING_REQUIRED_FIELD", "tier is required: basic, standard, professional or industry", field="tier")
    return tier


class BackgroundRemoverPro(lumiku_pb2_grpc.BackgroundRemoverProServicer):
    def __init__(self, gateway):
        # The GatewayServicer: its peers (auth, billing, jobs, projects), store, signer and shared work.
        self.gateway = gateway

    @rest.endpoint(LUMIKU)
    async def Login(self, request, context):
        auth = await self.gateway.auth.Login(
            auth_pb2.LoginRequest(
                email=request.email, password=request.password, two_factor_code=request.twoFactorCode,
                client_ip=identity.client_ip(context),
            )
        )
        return lumiku_pb2.LoginResponse(
            success=True, token=auth.token, refreshToken=auth.refresh_token, expiresIn=auth.expires_in,
            user=lumiku_pb2.LoginResponse.User(id=auth.user.id, email=auth.user.email, role=auth.user.role),
        )

    @rest.endpoint(LUMIKU)
    async def RemoveSingle(self, request, context):
        caller = identity.required(context)
        fields = await multipart.parse_async(request.data, request.content_type)
        image = fields.get("image")
        if not image or not image[0].data:
            raise invalid("MISSING_REQUIRED_FIELD", "image is required: a multipart file field named image", field="image")
        tier = _required_tier(_field(fields, "tier"))
        job, charge = await self.gateway.removal.submit(
            caller, image[0].data, parse_options("", "", "false", ""), env_int("LUMIKU_MAX_FILE_SIZE_MB", 10) * MB,
            tier=tier, idempotency_key=rest.idempotency_key(context),
        )
        data = lumiku_pb2.RemovalResult.Data(
            jobId=job.id, creditsUsed=charge.credits_charged, pricingType="credits", tier=charge.pricing.tier,
            originalUrl=self.gateway.signer.url(job.input_key),
        )
        if not outcome(job):
            await rest.set_status(context, 202)  # still running: its details come from GET jobs/{jobId}
            return lumiku_pb2.RemovalResult(success=True, data=data)
        result = job.result
        data.processedUrl = self.gateway.signer.url(result.result_key)
        data.processingTimeMs = round(result.processing_seconds * 1000)
        data.metadata.CopyFrom(
            lumiku_pb2.Metadata(
                originalSize=len(image[0].data), processedSize=await self.gateway.store.size(result.result_key),
                width=result.width, height=result.height, format=result.format,
            )
        )
        return lumiku_pb2.RemovalResult(success=True, data=data)

    @rest.endpoint(LUMIKU)
    async def StartBatch(self, request, context):
        fields = await multipart.parse_async(request.data, request.content_type)
        parts = fields.get("images", [])
        if len(parts) < MIN_IMAGES:
            raise invalid("BATCH_TOO_SMALL", f"A batch needs at least {MIN_IMAGES} images", field="images")
        tier = _required_tier(_field(fields, "tier"))
        batch, charge = await self.gateway._submit_batch(context, parts, parse_options("", "", "false", ""), tier, MAX_IMAGES)
        await rest.set_status(context, 201)
        return lumiku_pb2.Batch(success=True, data=self._batch_data(batch, charge))

    def _batch_data(self, batch: jobs_pb2.Batch, charge: billing_pb2.ChargeResponse) -> lumiku_pb2.Batch.Data:
        return lumiku_pb2.Batch.Data(
            batchId=batch.id, totalImages=len(batch.jobs), tier=charge.pricing.tier, pricing=charge.pricing,
            estimatedCompletionMinutes=self._minutes(len(batch.jobs)), status="pending", createdAt=iso_stamp(batch.created_at),
        )

    @staticmethod
    def _minutes(images: int) -> int:
        return max(1, math.ceil(images * env_float("ESTIMATED_SECONDS_PER_IMAGE", 0.5) / 60))

    async def _owned_batch(self, context, batch_id: str) -> jobs_pb2.Batch:
        caller = identity.required(context)
        return await self.gateway.jobs.GetBatch(jobs_pb2.GetBatchRequest(batch_id=batch_id, owner_id=caller.user_id))

    @rest.endpoint(LUMIKU)
    async def GetBatch(self, request, context):
        batch = await self._owned_batch(context, request.id)
        jobs = list(batch.jobs)
        status, done = batch_status(jobs)
        failed = sum(job.status == jobs_pb2.JOB_STATUS_FAILED for job in jobs)
        quote = await self.gateway.billing.Quote(billing_pb2.QuoteRequest(imageCount=len(jobs), tier=jobs[0].tier or ""))
        created = batch.created_at.ToDatetime(dt.UTC)
        data = lumiku_pb2.BatchStatus.Data(
            batchId=batch.id,
            status=status,
            progress=lumiku_pb2.BatchStatus.Progress(
                totalImages=len(jobs), processedImages=done - failed, failedImages=failed, percentage=round(100 * done / len(jobs)),
            ),
            pricing=lumiku_pb2.BatchStatus.Pricing(
                totalCredits=sum(job.credits for job in jobs), discountPercentage=quote.discountPercentage
            ),
            timing=lumiku_pb2.BatchStatus.Timing(
                startedAt=iso_stamp(batch.created_at),
                estimatedCompletionAt=iso(created + dt.timedelta(minutes=self._minutes(len(jobs)))),
            ),
            createdAt=iso_stamp(batch.created_at),
        )
        data.zipUrl.null_value = struct_pb2.NULL_VALUE
        if done == len(jobs):
            data.zipUrl.string_value = f"{BASE}/batch/{batch.id}/download"
            data.zipSizeBytes = zip_size(await self._zip_entries(batch))
            data.completedAt = max(iso_stamp(job.finished_at) for job in jobs)
        return lumiku_pb2.BatchStatus(success=True, data=data)

    async def _zip_entries(self, batch: jobs_pb2.Batch) -> list[tuple[str, int]]:
        used: set[str] = set()
        return [
            (zip_name(job.filename, used), await self.gateway.store.size(job.result.result_key))
            for job in batch.jobs
            if job.status == jobs_pb2.JOB_STATUS_COMPLETED
        ]

    @downloads.streaming(LUMIKU)
    async def DownloadBatch(self, request, context):
        """Streams the ZIP: one result read and written at a time, never the whole archive."""
        batch = await self._owned_batch(context, request.id)
        if not all(job.status in TERMINAL for job in batch.jobs):
            raise ServiceError(
                grpc.StatusCode.FAILED_PRECONDITION, "BATCH_NOT_FINISHED", "The batch is still processing", http_status=409
            )
        await context.send_initial_metadata((("content-disposition", f'attachment; filename="{batch.id}.zip"'),))
        spool, used = _Spool(), set()
        yield httpbody_pb2.HttpBody(content_type="application/zip")
        with zipfile.ZipFile(spool, mode="w", compression=zipfile.ZIP_STORED) as archive:
            for job in batch.jobs:
                if job.status != jobs_pb2.JOB_STATUS_COMPLETED:
                    continue
                archive.writestr(zip_name(job.filename, used), await self.gateway.store.get(job.result.result_key))
                yield httpbody_pb2.HttpBody(data=spool.take())
        yield httpbody_pb2.HttpBody(data=spool.take())

    @rest.endpoint(LUMIKU)
    async def GetJob(self, request, context):
        caller = identity.required(context)
        job = await self.gateway.jobs.GetJob(jobs_pb2.GetJobRequest(job_id=request.id, owner_id=caller.user_id))
        completed = job.status == jobs_pb2.JOB_STATUS_COMPLETED and not job.expired
        result = job.result
        data = lumiku_pb2.Job.Data(
            id=job.id, status=JOB_STATUS[job.status], tier=job.tier, creditsUsed=job.credits, pricingType="credits",
            processingTimeMs=round(result.processing_seconds * 1000), aiProvider=AI_PROVIDER, modelName=result.model,
            createdAt=iso_stamp(job.created_at), completedAt=iso_stamp(job.finished_at), error=job.error_code,
        )
        if not job.expired and job.input_key:
            data.originalUrl = self.gateway.signer.url(job.input_key)
        if completed:
            data.processedUrl = self.gateway.signer.url(result.result_key)
            data.metadata.CopyFrom(  # the original upload's, as the document's example shows
                lumiku_pb2.Job.Metadata(
                    fileSizeBytes=await self.gateway.store.size(job.input_key), width=result.width, height=result.height,
                    format=_upload_format(job.input_key),
                )
            )
        return lumiku_pb2.Job(success=True, data=data)

    @rest.endpoint(LUMIKU)
    async def ListJobs(self, request, context):
        return await self.gateway.job_history(context, request)

    @rest.endpoint(LUMIKU)
    async def GetSubscription(self, request, context):
        return await self.gateway.subscription(context)

    @rest.endpoint(LUMIKU)
    async def Subscribe(self, request, context):
        return await self.gateway.subscribe(context, request.plan, request.paymentMethodId)

    @rest.endpoint(LUMIKU)
    async def CancelSubscription(self, request, context):
        return await self.gateway.cancel_subscription(context)

    @rest.endpoint(LUMIKU)
    async def AvatarCreatorBatch(self, request, context):
        """Every image of one of the caller's projects, as one batch at the volume price."""
        caller = identity.required(context)
        if not request.projectId:
            raise invalid("MISSING_REQUIRED_FIELD", "projectId is required", field="projectId")
        tier = _required_tier(request.tier)
        listing = await self.gateway.projects.ListProjectImages(
            webhooks_pb2.ListProjectImagesRequest(project_id=request.projectId, owner_id=caller.user_id, page=1, limit=MAX_IMAGES)
        )
        if not listing.images:
            raise invalid("PROJECT_EMPTY", "The project has no images: add some with POST /v1/projects/{id}/images", field="projectId")
        stored = [(image.key, image.filename) for image in listing.images]
        batch, charge = await self.gateway._submit_batch(
            context, [], parse_options("", "", "false", ""), tier, MAX_IMAGES, stored=stored
        )
        await rest.set_status(context, 201)
        return lumiku_pb2.AvatarBatch(
            success=True,
            data=lumiku_pb2.AvatarBatch.Data(
                batchId=batch.id, projectId=request.projectId, totalAvatars=len(batch.jobs),
                totalCredits=charge.credits_charged, discountPercentage=charge.pricing.discountPercentage,
            ),
        )

    @rest.endpoint(LUMIKU)
    async def PoseGeneratorAutoRemove(self, request, context):
        """An image the caller generated (its id is `<generation id>:<n>`), cut out, waited for."""
        caller = identity.required(context)
        if ":" not in request.generatedImageId:
            raise not_found("GENERATED_IMAGE_NOT_FOUND", "No image you generated has this id")
        key = await self.gateway.image_key(caller, request.generatedImageId, "generatedImageId")
        job, charge = await self.gateway.removal.submit(
            caller, b"", parse_options("", "", "false", ""), 0, tier=_required_tier(request.tier), stored_key=key,
            idempotency_key=rest.idempotency_key(context),
        )
        data = lumiku_pb2.AutoRemoval.Data(jobId=job.id, generatedImageId=request.generatedImageId, creditsUsed=charge.credits_charged)
        if outcome(job):
            data.processedUrl = self.gateway.signer.url(job.result.result_key)
        else:
            await rest.set_status(context, 202)
        return lumiku_pb2.AutoRemoval(success=True, data=data)

    @rest.endpoint(LUMIKU)
    async def GetAdminStats(self, request, context):
        return await self.gateway.admin_stats(context, request.period)

    @rest.endpoint(LUMIKU)
    async def CalculatePrice(self, request, context):
        identity.required(context)
        if request.imageCount < 1:
            raise invalid("INVALID_INPUT", "imageCount must be at least 1", field="imageCount")
        pricing = await self.gateway.billing.Quote(billing_pb2.QuoteRequest(imageCount=request.imageCount, tier=request.tier))
        return lumiku_pb2.Price(success=True, data=pricing)

