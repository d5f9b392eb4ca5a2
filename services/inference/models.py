"""The models this service can run, and the names clients may use for them.

Names follow the model repository (deploy/models); aliases are the model
names of the seeds (rembg, u2net, u2net_human_seg, isnet-general-use) mapped
to the closest model whose real weights ship here (DESIGN.md: u2netp, MODNet
and ISNet).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from PIL import Image

from services.inference.pipeline.segmentation import SegmentationSpec
from services.inference.pipeline.upscale import UpscaleSpec
from services.runtime.config import ConfigError, env_str
from services.runtime.errors import invalid

SEGMENTATION_MODELS = {
    spec.name: spec
    for spec in (
        SegmentationSpec(
            name="u2netp",
            aliases=("rembg", "u2net", "general"),
            description="U2-Net-p salient object segmentation (rembg's u2netp weights): any subject",
            fixed_size=(320, 320),
            normalisation="imagenet",
            rescale_output=True,
            input_filter=Image.Resampling.LANCZOS,
        ),
        SegmentationSpec(
            name="modnet",
            aliases=("u2net_human_seg", "portrait", "human"),
            description="MODNet portrait matting: people, with soft hair edges",
            fixed_size=None,
            normalisation="symmetric",
            rescale_output=False,
        ),
        SegmentationSpec(
            name="isnet",
            aliases=("isnet-general-use", "dis", "best"),
            description="ISNet (DIS) salient object segmentation, fp16: the best cut-outs, any subject; ~2 s an image on CPU",
            fixed_size=(1024, 1024),
            normalisation="centred",
            rescale_output=False,
            input_filter=Image.Resampling.LANCZOS,
            fallback="u2netp",
            # Peak RSS of one run above the loaded model, onnxruntime on CPU (measured: 1.2 GB).
            server_bytes=1200 << 20,
        ),
    )
}
QUALITIES = ("low", "medium", "high", "ultra")


def enabled_models(env: Mapping[str, str] | None = None) -> dict[str, SegmentationSpec]:
    """ENABLED_MODELS (seed 003's MODEL_NAMES): the segmentation models clients may ask for, each
    named by its name or any alias (unset: all). A name that is no model here is skipped, so seed
    003's list works as it is; a list that names none is refused at start-up. MODELS_SKIP (what
    `make models` left out of the repository, e.g. isnet) is never enabled. `env`: another
    process's settings (the local model server loads only what the services will use)."""
    wanted, skipped = _names("ENABLED_MODELS", env), _names("MODELS_SKIP", env)
    built = {name: spec for name, spec in SEGMENTATION_MODELS.items() if name not in skipped}
    if not wanted:
        return built
    chosen = {name: spec for name, spec in built.items() if wanted & {spec.name, *spec.aliases}}
    if not chosen:
        known = sorted(n for s in SEGMENTATION_MODELS.values() for n in (s.name, *s.aliases))
        raise ConfigError(f"ENABLED_MODELS (or seed 003's MODEL_NAMES) names no model here; known: {', '.join(known)}")
    return chosen


def _names(setting: str, env: Mapping[str, str] | None = None) -> set[str]:
    value = env_str(setting, "") if env is None else env.get(setting, "")
    return {n.strip().lower() for n in value.split(",") if n.strip()}


def default_model() -> str:
    """DEFAULT_MODEL, or u2netp; the first enabled model when u2netp is not enabled."""
    enabled = enabled_models()
    return env_str("DEFAULT_MODEL", "u2netp" if "u2netp" in enabled else next(iter(enabled)))


def resolve(name: str) -> SegmentationSpec:
    """Model name or alias -> spec; an unknown or not enabled name lists the valid ones."""
    wanted = (name or default_model()).strip().lower()
    enabled = enabled_models()
    for spec in enabled.values():
        if wanted == spec.name or wanted in spec.aliases:
            return spec
    left_out = SEGMENTATION_MODELS.get(wanted)
    if left_out is not None and left_out.fallback in enabled:
        # A tier's model the operator left out (the gateway refuses it when a client names it).
        _say_stand_in(left_out.name, left_out.fallback)
        return enabled[left_out.fallback]
    valid = sorted(n for s in enabled.values() for n in (s.name, *s.aliases))
    raise invalid(
        "INVALID_MODEL",
        f"Unknown model {name!r}. Valid models: {', '.join(valid)}",
        valid_models=",".join(valid),
    )


_said: set[str] = set()


def _say_stand_in(model: str, fallback: str) -> None:
    if model not in _said:
        _said.add(model)
        logging.getLogger(__name__).warning(
            "%s is not enabled (ENABLED_MODELS, MODELS_SKIP): the tiers that use it run %s instead", model, fallback
        )


UPSCALE_MODELS = {
    spec.name: spec
    for spec in (
        UpscaleSpec(
            name="waifu2x-upconv7-x2",
            aliases=("waifu2x",),
            description="waifu2x upconv_7 (photo), 2x: trained for fidelity; the 2x default",
            scale=2,
            shrink=7,
            context=7,
        ),
        UpscaleSpec(
            name="realesrgan-x4plus",
            aliases=("real-esrgan", "esrgan", "realesrgan"),
            description="Real-ESRGAN x4plus, 4x: restores detail in real photos (GAN); the 4x default, slow on CPU",
            scale=4,
        ),
        UpscaleSpec(
            name="realesr-animevideov3-x2",
            aliases=("fast-x2",),
            description="Real-ESRGAN animevideo v3, 2x: small and fast (quality=standard)",
            scale=2,
        ),
        UpscaleSpec(
            name="realesr-animevideov3-x4",
            aliases=("fast-x4",),
            description="Real-ESRGAN animevideo v3, 4x: small and fast (quality=standard)",
            scale=4,
        ),
    )
}
# seed 004's `quality` when no model is named: standard is the small model, high and ultra the best one.
UPSCALE_DEFAULTS = {
    (2, "standard"): "realesr-animevideov3-x2",
    (2, "high"): "waifu2x-upconv7-x2",
    (2, "ultra"): "waifu2x-upconv7-x2",
    (4, "standard"): "realesr-animevideov3-x4",
    (4, "high"): "realesrgan-x4plus",
    (4, "ultra"): "realesrgan-x4plus",
}


def resolve_upscaler(name: str, scale: int, quality: str = "high") -> UpscaleSpec:
    """The model for a request: named (by name or alias), or the default for scale and quality.

    A named model of another factor still serves: a 4x model for scale 2 runs
    at 4x and the result is resized down, as Real-ESRGAN's own `outscale` does.
    A 2x model cannot serve scale 4.
    """
    if not name:
        return UPSCALE_MODELS[UPSCALE_DEFAULTS[(scale, quality or "high")]]
    wanted = name.strip().lower()
    for spec in UPSCALE_MODELS.values():
        if wanted == spec.name or wanted in spec.aliases:
            if spec.scale < scale:
                raise invalid("INVALID_MODEL", f"{spec.name} upscales by {spec.scale}; it cannot upscale by {scale}")
            return spec
    valid = sorted(n for s in UPSCALE_MODELS.values() for n in (s.name, *s.aliases))
    raise invalid(
        "INVALID_MODEL", f"Unknown upscaling model {name!r}. Valid models: {', '.join(valid)}", valid_models=",".join(valid)
    )
