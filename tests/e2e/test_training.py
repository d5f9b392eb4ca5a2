"""Seed 004's model training as a FOMI frontend runs it, on the tiny pipeline: four small
captioned images with a trigger word -> a few LoRA steps -> falling loss over the
WebSocket's training_progress -> the custom model is listed -> generation with it ->
shared -> another user generates with it but cannot delete it -> deleted (its files
gone from the model server's repository) -> generation with it is 404. Edit, inpaint and
outpaint take the custom model too: its UNet, not the base one, draws their pixels.
"""

from __future__ import annotations

import io
import json
import statistics

import numpy as np
import pytest
import requests
from websockets.sync.client import connect

from tests.contract.test_seed_004 import assert_error, b64, ok, subscribed
from tests import samples
from tests.samples import png, warm_style

pytestmark = pytest.mark.mesh

EPOCHS = 15  # x 4 images: 60 steps at 128 px, a few seconds on 2 cores



def training_body() -> dict:
    captions = ("a cat on a mat", "a house by a hill", "a tree in a field", "a dog by the sea")
    return {
        "name": "Orange style",
        "description": "four warm pictures",
        "images": [{"imageId": "data:image/png;base64," + b64(warm_style(n)), "caption": caption, "weight": 1.0} for n, caption in enumerate(captions)],
        "trainingParams": {
            "model": "stable-diffusion-1.5", "epochs": EPOCHS, "learningRate": 0.01, "batchSize": 1, "resolution": 128,
            "scheduler": "constant", "optimizer": "adamw",
        },
        "triggerWord": "zqorange",
        "category": "style",
        "isPublic": False,
    }


def generate(user, model: str) -> requests.Response:
    return user.post("/images/generate", {"prompt": "a bird", "model": model, "steps": 10, "seed": 5, "quality": "standard"})


def edit(user, image_id: str, model: str, prompt: str = "a red bird") -> requests.Response:
    return user.post("/images/edit", {"originalImageId": image_id, "prompt": prompt, "model": model, "strength": 0.8, "steps": 10, "seed": 9})


def inpaint(user, image_id: str, model: str) -> requests.Response:
    mask = np.zeros((512, 512), np.uint8)
    mask[128:384, 128:384] = 255  # white: repaint
    return user.post("/images/inpaint", {"imageId": image_id, "mask": b64(png(mask)), "prompt": "a red bird", "model": model, "steps": 10, "seed": 9})


def outpaint(user, image_id: str, model: str) -> requests.Response:
    return user.post("/images/outpaint", {"imageId": image_id, "direction": "right", "pixels": 64, "prompt": "a red bird", "model": model, "steps": 10, "seed": 9})


def pixels(user, generation: dict) -> np.ndarray:
    done = user.finished(generation["id"])["generation"]
    assert done["status"] == "completed", done
    return samples.pixels(done["images"][0]["url"]).astype(np.float32)


def test_train_share_generate_and_delete(mesh):
    owner, other = subscribed(mesh.base_url, "pro"), subscribed(mesh.base_url, "pro")
    socket_url = mesh.base_url.replace("http://", "ws://") + "/fomi/v1/ws"
    with connect(socket_url, additional_headers=owner.headers, open_timeout=20) as ws:
        ws.send(json.dumps({"type": "subscribe", "events": ["training_progress"]}))
        assert json.loads(ws.recv(timeout=20)) == {"type": "subscribed", "events": ["training_progress"]}
        started = ok(owner.post("/models/train", training_body()), (202,))
        training_id = started["training"]["id"]
        assert started["training"]["status"] in ("uploading", "training")
        events = []
        while not events or events[-1]["status"] not in ("completed", "failed"):
            events.append(json.loads(ws.recv(timeout=120)))
    assert events[-1]["status"] == "completed", events[-1]
    assert all(event["type"] == "training_progress" and event["trainingId"] == training_id for event in events)
    stepping = [event for event in events if event["status"] == "training"]
    assert len(stepping) >= 6, events  # the worker reports every step; the socket saw most of them
    losses = [event["loss"] for event in stepping]
    third = max(2, len(losses) // 3)
    assert statistics.mean(losses[-third:]) < 0.85 * statistics.mean(losses[:third]), losses  # the loss falls
    assert [event["epoch"] for event in stepping] == sorted(event["epoch"] for event in stepping)

    done = ok(owner.get(f"/models/train/{training_id}"))["training"]
    assert done["status"] == "completed" and done["progress"] == 100 and done["model"]["id"] == training_id
    assert len(done["epochLosses"]) == EPOCHS and done["epochLosses"][-1] < done["epochLosses"][0]
    lora = requests.get(done["model"]["url"], timeout=30)
    assert lora.status_code == 200 and np.load(io.BytesIO(lora.content))["0.up"].any()  # the adapters moved from zero

    listed = ok(owner.get("/models/custom"))["models"]
    mine = next(model for model in listed if model["id"] == training_id)
    assert mine["isOwner"] and mine["triggerWord"] == "zqorange" and not mine["isPublic"]
    model_dir = mesh.data_dir / "mlserver" / "custom-models" / f"diffusion-unet-custom-{training_id.replace('-', '')}"
    assert (model_dir / "1" / "model.onnx").is_file()

    made = owner.finished(ok(generate(owner, training_id), (202,))["generation"]["id"])["generation"]
    assert made["status"] == "completed" and made["prompt"] == "a bird"
    assert_error(generate(other, training_id), 404, "NOT_FOUND")  # not shared yet

    # Edit with the custom model against the base model with the same words (the trigger word
    # spelt out) and seed: only the UNet differs, so different pixels mean the custom one ran.
    drawn = made["images"][0]["id"]
    custom = pixels(owner, ok(edit(owner, drawn, training_id), (202,))["generation"])
    base = pixels(owner, ok(edit(owner, drawn, "stable-diffusion", "zqorange, a red bird"), (202,))["generation"])
    assert custom.shape == base.shape == (512, 512, 3) and np.abs(custom - base).mean() > 1.0
    painted = ok(inpaint(owner, drawn, training_id), (202,))["inpainting"]
    assert pixels(owner, painted).shape == (512, 512, 3)
    assert pixels(owner, ok(outpaint(owner, drawn, training_id), (202,))["generation"]).shape == (512, 576, 3)
    their_image = "data:image/png;base64," + b64(png(np.full((512, 512, 3), 128, np.uint8)))
    for call in (edit, inpaint, outpaint):
        assert_error(call(other, their_image, training_id), 404, "NOT_FOUND")  # the model: not theirs, not public

    shared = ok(owner.post(f"/models/custom/{training_id}/share", {"isPublic": True, "description": "Public description", "tags": ["portrait", "art"]}))
    assert shared["model"]["isPublic"] and shared["model"]["tags"] == ["portrait", "art"]
    theirs = next(model for model in ok(other.get("/models/custom"))["models"] if model["id"] == training_id)
    assert not theirs["isOwner"]
    assert other.finished(ok(generate(other, training_id), (202,))["generation"]["id"])["generation"]["status"] == "completed"
    assert_error(other.call("DELETE", f"/models/custom/{training_id}"), 403, "PERMISSION_DENIED")

    ok(owner.call("DELETE", f"/models/custom/{training_id}"))
    assert not model_dir.exists()
    assert_error(generate(owner, training_id), 404, "NOT_FOUND")
    assert_error(generate(other, training_id), 404, "NOT_FOUND")
    for call in (edit, inpaint, outpaint):
        assert_error(call(owner, drawn, training_id), 404, "NOT_FOUND")
    assert_error(owner.get(f"/models/custom/{training_id}"), 404, "NOT_FOUND")
