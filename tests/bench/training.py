"""`make bench-training`: seed 004's LoRA training on the tiny pipeline, CPU.

Seconds per optimiser step (the UNet's graph in torch, forward and backward, adapters
only) at a few resolutions and batch sizes, against one bare onnxruntime forward of the
same UNet at the same size; the seconds to merge the adapters and write the ONNX model;
and each configuration's peak memory (its own process's high-water RSS, so one does not
inherit another's). Latents and caption states are random here: the encoders run once per
image in a training and are not what a step costs.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

CONFIGS = (  # (resolution, batch size, adapters)
    (64, 1, "attention"),
    (64, 1, "attention+conv"),
    (128, 1, "attention+conv"),
    (256, 1, "attention+conv"),
    (256, 4, "attention+conv"),
    (512, 1, "attention+conv"),
)
STEPS = 10


def one(resolution: int, batch: int, adapters: str) -> dict:
    import onnx
    import onnxruntime
    import torch

    from backdrop.jobs.v1 import jobs_pb2
    from services.inference import training
    from services.inference.generation import UNET

    path = training.base_repository() / UNET / "1" / "model.onnx"
    model = onnx.load(str(path))
    side = resolution // 8
    rng = np.random.default_rng(0)
    latents = torch.from_numpy(rng.standard_normal((batch, 4, side, side)).astype(np.float32) * 0.1)
    states = torch.from_numpy(rng.standard_normal((batch, 77, 32)).astype(np.float32))
    weights = torch.ones(batch)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feeds = {"sample": latents.numpy(), "timestep": np.full(batch, 500, np.float32), "encoder_hidden_states": states.numpy()}
    for _ in range(3):
        session.run(None, feeds)
    bare = []
    for _ in range(10):
        start = time.perf_counter()
        session.run(None, feeds)
        bare.append(time.perf_counter() - start)
    unet = training.OnnxUNet(model, rank=4, adapters=adapters)
    trainer = training.Trainer(unet, jobs_pb2.TrainOptions(learning_rate=1e-3, optimizer="adamw", scheduler="constant", seed=1))
    for step in range(2):
        trainer.step(latents, states, weights, step, STEPS)
    times = []
    for step in range(STEPS):
        start = time.perf_counter()
        trainer.step(latents, states, weights, step, STEPS)
        times.append(time.perf_counter() - start)
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        merged = unet.merged()
        onnx.save(merged, f"{folder}/model.onnx")
        merge_s = time.perf_counter() - start
    return {
        "step_s": statistics.median(times), "bare_ms": statistics.median(bare) * 1000, "merge_s": merge_s,
        "parameters": unet.parameter_count(), "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "threads": torch.get_num_threads(),
    }


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--one":
        print(json.dumps(one(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])))
        return
    print(f"{'resolution':>10} {'batch':>5} {'adapters':>15} {'LoRA params':>11} {'bare fwd ms':>11} {'s/step':>7} {'x bare':>7} {'merge s':>8} {'peak RSS MB':>11}")
    for resolution, batch, adapters in CONFIGS:
        out = subprocess.run(
            [sys.executable, "-m", "tests.bench.training", "--one", str(resolution), str(batch), adapters], capture_output=True, text=True, check=True
        )
        row = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{resolution:>10} {batch:>5} {adapters:>15} {row['parameters']:>11} {row['bare_ms']:>11.1f} {row['step_s']:>7.3f} "
            f"{row['step_s'] * 1000 / row['bare_ms']:>7.1f} {row['merge_s']:>8.2f} {row['rss_mb']:>11.0f}"
        )
    print(f"(torch {row['threads']} threads; median of {STEPS} steps after 2 warm-up steps)")


if __name__ == "__main__":
    main()
