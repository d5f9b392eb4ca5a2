"""Seed 004's canvases: a user's layered drawings (protos/backdrop/jobs/v1/canvas.proto).

The orchestrator keeps them because it owns state: one row per canvas (its layers
and pending AI assists as JSON), the layer images, the composite PNG and its
thumbnail in the object store under canvases/{id}/ (outside every prefix
retention deletes). Compositing is CPU work of bounded size done here, in a
thread, CANVAS_RENDERS at a time: the layers are checked from their headers
before any is decoded (format, size within the canvas, CANVAS_MAX_PIXELS per
canvas and CANVAS_MAX_LAYER_PIXELS over all layers, MAX_LAYERS), then decoded
one at a time and composited in row stripes (services/inference/pipeline/compose:
Porter-Duff "over", premultiplied, linear light), so memory is about three
canvases whatever the number of layers.

Files are written under new keys before the row points at them and the old ones
are deleted after the commit: a failure leaves at most unreferenced files, never
a row without its files. Each canvas is filed in the gallery (gallery.publish on
save and update, withdraw on delete), in the same transaction as the row.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import datetime as dt
import io
import uuid
from collections.abc import Sequence

import grpc
import numpy as np
import sqlalchemy as sa
from PIL import Image
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncEngine

from backdrop.jobs.v1 import canvas_pb2, canvas_pb2_grpc, jobs_pb2
from services.inference.pipeline import compose, filters
from services.orchestrator import gallery
from services.orchestrator.store import TZ, UUID, JobStore, Tables
from services.runtime import images
from services.runtime.clock import iso
from services.runtime.colour import parse_colour
from services.runtime.config import env_int
from services.runtime.db import column, record
from services.runtime.errors import ServiceError, invalid, not_found, rpc_errors
from services.runtime.objectstore import ObjectNotFound, ObjectStore, delete_prefix

MAX_LAYERS = 16
MAX_NAME, MAX_LAYER_ID = 200, 100
# At most this many AI assists of one canvas may run at once.
MAX_PENDING = 4
# Pixels of the canvas around an AI assist's area that the inpainting sees.
ASSIST_CONTEXT = 32
ASSIST_LAYER = "AI assist"
RUNNING = (jobs_pb2.JOB_STATUS_QUEUED, jobs_pb2.JOB_STATUS_PROCESSING)


def _limits() -> tuple[int, int, int]:
    """(longest side, pixels of the canvas, decoded pixels of all its layers together)."""
    pixels = env_int("CANVAS_MAX_PIXELS", 4096 * 4096)
    return env_int("CANVAS_MAX_SIDE", 4096), pixels, env_int("CANVAS_MAX_LAYER_PIXELS", 4 * pixels)


class CanvasRow(Tables, table=True):
    __tablename__ = "canvases"
    id: str = column(sa.Text, primary_key=True)
    owner_id: str = column(UUID, nullable=False)
    name: str = column(sa.Text, nullable=False)
    width: int = column(sa.Integer, nullable=False)
    height: int = column(sa.Integer, nullable=False)
    background_color: str = column(sa.Text, nullable=False)
    # [{id, name, visible, opacity, key, content_type, width, height[, job_id]}], bottom first.
    layers: list = column(postgresql.JSONB, nullable=False)
    tags: list = column(postgresql.ARRAY(sa.Text), nullable=False, server_default="{}")
    is_public: bool = column(sa.Boolean, nullable=False, server_default=sa.false())
    image_key: str = column(sa.Text, nullable=False)
    thumbnail_key: str = column(sa.Text, nullable=False)
    # [{job_id, area: [x, y, w, h], crop: [x, y, w, h]}]: AI assists whose job had not finished.
    pending: list = column(postgresql.JSONB, nullable=False, server_default="[]")
    created_at: dt.datetime = column(TZ, nullable=False, server_default=sa.func.now())
    updated_at: dt.datetime = column(TZ, nullable=False, server_default=sa.func.now())


canvases = CanvasRow.__table__


# --- checks -------------------------------------------------------------------------


def _text(value: str, field: str, most: int, required: bool = False) -> str:
    value = " ".join(value.split())
    if required and not value:
        raise invalid("INVALID_PARAMETER", f"{field} is required", field=field)
    if len(value) > most:
        raise invalid("INVALID_PARAMETER", f"{field} is longer than {most} characters", field=field)
    return value


def check_tags(tags: Sequence[str]) -> list[str]:
    """The gallery's rule for tags (its items carry them)."""
    try:
        return gallery.clean_tags(tags)
    except ValueError as error:
        raise invalid("INVALID_PARAMETER", str(error), field="tags") from None


