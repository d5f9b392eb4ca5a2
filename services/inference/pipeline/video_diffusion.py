"""Video generation (seed 004's /videos/generate and /videos/variations): Stable Video
Diffusion's image-to-video sampling here, every network on the inference server
(deploy/models/video.py builds the tiny ones the tests use, installs real exports).

A job runs in four stages, each reporting progress:

1. The first frame. Text-to-video draws it from the prompt with the image pipeline
   (services/inference/generation.py, the same job and its safety filter);
   a variation takes a frame of the source video (decoded by ffmpeg) and changes it
   toward the prompt by `strength` with the same pipeline's image-to-image.
2. Keyframes. SVD generates clips of SEGMENT frames (14) at its trained frame rate
   (KEYFRAME_FPS, 7): the video's keyframes are made clip by clip, each clip after
   the first starting from the previous clip's last frame (SVD's way past one
   clip). A clip is conditioned on its start frame's CLIP image embedding and,
   frame by frame, on the VAE latent of that frame moved by the camera (pan, zoom,
   rotate: an affine transform growing with the frame's time and motionStrength).
   The sampler is SVD's: Euler on Karras sigmas (EDM preconditioning,
   v-prediction), guidance rising from 1 at a clip's first frame to
   guidanceScale / 2.5 at its last (SVD's 1 to 3 for the documented 7.5),
   added_time_ids = (keyframe fps - 1, motionStrength x 255, noise augmentation).
   Noise comes from the seed: the same seed gives the same video, byte for byte.
3. Decoding: the temporal VAE decoder, a segment at a time.
4. Output: keyframes blended (linear, not motion-compensated) to fps x duration
   frames at the asked size, encoded as H.264 MP4 by services/inference/pipeline/ffmpeg.py,
   a low-quality preview MP4 and a JPEG thumbnail of the first frame.

Generation happens at GENERATION_SIDE pixels on the short side (SVD's 576), scaled
to the output resolution: memory and model calls are bounded by the keyframes, not
by fps or resolution.
"""

from __future__ import annotations

import asyncio
import io
import math
import pathlib
import tempfile
import time
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from backdrop.jobs.v1 import jobs_pb2
from services.inference.pipeline import diffusion as sd
from services.inference.pipeline import ffmpeg
from services.runtime import images
from services.runtime.config import env_float, env_int
from services.runtime.errors import invalid, video_unavailable

if TYPE_CHECKING:  # the gateway imports this module's bounds and keys, not the inference client
    from services.inference.triton import InferenceServer
    from services.runtime.objectstore import ObjectStore

IMAGE_ENCODER, UNET, VAE_DECODER, VAE_ENCODER = "video-image-encoder", "video-unet", "video-vae-decoder", "video-vae-encoder"
MODELS = (IMAGE_ENCODER, UNET, VAE_DECODER, VAE_ENCODER)
CAMERA_MOVEMENTS = ("static", "pan", "zoom", "rotate")
MODES = ("video", "video_variation")
# SVD's scheduler (EulerDiscreteScheduler, Karras sigmas) and conditioning.
SIGMA_MIN, SIGMA_MAX, RHO = 0.002, 700.0, 7.0
NOISE_AUG = 0.02
CLIP_SIDE = 224
CLIP_MEAN = np.array([0.48145466, 0.4578275, 0.40821073], np.float32)
CLIP_STD = np.array([0.26862954, 0.26130258, 0.27577711], np.float32)
PREVIEW_FPS = 12
QUALITY, PREVIEW_QUALITY = 80, 50  # ffmpeg.encode's 1-100: the preview is the low-quality one


def generation_side() -> int:
    return env_int("DIFFUSION_VIDEO_SIDE", 576)


def keyframe_fps() -> int:
    return env_int("DIFFUSION_VIDEO_KEYFRAME_FPS", 7)


def segment_frames() -> int:
    return max(2, env_int("DIFFUSION_VIDEO_SEGMENT", 14))


