"""M10: the upscale output cap holds at the factor the model really runs at."""

from __future__ import annotations

import asyncio
import io

import numpy as np
import pytest
from PIL import Image

from backdrop.jobs.v1 import jobs_pb2
from services.inference.operations import Operations
from services.runtime.errors import ServiceError


class Store:
    def __init__(self, data: bytes):
        self.data = data

    async def get(self, key):
        return self.data


class Server:
    """Returns grey tiles at the model's factor and counts its calls."""

    def __init__(self, scale: int):
        self.scale, self.calls = scale, 0

    async def infer(self, name, tensor):
        self.calls += 1
        n, _, height, width = tensor.shape
        return np.full((n, 3, height * self.scale, width * self.scale), 0.5, np.float32)


def png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def upscale(model: str, scale: int, server: Server):
    operations = Operations(Store(png(40, 40)), server)
    return asyncio.run(operations.upscale("input", jobs_pb2.UpscaleOptions(scale=scale, model=model), {}))


def test_a_4x_model_serving_scale_2_is_refused_when_its_4x_result_passes_the_cap(monkeypatch):
    monkeypatch.setenv("UPSCALE_MAX_OUTPUT_PIXELS", "10000")  # 40x40 at 2x is 6400 pixels, at 4x 25600
    server = Server(4)
    with pytest.raises(ServiceError) as refused:
        upscale("realesrgan-x4plus", 2, server)
    assert refused.value.reason == "IMAGE_TOO_LARGE" and "upscales by 4" in str(refused.value)
    assert server.calls == 0  # refused before any tile ran or the 4x result was allocated
    output, _ = upscale("realesr-animevideov3-x2", 2, Server(2))  # a 2x model fits the same cap
    assert output.image.size == (80, 80)


def test_a_4x_model_serving_scale_2_within_the_cap_delivers_the_2x_size(monkeypatch):
    monkeypatch.setenv("UPSCALE_MAX_OUTPUT_PIXELS", "30000")
    output, model = upscale("realesrgan-x4plus", 2, Server(4))
    assert output.image.size == (80, 80) and model == "realesrgan-x4plus"
