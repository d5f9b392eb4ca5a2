"""Diffusion: seed 000's generated backgrounds and seed 004's generation,
variations, inpainting and outpainting. Each request is one job, charged per
image and refunded if it fails; its progress advances with every denoising
step (GET …/progress, and the SSE stream /v1/process/jobs/{id}/events).

Every client-controlled cost is bounded: prompt length, steps, images per
request, pixels. Without diffusion weights the endpoints answer 503
MODEL_UNAVAILABLE and say how to install them.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid

from google.protobuf import struct_pb2

from backdrop.gateway.v1 import gateway_pb2
from backdrop.jobs.v1 import jobs_pb2
from gateway import backgrounds, content_policy, options, rest
from gateway.process import outcome
from services.runtime import envelopes, identity, images
from services.runtime.clock import iso, iso_stamp
from services.runtime.config import env_float, env_int
from services.runtime.errors import diffusion_unavailable, invalid, not_found
from services.runtime.identity import Identity

MAX_PROMPT = 1000
ASPECT_RATIOS = ("1:1", "16:9", "9:16", "4:3", "3:4")
QUALITY_SIDE = {"standard": 512, "hd": 768, "ultra-hd": 1024}
DIRECTIONS = ("left", "right", "top", "bottom")
STYLES = ("realistic", "artistic", "abstract", "gradient")
# enhancePrompt's wording per seed 004 style and quality.
STYLE_WORDS = {
    "photorealistic": "photorealistic, natural lighting, detailed textures",
    "cinematic": "cinematic lighting, dramatic composition, film still",
    "anime": "anime style, clean line art, vibrant colours",
    "digital-art": "digital art, concept art, detailed",
    "painting": "oil painting, visible brush strokes",
    "sketch": "pencil sketch, fine hatching",
}
QUALITY_WORDS = {"standard": "", "hd": "high detail", "ultra-hd": "highly detailed, intricate detail"}
INPAINT_AREAS = ("whole", "masked")
STATUS = {
    jobs_pb2.JOB_STATUS_QUEUED: "pending",
    jobs_pb2.JOB_STATUS_PROCESSING: "processing",
    jobs_pb2.JOB_STATUS_COMPLETED: "completed",
    jobs_pb2.JOB_STATUS_FAILED: "failed",
}


def clean_prompt(text: str, field: str = "prompt", minimum: int = 1, maximum: int = MAX_PROMPT) -> str:
    text = " ".join(text.split())
    if not minimum <= len(text) <= maximum:
        raise invalid("INVALID_PARAMETER", f"{field} must be {minimum} to {maximum} characters", field=field)
    return text


def _integer(value: int, field: str, low: int, high: int, default: int) -> int:
    value = value or default
    if not low <= value <= high:
        raise invalid("INVALID_PARAMETER", f"{field} must be from {low} to {high}", field=field)
    return value


def _seed(request) -> int:
    if request.HasField("seed"):
        if request.seed < 0:
            raise invalid("INVALID_PARAMETER", "seed must be from 0 to 2147483647", field="seed")
        return request.seed
    return secrets.randbelow(2**31)


def _safety_filter(request) -> bool:
    """Seed 004's safetyFilter: on unless the request turns it off."""
    return request.safetyFilter if "safetyFilter" in request.DESCRIPTOR.fields_by_name and request.HasField("safetyFilter") else True


def enhance_prompt(prompt: str, style: str, quality: str) -> str:
    """Seed 004's enhancePrompt: the prompt with its style's and quality's wording, the
    modifiers people add by hand for diffusion models. Deterministic, and shown back."""
    words = [prompt, STYLE_WORDS.get(style, style), QUALITY_WORDS.get(quality, ""), "well composed, sharp focus"]
    return ", ".join(w for w in words if w)


