"""Seed 004's canvas drawing API (FOMI): the code of protos/backdrop/fomi/v1/canvas.proto.

The gateway turns the layers' base64 into bytes (bounded by the upload limit)
and hands them to the orchestrator's CanvasService, which checks, composites and
keeps the canvas (services/orchestrator/canvas.py); replies carry signed links
and each layer's image back as a data: URL. An AI assist is an inpainting job
like POST /images/inpaint (gateway/generation.py: charged, refunded if it fails)
of the area's crop of the composite; its result becomes the top layer "AI assist".
"""

from __future__ import annotations

import base64
import hashlib

import grpc

from backdrop.fomi.v1 import canvas_pb2, canvas_pb2_grpc
from backdrop.jobs.v1 import canvas_pb2 as store_pb2
from gateway import options, rest
from gateway.generation import clean_prompt, generation_options
from gateway.process import AMBIGUOUS, outcome
from services.runtime import envelopes, identity, images
from services.runtime.errors import ServiceError, invalid

FOMI = envelopes.FOMI
STYLES = ("sketch", "painting", "digital")
# Seed 004's model name for it, and the pipeline it runs on.
MODELS = ("canvas-ai-model", "stable-diffusion")


class FomiCanvas(canvas_pb2_grpc.FomiCanvasServicer):
    def __init__(self, gateway):
        # The GatewayServicer: the object store, the URL signer, the generation flow.
        self.gateway = gateway
        self.canvases = gateway.canvases

    # --- requests ---

    def _image(self, text: str, label: str) -> bytes:
        return self.gateway.decode_base64(text.strip(), label)

    def _layers(self, layers, canvas_data: str) -> list[store_pb2.CanvasLayer]:
        """The layers as the orchestrator takes them: images as bytes, visible and opacity defaulted.
        Without layers canvasData is the one layer; with them it is only checked."""
        if not layers:
            if not canvas_data:
                return []
            return [store_pb2.CanvasLayer(id="canvas", name="Canvas", visible=True, opacity=1.0,
                                          data=self._image(canvas_data, "canvasData"))]
        if canvas_data:
            try:
                images.inspect(self._image(canvas_data, "canvasData"))
            except ServiceError as error:
                raise invalid(error.reason, f"canvasData: {error.message}", field="canvasData") from None
        return [
            store_pb2.CanvasLayer(
                id=layer.id, name=layer.name,
                visible=layer.visible if layer.HasField("visible") else True,
                opacity=layer.opacity if layer.HasField("opacity") else 1.0,
                data=self._image(layer.data, f"Layer layers[{index}] ({layer.id!r}) data") if layer.data.strip() else b"",
            )
            for index, layer in enumerate(layers)
        ]

    @staticmethod
    def _settings(settings: canvas_pb2.CanvasSettings) -> store_pb2.CanvasSettings:
        return store_pb2.CanvasSettings(width=settings.width, height=settings.height, background_color=settings.backgroundColor)

    # --- replies ---

    async def _canvas(self, canvas: store_pb2.Canvas) -> canvas_pb2.Canvas:
        sign = self.gateway.signer.url
        layers = []
        for layer in canvas.layers:
            data = base64.b64encode(await self.gateway.store.get(layer.key)).decode()
            layers.append(canvas_pb2.CanvasLayer(
                id=layer.id, name=layer.name, data=f"data:{layer.content_type};base64,{data}", visible=layer.visible,
                opacity=layer.opacity, url=sign(layer.key),
            ))
        settings = canvas.settings
        return canvas_pb2.Canvas(
            id=canvas.id, name=canvas.name, url=sign(canvas.image_key), thumbnail=sign(canvas.thumbnail_key), layers=layers,
            settings=canvas_pb2.CanvasSettings(width=settings.width, height=settings.height, backgroundColor=settings.background_color),
            tags=canvas.tags, isPublic=canvas.is_public, createdAt=canvas.created_at, updatedAt=canvas.updated_at,
        )

    async def _answer(self, canvas: store_pb2.Canvas) -> canvas_pb2.CanvasResponse:
        return canvas_pb2.CanvasResponse(success=True, canvas=await self._canvas(canvas))

    # --- RPCs ---

    @rest.endpoint(FOMI)
    async def SaveCanvas(self, request, context):
        caller = identity.required(context)
        saved = await self.canvases.SaveCanvas(store_pb2.SaveCanvasRequest(
            owner_id=caller.user_id, name=request.name, layers=self._layers(request.layers, request.canvasData),
            settings=self._settings(request.settings), tags=request.tags, is_public=request.isPublic,
        ))
        await rest.set_status(context, 201)
        return await self._answer(saved)

    @rest.endpoint(FOMI)
    async def GetCanvas(self, request, context):
        caller = identity.required(context)
        return await self._answer(
            await self.canvases.GetCanvas(store_pb2.GetCanvasRequest(owner_id=caller.user_id, canvas_id=request.canvas_id))
        )

    @rest.endpoint(FOMI)
    async def UpdateCanvas(self, request, context):
        caller = identity.required(context)
        update = store_pb2.UpdateCanvasRequest(owner_id=caller.user_id, canvas_id=request.canvas_id)
        if request.HasField("name"):
            update.name = request.name
        if request.layers or request.canvasData:
            update.replace_layers = True
            update.layers.extend(self._layers(request.layers, request.canvasData))
        if request.HasField("settings"):
            update.settings.CopyFrom(self._settings(request.settings))
        if request.HasField("tags"):
            if any(value.WhichOneof("kind") != "string_value" for value in request.tags.values):
                raise invalid("INVALID_PARAMETER", "tags must be a list of strings", field="tags")
            update.replace_tags = True
            update.tags.extend(value.string_value for value in request.tags.values)
        if request.HasField("isPublic"):
            update.is_public = request.isPublic
        return await self._answer(await self.canvases.UpdateCanvas(update))

    @rest.endpoint(FOMI)
    async def DeleteCanvas(self, request, context):
        caller = identity.required(context)
        await self.canvases.DeleteCanvas(store_pb2.DeleteCanvasRequest(owner_id=caller.user_id, canvas_id=request.canvas_id))
        return canvas_pb2.DeleteCanvasResponse(success=True, message="Canvas deleted")

    @rest.endpoint(FOMI)
    async def AiAssist(self, request, context):
        """Inpaints the area of the composite (the style appended to the prompt), waits for the job
        (bounded, as the other generation endpoints do) and answers the canvas with the new layer;
        a job still running then is applied by a later GET (202 meanwhile)."""
        caller = identity.required(context)
        if not request.HasField("area"):
            raise invalid("INVALID_PARAMETER", "area {x, y, width, height} is required", field="area")
        style = options.choice(request.style or "digital", STYLES, "style")
        if (request.model.strip() or MODELS[0]) not in MODELS:
            raise invalid("INVALID_PARAMETER", f"model must be one of {', '.join(MODELS)}", field="model")
        generate = generation_options(request)
        generate.prompt = f"{clean_prompt(request.prompt)}, {style} style"
        generate.mode, generate.mask_blur = "inpaint", 0
        await self.gateway._require_diffusion()
        area = store_pb2.CanvasArea(x=request.area.x, y=request.area.y, width=request.area.width, height=request.area.height)
        key = rest.idempotency_key(context)  # a retry prepares the same input, so its job is found again
        token = hashlib.sha256(f"{caller.user_id}:{key}".encode()).hexdigest() if key else ""
        prepared = await self.canvases.PrepareAssist(
            store_pb2.PrepareAssistRequest(owner_id=caller.user_id, canvas_id=request.canvasId, area=area, token=token)
        )
        generate.mask_key, generate.width, generate.height = prepared.mask_key, prepared.crop.width, prepared.crop.height
        try:
            job = await self.gateway._generate(context, caller, generate, prepared.input_key, wait=True)
        except (ServiceError, grpc.aio.AioRpcError) as refused:
            # Refused, so never queued (credits, limits, size): its input goes. After an ambiguous
            # failure the job may be running: its input stays (deleted with the canvas).
            if not isinstance(refused, grpc.aio.AioRpcError) or refused.code() not in AMBIGUOUS:
                await self.canvases.DiscardAssist(
                    store_pb2.DiscardAssistRequest(owner_id=caller.user_id, canvas_id=request.canvasId, input=prepared)
                )
            raise
        canvas = await self.canvases.AttachAssist(store_pb2.AttachAssistRequest(
            owner_id=caller.user_id, canvas_id=request.canvasId,
            assist=store_pb2.PendingAssist(job_id=job.id, area=area, crop=prepared.crop, input_key=prepared.input_key),
        ))
        outcome(job)  # a failed job's error (its credits came back)
        layer_id = next((layer.id for layer in canvas.layers if layer.job_id == job.id), "")
        await rest.set_status(context, 200 if layer_id else 202)
        return canvas_pb2.AiAssistResponse(
            success=True, canvas=await self._canvas(canvas),
            assist=canvas_pb2.AiAssist(id=job.id, status="completed" if layer_id else "processing", layerId=layer_id),
        )
