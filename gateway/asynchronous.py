"""Seed 003's asynchronous API: POST /process (202 and a processing id),
GET /status/{id}, GET /download/{id} (423 while it is still processing), and
an email when the job ends (services/orchestrator/notifications.py)."""

from __future__ import annotations

import re

import grpc

from backdrop.gateway.v1 import gateway_pb2
from backdrop.jobs.v1 import jobs_pb2
from gateway import downloads, multipart, options, rest
from gateway.process import MB, parse_options
from services.runtime import envelopes, identity
from services.runtime.config import env_int
from services.runtime.errors import ServiceError, invalid

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


class AsyncEndpoints:
    @rest.endpoint(envelopes.BACKDROP)
    async def Process(self, request, context):
        caller = identity.required(context)
        fields = await multipart.parse_async(request.data, request.content_type)
        upload = fields.get("file")
        if not upload or not upload[0].data:
            raise invalid("NO_FILE", "No image provided: send it as the multipart field 'file'", field="file")
        email = fields["email"][0].text.strip() if fields.get("email") else ""
        if not EMAIL.match(email) or len(email) > 254:
            raise invalid("INVALID_PARAMETER", "email must be a valid email address", field="email")
        field = lambda name: fields[name][0].text if fields.get(name) else ""  # noqa: E731
        removal = parse_options(field("model"), "", "false", "")
        removal.output_format = options.output_format(field("output_format"))
        removal.output_quality = round(options.number(field("quality"), "quality", 1, 100, 95))
        removal.scale = options.number(field("scale"), "scale", 0.05, options.MAX_SCALE, 1.0)
        job, _ = await self.removal.submit(
            caller, upload[0].data, removal, env_int("V1_MAX_FILE_SIZE_MB", 50) * MB, wait=False, notify_email=email,
            idempotency_key=rest.idempotency_key(context),
        )
        await rest.set_status(context, 202)
        return gateway_pb2.ProcessAccepted(
            processing_id=job.id,
            status_url=f"{self.signer.base_url}/status/{job.id}",
            message="Processing started. Check your email when done.",
        )

    async def _own_job(self, context, processing_id: str) -> jobs_pb2.Job:
        """The caller's job; an expired one (its files deleted) is 404, as seed 003 says."""
        caller = identity.required(context)
        job = await self.removal.jobs.GetJob(jobs_pb2.GetJobRequest(job_id=processing_id, owner_id=caller.user_id))
        if job.expired:
            raise ServiceError(grpc.StatusCode.NOT_FOUND, "EXPIRED", "The result has expired and was deleted")
        return job

    @rest.endpoint(envelopes.BACKDROP)
    async def GetProcessingStatus(self, request, context):
        job = await self._own_job(context, request.processing_id)
        status = {jobs_pb2.JOB_STATUS_COMPLETED: "completed", jobs_pb2.JOB_STATUS_FAILED: "failed"}.get(job.status, "processing")
        return gateway_pb2.ProcessingStatus(processing_id=job.id, status=status)

    @downloads.streaming(envelopes.BACKDROP)
    async def DownloadResult(self, request, context):
        """The result file, streamed in chunks (gateway/downloads.py); 423 while processing."""
        job = await self._own_job(context, request.processing_id)
        if job.status == jobs_pb2.JOB_STATUS_FAILED:
            raise ServiceError(grpc.StatusCode.NOT_FOUND, "PROCESSING_FAILED", "Processing failed; there is nothing to download")
        if job.status != jobs_pb2.JOB_STATUS_COMPLETED:
            raise ServiceError(grpc.StatusCode.FAILED_PRECONDITION, "LOCKED", "Still processing; try again shortly", http_status=423)
        extension = "jpg" if job.result.format == "jpeg" else job.result.format
        body = await downloads.open_object(self.store, job.result.result_key, job.result.content_type)
        await context.send_initial_metadata(
            (("content-disposition", f'attachment; filename="{job.id}.{extension}"'),)
        )
        async for chunk in body:
            yield chunk
