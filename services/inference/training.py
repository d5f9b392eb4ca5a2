"""Seed 004's model training: LoRA on the diffusion UNet's attention projections, in PyTorch.

The base UNet is the ONNX graph the inference server serves (MODEL_REPOSITORY's
diffusion-unet): `OnnxUNet` runs that graph with torch ops (the op set Stable
Diffusion's UNets use, as deploy/models/diffusion.py writes them), every weight
frozen. Each attention projection W (the query, key, value and output MatMuls, found
by the graph's structure around each Softmax) runs as W + (alpha / rank) * down @ up,
where only `down` and `up` train (up starts at zero: step 0 is the base model); with
adapters "attention+conv" (the default) every convolution's kernel too, as LyCORIS'
LoCon does (README: the tiny random UNet denoises nothing, and attention adapters alone
cannot teach it to: their loss stays at its start).

The loss is Stable Diffusion's: the noise predicted for a training image's latent
noised to a random timestep, against that noise (MSE, weighted per image). The
latents (VAE encoder) and caption states (text encoder) come from the inference
server through tritonclient, once per image. After training the adapters are merged
into the UNet's initializers and written as a new ONNX model into
CUSTOM_MODEL_REPOSITORY, which the inference server is asked to load (KServe v2 model
control, `load_model`); the adapters themselves are stored as the job's result
(results/<job id>/lora.npz). A custom model's generation sends its UNet calls to that
model (GenerateOptions.unet_model).
"""

from __future__ import annotations

import asyncio
import functools
import io
import json
import math
import pathlib
import re
import shutil
import time

import numpy as np
from PIL import Image

from backdrop.jobs.v1 import jobs_pb2
from services.inference.generation import TEXT_ENCODER, UNET, VAE_ENCODER, Generation, Progress
from services.inference.pipeline import diffusion as sd
from services.inference.pipeline.lora import CUSTOM_PREFIX, caption_prompt, model_name, progress_message
from services.runtime import images
from services.runtime.config import env_int, env_str
from services.runtime.errors import ServiceError, diffusion_unavailable

import grpc

def base_repository() -> pathlib.Path:
    return pathlib.Path(env_str("MODEL_REPOSITORY", ".models/repository"))


def custom_repository() -> pathlib.Path:
    return pathlib.Path(env_str("CUSTOM_MODEL_REPOSITORY", ".models/custom-models"))


def training_failed(message: str) -> ServiceError:
    return ServiceError(grpc.StatusCode.FAILED_PRECONDITION, "TRAINING_FAILED", message)


# --- the ONNX graph in torch --------------------------------------------------------


def _torch():
    import torch

    return torch


