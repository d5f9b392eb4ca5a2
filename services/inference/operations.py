"""The jobs this service runs: each loads its input, runs the model on the
inference server where there is one, and stores the encoded result.

CPU work (decoding, matting, compositing, encoding) runs in threads so the
worker keeps several jobs in flight; every model call goes to the server.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import numpy as np
from PIL import Image

from backdrop.jobs.v1 import jobs_pb2
from services.inference import budget, models, safety, subject, videos
from services.inference.budget import MemoryBudget
from services.inference.generation import Generation, Progress
from services.inference.pipeline import compose, enhance, matting, segmentation, upscale
from services.runtime.colour import parse_colour
from services.inference.triton import InferenceServer
from services.runtime import images
from services.runtime.config import env_int
from services.runtime.errors import invalid
from services.runtime.objectstore import ObjectStore

EXTENSIONS = {"png": "png", "jpg": "jpg", "webp": "webp", "zip": "zip"}
RESULT_FORMATS = {"png": "png", "jpg": "jpeg", "webp": "webp", "zip": "zip"}


def result_keys(job_id: str, extension: str = "png") -> tuple[str, str]:
    return f"results/{job_id}/image.{extension}", f"results/{job_id}/mask.png"


@dataclass
class Output:
    image: Image.Image
    mask: Image.Image | None
    output_format: str
    output_quality: int
    matte: tuple[int, int, int] = (255, 255, 255)
    # The subject's box in the result (left, top, right, bottom), for remove.bg's X-Foreground-*.
    foreground: tuple[int, int, int, int] | None = None
    # remove.bg's X-Type (services/inference/subject.py), when the options asked for it.
    subject_type: str = ""


class Operations:
    def __init__(self, store: ObjectStore, server: InferenceServer):
        self.store = store
        self.server = server
        self.tile = env_int("UPSCALE_TILE", 128)
        self.tile_batch = env_int("UPSCALE_TILE_BATCH", 4)
        self.generation = Generation(store, server)
        self.budget = MemoryBudget()
        self._prefetched: dict[str, bytes] = {}  # inputs read to size their job, decoded next

    async def run(self, item: jobs_pb2.WorkItem, timings: dict[str, float], progress: Progress | None = None) -> jobs_pb2.JobResult:
        """Runs the work item; `timings` collects per-stage milliseconds for the job's log line,
        `progress` hears how far a long job (a generation) has come."""
        operation = item.WhichOneof("operation")
        if operation == "generate":
            async with self.budget.reserve(budget.job_bytes(item)):
                return await self.generation.run(item, timings, progress or _ignore)
        if operation == "train":  # seed 004's model training (services/inference/training.py)
            from services.inference import training

            return await training.run(self.generation, item, timings, progress or _ignore)
        if operation == "remove_background_video":
            return await videos.run(self.store, self.server, item, timings, progress or _ignore, self.budget)
        handler = {"remove_background": self.remove_background, "upscale": self.upscale, "enhance": self.enhance}.get(operation)
        if handler is None:
            raise invalid("UNSUPPORTED_OPERATION", f"This worker cannot run {operation!r} jobs")
        # The input's header says how much memory the job will need: reserve it before decoding.
        data = self._prefetched[item.input_key] = await self.store.get(item.input_key)
        info = images.inspect(data)
        scale = 1
        if operation == "upscale":
            scale = models.resolve_upscaler(item.upscale.model, item.upscale.scale or 2, item.upscale.quality).scale
        try:
            async with self.budget.reserve(budget.job_bytes(item, info.width, info.height, scale)):
                started = time.perf_counter()
                output, model = await handler(item.input_key, getattr(item, operation), timings)
                return await self._store(item.job_id, output, model, started, timings)
        finally:
            self._prefetched.pop(item.input_key, None)

    async def _decode(self, key: str) -> Image.Image:
        data = self._prefetched.pop(key, None) or await self.store.get(key)
        return await asyncio.to_thread(images.decode_rgb, data, True)

    async def _store(self, job_id: str, output: Output, model: str, started: float, timings: dict) -> jobs_pb2.JobResult:
        begin = time.perf_counter()

        def encode():
            data, content_type = compose.encode(output.image, output.output_format, output.output_quality, output.matte)
            mask = compose.encode_png(output.mask) if output.mask is not None else b""
            return data, content_type, mask

        data, content_type, mask_png = await asyncio.to_thread(encode)
        fmt = output.output_format or "png"
        image_key, mask_key = result_keys(job_id, EXTENSIONS[fmt])
        await self.store.put(image_key, data, content_type)
        if mask_png:
            await self.store.put(mask_key, mask_png, "image/png")
        timings["encode_store_ms"] = round((time.perf_counter() - begin) * 1000, 1)
        foreground = jobs_pb2.Box(**dict(zip(("left", "top", "right", "bottom"), output.foreground))) if output.foreground else None
        return jobs_pb2.JobResult(
            foreground=foreground,
            subject_type=output.subject_type,
            result_key=image_key,
            mask_key=mask_key if mask_png else "",
            width=output.image.width,
            height=output.image.height,
            format=RESULT_FORMATS[fmt],
            content_type=content_type,
            processing_seconds=time.perf_counter() - started,
            model=model,
        )

    # --- background removal, replacement and blur ---------------------------

    async def remove_background(self, input_key: str, options: jobs_pb2.RemoveBackgroundOptions, timings: dict) -> tuple[Output, str]:
        spec = models.resolve(options.model)
        quality = options.quality or "high"
        image = await self._decode(input_key)
        background = await self._decode(options.background_key) if options.background_key else None

        def prepare():
            source = image
            size = compose.capped_size(source.width, source.height, options.size)
            factor = size[0] / source.width
            if size != source.size:
                source = source.resize(size, Image.Resampling.LANCZOS)
            roi = _scaled_box(options.roi, factor, size) if options.HasField("roi") else (0, 0, *size)
            colour = source if source.mode == "RGB" else source.convert("RGB")
            rgb = np.asarray(colour)
            if source.mode == "RGBA" and source.getextrema()[3][0] < 255:
                # Already cut out (a previous job's result): its alpha is the mask; no model run.
                return rgb, roi, np.asarray(source.getchannel("A"), dtype=np.float32) / 255.0, None
            return rgb, roi, None, segmentation.preprocess(spec, colour.crop(roi), quality)

        begin = time.perf_counter()
        rgb, roi, alpha, tensor = await asyncio.to_thread(prepare)
        del image  # rgb holds the pixels now: the decoded image need not stay alive through finish()
        output = None
        if tensor is not None:
            inferred = time.perf_counter()
            output = await self.server.infer(spec.name, tensor)
            timings["infer_ms"] = round((time.perf_counter() - inferred) * 1000, 1)

        def finish() -> Output:
            mask = alpha
            if mask is None:
                region = segmentation.to_mask(spec, output, (roi[2] - roi[0], roi[3] - roi[1]), quality)
                mask = np.zeros(rgb.shape[:2], dtype=np.float32)
                mask[roi[1] : roi[3], roi[0] : roi[2]] = np.asarray(region, dtype=np.float32) / 255.0
                mask = matting.refine_alpha(rgb, mask, options.edge_refinement, inplace=True)
                # Refinement must not reach past the region either.
                mask[: roi[1]] = 0.0
                mask[roi[3] :] = 0.0
                mask[:, : roi[0]] = 0.0
                mask[:, roi[2] :] = 0.0
            nonlocal shape
            if options.classify_subject:  # on the input's own pixels and mask, before any placing
                shape = subject.shape_label(rgb, compose.alpha8(mask))
            # A cut-out input already holds the subject's own colours; a photo's edge mixes in the old background.
            colours = matting.decontaminate(rgb, mask) if options.edge_refinement > 0 and alpha is None else rgb
            if options.subject_scale or options.HasField("subject_position"):
                position = (options.subject_position.x, options.subject_position.y) if options.HasField("subject_position") else None
                colours, mask = compose.place_subject(colours, mask, options.subject_scale, position)
            matte = (255, 255, 255)
            if options.blur_strength > 0:
                pixels = compose.composite(colours, mask, compose.blurred_background(rgb, mask, options.blur_strength, options.blur_style))
            elif background is not None:
                pixels = compose.composite(colours, mask, compose.fit_cover(background, (rgb.shape[1], rgb.shape[0])), options.blend_mode)
            elif options.bg_color:
                colour = parse_colour(options.bg_color)
                matte = colour[:3]
                pixels = compose.composite(colours, mask, compose.solid((rgb.shape[1], rgb.shape[0]), colour), options.blend_mode)
            else:
                pixels = compose.cutout(colours, mask)
            del colours
            alpha8 = compose.alpha8(mask)
            del mask
            if options.crop:
                if options.HasField("crop_margins"):
                    box = compose.margin_box(alpha8, options.crop_margins)
                else:
                    box = compose.subject_box(alpha8, max(0, options.crop_margin))
                if box is not None:
                    pixels = pixels[box[1] : box[3], box[0] : box[2]]
                    alpha8 = alpha8[box[1] : box[3], box[0] : box[2]]
            foreground = compose.subject_box(alpha8, 0)
            if foreground is not None and options.scale and options.scale != 1:
                foreground = tuple(round(v * options.scale) for v in foreground)
            mask_image = compose.scaled(Image.fromarray(alpha8, mode="L"), options.scale)
            result = mask_image if options.channels == "alpha" else compose.scaled(Image.fromarray(pixels, mode="RGBA"), options.scale)
            return Output(
                result, mask_image if options.return_mask else None, options.output_format, options.output_quality, matte, foreground
            )

        shape = ""
        result = await asyncio.to_thread(finish)
        if options.classify_subject:
            result.subject_type = "person" if subject.is_person(await safety.scores(self.server, rgb)) else shape
        timings["process_ms"] = round((time.perf_counter() - begin) * 1000 - timings.get("infer_ms", 0), 1)
        return result, spec.name if tensor is not None else ""

    # --- super-resolution ------------------------------------------------------

    async def upscale(self, input_key: str, options: jobs_pb2.UpscaleOptions, timings: dict) -> tuple[Output, str]:
        scale = options.scale or 2
        spec = models.resolve_upscaler(options.model, scale, options.quality)
        image = await self._decode(input_key)
        _check_upscale(image.width, image.height, scale, spec)
        rgb = np.asarray(image.convert("RGB"))
        height, width = rgb.shape[:2]
        padded = await asyncio.to_thread(upscale.padded_input, rgb, self.tile, spec.context)
        grid = upscale.tile_grid(height, width, self.tile)
        result = np.empty((height * spec.scale, width * spec.scale, 3), dtype=np.uint8)
        begin = time.perf_counter()
        for tiles, tensor in upscale.tile_batches(padded, grid, self.tile, spec.context, self.tile_batch):
            output = await self.server.infer(spec.name, tensor)
            await asyncio.to_thread(upscale.place, result, tiles, output, spec, self.tile)
        timings["infer_ms"] = round((time.perf_counter() - begin) * 1000, 1)
        timings["tiles"] = len(grid)
        del padded

        def finish() -> Output:
            size = (width * scale, height * scale)
            upscaled = Image.fromarray(result)
            if spec.scale != scale:
                upscaled = upscaled.resize(size, Image.Resampling.LANCZOS)
            if image.mode == "RGBA":  # the model sees colour only; alpha follows, bicubic
                upscaled.putalpha(image.getchannel("A").resize(size, Image.Resampling.BICUBIC))
            return Output(upscaled, None, options.output_format, options.output_quality)

        return await asyncio.to_thread(finish), spec.name

    # --- classical enhancement ---------------------------------------------------

    async def enhance(self, input_key: str, options: jobs_pb2.EnhanceOptions, timings: dict) -> tuple[Output, str]:
        image = await self._decode(input_key)

        def work() -> Output:
            pixels = enhance.enhance(np.asarray(image.convert("RGB")), options.enhancement, options.strength or 0.5)
            enhanced = Image.fromarray(pixels)
            if image.mode == "RGBA":
                enhanced.putalpha(image.getchannel("A"))
            return Output(enhanced, None, options.output_format, options.output_quality)

        return await asyncio.to_thread(work), ""


def _check_upscale(width: int, height: int, scale: int, spec: upscale.UpscaleSpec) -> None:
    """Refuses what would pass the output cap at the model's own factor: a 4x model serving
    scale=2 allocates its 4x result before resizing it down, so that is what must fit."""
    limit = images.upscale_limit()
    if width * height * spec.scale * spec.scale <= limit:
        return
    if spec.scale == scale:
        raise images.upscale_too_large(width, height, scale)
    raise invalid(
        "IMAGE_TOO_LARGE",
        f"{spec.name} upscales by {spec.scale} before resizing to {scale}x: {width}x{height} would be "
        f"{width * spec.scale}x{height * spec.scale} ({width * height * spec.scale**2 / 1e6:.1f} MP), above the "
        f"{limit / 1e6:.0f} MP limit: send a smaller image, or use a {scale}x model",
        max_output_pixels=limit,
    )


def _scaled_box(box: jobs_pb2.Box, factor: float, size: tuple[int, int]) -> tuple[int, int, int, int]:
    """The ROI at the working size, within the image and at least a pixel wide."""
    width, height = size
    left = min(width - 1, max(0, round(box.left * factor)))
    top = min(height - 1, max(0, round(box.top * factor)))
    right = min(width, max(left + 1, round(box.right * factor)))
    bottom = min(height, max(top + 1, round(box.bottom * factor)))
    return left, top, right, bottom


async def _ignore(percent: int, message: str) -> None:
    return None
