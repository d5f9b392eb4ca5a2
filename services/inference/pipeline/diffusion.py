"""Latent diffusion's arithmetic: noise schedules, the DDIM and Euler samplers
with classifier-free guidance, latent masks for inpainting and outpainting,
and the conversions between images and VAE tensors. Pure numpy; the text
encoder, UNet and VAE run on the inference server.

Conventions are Stable Diffusion v1's: 1000 training steps on a
"scaled linear" beta schedule (0.00085 to 0.012), latents with 4 channels at
1/8 of the image size, scaled by 0.18215, images in [-1, 1].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TRAIN_STEPS = 1000
LATENT_SCALE = 0.18215
VAE_FACTOR = 8
SAMPLERS = ("ddim", "euler")


def alphas_cumprod(beta_start: float = 0.00085, beta_end: float = 0.012) -> np.ndarray:
    betas = np.linspace(beta_start**0.5, beta_end**0.5, TRAIN_STEPS, dtype=np.float64) ** 2
    return np.cumprod(1.0 - betas)


ALPHAS = alphas_cumprod()


def timesteps(steps: int) -> np.ndarray:
    """The `steps` training timesteps visited, from noisiest to cleanest ("leading" spacing, offset 1)."""
    ratio = TRAIN_STEPS // steps
    return (np.arange(steps) * ratio + 1)[::-1]


def start_index(steps: int, strength: float) -> int:
    """img2img: how many of the steps to skip, so only `strength` of the noise is added."""
    return min(steps, max(0, steps - int(round(steps * strength))))


def alpha(t: int) -> float:
    """ᾱ_t as a Python float, so float32 latents stay float32."""
    return float(ALPHAS[t])


def sigma(t: int) -> float:
    return (1 - alpha(t)) ** 0.5 / alpha(t) ** 0.5


@dataclass
class Sampler:
    """Walks the latent from noise to image; `predict(latent_input, t)` returns the guided noise estimate."""

    kind: str
    steps: int

    def __post_init__(self):
        if self.kind not in SAMPLERS:
            raise ValueError(f"sampler must be one of {', '.join(SAMPLERS)}")
        self.times = timesteps(self.steps)

    def initial(self, noise: np.ndarray, index: int = 0, clean: np.ndarray | None = None) -> np.ndarray:
        """The latent at step `index`: pure noise, or `clean` noised to that step (img2img)."""
        t = self.times[index] if index < len(self.times) else 0
        if clean is None:
            return noise * (sigma(t) if self.kind == "euler" else 1.0)
        return self.noised(clean, noise, t)

    def noised(self, clean: np.ndarray, noise: np.ndarray, t: int) -> np.ndarray:
        """`clean` at timestep t, in this sampler's parametrisation."""
        if self.kind == "euler":
            return clean + noise * sigma(t)
        return alpha(t) ** 0.5 * clean + (1 - alpha(t)) ** 0.5 * noise

    def model_input(self, latent: np.ndarray, index: int) -> np.ndarray:
        if self.kind == "euler":
            return latent / (sigma(self.times[index]) ** 2 + 1) ** 0.5
        return latent

    def step(self, latent: np.ndarray, eps: np.ndarray, index: int) -> np.ndarray:
        t = self.times[index]
        t_prev = self.times[index + 1] if index + 1 < len(self.times) else None
        if self.kind == "euler":
            next_sigma = sigma(t_prev) if t_prev is not None else 0.0
            return latent + eps * (next_sigma - sigma(t))
        a_t = alpha(t)
        a_prev = alpha(t_prev) if t_prev is not None else 1.0
        clean = (latent - (1 - a_t) ** 0.5 * eps) / a_t**0.5
        return a_prev**0.5 * clean + (1 - a_prev) ** 0.5 * eps

    def previous_time(self, index: int) -> int | None:
        return self.times[index + 1] if index + 1 < len(self.times) else None


def guided(eps_uncond: np.ndarray, eps_cond: np.ndarray, scale: float) -> np.ndarray:
    """Classifier-free guidance."""
    return eps_uncond + scale * (eps_cond - eps_uncond)


def noise(seed: int, shape: tuple[int, ...]) -> np.ndarray:
    """The same seed, the same noise, on every machine (PCG64)."""
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def image_to_tensor(rgb: np.ndarray) -> np.ndarray:
    """HxWx3 uint8 -> 1x3xHxW float32 in [-1, 1]."""
    return (rgb.astype(np.float32) / 127.5 - 1.0).transpose(2, 0, 1)[np.newaxis].copy()


def tensor_to_image(tensor: np.ndarray) -> np.ndarray:
    """1x3xHxW in [-1, 1] -> HxWx3 uint8."""
    return (np.clip((tensor[0].transpose(1, 2, 0) + 1.0) * 127.5, 0, 255) + 0.5).astype(np.uint8)


def latent_mask(mask: np.ndarray) -> np.ndarray:
    """An HxW mask in 0-1 (1 = repaint) -> 1x1x(H/8)x(W/8): a latent cell is repainted if any of its pixels is."""
    height, width = mask.shape
    cells = mask.reshape(height // VAE_FACTOR, VAE_FACTOR, width // VAE_FACTOR, VAE_FACTOR).max(axis=(1, 3))
    return (cells > 0.01).astype(np.float32)[np.newaxis, np.newaxis]


def outpaint_canvas(rgb: np.ndarray, direction: str, pixels: int) -> tuple[np.ndarray, np.ndarray]:
    """The image grown by `pixels` towards `direction`, the new band edge-filled, and its mask (1 = new)."""
    height, width = rgb.shape[:2]
    pad = {"left": ((0, 0), (pixels, 0)), "right": ((0, 0), (0, pixels)), "top": ((pixels, 0), (0, 0)), "bottom": ((0, pixels), (0, 0))}[direction]
    canvas = np.pad(rgb, (*pad, (0, 0)), mode="edge")
    mask = np.pad(np.zeros((height, width), np.float32), pad, constant_values=1.0)
    return canvas, mask
