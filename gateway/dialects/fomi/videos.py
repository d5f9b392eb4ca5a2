"""Seed 004's video generation (FOMI): the code of protos/backdrop/fomi/v1/videos.proto.

A video is a generation job like an image (gateway/generation.py: the same prompt
checks and content policy, the same charge, refund, cancel and WebSocket progress),
with its video options (jobs.proto VideoOptions) for the inference service's
services/inference/pipeline/video_diffusion.py. Every client-controlled cost is
bounded: seconds by the plan's maxVideoDuration (GET /subscription), fps and
resolution by the plan (plans.json dialects.fomi.video), frames in all.
"""

from __future__ import annotations

import secrets
import uuid

from google.protobuf import json_format

import grpc

from backdrop.billing.v1 import billing_pb2
from backdrop.fomi.v1 import videos_pb2, videos_pb2_grpc
from backdrop.jobs.v1 import jobs_pb2
from gateway import options, rest
from gateway.generation import STATUS, clean_prompt, generation_options, progress_message, with_timing
from services.inference.pipeline.video_diffusion import CAMERA_MOVEMENTS, MODES, estimated_steps, frame_count, result_keys, unsupported_camera
from services.runtime import envelopes, identity
from services.runtime.clock import iso_stamp
from services.runtime.config import env_int
from services.runtime.errors import ServiceError, invalid, not_found, video_unavailable
from services.runtime.identity import Identity

FOMI = envelopes.FOMI
MODEL = "stable-video-diffusion"
FPS = (24, 30, 60)
# The short side's pixels of each resolution.
RESOLUTIONS = {"720p": 720, "1080p": 1080, "4k": 2160}
ASPECT_RATIOS = ("16:9", "9:16", "1:1")
MAX_DURATION = 60  # seconds: the largest plan's maxVideoDuration


def output_size(resolution: str, aspect: str) -> tuple[int, int]:
    """Width and height of the MP4 (even, for H.264's 4:2:0)."""
    short = RESOLUTIONS[resolution]
    w, h = (int(part) for part in aspect.split(":"))
    long = round(short * max(w, h) / min(w, h) / 2) * 2
    return (long, short) if w >= h else (short, long)


def _denied(message: str, **details) -> ServiceError:
    return ServiceError(grpc.StatusCode.PERMISSION_DENIED, "PERMISSION_DENIED", message, details=details)


