"""Seed 004's model training on the tiny pipeline, in process (services/inference/training.py):
the ONNX graph run in torch is the graph onnxruntime runs, the adapters find the attention
projections, and the honesty check: training lowers the loss and moves what the model draws
for the trigger prompt toward the training images' statistics."""

from __future__ import annotations

import asyncio
import io
import json

import numpy as np
import pytest
from PIL import Image

from backdrop.jobs.v1 import jobs_pb2
from services.inference.pipeline import lora

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")
onnxruntime = pytest.importorskip("onnxruntime")

from services.inference import training  # noqa: E402 - after the skips
from services.inference.generation import UNET, Generation  # noqa: E402
from services.runtime.objectstore import LocalObjectStore  # noqa: E402
from tests.samples import warm_style  # noqa: E402

REPOSITORY = training.base_repository()
needs_models = pytest.mark.skipif(not (REPOSITORY / UNET / "1" / "model.onnx").is_file(), reason="make models-diffusion-tiny")


class InProcessServer:
    """The inference server's calls the training and generation make, by onnxruntime here; a
    model of the custom repository is found there once written (load_model re-reads it)."""

    def __init__(self):
        self.sessions = {}

    def path(self, model: str):
        for repository in (training.custom_repository(), REPOSITORY):
            if (repository / model / "1" / "model.onnx").is_file():
                return repository / model / "1" / "model.onnx"
        return None

    def session(self, model: str):
        if model not in self.sessions:
            self.sessions[model] = onnxruntime.InferenceSession(str(self.path(model)), providers=["CPUExecutionProvider"])
        return self.sessions[model]

    async def infer_named(self, model: str, inputs: dict, output: str) -> np.ndarray:
        return self.session(model).run([output], inputs)[0].astype(np.float32)

    async def is_ready(self, model: str) -> bool:
        return self.path(model) is not None

    async def load_model(self, model: str) -> None:
        self.sessions.pop(model, None)



def test_progress_messages_and_captions_round_trip():
    message = lora.progress_message(3, 10, 12, 40, 0.0234)
    assert message == "Epoch 3 of 10: step 12 of 40, loss 0.023400"
    assert lora.parse_message(message) == (3, 0.0234)
    assert lora.parse_message("Generating image 1 of 2: step 3 of 30") is None
    assert lora.caption_prompt("myartstyle", "Portrait of a woman") == "myartstyle, Portrait of a woman"
    assert lora.caption_prompt("myartstyle", "a myartstyle portrait") == "a myartstyle portrait"  # not twice
    assert lora.caption_prompt("", "a portrait") == "a portrait"
    assert lora.model_name("0d6f-1") == "diffusion-unet-custom-0d6f1"


@needs_models
def test_the_graph_in_torch_is_the_graph_onnxruntime_runs():
    model = onnx.load(str(REPOSITORY / UNET / "1" / "model.onnx"))
    unet = training.OnnxUNet(model, adapters="attention")
    assert len(unet.targets) == 4  # the cross-attention's query, key, value and output projections
    shapes = sorted(tuple(unet.weights[name].shape) for name in unet.targets)
    assert shapes == [(32, 64), (32, 64), (64, 64), (64, 64)]  # key/value from the 32-d text states
    rng = np.random.default_rng(0)
    feeds = {
        "sample": rng.standard_normal((2, 4, 16, 16)).astype(np.float32),
        "timestep": np.array([10.0, 900.0], np.float32),
        "encoder_hidden_states": rng.standard_normal((2, 77, 32)).astype(np.float32),
    }
    expected = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, feeds)[0]
    with torch.no_grad():
        got = unet(**{name: torch.from_numpy(value) for name, value in feeds.items()}).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
    # Untrained adapters (up = 0) merge into the very same model.
    merged = onnxruntime.InferenceSession(unet.merged().SerializeToString(), providers=["CPUExecutionProvider"]).run(None, feeds)[0]
    np.testing.assert_allclose(merged, expected, rtol=1e-5, atol=1e-6)
    with_conv = training.OnnxUNet(model)
    assert len(with_conv.targets) > 4 and with_conv.parameter_count() > unet.parameter_count()


@needs_models
def test_training_lowers_the_loss_and_moves_the_trigger_prompts_pixels_toward_the_training_images(tmp_path, monkeypatch):
    monkeypatch.setenv("CUSTOM_MODEL_REPOSITORY", str(tmp_path / "custom"))
    store = LocalObjectStore(str(tmp_path / "objects"))
    generation = Generation(store, InProcessServer())

    async def scenario():
        entries = []
        for n, caption in enumerate(("a cat", "a house", "a tree", "a dog")):
            await store.put(f"training/{n}.png", warm_style(n), "image/png")
            entries.append({"key": f"training/{n}.png", "caption": caption, "weight": 1.0})
        await store.put("training/manifest.json", json.dumps({"images": entries}).encode(), "application/json")
        options = jobs_pb2.TrainOptions(
            trigger_word="zqstyle", epochs=12, learning_rate=0.01, batch_size=1, resolution=64, scheduler="constant",
            optimizer="adamw", rank=4, seed=7, adapters="attention+conv",
        )
        reported = []

        async def progress(percent: int, message: str) -> None:
            reported.append((percent, lora.parse_message(message)))

        job_id = "00000000-0000-0000-0000-000000000001"
        result = await training.run(generation, jobs_pb2.WorkItem(job_id=job_id, input_key="training/manifest.json", train=options), {}, progress)
        # What the training images are through the tiny (random) VAE: the statistics a perfect model draws.
        latents, _ = await training.encode_dataset(generation, [training.square(warm_style(n), 64) for n in range(4)], ["x"] * 4)
        target = np.concatenate([await generation._decode(latents[n : n + 1]) for n in range(4)]).reshape(-1, 3).mean(axis=0)
        means = {}
        for unet in ("", result.training.unet_model):
            drawn = []
            for seed in range(4):
                item = jobs_pb2.WorkItem(
                    job_id=f"draw-{seed}-{bool(unet)}",
                    generate=jobs_pb2.GenerateOptions(
                        mode="text", prompt="zqstyle, a bird", num_images=1, width=64, height=64, seed=100 + seed,
                        guidance_scale=7.5, steps=20, unet_model=unet,
                    ),
                )
                made = await generation.run(item, {}, progress)
                drawn.append(np.asarray(Image.open(io.BytesIO(await store.get(made.result_key)))).reshape(-1, 3).mean(axis=0))
            means[unet or "base"] = np.mean(drawn, axis=0)
        return result, reported, target, means

    result, reported, target, means = asyncio.run(scenario())
    losses = list(result.training.epoch_losses)
    assert len(losses) == 12 and result.training.steps == 48
    assert np.mean(losses[-3:]) < 0.6 * np.mean(losses[:3]), losses  # measured: 1.03 -> 0.31
    assert [epoch for _, (epoch, _) in reported[:48]] == sorted(epoch for _, (epoch, _) in reported[:48])
    assert (training.custom_repository() / result.training.unet_model / "config.pbtxt").read_text().startswith(
        f'name: "{result.training.unet_model}"'
    )
    base, trained = (float(np.linalg.norm(means[k] - target)) for k in ("base", result.training.unet_model))
    assert trained < 0.9 * base, (means, target)  # measured: 61.4 -> 49.6 (RGB distance of the mean colour)