def check_settings(settings: canvas_pb2.CanvasSettings) -> canvas_pb2.CanvasSettings:
    """The canvas's size within CANVAS_MAX_SIDE and CANVAS_MAX_PIXELS, and a colour it can parse."""
    side, pixels, _ = _limits()
    for field, value in (("width", settings.width), ("height", settings.height)):
        if not 1 <= value <= side:
            raise invalid("INVALID_PARAMETER", f"settings.{field} must be from 1 to {side} pixels", field=f"settings.{field}")
    if settings.width * settings.height > pixels:
        raise invalid("INVALID_PARAMETER", f"A canvas is at most {pixels} pixels (width x height)", field="settings", max_pixels=pixels)
    colour = settings.background_color.strip() or "#ffffff"
    try:
        parse_colour(colour)
    except ValueError as error:
        raise invalid("INVALID_PARAMETER", f"settings.backgroundColor: {error}", field="settings.backgroundColor") from None
    return canvas_pb2.CanvasSettings(width=settings.width, height=settings.height, background_color=colour)


def _label(layer: dict | canvas_pb2.CanvasLayer, index: int) -> str:
    layer_id = layer["id"] if isinstance(layer, dict) else layer.id
    return f"layers[{index}] ({layer_id!r})" if layer_id else f"layers[{index}]"


def layer_error(error: ServiceError, label: str, layer_id: str) -> ServiceError:
    """A layer's image refused: a 400 that names the layer, with the image check's code."""
    return invalid(error.reason, f"Layer {label}: {error.message}", layer=layer_id, **{k: v for k, v in error.details.items() if k != "layer"})


def check_layer(layer: canvas_pb2.CanvasLayer, index: int, settings: canvas_pb2.CanvasSettings) -> images.ImageInfo:
    """A new layer's image, from its header only: PNG, JPEG or WebP, within the canvas."""
    label = _label(layer, index)
    try:
        info = images.inspect(layer.data)
    except ServiceError as error:
        raise layer_error(error, label, layer.id) from None
    _fits(info.width, info.height, label, layer.id, settings)
    return info


def _fits(width: int, height: int, label: str, layer_id: str, settings: canvas_pb2.CanvasSettings) -> None:
    if width > settings.width or height > settings.height:
        raise invalid(
            "INVALID_IMAGE",
            f"Layer {label} is {width}x{height}, larger than the {settings.width}x{settings.height} canvas: "
            "crop it or make settings larger",
            layer=layer_id, width=width, height=height,
        )


# --- compositing (in a thread) --------------------------------------------------------


def _background(settings: canvas_pb2.CanvasSettings) -> np.ndarray:
    return np.array(compose.solid((settings.width, settings.height), parse_colour(settings.background_color)))


