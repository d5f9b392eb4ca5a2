"""The words of a LoRA training, shared by the gateway and the training role without loading
either's machinery: the caption a trigger word makes, a step's progress message (and reading
its epoch and loss back), the merged model's name on the inference server."""

from __future__ import annotations

import re

CUSTOM_PREFIX = "diffusion-unet-custom-"
MESSAGE = re.compile(r"^Epoch (\d+) of (\d+): step (\d+) of (\d+), loss ([0-9.eE+-]+|nan|inf)$")


def progress_message(epoch: int, epochs: int, step: int, steps: int, loss: float) -> str:
    """What a training step reports; `parse_message` reads it back (seed 004's epoch and loss)."""
    return f"Epoch {epoch} of {epochs}: step {step} of {steps}, loss {loss:.6f}"


def parse_message(message: str) -> tuple[int, float] | None:
    """(epoch, loss) from a training step's progress message, or None for any other message."""
    found = MESSAGE.match(message or "")
    return (int(found.group(1)), float(found.group(5))) if found else None


def model_name(job_id: str) -> str:
    """The merged UNet's name on the inference server: one per training job."""
    return CUSTOM_PREFIX + job_id.replace("-", "")


def caption_prompt(trigger: str, caption: str) -> str:
    """The text an image is trained with, and the form a generation's prompt takes: the trigger word first."""
    caption = " ".join(caption.split())
    if not trigger or trigger.lower() in caption.lower().replace(",", " ").split():
        return caption or trigger
    return f"{trigger}, {caption}" if caption else trigger
