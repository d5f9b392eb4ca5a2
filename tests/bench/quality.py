"""`make bench-quality`: cut-out quality on a labelled set, per model and per tier, beside rembg.

The set is tests/bench/quality_set.py's (subjects with a known alpha over real photographs),
cached under .models/cache/quality-set. Backdrop runs through the inference service's own code
(services/inference/operations.py's remove_background: pre-processing, the model, the mask's
upscaling, edge refinement, decontamination) with the model repository's ONNX files run by
onnxruntime in this process in place of the inference server (bench-operations' InProcessModels),
so no mesh is needed:
- per model: each segmentation model of services/inference/models.py whose weights
  `make models` built (u2netp, modnet, isnet when present), quality high, no edge refinement;
- per tier: the model and quality billing's plans.json gives the tier (what a charge returns),
  and the gateway's default edge refinement (parse_options), or the tier's own
  `edge_refinement` where plans.json names one.
rembg (2.0.86, in .venv-bench) runs the same images in the same run on the same weight files
(its u2net_custom / dis_custom sessions, given the repository's model.onnx: no download), with
and without its alpha matting. Prints mean IoU, MAE, edge MAE, boundary F and seconds per image
(median, after one warm-up image), a per-subject table and the run's conditions. Asserts nothing.
"""

from __future__ import annotations

import asyncio
import json
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

import numpy as np
import onnxruntime
import psutil
from PIL import Image

from tests.bench import quality_metrics, quality_set

REPO = pathlib.Path(__file__).resolve().parents[2]
REPOSITORY = REPO / ".models" / "repository"
BENCH_PYTHON = REPO / ".venv-bench" / "bin" / "python"
SET_ROOT = REPO / ".models" / "cache" / "quality-set"
TIERS = ("basic", "standard", "professional", "industry")

# Runs in .venv-bench: each row's cut-outs (their alpha as PNG) and seconds per image.
REMBG = """
import json, pathlib, sys, time
from PIL import Image
from rembg import new_session, remove
config = json.loads(sys.argv[1])
times = {}
for row in config["rows"]:
    session = new_session(row["session"], model_path=row["model_path"])
    out = pathlib.Path(config["out"]) / row["label"]
    out.mkdir(parents=True)
    remove(Image.open(config["images"][0][1]).convert("RGB"), session=session, alpha_matting=row["matting"])  # warm-up
    times[row["label"]] = []
    for name, path in config["images"]:
        image = Image.open(path).convert("RGB")
        start = time.perf_counter()
        cutout = remove(image, session=session, alpha_matting=row["matting"])
        times[row["label"]].append(time.perf_counter() - start)
        cutout.getchannel("A").save(out / (name + ".png"))
print(json.dumps(times))
"""


def model_file(name: str) -> pathlib.Path:
    return REPOSITORY / name / "1" / "model.onnx"


@dataclass
class Row:
    label: str
    how: str
    masks: dict[str, np.ndarray] = field(default_factory=dict)
    seconds: list[float] = field(default_factory=list)


def backdrop_rows() -> list[tuple[str, str, object]]:
    """(label, how, options) for every model with weights, then every tier."""
    from gateway.process import parse_options
    from services.billing.catalog import Catalog
    from services.inference.models import SEGMENTATION_MODELS

    rows = []
    for name in SEGMENTATION_MODELS:
        if model_file(name).exists():
            rows.append((f"model {name}", "quality high, no refinement", parse_options(name, "high", "true", "0")))
    catalog = Catalog.load()
    for tier in TIERS:
        _, spec = catalog.tier(tier)
        options = parse_options("", "", "true", str(spec.get("edge_refinement", "")))
        options.model, options.quality = spec["model"], spec["quality"]
        if not model_file(options.model).exists():
            print(f"tier {tier}: skipped, its model {options.model} is not built (make models)")
            continue
        rows.append((f"tier {tier}", f"{options.model}, {options.quality}, edge {options.edge_refinement}", options))
    return rows


async def run_backdrop(images: list[tuple[str, pathlib.Path]], workdir: pathlib.Path) -> list[Row]:
    from services.inference.operations import Operations
    from services.runtime.objectstore import LocalObjectStore
    from tests.bench.operations import InProcessModels

    store = LocalObjectStore(str(workdir / "store"))
    operations = Operations(store, InProcessModels())
    for name, path in images:
        await store.put(name, path.read_bytes(), "image/png")
    rows = []
    for label, how, options in backdrop_rows():
        row = Row(label, how)
        await operations.remove_background(images[0][0], options, {})  # warm-up: the session loads
        for name, _ in images:
            start = time.perf_counter()
            output, _ = await operations.remove_background(name, options, {})
            row.seconds.append(time.perf_counter() - start)
            row.masks[name] = np.asarray(output.mask, dtype=np.float32) / 255.0
        rows.append(row)
        print(f"  {label}: {statistics.median(row.seconds):.2f} s/image", flush=True)
    return rows


def rembg_config(home: pathlib.Path) -> list[dict]:
    """rembg's rows: u2netp, and ISNet through its ISNet session (isnet-general-use's pre- and
    post-processing) when the repository has ISNet; each without and with alpha matting. rembg
    takes a custom model only from its home (U2NET_HOME): there, a link to the repository's file."""
    rows = []
    home.mkdir(parents=True, exist_ok=True)
    for model, session, rembg_name in (("u2netp", "u2net_custom", "u2netp"), ("isnet", "dis_custom", "isnet-general-use")):
        if model_file(model).exists():
            link = home / f"{rembg_name}.onnx"
            link.symlink_to(model_file(model))
            for matting in (False, True):
                label = f"rembg {rembg_name}" + (" +matting" if matting else "")
                rows.append({"label": label, "session": session, "model_path": str(link), "matting": matting, "model": model})
    return rows


