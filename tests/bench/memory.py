"""Peak memory of remove_background's post-processing at the largest allowed size.

Each scenario runs Operations.remove_background in a fresh process on a
photo-like JPEG (a fake store serves it, a fake model server returns a coarse
blob mask), and prints the process's peak RSS above what it held once the
input's bytes were read, per megapixel and against the same scenario at 1 MP.
Prints figures; asserts nothing. `--tree DIR` runs another checkout's code
(e.g. an older commit unpacked with `git archive REV | tar -x -C DIR`).

    .venv/bin/python -m tests.bench.memory [--sizes 1,40] [--tree DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import pathlib
import resource
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

REPO = pathlib.Path(__file__).resolve().parents[2]
SIZES = {1: (1224, 816), 4: (2448, 1632), 12: (4243, 2829), 40: (7744, 5163)}
SCENARIOS = {
    "cutout": {},
    "bg_color": {"bg_color": "#3366cc"},
    "blur": {"blur_strength": 0.5},
    # A background image as large as the photo (the fake store serves the same JPEG for it).
    "bg_image": {"background_key": "background"},
}


def photo(width: int, height: int) -> bytes:
    """A JPEG with a photo's statistics: a textured subject on a graded, noisy background."""
    rng = np.random.default_rng(7)
    out = np.empty((height, width, 3), np.uint8)
    cols = np.arange(width, dtype=np.float32)
    for top in range(0, height, 256):
        rows = np.arange(top, min(height, top + 256), dtype=np.float32)[:, None]
        yy, xx = rows / height - 0.5, cols / width - 0.5
        inside = (xx / 0.28) ** 2 + (yy / 0.4) ** 2 < 1
        base = np.stack([60 + 80 * yy + 0 * xx, 120 + 60 * xx + 0 * yy, 90 + 0 * xx + 0 * yy], -1)
        subject = np.stack([200 + 30 * np.sin(xx * 90) + 0 * yy, 140 + 30 * np.sin(yy * 70) + 0 * xx, 80 + 0 * xx + 0 * yy], -1)
        pixels = np.where(inside[..., None], subject, base) + rng.normal(0, 6, (len(rows), width, 3))
        out[top : top + len(rows)] = np.clip(pixels, 0, 255)
    buffer = io.BytesIO()
    Image.fromarray(out).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def _status(field: str) -> int:
    """VmRSS (now) or VmHWM (peak) of this process, in bytes: unlike ru_maxrss, not inherited over exec."""
    for line in pathlib.Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def child(path: str, options: dict) -> None:
    """One scenario, in this process: prints {"baseline": bytes, "peak": bytes}."""
    from backdrop.jobs.v1 import jobs_pb2
    from services.inference import operations as module
    from services.inference.operations import Operations
    from services.inference.pipeline import compose

    print("code from", module.__file__, file=sys.stderr)

    data = pathlib.Path(path).read_bytes()

    class Store:
        async def get(self, key):
            return data

    class Server:
        async def infer(self, name, tensor):
            size = tensor.shape[-1]
            yy, xx = np.mgrid[:size, :size] / size - 0.5
            return ((xx / 0.28) ** 2 + (yy / 0.4) ** 2 < 1).astype(np.float32)[None, None]

    baseline = _status("VmRSS")
    operations = Operations(Store(), Server())
    job = jobs_pb2.RemoveBackgroundOptions(edge_refinement=50, **options)
    output, _ = asyncio.run(operations.remove_background("input", job, {}))
    peak = _status("VmHWM")
    del operations
    compose.encode(output.image, output.output_format, output.output_quality, output.matte)  # as the worker stores it
    encoded = _status("VmHWM")
    print(json.dumps({"baseline": baseline, "peak": peak, "encoded": encoded, "size": output.image.size}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1,40", help="megapixel sizes among " + ",".join(map(str, SIZES)))
    parser.add_argument("--tree", default=str(REPO), help="the checkout whose code runs")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([args.tree, str(REPO)] + [p for p in [os.environ.get("PYTHONPATH")] if p])}
    per_mp: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for size in sizes:
            width, height = SIZES[size]
            path = pathlib.Path(scratch, f"{size}.jpg")
            path.write_bytes(photo(width, height))
            for name in args.scenarios.split(","):
                # Run as a script from the tree: its directory, not the working directory, leads sys.path.
                done = subprocess.run(
                    [sys.executable, __file__, "--child", str(path), json.dumps(SCENARIOS[name])],
                    cwd=args.tree, env=environment, capture_output=True, text=True,
                )
                if done.returncode:
                    print(f"{name:9s} {width}x{height}: failed (rc {done.returncode}) {done.stderr.strip()[-300:]}")
                    continue
                figures = json.loads(done.stdout.strip().splitlines()[-1])
                extra = figures["peak"] - figures["baseline"]
                mp = width * height / 1e6
                ratio = f", {extra / mp / per_mp[name]:.2f}x the 1 MP figure per MP" if name in per_mp else ""
                per_mp.setdefault(name, extra / mp)
                print(
                    f"{name:9s} {width}x{height} ({mp:.1f} MP): peak RSS {figures['peak'] / 2**20:.0f} MiB, "
                    f"{extra / 2**20:.0f} MiB above the idle process, {extra / mp / 2**20:.1f} MiB/MP{ratio}; "
                    f"with the PNG encode {figures.get('encoded', figures['peak']) / 2**20:.0f} MiB"
                )


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], json.loads(sys.argv[3]))
    else:
        main()
