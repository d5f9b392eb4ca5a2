"""Background removal as every public endpoint does it: validate the upload,
store it, submit a job, wait for its event, and turn the outcome into a result
or an error."""

from __future__ import annotations

import asyncio
import hashlib
import time
import uuid

import grpc

from backdrop.billing.v1 import billing_pb2, billing_pb2_grpc
from backdrop.inference.v1 import inference_pb2, inference_pb2_grpc
from backdrop.jobs.v1 import jobs_pb2, jobs_pb2_grpc
from services.runtime import images
from services.runtime.config import env_float
from services.runtime.errors import ServiceError, file_too_large, idempotency_conflict, invalid, unavailable
from services.runtime.identity import Identity
from services.runtime.objectstore import ObjectStore

MB = 1024 * 1024
IDEMPOTENCY_NAMESPACE = uuid.UUID("5b0c7a38-2f43-4a5e-9a8f-6f0d1c2b3a41")
MAX_IDEMPOTENCY_KEY = 255
QUALITIES = ("low", "medium", "high", "ultra")
# Worker error codes that are the client's fault; any other failure is ours.
CLIENT_ERRORS = {"INVALID_IMAGE", "INVALID_FILE_TYPE", "IMAGE_TOO_LARGE", "INVALID_MODEL", "INPUT_NOT_FOUND"}
# Each options message is one kind of job.
OPERATIONS = {
    jobs_pb2.RemoveBackgroundOptions: "remove_background",
    jobs_pb2.UpscaleOptions: "upscale",
    jobs_pb2.EnhanceOptions: "enhance",
    jobs_pb2.GenerateOptions: "generate",
}


def parse_options(model: str, quality: str, return_mask: str, edge_refinement: str) -> jobs_pb2.RemoveBackgroundOptions:
    """Seed 000's form fields, checked, with their defaults (model and quality: the tier's)."""
    quality = quality.strip().lower()
    if quality and quality not in QUALITIES:
        raise invalid("INVALID_PARAMETER", f"quality must be one of {', '.join(QUALITIES)}", field="quality")
    flag = (return_mask or "false").strip().lower()
    if flag not in ("true", "false", "1", "0", "yes", "no"):
        raise invalid("INVALID_PARAMETER", "return_mask must be true or false", field="return_mask")
    try:
        refinement = float(edge_refinement) if edge_refinement.strip() else 50.0
    except ValueError:
        refinement = -1.0
    if not 0 <= refinement <= 100:
        raise invalid("INVALID_PARAMETER", "edge_refinement must be a number from 0 to 100", field="edge_refinement")
    return jobs_pb2.RemoveBackgroundOptions(
        model=model.strip().lower(),
        quality=quality,
        return_mask=flag in ("true", "1", "yes"),
        edge_refinement=round(refinement),
    )


