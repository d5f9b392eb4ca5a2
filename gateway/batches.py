"""Batches: seed 000's /v1/process/batch, seed 002's /remove-bg/batch and
/queue-status, and the aggregate status of /v1/process/jobs/{id}.

A batch is many one-image jobs under one id, charged together at the quoted
price (volume discount included) and refunded image by image when one fails:
one bad image never fails the batch. A refund re-prices the batch on the images
still standing (services/billing/ledger.py), so bad images buy no discount.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import uuid

import grpc
from google.api import httpbody_pb2

from backdrop.billing.v1 import billing_pb2
from backdrop.gateway.v1 import gateway_pb2
from backdrop.jobs.v1 import jobs_pb2
from gateway import multipart, rest
from gateway.process import IDEMPOTENCY_NAMESPACE, MB, parse_options, queue_charged, shielded
from services.runtime import envelopes, identity, images
from services.runtime.clock import iso_stamp
from services.runtime.config import env_int, env_str
from services.runtime.errors import ServiceError, idempotency_conflict, invalid

TERMINAL = (jobs_pb2.JOB_STATUS_COMPLETED, jobs_pb2.JOB_STATUS_FAILED)
# Seed 000's names of the job states.
JOB_STATUS = {
    jobs_pb2.JOB_STATUS_QUEUED: "pending",
    jobs_pb2.JOB_STATUS_PROCESSING: "processing",
    jobs_pb2.JOB_STATUS_COMPLETED: "completed",
    jobs_pb2.JOB_STATUS_FAILED: "failed",
}
QUEUE_STATUS = {
    jobs_pb2.JOB_STATUS_QUEUED: "queued",
    jobs_pb2.JOB_STATUS_PROCESSING: "processing",
    jobs_pb2.JOB_STATUS_COMPLETED: "completed",
    jobs_pb2.JOB_STATUS_FAILED: "failed",
}


def batch_status(jobs: list[jobs_pb2.Job]) -> tuple[str, int]:
    """Seed 000's status of a batch, and how many of its images are done."""
    done = sum(job.status in TERMINAL for job in jobs)
    if done == len(jobs):
        failed = all(job.status == jobs_pb2.JOB_STATUS_FAILED for job in jobs)
        return ("failed" if failed else "completed"), done
    started = any(job.status != jobs_pb2.JOB_STATUS_QUEUED for job in jobs)
    return ("processing" if started else "pending"), done


FINISHED = (jobs_pb2.JOB_STATUS_COMPLETED, jobs_pb2.JOB_STATUS_FAILED)