def _over(canvas: np.ndarray, data: bytes, opacity: float) -> None:
    """The layer (image bytes) at `opacity` over the canvas's top-left, in place."""
    layer = images.decode_rgb(data, keep_alpha=True).convert("RGBA")
    pixels = np.asarray(layer)
    del layer
    height, width = pixels.shape[:2]
    if height > canvas.shape[0] or width > canvas.shape[1]:  # its EXIF orientation turned it
        raise invalid("INVALID_IMAGE", f"The layer is {width}x{height} as shown, larger than the canvas")
    for top, bottom in filters.stripes(height, filters.stripe_rows(width)):
        alpha = pixels[top:bottom, :, 3] * np.float32(opacity / 255.0)
        canvas[top:bottom, :width] = compose.composite(pixels[top:bottom, :, :3], alpha, canvas[top:bottom, :width])


def _encode(canvas: np.ndarray) -> tuple[bytes, bytes]:
    """The canvas PNG (RGB when opaque) and its JPEG thumbnail (flattened on white)."""
    image = Image.fromarray(canvas, "RGBA")
    if canvas[..., 3].min() == 255:
        image = image.convert("RGB")
        flat = image
    else:
        flat = Image.alpha_composite(Image.new("RGBA", image.size, (255, 255, 255, 255)), image)
    return compose.encode_png(image), images.thumbnail(flat)


# --- the service ----------------------------------------------------------------------


def _layer_message(layer: dict) -> canvas_pb2.CanvasLayer:
    return canvas_pb2.CanvasLayer(
        id=layer["id"], name=layer["name"], visible=layer["visible"], opacity=layer["opacity"], key=layer["key"],
        content_type=layer["content_type"], width=layer["width"], height=layer["height"], job_id=layer.get("job_id", ""),
    )


def _area(box: Sequence[int]) -> canvas_pb2.CanvasArea:
    return canvas_pb2.CanvasArea(x=box[0], y=box[1], width=box[2], height=box[3])


def _box(area: canvas_pb2.CanvasArea) -> list[int]:
    return [area.x, area.y, area.width, area.height]


def _message(row: CanvasRow) -> canvas_pb2.Canvas:
    return canvas_pb2.Canvas(
        id=row.id, owner_id=row.owner_id, name=row.name, layers=[_layer_message(layer) for layer in row.layers],
        settings=canvas_pb2.CanvasSettings(width=row.width, height=row.height, background_color=row.background_color),
        tags=row.tags, is_public=row.is_public, image_key=row.image_key, thumbnail_key=row.thumbnail_key,
        created_at=iso(row.created_at), updated_at=iso(row.updated_at),
        pending=[
            canvas_pb2.PendingAssist(job_id=p["job_id"], area=_area(p["area"]), crop=_area(p["crop"])) for p in row.pending
        ],
    )


