"""Seed 004's model training and custom models (FOMI): the code of protos/backdrop/fomi/v1/training.proto.

A training is a job (operation "train", jobs.proto TrainOptions) like a generation: the
images are fetched (url, through the SSRF guard) or looked up (imageId), checked and
stored with a JSON manifest that is the job's input; billing charges it before it is
queued and refunds it if it fails or is cancelled. The inference service's training role
(services/inference/training.py) trains LoRA adapters and has the inference server load
the merged UNet. Every client-controlled cost is bounded: images, epochs x images (steps),
resolution, and the price (at most billing's largest job).

A completed training is a custom model (the orchestrator's CustomModelService). `model` on
/images/generate, /variations, /edit, /inpaint and /outpaint may name one the caller owns or that is public
(`apply_custom_model`): its UNet runs, and its trigger word leads the prompt.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import uuid

import grpc
from google.protobuf import json_format, struct_pb2

from backdrop.billing.v1 import billing_pb2
from backdrop.fomi.v1 import training_pb2, training_pb2_grpc
from backdrop.inference.v1 import inference_pb2
from backdrop.jobs.v1 import custom_models_pb2, jobs_pb2
from gateway import content_policy, options, rest
from gateway.generation import estimated_completion
from services.inference.pipeline.lora import caption_prompt, parse_message
from services.runtime import envelopes, identity, images, netguard
from services.runtime.clock import iso, iso_stamp
from services.runtime.config import env_float, env_int
from services.runtime.errors import ServiceError, diffusion_unavailable, invalid, not_found
from services.runtime.identity import Identity

FOMI = envelopes.FOMI
BASE_MODELS = ("stable-diffusion-1.5", "stable-diffusion-xl", "stable-diffusion")
SCHEDULERS = ("constant", "cosine", "linear")
OPTIMIZERS = ("adamw", "adam", "sgd")
ADAPTERS = ("attention", "attention+conv")
TRIGGER = re.compile(r"^[A-Za-z0-9_-]{1,50}$")
# Seed 004's statuses of a training, by the job's.
STATUS = {
    jobs_pb2.JOB_STATUS_QUEUED: "uploading",
    jobs_pb2.JOB_STATUS_PROCESSING: "training",
    jobs_pb2.JOB_STATUS_COMPLETED: "completed",
    jobs_pb2.JOB_STATUS_FAILED: "failed",
}
MAX_PRICE_UNITS = 500  # billing's largest job (services/billing/catalog.py MAX_IMAGES)


def price_units(steps: int, batch_size: int, resolution: int) -> int:
    """What a training is charged as, in images at the tier's price: each image seen in a step
    at 512 x 512 costs TRAINING_CREDITS_PER_STEP (0.3, a denoising step's price in plans.json),
    scaled by the resolution's area."""
    return max(1, math.ceil(steps * batch_size * (resolution / 512) ** 2 * env_float("TRAINING_CREDITS_PER_STEP", 0.3)))


def _denied(message: str, **details) -> ServiceError:
    return ServiceError(grpc.StatusCode.PERMISSION_DENIED, "PERMISSION_DENIED", message, details=details)


def _integer(value: int, field: str, low: int, high: int, default: int) -> int:
    value = value or default
    if not low <= value <= high:
        raise invalid("INVALID_PARAMETER", f"trainingParams.{field} must be a whole number from {low} to {high}", field=f"trainingParams.{field}")
    return value


def train_options(request: training_pb2.StartTrainingRequest) -> jobs_pb2.TrainOptions:
    """The request's name, params and words, checked; images are checked by the caller."""
    name = " ".join(request.name.split())
    if not 1 <= len(name) <= 100:
        raise invalid("INVALID_PARAMETER", "name is required: 1 to 100 characters", field="name")
    if len(request.description) > 2000:
        raise invalid("INVALID_PARAMETER", "description is at most 2000 characters", field="description")
    trigger = request.triggerWord.strip()
    if trigger and not TRIGGER.match(trigger):
        raise invalid("INVALID_PARAMETER", "triggerWord is one word of letters, digits, - and _ (at most 50)", field="triggerWord")
    if len(request.category) > 50:
        raise invalid("INVALID_PARAMETER", "category is at most 50 characters", field="category")
    for text in (name, request.description, trigger):
        content_policy.check(text, True)
    params = request.trainingParams
    base = (params.model or BASE_MODELS[0]).strip().lower()
    if base not in BASE_MODELS:
        raise invalid("INVALID_PARAMETER", f"trainingParams.model must be one of {', '.join(BASE_MODELS)}", field="trainingParams.model")
    resolution = _integer(params.resolution, "resolution", 64, 1024, 512)
    if resolution % 64:
        raise invalid("INVALID_PARAMETER", "trainingParams.resolution must be a multiple of 64", field="trainingParams.resolution")
    return jobs_pb2.TrainOptions(
        name=name, description=request.description, trigger_word=trigger, category=" ".join(request.category.split()),
        is_public=request.isPublic, base_model=base,
        epochs=_integer(params.epochs, "epochs", 1, 1000, 100),
        learning_rate=options.number(str(params.learningRate or ""), "trainingParams.learningRate", 1e-6, 0.1, 1e-4),
        batch_size=_integer(params.batchSize, "batchSize", 1, 8, 1),
        resolution=resolution,
        scheduler=options.choice(params.scheduler or "cosine", SCHEDULERS, "trainingParams.scheduler"),
        optimizer=options.choice(params.optimizer or "adamw", OPTIMIZERS, "trainingParams.optimizer"),
        rank=_integer(params.rank, "rank", 1, 64, 4),
        adapters=options.choice(params.adapters or "attention+conv", ADAPTERS, "trainingParams.adapters"),
        seed=uuid.uuid4().int % 2**31,
    )


async def apply_custom_model(gateway, caller: Identity, model: str, generate: jobs_pb2.GenerateOptions) -> None:
    """`model` on a generation: a custom model's id (a UUID) the caller owns or that is public
    runs its UNet, with its trigger word leading the prompt; a deleted or foreign one is 404.
    Any other name runs the installed pipeline, as before."""
    try:
        model_id = str(uuid.UUID(model.strip()))
    except ValueError:
        return
    try:
        found = await gateway.custom_models.GetCustomModel(custom_models_pb2.CustomModelRequest(id=model_id, user_id=caller.user_id))
    except grpc.aio.AioRpcError as error:
        if error.code() == grpc.StatusCode.NOT_FOUND:
            raise not_found("NOT_FOUND", f"model: no custom model {model_id} (deleted, or not yours and not public)", field="model") from None
        raise
    generate.unet_model = found.unet_model
    generate.prompt = caption_prompt(found.trigger_word, generate.prompt)


class FomiTraining(training_pb2_grpc.FomiTrainingServicer):
    def __init__(self, gateway):
        # The GatewayServicer: its job flow (removal.submit), billing, object store, URL signer and peers.
        self.gateway = gateway
        self.models = gateway.custom_models
        self.files = gateway.model_files

    # --- trainings ----------------------------------------------------------------

    async def _image(self, caller: Identity, image: training_pb2.TrainingImage, index: int) -> bytes:
        field = f"images[{index}]"
        if image.url.strip() and image.imageId.strip():
            raise invalid("INVALID_PARAMETER", f"{field}: give url or imageId, not both", field=field)
        if image.url.strip():
            data = await netguard.fetch_async(image.url.strip(), self.gateway.v1_max_bytes, field=f"{field}.url")
        elif image.imageId.strip():
            data = await self.gateway.store.get(await self.gateway.image_key(caller, image.imageId, f"{field}.imageId"))
        else:
            raise invalid("INVALID_PARAMETER", f"{field}: url or imageId is required", field=field)
        images.inspect(data)  # a picture of a supported type and size, or 400/413 naming what is wrong
        return data

    async def _store_images(self, caller: Identity, request) -> tuple[str, list[dict]]:
        """Each image fetched, checked and stored, and the manifest (the job's input) beside them."""
        most = env_int("TRAINING_MAX_IMAGES", 50)
        if not 1 <= len(request.images) <= most:
            raise invalid("INVALID_PARAMETER", f"images: 1 to {most} captioned images", field="images")
        entries = []
        for index, image in enumerate(request.images):
            caption = " ".join(image.caption.split())
            if len(caption) > 500:
                raise invalid("INVALID_PARAMETER", f"images[{index}].caption is at most 500 characters", field=f"images[{index}].caption")
            content_policy.check(caption, True)
            weight = options.number(str(image.weight or ""), f"images[{index}].weight", 0.1, 10, 1.0)
            named = image.imageId.strip()
            # An id is shown back; image data sent as the id is not (its stored copy's link is the url).
            entries.append({"caption": caption, "weight": weight, "url": image.url.strip(), "imageId": named if len(named) <= 100 and not named.startswith("data:") else ""})
        datas = await asyncio.gather(*(self._image(caller, image, n) for n, image in enumerate(request.images)))
        folder = f"training/{caller.user_id}/{uuid.uuid4().hex}"
        for index, (entry, data) in enumerate(zip(entries, datas)):
            info = images.inspect(data)
            entry["key"] = f"{folder}/image-{index + 1}.{info.format}"
            await self.gateway.store.put(entry["key"], data, info.content_type)
        manifest = f"{folder}/manifest.json"
        await self.gateway.store.put(manifest, json.dumps({"images": entries}).encode(), "application/json")
        return manifest, entries

    async def _check_plan(self, caller: Identity) -> None:
        """Seed 004's plans: limits.customModels models at once (free: none)."""
        view = await self.gateway.billing.GetPlanView(billing_pb2.PlanViewRequest(user_id=caller.user_id, plan=caller.plan, dialect=FOMI.name))
        most = int(json_format.MessageToDict(view.view).get("limits", {}).get("customModels", 0))
        listed = await self.models.ListCustomModels(custom_models_pb2.ListCustomModelsRequest(user_id=caller.user_id))
        have = sum(1 for model in listed.models if model.owner_id == caller.user_id)
        if have >= most:
            raise _denied(
                f"The {view.plan} plan keeps at most {most} custom model(s) and you have {have}: delete one or upgrade",
                customModels=most, plan=view.plan,
            )

    @rest.endpoint(FOMI)
    async def StartTraining(self, request, context):
        caller = identity.required(context)
        train = train_options(request)
        train.image_count = len(request.images)
        train.steps = train.epochs * math.ceil(max(1, train.image_count) / train.batch_size)
        if not 1 <= train.image_count or train.steps > env_int("TRAINING_MAX_STEPS", 2000):
            raise invalid(
                "INVALID_PARAMETER", f"epochs x images / batchSize is {train.steps} steps; at most {env_int('TRAINING_MAX_STEPS', 2000)}",
                field="trainingParams.epochs",
            )
        units = price_units(train.steps, train.batch_size, train.resolution)
        if units > MAX_PRICE_UNITS:
            raise invalid("INVALID_PARAMETER", "This training is too large for one job: fewer epochs, images or a lower resolution", field="trainingParams")
        if not await self.gateway.removal.ready("diffusion"):
            raise diffusion_unavailable()
        await self._check_plan(caller)
        manifest, _ = await self._store_images(caller, request)
        job, _ = await self.gateway.removal.submit(
            caller, b"", train, self.gateway.v1_max_bytes, stored_key=manifest, wait=False,
            idempotency_key=rest.idempotency_key(context), image_count=units,
        )
        await rest.set_status(context, 202)
        return training_pb2.TrainingResponse(success=True, training=await self._training(job))

    async def _own(self, context, training_id: str) -> jobs_pb2.Job:
        caller = identity.required(context)
        try:
            job_id = str(uuid.UUID(training_id.strip()))
        except ValueError:
            raise not_found("NOT_FOUND", "No such training") from None
        job = await self.gateway.jobs.GetJob(jobs_pb2.GetJobRequest(job_id=job_id, owner_id=caller.user_id))
        if job.WhichOneof("operation") != "train":
            raise not_found("NOT_FOUND", "No such training")
        return job

    async def _training(self, job: jobs_pb2.Job) -> training_pb2.Training:
        train, result = job.train, job.result.training
        reported = parse_message(job.progress_message)
        epoch, loss = reported or (0, 0.0)
        if job.status == jobs_pb2.JOB_STATUS_COMPLETED and result.epoch_losses:
            epoch, loss = train.epochs, result.epoch_losses[-1]
        manifest = []
        if not job.expired:
            try:
                manifest = json.loads(await self.gateway.store.get(job.input_key))["images"]
            except Exception:  # noqa: BLE001 - the images' files are gone: the list is left empty
                manifest = []
        done = job.status == jobs_pb2.JOB_STATUS_COMPLETED
        model = training_pb2.TrainedModelRef(triggerWord=train.trigger_word)
        for name in ("id", "name", "url"):
            getattr(model, name).null_value = struct_pb2.NULL_VALUE
        if done:
            model.id.string_value, model.name.string_value = job.id, train.name
            if not job.expired:
                model.url.string_value = self.gateway.signer.url(job.result.result_key)
        training = training_pb2.Training(
            id=job.id, name=train.name, description=train.description, status=STATUS.get(job.status, "uploading"),
            progress=job.progress, createdAt=iso_stamp(job.created_at), category=train.category, isPublic=train.is_public,
            settings=training_pb2.TrainingParams(
                model=train.base_model, epochs=train.epochs, learningRate=train.learning_rate, batchSize=train.batch_size,
                resolution=train.resolution, scheduler=train.scheduler, optimizer=train.optimizer, rank=train.rank, adapters=train.adapters,
            ),
            images=[
                training_pb2.TrainingImage(
                    url=entry.get("url") or self.gateway.signer.url(entry["key"]), imageId=entry.get("imageId", ""),
                    caption=entry["caption"], weight=entry["weight"],
                )
                for entry in manifest
            ],
            model=model, epoch=epoch, loss=loss, totalEpochs=train.epochs, totalSteps=train.steps,
            epochLosses=list(result.epoch_losses), creditsCharged=job.credits,
        )
        training.completedAt.null_value = struct_pb2.NULL_VALUE
        if done:
            training.completedAt.string_value = iso_stamp(job.finished_at)
        elif job.status == jobs_pb2.JOB_STATUS_FAILED:
            training.error = f"{'CANCELLED' if job.error_code == 'CANCELLED' else 'TRAINING_FAILED'}: {job.error_message or job.error_code}"
        if job.status in (jobs_pb2.JOB_STATUS_COMPLETED, jobs_pb2.JOB_STATUS_FAILED):
            training.estimatedCompletion = iso_stamp(job.finished_at)
        else:
            training.estimatedCompletion = iso(estimated_completion(job, train.steps))
        return training

    @rest.endpoint(FOMI)
    async def GetTraining(self, request, context):
        job = await self._own(context, request.id)
        return training_pb2.TrainingResponse(success=job.status != jobs_pb2.JOB_STATUS_FAILED, training=await self._training(job))

    @rest.endpoint(FOMI)
    async def GetTrainingProgress(self, request, context):
        job = await self._own(context, request.id)
        training = await self._training(job)
        message = {"uploading": "Waiting for a training worker", "completed": "Done"}.get(training.status, job.progress_message or job.error_message or "Starting")
        return training_pb2.TrainingProgress(
            success=training.status != "failed", progress=job.progress, status=training.status, message=message,
            epoch=training.epoch, loss=training.loss,
        )

    @rest.endpoint(FOMI)
    async def CancelTraining(self, request, context):
        job = await self._own(context, request.id)
        cancelled = await self.gateway.jobs.CancelJob(jobs_pb2.CancelJobRequest(job_id=job.id, owner_id=job.owner_id))
        return training_pb2.TrainingResponse(success=True, training=await self._training(cancelled))

    # --- custom models --------------------------------------------------------------

    def _model(self, found: custom_models_pb2.CustomModel, caller: Identity) -> training_pb2.CustomModel:
        return training_pb2.CustomModel(
            id=found.id, name=found.name, description=found.description, triggerWord=found.trigger_word, category=found.category,
            isPublic=found.is_public, tags=list(found.tags), baseModel=found.base_model, trainingId=found.id,
            createdAt=iso_stamp(found.created_at), isOwner=found.owner_id == caller.user_id, loss=found.final_loss,
        )

    @rest.endpoint(FOMI)
    async def ListCustomModels(self, request, context):
        caller = identity.required(context)
        listed = await self.models.ListCustomModels(custom_models_pb2.ListCustomModelsRequest(user_id=caller.user_id))
        models = [self._model(found, caller) for found in listed.models]
        return training_pb2.CustomModelsResponse(success=True, models=models, total=len(models))

    @rest.endpoint(FOMI)
    async def GetCustomModel(self, request, context):
        caller = identity.required(context)
        found = await self.models.GetCustomModel(custom_models_pb2.CustomModelRequest(id=request.id, user_id=caller.user_id))
        return training_pb2.CustomModelResponse(success=True, model=self._model(found, caller))

    @rest.endpoint(FOMI)
    async def ShareCustomModel(self, request, context):
        caller = identity.required(context)
        if len(request.tags) > 20 or any(len(tag) > 40 for tag in request.tags):
            raise invalid("INVALID_PARAMETER", "tags: at most 20, each at most 40 characters", field="tags")
        if request.HasField("description"):
            content_policy.check(request.description, True)
        share = custom_models_pb2.ShareCustomModelRequest(
            id=request.id, user_id=caller.user_id, is_public=request.isPublic if request.HasField("isPublic") else True,
            tags=list(request.tags), set_tags=bool(request.tags),
        )
        if request.HasField("description"):
            share.description = request.description
        found = await self.models.ShareCustomModel(share)
        return training_pb2.CustomModelResponse(success=True, model=self._model(found, caller))

    @rest.endpoint(FOMI)
    async def DeleteCustomModel(self, request, context):
        """Marked deleted first (generation with it is 404 at once), then unloaded and its weights deleted."""
        caller = identity.required(context)
        found = await self.models.DeleteCustomModel(custom_models_pb2.CustomModelRequest(id=request.id, user_id=caller.user_id))
        await self.files.DeleteCustomModel(inference_pb2.DeleteCustomModelRequest(name=found.unet_model))
        return training_pb2.DeleteCustomModelResponse(success=True, message=f"Custom model {found.name!r} deleted")
