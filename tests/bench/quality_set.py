"""A small labelled matting set for `make bench-quality`, built by code: subjects with a known
alpha composited over real photographs.

No labelled matting set ships in a package, so each image is made: a subject's colour F and
alpha a (rendered here with 4x supersampling, so edges carry their true fractional coverage)
over a photograph B from
scikit-image's data, I = a*F + (1-a)*B in 8-bit sRGB with the stored 8-bit alpha, so the label
is exact. Five subjects, each over two of five photographs: 10 images of 600x400 (0.24 MP,
remove.bg's preview size), the same bytes on every run (fixed seeds; only numpy, Pillow and
scikit-image, pinned by the project). The photos the tests use (the astronaut) are not in the
set: no mask of them has been checked by hand.

Subjects: hair (a head with ~500 one-pixel strands, half transparent at their tips), fur (a
cat-like body in Chelsea's fur with ~1500 short strands), glass (a bottle at 55% opacity with
an opaque rim: the background shows through), solid (a hard-edged gear with a hole), plant
(2-4 px stems and leaves). scikit-image's RGBA logo is no subject: its alpha is opaque.

`python -m tests.bench.quality_set [DIR]` writes the set (and a manifest with sha256s).
"""

from __future__ import annotations

import hashlib
import json
import math
import pathlib
import sys
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

SIZE = (600, 400)  # width, height
SS = 4  # supersampling factor of rendered alphas
VERSION = 1  # bump when the set changes: the cache directory is named by it


@dataclass(frozen=True)
class Sample:
    name: str
    image: np.ndarray  # HxWx3 uint8, the composite
    alpha: np.ndarray  # HxW uint8, the truth


def _fit(photo: np.ndarray, size: tuple[int, int] = SIZE) -> np.ndarray:
    """A photo scaled to cover `size` and centre-cropped (grey photos as RGB)."""
    image = Image.fromarray(photo).convert("RGB")
    scale = max(size[0] / image.width, size[1] / image.height)
    scaled = image.resize((math.ceil(image.width * scale), math.ceil(image.height * scale)), Image.Resampling.LANCZOS)
    left, top = (scaled.width - size[0]) // 2, (scaled.height - size[1]) // 2
    return np.asarray(scaled.crop((left, top, left + size[0], top + size[1])))


def backgrounds() -> dict[str, np.ndarray]:
    """Real photographs from scikit-image's data (all in its wheel)."""
    from skimage import data

    return {
        "rocket": _fit(data.rocket()),
        "coffee": _fit(data.coffee()),
        "hubble": _fit(data.hubble_deep_field()[100:500, 200:800]),
        "brick": _fit(data.brick()),
        "grass": _fit(data.grass()),
    }


def _canvas() -> tuple[Image.Image, ImageDraw.ImageDraw]:
    layer = Image.new("L", (SIZE[0] * SS, SIZE[1] * SS), 0)
    return layer, ImageDraw.Draw(layer)


def _down(layer: Image.Image) -> np.ndarray:
    """Supersampled coverage -> alpha in 0..1 at SIZE (box filter: the true area share)."""
    return np.asarray(layer.resize(SIZE, Image.Resampling.BOX), dtype=np.float32) / 255.0


def _over(*alphas: np.ndarray) -> np.ndarray:
    """Layers stacked: 1 - prod(1 - a)."""
    return 1.0 - np.prod([1.0 - a for a in alphas], axis=0)


def _strands(draw: ImageDraw.ImageDraw, rng, roots, directions, lengths, width_px: float, opacity) -> None:
    """Curved strands from `roots` (final-size px) outward along `directions` (radians)."""
    for (x, y), angle, length, alpha in zip(roots, directions, lengths, opacity):
        bend = rng.normal(0, 0.6)
        points = []
        for t in np.linspace(0, 1, 8):
            a = angle + bend * t * t
            points.append(((x + math.cos(a) * length * t) * SS, (y + math.sin(a) * length * t) * SS))
        draw.line(points, fill=int(255 * alpha), width=max(1, round(width_px * SS)), joint="curve")


def _tint(texture: np.ndarray, colour: tuple[int, int, int], amount: float) -> np.ndarray:
    return (texture * (1 - amount) + np.array(colour, np.float32) * amount).astype(np.float32)