class BatchEndpoints:
    async def _submit_batch(
        self, context, parts: list[multipart.Part], options, tier: str, max_files: int,
        stored: list[tuple[str, str]] = (),
    ):
        """Checks every file, charges the batch, stores the files and queues one job per file.
        `stored` instead of `parts`: (object key, filename) of images already stored and checked
        (a project's images).

        With an Idempotency-Key, the key names the batch and its jobs: a retry gets the
        same batch back, charged once; the same key with other files is 422.
        """
        caller = identity.required(context)
        key = rest.idempotency_key(context)
        if not (parts or stored) or not all(part.data for part in parts):
            raise invalid("NO_FILES", "No images provided")
        if len(parts) + len(stored) > max_files:
            raise invalid("BATCH_TOO_LARGE", f"A batch takes at most {max_files} files", max_files=max_files)
        limit = env_int("V1_MAX_FILE_SIZE_MB", 50) * MB
        infos = []
        for part in parts:
            if len(part.data) > limit:
                raise invalid("FILE_TOO_LARGE", f"{part.filename or part.name} is larger than {limit // MB}MB", file=part.filename)
            try:
                infos.append(images.inspect(part.data))
            except ServiceError as error:
                error.details["file"] = part.filename or ""
                error.message = f"{part.filename}: {error.message}"
                raise
        if options.model:
            await self.removal.check_model(options)
        batch_id, request_hash = str(uuid.uuid4()), ""
        if key:
            batch_id = str(uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{caller.user_id}:batch:{key}"))
            digest = hashlib.sha256(options.SerializeToString(deterministic=True) + tier.encode())
            for part in parts:
                digest.update(hashlib.sha256(part.data).digest() + (part.filename or "").encode())
            for stored_key, _ in stored:
                digest.update(stored_key.encode())
            request_hash = digest.hexdigest()
        sources = [(f"uploads/{batch_id}/{n}.{info.format}", part.filename or f"image{n}") for n, (part, info) in enumerate(zip(parts, infos))]
        items = [
            jobs_pb2.BatchItem(
                job_id=str(uuid.uuid5(uuid.UUID(batch_id), str(n))) if key else str(uuid.uuid4()),
                input_key=input_key,
                filename=filename,
            )
            for n, (input_key, filename) in enumerate(sources or stored)
        ]
        # The tier decides model and quality; billing refuses more than the tier includes (H4).
        charge_request = billing_pb2.ChargeBatchRequest(
            user_id=caller.user_id, plan=caller.plan, tier=tier, job_ids=[i.job_id for i in items],
            model=options.model, quality=options.quality,
        )
        if key:
            existing = await self._batch_or_none(batch_id, caller.user_id)
            if existing is not None:
                if existing.request_hash != request_hash:
                    raise idempotency_conflict()
                charge_request.job_ids[:] = [j.id for j in existing.jobs]
                return existing, await self.billing.ChargeBatch(charge_request)

        async def charge_and_queue():
            charge = await self.billing.ChargeBatch(charge_request)
            try:
                await asyncio.gather(
                    *(self.store.put(item.input_key, part.data, info.content_type) for item, part, info in zip(items, parts, infos))
                )
            except BaseException:
                await self.removal.refund_unqueued([i.job_id for i in items])  # nothing was queued
                raise
            options.model, options.quality = charge.model, charge.quality
            for item, credits in zip(items, charge.job_credits):
                item.credits = credits
            request = jobs_pb2.SubmitBatchRequest(
                batch_id=batch_id, owner_id=caller.user_id, items=items, tier=charge.pricing.tier,
                request_hash=request_hash, remove_background=options,
            )
            refund = lambda: self.removal.refund_unqueued([i.job_id for i in items])  # noqa: E731
            return await queue_charged(self.removal.jobs.SubmitBatch, request, refund), charge

        return await shielded(charge_and_queue())

    def _batch_job(self, batch: jobs_pb2.Batch) -> gateway_pb2.BatchJob:
        status, done = batch_status(list(batch.jobs))
        return gateway_pb2.BatchJob(
            id=batch.id,
            status=status,
            # A finished job counts whole; a running one by the progress it reports (a generation's steps).
            progress=round(sum(100 if j.status in FINISHED else j.progress for j in batch.jobs) / len(batch.jobs), 1),
            total_files=len(batch.jobs),
            processed_files=done,
            results=[self._result(job) for job in batch.jobs if job.status == jobs_pb2.JOB_STATUS_COMPLETED],
            created_at=iso_stamp(batch.created_at),
            files=[
                gateway_pb2.BatchJob.File(
                    job_id=job.id, filename=job.filename, status=JOB_STATUS[job.status],
                    error=job.error_code if job.status == jobs_pb2.JOB_STATUS_FAILED else "",
                    message=job.error_message if job.status == jobs_pb2.JOB_STATUS_FAILED else "",
                )
                for job in batch.jobs
            ],
        )

    @rest.endpoint(envelopes.BACKDROP)
    async def SubmitBatch(self, request, context):
        fields = await multipart.parse_async(request.data, request.content_type)
        try:
            given = json.loads(fields["options"][0].text) if fields.get("options") else {}
        except ValueError:
            raise invalid("INVALID_PARAMETER", "options must be a JSON object", field="options") from None
        if not isinstance(given, dict):
            raise invalid("INVALID_PARAMETER", "options must be a JSON object", field="options")
        options = parse_options(
            str(given.get("model", "")), str(given.get("quality", "")),
            str(given.get("return_mask", "false")).lower(), str(given.get("edge_refinement", "")),
        )
        batch, _ = await self._submit_batch(context, fields.get("files", []), options, str(given.get("tier", "")), 100)
        await rest.set_status(context, 202)
        return self._batch_job(batch)

    @rest.endpoint(envelopes.REMBG)
    async def RemoveBgBatch(self, request, context):
        fields = await multipart.parse_async(request.data, request.content_type)
        options = parse_options(env_str("MODEL", ""), "", "false", "0")
        batch, _ = await self._submit_batch(context, fields.get("images", []), options, "", 100)
        names = [job.filename for job in batch.jobs]
        await rest.set_status(context, 202)
        body = {"message": f"Added {len(names)} files to processing queue", "batch_id": batch.id, "queued_files": names}
        return httpbody_pb2.HttpBody(content_type="application/json", data=json.dumps(body).encode())

    @rest.endpoint(envelopes.REMBG)
    async def GetQueueStatus(self, request, context):
        caller = identity.required(context)
        batch = await self.removal.jobs.GetBatch(jobs_pb2.GetBatchRequest(batch_id=request.batch_id, owner_id=caller.user_id))
        files = [gateway_pb2.QueueStatus.File(filename=job.filename, status=QUEUE_STATUS[job.status]) for job in batch.jobs]
        return gateway_pb2.QueueStatus(
            batch_id=batch.id, files=files, completed=all(job.status in TERMINAL for job in batch.jobs)
        )

    async def WatchJob(self, request, context):
        """Server-Sent Events through Envoy: one BatchJob per change, until it is done."""
        try:
            caller = identity.required(context)
            async for snapshot in self.removal.jobs.Watch(jobs_pb2.WatchRequest(id=request.id, owner_id=caller.user_id)):
                yield self._batch_job(snapshot)
        except ServiceError as error:
            await rest.abort(context, error, envelopes.BACKDROP)
        except grpc.aio.AioRpcError as failed:
            await rest.abort(context, ServiceError.from_rpc_error(failed), envelopes.BACKDROP)

    @rest.endpoint(envelopes.BACKDROP)
    async def ListJobs(self, request, context):
        return await self.job_history(context, request)

    async def job_history(self, context, request: gateway_pb2.ListJobsRequest) -> gateway_pb2.JobHistory:
        """Seed 001's history (also its dialect's, gateway/dialects/lumiku.py): filters, sort, pages."""
        caller = identity.required(context)
        query = jobs_pb2.ListJobsRequest(
            owner_id=caller.user_id, page=max(request.page, 1), limit=min(max(request.limit or 20, 1), 100), tier=request.tier
        )
        if request.status:
            statuses = {name: value for value, name in QUEUE_STATUS.items()} | {"pending": jobs_pb2.JOB_STATUS_QUEUED}
            if request.status not in statuses:
                raise invalid("INVALID_PARAMETER", "status must be pending, processing, completed or failed", field="status")
            query.status = statuses[request.status]
        for field, value, target in (("startDate", request.startDate, query.start), ("endDate", request.endDate, query.end)):
            if value:
                try:
                    target.FromDatetime(dt.datetime.fromisoformat(value.replace("Z", "+00:00")))
                except ValueError:
                    raise invalid("INVALID_PARAMETER", f"{field} must be an ISO date", field=field) from None
        if request.sortBy not in ("", "createdAt", "creditsUsed"):
            raise invalid("INVALID_PARAMETER", "sortBy must be createdAt or creditsUsed", field="sortBy")
        if request.sortOrder not in ("", "asc", "desc"):
            raise invalid("INVALID_PARAMETER", "sortOrder must be asc or desc", field="sortOrder")
        query.sort_by = "credits" if request.sortBy == "creditsUsed" else "created_at"
        query.ascending = request.sortOrder == "asc"
        found = await self.removal.jobs.ListJobs(query)
        pages = max(1, -(-found.total // query.limit))
        entries = [
            gateway_pb2.JobHistory.Entry(
                id=job.id, tier=job.tier, status=JOB_STATUS[job.status], creditsUsed=job.credits,
                createdAt=iso_stamp(job.created_at), filename=job.filename, batchId=job.batch_id,
            )
            for job in found.jobs
        ]
        pagination = gateway_pb2.JobHistory.Pagination(
            page=query.page, limit=query.limit, total=found.total, totalPages=pages,
            hasNext=query.page < pages, hasPrev=query.page > 1,
        )
        return gateway_pb2.JobHistory(success=True, data=gateway_pb2.JobHistory.Data(jobs=entries, pagination=pagination))

    async def _batch_or_none(self, batch_id: str, owner_id: str) -> jobs_pb2.Batch | None:
        try:
            return await self.removal.jobs.GetBatch(jobs_pb2.GetBatchRequest(batch_id=batch_id, owner_id=owner_id))
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:
                return None
            raise