def run_rembg(images: list[tuple[str, pathlib.Path]], workdir: pathlib.Path) -> list[Row]:
    home = workdir / "u2net"
    config = {"rows": rembg_config(home), "images": [(n, str(p)) for n, p in images], "out": str(workdir / "rembg")}
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    env["U2NET_HOME"] = str(home)
    out = subprocess.run([str(BENCH_PYTHON), "-c", REMBG, json.dumps(config)], env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"rembg failed:\n{out.stderr[-3000:]}")
    times = json.loads(out.stdout.strip().splitlines()[-1])
    rows = []
    for entry in config["rows"]:
        row = Row(entry["label"], f"the repository's {entry['model']} file, rembg's pre/post-processing")
        row.seconds = times[entry["label"]]
        for name, _ in images:
            alpha = Image.open(workdir / "rembg" / entry["label"] / f"{name}.png")
            row.masks[name] = np.asarray(alpha, dtype=np.float32) / 255.0
        rows.append(row)
    return rows


def busy_processes(top: int = 5) -> str:
    """The processes using the most CPU over one second (names only), besides this one."""
    procs = [p for p in psutil.process_iter(["name"]) if p.pid != os.getpid()]
    for p in procs:
        try:
            p.cpu_percent(None)
        except psutil.Error:
            pass
    time.sleep(1.0)
    usage = []
    for p in procs:
        try:
            usage.append((p.cpu_percent(None), p.info["name"]))
        except psutil.Error:
            pass
    usage.sort(reverse=True)
    return ", ".join(f"{name} {cpu:.0f}%" for cpu, name in usage[:top] if cpu >= 5) or "none above 5%"


def conditions(stage: str) -> str:
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    return f"{stage}: load average {load}; busiest other processes: {busy_processes()}"


def report(rows: list[Row], truths: dict[str, np.ndarray]) -> None:
    scores = {row.label: {n: quality_metrics.measure(truths[n], m) for n, m in row.masks.items()} for row in rows}
    columns = ("iou", "mae", "edge_mae", "boundary_f")
    print()
    print(f"{'':34} {'IoU':>6} {'MAE':>7} {'edge MAE':>9} {'bound. F':>9} {'s/image':>8}   how")
    for row in rows:
        mean = {c: statistics.fmean(s[c] for s in scores[row.label].values()) for c in columns}
        print(
            f"{row.label:34} {mean['iou']:6.3f} {mean['mae']:7.4f} {mean['edge_mae']:9.4f} {mean['boundary_f']:9.3f} "
            f"{statistics.median(row.seconds):8.2f}   {row.how}"
        )
    subjects = sorted({n.split("-")[0] for n in truths})
    print()
    print("per subject, IoU / boundary F (mean of its two photos)")
    print(f"{'':34} " + " ".join(f"{s:>11}" for s in subjects))
    for row in rows:
        cells = []
        for subject in subjects:
            picked = [s for n, s in scores[row.label].items() if n.split("-")[0] == subject]
            cells.append(f"{statistics.fmean(s['iou'] for s in picked):.2f}/{statistics.fmean(s['boundary_f'] for s in picked):.2f}")
        print(f"{row.label:34} " + " ".join(f"{c:>11}" for c in cells))


def main() -> int:
    if not BENCH_PYTHON.exists():
        print("run `make bench-quality` (it installs rembg into .venv-bench)", file=sys.stderr)
        return 1
    samples = quality_set.cached(SET_ROOT)
    images = [(name, image) for name, image, _ in samples]
    truths = {name: np.asarray(Image.open(alpha), dtype=np.float32) / 255.0 for name, _, alpha in samples}
    print(f"set: {len(samples)} images of {quality_set.SIZE[0]}x{quality_set.SIZE[1]} (digest {quality_set.digest(SET_ROOT)}), "
          f"{', '.join(quality_set.SUBJECTS)} over scikit-image photos; {SET_ROOT.relative_to(REPO)}")
    print(f"machine: {os.cpu_count()} CPU cores, {psutil.virtual_memory().total / 2**30:.0f} GiB, {platform.processor() or platform.machine()}; "
          f"onnxruntime {onnxruntime.__version__} (CPU), one image at a time")
    print(conditions("before"), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        print("Backdrop (services/inference pipeline, in-process):", flush=True)
        rows = asyncio.run(run_backdrop(images, pathlib.Path(tmp)))
        print("rembg 2.0.86 (.venv-bench, same weight files):", flush=True)
        rows += run_rembg(images, pathlib.Path(tmp))
    print(conditions("after"))
    report(rows, truths)
    print()
    print(f"IoU at alpha 0.5; MAE over all pixels, edge MAE within {quality_metrics.EDGE_BAND_PX} px of the true edge or where the "
          f"truth is partly transparent (alpha 0..1); boundary F with a {quality_metrics.BOUNDARY_TOLERANCE_PX} px tolerance; "
          "s/image: median wall time of one image's removal (Backdrop: decode to cut-out, no encoding; rembg: remove())")
    return 0


if __name__ == "__main__":
    sys.exit(main())
