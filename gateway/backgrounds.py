"""The backgrounds library (seed 000's GET /v1/backgrounds): images the project
renders itself — solid colours, gradients mixed in linear light, patterns and
abstract colour fields — plus each user's own uploads (category custom).

No photographs ship with the project, so the `nature` category lists only
what users upload there (none are built in).
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image

from services.runtime import images
from services.runtime.colour import linear_to_srgb, parse_colour, srgb_to_linear
from services.runtime.objectstore import ObjectNotFound, ObjectStore

CATEGORIES = ("solid", "gradient", "pattern", "nature", "abstract", "custom")
SIZE = (1920, 1080)
LIBRARY_PREFIX = "backgrounds/library/"


@dataclass(frozen=True)
class Entry:
    id: str
    category: str
    tags: tuple[str, ...]
    render: Callable[[int, int], np.ndarray]  # (width, height) -> HxWx3 uint8


def _solid(colour: str):
    return lambda w, h: np.broadcast_to(np.array(parse_colour(colour)[:3], np.uint8), (h, w, 3)).copy()


def _mix(a: str, b: str, t: np.ndarray) -> np.ndarray:
    """a -> b along t (0-1), mixed in linear light so the middle is not muddy."""
    start = srgb_to_linear(np.array(parse_colour(a)[:3], np.uint8))
    end = srgb_to_linear(np.array(parse_colour(b)[:3], np.uint8))
    return linear_to_srgb(start + (end - start) * t[..., None])


def _linear_gradient(a: str, b: str, angle_deg: float):
    def render(w, h):
        yy, xx = np.mgrid[:h, :w].astype(np.float32)
        direction = np.array([np.cos(np.radians(angle_deg)), np.sin(np.radians(angle_deg))], np.float32)
        t = xx / w * direction[0] + yy / h * direction[1]
        return _mix(a, b, (t - t.min()) / max(float(np.ptp(t)), 1e-6))

    return render


def _radial_gradient(centre: str, edge: str):
    def render(w, h):
        yy, xx = np.mgrid[:h, :w].astype(np.float32)
        distance = np.hypot((xx - w / 2) / (w / 2), (yy - h / 2) / (h / 2)) / np.sqrt(2)
        return _mix(centre, edge, np.clip(distance, 0, 1))

    return render


def _pattern(kind: str, a: str, b: str, cell: int = 60):
    def render(w, h):
        yy, xx = np.mgrid[:h, :w]
        if kind == "checkerboard":
            on = ((xx // cell) + (yy // cell)) % 2 == 0
        elif kind == "stripes":
            on = ((xx + yy) // (cell // 2)) % 2 == 0
        elif kind == "dots":
            on = np.hypot(xx % cell - cell / 2, yy % cell - cell / 2) < cell / 5
        else:  # grid
            on = (xx % cell < 2) | (yy % cell < 2)
        return np.where(on[..., None], np.array(parse_colour(a)[:3], np.uint8), np.array(parse_colour(b)[:3], np.uint8))

    return render


def _abstract(seed: int, colours: tuple[str, ...]):
    """Soft overlapping colour fields: a few Gaussian blobs per colour, mixed in linear light."""

    def render(w, h):
        rng = np.random.default_rng(seed)
        yy, xx = np.mgrid[:h, :w].astype(np.float32)
        light = np.zeros((h, w, 3), np.float32)
        weight = np.full((h, w, 1), 1e-3, np.float32)
        for colour in colours:
            value = srgb_to_linear(np.array(parse_colour(colour)[:3], np.uint8))
            for _ in range(2):
                cx, cy = rng.uniform(0, w), rng.uniform(0, h)
                spread = rng.uniform(0.25, 0.5) * max(w, h)
                blob = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * spread**2))[..., None]
                light += blob * value
                weight += blob
        return linear_to_srgb(light / weight)

    return render


LIBRARY = (
    *(
        Entry(f"bg_solid_{name}", "solid", (name.replace("-", " "), "plain"), _solid(colour))
        for name, colour in (
            ("white", "#ffffff"), ("black", "#000000"), ("light-grey", "#e6e6e6"), ("studio-grey", "#8c8c8c"),
            ("cream", "#f5efe0"), ("sky-blue", "#87ceeb"), ("navy", "#1f2a44"), ("forest-green", "#2e5e3a"),
            ("coral", "#ff7f50"), ("sunflower", "#ffc93c"),
        )
    ),
    Entry("bg_gradient_sunset", "gradient", ("warm", "orange", "purple"), _linear_gradient("#ff9a3c", "#6a3093", 90)),
    Entry("bg_gradient_ocean", "gradient", ("cool", "teal", "blue"), _linear_gradient("#2bc0e4", "#1f2a44", 45)),
    Entry("bg_gradient_mint", "gradient", ("fresh", "green"), _linear_gradient("#e0f7ef", "#5fc9a0", 0)),
    Entry("bg_gradient_peach", "gradient", ("soft", "pink"), _linear_gradient("#ffe5d9", "#f4978e", 120)),
    Entry("bg_gradient_studio", "gradient", ("studio", "portrait", "grey"), _radial_gradient("#f2f2f2", "#7a7a7a")),
    Entry("bg_pattern_checkerboard", "pattern", ("checks", "grey"), _pattern("checkerboard", "#ffffff", "#d9d9d9")),
    Entry("bg_pattern_stripes", "pattern", ("stripes", "diagonal"), _pattern("stripes", "#f4f1ea", "#e3dccb")),
    Entry("bg_pattern_dots", "pattern", ("dots", "polka"), _pattern("dots", "#ff7f50", "#fff4ec")),
    Entry("bg_pattern_grid", "pattern", ("grid", "paper"), _pattern("grid", "#c9d6e8", "#ffffff")),
    Entry("bg_abstract_aurora", "abstract", ("aurora", "green", "violet"), _abstract(7, ("#12c2e9", "#c471ed", "#21d4a0"))),
    Entry("bg_abstract_ember", "abstract", ("warm", "red", "gold"), _abstract(11, ("#f12711", "#f5af19", "#5c1a1a"))),
    Entry("bg_abstract_lagoon", "abstract", ("cool", "blue"), _abstract(23, ("#0f2027", "#2c5364", "#4ca1af"))),
)
BY_ID = {entry.id: entry for entry in LIBRARY}


def library_key(background_id: str) -> str:
    return f"{LIBRARY_PREFIX}{background_id}.png"


def thumbnail_key(key: str) -> str:
    return images.thumbnail_key(key)


def render_png(entry: Entry) -> tuple[bytes, bytes]:
    """The background at full size (PNG) and its thumbnail (JPEG)."""
    image = Image.fromarray(entry.render(*SIZE))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue(), images.thumbnail(image)


class Library:
    """Renders the built-in backgrounds into the object store once (idempotent, so replicas may race)."""

    def __init__(self, store: ObjectStore):
        self.store = store
        self._ready: asyncio.Task | None = None

    async def ready(self) -> None:
        if self._ready is None or (self._ready.done() and self._ready.exception()):
            self._ready = asyncio.create_task(self._ensure())
        await asyncio.shield(self._ready)

    async def _ensure(self) -> None:
        for entry in LIBRARY:
            key = library_key(entry.id)
            try:
                await self.store.content_type(thumbnail_key(key))  # written last: its presence means done
                continue
            except ObjectNotFound:
                pass
            full, thumb = await asyncio.to_thread(render_png, entry)
            await self.store.put(key, full, "image/png")
            await self.store.put(thumbnail_key(key), thumb, "image/jpeg")