class Canvases(canvas_pb2_grpc.CanvasServiceServicer):
    def __init__(self, db: AsyncEngine, objects: ObjectStore, jobs: JobStore):
        self.db = db
        self.objects = objects
        self.jobs = jobs
        self.renders = asyncio.Semaphore(env_int("CANVAS_RENDERS", 1))

    # --- files ---

    async def _render(self, canvas_id: str, settings: canvas_pb2.CanvasSettings, layers: list[dict], data: dict[str, bytes]):
        """Composites the visible layers and stores the new layer images, the PNG and the thumbnail
        under new keys; returns (image key, thumbnail key, keys written). `data` holds the new
        layers' images by their key; the others are read from the store, one at a time. The caller
        holds self.renders (taken before any transaction, so a queue of renders holds no connections)."""
        written: list[str] = []
        try:
            canvas = await asyncio.to_thread(_background, settings)
            for index, layer in enumerate(layers):
                new = data.get(layer["key"])
                if new is not None:
                    await self.objects.put(layer["key"], new, layer["content_type"])
                    written.append(layer["key"])
                if not layer["visible"] or layer["opacity"] <= 0:
                    continue
                try:
                    image = new if new is not None else await self.objects.get(layer["key"])
                    await asyncio.to_thread(_over, canvas, image, layer["opacity"])
                except ServiceError as error:
                    raise layer_error(error, _label(layer, index), layer["id"]) from None
            png, thumbnail = await asyncio.to_thread(_encode, canvas)
            del canvas
            image_key = f"canvases/{canvas_id}/{uuid.uuid4().hex}.png"
            await self.objects.put(image_key, png, "image/png")
            written.append(image_key)
            await self.objects.put(images.thumbnail_key(image_key), thumbnail, "image/jpeg")
            written.append(images.thumbnail_key(image_key))
            return image_key, images.thumbnail_key(image_key), written
        except BaseException:
            await self._delete(written)
            raise

    async def _delete(self, keys) -> None:
        for key in keys:
            try:
                await self.objects.delete(key)
            except (ObjectNotFound, ValueError):
                pass

    def _layers(self, canvas_id: str, requested, settings, kept: dict[str, dict]) -> tuple[list[dict], dict[str, bytes]]:
        """The canvas's layers from a request: a new image checked (headers only) and given a new
        key; an empty one keeps the stored image of the layer with its id. Bounded in count and pixels."""
        if len(requested) > MAX_LAYERS:
            raise invalid("INVALID_PARAMETER", f"A canvas has at most {MAX_LAYERS} layers", field="layers", max_layers=MAX_LAYERS)
        _, _, most = _limits()
        layers, data, total, ids = [], {}, 0, set()
        for index, layer in enumerate(requested):
            label = _label(layer, index)
            layer_id = _text(layer.id, f"layers[{index}].id", MAX_LAYER_ID) or f"layer_{index + 1}"
            if layer_id in ids:
                raise invalid("INVALID_PARAMETER", f"Layer {label}: another layer has the id {layer_id!r}", layer=layer_id)
            ids.add(layer_id)
            if not 0 <= layer.opacity <= 1:
                raise invalid("INVALID_PARAMETER", f"Layer {label}: opacity must be from 0 to 1", layer=layer_id,
                              field=f"layers[{index}].opacity")
            entry = {"id": layer_id, "name": _text(layer.name, f"layers[{index}].name", MAX_NAME), "visible": layer.visible,
                     "opacity": layer.opacity}
            if layer.data:
                info = check_layer(layer, index, settings)
                key = f"canvases/{canvas_id}/layers/{uuid.uuid4().hex}.{info.format}"
                entry.update(key=key, content_type=info.content_type, width=info.width, height=info.height)
                data[key] = layer.data
            elif layer_id in kept:
                old = kept[layer_id]
                _fits(old["width"], old["height"], label, layer_id, settings)
                entry.update({k: v for k, v in old.items() if k in ("key", "content_type", "width", "height", "job_id")})
            else:
                raise invalid("INVALID_PARAMETER", f"Layer {label} has no data (base64 image data)", layer=layer_id,
                              field=f"layers[{index}].data")
            total += entry["width"] * entry["height"]
            if total > most:
                raise invalid("INVALID_PARAMETER", f"The layers together are more than {most} pixels", field="layers", max_pixels=most)
            layers.append(entry)
        return layers, data

    # --- rows ---

    async def _owned(self, conn, canvas_id: str, owner_id: str, lock: bool = False) -> CanvasRow:
        query = sa.select(canvases).where(canvases.c.id == canvas_id, canvases.c.owner_id == owner_id)
        row = record(CanvasRow, (await conn.execute(query.with_for_update() if lock else query)).first())
        if row is None:
            raise not_found("CANVAS_NOT_FOUND", "No such canvas")
        return row

    async def _file(self, conn, row: CanvasRow) -> None:
        """Files the canvas in the gallery (the same transaction)."""
        await gallery.publish(
            conn, owner_id=row.owner_id, kind="canvas", source_id=row.id, object_key=row.image_key,
            thumbnail_key=row.thumbnail_key, tags=list(row.tags), is_public=row.is_public, title=row.name,
        )

    async def _store(self, conn, canvas_id: str, values: dict, insert: bool = False) -> CanvasRow:
        statement = canvases.insert().values(id=canvas_id, **values) if insert else (
            canvases.update().where(canvases.c.id == canvas_id).values(**values, updated_at=sa.func.now())
        )
        row = record(CanvasRow, (await conn.execute(statement.returning(*canvases.c))).one())
        await self._file(conn, row)
        return row

    # --- RPCs ---

    @rpc_errors
    async def SaveCanvas(self, request, context):
        name = _text(request.name, "name", MAX_NAME, required=True)
        settings = check_settings(request.settings)
        tags = check_tags(request.tags)
        canvas_id = f"canvas_{uuid.uuid4().hex}"
        layers, data = self._layers(canvas_id, request.layers, settings, {})
        async with self.renders:
            image_key, thumbnail_key, written = await self._render(canvas_id, settings, layers, data)
        try:
            async with self.db.begin() as conn:
                row = await self._store(conn, canvas_id, dict(
                    owner_id=request.owner_id, name=name, width=settings.width, height=settings.height,
                    background_color=settings.background_color, layers=layers, tags=tags, is_public=request.is_public,
                    image_key=image_key, thumbnail_key=thumbnail_key,
                ), insert=True)
        except BaseException:
            await self._delete(written)
            raise
        return _message(row)

    @rpc_errors
    async def GetCanvas(self, request, context):
        return _message(await self._settle(request.canvas_id, request.owner_id))

    @rpc_errors
    async def UpdateCanvas(self, request, context):
        written, unused = [], []
        renders = request.replace_layers or request.HasField("settings")
        try:
            async with self.renders if renders else contextlib.nullcontext(), self.db.begin() as conn:
                row = await self._owned(conn, request.canvas_id, request.owner_id, lock=True)
                values = {}
                if request.HasField("name"):
                    values["name"] = _text(request.name, "name", MAX_NAME, required=True)
                if request.replace_tags:
                    values["tags"] = check_tags(request.tags)
                if request.HasField("is_public"):
                    values["is_public"] = request.is_public
                settings = _message(row).settings
                if request.HasField("settings"):
                    settings = check_settings(request.settings)
                    values.update(width=settings.width, height=settings.height, background_color=settings.background_color)
                if renders:
                    kept = {layer["id"]: layer for layer in row.layers}
                    if request.replace_layers:
                        layers, data = self._layers(row.id, request.layers, settings, kept)
                    else:
                        layers, data = self._layers(row.id, [_layer_message(layer) for layer in row.layers], settings, kept)
                    image_key, thumbnail_key, written = await self._render(row.id, settings, layers, data)
                    values.update(layers=layers, image_key=image_key, thumbnail_key=thumbnail_key)
                    in_use = {layer["key"] for layer in layers}
                    unused = [layer["key"] for layer in row.layers if layer["key"] not in in_use]
                    unused += [row.image_key, row.thumbnail_key]
                row = await self._store(conn, row.id, values)
        except BaseException:
            await self._delete(written)
            raise
        await self._delete(unused)
        return _message(row)

    @rpc_errors
    async def DeleteCanvas(self, request, context):
        async with self.db.begin() as conn:
            row = await self._owned(conn, request.canvas_id, request.owner_id, lock=True)
            await conn.execute(canvases.delete().where(canvases.c.id == row.id))
            await gallery.withdraw(conn, row.id)
        await delete_prefix(self.objects, f"canvases/{row.id}/")
        return canvas_pb2.DeleteCanvasResponse()

    # --- AI assist ---

    @rpc_errors
    async def PrepareAssist(self, request, context):
        """The crop of the composite around the area (ASSIST_CONTEXT pixels of context) and the
        area's mask within it, stored for the inpainting job."""
        async with self.db.connect() as conn:
            row = await self._owned(conn, request.canvas_id, request.owner_id)
        area = request.area
        if not (area.width >= 1 and area.height >= 1 and area.x >= 0 and area.y >= 0
                and area.x + area.width <= row.width and area.y + area.height <= row.height):
            raise invalid(
                "INVALID_PARAMETER",
                f"area must lie within the {row.width}x{row.height} canvas (x, y >= 0, width and height >= 1)",
                field="area", width=row.width, height=row.height,
            )
        if len(row.layers) >= MAX_LAYERS:
            raise invalid("INVALID_PARAMETER", f"The canvas has {MAX_LAYERS} layers, the most it may: delete one first", field="canvasId")
        if len(row.pending) >= MAX_PENDING:
            raise invalid("INVALID_PARAMETER", f"{MAX_PENDING} AI assists of this canvas are still running: wait for one", field="canvasId")
        left, top = max(0, area.x - ASSIST_CONTEXT), max(0, area.y - ASSIST_CONTEXT)
        right = min(row.width, area.x + area.width + ASSIST_CONTEXT)
        bottom = min(row.height, area.y + area.height + ASSIST_CONTEXT)
        crop = canvas_pb2.CanvasArea(x=left, y=top, width=right - left, height=bottom - top)
        async with self.renders:
            composite = await self.objects.get(row.image_key)
            source, mask = await asyncio.to_thread(_assist_inputs, composite, crop, area)
        token = request.token if re.fullmatch(r"[0-9a-f]{32,64}", request.token) else uuid.uuid4().hex
        folder = f"canvases/{row.id}/assist/{token}"
        await self.objects.put(f"{folder}/input.png", source, "image/png")
        await self.objects.put(f"{folder}/mask.png", mask, "image/png")
        return canvas_pb2.AssistInput(input_key=f"{folder}/input.png", mask_key=f"{folder}/mask.png", crop=crop)

    @rpc_errors
    async def DiscardAssist(self, request, context):
        """The prepared input of an assist whose job was never queued (refused: credits, limits)."""
        async with self.db.connect() as conn:
            row = await self._owned(conn, request.canvas_id, request.owner_id)
        await self._discard(row.id, request.input.input_key)
        return canvas_pb2.DiscardAssistResponse()

    async def _discard(self, canvas_id: str, input_key: str) -> None:
        """Deletes an assist's prepared input (the folder PrepareAssist made, nothing else)."""
        folder = _folder(input_key)
        if folder.startswith(f"canvases/{canvas_id}/assist/"):
            await delete_prefix(self.objects, f"{folder}/")

    @rpc_errors
    async def AttachAssist(self, request, context):
        assist = request.assist
        async with self.db.begin() as conn:
            row = await self._owned(conn, request.canvas_id, request.owner_id, lock=True)
            applied = assist.job_id in {layer.get("job_id") for layer in row.layers}
            if not applied and assist.job_id not in {p["job_id"] for p in row.pending}:
                pending = [*row.pending, {"job_id": assist.job_id, "area": _box(assist.area), "crop": _box(assist.crop)}]
                await conn.execute(canvases.update().where(canvases.c.id == row.id).values(pending=pending))
        if applied:  # a retried request (its Idempotency-Key) found its job done: the input it prepared again goes
            await self._discard(row.id, assist.input_key)
        return _message(await self._settle(row.id, request.owner_id))

    async def _settle(self, canvas_id: str, owner_id: str) -> CanvasRow:
        """The canvas with its finished AI assists applied: a completed job's result becomes a new top
        layer; a failed one's (refunded by the job's own path) is dropped."""
        async with self.db.connect() as conn:
            row = await self._owned(conn, canvas_id, owner_id)
        if not row.pending:
            return row
        jobs = {p["job_id"]: await self.jobs.get(p["job_id"], owner_id) for p in row.pending}
        if all(job is not None and job.status in RUNNING for job in jobs.values()):
            return row
        written, unused, inputs = [], [], []
        try:
            async with self.renders, self.db.begin() as conn:
                row = await self._owned(conn, canvas_id, owner_id, lock=True)
                layers, data, still = list(row.layers), {}, []
                for assist in row.pending:
                    if assist["job_id"] not in jobs:  # attached since the read above: the next read settles it
                        still.append(assist)
                        continue
                    job = jobs[assist["job_id"]]
                    if job is not None and job.status in RUNNING:
                        still.append(assist)
                        continue
                    if job is None:  # gone: the assist is dropped
                        continue
                    inputs.append(job.input_key)
                    made = await self._assist_layer(row.id, job, assist) if job.status == jobs_pb2.JOB_STATUS_COMPLETED else None
                    if made is not None:
                        layer, png = made
                        layers.append(layer)
                        data[layer["key"]] = png
                values = {"pending": still}
                if data:
                    settings = _message(row).settings
                    image_key, thumbnail_key, written = await self._render(row.id, settings, layers, data)
                    values.update(layers=layers, image_key=image_key, thumbnail_key=thumbnail_key)
                    unused = [row.image_key, row.thumbnail_key]
                row = await self._store(conn, row.id, values)
        except BaseException:
            await self._delete(written)
            raise
        await self._delete(unused)
        for input_key in inputs:
            await self._discard(canvas_id, input_key)
        return row

    async def _assist_layer(self, canvas_id: str, job: jobs_pb2.Job, assist: dict) -> tuple[dict, bytes] | None:
        """The job's result within the area as a layer (transparent elsewhere), and its PNG; None once
        retention has deleted the result (an assist left unread that long is dropped)."""
        try:
            generated = await self.objects.get(job.result.result_key)
        except (ObjectNotFound, ValueError):
            return None
        png, size = await asyncio.to_thread(_assist_png, generated, assist["area"], assist["crop"])
        layer = {
            "id": f"ai_assist_{job.id[:8]}", "name": ASSIST_LAYER, "visible": True, "opacity": 1.0, "job_id": job.id,
            "key": f"canvases/{canvas_id}/layers/{uuid.uuid4().hex}.png", "content_type": "image/png",
            "width": size[0], "height": size[1],
        }
        return layer, png


