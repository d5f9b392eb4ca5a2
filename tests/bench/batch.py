"""`make bench-batch`: a 500-image batch through the whole mesh.

Prints the batch's wall time (upload to last result), images per second,
the time to stream its ZIP, and the peak memory (RSS, children included) of
every process, sampled every 0.2 s. The target is memory flat in the batch
size: no process above 500 MB. Prints figures; asserts nothing.
"""

from __future__ import annotations

import io
import os
import pathlib
import sys
import tempfile
import threading
import time

import psutil
import requests
from PIL import Image

from tests.bench.common import BENCH_ENV, BENCH_HEADERS
from deploy.local.mesh import Mesh, Ports

IMAGES = int(os.environ.get("BENCH_BATCH_IMAGES", "500"))


def photo() -> bytes:
    from skimage import data

    buffer = io.BytesIO()
    Image.fromarray(data.astronaut()).resize((256, 256)).save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


class PeakMemory(threading.Thread):
    def __init__(self, mesh: Mesh):
        super().__init__(daemon=True)
        self.mesh, self.peaks, self.done = mesh, {}, threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.2):
            for name, child in self.mesh.children.items():
                try:
                    root = psutil.Process(child.process.pid)
                    rss = sum(p.memory_info().rss for p in [root, *root.children(recursive=True)])
                except psutil.Error:
                    continue
                self.peaks[name] = max(self.peaks.get(name, 0), rss)


def main() -> int:
    image = photo()
    with tempfile.TemporaryDirectory() as tmp:
        mesh = Mesh(pathlib.Path(tmp) / "mesh", ports=Ports.free(), sink=lambda n, l: None, env=BENCH_ENV)
        mesh.start(timeout=180)
        headers = BENCH_HEADERS
        memory = PeakMemory(mesh)
        memory.start()
        try:
            files = [("images", (f"image{n}.jpg", image, "image/jpeg")) for n in range(IMAGES)]
            started = time.perf_counter()
            created = requests.post(f"{mesh.base_url}/v1/background-remover/batch", files=files, data={"tier": "basic"}, headers=headers, timeout=600)
            created.raise_for_status()
            batch_id = created.json()["data"]["batchId"]
            while True:
                status = requests.get(f"{mesh.base_url}/v1/background-remover/batch/{batch_id}", headers=headers, timeout=60).json()["data"]
                if status["status"] in ("completed", "failed"):
                    break
                time.sleep(1)
            wall = time.perf_counter() - started
            zip_started = time.perf_counter()
            size = 0
            with requests.get(f"{mesh.base_url}{status['zipUrl']}", headers=headers, stream=True, timeout=600) as download:
                for chunk in download.iter_content(1 << 20):
                    size += len(chunk)
            zip_s = time.perf_counter() - zip_started
        finally:
            memory.done.set()
            memory.join()
            mesh.stop()
    print(f"batch of {IMAGES} images ({len(image) / 1024:.0f} KiB JPEG, 256x256), tier basic, on {os.cpu_count()} CPU cores")
    print(f"{'wall time, upload to last result':40} {wall:8.1f} s")
    print(f"{'images per second':40} {IMAGES / wall:8.2f}")
    print(f"{'results':40} {status['progress']['processedImages']:8d} completed, {status['progress']['failedImages']} failed")
    print(f"{'ZIP streamed':40} {size / 1e6:8.1f} MB in {zip_s:.1f} s")
    print("peak memory (RSS, with child processes):")
    for name, peak in sorted(memory.peaks.items(), key=lambda item: -item[1]):
        print(f"  {name:38} {peak / 1e6:8.0f} MB{'  (over 500 MB)' if peak > 500e6 else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
