"""Images, backgrounds and enhancement: seed 000's replace-background and
backgrounds library, seed 004's (FOMI) enhance endpoints, and image uploads.

An image id is either an uploaded image ("img_…", POST /v1/images) or a
finished job's id (its result). Both are the caller's own: another user's id
is not found. Every operation is a job, charged like the others.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import math
import re
import uuid

import grpc
from google.api import httpbody_pb2

from backdrop.gateway.v1 import gateway_pb2
from backdrop.jobs.v1 import jobs_pb2
from gateway import backgrounds, multipart, options, rest
from gateway.process import outcome
from services.runtime import envelopes, identity, images, netguard
from services.runtime.clock import iso_stamp
from services.runtime.config import env_int
from services.runtime.errors import ServiceError, file_too_large, invalid, not_found
from services.runtime.identity import Identity
from services.runtime.objectstore import ObjectNotFound

IMAGE_ID = re.compile(r"^img_[0-9a-f]{32}$")
CUSTOM_ID = re.compile(r"^bgc_[0-9a-f]{32}$")
# Longer than any id, and only base64 characters: the image itself.
MAX_ID = 80
BASE64 = re.compile(r"^[A-Za-z0-9+/=\s]+$")
ENHANCEMENTS = ("denoise", "sharpen", "color-correct", "all")
UPSCALE_QUALITIES = ("standard", "high", "ultra")
ACTIONS = ("remove", "replace", "blur")


def _status(job: jobs_pb2.Job) -> str:
    return {jobs_pb2.JOB_STATUS_COMPLETED: "completed", jobs_pb2.JOB_STATUS_FAILED: "failed"}.get(job.status, "processing")


class ImagingEndpoints:
    # --- image references -------------------------------------------------------

    async def _upload_or_url(self, request: httpbody_pb2.HttpBody) -> tuple[bytes, dict]:
        """The image of a multipart request: its `file` part, or fetched from `image_url`."""
        fields = await multipart.parse_async(request.data, request.content_type)
        upload = fields.get("file")
        if upload and upload[0].data:
            data = upload[0].data
        else:
            url = fields["image_url"][0].text.strip() if fields.get("image_url") else ""
            if not url:
                raise invalid("NO_FILE", "No image provided: send the multipart field 'file' or 'image_url'", field="file")
            data = await netguard.fetch_async(url, self.v1_max_bytes)
        if len(data) > self.v1_max_bytes:
            raise file_too_large(self.v1_max_bytes)
        return data, fields

    async def image_key(self, caller: Identity, image_id: str, field: str = "image_id") -> str:
        """The object key of an image the caller names: an uploaded image ("img_…"), a
        finished job (its result), one image of a generation ("<job id>:<n>", as
        seed 004's responses name them), or the image itself as base64 (a data: URL or
        bare; seed 004 allows it where an imageId goes), stored as the caller's upload.
        Anything of another user's is not found (404 IMAGE_NOT_FOUND)."""
        image_id = image_id.strip()
        if IMAGE_ID.match(image_id):
            key = f"images/{caller.user_id}/{image_id}"
            try:
                await self.store.content_type(key)
            except ObjectNotFound:
                raise not_found("IMAGE_NOT_FOUND", f"{field}: no such image") from None
            return key
        if image_id.startswith("data:") or (len(image_id) > MAX_ID and BASE64.match(image_id)):
            key = f"images/{caller.user_id}/img_{uuid.uuid4().hex}"
            await self._store_image(key, self.decode_base64(image_id, field))
            return key
        job_id, _, number = image_id.partition(":")
        try:
            job_id = str(uuid.UUID(job_id))
        except ValueError:
            raise invalid(
                "INVALID_PARAMETER", f"{field} must be an image id (img_…), a job or generated image id, or base64 image data",
                field=field,
            ) from None
        try:
            job = await self.jobs.GetJob(jobs_pb2.GetJobRequest(job_id=job_id, owner_id=caller.user_id))
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:
                raise not_found("IMAGE_NOT_FOUND", f"{field}: no such image") from None
            raise
        if job.expired:
            raise ServiceError(grpc.StatusCode.NOT_FOUND, "EXPIRED", f"{field}: the image has expired and was deleted", http_status=410)
        if job.status != jobs_pb2.JOB_STATUS_COMPLETED:
            raise ServiceError(
                grpc.StatusCode.FAILED_PRECONDITION, "JOB_NOT_COMPLETED", f"{field}: that job has no result yet", http_status=409
            )
        if not number:
            return job.result.result_key
        for image in job.result.images:
            if images.generated_number(image.key) == number:
                return image.key
        raise not_found("IMAGE_NOT_FOUND", f"{field}: that generation has no image {number}")

    def decode_base64(self, text: str, field: str) -> bytes:
        """Image bytes sent as base64 in JSON, bounded by the upload limit before decoding."""
        payload = text.split(",", 1)[1] if text.startswith("data:") else text
        if len(payload) * 3 // 4 > self.v1_max_bytes:
            raise file_too_large(self.v1_max_bytes)
        try:
            return base64.b64decode("".join(payload.split()), validate=True)
        except (binascii.Error, ValueError):
            raise invalid("INVALID_PARAMETER", f"{field} is not valid base64 image data", field=field) from None

    async def background_key(self, caller: Identity, background_id: str) -> str:
        background_id = background_id.strip()
        if background_id in backgrounds.BY_ID:
            await self.library.ready()
            return backgrounds.library_key(background_id)
        if CUSTOM_ID.match(background_id):
            key = f"backgrounds/custom/{caller.user_id}/{background_id}"
            try:
                await self.store.content_type(key)
                return key
            except ObjectNotFound:
                pass
        if IMAGE_ID.match(background_id):  # an uploaded image serves as a background too
            return await self.image_key(caller, background_id, "background_id")
        raise not_found("BACKGROUND_NOT_FOUND", "background_id: no such background; see GET /v1/backgrounds")

    async def _store_image(self, key: str, data: bytes) -> images.ImageInfo:
        info = images.inspect(data)
        await self.store.put(key, data, info.content_type)
        return info

    # --- uploads -----------------------------------------------------------------

    @rest.endpoint(envelopes.BACKDROP)
    async def UploadImage(self, request, context):
        caller = identity.required(context)
        data, _ = await self._upload_or_url(request)
        image_id = f"img_{uuid.uuid4().hex}"
        info = await self._store_image(f"images/{caller.user_id}/{image_id}", data)
        await rest.set_status(context, 201)
        return gateway_pb2.UploadedImage(
            id=image_id, url=self.signer.url(f"images/{caller.user_id}/{image_id}"), width=info.width, height=info.height,
            format=info.format,
        )

    # --- seed 000 ----------------------------------------------------------------

    @rest.endpoint(envelopes.BACKDROP)
    async def ReplaceBackground(self, request, context):
        caller = identity.required(context)
        if not request.image_id:
            raise invalid("INVALID_PARAMETER", "image_id is required", field="image_id")
        if bool(request.background_id) == bool(request.bg_color):
            raise invalid("INVALID_PARAMETER", "Send either background_id or bg_color", field="background_id")
        removal = jobs_pb2.RemoveBackgroundOptions(
            blend_mode=options.choice(request.blend_mode, options.BLEND_MODES, "blend_mode"),
            bg_color=options.colour(request.bg_color, "bg_color"),
            output_format=options.output_format(request.output_format),
            output_quality=round(options.number(str(request.output_quality or ""), "output_quality", 1, 100, 0)),
            edge_refinement=50,
        )
        input_key = await self.image_key(caller, request.image_id)
        if request.background_id:
            removal.background_key = await self.background_key(caller, request.background_id)
        job, charge = await self.removal.submit(
            caller, b"", removal, self.v1_max_bytes, stored_key=input_key, idempotency_key=rest.idempotency_key(context)
        )
        return await self._processing_result(context, job, charge)

    @rest.endpoint(envelopes.BACKDROP)
    async def ListBackgrounds(self, request, context):
        caller = identity.required(context)
        category = options.choice(request.category, backgrounds.CATEGORIES, "category")
        page = request.page or 1
        limit = request.limit or 20
        if page < 1 or not 1 <= limit <= 100:
            raise invalid("INVALID_PARAMETER", "page must be >= 1 and limit from 1 to 100", field="limit")
        await self.library.ready()
        items = [
            self._background(backgrounds.library_key(e.id), e.id, e.category, list(e.tags))
            for e in backgrounds.LIBRARY
            if category in ("", e.category)
        ]
        if category in ("", "custom"):
            for key in await self.store.list(f"backgrounds/custom/{caller.user_id}/"):
                if not key.endswith(".thumb.jpg"):
                    items.append(self._background(key, key.rsplit("/", 1)[-1], "custom", ["custom"]))
        total = len(items)
        return gateway_pb2.ListBackgroundsResponse(
            items=items[(page - 1) * limit : page * limit], total=total, page=page, pages=max(1, math.ceil(total / limit))
        )

    def _background(self, key: str, background_id: str, category: str, tags: list[str]) -> gateway_pb2.Background:
        return gateway_pb2.Background(
            id=background_id, url=self.signer.url(key), thumbnail=self.signer.url(backgrounds.thumbnail_key(key)),
            category=category, tags=tags,
        )

    @rest.endpoint(envelopes.BACKDROP)
    async def CreateBackground(self, request, context):
        caller = identity.required(context)
        data, _ = await self._upload_or_url(request)
        background_id = f"bgc_{uuid.uuid4().hex}"
        key = f"backgrounds/custom/{caller.user_id}/{background_id}"
        if len(await self.store.list(f"backgrounds/custom/{caller.user_id}/")) >= 2 * env_int("MAX_CUSTOM_BACKGROUNDS", 100):
            raise invalid("TOO_MANY_BACKGROUNDS", "At most MAX_CUSTOM_BACKGROUNDS custom backgrounds per account")
        info = images.inspect(data)
        image = await asyncio.to_thread(images.decode_rgb, data, True)
        await self.store.put(backgrounds.thumbnail_key(key), await asyncio.to_thread(images.thumbnail, image), "image/jpeg")
        await self.store.put(key, data, info.content_type)
        await rest.set_status(context, 201)
        return self._background(key, background_id, "custom", ["custom"])

    # --- seed 004 (FOMI) -------------------------------------------------------------

    async def _enhancement(self, context, caller: Identity, image_id: str, job: jobs_pb2.Job) -> gateway_pb2.EnhancementResponse:
        done = outcome(job)
        if not done:
            await rest.set_status(context, 202)
        return gateway_pb2.EnhancementResponse(success=True, enhancement=self._describe(job, image_id))

    def _describe(self, job: jobs_pb2.Job, image_id: str = "") -> gateway_pb2.Enhancement:
        operation = job.WhichOneof("operation")
        settings = gateway_pb2.EnhancementSettings()
        scale = 1
        if operation == "upscale":
            scale = job.upscale.scale
            settings.scale, settings.quality = scale, job.upscale.quality or "high"
            settings.model = job.result.model or job.upscale.model
        elif operation == "enhance":
            settings.enhancementType, settings.strength = job.enhance.enhancement, job.enhance.strength
        else:
            rb = job.remove_background
            settings.action = "blur" if rb.blur_strength else "replace" if (rb.background_key or rb.bg_color) else "remove"
        enhancement = gateway_pb2.Enhancement(
            id=job.id, status=_status(job), settings=settings, createdAt=iso_stamp(job.created_at),
            originalImage=gateway_pb2.EnhancementImage(id=image_id or job.input_key.rsplit("/", 1)[-1], url=self.signer.url(job.input_key)),
        )
        if job.status == jobs_pb2.JOB_STATUS_COMPLETED:
            result = job.result
            enhancement.originalImage.width, enhancement.originalImage.height = result.width // scale, result.height // scale
            enhancement.enhancedImage.CopyFrom(
                gateway_pb2.EnhancementImage(id=job.id, url=self.signer.url(result.result_key), width=result.width, height=result.height)
            )
            enhancement.completedAt = iso_stamp(job.finished_at)
        elif job.status == jobs_pb2.JOB_STATUS_FAILED:
            enhancement.error = job.error_message or job.error_code
        return enhancement

    async def _submit_enhancement(
        self, context, caller: Identity, image_id: str, job_options, input_key: str = "", output_pixels: int = 0
    ) -> gateway_pb2.EnhancementResponse:
        input_key = input_key or await self.image_key(caller, image_id, "imageId")
        job, _ = await self.removal.submit(
            caller, b"", job_options, self.v1_max_bytes, stored_key=input_key, idempotency_key=rest.idempotency_key(context),
            output_pixels=output_pixels,
        )
        response = await self._enhancement(context, caller, image_id, job)
        if job.status == jobs_pb2.JOB_STATUS_COMPLETED:
            response.enhancement.enhancedImage.fileSize = len(await self.store.get(job.result.result_key))
        return response

    @rest.endpoint()  # /v1 and /fomi/v1
    async def EnhanceBackground(self, request, context):
        caller = identity.required(context)
        action = options.choice(request.action or "remove", ACTIONS, "action")
        removal = jobs_pb2.RemoveBackgroundOptions(edge_refinement=50)
        if action == "blur":
            removal.blur_strength = options.number(str(request.blurStrength) if request.blurStrength else "", "blurStrength", 0.01, 1, 0.5)
            removal.blur_style = options.choice(request.blurStyle, options.BLUR_STYLES, "blurStyle")
        elif action == "replace":
            if bool(request.replacementBackground) == bool(request.backgroundColor):
                raise invalid("INVALID_PARAMETER", "replace needs replacementBackground or backgroundColor", field="replacementBackground")
            removal.bg_color = options.colour(request.backgroundColor, "backgroundColor")
            if request.replacementBackground:
                removal.background_key = await self._replacement(caller, request.replacementBackground)
        return await self._submit_enhancement(context, caller, request.imageId, removal)

    async def _replacement(self, caller: Identity, reference: str) -> str:
        """replacementBackground: an http(s) URL (fetched through the SSRF guard), a background id or an image id."""
        if reference.startswith(("http://", "https://")):
            data = await netguard.fetch_async(reference, self.v1_max_bytes, "replacementBackground")
            key = f"images/{caller.user_id}/img_{uuid.uuid4().hex}"
            await self._store_image(key, data)
            return key
        if reference in backgrounds.BY_ID or CUSTOM_ID.match(reference):
            return await self.background_key(caller, reference)
        return await self.image_key(caller, reference, "replacementBackground")

    @rest.endpoint()  # /v1 and /fomi/v1
    async def EnhanceQuality(self, request, context):
        caller = identity.required(context)
        enhancement = options.choice(request.enhancementType or "all", ENHANCEMENTS, "enhancementType")
        strength = options.number(str(request.strength) if request.strength else "", "strength", 0.1, 1, 0.5)
        return await self._submit_enhancement(context, caller, request.imageId, jobs_pb2.EnhanceOptions(enhancement=enhancement, strength=strength))

    @rest.endpoint()  # /v1 and /fomi/v1
    async def Upscale(self, request, context):
        caller = identity.required(context)
        scale = request.scale or 2
        if scale not in (2, 4):
            raise invalid("INVALID_PARAMETER", "scale must be 2 or 4", field="scale")
        if request.faceEnhancement or request.backgroundEnhancement:
            raise invalid("UNSUPPORTED_OPTION", "faceEnhancement and backgroundEnhancement are not supported", field="faceEnhancement")
        quality = options.choice(request.quality, UPSCALE_QUALITIES, "quality")
        input_key = await self.image_key(caller, request.imageId, "imageId")
        model = request.model.strip().lower()
        # A named model works at its own factor (a 4x model for scale 2 is resized down after), so
        # that factor bounds the result and prices it (M10).
        work_scale = max(scale, await self.removal.model_scale(model)) if model else scale
        # Refused before any charge: a result above UPSCALE_MAX_OUTPUT_PIXELS.
        info = images.inspect(await self.store.get(input_key))
        if info.width * info.height * work_scale * work_scale > images.upscale_limit():
            raise images.upscale_too_large(info.width, info.height, work_scale)
        upscale = jobs_pb2.UpscaleOptions(scale=scale, model=model, quality=quality)
        return await self._submit_enhancement(
            context, caller, request.imageId, upscale, input_key, output_pixels=info.width * info.height * work_scale * work_scale
        )

    @rest.endpoint()  # /v1 and /fomi/v1
    async def GetEnhancement(self, request, context):
        caller = identity.required(context)
        try:
            job_id = str(uuid.UUID(request.id))
        except ValueError:
            raise not_found("NOT_FOUND", "No such enhancement") from None
        job = await self.jobs.GetJob(jobs_pb2.GetJobRequest(job_id=job_id, owner_id=caller.user_id))
        enhancement = self._describe(job)
        return gateway_pb2.EnhancementResponse(success=job.status != jobs_pb2.JOB_STATUS_FAILED, enhancement=enhancement)
