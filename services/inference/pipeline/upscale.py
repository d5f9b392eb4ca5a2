"""Super-resolution in tiles: pure functions around the model's forward pass.

The image is cut into equal tiles, each with `context` pixels of its
neighbours around it (edge-replicated at the border), so the model sees what
it needs at a seam and memory stays bounded by the tile size: only the
output array grows with the image. Equal tiles also batch on the server.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class UpscaleSpec:
    name: str
    aliases: tuple[str, ...]
    description: str
    scale: int  # the model's own factor
    # Pixels per side the graph itself drops (waifu2x's valid convolutions: 7).
    shrink: int = 0
    # Pixels per side a tile borrows from its neighbours.
    context: int = 10


@dataclass(frozen=True)
class Tile:
    top: int
    left: int


def tile_grid(height: int, width: int, tile: int) -> list[Tile]:
    """Top-left corners of the tiles covering the image (the last row and column may overhang)."""
    return [Tile(top, left) for top in range(0, height, tile) for left in range(0, width, tile)]


def padded_input(image: np.ndarray, tile: int, margin: int) -> np.ndarray:
    """HxWx3 uint8 -> uint8 3xH'xW', edge-padded by `margin` and up to whole tiles (floats come per batch)."""
    height, width = image.shape[:2]
    extra_h = -height % tile
    extra_w = -width % tile
    chw = image.transpose(2, 0, 1)
    return np.pad(chw, ((0, 0), (margin, margin + extra_h), (margin, margin + extra_w)), mode="edge")


def tile_batches(padded: np.ndarray, grid: list[Tile], tile: int, margin: int, batch: int) -> Iterator[tuple[list[Tile], np.ndarray]]:
    """Batches of N x 3 x (tile + 2*margin)^2 tensors, in grid order."""
    side = tile + 2 * margin
    for start in range(0, len(grid), batch):
        tiles = grid[start : start + batch]
        tensor = np.stack([padded[:, t.top : t.top + side, t.left : t.left + side] for t in tiles])
        yield tiles, tensor.astype(np.float32) / 255.0


def place(output: np.ndarray, tiles: list[Tile], result: np.ndarray, spec: UpscaleSpec, tile: int) -> None:
    """Writes each tile's core (its context cut away) into the HxWx3 uint8 output."""
    scale = spec.scale
    cut = (spec.context - spec.shrink) * scale
    side = tile * scale
    for index, t in enumerate(tiles):
        core = result[index][:, cut : cut + side, cut : cut + side]
        top, left = t.top * scale, t.left * scale
        height = min(side, output.shape[0] - top)
        width = min(side, output.shape[1] - left)
        pixels = np.clip(core[:, :height, :width], 0.0, 1.0) * 255.0 + 0.5
        output[top : top + height, left : left + width] = pixels.astype(np.uint8).transpose(1, 2, 0)


def output_size(width: int, height: int, scale: int) -> tuple[int, int]:
    return width * scale, height * scale