def result_keys(job_id: str) -> dict[str, str]:
    """Where a video generation's files are: known before they exist (replies link them at once)."""
    return {
        "video": f"results/{job_id}/video.mp4",
        "preview": f"results/{job_id}/preview.mp4",
        "thumbnail": f"results/{job_id}/thumbnail.jpg",
        "frame": f"results/{job_id}/source-frame.png",
    }


def generation_size(width: int, height: int, side: int) -> tuple[int, int]:
    """The size keyframes are generated at: `side` on the short side, the output's aspect, multiples of 64."""
    scale = side / min(width, height)
    return max(64, round(width * scale / 64) * 64), max(64, round(height * scale / 64) * 64)


def keyframe_count(duration: float, fps: int) -> int:
    return max(2, math.ceil(duration * fps) + 1)


def segments(count: int, length: int) -> list[range]:
    """Keyframe indices per UNet pass: clips of `length` frames, each after the first starting at
    the previous clip's last frame, which conditions it (SVD's way of going past one clip)."""
    clips, start = [], 0
    while True:
        stop = min(start + length, count)
        clips.append(range(start, stop))
        if stop == count:
            return clips
        start = stop - 1


def karras_sigmas(steps: int) -> np.ndarray:
    ramp = np.linspace(0, 1, steps)
    low, high = SIGMA_MIN ** (1 / RHO), SIGMA_MAX ** (1 / RHO)
    return np.append((high + ramp * (low - high)) ** RHO, 0.0).astype(np.float64)


def denoised(sample: np.ndarray, v: np.ndarray, sigma: float) -> np.ndarray:
    """EDM preconditioning with v-prediction: the model's estimate of the clean latent."""
    return sample / (sigma**2 + 1) + v * (-sigma / (sigma**2 + 1) ** 0.5)


def frame_guidance(count: int, scale: float) -> np.ndarray:
    """Per keyframe guidance, SVD's linear ramp from 1 to the clip's maximum."""
    return np.linspace(1.0, max(1.0, scale / 2.5), count).astype(np.float32)


def camera(image: np.ndarray, movement: str, amount: float) -> np.ndarray:
    """The frame moved by the camera by `amount` (0: not at all; 1: the whole move): a pan a tenth
    of the width to the right (zoomed in by up to 1.25 so the frame stays filled), a 1.3x zoom in,
    or a 15 degree turn (zoomed so no corner shows). Amount 0 is the frame itself, so clips that
    start from the previous clip's last frame carry the move on."""
    if movement == "static":
        return image
    height, width = image.shape[:2]
    cx, cy = width / 2, height / 2
    angle, shift = 0.0, 0.0
    if movement == "pan":
        zoom, shift = 1.0 + 0.25 * amount, 0.1 * width * amount
    elif movement == "zoom":
        zoom = 1.0 + 0.3 * amount
    elif movement == "rotate":
        angle = math.radians(15 * amount)
        zoom = abs(math.cos(angle)) + abs(math.sin(angle)) * max(width, height) / min(width, height)
    else:
        raise unsupported_camera(movement)
    cos, sin = math.cos(angle) / zoom, math.sin(angle) / zoom
    # PIL's affine maps each output pixel to the input pixel it shows.
    coefficients = (cos, sin, cx + shift - cos * cx - sin * cy, -sin, cos, cy + sin * cx - cos * cy)
    moved = Image.fromarray(image).transform((width, height), Image.Transform.AFFINE, coefficients, Image.Resampling.BILINEAR)
    return np.asarray(moved)


def unsupported_camera(movement: str):
    return invalid(
        "UNSUPPORTED_OPTION", f"cameraMovement {movement!r} is not supported: use one of {', '.join(CAMERA_MOVEMENTS)}",
        field="cameraMovement",
    )


