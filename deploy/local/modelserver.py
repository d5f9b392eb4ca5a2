"""MLServer over a Triton-layout model repository (the local inference server).

MLServer reads model-settings.json files, Triton reads config.pbtxt; this
writes the former from the latter, so one repository serves both. MLServer
itself runs from its own virtualenv (.venv-modelserver).

`python -m deploy.local.modelserver tritonserver --model-repository=/models --http-port=8000 ...`
takes tritonserver's own arguments, so a container spec written for Triton (k8s/base/triton.yaml)
runs MLServer unchanged where Triton's image is not available (deploy/docker/modelserver.Dockerfile).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil

from google.protobuf import text_format
from tritonclient.grpc import model_config_pb2

DATATYPES = {model_config_pb2.TYPE_FP32: "FP32", model_config_pb2.TYPE_INT64: "INT64", model_config_pb2.TYPE_INT32: "INT32"}
# config.pbtxt's `cpu_runtime` parameter (onnxruntime when absent) -> the MLServer runtime that serves it.
RUNTIMES = {
    "onnxruntime": "deploy.local.mlserver_onnx.OnnxModel",
    "openvino": "deploy.local.mlserver_openvino.OpenVinoModel",
}


def read_config(path: pathlib.Path) -> model_config_pb2.ModelConfig:
    return text_format.Parse(path.read_text(), model_config_pb2.ModelConfig())


def _tensors(tensors, batched: bool) -> list[dict]:
    prefix = [-1] if batched else []
    return [{"name": t.name, "datatype": DATATYPES[t.data_type], "shape": prefix + list(t.dims)} for t in tensors]


def cpu_pins(config: model_config_pb2.ModelConfig) -> tuple[str, str]:
    """(runtime, precision) a model runs at on CPU: the one place they are decided is its config.pbtxt
    (deploy/models/configs; measured agreement in README: Models). fp32 on onnxruntime when absent."""
    parameters = {key: value.string_value for key, value in config.parameters.items()}
    runtime, precision = parameters.get("cpu_runtime", "onnxruntime"), parameters.get("cpu_precision", "f32")
    if runtime not in RUNTIMES:
        raise SystemExit(f"{config.name}: cpu_runtime must be one of {', '.join(RUNTIMES)}, not {runtime!r}")
    if runtime == "onnxruntime" and precision != "f32":
        raise SystemExit(f"{config.name}: onnxruntime runs f32 on CPU; cpu_precision {precision!r} needs cpu_runtime openvino")
    return runtime, precision


def model_settings(model_dir: pathlib.Path, max_batch_size: int | None = None) -> dict:
    config = read_config(model_dir / "config.pbtxt")
    batched = config.max_batch_size > 0
    runtime, precision = cpu_pins(config)
    settings = {
        "name": config.name,
        "implementation": RUNTIMES[runtime],
        "parameters": {"uri": str((model_dir / "1" / "model.onnx").resolve()), "extra": {"precision": precision}},
        "inputs": _tensors(config.input, batched),
        "outputs": _tensors(config.output, batched),
    }
    if batched and config.HasField("dynamic_batching"):
        # config.pbtxt is sized for a GPU; a CPU is fastest per image at small batches.
        settings["max_batch_size"] = min(config.max_batch_size, max_batch_size or config.max_batch_size)
        settings["max_batch_time"] = config.dynamic_batching.max_queue_delay_microseconds / 1e6
    return settings


def prepare(
    repository: pathlib.Path,
    workdir: pathlib.Path,
    http_port: int,
    grpc_port: int,
    metrics_port: int,
    max_batch_size: int | None = None,
    skip: frozenset[str] = frozenset(),
    host: str = "127.0.0.1",
) -> None:
    """Writes MLServer's settings for every model of `repository` but those in `skip`."""
    workdir.mkdir(parents=True, exist_ok=True)
    models = sorted(p.parent for p in repository.glob("*/config.pbtxt") if p.parent.name not in skip)
    if not models:
        raise SystemExit(f"no models in {repository}: run `make models`")
    for old in workdir.glob("*/model-settings.json"):
        old.unlink()
    for model_dir in models:
        target = workdir / model_dir.name / "model-settings.json"
        target.parent.mkdir(exist_ok=True)
        target.write_text(json.dumps(model_settings(model_dir, max_batch_size), indent=2))
    server = {
        "host": host,
        "http_port": http_port,
        "grpc_port": grpc_port,
        "metrics_port": metrics_port,
        # Worker processes crash with uvloop 0.23 (DESIGN.md); batching still applies.
        "parallel_workers": 0,
        "load_models_at_startup": True,
        "grpc_max_message_length": 64 * 1024 * 1024,
    }
    (workdir / "settings.json").write_text(json.dumps(server, indent=2))


def main() -> None:
    """Serves a Triton model repository with MLServer, on the ports tritonserver was given."""
    parser = argparse.ArgumentParser(description="MLServer in Triton's place")
    parser.add_argument("command", nargs="?", choices=["tritonserver"], help="ignored: the Triton spec's program name")
    parser.add_argument("--model-repository", type=pathlib.Path, required=True)
    parser.add_argument("--http-port", type=int, default=8000)
    parser.add_argument("--grpc-port", type=int, default=8001)
    parser.add_argument("--metrics-port", type=int, default=8002)
    parser.add_argument("--workdir", type=pathlib.Path, default=pathlib.Path("/tmp/mlserver"))
    # Triton's other flags (--strict-readiness, --model-config-name) have no MLServer meaning.
    args, _ = parser.parse_known_args()
    batch = int(os.environ.get("MLSERVER_MAX_BATCH_SIZE", "4"))
    prepare(args.model_repository, args.workdir, args.http_port, args.grpc_port, args.metrics_port, batch, host="0.0.0.0")
    mlserver = shutil.which("mlserver") or "mlserver"
    os.execv(mlserver, [mlserver, "start", str(args.workdir)])


if __name__ == "__main__":
    main()
