"""Diffusion models for the model repository.

No text-to-image weights ship in any package the project can install, so:

- `make models-diffusion-tiny` (`python -m deploy.models.diffusion tiny`)
  builds a small, randomly initialised latent diffusion pipeline with Stable
  Diffusion's architecture and interfaces — a CLIP-style text encoder
  (token + position embeddings, a causal self-attention block, final layer
  norm), a UNet (time embedding, residual blocks, cross-attention to the
  text, one down and one up level with a skip), a VAE decoder (x8) and
  encoder (/8) — plus a CLIP BPE tokenizer in the real vocab.json/merges.txt
  format. It draws nothing recognisable; it proves the serving path.
- `python -m deploy.models.diffusion install DIR` validates an operator's
  exported Stable Diffusion ONNX directory (the layout `optimum-cli export
  onnx` writes: text_encoder/, unet/, vae_decoder/, vae_encoder/,
  tokenizer/) and installs it into the repository with Triton configs
  (KIND_GPU with `--gpu`).

Both write the same four models: diffusion-text-encoder, diffusion-unet,
diffusion-vae-decoder, diffusion-vae-encoder, the tokenizer beside the text
encoder (diffusion-text-encoder/tokenizer/).
"""

from __future__ import annotations

import argparse
import json
import pathlib
import shutil
from collections import Counter

import numpy as np

MODELS = {
    "text_encoder": "diffusion-text-encoder",
    "unet": "diffusion-unet",
    "vae_decoder": "diffusion-vae-decoder",
    "vae_encoder": "diffusion-vae-encoder",
}
# What each model must take and give (names as in Stable Diffusion's ONNX exports).
INTERFACES = {
    "text_encoder": (("input_ids",), ("last_hidden_state",)),
    "unet": (("sample", "timestep", "encoder_hidden_states"), ("out_sample",)),
    "vae_decoder": (("latent_sample",), ("sample",)),
    "vae_encoder": (("sample",), ("latent_sample",)),
}
TINY_CORPUS = (
    "a photo of the beautiful sunset over mountains with vibrant colors in the background and a tree near "
    "the sea at night studio portrait of a person cat dog red blue green white black light soft warm cold"
)


# --- the tiny pipeline ----------------------------------------------------------


