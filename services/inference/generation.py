"""Latent diffusion jobs: the sampler loop here, every network on the inference server.

Per image: the prompt and the negative prompt are tokenised (CLIP BPE) and
encoded once; then each step sends [unconditioned, conditioned] to the UNet
in one call and combines them with classifier-free guidance; the VAE decodes
the final latent. Variations start from the input's latent noised to
`strength`; inpainting and outpainting keep the known region by replacing
it, after every step, with the input's latent noised to that step ("mask in
latent space"), and composite the decoded result back onto the original
through the feathered mask, so pixels outside it stay the input's.
"""

from __future__ import annotations

import asyncio
import pathlib
import time
from collections.abc import Awaitable, Callable

import numpy as np
from PIL import Image

from backdrop.jobs.v1 import jobs_pb2
from services.inference import safety
from services.inference.pipeline import compose, filters
from services.inference.pipeline import diffusion as sd
from services.inference.pipeline.tokenizer import ClipTokenizer
from services.inference.triton import InferenceServer
from services.runtime import images
from services.runtime.config import env_int, env_str
from services.runtime.errors import diffusion_unavailable
from services.runtime.objectstore import ObjectStore

TEXT_ENCODER, UNET, VAE_DECODER, VAE_ENCODER = "diffusion-text-encoder", "diffusion-unet", "diffusion-vae-decoder", "diffusion-vae-encoder"
MODELS = (TEXT_ENCODER, UNET, VAE_DECODER, VAE_ENCODER)
Progress = Callable[[int, str], Awaitable[None]]


def tokenizer_dir() -> pathlib.Path:
    return pathlib.Path(env_str("DIFFUSION_TOKENIZER_DIR", ".models/repository/diffusion-text-encoder/tokenizer"))


