"""Each segmentation model's CPU runtime and precision are pinned (issue 16): a runtime upgrade, or
OpenVINO's own choice of bf16 on CPUs that have it, cannot change them silently.

The models are loaded through the local inference server's own runtimes (deploy/local/mlserver_*.py,
in .venv-modelserver, where MLServer and OpenVINO live), from the settings the mesh writes; each
serves the astronaut photo, and its mask is compared with onnxruntime's fp32 one in this process.
"""

from __future__ import annotations

import json
import os
import subprocess

import numpy as np
import onnxruntime
import pytest
from PIL import Image
from tritonclient.grpc import model_config_pb2

from deploy.local import modelserver
from deploy.models import build
from services.inference.models import SEGMENTATION_MODELS
from services.inference.pipeline import segmentation
from tests.conftest import REPO

REPOSITORY = REPO / ".models" / "repository"
MODELSERVER_PYTHON = REPO / ".venv-modelserver" / "bin" / "python"
# What issue 16's measurements allowed (README: Models). Changing one needs a new measurement.
PINNED = {"u2netp": ("onnxruntime", "f32"), "modnet": ("openvino", "f32"), "isnet": ("openvino", "bf16")}

# Runs in .venv-modelserver: load each model as MLServer does, serve one request, report.
SERVE = """
import asyncio, json, pathlib, sys
import numpy as np
import openvino
from mlserver.codecs import NumpyCodec
from mlserver.settings import ModelSettings
from mlserver.types import InferenceRequest
from deploy.local import mlserver_openvino as ov

async def serve(folder):
    settings = ModelSettings(**json.loads((folder / "model-settings.json").read_text()))
    model = settings.implementation(settings)
    await model.load()
    tensor = np.load(folder / "input.npy")
    request = InferenceRequest(inputs=[NumpyCodec.encode_input(settings.inputs[0].name, tensor)])  # no outputs named: the declared ones
    reply = await model.predict(request)
    assert reply.outputs[0].name == settings.outputs[0].name, reply.outputs[0].name
    np.save(folder / "output.npy", NumpyCodec.decode_output(reply.outputs[0]))
    compiled = getattr(model, "compiled", None)
    return {"platform": (await model.metadata()).platform,
            "compiled": compiled.get_property("INFERENCE_PRECISION_HINT").to_string() if compiled else None}

def refused(*args):
    try:
        ov.resolve_precision(*args)
    except ValueError:
        return True
    return False

report = {name: asyncio.run(serve(pathlib.Path(sys.argv[1]) / name)) for name in sys.argv[2:]}
report["capabilities"] = list(openvino.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES"))
report["resolve"] = {
    "bf16 on a CPU without it": ov.resolve_precision("m", "bf16", ["FP32", "INT8"]),
    "bf16 with MODEL_PRECISION=f32": ov.resolve_precision("m", "bf16", ["BF16", "FP32"], "f32"),
    "bf16": ov.resolve_precision("m", "bf16", ["BF16", "FP32"]),
    "unpinned refused": refused("m", "", ["BF16"]),
    "MODEL_PRECISION=bf16 refused": refused("m", "f32", ["BF16"], "bf16"),
}
print(json.dumps(report))
"""


def config_of(name: str) -> model_config_pb2.ModelConfig:
    return modelserver.read_config(build.CONFIGS / f"{name}.pbtxt")


def test_each_segmentation_model_has_its_pinned_runtime_and_precision():
    assert set(PINNED) == set(SEGMENTATION_MODELS)
    for name, pins in PINNED.items():
        assert modelserver.cpu_pins(config_of(name)) == pins, name
        settings = modelserver.model_settings(REPOSITORY / name) if (REPOSITORY / name).exists() else None
        if settings:
            assert settings["implementation"] == modelserver.RUNTIMES[pins[0]]
            assert settings["parameters"]["extra"] == {"precision": pins[1]}


def test_a_config_cannot_ask_onnxruntime_for_bf16_or_name_an_unknown_runtime():
    config = config_of("u2netp")
    config.parameters["cpu_precision"].string_value = "bf16"
    with pytest.raises(SystemExit, match="needs cpu_runtime openvino"):
        modelserver.cpu_pins(config)
    config.parameters["cpu_runtime"].string_value = "tensorflow"
    with pytest.raises(SystemExit, match="cpu_runtime must be one of"):
        modelserver.cpu_pins(config)