class GraphBuilder:
    """Just enough of a layer library to write small ONNX graphs by hand, seeded."""

    def __init__(self, seed: int):
        from onnx import helper, numpy_helper

        self.helper, self.numpy_helper = helper, numpy_helper
        self.rng = np.random.default_rng(seed)
        self.nodes, self.initializers = [], []
        self.count = 0

    def _name(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}_{self.count}"

    def const(self, value, prefix: str = "c") -> str:
        name = self._name(prefix)
        self.initializers.append(self.numpy_helper.from_array(np.asarray(value), name))
        return name

    def op(self, op_type: str, inputs: list[str], output: str | None = None, **attributes) -> str:
        output = output or self._name(op_type.lower())
        self.nodes.append(self.helper.make_node(op_type, inputs, [output], **attributes))
        return output

    def weight(self, shape, fan_in: int, gain: float = 1.0) -> str:
        return self.const((self.rng.standard_normal(shape) * gain / np.sqrt(fan_in)).astype(np.float32), "w")

    def zeros(self, count: int) -> str:
        return self.const(np.zeros(count, np.float32), "b")

    def conv(self, x: str, cin: int, cout: int, kernel: int = 3, stride: int = 1, gain: float = 1.0, output: str | None = None) -> str:
        return self.op(
            "Conv", [x, self.weight((cout, cin, kernel, kernel), cin * kernel * kernel, gain), self.zeros(cout)], output,
            kernel_shape=[kernel, kernel], pads=[kernel // 2] * 4, strides=[stride, stride],
        )

    def linear(self, x: str, din: int, dout: int, gain: float = 1.0) -> str:
        return self.op("Add", [self.op("MatMul", [x, self.weight((din, dout), din, gain)]), self.zeros(dout)])

    def layer_norm(self, x: str, dim: int, output: str | None = None) -> str:
        return self.op("LayerNormalization", [x, self.const(np.ones(dim, np.float32)), self.zeros(dim)], output, axis=-1, epsilon=1e-5)

    def norm2d(self, x: str, channels: int) -> str:
        return self.op("InstanceNormalization", [x, self.const(np.ones(channels, np.float32)), self.zeros(channels)], epsilon=1e-5)

    def silu(self, x: str) -> str:
        return self.op("Mul", [x, self.op("Sigmoid", [x])])

    def attention(self, queries: str, context: str, dim: int, context_dim: int, heads: int, causal_length: int = 0) -> str:
        """Multi-head attention of [B, N, dim] over [B, M, context_dim] -> [B, N, dim]."""
        head = dim // heads
        split = self.const(np.array([0, 0, heads, head], np.int64))

        def project(x: str, din: int) -> str:
            return self.op("Transpose", [self.op("Reshape", [self.linear(x, din, dim), split])], perm=[0, 2, 1, 3])

        q, k, v = project(queries, dim), project(context, context_dim), project(context, context_dim)
        scores = self.op("Mul", [self.op("MatMul", [q, self.op("Transpose", [k], perm=[0, 1, 3, 2])]), self.const(np.float32(1 / np.sqrt(head)))])
        if causal_length:
            mask = np.triu(np.full((causal_length, causal_length), -1e4, np.float32), k=1)[np.newaxis, np.newaxis]
            scores = self.op("Add", [scores, self.const(mask)])
        mixed = self.op("MatMul", [self.op("Softmax", [scores], axis=-1), v])
        merged = self.op("Reshape", [self.op("Transpose", [mixed], perm=[0, 2, 1, 3]), self.const(np.array([0, 0, dim], np.int64))])
        return self.linear(merged, dim, dim)

    def model(self, inputs, outputs):
        graph = self.helper.make_graph(self.nodes, "tiny", inputs, outputs, self.initializers)
        model = self.helper.make_model(graph, producer_name="backdrop tiny diffusion", opset_imports=[self.helper.make_opsetid("", 17)])
        model.ir_version = 8
        import onnx

        onnx.checker.check_model(model)
        return model


def tiny_tokenizer() -> tuple[dict[str, int], list[tuple[str, str]]]:
    """A CLIP-format BPE vocabulary: the 512 byte symbols, merges learnt from a small corpus, the two specials."""
    from services.inference.pipeline.tokenizer import BOS, EOS, byte_alphabet

    alphabet = byte_alphabet()
    symbols = list(alphabet.values())
    vocab_list = symbols + [s + "</w>" for s in symbols]
    words = Counter(tuple([*w[:-1], w[-1] + "</w>"]) for w in TINY_CORPUS.split())
    merges: list[tuple[str, str]] = []
    for _ in range(120):
        pairs = Counter()
        for word, count in words.items():
            for pair in zip(word, word[1:]):
                pairs[pair] += count
        if not pairs:
            break
        best = max(sorted(pairs), key=lambda pair: pairs[pair])
        merges.append(best)
        vocab_list.append(best[0] + best[1])
        merged = Counter()
        for word, count in words.items():
            out, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                    out.append(word[i] + word[i + 1])
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            merged[tuple(out)] += count
        words = merged
    vocab_list += [BOS, EOS]
    return {symbol: index for index, symbol in enumerate(vocab_list)}, merges


def tiny_text_encoder(vocab_size: int, dim: int = 32, length: int = 77):
    from onnx import TensorProto, helper

    g = GraphBuilder(1)
    ids = "input_ids"
    embedded = g.op("Gather", [g.const((g.rng.standard_normal((vocab_size, dim)) * 0.5).astype(np.float32)), ids], axis=0)
    x = g.op("Add", [embedded, g.const((g.rng.standard_normal((length, dim)) * 0.1).astype(np.float32))])
    x = g.op("Add", [x, g.attention(g.layer_norm(x, dim), g.layer_norm(x, dim), dim, dim, heads=2, causal_length=length)])
    hidden = g.linear(g.layer_norm(x, dim), dim, 4 * dim)
    hidden = g.op("Mul", [hidden, g.op("Sigmoid", [g.op("Mul", [hidden, g.const(np.float32(1.702))])])])  # quick GELU, as CLIP
    x = g.op("Add", [x, g.linear(hidden, 4 * dim, dim)])
    g.layer_norm(x, dim, output="last_hidden_state")
    return g.model(
        [helper.make_tensor_value_info("input_ids", TensorProto.INT32, ["batch", length])],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", length, dim])],
    )


def tiny_unet(context_dim: int = 32, channels: int = 32):
    from onnx import TensorProto, helper

    g = GraphBuilder(2)
    frequencies = np.exp(-np.log(10000) * np.arange(channels // 2) / (channels // 2)).astype(np.float32)
    angles = g.op("Mul", [g.op("Unsqueeze", ["timestep", g.const(np.array([1], np.int64))]), g.const(frequencies[np.newaxis])])
    embedding = g.op("Concat", [g.op("Sin", [angles]), g.op("Cos", [angles])], axis=1)
    embedding = g.linear(g.silu(g.linear(embedding, channels, 4 * channels)), 4 * channels, 4 * channels)

    def resblock(x: str, cin: int, cout: int) -> str:
        h = g.conv(g.silu(g.norm2d(x, cin)), cin, cout)
        time = g.op("Unsqueeze", [g.linear(g.silu(embedding), 4 * channels, cout), g.const(np.array([2, 3], np.int64))])
        h = g.conv(g.silu(g.norm2d(g.op("Add", [h, time]), cout)), cout, cout, gain=0.5)
        skip = x if cin == cout else g.conv(x, cin, cout, kernel=1)
        return g.op("Add", [skip, h])

    def cross_attention(x: str, dim: int) -> str:
        shape = g.op("Shape", [x])
        tokens = g.op("Transpose", [g.op("Reshape", [g.norm2d(x, dim), g.const(np.array([0, dim, -1], np.int64))])], perm=[0, 2, 1])
        attended = g.attention(tokens, "encoder_hidden_states", dim, context_dim, heads=2)
        back = g.op("Reshape", [g.op("Transpose", [attended], perm=[0, 2, 1]), shape])
        return g.op("Add", [x, back])

    x = g.conv("sample", 4, channels)
    skip = resblock(x, channels, channels)
    down = g.conv(skip, channels, 2 * channels, stride=2)
    middle = cross_attention(resblock(down, 2 * channels, 2 * channels), 2 * channels)
    up = g.op("Resize", [middle, "", g.const(np.array([1, 1, 2, 2], np.float32))], mode="nearest")
    x = resblock(g.op("Concat", [up, skip], axis=1), 3 * channels, channels)
    g.conv(g.silu(g.norm2d(x, channels)), channels, 4, gain=0.5, output="out_sample")
    return g.model(
        [
            helper.make_tensor_value_info("sample", TensorProto.FLOAT, ["batch", 4, "height", "width"]),
            helper.make_tensor_value_info("timestep", TensorProto.FLOAT, ["batch"]),
            helper.make_tensor_value_info("encoder_hidden_states", TensorProto.FLOAT, ["batch", 77, context_dim]),
        ],
        [helper.make_tensor_value_info("out_sample", TensorProto.FLOAT, ["batch", 4, "height", "width"])],
    )


def tiny_vae_decoder(channels: int = 32):
    from onnx import TensorProto, helper

    g = GraphBuilder(3)
    x = g.silu(g.conv("latent_sample", 4, channels))
    for _ in range(3):
        x = g.silu(g.conv(g.op("Resize", [x, "", g.const(np.array([1, 1, 2, 2], np.float32))], mode="nearest"), channels, channels))
    g.op("Tanh", [g.conv(x, channels, 3)], output="sample")
    return g.model(
        [helper.make_tensor_value_info("latent_sample", TensorProto.FLOAT, ["batch", 4, "height", "width"])],
        [helper.make_tensor_value_info("sample", TensorProto.FLOAT, ["batch", 3, "image_height", "image_width"])],
    )


def tiny_vae_encoder(channels: int = 32):
    from onnx import TensorProto, helper

    g = GraphBuilder(4)
    x = g.silu(g.conv("sample", 3, channels))
    for _ in range(3):
        x = g.silu(g.conv(x, channels, channels, stride=2))
    g.conv(x, channels, 4, output="latent_sample")
    return g.model(
        [helper.make_tensor_value_info("sample", TensorProto.FLOAT, ["batch", 3, "image_height", "image_width"])],
        [helper.make_tensor_value_info("latent_sample", TensorProto.FLOAT, ["batch", 4, "height", "width"])],
    )


def build_tiny(export: pathlib.Path) -> pathlib.Path:
    """Writes the tiny pipeline as an ONNX export directory (the layout operators bring)."""
    vocab, merges = tiny_tokenizer()
    models = {
        "text_encoder": tiny_text_encoder(len(vocab)),
        "unet": tiny_unet(),
        "vae_decoder": tiny_vae_decoder(),
        "vae_encoder": tiny_vae_encoder(),
    }
    for part, model in models.items():
        (export / part).mkdir(parents=True, exist_ok=True)
        (export / part / "model.onnx").write_bytes(model.SerializeToString())
    (export / "tokenizer").mkdir(parents=True, exist_ok=True)
    (export / "tokenizer" / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    (export / "tokenizer" / "merges.txt").write_text(
        "#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in merges), encoding="utf-8"
    )
    return export


# --- validating and installing an export ----------------------------------------

TRITON_TYPES = {"tensor(float)": "TYPE_FP32", "tensor(float16)": "TYPE_FP16", "tensor(int32)": "TYPE_INT32", "tensor(int64)": "TYPE_INT64"}


def validate(
    export: pathlib.Path, interfaces: dict = INTERFACES, files: tuple[str, ...] = ("tokenizer/vocab.json", "tokenizer/merges.txt"),
    kind: str = "Stable Diffusion",
) -> dict[str, list]:
    """Checks the export's files and each model's inputs and outputs; returns their (name, type, dims).
    deploy/models/video.py checks Stable Video Diffusion exports with its own interfaces and files."""
    import onnxruntime

    problems, found = [], {}
    for part in (*interfaces, *{f.split("/")[0] for f in files}):
        if not (export / part).is_dir():
            problems.append(f"{part}/ is missing")
    for name in files:
        if not (export / name).is_file():
            problems.append(f"{name} is missing")
    for part, (inputs, outputs) in interfaces.items():
        path = export / part / "model.onnx"
        if not path.is_file():
            problems.append(f"{part}/model.onnx is missing")
            continue
        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        have_in = {i.name: i for i in session.get_inputs()}
        have_out = {o.name: o for o in session.get_outputs()}
        for wanted in inputs:
            if wanted not in have_in:
                problems.append(f"{part}: input {wanted!r} missing (has {sorted(have_in)})")
        for wanted in outputs:
            if wanted not in have_out:
                problems.append(f"{part}: output {wanted!r} missing (has {sorted(have_out)})")
        found[part] = [
            [(t.name, t.type, [d if isinstance(d, int) else -1 for d in t.shape]) for t in group]
            for group in (session.get_inputs(), session.get_outputs())
        ]
    if problems:
        raise SystemExit(f"not a {kind} ONNX export:\n  " + "\n  ".join(problems))
    return found


def triton_config(name: str, signature, gpu: bool) -> str:
    def tensors(group):
        rows = []
        for tensor_name, onnx_type, dims in group:
            if onnx_type not in TRITON_TYPES:
                raise SystemExit(f"{name}: {tensor_name} has unsupported type {onnx_type}")
            rows.append(f'  {{ name: "{tensor_name}" data_type: {TRITON_TYPES[onnx_type]} dims: [ {", ".join(map(str, dims))} ] }}')
        return ",\n".join(rows)

    inputs, outputs = signature
    kind = "KIND_GPU" if gpu else "KIND_AUTO"
    return (
        f'name: "{name}"\nplatform: "onnxruntime_onnx"\n# Explicit batch dimensions: the sampler sends [uncond, cond] together.\nmax_batch_size: 0\n'
        f"input [\n{tensors(inputs)}\n]\noutput [\n{tensors(outputs)}\n]\n"
        f"instance_group [ {{ count: 1 kind: {kind} }} ]\n"
    )


def install_models(export: pathlib.Path, repository: pathlib.Path, models: dict[str, str], found: dict[str, list], gpu: bool) -> None:
    """Copies each validated part's graph (and external weights) into the repository with its Triton config."""
    for part, name in models.items():
        target = repository / name
        shutil.rmtree(target, ignore_errors=True)
        (target / "1").mkdir(parents=True)
        source = export / part / "model.onnx"
        shutil.copyfile(source, target / "1" / "model.onnx")
        data = source.with_name("model.onnx_data")  # weights over 2 GB live beside the graph
        if data.exists():
            shutil.copyfile(data, target / "1" / "model.onnx_data")
        (target / "config.pbtxt").write_text(triton_config(name, found[part], gpu))


def install(export: pathlib.Path, repository: pathlib.Path, gpu: bool = False) -> None:
    install_models(export, repository, MODELS, validate(export), gpu)
    shutil.copytree(export / "tokenizer", repository / MODELS["text_encoder"] / "tokenizer")
    print(f"installed {', '.join(MODELS.values())} into {repository}")


def command_line(description: str, build, install, tiny_export: str, what: str) -> None:
    """`tiny` (build the random pipeline, install it) and `install DIR` (an operator's export):
    the command line of this module and of deploy/models/video.py."""
    parser = argparse.ArgumentParser(description=description)
    commands = parser.add_subparsers(dest="command", required=True)
    tiny = commands.add_parser("tiny", help="build the tiny random pipeline and install it")
    tiny.add_argument("--repository", default=".models/repository", type=pathlib.Path)
    tiny.add_argument("--export", default=tiny_export, type=pathlib.Path)
    bring = commands.add_parser("install", help=f"validate and install an ONNX export of {what}")
    bring.add_argument("export", type=pathlib.Path)
    bring.add_argument("--repository", default=".models/repository", type=pathlib.Path)
    bring.add_argument("--gpu", action="store_true", help="Triton instance groups on GPUs")
    args = parser.parse_args()
    if args.command == "tiny":
        install(build(args.export), args.repository)
    else:
        install(args.export, args.repository, args.gpu)


def main() -> None:
    command_line(__doc__.splitlines()[0], build_tiny, install, ".models/diffusion-tiny", "Stable Diffusion")


if __name__ == "__main__":
    main()