def hair(rng, photos) -> tuple[np.ndarray, np.ndarray]:
    cx, cy, rx, ry = 300, 215, 95, 120
    body, draw = _canvas()
    draw.ellipse([(cx - rx) * SS, (cy - ry) * SS, (cx + rx) * SS, (cy + ry) * SS], fill=255)
    draw.ellipse([130 * SS, 320 * SS, 470 * SS, 560 * SS], fill=255)  # shoulders, cut by the frame
    strands, sdraw = _canvas()
    count = 520
    theta = rng.uniform(math.pi * 1.05, math.pi * 1.95, count)  # the upper half of the head
    roots = [(cx + rx * 0.9 * math.cos(t), cy + ry * 0.9 * math.sin(t)) for t in theta]
    _strands(sdraw, rng, roots, theta + rng.normal(0, 0.25, count), rng.uniform(40, 130, count), 0.8, rng.uniform(0.45, 1.0, count))
    alpha = _over(_down(body), _down(strands))
    skin = _tint(photos["grass"].astype(np.float32), (205, 160, 130), 0.85)
    hair_colour = _tint(photos["brick"].astype(np.float32), (70, 45, 25), 0.8)
    share = _down(strands)[..., None]
    colour = skin * (1 - share) + hair_colour * share
    return colour, alpha


def fur(rng, photos) -> tuple[np.ndarray, np.ndarray]:
    from skimage import data

    body, draw = _canvas()
    draw.ellipse([190 * SS, 110 * SS, 410 * SS, 330 * SS], fill=255)
    draw.polygon([(210 * SS, 170 * SS), (230 * SS, 60 * SS), (290 * SS, 125 * SS)], fill=255)  # ears
    draw.polygon([(310 * SS, 125 * SS), (370 * SS, 60 * SS), (390 * SS, 170 * SS)], fill=255)
    draw.ellipse([250 * SS, 300 * SS, 470 * SS, 380 * SS], fill=255)  # a paw
    mask = np.asarray(body.resize(SIZE, Image.Resampling.BOX)) > 127
    edge = mask & ~np.asarray(Image.fromarray(mask).filter(ImageFilter.MinFilter(3)))
    ys, xs = np.nonzero(edge)
    pick = rng.choice(len(xs), min(1600, len(xs)), replace=True)
    centre = (300, 230)
    theta = np.arctan2(ys[pick] - centre[1], xs[pick] - centre[0]) + rng.normal(0, 0.35, len(pick))
    strands, sdraw = _canvas()
    _strands(sdraw, rng, list(zip(xs[pick], ys[pick])), theta, rng.uniform(4, 18, len(pick)), 0.7, rng.uniform(0.35, 0.95, len(pick)))
    alpha = _over(_down(body), _down(strands))
    colour = _fit(data.chelsea()[40:260, 120:400]).astype(np.float32)
    return colour, alpha


def glass(rng, photos) -> tuple[np.ndarray, np.ndarray]:
    outline, draw = _canvas()
    draw.rounded_rectangle([220 * SS, 120 * SS, 380 * SS, 390 * SS], radius=50 * SS, fill=255)
    draw.rectangle([275 * SS, 30 * SS, 325 * SS, 130 * SS], fill=255)  # neck
    inner, idraw = _canvas()
    idraw.rounded_rectangle([230 * SS, 130 * SS, 370 * SS, 380 * SS], radius=42 * SS, fill=255)
    idraw.rectangle([284 * SS, 40 * SS, 316 * SS, 135 * SS], fill=255)
    shell, body = _down(outline), _down(inner)
    highlight, hdraw = _canvas()
    hdraw.rounded_rectangle([245 * SS, 150 * SS, 262 * SS, 340 * SS], radius=8 * SS, fill=255)
    alpha = np.clip(shell - body, 0, 1) * 0.92 + body * 0.55
    alpha = _over(alpha, _down(highlight) * 0.8)
    ys = np.linspace(0, 1, SIZE[1], dtype=np.float32)[:, None, None]
    colour = np.broadcast_to(np.array([185, 215, 230], np.float32) * (0.85 + 0.15 * ys), (*SIZE[::-1], 3)).copy()
    colour = colour * (1 - _down(highlight)[..., None]) + 255 * _down(highlight)[..., None]
    return colour, alpha


