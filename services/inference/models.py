"""The models this service can run, and the names clients may use for them.

Names follow the model repository (deploy/models); aliases are the model
names of the seeds (rembg, u2net, u2net_human_seg) mapped to the closest
model whose real weights ship here (DESIGN.md: u2netp and MODNet).
"""

from __future__ import annotations

from services.inference.pipeline.segmentation import SegmentationSpec
from services.runtime.config import env_str
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
        ),
        SegmentationSpec(
            name="modnet",
            aliases=("u2net_human_seg", "portrait", "human"),
            description="MODNet portrait matting: people, with soft hair edges",
            fixed_size=None,
            normalisation="symmetric",
            rescale_output=False,
        ),
    )
}
QUALITIES = ("low", "medium", "high", "ultra")


def default_model() -> str:
    return env_str("DEFAULT_MODEL", "u2netp")


def resolve(name: str) -> SegmentationSpec:
    """Model name or alias -> spec; an unknown name lists the valid ones."""
    wanted = (name or default_model()).strip().lower()
    for spec in SEGMENTATION_MODELS.values():
        if wanted == spec.name or wanted in spec.aliases:
            return spec
    valid = sorted(n for s in SEGMENTATION_MODELS.values() for n in (s.name, *s.aliases))
    raise invalid(
        "INVALID_MODEL",
        f"Unknown model {name!r}. Valid models: {', '.join(valid)}",
        valid_models=",".join(valid),
    )
