"""`make bench-operations`: issue 7's figures.

1. Per-operation time on a 1024x768 photo, through the inference service's
   own Operations code (decode, model, matting, compositing, encode, store),
   with the models run in-process by onnxruntime instead of over gRPC. Each
   is printed beside a baseline run in the same process: decoding the photo
   and encoding it as PNG, the least any operation does.
2. Peak memory of a tiled 2x upscale of a 2000x2000 image, against the same
   code on smaller images and against one untiled pass, each measured in a
   fresh process (peak RSS above the process's baseline).

Prints figures; asserts nothing.
"""

from __future__ import annotations

import asyncio
import io
import json
import pathlib
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
from PIL import Image

from backdrop.jobs.v1 import jobs_pb2
from tests.conftest import REPO

REPOSITORY = REPO / ".models" / "repository"


class InProcessModels:
    """The inference server's `infer`, run by onnxruntime in this process."""

    def __init__(self):
        import onnxruntime

        self.onnxruntime = onnxruntime
        self.sessions = {}

    def session(self, model: str):
        if model not in self.sessions:
            self.sessions[model] = self.onnxruntime.InferenceSession(
                str(REPOSITORY / model / "1" / "model.onnx"), providers=["CPUExecutionProvider"]
            )
        return self.sessions[model]

    async def infer(self, model: str, tensor: np.ndarray) -> np.ndarray:
        session = self.session(model)
        return session.run(None, {session.get_inputs()[0].name: tensor})[0]

    async def infer_named(self, model: str, inputs: dict[str, np.ndarray], output: str) -> np.ndarray:
        return self.session(model).run([output], inputs)[0].astype(np.float32)

    async def is_ready(self, model: str) -> bool:
        return (REPOSITORY / model / "1" / "model.onnx").is_file()


def photo(width: int = 1024, height: int = 768) -> bytes:
    from skimage import data

    image = Image.fromarray(data.astronaut()).resize((width, height), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=92)
    return buffer.getvalue()


OPERATIONS = {
    "remove background (u2netp, edge_refinement 0)": jobs_pb2.WorkItem(remove_background=jobs_pb2.RemoveBackgroundOptions(model="u2netp")),
    "remove background (edge_refinement 50)": jobs_pb2.WorkItem(remove_background=jobs_pb2.RemoveBackgroundOptions(model="u2netp", edge_refinement=50)),
    "bg_color + crop, jpg": jobs_pb2.WorkItem(
        remove_background=jobs_pb2.RemoveBackgroundOptions(model="u2netp", edge_refinement=50, bg_color="#1e90ff", crop=True, output_format="jpg")
    ),
    "replace background (image, overlay)": jobs_pb2.WorkItem(
        remove_background=jobs_pb2.RemoveBackgroundOptions(model="u2netp", edge_refinement=50, background_key="bench/background.png", blend_mode="overlay")
    ),
    "blur background (gaussian)": jobs_pb2.WorkItem(remove_background=jobs_pb2.RemoveBackgroundOptions(model="u2netp", edge_refinement=50, blur_strength=0.6)),
    "blur background (bokeh)": jobs_pb2.WorkItem(
        remove_background=jobs_pb2.RemoveBackgroundOptions(model="u2netp", edge_refinement=50, blur_strength=0.6, blur_style="bokeh")
    ),
    "enhance quality (all)": jobs_pb2.WorkItem(enhance=jobs_pb2.EnhanceOptions(enhancement="all", strength=0.6)),
    "upscale 2x (waifu2x)": jobs_pb2.WorkItem(upscale=jobs_pb2.UpscaleOptions(scale=2, model="waifu2x-upconv7-x2")),
    "upscale 4x (animevideov3)": jobs_pb2.WorkItem(upscale=jobs_pb2.UpscaleOptions(scale=4, model="realesr-animevideov3-x4")),
}


async def time_operations() -> None:
    from services.inference.operations import Operations
    from services.inference.pipeline import compose
    from services.runtime import images
    from services.runtime.objectstore import LocalObjectStore

    with tempfile.TemporaryDirectory() as folder:
        store = LocalObjectStore(folder)
        data = photo()
        await store.put("bench/photo.jpg", data, "image/jpeg")
        await store.put("bench/background.png", compose.encode_png(Image.new("RGB", (1920, 1080), (40, 90, 160))), "image/png")
        operations = Operations(store, InProcessModels())

        def baseline() -> None:
            compose.encode_png(images.decode_rgb(data))

        def median(call, runs: int = 3) -> float:
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                call()
                times.append(time.perf_counter() - start)
            return statistics.median(times)

        base = median(baseline, 5)
        print(f"1024x768 photo; baseline (decode + PNG encode): {base * 1000:.0f} ms")
        print(f"{'operation':48} {'ms':>8} {'x baseline':>11}")
        for name, item in OPERATIONS.items():
            item.input_key = "bench/photo.jpg"
            item.job_id = "bench"
            await operations.run(item, {})  # loads the model's session
            runs = []
            for _ in range(3):
                start = time.perf_counter()
                await operations.run(item, {})
                runs.append(time.perf_counter() - start)
            seconds = statistics.median(runs)
            print(f"{name:48} {seconds * 1000:8.0f} {seconds / base:11.1f}")


def peak_memory(side: int, tile: int) -> dict:
    """Runs one upscale in a fresh process; its peak RSS above the pre-run baseline, in MB."""
    code = f"""
import asyncio, json, resource, numpy as np
from services.inference.pipeline import upscale
from services.inference import models
from tests.bench.operations import InProcessModels
spec = models.UPSCALE_MODELS["waifu2x-upconv7-x2"]
server = InProcessModels()
asyncio.run(server.infer(spec.name, np.zeros((1, 3, 32, 32), np.float32)))
rgb = np.random.default_rng(0).integers(0, 255, ({side}, {side}, 3), dtype=np.uint8)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
tile = {tile} or {side}
out = np.empty(({side} * 2, {side} * 2, 3), np.uint8)
padded = upscale.padded_input(rgb, tile, spec.context)
grid = upscale.tile_grid({side}, {side}, tile)
for tiles, tensor in upscale.tile_batches(padded, grid, tile, spec.context, 4 if {tile} else 1):
    upscale.place(out, tiles, asyncio.run(server.infer(spec.name, tensor)), spec, tile)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"peak_mb": (after - before) / 1024, "output_mb": out.nbytes / 2**20}}))
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def memory() -> None:
    print("\ntiled 2x upscale (waifu2x), peak RSS above the process's baseline:")
    print(f"{'input':>12} {'tiles':>8} {'peak MB':>9} {'output MB':>10}")
    for side, tile in ((500, 0), (500, 128), (1000, 128), (2000, 128)):
        figures = peak_memory(side, tile)
        label = "untiled" if not tile else f"{tile}px"
        print(f"{side}x{side:<7} {label:>8} {figures['peak_mb']:9.0f} {figures['output_mb']:10.0f}")


def main() -> None:
    asyncio.run(time_operations())
    memory()


if __name__ == "__main__":
    main()