def test_triton_cpu_nodes_run_only_bf16_models_on_openvino():
    """Triton's OpenVINO backend cannot force f32 (HINT_BF16 is all it has), so only bf16-pinned
    models get a configs/cpu.pbtxt; the others keep config.pbtxt's onnxruntime there too."""
    from google.protobuf import text_format

    for name in PINNED:
        text = (build.CONFIGS / f"{name}.pbtxt").read_text()
        cpu = build.cpu_node_config(text)
        if PINNED[name] != ("openvino", "bf16"):
            assert cpu is None, name
            continue
        base, node = config_of(name), text_format.Parse(cpu, model_config_pb2.ModelConfig())
        assert (node.backend, node.platform, node.default_model_filename) == ("openvino", "", "model.onnx")
        parameters = {k: v.string_value for k, v in node.parameters.items()}
        assert parameters.items() >= {"HINT_BF16": "YES", "PERFORMANCE_HINT": "LATENCY", "NUM_STREAMS": "1"}.items()
        assert [(g.kind, g.count) for g in node.instance_group] == [(model_config_pb2.ModelInstanceGroup.KIND_CPU, 1)]
        assert (node.input, node.output, node.max_batch_size, node.dynamic_batching) == (
            base.input, base.output, base.max_batch_size, base.dynamic_batching)
        built = REPOSITORY / name / "configs" / f"{build.CPU_NODE_CONFIG}.pbtxt"
        if built.parent.parent.exists():
            assert built.read_text() == cpu  # what `make models` put in the repository (and the init image)


def astronaut() -> Image.Image:
    from skimage import data

    return Image.fromarray(data.astronaut()).crop((0, 64, 512, 448)).resize((1024, 768), Image.Resampling.LANCZOS)


def mask(name: str, output: np.ndarray) -> np.ndarray:
    spec = SEGMENTATION_MODELS[name]
    size = output.shape[-1], output.shape[-2]
    return np.asarray(segmentation.to_mask(spec, output, size), dtype=np.float32) / 255


@pytest.mark.skipif(not MODELSERVER_PYTHON.exists(), reason="make install builds .venv-modelserver")
def test_served_models_run_at_their_pinned_precision_and_agree_with_fp32(tmp_path):
    names = [name for name in PINNED if (REPOSITORY / name).exists()]  # MODELS_SKIP may leave ISNet out
    modelserver.prepare(REPOSITORY, tmp_path, 1, 2, 3, 4, skip=frozenset(os.listdir(REPOSITORY)) - set(names))
    photo, inputs = astronaut(), {}
    for name in names:
        inputs[name] = segmentation.preprocess(SEGMENTATION_MODELS[name], photo)
        np.save(tmp_path / name / "input.npy", inputs[name])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MODEL_PRECISION", "ORT_"))}
    result = subprocess.run(
        [str(MODELSERVER_PYTHON), "-c", SERVE, str(tmp_path), *names],
        env={**env, "PYTHONPATH": str(REPO), "ORT_INTRA_OP_THREADS": "2"},
        capture_output=True, text=True, timeout=240,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    has_bf16 = "BF16" in report["capabilities"]
    for name in names:
        runtime, pinned = PINNED[name]
        expected = "bf16" if pinned == "bf16" and has_bf16 else "f32"
        assert report[name]["platform"] == f"{runtime}_{expected}", name
        assert report[name]["compiled"] == (expected if runtime == "openvino" else None), name
        session = onnxruntime.InferenceSession(str(REPOSITORY / name / "1" / "model.onnx"), providers=["CPUExecutionProvider"])
        reference = mask(name, session.run(None, {session.get_inputs()[0].name: inputs[name]})[0])
        served = mask(name, np.load(tmp_path / name / "output.npy"))
        ours, theirs = served >= 0.5, reference >= 0.5
        assert (ours & theirs).sum() / (ours | theirs).sum() >= 0.98, name
        assert np.abs(served - reference).mean() <= 0.01, name
    assert report["resolve"] == {
        "bf16 on a CPU without it": "f32",
        "bf16 with MODEL_PRECISION=f32": "f32",
        "bf16": "bf16",
        "unpinned refused": True,
        "MODEL_PRECISION=bf16 refused": True,
    }


@pytest.mark.parametrize("overlay, kind", [("local", "cpu"), ("production", "gpu")])
def test_triton_picks_the_configs_of_its_node_kind(overlay, kind):
    from tests.unit.test_k8s import build as kustomize, of_kind

    (container,) = of_kind(kustomize(REPO / "k8s" / "overlays" / overlay), "Deployment")["triton"]["spec"]["template"]["spec"]["containers"]
    assert "--model-config-name=$(TRITON_MODEL_CONFIG)" in container["args"]
    assert {"name": "TRITON_MODEL_CONFIG", "value": kind} in container["env"]
    assert ("nvidia.com/gpu" in container["resources"]["limits"]) == (kind == "gpu")
