"""The local inference server's OpenVINO runtime: the repository's model.onnx, compiled at a pinned precision.

OpenVINO picks bf16 by itself on CPUs that have it (AMX or avx512_bf16: measured on
both), and some models' masks do not survive bf16 (README: Models). So the precision is
never OpenVINO's default: each model's config.pbtxt pins `cpu_precision` (f32 or bf16),
MODEL_PRECISION=f32 forces fp32 for every model, and a bf16 model on a CPU without bf16
runs f32, said once in the log. After compiling, the precision OpenVINO reports is checked
against the one asked for, so an OpenVINO upgrade cannot change it silently.
"""

from __future__ import annotations

import functools
import logging
import os
import queue

import numpy as np
import openvino

from deploy.local.mlserver_onnx import LocalModel, concurrent_runs, intra_op_threads

logger = logging.getLogger(__name__)

PRECISIONS = ("f32", "bf16")


@functools.cache
def _said(message: str) -> None:
    logger.warning(message)


def resolve_precision(model: str, pinned: str, capabilities: list[str], override: str = "") -> str:
    """The precision to compile `model` at: its pinned one, unless MODEL_PRECISION=f32 or the CPU lacks bf16."""
    if pinned not in PRECISIONS:
        raise ValueError(f"{model}: cpu_precision must be one of {', '.join(PRECISIONS)}, not {pinned!r}")
    if override and override != "f32":
        raise ValueError(f"MODEL_PRECISION may only be f32 (fp32 for every model), not {override!r}")
    if override or pinned == "f32":
        return "f32"
    if "BF16" not in capabilities:
        _said(f"{model}: this CPU has no bf16 (OpenVINO's capabilities: {', '.join(capabilities)}); running it in f32")
        return "f32"
    return pinned


def compile_config(precision: str, runs: int, threads: int) -> dict[str, str]:
    """OpenVINO's CPU settings: one stream per run in flight (LATENCY for one), `threads` in all (0: every core)."""
    config = {
        "INFERENCE_PRECISION_HINT": precision,
        "PERFORMANCE_HINT": "LATENCY" if runs == 1 else "THROUGHPUT",
        "NUM_STREAMS": str(runs),
    }
    if threads:
        config["INFERENCE_NUM_THREADS"] = str(threads)
    return config


class OpenVinoModel(LocalModel):
    runtime = "openvino"

    def open(self) -> None:
        core = openvino.Core()
        pinned = (self.settings.parameters.extra or {}).get("precision", "")
        capabilities = list(core.get_property("CPU", "OPTIMIZATION_CAPABILITIES"))
        self.precision = resolve_precision(self.name, pinned, capabilities, os.environ.get("MODEL_PRECISION", ""))
        runs = concurrent_runs()
        self.compiled = core.compile_model(
            self.settings.parameters.uri, "CPU", compile_config(self.precision, runs, intra_op_threads())
        )
        compiled = self.compiled.get_property("INFERENCE_PRECISION_HINT").to_string()
        if compiled != self.precision:
            raise RuntimeError(f"{self.name}: asked OpenVINO for {self.precision}, it compiled {compiled}")
        # A port has several names (ISNet's: its cast's and `output`): answer with the ones config.pbtxt declares.
        self.output_names = [tensor.name for tensor in self.settings.outputs] or [port.any_name for port in self.compiled.outputs]
        self.requests: queue.SimpleQueue = queue.SimpleQueue()  # one per run in flight (the semaphore bounds them)
        for _ in range(runs):
            self.requests.put(self.compiled.create_infer_request())
        logger.info("%s: OpenVINO %s, %s, %d stream(s)", self.name, openvino.__version__, self.precision, runs)

    def run(self, wanted: list[str], feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        request = self.requests.get()
        try:
            results = request.infer(feeds)  # copies the outputs out of the request's buffers
            return [results[self.compiled.output(name)] for name in wanted]
        finally:
            self.requests.put(request)