def generation_options(request, steps_default: int = 30) -> jobs_pb2.GenerateOptions:
    """What every generation request shares: prompts, guidance, steps, seed; the prompt
    checked against the content policy unless safetyFilter is false."""
    safety_filter = _safety_filter(request)
    content_policy.check(request.prompt, safety_filter)
    return jobs_pb2.GenerateOptions(
        safety_filter=safety_filter,
        prompt=clean_prompt(request.prompt, minimum=0),
        negative_prompt=clean_prompt(getattr(request, "negativePrompt", ""), "negativePrompt", minimum=0),
        guidance_scale=options.number(str(request.guidanceScale or ""), "guidanceScale", 1, 20, 7.5),
        steps=_integer(request.steps, "steps", 10, env_int("DIFFUSION_MAX_STEPS", 50), steps_default),
        seed=_seed(request),
        num_images=1,
    )


class GenerationEndpoints:
    async def _custom_model(self, caller: Identity, model: str, generate: jobs_pb2.GenerateOptions) -> None:
        """A custom model's UNet and trigger word when `model` names one (seed 004's /models/custom)."""
        from gateway.dialects.fomi.training import apply_custom_model  # it imports this module

        await apply_custom_model(self, caller, model, generate)

    async def _require_diffusion(self) -> None:
        if not await self.removal.ready("diffusion"):
            raise diffusion_unavailable()

    async def _generate(self, context, caller: Identity, generate: jobs_pb2.GenerateOptions, input_key: str = "", wait: bool = False):
        pixels = max(generate.width * generate.height, 1)
        if pixels > env_int("DIFFUSION_MAX_PIXELS", 1920 * 1088):
            raise invalid("IMAGE_TOO_LARGE", f"At most {env_int('DIFFUSION_MAX_PIXELS', 1920 * 1088)} pixels per generated image", field="width")
        job, _ = await self.removal.submit(
            caller, b"", generate, self.v1_max_bytes, stored_key=input_key, wait=wait,
            idempotency_key=rest.idempotency_key(context), image_count=generate.num_images,
            dialect=rest.request_dialect(context).name,
        )
        return job

    def _generation(self, job: jobs_pb2.Job) -> gateway_pb2.Generation:
        generate = job.generate
        generation = gateway_pb2.Generation(
            id=job.id, status=STATUS.get(job.status, "pending"), progress=job.progress, prompt=generate.request_prompt or generate.prompt,
            enhancedPrompt=generate.prompt if generate.enhanced_prompt else "",
            model="stable-diffusion", createdAt=iso_stamp(job.created_at),
            settings=gateway_pb2.GenerationSettings(
                aspectRatio=_aspect(generate.width, generate.height), quality=_quality(generate.width, generate.height),
                guidanceScale=generate.guidance_scale, steps=generate.steps,
                model="stable-diffusion", strength=generate.strength, sampler=generate.sampler or "ddim",
            ),
        )
        for image in [] if job.expired else job.result.images:  # an expired job's files are gone: no links (M3)
            generation.images.append(
                gateway_pb2.GeneratedImage(
                    id=f"{job.id}:{images.generated_number(image.key)}", url=self.signer.url(image.key),
                    thumbnail=self.signer.url(images.thumbnail_key(image.key)), width=image.width, height=image.height,
                    fileSize=image.file_size, seed=image.seed, filtered=image.filtered,
                )
            )
        return with_timing(generation, job)

    async def _accepted(self, context, job: jobs_pb2.Job) -> gateway_pb2.GenerationResponse:
        await rest.set_status(context, 200 if job.status == jobs_pb2.JOB_STATUS_COMPLETED else 202)
        return gateway_pb2.GenerationResponse(success=True, generation=self._generation(job))

    # --- seed 000 ----------------------------------------------------------------

    @rest.endpoint(envelopes.BACKDROP)
    async def GenerateBackground(self, request, context):
        caller = identity.required(context)
        prompt = clean_prompt(request.prompt, minimum=3, maximum=500)
        style = options.choice(request.style or "realistic", STYLES, "style")
        await self._require_diffusion()
        generate = generation_options(request, steps_default=20)
        generate.mode, generate.prompt = "text", f"{prompt}, {style} background"
        generate.width = _integer(request.width, "width", 64, 2048, 1920)
        generate.height = _integer(request.height, "height", 64, 2048, 1080)
        job = await self._generate(context, caller, generate, wait=True)
        if not outcome(job):
            await rest.set_status(context, 202)
            return gateway_pb2.Background(id="", category="custom", tags=["generated", style])
        # Filed among the caller's backgrounds, so replace-background takes it at once.
        background_id = f"bgc_{uuid.uuid4().hex}"
        key = f"backgrounds/custom/{caller.user_id}/{background_id}"
        await self.store.put(key, await self.store.get(job.result.result_key), "image/png")
        await self.store.put(backgrounds.thumbnail_key(key), await self.store.get(images.thumbnail_key(job.result.result_key)), "image/jpeg")
        await rest.set_status(context, 201)
        return self._background(key, background_id, "custom", ["generated", style])

    # --- seed 004 ----------------------------------------------------------------

    @rest.endpoint()  # /v1 and /fomi/v1
    async def GenerateImages(self, request, context):
        caller = identity.required(context)
        generate = generation_options(request)
        aspect = options.choice(request.aspectRatio or "1:1", ASPECT_RATIOS, "aspectRatio")
        quality = options.choice(request.quality or "standard", tuple(QUALITY_SIDE), "quality")
        style = " ".join(request.style.split())[:100]
        if request.enhancePrompt:
            generate.prompt = clean_prompt(enhance_prompt(clean_prompt(request.prompt), style, quality), maximum=MAX_PROMPT + 200)
            generate.enhanced_prompt = True
        else:
            generate.prompt = clean_prompt(request.prompt + (f", {style}" if style else ""))
        generate.request_prompt = clean_prompt(request.prompt)
        generate.mode = "text"
        generate.num_images = _integer(request.numImages, "numImages", 1, 4, 1)
        generate.width, generate.height = _dimensions(aspect, QUALITY_SIDE[quality])
        generate.sampler = options.choice(request.sampler or "ddim", ("ddim", "euler"), "sampler")
        await self._require_diffusion()
        await self._custom_model(caller, request.model, generate)
        return await self._accepted(context, await self._generate(context, caller, generate))

    async def _own_generation(self, context, generation_id: str) -> jobs_pb2.Job:
        caller = identity.required(context)
        try:
            job_id = str(uuid.UUID(generation_id))
        except ValueError:
            raise not_found("NOT_FOUND", "No such generation") from None
        job = await self.jobs.GetJob(jobs_pb2.GetJobRequest(job_id=job_id, owner_id=caller.user_id))
        if job.WhichOneof("operation") != "generate" or job.generate.mode.startswith("video"):  # videos: /fomi/v1/videos/generate
            raise not_found("NOT_FOUND", "No such generation")
        return job

    @rest.endpoint()  # /v1 and /fomi/v1
    async def GetGeneration(self, request, context):
        job = await self._own_generation(context, request.id)
        return gateway_pb2.GenerationResponse(success=job.status != jobs_pb2.JOB_STATUS_FAILED, generation=self._generation(job))

    @rest.endpoint()  # /v1 and /fomi/v1
    async def CancelGeneration(self, request, context):
        job = await self._own_generation(context, request.id)
        cancelled = await self.jobs.CancelJob(jobs_pb2.CancelJobRequest(job_id=job.id, owner_id=job.owner_id))
        return gateway_pb2.GenerationResponse(success=True, generation=self._generation(cancelled))

    @rest.endpoint()  # /v1 and /fomi/v1
    async def GetGenerationProgress(self, request, context):
        job = await self._own_generation(context, request.id)
        status = STATUS.get(job.status, "pending")
        return gateway_pb2.GenerationProgress(success=status != "failed", progress=job.progress, status=status, message=progress_message(job))

    @rest.endpoint()  # /v1 and /fomi/v1
    async def CreateVariations(self, request, context):
        caller = identity.required(context)
        generate = generation_options(request)
        generate.mode = "variation"
        generate.strength = options.number(str(request.strength or ""), "strength", 0.1, 1, 0.7)
        generate.num_images = _integer(request.numVariations, "numVariations", 1, 4, 1)
        input_key = await self._diffusion_input(caller, request.imageId, generate)
        await self._custom_model(caller, request.model, generate)
        return await self._accepted(context, await self._generate(context, caller, generate, input_key))

    @rest.endpoint()  # /v1 and /fomi/v1
    async def EditImage(self, request, context):
        """Image-to-image toward a prompt: the variation path with the prompt required."""
        caller = identity.required(context)
        if not request.prompt.strip():
            raise invalid("INVALID_PARAMETER", "prompt is required: say what the edited image should show", field="prompt")
        generate = generation_options(request)
        generate.mode = "variation"
        generate.strength = options.number(str(request.strength or ""), "strength", 0.1, 1, 0.8)
        input_key = await self._diffusion_input(caller, request.originalImageId, generate, field="originalImageId")
        await self._custom_model(caller, request.model, generate)
        return await self._accepted(context, await self._generate(context, caller, generate, input_key))

    async def _diffusion_input(
        self, caller: Identity, image_id: str, generate: jobs_pb2.GenerateOptions, grow: tuple[int, int] = (0, 0), field: str = "imageId"
    ) -> str:
        """The input image's key, after checking diffusion is installed and the result's size is bounded."""
        await self._require_diffusion()
        key = await self.image_key(caller, image_id, field)
        info = images.inspect(await self.store.get(key))
        generate.width, generate.height = info.width + grow[0], info.height + grow[1]
        return key

    @rest.endpoint()  # /v1 and /fomi/v1
    async def Inpaint(self, request, context):
        caller = identity.required(context)
        generate = generation_options(request)
        generate.mode = "inpaint"
        generate.mask_blur = request.maskBlur if request.HasField("maskBlur") else 4
        if not 0 <= generate.mask_blur <= 64:
            raise invalid("INVALID_PARAMETER", "maskBlur must be from 0 to 64 pixels", field="maskBlur")
        generate.inpaint_area = options.choice(request.inpaintArea or "whole", INPAINT_AREAS, "inpaintArea")
        input_key = await self._diffusion_input(caller, request.imageId, generate)
        generate.mask_key = await self._mask(caller, request)
        await self._custom_model(caller, request.model, generate)
        job = await self._generate(context, caller, generate, input_key)
        await rest.set_status(context, 200 if job.status == jobs_pb2.JOB_STATUS_COMPLETED else 202)
        return gateway_pb2.InpaintingResponse(success=True, inpainting=self._inpainting(job, request.imageId))

    async def _mask(self, caller: Identity, request) -> str:
        if bool(request.mask) == bool(request.maskImageId):
            raise invalid("INVALID_PARAMETER", "Send either mask (a base64 PNG or JPEG) or maskImageId", field="mask")
        return await self.image_key(caller, request.maskImageId or request.mask, "maskImageId" if request.maskImageId else "mask")

    def _inpainting(self, job: jobs_pb2.Job, image_id: str) -> gateway_pb2.InpaintingResult:
        generation = self._generation(job)
        result = gateway_pb2.InpaintingResult(
            id=job.id, status=generation.status, prompt=job.generate.prompt, settings=generation.settings,
            createdAt=generation.createdAt, progress=job.progress,
            originalImage=gateway_pb2.InpaintingResult.Original(id=image_id, url=self.signer.url(job.input_key)),
            mask=gateway_pb2.InpaintingResult.Mask(url=self.signer.url(job.generate.mask_key)),
        )
        # The first image's key is known before it exists (services/inference/generation.py names it).
        key = job.result.images[0].key if generation.images else f"results/{job.id}/image-1.png"
        result.result.CopyFrom(
            gateway_pb2.InpaintingResult.Result(
                id=f"{job.id}:{images.generated_number(key)}", url=self.signer.url(key), thumbnail=self.signer.url(images.thumbnail_key(key))
            )
        )
        result.completedAt.CopyFrom(generation.completedAt)
        return result

    @rest.endpoint()  # /v1 and /fomi/v1
    async def Outpaint(self, request, context):
        caller = identity.required(context)
        generate = generation_options(request)
        generate.mode = "outpaint"
        generate.direction = options.choice(request.direction, DIRECTIONS, "direction") or "right"
        generate.pixels = _integer(request.pixels, "pixels", 8, 1024, 256)
        generate.mask_blur = 8
        wide = generate.direction in ("left", "right")
        grow = (generate.pixels, 0) if wide else (0, generate.pixels)
        input_key = await self._diffusion_input(caller, request.imageId, generate, grow)
        await self._custom_model(caller, request.model, generate)
        return await self._accepted(context, await self._generate(context, caller, generate, input_key))