def _folder(key: str) -> str:
    return key.rsplit("/", 1)[0]


def _assist_inputs(composite: bytes, crop: canvas_pb2.CanvasArea, area: canvas_pb2.CanvasArea) -> tuple[bytes, bytes]:
    """The crop of the composite (flattened on white: the diffusion pipeline paints RGB) and the
    area's mask (white) within it, as PNGs."""
    image = images.decode_rgb(composite, keep_alpha=True).crop((crop.x, crop.y, crop.x + crop.width, crop.y + crop.height))
    if image.mode == "RGBA":
        image = Image.alpha_composite(Image.new("RGBA", image.size, (255, 255, 255, 255)), image).convert("RGB")
    mask = Image.new("L", image.size, 0)
    mask.paste(255, (area.x - crop.x, area.y - crop.y, area.x - crop.x + area.width, area.y - crop.y + area.height))
    return compose.encode_png(image), compose.encode_png(mask)


def _assist_png(generated: bytes, area: Sequence[int], crop: Sequence[int]) -> tuple[bytes, tuple[int, int]]:
    """A layer reaching to the area's far corner: the generated pixels inside the area, transparent
    elsewhere, so the canvas outside the area is as it was."""
    x, y, width, height = area
    result = images.decode_rgb(generated).convert("RGB")
    if result.size != (crop[2], crop[3]):
        raise ServiceError(grpc.StatusCode.INTERNAL, "GENERATION_FAILED", "The AI assist's result is not the size of its input")
    inside = result.crop((x - crop[0], y - crop[1], x - crop[0] + width, y - crop[1] + height))
    layer = Image.new("RGBA", (x + width, y + height), (0, 0, 0, 0))
    layer.paste(inside, (x, y))
    buffer = io.BytesIO()
    layer.save(buffer, format="PNG", compress_level=compose.PNG_COMPRESS_LEVEL)
    return buffer.getvalue(), layer.size