def solid(rng, photos) -> tuple[np.ndarray, np.ndarray]:
    gear, draw = _canvas()
    cx, cy, teeth = 300 * SS, 200 * SS, 14
    points = []
    for i in range(teeth * 4):
        angle = 2 * math.pi * i / (teeth * 4)
        radius = (165 if (i // 2) % 2 == 0 else 135) * SS
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    draw.polygon(points, fill=255)
    draw.ellipse([cx - 45 * SS, cy - 45 * SS, cx + 45 * SS, cy + 45 * SS], fill=0)  # the hub's hole
    colour = _tint(photos["rocket"][::-1].astype(np.float32), (200, 120, 40), 0.6)
    return colour, _down(gear)


def plant(rng, photos) -> tuple[np.ndarray, np.ndarray]:
    """Thin stems (2-4 px) and leaves from a pot: thin structures and gaps the background shows through."""
    layer, draw = _canvas()
    draw.polygon([(245 * SS, 300 * SS), (355 * SS, 300 * SS), (340 * SS, 395 * SS), (260 * SS, 395 * SS)], fill=255)  # pot
    for _ in range(9):
        x, y, angle = 300.0, 300.0, -math.pi / 2 + rng.normal(0, 0.55)
        points = [(x * SS, y * SS)]
        for _ in range(10):
            angle += rng.normal(0, 0.18)
            x, y = x + 24 * math.cos(angle), y + 24 * math.sin(angle)
            points.append((x * SS, y * SS))
            if rng.random() < 0.6:  # a leaf: an ellipse beside the stem
                side = angle + rng.choice([-1, 1]) * math.pi / 3
                lx, ly = x + 14 * math.cos(side), y + 14 * math.sin(side)
                draw.ellipse([(lx - 11) * SS, (ly - 6) * SS, (lx + 11) * SS, (ly + 6) * SS], fill=255)
        draw.line(points, fill=255, width=round(rng.uniform(2, 4) * SS), joint="curve")
    colour = _tint(photos["grass"].astype(np.float32), (60, 140, 50), 0.65)
    colour[300:] = _tint(photos["brick"][300:].astype(np.float32), (150, 80, 50), 0.7)
    return colour, _down(layer)


SUBJECTS = {"hair": hair, "fur": fur, "glass": glass, "solid": solid, "plant": plant}


def build() -> list[Sample]:
    """Every subject over two photographs (subject i over photos i and i+1 of five)."""
    photos = backgrounds()
    names = list(photos)
    samples = []
    for i, (subject, render) in enumerate(SUBJECTS.items()):
        colour, alpha = render(np.random.default_rng(1000 + i), photos)
        alpha8 = np.clip(np.round(alpha * 255), 0, 255).astype(np.uint8)
        a = alpha8.astype(np.float32)[..., None] / 255.0
        for background in (names[i], names[(i + 1) % len(names)]):
            image = a * np.clip(colour, 0, 255) + (1 - a) * photos[background].astype(np.float32)
            samples.append(Sample(f"{subject}-{background}", np.clip(np.round(image), 0, 255).astype(np.uint8), alpha8))
    return samples


def cached(root: pathlib.Path) -> list[tuple[str, pathlib.Path, pathlib.Path]]:
    """The set under root/v<VERSION>/ (built once): (name, image PNG, alpha PNG) per sample."""
    directory = root / f"v{VERSION}"
    manifest = directory / "manifest.json"
    if not manifest.exists():
        directory.mkdir(parents=True, exist_ok=True)
        entries = {}
        for sample in build():
            for suffix, pixels in (("", sample.image), ("-alpha", sample.alpha)):
                path = directory / f"{sample.name}{suffix}.png"
                Image.fromarray(pixels).save(path)
                entries[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
        manifest.write_text(json.dumps(entries, indent=1, sort_keys=True) + "\n")
    entries = json.loads(manifest.read_text())
    names = sorted(n[: -len("-alpha.png")] for n in entries if n.endswith("-alpha.png"))
    return [(n, directory / f"{n}.png", directory / f"{n}-alpha.png") for n in names]


def digest(root: pathlib.Path) -> str:
    """One sha256 over the manifest: two runs measured the same set when it matches."""
    return hashlib.sha256((root / f"v{VERSION}" / "manifest.json").read_bytes()).hexdigest()[:16]


if __name__ == "__main__":
    target = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else pathlib.Path(".models/cache/quality-set")
    for name, image, _ in cached(target):
        print(name, image)
    print("set digest", digest(target))
