"""Background removal as every public endpoint does it: validate the upload,
store it, submit a job, wait for its event, and turn the outcome into a result
or an error."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
import uuid

import grpc

from backdrop.billing.v1 import billing_pb2, billing_pb2_grpc
from backdrop.inference.v1 import inference_pb2, inference_pb2_grpc
from backdrop.jobs.v1 import jobs_pb2, jobs_pb2_grpc
from services.runtime import images
from services.runtime.config import env_float
from services.runtime.errors import ServiceError, file_too_large, idempotency_conflict, invalid
from services.runtime.identity import Identity
from services.runtime.objectstore import ObjectStore

MB = 1024 * 1024
log = logging.getLogger(__name__)
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
    jobs_pb2.VideoRemovalOptions: "remove_background_video",
    jobs_pb2.TrainOptions: "train",  # seed 004's model training (gateway/dialects/fomi/training.py)
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


class NewJobs:
    """Tells this gateway's sockets that it has just queued a job for a user, so seed 004's
    real-time updates follow it from its first step instead of from their next listing.
    Jobs queued through another gateway replica are found by that listing."""

    def __init__(self) -> None:
        self._listeners: dict[str, set[asyncio.Event]] = {}

    def queued(self, user_id: str) -> None:
        for listener in self._listeners.get(user_id, ()):
            listener.set()

    async def wait(self, user_id: str, timeout: float) -> None:
        """Until a job is queued for `user_id` here, or `timeout` seconds."""
        listener = asyncio.Event()
        self._listeners.setdefault(user_id, set()).add(listener)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(listener.wait(), timeout)
        finally:
            listeners = self._listeners[user_id]
            listeners.discard(listener)
            if not listeners:
                del self._listeners[user_id]


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
        self.new_jobs = NewJobs()
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
        """Refuses an unknown model; a known alias becomes the model's name (what tiers name)."""
        names, _ = await self._model_names()
        if options.model not in names:
            valid = ", ".join(sorted(names))
            raise invalid(
                "INVALID_MODEL", f"Unknown model {options.model!r}. Valid models: {valid}", valid_models=valid
            )
        options.model = next(
            (m.name for m in self._models[1].models if m.task == "segmentation" and options.model in (m.name, *m.aliases)),
            options.model,
        )

    async def model_scale(self, name: str) -> int:
        """The real factor of an upscaling model (0 when unknown): a 4x model serving scale 2 works at 4x."""
        await self._model_names()
        wanted = name.strip().lower()
        return next((m.scale for m in self._models[1].models if m.task == "upscale" and wanted in (m.name, *m.aliases)), 0)

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
        output_pixels: int = 0,
        price: str = "",
        dialect: str = "",
    ) -> tuple[jobs_pb2.Job, billing_pb2.ChargeResponse]:
        """Checks the upload, charges the caller, stores it, queues the job and (unless told not to)
        waits for it, bounded. With `stored_key` the input is an image already stored (an
        uploaded image, a background, an earlier result) and `upload` is empty.

        The tier decides model and quality: billing refuses a model or quality beyond the tier, or
        picks the tier that includes them (H4). Heavy jobs are priced by their cost: `output_pixels`
        for upscale, steps x images for generation (M10). `price` names another price list of billing's
        (remove.bg's sizes: "removebg:preview"). `dialect` names the API the request came in by: billing
        applies that document's plan limits (seed 004's images per generation and generations a day).
        The charge comes before the work is queued, and the two run shielded from the client going
        away (M4); see queue_charged.
        """
        operation = OPERATIONS[type(options)]
        if not stored_key and operation != "generate":
            if len(upload) > max_bytes:
                raise file_too_large(max_bytes)
            info = images.inspect(upload)
        requested = ("", "")
        if operation == "remove_background":
            if options.model:
                await self.check_model(options)
            requested = (options.model, options.quality)
        job_id, request_hash = str(uuid.uuid4()), ""
        if idempotency_key:
            # The key names the job: a retry finds it, charged and queued once.
            job_id = str(uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{caller.user_id}:{idempotency_key}"))
            source = stored_key.encode() if stored_key else upload
            request_hash = hashlib.sha256(source + options.SerializeToString(deterministic=True) + tier.encode()).hexdigest()
        charge = billing_pb2.ChargeRequest(
            user_id=caller.user_id, plan=caller.plan, job_id=job_id, tier=tier, image_count=image_count,
            model=requested[0], quality=requested[1], operation=price or operation, output_pixels=output_pixels,
            steps=options.steps if operation == "generate" else 0, dialect=dialect,
        )
        existing = await self._existing(job_id, caller.user_id) if idempotency_key else None
        if existing is not None:
            if existing.request_hash != request_hash:
                raise idempotency_conflict()
            if existing.status == jobs_pb2.JOB_STATUS_FAILED:
                outcome(existing)  # its error; its credits came back
            charged = await self.billing.Charge(charge)
            if not wait:
                return existing, charged
            return await self.jobs.WaitJob(
                jobs_pb2.WaitJobRequest(job_id=job_id, owner_id=caller.user_id, timeout_seconds=self.wait_s)
            ), charged
        input_key = stored_key or (f"uploads/{job_id}/original.{info.format}" if upload else "")

        async def charge_and_queue() -> tuple[jobs_pb2.Job, billing_pb2.ChargeResponse]:
            # The charge and the upload's write overlap; the job is queued only once both are done.
            storing = self.store.put(input_key, upload, info.content_type) if upload and not stored_key else _nothing()
            charged, stored = await asyncio.gather(self.billing.Charge(charge), storing, return_exceptions=True)
            if isinstance(charged, BaseException):
                if not isinstance(stored, BaseException) and upload and not stored_key:
                    await self.store.delete(input_key)
                raise charged
            if isinstance(stored, BaseException):
                await self.refund_unqueued([job_id])  # nothing was queued
                raise stored
            if operation == "remove_background":
                options.model, options.quality = charged.model, charged.quality
            request = jobs_pb2.SubmitJobRequest(
                job_id=job_id, input_key=input_key, owner_id=caller.user_id, **{operation: options},
                tier=charged.pricing.tier, credits=charged.credits_charged, notify_email=notify_email,
                request_hash=request_hash,
            )
            return await queue_charged(self.jobs.SubmitJob, request, lambda: self.refund_unqueued([job_id])), charged

        job, charged = await shielded(charge_and_queue())
        self.new_jobs.queued(caller.user_id)
        if not wait:
            return job, charged
        return await self.jobs.WaitJob(
            jobs_pb2.WaitJobRequest(job_id=job.id, owner_id=caller.user_id, timeout_seconds=self.wait_s)
        ), charged

    async def refund_unqueued(self, job_ids: list[str]) -> None:
        """Best effort: a refund that fails here is made by billing's reconciler (the job does not exist)."""
        try:
            await asyncio.gather(*(self.billing.Refund(billing_pb2.RefundRequest(job_id=j), timeout=10) for j in job_ids))
        except grpc.aio.AioRpcError:
            log.warning("refund failed; billing's reconciler will make it", extra={"jobs": len(job_ids)})


# SubmitJob/SubmitBatch failures after which the orchestrator may or may not hold the job: never refunded here.
AMBIGUOUS = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.CANCELLED,
             grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL, grpc.StatusCode.ABORTED, grpc.StatusCode.DATA_LOSS}


