"""Seed 000's videos: POST /v1/process/remove-background-video.

The request is a client stream of HttpBody chunks (Envoy passes the body on as it
arrives), parsed here as multipart on the fly: the `file` part goes to a temporary
file, never whole in memory, up to MAX_VIDEO_MB (seed 000: 500 MB). The file is
probed by ffmpeg before anything is charged (container, codec, duration, size, fps:
a 400 that names the limit), stored in the object store in parts, priced per second
and megapixel, and queued as a job: always 202 with seed 000's BatchJob. Progress
per frame is the job's (GET /v1/process/jobs/{id}, its /events, webhooks); the
result is the job's file (results[0].image).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import uuid

import grpc

from backdrop.jobs.v1 import jobs_pb2, webhooks_pb2
from gateway import multipart, rest
from gateway.process import MB
from services.inference.pipeline import ffmpeg
from services.runtime import envelopes, identity, netguard
from services.runtime.colour import parse_colour
from services.runtime.config import env_float, env_int
from services.runtime.errors import ServiceError, file_too_large, invalid
from services.runtime.identity import Identity

OUTPUT_FORMATS = ("webm", "mov", "mp4", "gif", "matte", "png")
# What ffmpeg's probe calls the containers and codecs taken (MP4/MOV, WebM/Matroska).
CONTAINERS = ("mov,mp4", "matroska,webm")
CODECS = {"h264": "H.264", "hevc": "H.265", "vp9": "VP9", "vp8": "VP8", "prores": "ProRes", "av1": "AV1"}
EXTENSIONS = {"mov,mp4": "mp4", "matroska,webm": "webm"}
FIELDS = ("output_format", "bg_color", "background_id", "blur_strength", "smoothing", "keep_audio", "model", "quality", "video_url", "project_id")


def limits() -> dict[str, float]:
    return {
        "max_bytes": env_int("MAX_VIDEO_MB", 500) * MB,
        "max_seconds": env_float("MAX_VIDEO_SECONDS", 60.0),
        "max_long_side": env_int("MAX_VIDEO_LONG_SIDE", 1920),
        "max_short_side": env_int("MAX_VIDEO_SHORT_SIDE", 1080),
        "max_fps": env_float("MAX_VIDEO_FPS", 60.0),
        "max_frames": env_int("MAX_VIDEO_FRAMES", 3600),
    }


class _Upload:
    """What the stream carried: the file (on disk) and the text fields."""

    def __init__(self) -> None:
        self.path = ""
        self.size = 0
        self.fields: dict[str, str] = {}

    def close(self) -> None:
        if self.path:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)


async def receive(stream, max_bytes: int) -> _Upload:
    """Parses multipart/form-data from the stream of HttpBody chunks as they come: `file` is
    written to a temporary file; other parts are small text fields (unknown ones are read
    and dropped); every size a client controls is bounded."""
    upload = _Upload()
    buffer = bytearray()
    delimiter = b""
    chunks = stream.__aiter__()
    content_type = ""
    ended = False
    received = 0

    async def more() -> bool:
        nonlocal content_type, ended, received
        if ended:
            return False
        try:
            message = await chunks.__anext__()
        except StopAsyncIteration:
            ended = True
            return False
        content_type = content_type or message.content_type
        buffer.extend(message.data)
        received += len(message.data)
        if received > max_bytes + MB:  # the file and its options, whatever the parts are called
            raise file_too_large(max_bytes, f"The request is larger than {max_bytes // MB} MB")
        return True

    while len(buffer) < 80 and await more():
        pass
    boundary = multipart._boundary(content_type, bytes(buffer[:80]))
    delimiter = b"--" + boundary
    if not buffer.startswith(delimiter):
        raise invalid("INVALID_MULTIPART", "The body does not start with the multipart boundary")
    del buffer[: len(delimiter)]
    separator = b"\r\n" + delimiter
    parts = 0
    try:
        while True:
            while len(buffer) < 2 and await more():
                pass
            if buffer.startswith(b"--"):
                return upload  # the closing delimiter
            while (end := buffer.find(b"\r\n\r\n")) < 0:
                if len(buffer) > multipart.MAX_HEADER_BYTES or not await more():
                    raise invalid("INVALID_MULTIPART", "A multipart part's headers are missing or too long")
            parts += 1
            if parts > len(FIELDS) + 4:
                raise invalid("INVALID_MULTIPART", f"Send at most {len(FIELDS) + 1} parts: file and the options")
            name, filename, _ = multipart._headers(bytes(buffer[2:end]))
            del buffer[: end + 4]
            sink = None
            if name == "file":
                if upload.path:
                    raise invalid("INVALID_PARAMETER", "Send one file", field="file")
                fd, upload.path = tempfile.mkstemp(prefix="backdrop-video-")
                sink = os.fdopen(fd, "wb")
            text = bytearray()
            try:
                while True:
                    found = buffer.find(separator)
                    # Bytes that cannot be the start of the separator are the part's.
                    ready = found if found >= 0 else max(0, len(buffer) - len(separator))
                    if ready:
                        if sink is not None:
                            upload.size += ready
                            if upload.size > max_bytes:
                                raise file_too_large(max_bytes, f"The video is larger than {max_bytes // MB} MB")
                            await asyncio.to_thread(sink.write, bytes(buffer[:ready]))
                        elif name in FIELDS:
                            text.extend(buffer[:ready])
                            if len(text) > multipart.MAX_TEXT_FIELD_BYTES:
                                raise invalid("INVALID_PARAMETER", f"{name} is too long", field=name)
                        del buffer[:ready]
                    if found >= 0:
                        del buffer[: len(separator)]
                        break
                    if not await more():
                        raise invalid("INVALID_MULTIPART", "The multipart body ends inside a part")
            finally:
                if sink is not None:
                    sink.close()
            if name in FIELDS and name != "file":
                value = text.decode("utf-8", errors="replace")
                if "\x00" in value:
                    raise invalid("INVALID_PARAMETER", f"{name} may not contain NUL characters", field=name)
                upload.fields[name] = value.strip()
            del filename
    except BaseException:
        upload.close()
        raise


def check_probe(info: ffmpeg.Probe) -> None:
    """The 400s for what this service does not take, each naming the limit."""
    limit = limits()
    if not any(info.container.startswith(c) for c in CONTAINERS):
        raise invalid("UNSUPPORTED_CONTAINER", f"Send an MP4, MOV or WebM video (this is {info.container.split(',')[0]})")
    if info.codec not in CODECS:
        raise invalid(
            "UNSUPPORTED_CODEC",
            f"The video codec {info.codec} is not supported; send {', '.join(CODECS.values())}",
            codec=info.codec, supported=",".join(CODECS),
        )
    if info.frames <= 0 or info.fps <= 0:
        raise invalid("INVALID_VIDEO", "The video has no frames")
    if info.duration_s > limit["max_seconds"]:
        raise invalid("VIDEO_TOO_LONG", f"The video is {info.duration_s:.1f} s long; at most {limit['max_seconds']:.0f} s", max_seconds=limit["max_seconds"])
    long_side, short_side = max(info.width, info.height), min(info.width, info.height)
    if long_side > limit["max_long_side"] or short_side > limit["max_short_side"]:
        raise invalid(
            "VIDEO_TOO_LARGE",
            f"The video is {info.width}x{info.height}; at most {limit['max_long_side']}x{limit['max_short_side']} (either orientation)",
        )
    if info.fps > limit["max_fps"]:
        raise invalid("VIDEO_FPS_TOO_HIGH", f"The video runs at {info.fps:g} fps; at most {limit['max_fps']:g}")
    if info.frames > limit["max_frames"]:
        raise invalid("VIDEO_TOO_LONG", f"The video has {info.frames} frames; at most {limit['max_frames']}")


def _fraction(fields: dict, name: str, default: float) -> float:
    text = fields.get(name, "")
    try:
        value = float(text) if text else default
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise invalid("INVALID_PARAMETER", f"{name} must be a number from 0 to 1", field=name)
    return value


def parse_options(fields: dict) -> jobs_pb2.VideoRemovalOptions:
    fmt = (fields.get("output_format") or "webm").lower()
    if fmt not in OUTPUT_FORMATS:
        raise invalid("INVALID_PARAMETER", f"output_format must be one of {', '.join(OUTPUT_FORMATS)}", field="output_format")
    colour = fields.get("bg_color", "")
    if colour:
        try:
            parse_colour(colour)
        except ValueError as exc:
            raise invalid("INVALID_PARAMETER", f"bg_color: {exc}", field="bg_color") from None
    keep = (fields.get("keep_audio") or "true").lower()
    if keep not in ("true", "false", "1", "0", "yes", "no"):
        raise invalid("INVALID_PARAMETER", "keep_audio must be true or false", field="keep_audio")
    quality = (fields.get("quality") or "").lower()
    if quality and quality not in ("low", "medium", "high", "ultra"):
        raise invalid("INVALID_PARAMETER", "quality must be one of low, medium, high, ultra", field="quality")
    return jobs_pb2.VideoRemovalOptions(
        output_format=fmt, bg_color=colour, blur_strength=_fraction(fields, "blur_strength", 0.0),
        smoothing=_fraction(fields, "smoothing", 0.6), keep_audio=keep in ("true", "1", "yes"),
        model=(fields.get("model") or "").lower(), quality=quality,
    )


class VideoEndpoints:
    """Mixed into the gateway's servicer (gateway/server.py)."""

    async def RemoveBackgroundVideo(self, request_iterator, context):
        try:
            return await self._remove_background_video(request_iterator, context)
        except ServiceError as error:
            await rest.abort(context, error, envelopes.BACKDROP)
        except grpc.aio.AioRpcError as failed:
            await rest.abort(context, ServiceError.from_rpc_error(failed), envelopes.BACKDROP)

    async def _video_project(self, caller: Identity, project_id: str) -> str:
        """The caller's project of type video that the finished video is filed in (seed 000's
        projects); another user's is 404 PROJECT_NOT_FOUND, checked before anything is charged."""
        project = await self.projects.GetProject(webhooks_pb2.GetProjectRequest(id=project_id.strip(), owner_id=caller.user_id))
        if project.type != "video":
            raise invalid(
                "PROJECT_TYPE_MISMATCH", f"project_id: project {project.id} is of type {project.type}; videos are filed in projects of type video",
                field="project_id",
            )
        return project.id

    async def _remove_background_video(self, request_iterator, context):
        caller = identity.required(context)
        limit = limits()
        upload = await receive(request_iterator, int(limit["max_bytes"]))
        try:
            if not upload.path and upload.fields.get("video_url"):
                # A URL: fetched through the SSRF guard, bounded by the same size.
                data = await netguard.fetch_async(upload.fields["video_url"], int(limit["max_bytes"]), field="video_url")
                fd, upload.path = tempfile.mkstemp(prefix="backdrop-video-")
                with os.fdopen(fd, "wb") as sink:
                    await asyncio.to_thread(sink.write, data)
                upload.size = len(data)
                del data
            if not upload.path or not upload.size:
                raise invalid("NO_FILE", "Send the video as the multipart field `file`, or its address as `video_url`", field="file")
            options = parse_options(upload.fields)
            if upload.fields.get("project_id"):
                options.project_id = await self._video_project(caller, upload.fields["project_id"])
            try:
                info = await asyncio.to_thread(ffmpeg.probe, upload.path)
            except ffmpeg.FfmpegError as exc:
                raise invalid("INVALID_VIDEO", f"The file is not a video ffmpeg can read ({exc.message})", field="file") from None
            check_probe(info)
            options.frames, options.duration_seconds = info.frames, info.duration_s
            if upload.fields.get("background_id"):
                options.background_key = await self.background_key(caller, upload.fields["background_id"])
            if options.model:
                named = jobs_pb2.RemoveBackgroundOptions(model=options.model)
                await self.removal.check_model(named)  # an alias becomes the model's name
                options.model = named.model
            key = f"uploads/videos/{uuid.uuid4()}/original.{EXTENSIONS[next(c for c in CONTAINERS if info.container.startswith(c))]}"
            await self.store.put_file(key, upload.path, "video/webm" if info.container.startswith("matroska") else "video/mp4")
        finally:
            upload.close()
        seconds = max(info.duration_s, info.frames / info.fps)
        try:
            job, charged = await self.removal.submit(
                caller, b"", options, 0, wait=False, stored_key=key,
                output_pixels=round(seconds * info.width * info.height),
            )
        except BaseException:
            await self.store.delete(key)
            raise
        await rest.set_status(context, 202)
        return self._job_status(job)
