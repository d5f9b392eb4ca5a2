"""`make bench-memory` (mesh part): does any process grow with the work it does?

Starts a mesh, warms it with one batch of 200 (models loaded, pools, caches
and PostgreSQL's buffers filled), then sends 1000 images in batches of 200
and prints every process's RSS (children included) after the warm-up and
after each batch, with the end/start ratio: flat means within 5 %. The
curve tells warming (growth that stops) from a leak (growth per image). Then one 40 MP photo with edge refinement through
/v1/process/remove-background, and the inference process's peak RSS during
it against its resting RSS. Prints figures; asserts nothing.
"""

from __future__ import annotations

import io
import os
import pathlib
import sys
import tempfile
import time

import numpy as np
import psutil
import requests
from PIL import Image

from deploy.local.mesh import Mesh, Ports
from tests.bench.common import BENCH_ENV, BENCH_HEADERS, PeakRss

IMAGES = int(os.environ.get("BENCH_MEMORY_IMAGES", "1000"))
BATCH = 200
WARM_UP = int(os.environ.get("BENCH_MEMORY_WARM_UP", "200"))


def rss(mesh: Mesh) -> dict[str, int]:
    return _memory(mesh, lambda p: p.memory_info().rss)


def private(mesh: Mesh) -> dict[str, int]:
    """Memory only each process holds (USS): without the pages it shares, such as PostgreSQL's
    shared buffers, which fill up to `shared_buffers` as the tables grow, and stop there."""
    return _memory(mesh, lambda p: p.memory_full_info().uss)


def _memory(mesh: Mesh, measure) -> dict[str, int]:
    """`measure` of every child of the mesh, its own children included, by name."""
    sizes = {}
    for name, child in mesh.children.items():
        try:
            root = psutil.Process(child.process.pid)
            sizes[name] = sum(measure(p) for p in [root, *root.children(recursive=True)])
        except psutil.Error:
            continue
    return sizes


def small_photo() -> bytes:
    from skimage import data

    buffer = io.BytesIO()
    Image.fromarray(data.astronaut()).resize((256, 256)).save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def photo_40mp() -> bytes:
    """The astronaut scaled to 7744x5163 (40 MP) with grain, so it is a photo, not flat colour."""
    from skimage import data

    image = Image.fromarray(data.astronaut()).resize((7744, 5163), Image.Resampling.BICUBIC)
    noise = np.random.default_rng(0).integers(-6, 7, size=(5163, 7744, 3), dtype=np.int16)
    pixels = np.clip(np.asarray(image, dtype=np.int16) + noise, 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def run_batch(mesh: Mesh, headers: dict, image: bytes, count: int) -> int:
    files = [("images", (f"image{n}.jpg", image, "image/jpeg")) for n in range(count)]
    created = requests.post(f"{mesh.base_url}/v1/background-remover/batch", files=files, data={"tier": "basic"}, headers=headers, timeout=600)
    created.raise_for_status()
    batch_id = created.json()["data"]["batchId"]
    while True:
        status = requests.get(f"{mesh.base_url}/v1/background-remover/batch/{batch_id}", headers=headers, timeout=60).json()["data"]
        if status["status"] in ("completed", "failed"):
            return status["progress"]["processedImages"]
        time.sleep(1)


def main() -> int:
    image = small_photo()
    with tempfile.TemporaryDirectory() as tmp:
        mesh = Mesh(pathlib.Path(tmp) / "mesh", ports=Ports.free(), sink=lambda n, l: None, env={**BENCH_ENV, "SYNC_TIMEOUT_S": "300"})
        mesh.start(timeout=180)
        try:
            headers = BENCH_HEADERS
            run_batch(mesh, headers, image, WARM_UP)
            start, start_private = rss(mesh), private(mesh)
            curve, curve_private = [], []
            done, started = 0, time.perf_counter()
            while done < IMAGES:
                done += run_batch(mesh, headers, image, min(BATCH, IMAGES - done))
                curve.append(rss(mesh))
                curve_private.append(private(mesh))
            wall = time.perf_counter() - started

            big = photo_40mp()
            inference = mesh.children["inference"].process.pid
            resting = psutil.Process(inference).memory_info().rss
            peak = PeakRss(inference)
            peak.start()
            began = time.perf_counter()
            reply = requests.post(
                f"{mesh.base_url}/v1/process/remove-background",
                files={"file": ("big.jpg", big, "image/jpeg")},
                data={"tier": "basic", "edge_refinement": "50", "size": "full"},
                headers=headers,
                timeout=600,
            )
            big_s = time.perf_counter() - began
            peak.done.set()
            peak.join()
        finally:
            mesh.stop()
    print(f"{done} images (256x256 JPEG, tier basic) in {wall:.0f} s on {os.cpu_count()} CPU cores")
    for title, first, samples in (("RSS", start, curve), ("private memory (USS)", start_private, curve_private)):
        print(f"{title} in MB after a {WARM_UP}-image warm-up, then after every {BATCH} images")
        print(f"{'process':14} {'warm':>6} " + " ".join(f"{(n + 1) * BATCH:>6}" for n in range(len(samples))) + f" {'end/start':>10}")
        for name in sorted(first, key=lambda n: -first[n]):
            ratio = samples[-1].get(name, 0) / first[name]
            flag = "" if ratio <= 1.05 else "  (grew more than 5 %)"
            points = " ".join(f"{sample.get(name, 0) / 1e6:6.0f}" for sample in samples)
            print(f"{name:14} {first[name] / 1e6:6.0f} {points} {ratio:10.3f}{flag}")
    print(
        f"40 MP photo (7744x5163), edge refinement 50: HTTP {reply.status_code} in {big_s:.1f} s; "
        f"inference RSS resting {resting / 1e6:.0f} MB, peak {peak.peak / 1e6:.0f} MB (+{(peak.peak - resting) / 1e6:.0f} MB)"
    )
    if reply.status_code != 200:
        print(f"  the 40 MP request was refused: {reply.text[:300]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