async def queue_charged(call, request, refund, attempts: int = 3):
    """Queues charged work (M4). The job id is fixed, so SubmitJob/SubmitBatch are idempotent and an
    ambiguous failure (the orchestrator may have committed the row) is retried, never refunded: if
    the job never arrives, billing's reconciler refunds the charge once it sees no job. A definite
    refusal means no job: refunded at once (except a reused key, whose charge is the first request's)."""
    for attempt in range(attempts):
        try:
            return await call(request, timeout=env_float("SUBMIT_TIMEOUT_S", 20.0))
        except grpc.aio.AioRpcError as failed:
            if failed.code() in AMBIGUOUS:
                if attempt + 1 < attempts:
                    await asyncio.sleep(0.5 * 2**attempt)
                    continue
                log.warning("queueing a charged job failed ambiguously; left to the reconciler", extra={"code": failed.code().name})
            elif ServiceError.from_rpc_error(failed).reason != "IDEMPOTENCY_KEY_REUSED":
                await refund()
            raise


async def shielded(work):
    """Runs `work` to its end even when the request is cancelled (a client reset, Envoy's timeout):
    a charge is never left without its job or its refund by a client going away."""
    task = asyncio.ensure_future(work)
    task.add_done_callback(lambda t: t.cancelled() or t.exception())  # a cancelled caller never reads it
    return await asyncio.shield(task)


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
    # Still queued or running, also while the model server is down (error_code says so): charged and
    # queued, it finishes once that is back, so the client gets 202 and the job id, not a 5xx to retry (L7).
    return False