class OnnxUNet:
    """An ONNX graph run with torch ops, initializers frozen, chosen MatMul weights LoRA-adapted."""

    def __init__(self, model, rank: int = 4, alpha: float | None = None, seed: int = 0, adapters: str = "attention+conv", device: str = "cpu"):
        torch = _torch()
        from onnx import numpy_helper

        self.model, self.device = model, device
        self.graph = model.graph
        self.weights = {init.name: numpy_helper.to_array(init) for init in self.graph.initializer}
        self.tensors = {name: torch.from_numpy(np.array(value)).to(device) for name, value in self.weights.items()}
        unsupported = sorted({node.op_type for node in self.graph.node} - set(ops()))
        if unsupported:
            raise training_failed(f"Training cannot run this UNet: ONNX ops {', '.join(unsupported)} are not supported")
        self.targets = attention_projections(self.graph, set(self.weights))
        if not self.targets:
            raise training_failed("The base UNet has no attention projections to adapt (no Softmax fed by MatMul weights)")
        if adapters == "attention+conv":  # LoCon: the convolutions' kernels too, as (cout) x (cin*kh*kw) matrices
            self.targets += [n.input[1] for n in self.graph.node if n.op_type == "Conv" and n.input[1] in self.weights and n.input[1] not in self.targets]
        generator = torch.Generator().manual_seed(seed)
        self.rank, self.scale = rank, (alpha or rank) / rank
        self.down, self.up = {}, {}
        for name in self.targets:
            shape = self.weights[name].shape
            din, dout = (int(np.prod(shape[1:])), shape[0]) if len(shape) == 4 else shape
            self.down[name] = (torch.randn(din, rank, generator=generator) / math.sqrt(din)).to(device).requires_grad_()
            self.up[name] = torch.zeros(rank, dout, device=device, requires_grad=True)

    def parameters(self) -> list:
        return [*self.down.values(), *self.up.values()]

    def parameter_count(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def weight(self, name: str):
        base = self.tensors[name]
        if name not in self.down:
            return base
        delta = self.scale * (self.down[name] @ self.up[name])
        return base + (delta.t().reshape(base.shape) if base.dim() == 4 else delta)

    def __call__(self, **inputs):
        values, table = dict(inputs), ops()
        for node in self.graph.node:
            args = [None if not name else (values[name] if name in values else self.weight(name)) for name in node.input]
            attributes = {a.name: _attribute(a) for a in node.attribute}
            out = table[node.op_type](args, attributes)
            outputs = out if isinstance(out, tuple) else (out,)
            for name, value in zip(node.output, outputs):
                values[name] = value
        return values[self.graph.output[0].name]

    def merged(self):
        """The ONNX model with each adapted weight replaced by W + scale * down @ up."""
        from onnx import numpy_helper

        merged = type(self.model)()
        merged.CopyFrom(self.model)
        with _torch().no_grad():
            replacement = {name: self.weight(name).cpu().numpy().astype(self.weights[name].dtype) for name in self.targets}
        for index, init in enumerate(merged.graph.initializer):
            if init.name in replacement:
                merged.graph.initializer[index].CopyFrom(numpy_helper.from_array(replacement[init.name], init.name))
        return merged

    def adapters(self) -> dict[str, np.ndarray]:
        out = {}
        for index, name in enumerate(self.targets):
            out[f"{index}.down"] = self.down[name].detach().cpu().numpy()
            out[f"{index}.up"] = self.up[name].detach().cpu().numpy()
        out["scale"] = np.float32(self.scale)
        return out


def _attribute(attribute):
    from onnx import helper

    return helper.get_attribute_value(attribute)


def attention_projections(graph, initializers: set[str]) -> list[str]:
    """The MatMul weights of every attention block's query, key, value and output projections:
    found from each Softmax back through the score MatMul (q, kᵀ) and forward through the
    MatMul with the values (v) to the projection of the merged heads (out)."""
    producer = {out: node for node in graph.node for out in node.output}
    consumers: dict[str, list] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    passthrough = ("Transpose", "Reshape", "Add", "Mul", "Div", "Squeeze", "Unsqueeze")

    def weight_behind(name: str) -> str | None:
        for _ in range(8):
            node = producer.get(name)
            if node is None:
                return None
            if node.op_type == "MatMul" and node.input[1] in initializers:
                return node.input[1]
            if node.op_type not in passthrough:
                return None
            name = next((i for i in node.input if i and i not in initializers), "")
        return None

    def weight_after(name: str) -> str | None:
        for _ in range(8):
            following = consumers.get(name, [])
            if len(following) != 1:
                return None
            node = following[0]
            if node.op_type == "MatMul" and node.input[1] in initializers:
                return node.input[1]
            if node.op_type not in passthrough:
                return None
            name = node.output[0]
        return None

    found: list[str] = []
    for node in graph.node:
        if node.op_type != "Softmax":
            continue
        score = producer.get(node.input[0])
        while score is not None and score.op_type in ("Mul", "Add", "Div"):
            score = producer.get(next(i for i in score.input if i not in initializers))
        if score is None or score.op_type != "MatMul":
            continue
        mixing = [c for c in consumers.get(node.output[0], []) if c.op_type == "MatMul"]
        names = [weight_behind(score.input[0]), weight_behind(score.input[1])]
        if mixing:
            names += [weight_behind(mixing[0].input[1]), weight_after(mixing[0].output[0])]
        found += [n for n in names if n and n not in found and graph_rank(n, graph) == 2]
    return found


def graph_rank(name: str, graph) -> int:
    return next((len(init.dims) for init in graph.initializer if init.name == name), 0)


@functools.cache
def ops() -> dict:
    """Each supported ONNX op as f(inputs, attributes) on torch tensors."""
    torch = _torch()
    F = torch.nn.functional

    def reshape(a, at):
        x, shape = a
        shape = [int(s) for s in shape.tolist()]
        shape = [x.shape[i] if s == 0 and not at.get("allowzero") else s for i, s in enumerate(shape)]
        return x.reshape(shape)

    def conv(a, at):
        x, w = a[0], a[1]
        b = a[2] if len(a) > 2 else None
        pads = at.get("pads", [0, 0, 0, 0])
        return F.conv2d(x, w, b, stride=at.get("strides", [1, 1]), padding=(pads[0], pads[1]), dilation=at.get("dilations", [1, 1]), groups=at.get("group", 1))

    def instance_norm(a, at):
        x, scale, bias = a
        return F.instance_norm(x, weight=scale, bias=bias, eps=at.get("epsilon", 1e-5))

    def layer_norm(a, at):
        x, scale = a[0], a[1]
        bias = a[2] if len(a) > 2 else None
        axis = at.get("axis", -1) % x.dim()
        return F.layer_norm(x, x.shape[axis:], scale, bias, eps=at.get("epsilon", 1e-5))

    def resize(a, at):
        x = a[0]
        scales = a[2] if len(a) > 2 and a[2] is not None and a[2].numel() else None
        if scales is not None:
            size = [int(round(x.shape[i] * float(scales[i].detach()))) for i in range(2, x.dim())]
        else:
            size = [int(s) for s in a[3].tolist()[2:]]
        if at.get("mode", b"nearest") in (b"nearest", "nearest"):
            return F.interpolate(x, size=size, mode="nearest")
        return F.interpolate(x, size=size, mode="bilinear", align_corners=False)

    def gemm(a, at):
        x, w = a[0], a[1]
        x = x.t() if at.get("transA") else x
        w = w.t() if at.get("transB") else w
        out = at.get("alpha", 1.0) * (x @ w)
        return out + at.get("beta", 1.0) * a[2] if len(a) > 2 and a[2] is not None else out

    def slice_(a, at):
        x, starts, ends = a[0], a[1].tolist(), a[2].tolist()
        axes = a[3].tolist() if len(a) > 3 and a[3] is not None else list(range(len(starts)))
        steps = a[4].tolist() if len(a) > 4 and a[4] is not None else [1] * len(starts)
        index = [slice(None)] * x.dim()
        for s, e, ax, st in zip(starts, ends, axes, steps):
            index[ax] = slice(int(s), int(min(e, 2**62)), int(st))
        return x[tuple(index)]

    def split(a, at):
        x = a[0]
        axis = at.get("axis", 0)
        sizes = a[1].tolist() if len(a) > 1 and a[1] is not None else [x.shape[axis] // at.get("num_outputs", 2)] * at.get("num_outputs", 2)
        return tuple(torch.split(x, [int(s) for s in sizes], dim=axis))

    def unsqueeze(a, at):
        x = a[0]
        axes = a[1].tolist() if len(a) > 1 else at["axes"]
        for axis in sorted(int(i) % (x.dim() + len(axes)) for i in axes):
            x = x.unsqueeze(axis)
        return x

    def squeeze(a, at):
        x = a[0]
        axes = a[1].tolist() if len(a) > 1 and a[1] is not None else at.get("axes")
        if axes is None:
            return x.squeeze()
        for axis in sorted((int(i) % x.dim() for i in axes), reverse=True):
            x = x.squeeze(axis)
        return x

    def constant(a, at):
        from onnx import numpy_helper

        return torch.from_numpy(np.array(numpy_helper.to_array(at["value"])))

    def cast(a, at):
        from onnx import helper

        return a[0].to(torch.from_numpy(np.zeros(1, helper.tensor_dtype_to_np_dtype(at["to"]))).dtype)

    def reduce_mean(a, at):
        axes = a[1].tolist() if len(a) > 1 else at.get("axes")
        return a[0].mean(dim=[int(i) for i in axes], keepdim=bool(at.get("keepdims", 1)))

    return {
        "Add": lambda a, at: a[0] + a[1],
        "Sub": lambda a, at: a[0] - a[1],
        "Mul": lambda a, at: a[0] * a[1],
        "Div": lambda a, at: a[0] / a[1],
        "Pow": lambda a, at: a[0] ** a[1],
        "Sqrt": lambda a, at: torch.sqrt(a[0]),
        "Neg": lambda a, at: -a[0],
        "Erf": lambda a, at: torch.erf(a[0]),
        "Tanh": lambda a, at: torch.tanh(a[0]),
        "Sigmoid": lambda a, at: torch.sigmoid(a[0]),
        "Sin": lambda a, at: torch.sin(a[0]),
        "Cos": lambda a, at: torch.cos(a[0]),
        "Identity": lambda a, at: a[0],
        "MatMul": lambda a, at: a[0] @ a[1],
        "Gemm": gemm,
        "Softmax": lambda a, at: torch.softmax(a[0], dim=at.get("axis", -1)),
        "Transpose": lambda a, at: a[0].permute(*at["perm"]) if "perm" in at else a[0].permute(*reversed(range(a[0].dim()))),
        "Reshape": reshape,
        "Concat": lambda a, at: torch.cat(a, dim=at["axis"]),
        "Unsqueeze": unsqueeze,
        "Squeeze": squeeze,
        "Shape": lambda a, at: torch.tensor(a[0].shape, dtype=torch.int64),
        "Gather": lambda a, at: torch.index_select(a[0], at.get("axis", 0), a[1].reshape(-1).long()).reshape(
            *a[0].shape[: at.get("axis", 0)], *a[1].shape, *a[0].shape[at.get("axis", 0) + 1 :]
        ),
        "Conv": conv,
        "InstanceNormalization": instance_norm,
        "LayerNormalization": layer_norm,
        "Resize": resize,
        "Slice": slice_,
        "Split": split,
        "Constant": constant,
        "Cast": cast,
        "ReduceMean": reduce_mean,
        "Expand": lambda a, at: a[0].expand(*[int(s) for s in a[1].tolist()]) if a[0].dim() == len(a[1]) else a[0] * torch.ones(*[int(s) for s in a[1].tolist()]),
        "Where": lambda a, at: torch.where(a[0].bool(), a[1], a[2]),
    }




# --- the training ---------------------------------------------------------------------


def square(data: bytes, side: int) -> np.ndarray:
    """A training image: decoded, centre-cropped to a square and resized to side x side (RGB uint8)."""
    image = images.decode_rgb(data).convert("RGB")
    short = min(image.size)
    left, top = (image.width - short) // 2, (image.height - short) // 2
    return np.asarray(image.crop((left, top, left + short, top + short)).resize((side, side), Image.Resampling.LANCZOS))


def learning_rate_at(scheduler: str, base: float, step: int, steps: int) -> float:
    if scheduler == "cosine":
        return base * 0.5 * (1 + math.cos(math.pi * step / max(1, steps)))
    if scheduler == "linear":
        return base * (1 - step / max(1, steps))
    return base


class Trainer:
    """One training: the data on the server's encoders, the LoRA steps in torch."""

    def __init__(self, unet: OnnxUNet, options: jobs_pb2.TrainOptions):
        torch = _torch()
        self.unet = unet
        self.options = options
        parameters = unet.parameters()
        rate = options.learning_rate
        self.optimizer = {
            "adamw": lambda: torch.optim.AdamW(parameters, lr=rate, weight_decay=1e-2),
            "adam": lambda: torch.optim.Adam(parameters, lr=rate),
            "sgd": lambda: torch.optim.SGD(parameters, lr=rate, momentum=0.9),
        }[options.optimizer or "adamw"]()
        self.generator = torch.Generator().manual_seed(int(options.seed))

    def step(self, latents, states, weights, step: int, steps: int) -> float:
        """One optimiser step on a batch; returns its weighted mean loss."""
        torch = _torch()
        batch, device = latents.shape[0], self.unet.device
        latents, states, weights = latents.to(device), states.to(device), weights.to(device)
        t = torch.randint(0, sd.TRAIN_STEPS, (batch,), generator=self.generator)  # drawn on the CPU: the same on any device
        alphas = torch.from_numpy(sd.ALPHAS.astype(np.float32))[t].reshape(batch, 1, 1, 1).to(device)
        noise = torch.randn(latents.shape, generator=self.generator).to(device)
        t = t.to(device)
        noisy = alphas.sqrt() * latents + (1 - alphas).sqrt() * noise
        predicted = self.unet(sample=noisy, timestep=t.float(), encoder_hidden_states=states)
        per_image = ((predicted - noise) ** 2).mean(dim=(1, 2, 3))
        loss = (per_image * weights).sum() / weights.sum()
        for group in self.optimizer.param_groups:
            group["lr"] = learning_rate_at(self.options.scheduler, self.options.learning_rate, step, steps)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return float(loss.detach())


async def encode_dataset(generation: Generation, pictures: list[np.ndarray], prompts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The images' latents (VAE encoder x LATENT_SCALE) and the captions' text states, from the server."""
    latents = [await generation._encode_image(picture) for picture in pictures]
    states = [await generation._text([prompt]) for prompt in prompts]
    return np.concatenate(latents).astype(np.float32), np.concatenate(states).astype(np.float32)


def device() -> str:
    """TRAINING_DEVICE (cuda, cpu), or the GPU when torch sees one (the GPU Deployment), else the CPU."""
    torch = _torch()
    return env_str("TRAINING_DEVICE", "cuda" if torch.cuda.is_available() else "cpu")


def load_base():
    import onnx

    path = base_repository() / UNET / "1" / "model.onnx"
    if not path.is_file():
        raise diffusion_unavailable()
    return onnx.load(str(path))


def write_model(merged, name: str) -> pathlib.Path:
    """The merged UNet as a model of the custom repository: Triton's layout and config (the base
    UNet's, renamed), and beside it MLServer's settings for the local server."""
    import onnx

    target = custom_repository() / name
    shutil.rmtree(target, ignore_errors=True)
    (target / "1").mkdir(parents=True)
    onnx.save(merged, str(target / "1" / "model.onnx"))
    config = (base_repository() / UNET / "config.pbtxt").read_text()
    (target / "config.pbtxt").write_text(re.sub(r'^name: ".*"', f'name: "{name}"', config, count=1, flags=re.M))
    try:
        from deploy.local import modelserver  # the local server's settings; Triton reads config.pbtxt

        (target / "model-settings.json").write_text(json.dumps(modelserver.model_settings(target), indent=2))
    except ImportError:
        pass
    return target


def delete_model_files(name: str) -> bool:
    if not name.startswith(CUSTOM_PREFIX) or "/" in name or ".." in name:
        return False
    target = custom_repository() / name
    existed = target.is_dir()
    shutil.rmtree(target, ignore_errors=True)
    return existed


async def run(generation: Generation, item: jobs_pb2.WorkItem, timings: dict, progress: Progress) -> jobs_pb2.JobResult:
    """A training job: its images and captions from the manifest, `steps` LoRA steps, the
    merged model written and loaded, the adapters stored."""
    torch = _torch()
    options = item.train
    started = time.perf_counter()
    if not await generation.available():
        raise diffusion_unavailable()
    manifest = json.loads(await generation.store.get(item.input_key))
    entries = manifest["images"]
    pictures = [await asyncio.to_thread(square, await generation.store.get(e["key"]), options.resolution) for e in entries]
    prompts = [caption_prompt(options.trigger_word, e.get("caption", "")) for e in entries]
    latents, states = await encode_dataset(generation, pictures, prompts)
    weights = torch.tensor([float(e.get("weight", 1.0)) for e in entries])
    unet = OnnxUNet(await asyncio.to_thread(load_base), rank=options.rank or 4, seed=int(options.seed), adapters=options.adapters or "attention+conv", device=device())
    trainer = Trainer(unet, options)
    torch.set_num_threads(env_int("TRAINING_THREADS", torch.get_num_threads()))
    order = np.random.default_rng(int(options.seed))
    batch_size = max(1, options.batch_size)
    per_epoch = math.ceil(len(entries) / batch_size)
    steps, step, epoch_losses = options.epochs * per_epoch, 0, []
    step_started = time.perf_counter()
    for epoch in range(1, options.epochs + 1):
        losses = []
        shuffled = order.permutation(len(entries))
        for start in range(0, len(entries), batch_size):
            chosen = shuffled[start : start + batch_size]
            batch = (torch.from_numpy(latents[chosen]), torch.from_numpy(states[chosen]), weights[chosen])
            loss = await asyncio.to_thread(trainer.step, *batch, step, steps)
            if not math.isfinite(loss):
                raise training_failed(f"The loss diverged at step {step + 1} (learning rate {options.learning_rate:g} too high?)")
            losses.append(loss)
            step += 1
            await progress(max(1, min(98, round(98 * step / steps))), progress_message(epoch, options.epochs, step, steps, loss))
        epoch_losses.append(float(np.mean(losses)))
    training_s = time.perf_counter() - step_started
    timings["training_s"] = round(training_s, 2)
    name = model_name(item.job_id)
    await asyncio.to_thread(write_model, await asyncio.to_thread(unet.merged), name)
    await generation.server.load_model(name)
    adapters = io.BytesIO()
    np.savez(adapters, **unet.adapters())
    key = f"results/{item.job_id}/lora.npz"
    await generation.store.put(key, adapters.getvalue(), "application/octet-stream")
    return jobs_pb2.JobResult(
        result_key=key, format="npz", content_type="application/octet-stream", model=name,
        processing_seconds=time.perf_counter() - started,
        training=jobs_pb2.TrainResult(
            unet_model=name, epoch_losses=epoch_losses, steps=steps, lora_parameters=unet.parameter_count(),
            adapted=unet.targets, seconds_per_step=training_s / max(1, steps),
        ),
    )