def interpolated(keyframes: list[np.ndarray], duration: float, fps: int, size: tuple[int, int]):
    """The output frames: duration x fps, each the blend of the two keyframes around its time, at `size`."""
    count = round(duration * fps)
    last = len(keyframes) - 1
    for index in range(count):
        position = min(last, index / fps * keyframe_fps()) if count > 1 else 0.0
        low = int(position)
        high = min(last, low + 1)
        weight = position - low
        mixed = keyframes[low].astype(np.float32) * (1 - weight) + keyframes[high].astype(np.float32) * weight
        frame = Image.fromarray((mixed + 0.5).astype(np.uint8))
        yield np.asarray(frame.resize(size, Image.Resampling.BICUBIC) if frame.size != size else frame)


def frame_count(duration: float, fps: int) -> int:
    return round(duration * fps)


def preview_size(width: int, height: int) -> tuple[int, int]:
    """Half each side, even (H.264 4:2:0)."""
    return max(2, width // 4 * 2), max(2, height // 4 * 2)


class VideoGeneration:
    """Runs video generation jobs; `images` is the image pipeline that draws first frames."""

    def __init__(self, images_pipeline):
        self.images = images_pipeline
        self.store: ObjectStore = images_pipeline.store
        self.server: InferenceServer = images_pipeline.server

    async def available(self) -> bool:
        return all(await asyncio.gather(*(self.server.is_ready(model) for model in MODELS)))

    async def _image_embedding(self, rgb: np.ndarray) -> np.ndarray:
        clip = Image.fromarray(rgb).resize((CLIP_SIDE, CLIP_SIDE), Image.Resampling.BICUBIC)
        pixels = ((np.asarray(clip, np.float32) / 255.0 - CLIP_MEAN) / CLIP_STD).transpose(2, 0, 1)[np.newaxis]
        return await self.server.infer_named(IMAGE_ENCODER, {"pixel_values": np.ascontiguousarray(pixels)}, "image_embeds")

    async def _conditioning(self, frames: list[np.ndarray], seed: int) -> np.ndarray:
        """SVD's image latents: each (camera-moved) frame noise-augmented and VAE encoded, unscaled."""
        batch = np.concatenate([sd.image_to_tensor(frame) for frame in frames])
        batch = batch + NOISE_AUG * sd.noise(seed ^ 0x5EED, batch.shape)
        return await self.server.infer_named(VAE_ENCODER, {"sample": batch.astype(np.float32)}, "latent_sample")

    async def run(self, item: jobs_pb2.WorkItem, timings: dict, progress) -> jobs_pb2.JobResult:
        options, video = item.generate, item.generate.video
        started = time.perf_counter()
        if not await self.available():
            raise video_unavailable()
        if video.camera_movement not in CAMERA_MOVEMENTS:
            raise unsupported_camera(video.camera_movement)
        width, height = options.width, options.height
        gen_width, gen_height = generation_size(width, height, generation_side())
        keys = result_keys(item.job_id)

        def staged(low: int, high: int, prefix: str = ""):
            """The stage's 0-100 as its share of the job's progress."""
            async def report(percent: int, message: str) -> None:
                await progress(low + (high - low) * percent // 100, prefix + message)
            return report

        first, filtered = await self._first_frame(item, (gen_width, gen_height), staged(0, 15, "First frame: "))
        count = keyframe_count(video.duration, keyframe_fps())
        if filtered:  # the safety filter withheld the first frame: the video is black, nothing is animated
            keyframes = [np.zeros_like(first)] * count
        else:
            keyframes = await self._keyframes(options, first, count, staged(15, 85))
        timings["sampling_ms"] = round((time.perf_counter() - started) * 1000, 1)
        result = await self._encode(keys, keyframes, video, (width, height), staged(85, 99))
        result.seed, result.filtered = options.seed, filtered
        return jobs_pb2.JobResult(
            result_key=keys["video"], width=width, height=height, format="mp4", content_type="video/mp4",
            processing_seconds=time.perf_counter() - started, model=UNET, generated_video=result,
        )

    async def _first_frame(self, item: jobs_pb2.WorkItem, size: tuple[int, int], progress) -> tuple[np.ndarray, bool]:
        """The frame the video starts from, at the generation size, and whether the safety filter withheld it."""
        options = item.generate
        first = jobs_pb2.GenerateOptions()
        first.CopyFrom(options)
        first.ClearField("video")
        first.width, first.height, first.num_images = size[0], size[1], 1
        work = jobs_pb2.WorkItem(job_id=item.job_id)
        if options.mode == "video_variation":
            source = await self._source_frame(item.input_key, options.video.source_time)
            frame = Image.fromarray(source).resize(size, Image.Resampling.LANCZOS)
            key = result_keys(item.job_id)["frame"]
            await self.store.put(key, await asyncio.to_thread(_png, frame), "image/png")
            first.mode, work.input_key = "variation", key
        else:
            first.mode = "text"
        work.generate.CopyFrom(first)
        result = await self.images.run(work, {}, progress)
        drawn = await self.store.get(result.images[0].key)
        pixels = np.asarray(images.decode_rgb(drawn).convert("RGB"))
        return pixels, result.images[0].filtered

    async def _source_frame(self, key: str, at: float) -> np.ndarray:
        data = await self.store.get(key)
        with tempfile.TemporaryDirectory() as folder:
            path = pathlib.Path(folder) / "source.mp4"
            path.write_bytes(data)
            try:
                frame = await asyncio.to_thread(frame_at, path, at)
            except ffmpeg.FfmpegError as failed:
                raise invalid("INVALID_VIDEO", f"The source video cannot be decoded: {failed.message}", field="videoId") from None
        if frame is None:
            raise invalid("INVALID_VIDEO", f"The source video has no frame at {at:g} s", field="time")
        return frame

    async def _keyframes(self, options: jobs_pb2.GenerateOptions, first: np.ndarray, count: int, progress) -> list[np.ndarray]:
        video = options.video
        fps_id, motion_bucket = keyframe_fps() - 1, round(255 * video.motion_strength)
        added = np.array([[fps_id, motion_bucket, NOISE_AUG]] * 2, np.float32)
        sigmas = karras_sigmas(options.steps)
        height, width = first.shape[:2]
        latent_shape = (count, 4, height // sd.VAE_FACTOR, width // sd.VAE_FACTOR)
        noise = sd.noise(options.seed, latent_shape)
        clips = segments(count, segment_frames())
        total = len(clips) * options.steps + count
        done, frames = 0, []
        for number, clip in enumerate(clips):
            anchor = frames[-1] if frames else first  # a later clip starts from the last frame made
            embedding = await self._image_embedding(anchor)
            context = np.concatenate([np.zeros_like(embedding), embedding])[:, np.newaxis]  # [uncond, cond] x 1 token x D
            moved = [camera(anchor, video.camera_movement, video.motion_strength * (index - clip.start) / (count - 1)) for index in clip]
            condition = (await self._conditioning(moved, options.seed + number))[np.newaxis]  # [1, F, 4, h, w]
            condition = np.concatenate([np.zeros_like(condition), condition])
            scale = frame_guidance(len(clip), options.guidance_scale).reshape(1, -1, 1, 1, 1)
            latent = noise[clip.start : clip.stop][np.newaxis] * sigmas[0]
            for step in range(options.steps):
                sigma = float(sigmas[step])
                scaled = latent / (sigma**2 + 1) ** 0.5
                sample = np.concatenate([np.concatenate([scaled, scaled]), condition], axis=2).astype(np.float32)
                t = np.float32(0.25 * math.log(sigma))
                v = await self.server.infer_named(
                    UNET, {"sample": sample, "timestep": np.array([t, t], np.float32), "encoder_hidden_states": context, "added_time_ids": added},
                    "out_sample",
                )
                v = v[:1] + scale * (v[1:] - v[:1])
                clean = denoised(latent, v, sigma)
                latent = (latent + (latent - clean) / sigma * (float(sigmas[step + 1]) - sigma)).astype(np.float32)
                done += 1
                await progress(
                    round(100 * done / total),
                    f"Generating frames {clip.start + 1}-{clip.stop} of {count}: step {step + 1} of {options.steps}",
                )
            decoded = await self.server.infer_named(VAE_DECODER, {"latent_sample": (latent[0] / sd.LATENT_SCALE).astype(np.float32)}, "sample")
            for index in range(1 if frames else 0, decoded.shape[0]):  # a later clip's first frame is the one before
                frames.append(sd.tensor_to_image(decoded[index : index + 1]))
                done += 1
                await progress(round(100 * done / total), f"Decoded frame {len(frames)} of {count}")
        return frames

    async def _encode(self, keys, keyframes, video: jobs_pb2.VideoOptions, size: tuple[int, int], progress) -> jobs_pb2.GeneratedVideo:
        """The MP4, its preview and thumbnail; progress per frame encoded."""
        count = frame_count(video.duration, video.fps)
        loop = asyncio.get_running_loop()
        reported = [-1]

        def encoded(frames):
            for index, frame in enumerate(frames):
                percent = 100 * (index + 1) // count
                if percent != reported[0]:
                    reported[0] = percent
                    asyncio.run_coroutine_threadsafe(progress(percent, f"Encoding frame {index + 1} of {count}"), loop).result()
                yield frame

        preview_fps = min(video.fps, PREVIEW_FPS)
        with tempfile.TemporaryDirectory() as folder:
            main, preview = pathlib.Path(folder) / "video.mp4", pathlib.Path(folder) / "preview.mp4"
            frames = encoded(interpolated(keyframes, video.duration, video.fps, size))
            await asyncio.to_thread(ffmpeg.encode, frames, video.fps, str(main), "mp4", quality=QUALITY)
            small = interpolated(keyframes, video.duration, preview_fps, preview_size(*size))
            await asyncio.to_thread(ffmpeg.encode, small, preview_fps, str(preview), "mp4", quality=PREVIEW_QUALITY)
            data = main.read_bytes()
            await self.store.put(keys["video"], data, "video/mp4")
            await self.store.put(keys["preview"], preview.read_bytes(), "video/mp4")
        first = Image.fromarray(keyframes[0]).resize(size, Image.Resampling.BICUBIC)
        await self.store.put(keys["thumbnail"], await asyncio.to_thread(images.thumbnail, first), "image/jpeg")
        return jobs_pb2.GeneratedVideo(
            key=keys["video"], thumbnail_key=keys["thumbnail"], preview_key=keys["preview"], duration=video.duration, fps=video.fps,
            frames=count, width=size[0], height=size[1], file_size=len(data),
        )


def frame_at(path: pathlib.Path, seconds: float) -> np.ndarray | None:
    """The video's frame at `seconds` (RGB), or None past its end: decoded up to it, then ffmpeg stops."""
    info = ffmpeg.probe(str(path))
    wanted = round(max(0.0, seconds) * (info.fps or 1))
    for index, frame in enumerate(ffmpeg.frames(str(path), info.width, info.height)):
        if index == wanted:
            return frame.copy()
    return None


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def working_bytes(options: jobs_pb2.GenerateOptions) -> int:
    """What a video job holds at most, about (services/inference/budget.py): every decoded keyframe,
    one clip's latents and conditioning for [uncond, cond] in float32, a frame being scaled, the MP4."""
    width, height = generation_size(options.width, options.height, generation_side())
    count = keyframe_count(options.video.duration, keyframe_fps())
    clip = min(count, segment_frames()) * (width // sd.VAE_FACTOR) * (height // sd.VAE_FACTOR)
    encoded = frame_count(options.video.duration, options.video.fps) * options.width * options.height // 10
    return count * width * height * 3 + clip * 4 * 16 * 4 + options.width * options.height * 3 * 4 + encoded


def estimated_steps(options: jobs_pb2.GenerateOptions) -> int:
    """UNet calls of a video job (the first frame's and the keyframes'), for completion estimates."""
    count = keyframe_count(options.video.duration, keyframe_fps())
    return options.steps * (1 + len(segments(count, segment_frames())))


def step_estimate_s() -> float:
    return env_float("DIFFUSION_STEP_ESTIMATE_S", 1.0)