class FomiVideos(videos_pb2_grpc.FomiVideosServicer):
    def __init__(self, gateway):
        # The GatewayServicer: its job flow (removal.submit), billing, object store and URL signer.
        self.gateway = gateway

    async def _plan_video(self, caller: Identity) -> tuple[str, dict, dict]:
        """The caller's plan name, limits and video caps as seed 004 shows them."""
        view = await self.gateway.billing.GetPlanView(billing_pb2.PlanViewRequest(user_id=caller.user_id, plan=caller.plan, dialect=FOMI.name))
        shown = json_format.MessageToDict(view.view)
        return view.plan, shown.get("limits", {}), shown.get("video", {})

    async def _video_options(self, caller: Identity, request, default: jobs_pb2.VideoOptions | None = None) -> jobs_pb2.VideoOptions:
        default = default or jobs_pb2.VideoOptions(duration=5, fps=24, resolution="720p", aspect_ratio="16:9", motion_strength=0.5, camera_movement="static")
        plan, limits, caps = await self._plan_video(caller)
        duration = options.number(str(request.duration or ""), "duration", 1, MAX_DURATION, default.duration)
        most = limits.get("maxVideoDuration", MAX_DURATION)
        if duration > most:
            raise _denied(f"The {plan} plan makes videos of at most {most:g} seconds; {duration:g} were asked for", maxVideoDuration=most, plan=plan)
        fps = request.fps or default.fps
        if fps not in FPS:
            raise invalid("INVALID_PARAMETER", f"fps must be one of {', '.join(map(str, FPS))}", field="fps")
        if fps > caps.get("maxFps", max(FPS)):
            raise _denied(f"The {plan} plan makes videos of at most {caps['maxFps']:g} fps", maxFps=caps["maxFps"], plan=plan)
        resolution = options.choice(request.resolution or default.resolution, tuple(RESOLUTIONS), "resolution")
        top = caps.get("maxResolution", "4k")
        if RESOLUTIONS[resolution] > RESOLUTIONS[top]:
            raise _denied(f"The {plan} plan makes videos of at most {top}", maxResolution=top, plan=plan)
        camera = (request.cameraMovement or default.camera_movement).strip().lower()
        if camera not in CAMERA_MOVEMENTS:
            raise unsupported_camera(camera)
        video = jobs_pb2.VideoOptions(
            duration=duration, fps=fps, resolution=resolution,
            aspect_ratio=options.choice(request.aspectRatio or default.aspect_ratio, ASPECT_RATIOS, "aspectRatio"),
            motion_strength=options.number(str(request.motionStrength or ""), "motionStrength", 0.1, 1, default.motion_strength),
            camera_movement=camera,
        )
        frames = frame_count(duration, fps)
        if frames > env_int("DIFFUSION_VIDEO_MAX_FRAMES", 1800):
            raise invalid("INVALID_PARAMETER", f"At most {env_int('DIFFUSION_VIDEO_MAX_FRAMES', 1800)} frames (duration x fps) per video", field="duration")
        return video

    async def _require_models(self, text: bool) -> None:
        if not await self.gateway.removal.ready("video") or (text and not await self.gateway.removal.ready("diffusion")):
            raise video_unavailable()

    def _model(self, request) -> None:
        options.choice(request.model or MODEL, (MODEL,), "model")

    async def _submit(self, context, caller: Identity, generate: jobs_pb2.GenerateOptions, input_key: str = "") -> videos_pb2.VideoGenerationResponse:
        video = generate.video
        generate.width, generate.height = output_size(video.resolution, video.aspect_ratio)
        job, _ = await self.gateway.removal.submit(
            caller, b"", generate, self.gateway.v1_max_bytes, stored_key=input_key, wait=False,
            idempotency_key=rest.idempotency_key(context), image_count=1,
            output_pixels=frame_count(video.duration, video.fps) * generate.width * generate.height, dialect=FOMI.name,
        )
        await rest.set_status(context, 200 if job.status == jobs_pb2.JOB_STATUS_COMPLETED else 202)
        return videos_pb2.VideoGenerationResponse(success=True, generation=self._generation(job))

    def _generation(self, job: jobs_pb2.Job) -> videos_pb2.VideoGeneration:
        generate, video, made = job.generate, job.generate.video, job.result.generated_video
        keys = result_keys(job.id)
        links = {name: "" if job.expired else self.gateway.signer.url(key) for name, key in keys.items()}  # expired: files gone
        generation = videos_pb2.VideoGeneration(
            id=job.id, status=STATUS.get(job.status, "pending"), progress=job.progress, prompt=generate.request_prompt or generate.prompt,
            model=MODEL, createdAt=iso_stamp(job.created_at),
            video=videos_pb2.GeneratedVideo(
                url=links["video"], thumbnail=links["thumbnail"], preview=links["preview"], duration=video.duration, fps=video.fps,
                resolution=video.resolution, fileSize=made.file_size, seed=generate.seed, width=generate.width, height=generate.height,
                frames=frame_count(video.duration, video.fps), filtered=made.filtered,
            ),
            settings=videos_pb2.VideoSettings(
                duration=video.duration, fps=video.fps, resolution=video.resolution, guidanceScale=generate.guidance_scale,
                steps=generate.steps, aspectRatio=video.aspect_ratio, motionStrength=video.motion_strength, cameraMovement=video.camera_movement,
            ),
            sourceVideoId=video.source_id,
        )
        return with_timing(generation, job, estimated_steps(generate))

    async def _own(self, context, generation_id: str, field: str = "id") -> jobs_pb2.Job:
        caller = identity.required(context)
        try:
            job_id = str(uuid.UUID(generation_id.strip()))
        except ValueError:
            raise not_found("NOT_FOUND", "No such video generation", field=field) from None
        job = await self.gateway.jobs.GetJob(jobs_pb2.GetJobRequest(job_id=job_id, owner_id=caller.user_id))
        if job.WhichOneof("operation") != "generate" or job.generate.mode not in MODES:
            raise not_found("NOT_FOUND", "No such video generation", field=field)
        return job

    @rest.endpoint(FOMI)
    async def GenerateVideo(self, request, context):
        caller = identity.required(context)
        self._model(request)
        generate = generation_options(request, steps_default=25)
        style = " ".join(request.style.split())[:100]
        generate.request_prompt = clean_prompt(request.prompt)
        generate.prompt = clean_prompt(request.prompt + (f", {style}" if style else ""))
        generate.mode = "video"
        generate.video.CopyFrom(await self._video_options(caller, request))
        await self._require_models(text=True)
        return await self._submit(context, caller, generate)

    @rest.endpoint(FOMI)
    async def GetVideoGeneration(self, request, context):
        job = await self._own(context, request.id)
        return videos_pb2.VideoGenerationResponse(success=job.status != jobs_pb2.JOB_STATUS_FAILED, generation=self._generation(job))

    @rest.endpoint(FOMI)
    async def CancelVideoGeneration(self, request, context):
        job = await self._own(context, request.id)
        cancelled = await self.gateway.jobs.CancelJob(jobs_pb2.CancelJobRequest(job_id=job.id, owner_id=job.owner_id))
        return videos_pb2.VideoGenerationResponse(success=True, generation=self._generation(cancelled))

    @rest.endpoint(FOMI)
    async def GetVideoGenerationProgress(self, request, context):
        job = await self._own(context, request.id)
        status = STATUS.get(job.status, "pending")
        return videos_pb2.VideoGenerationProgress(success=status != "failed", progress=job.progress, status=status, message=progress_message(job))

    @rest.endpoint(FOMI)
    async def CreateVideoVariations(self, request, context):
        """A frame of one of the caller's finished videos, changed by `strength` toward the
        prompt and animated again; what the request leaves out is the source video's."""
        caller = identity.required(context)
        self._model(request)
        if not request.videoId.strip():
            raise invalid("INVALID_PARAMETER", "videoId is required: the id of one of your video generations", field="videoId")
        source = await self._own(context, request.videoId, "videoId")
        if source.status != jobs_pb2.JOB_STATUS_COMPLETED or source.expired:
            raise invalid("INVALID_PARAMETER", "videoId names a video that is not done (or whose files have expired)", field="videoId")
        before = source.generate
        if not request.prompt.strip():
            request.prompt = before.request_prompt or before.prompt
        if not request.HasField("seed"):
            request.seed = (before.seed + 1 + secrets.randbelow(2**31 - 2)) % 2**31  # a new seed, never the source's
        generate = generation_options(request, steps_default=before.steps or 25)
        generate.request_prompt = generate.prompt = clean_prompt(request.prompt)
        generate.mode = "video_variation"
        generate.strength = options.number(str(request.strength or ""), "strength", 0.1, 1, 0.6)
        generate.video.CopyFrom(await self._video_options(caller, request, before.video))
        generate.video.source_id = source.id
        generate.video.source_time = options.number(str(request.time or ""), "time", 0, before.video.duration, 0.0)
        await self._require_models(text=False)
        return await self._submit(context, caller, generate, source.result.result_key)
