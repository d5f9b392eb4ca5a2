"""Seed 001's background-remover API: batches with their pricing, batch status,
the results as a streamed ZIP, and job details."""

from __future__ import annotations

import math
import pathlib
import zipfile

import grpc
from google.api import httpbody_pb2

from backdrop.billing.v1 import billing_pb2
from backdrop.gateway.v1 import gateway_pb2
from backdrop.jobs.v1 import jobs_pb2
from gateway import multipart, rest
from gateway.batches import JOB_STATUS, TERMINAL, batch_status
from gateway.process import parse_options
from services.runtime import envelopes, identity
from services.runtime.clock import iso_stamp as _iso
from services.runtime.config import env_float
from services.runtime.errors import ServiceError, invalid

MIN_IMAGES, MAX_IMAGES = 2, 500
ZIP_CHUNK_BYTES = 1024 * 1024


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


class RemoverEndpoints:
    @rest.endpoint(envelopes.v1)
    async def CreateRemoverBatch(self, request, context):
        fields = await multipart.parse_async(request.data, request.content_type)
        parts = fields.get("images", [])
        if len(parts) < MIN_IMAGES:
            raise invalid("BATCH_TOO_SMALL", f"A batch needs at least {MIN_IMAGES} images", field="images")
        tier = fields["tier"][0].text if fields.get("tier") else ""
        batch, charge = await self._submit_batch(context, parts, parse_options("", "", "false", ""), tier, MAX_IMAGES)
        await rest.set_status(context, 201)
        seconds = env_float("ESTIMATED_SECONDS_PER_IMAGE", 0.5)
        return gateway_pb2.RemoverBatch(
            success=True,
            data=gateway_pb2.RemoverBatch.Data(
                batchId=batch.id,
                totalImages=len(batch.jobs),
                tier=charge.pricing.tier,
                pricing=charge.pricing,
                estimatedCompletionMinutes=max(1, math.ceil(len(batch.jobs) * seconds / 60)),
                status="pending",
                createdAt=_iso(batch.created_at),
            ),
        )

    async def _owned_batch(self, context, batch_id: str) -> jobs_pb2.Batch:
        caller = identity.required(context)
        return await self.removal.jobs.GetBatch(jobs_pb2.GetBatchRequest(batch_id=batch_id, owner_id=caller.user_id))

    @rest.endpoint(envelopes.v1)
    async def GetRemoverBatch(self, request, context):
        batch = await self._owned_batch(context, request.id)
        jobs = list(batch.jobs)
        status, done = batch_status(jobs)
        failed = sum(job.status == jobs_pb2.JOB_STATUS_FAILED for job in jobs)
        quote = await self.billing.Quote(billing_pb2.QuoteRequest(imageCount=len(jobs), tier=jobs[0].tier or ""))
        finished = done == len(jobs)
        return gateway_pb2.RemoverBatchStatus(
            success=True,
            data=gateway_pb2.RemoverBatchStatus.Data(
                batchId=batch.id,
                status=status,
                progress=gateway_pb2.RemoverBatchStatus.Progress(
                    totalImages=len(jobs), processedImages=done - failed, failedImages=failed,
                    percentage=round(100 * done / len(jobs)),
                ),
                pricing=gateway_pb2.RemoverBatchStatus.Pricing(
                    totalCredits=sum(job.credits for job in jobs), discountPercentage=quote.discountPercentage
                ),
                zipUrl=f"/v1/background-remover/batch/{batch.id}/download" if finished else "",
                createdAt=_iso(batch.created_at),
                completedAt=max((_iso(job.finished_at) for job in jobs), default="") if finished else "",
            ),
        )

    async def DownloadRemoverBatch(self, request, context):
        """Streams the ZIP: one result read and written at a time, never the whole archive."""
        try:
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
                    archive.writestr(zip_name(job.filename, used), await self.store.get(job.result.result_key))
                    yield httpbody_pb2.HttpBody(data=spool.take())
            yield httpbody_pb2.HttpBody(data=spool.take())
        except ServiceError as error:
            await rest.abort(context, error, envelopes.v1)
        except grpc.aio.AioRpcError as failed:
            await rest.abort(context, ServiceError.from_rpc_error(failed), envelopes.v1)

    @rest.endpoint(envelopes.v1)
    async def GetRemoverJob(self, request, context):
        caller = identity.required(context)
        job = await self.removal.jobs.GetJob(jobs_pb2.GetJobRequest(job_id=request.id, owner_id=caller.user_id))
        completed = job.status == jobs_pb2.JOB_STATUS_COMPLETED
        result = job.result
        return gateway_pb2.RemoverJob(
            success=True,
            data=gateway_pb2.RemoverJob.Data(
                id=job.id,
                status=JOB_STATUS[job.status],
                tier=job.tier,
                processedUrl=self.signer.url(result.result_key) if completed else "",
                creditsUsed=job.credits,
                pricingType="credits",
                processingTimeMs=round(result.processing_seconds * 1000),
                modelName=result.model,
                metadata=gateway_pb2.RemoverJob.Metadata(width=result.width, height=result.height, format=result.format),
                createdAt=_iso(job.created_at),
                completedAt=_iso(job.finished_at),
                error=job.error_code,
            ),
        )