def _dimensions(aspect: str, side: int) -> tuple[int, int]:
    w, h = (int(part) for part in aspect.split(":"))
    scale = side / (w * h) ** 0.5
    return max(64, round(w * scale / 64) * 64), max(64, round(h * scale / 64) * 64)


def _aspect(width: int, height: int) -> str:
    if not width or not height:
        return ""
    return min(ASPECT_RATIOS, key=lambda a: abs(int(a.split(":")[0]) / int(a.split(":")[1]) - width / height))


def _quality(width: int, height: int) -> str:
    """The seed 004 quality whose side is nearest this size."""
    side = (width * height) ** 0.5
    return min(QUALITY_SIDE, key=lambda name: abs(QUALITY_SIDE[name] - side)) if side else ""


def progress_message(job: jobs_pb2.Job) -> str:
    """What a generation is doing, in words (GET …/progress and seed 004's WebSocket)."""
    status = STATUS.get(job.status, "pending")
    if status == "failed":
        return job.error_message or "Generation failed"
    return {"pending": "Waiting for a worker", "completed": "Done"}.get(status, job.progress_message or "Starting")


def with_timing(generation, job: jobs_pb2.Job, steps: int = 0):
    """Seed 004's `completedAt` (null until done), `error` and `estimatedCompletion` of an image or
    video generation; `steps` as for estimated_completion."""
    generation.completedAt.null_value = struct_pb2.NULL_VALUE
    if job.status == jobs_pb2.JOB_STATUS_COMPLETED:
        generation.completedAt.string_value = iso_stamp(job.finished_at)
    elif job.status == jobs_pb2.JOB_STATUS_FAILED:
        generation.error = job.error_message or job.error_code
    if job.status in (jobs_pb2.JOB_STATUS_COMPLETED, jobs_pb2.JOB_STATUS_FAILED):
        generation.estimatedCompletion = iso_stamp(job.finished_at)
    else:
        generation.estimatedCompletion = iso(estimated_completion(job, steps))
    return generation


def estimated_completion(job: jobs_pb2.Job, steps: int = 0):
    """When a running generation should be done: its pace so far, or before its first step
    the steps it asked for (`steps` UNet calls in all, when the caller knows better: a video)
    at DIFFUSION_STEP_ESTIMATE_S a step (CPU: seconds; GPU: far less)."""
    created = job.created_at.ToDatetime(tzinfo=dt.timezone.utc)
    now = dt.datetime.now(dt.timezone.utc)
    if job.progress > 0:
        elapsed = (now - created).total_seconds()
        return (now + dt.timedelta(seconds=elapsed * (100 - job.progress) / job.progress)).replace(microsecond=0)
    steps = steps or max(1, job.generate.steps) * max(1, job.generate.num_images)
    return max(now, created + dt.timedelta(seconds=steps * env_float("DIFFUSION_STEP_ESTIMATE_S", 1.0))).replace(microsecond=0)
