"""The gateway's streamed multipart parser for video uploads (gateway/video.py), and the
probe checks that refuse a video before the charge."""

from __future__ import annotations

import asyncio
import os

import pytest
from google.api import httpbody_pb2

from gateway import video
from services.inference.pipeline import ffmpeg
from services.runtime.errors import ServiceError

BOUNDARY = "xYz123"


def body(parts: list[tuple[str, str | None, bytes]]) -> bytes:
    out = b""
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out += f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + data + b"\r\n"
    return out + f"--{BOUNDARY}--\r\n".encode()


async def stream(data: bytes, size: int):
    for start in range(0, len(data), size):
        yield httpbody_pb2.HttpBody(content_type=f"multipart/form-data; boundary={BOUNDARY}", data=data[start : start + size])


def receive(data: bytes, size: int = 7, limit: int = 10_000):
    return asyncio.run(video.receive(stream(data, size), limit))


@pytest.mark.parametrize("size", [1, 7, 64, 100_000])
def test_the_file_and_fields_arrive_whatever_the_chunks(size):
    payload = os.urandom(3000) + f"\r\n--{BOUNDARY[:-1]}".encode() + os.urandom(100)  # a near-delimiter inside
    upload = receive(body([("output_format", None, b"mov"), ("file", "a.mp4", payload), ("extra", None, b"dropped")]), size)
    try:
        with open(upload.path, "rb") as f:
            assert f.read() == payload
        assert upload.size == len(payload) and upload.fields == {"output_format": "mov"}
    finally:
        upload.close()
    assert not os.path.exists(upload.path)


def test_a_file_past_the_limit_is_413_and_leaves_nothing():
    with pytest.raises(ServiceError) as refused:
        receive(body([("file", "a.mp4", b"x" * 20_000)]), size=1000)
    assert refused.value.reason == "FILE_TOO_LARGE"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"not multipart at all", "INVALID_MULTIPART"),
        (body([("file", "a.mp4", b"abc")])[:-30], "INVALID_MULTIPART"),  # cut off inside the part
        (f"--{BOUNDARY}\r\n".encode() + b"X" * 9000, "INVALID_MULTIPART"),  # headers that never end
    ],
)
def test_broken_bodies_are_400s(data, reason):
    with pytest.raises(ServiceError) as refused:
        receive(data)
    assert refused.value.reason == reason


def test_options_are_checked():
    assert video.parse_options({}).output_format == "webm"
    for fields, field in (({"output_format": "avi"}, "output_format"), ({"smoothing": "2"}, "smoothing"),
                          ({"bg_color": "nope"}, "bg_color"), ({"keep_audio": "maybe"}, "keep_audio")):
        with pytest.raises(ServiceError) as refused:
            video.parse_options(fields)
        assert refused.value.reason == "INVALID_PARAMETER" and field in refused.value.message


def probe(**changes) -> ffmpeg.Probe:
    base = dict(container="mov,mp4,m4a,3gp,3g2,mj2", codec="h264", width=1920, height=1080, fps=30.0, duration_s=60.0,
                frames=1800, has_audio=True, audio_codec="aac", alpha=False)
    return ffmpeg.Probe(**{**base, **changes})


@pytest.mark.parametrize(
    ("changes", "reason"),
    [({"container": "avi"}, "UNSUPPORTED_CONTAINER"), ({"codec": "mpeg4"}, "UNSUPPORTED_CODEC"), ({"duration_s": 61.0}, "VIDEO_TOO_LONG"),
     ({"width": 2560, "height": 1440}, "VIDEO_TOO_LARGE"), ({"fps": 120.0}, "VIDEO_FPS_TOO_HIGH"), ({"frames": 0}, "INVALID_VIDEO")],
)
def test_probe_limits(changes, reason):
    video.check_probe(probe(width=1080, height=1920))  # portrait within the limits
    with pytest.raises(ServiceError) as refused:
        video.check_probe(probe(**changes))
    assert refused.value.reason == reason