class Generation:
    def __init__(self, store: ObjectStore, server: InferenceServer):
        self.store = store
        self.server = server
        self._tokenizer: ClipTokenizer | None = None

    async def available(self) -> bool:
        if not (tokenizer_dir() / "vocab.json").is_file():
            return False
        return all(await asyncio.gather(*(self.server.is_ready(model) for model in MODELS)))

    def tokenizer(self) -> ClipTokenizer:
        if self._tokenizer is None:
            if not (tokenizer_dir() / "vocab.json").is_file():
                raise diffusion_unavailable()
            self._tokenizer = ClipTokenizer.load(tokenizer_dir())
        return self._tokenizer

    async def _text(self, prompts: list[str]) -> np.ndarray:
        ids = np.array([self.tokenizer().encode(p) for p in prompts], dtype=np.int32)
        return await self.server.infer_named(TEXT_ENCODER, {"input_ids": ids}, "last_hidden_state")

    async def _encode_image(self, rgb: np.ndarray) -> np.ndarray:
        return await self.server.infer_named(VAE_ENCODER, {"sample": sd.image_to_tensor(rgb)}, "latent_sample") * sd.LATENT_SCALE

    async def _decode(self, latent: np.ndarray) -> np.ndarray:
        return sd.tensor_to_image(await self.server.infer_named(VAE_DECODER, {"latent_sample": latent / sd.LATENT_SCALE}, "sample"))

    async def run(self, item: jobs_pb2.WorkItem, timings: dict, progress: Progress) -> jobs_pb2.JobResult:
        options = item.generate
        if options.mode in ("video", "video_variation"):  # seed 004's videos: they start from a frame drawn here
            from services.inference.pipeline.video_diffusion import VideoGeneration

            return await VideoGeneration(self).run(item, timings, progress)
        started = time.perf_counter()
        if not await self.available():
            raise diffusion_unavailable()
        if options.unet_model and not await self.server.is_ready(options.unet_model):
            await self.server.load_model(options.unet_model)  # a custom model not loaded since the server started
        context = np.concatenate(await asyncio.gather(self._text([options.negative_prompt]), self._text([options.prompt])))
        sampler = sd.Sampler(options.sampler or "ddim", options.steps)
        source, mask, crop = await self._inputs(item, options)
        region = None
        if mask is not None and options.inpaint_area == "masked":
            full, full_mask = source, mask
            region = masked_region(full_mask, env_int("DIFFUSION_INPAINT_SIDE", 512))
            source, mask = await asyncio.to_thread(_cut, full, full_mask, region)
        clean = await self._encode_image(source) if source is not None else None
        start = sd.start_index(options.steps, options.strength) if options.mode == "variation" else 0
        latent_mask = sd.latent_mask(mask) if mask is not None else None
        height, width = source.shape[:2] if source is not None else (_up64(options.height), _up64(options.width))
        shape = (1, 4, height // sd.VAE_FACTOR, width // sd.VAE_FACTOR)
        total = options.num_images * max(1, options.steps - start)
        done, results = 0, []
        for index in range(options.num_images):
            seed = options.seed + index
            noise = sd.noise(seed, shape)
            latent = sampler.initial(noise, start, clean if options.mode == "variation" else None)
            for step in range(start, options.steps):
                model_input = sampler.model_input(latent, step)
                t = float(sampler.times[step])
                eps = await self.server.infer_named(
                    options.unet_model or UNET,  # a custom model's merged UNet (services/inference/training.py)
                    {"sample": np.concatenate([model_input, model_input]), "timestep": np.array([t, t], np.float32), "encoder_hidden_states": context},
                    "out_sample",
                )
                latent = sampler.step(latent, sd.guided(eps[:1], eps[1:], options.guidance_scale), step)
                if latent_mask is not None:
                    previous = sampler.previous_time(step)
                    known = sampler.noised(clean, noise, previous) if previous is not None else clean
                    latent = latent_mask * latent + (1 - latent_mask) * known
                done += 1
                await progress(min(99, round(100 * done / total)), f"Generating image {index + 1} of {options.num_images}: step {step + 1} of {options.steps}")
            pixels = await self._decode(latent.astype(np.float32))
            if region is not None:
                pixels = await asyncio.to_thread(_paste, full, full_mask, pixels, region, options.mask_blur)
            elif mask is not None:
                pixels = await asyncio.to_thread(_composite_back, source, pixels, mask, options.mask_blur)
            pixels = pixels[: crop[1], : crop[0]]
            filtered = options.safety_filter and safety.is_unsafe(await safety.scores(self.server, pixels))
            results.append((np.zeros_like(pixels) if filtered else pixels, seed, filtered))
        timings["sampling_ms"] = round((time.perf_counter() - started) * 1000, 1)
        return await self._store(item.job_id, results, started)

    async def _inputs(self, item, options) -> tuple[np.ndarray | None, np.ndarray | None, tuple[int, int]]:
        """The input image (padded to multiples of 64), the repaint mask at its size, and the size to crop back to."""
        if options.mode == "text":
            return None, None, (options.width, options.height)
        image = np.asarray((await asyncio.to_thread(images.decode_rgb, await self.store.get(item.input_key))).convert("RGB"))
        mask = None
        if options.mode == "inpaint":
            mask_image = await asyncio.to_thread(images.decode_rgb, await self.store.get(options.mask_key))
            size = (image.shape[1], image.shape[0])
            mask = np.asarray(mask_image.convert("L").resize(size, Image.Resampling.BILINEAR), np.float32) / 255.0
        elif options.mode == "outpaint":
            image, mask = sd.outpaint_canvas(image, options.direction, options.pixels)
        height, width = image.shape[:2]
        pad = ((0, _up64(height) - height), (0, _up64(width) - width))
        image = np.pad(image, (*pad, (0, 0)), mode="edge")
        if mask is not None:
            mask = np.pad(mask, pad, mode="edge")
        return image, mask, (width, height)

    async def _store(self, job_id: str, results: list[tuple[np.ndarray, int, bool]], started: float) -> jobs_pb2.JobResult:
        generated = []
        for index, (pixels, seed, filtered) in enumerate(results):
            key = f"results/{job_id}/image-{index + 1}.png"
            image = Image.fromarray(pixels)
            data = await asyncio.to_thread(compose.encode_png, image)
            await self.store.put(key, data, "image/png")
            await self.store.put(images.thumbnail_key(key), await asyncio.to_thread(images.thumbnail, image), "image/jpeg")
            generated.append(
                jobs_pb2.GeneratedImage(
                    key=key, width=pixels.shape[1], height=pixels.shape[0], seed=seed, file_size=len(data), filtered=filtered
                )
            )
        first = generated[0]
        return jobs_pb2.JobResult(
            result_key=first.key, width=first.width, height=first.height, format="png", content_type="image/png",
            processing_seconds=time.perf_counter() - started, model=UNET, images=generated,
        )


def _up64(size: int) -> int:
    """Sizes the UNet takes: its levels halve the latent, so the image is padded to multiples of 64."""
    return -(-size // 64) * 64


def _composite_back(original: np.ndarray, generated: np.ndarray, mask: np.ndarray, blur: int) -> np.ndarray:
    """Generated pixels inside the feathered mask, the original's outside."""
    feathered = np.clip(filters.gaussian(mask, blur / 2), 0.0, 1.0) if blur > 0 else mask
    feathered = np.maximum(feathered, mask)[..., None]  # feathering widens the mask, never shrinks it
    mixed = feathered * generated.astype(np.float32) + (1 - feathered) * original.astype(np.float32)
    return (mixed + 0.5).astype(np.uint8)


# "Only masked" inpainting pads the mask's box by this much context, in pixels of the image.
MASKED_PADDING = 32


def masked_region(mask: np.ndarray, side: int) -> tuple[tuple[int, int, int, int], tuple[int, int]]:
    """The box (x0, y0, x1, y1) around the mask with MASKED_PADDING of context, and the
    size (multiples of 64, about side x side in area, the box's aspect) it is generated at:
    a small masked region gets the model's full resolution instead of a few latents."""
    ys, xs = np.nonzero(mask > 0.5)
    if not len(xs):
        ys, xs = np.nonzero(mask > 0)
    if not len(xs):  # nothing to repaint: the whole image is the region
        return (0, 0, mask.shape[1], mask.shape[0]), (_up64(mask.shape[1]), _up64(mask.shape[0]))
    x0, x1 = max(0, xs.min() - MASKED_PADDING), min(mask.shape[1], xs.max() + 1 + MASKED_PADDING)
    y0, y1 = max(0, ys.min() - MASKED_PADDING), min(mask.shape[0], ys.max() + 1 + MASKED_PADDING)
    scale = side / ((x1 - x0) * (y1 - y0)) ** 0.5
    size = (max(64, round((x1 - x0) * scale / 64) * 64), max(64, round((y1 - y0) * scale / 64) * 64))
    return (int(x0), int(y0), int(x1), int(y1)), size


def _cut(image: np.ndarray, mask: np.ndarray, region) -> tuple[np.ndarray, np.ndarray]:
    """The region's image and mask, resized to its generation size."""
    (x0, y0, x1, y1), size = region
    crop = Image.fromarray(image[y0:y1, x0:x1]).resize(size, Image.Resampling.LANCZOS)
    crop_mask = Image.fromarray(mask[y0:y1, x0:x1].astype(np.float32)).resize(size, Image.Resampling.BILINEAR)
    return np.asarray(crop), np.clip(np.asarray(crop_mask), 0.0, 1.0)


def _paste(image: np.ndarray, mask: np.ndarray, generated: np.ndarray, region, blur: int) -> np.ndarray:
    """The generated region, scaled back to its box, blended in through the feathered mask."""
    (x0, y0, x1, y1), _ = region
    back = np.asarray(Image.fromarray(generated).resize((x1 - x0, y1 - y0), Image.Resampling.LANCZOS))
    out = image.copy()
    out[y0:y1, x0:x1] = _composite_back(image[y0:y1, x0:x1], back, mask[y0:y1, x0:x1], blur)
    return out