class BackgroundRemoval:
    def __init__(
        self,
        jobs: jobs_pb2_grpc.JobServiceStub,
        inference: inference_pb2_grpc.InferenceServiceStub,
        billing: billing_pb2_grpc.BillingServiceStub,
        store: ObjectStore,
    ):
        self.jobs = jobs
        self.inference = inference
        self.billing = billing
        self.store = store
        self.wait_s = env_float("SYNC_TIMEOUT_S", 60.0)
        self._models: tuple[float, inference_pb2.ListModelsResponse] | None = None

    async def _model_names(self) -> tuple[set[str], str]:
        if self._models is None or time.monotonic() - self._models[0] > 30:
            self._models = (time.monotonic(), await self.inference.ListModels(inference_pb2.ListModelsRequest()))
        listing = self._models[1]
        names = {n for m in listing.models if m.task == "segmentation" for n in (m.name, *m.aliases)}
        return names, listing.default_model

    async def _existing(self, job_id: str, owner_id: str) -> jobs_pb2.Job | None:
        return await _missing_ok(self.jobs.GetJob(jobs_pb2.GetJobRequest(job_id=job_id, owner_id=owner_id)))

    async def ready(self, task: str) -> bool:
        """Whether the inference server has a ready model for `task` (asked at most every 30 s)."""
        await self._model_names()
        return any(m.task == task and m.ready for m in self._models[1].models)

    async def check_model(self, options: jobs_pb2.RemoveBackgroundOptions) -> None:
        names, _ = await self._model_names()
        if options.model not in names:
            valid = ", ".join(sorted(names))
            raise invalid(
                "INVALID_MODEL", f"Unknown model {options.model!r}. Valid models: {valid}", valid_models=valid
            )

    async def submit(
        self,
        caller: Identity,
        upload: bytes,
        options: jobs_pb2.RemoveBackgroundOptions | jobs_pb2.UpscaleOptions | jobs_pb2.EnhanceOptions,
        max_bytes: int,
        tier: str = "",
        wait: bool = True,
        notify_email: str = "",
        idempotency_key: str = "",
        stored_key: str = "",
        image_count: int = 1,
    ) -> tuple[jobs_pb2.Job, billing_pb2.ChargeResponse]:
        """Checks the upload, charges the caller, stores it, queues the job and (unless told not to)
        waits for it, bounded. With `stored_key` the input is an image already stored (an
        uploaded image, a background, an earlier result) and `upload` is empty.

        The charge comes before the work is queued; if queueing fails, it is refunded.
        """
        operation = OPERATIONS[type(options)]
        if not stored_key and operation != "generate":
            if len(upload) > max_bytes:
                raise file_too_large(max_bytes)
            info = images.inspect(upload)
        if operation == "remove_background" and options.model:
            await self.check_model(options)
        job_id, request_hash = str(uuid.uuid4()), ""
        if idempotency_key:
            # The key names the job: a retry finds it, charged and queued once.
            job_id = str(uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{caller.user_id}:{idempotency_key}"))
            source = stored_key.encode() if stored_key else upload
            request_hash = hashlib.sha256(source + options.SerializeToString(deterministic=True) + tier.encode()).hexdigest()
            existing = await self._existing(job_id, caller.user_id)
            if existing is not None:
                if existing.request_hash != request_hash:
                    raise idempotency_conflict()
                charged = await self.billing.Charge(
                    billing_pb2.ChargeRequest(user_id=caller.user_id, plan=caller.plan, job_id=job_id, tier=tier, image_count=image_count)
                )
                if not wait:
                    return existing, charged
                return await self.jobs.WaitJob(
                    jobs_pb2.WaitJobRequest(job_id=job_id, owner_id=caller.user_id, timeout_seconds=self.wait_s)
                ), charged
        input_key = stored_key or (f"uploads/{job_id}/original.{info.format}" if upload else "")
        # The charge and the upload's write overlap; the job is queued only once both are done.
        charging = self.billing.Charge(
            billing_pb2.ChargeRequest(user_id=caller.user_id, plan=caller.plan, job_id=job_id, tier=tier, image_count=image_count)
        )
        storing = self.store.put(input_key, upload, info.content_type) if upload and not stored_key else _nothing()
        charged, stored = await asyncio.gather(charging, storing, return_exceptions=True)
        if isinstance(charged, BaseException):
            if not isinstance(stored, BaseException) and upload and not stored_key:
                await self.store.delete(input_key)
            raise charged
        try:
            if isinstance(stored, BaseException):
                raise stored
            if operation == "remove_background":
                options.model = options.model or charged.model
                options.quality = options.quality or charged.quality
            job = await self.jobs.SubmitJob(
                jobs_pb2.SubmitJobRequest(
                    job_id=job_id, input_key=input_key, owner_id=caller.user_id, **{operation: options},
                    tier=charged.pricing.tier, credits=charged.credits_charged, notify_email=notify_email,
                    request_hash=request_hash,
                )
            )
        except grpc.aio.AioRpcError as failed:
            if ServiceError.from_rpc_error(failed).reason != "IDEMPOTENCY_KEY_REUSED":  # that charge is the first request's
                await self.billing.Refund(billing_pb2.RefundRequest(job_id=job_id))
            raise
        except BaseException:
            await self.billing.Refund(billing_pb2.RefundRequest(job_id=job_id))
            raise
        if not wait:
            return job, charged
        return await self.jobs.WaitJob(
            jobs_pb2.WaitJobRequest(job_id=job.id, owner_id=caller.user_id, timeout_seconds=self.wait_s)
        ), charged


async def _nothing() -> None:
    return None


async def _missing_ok(call):
    try:
        return await call
    except grpc.aio.AioRpcError as error:
        if error.code() == grpc.StatusCode.NOT_FOUND:
            return None
        raise


def outcome(job: jobs_pb2.Job) -> bool:
    """True when the job completed, False while it still runs; raises its error otherwise."""
    if job.status == jobs_pb2.JOB_STATUS_COMPLETED:
        return True
    if job.status == jobs_pb2.JOB_STATUS_FAILED:
        if job.error_code in CLIENT_ERRORS:
            raise invalid(job.error_code, job.error_message, job_id=job.id)
        raise ServiceError(
            grpc.StatusCode.INTERNAL, job.error_code or "PROCESSING_FAILED", "Failed to process image", details={"job_id": job.id}
        )
    if job.error_code:  # queued, waiting on something down: it will run when that is back
        raise unavailable(
            job.error_code,
            "The inference server is unavailable; the job is queued and will finish once it is back",
            job_id=job.id,
        )
    return False
