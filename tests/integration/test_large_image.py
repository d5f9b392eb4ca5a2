"""C1: the largest image the API accepts (40 MP) with edge refinement completes,
and the inference process stays inside its stated memory budget while it does."""

from __future__ import annotations

import io

import numpy as np
import psutil
import pytest
import requests
from PIL import Image

from tests.bench.common import PeakRss

pytestmark = pytest.mark.mesh

WIDTH, HEIGHT = 7744, 5163  # 39.98 MP, under MAX_IMAGE_PIXELS (40 MP)
BUDGET_BYTES = 1536 << 20  # the README's figure: matting and compositing of 40 MP within 1.5 GB


def test_40_megapixels_with_edge_refinement_fits_the_budget(mesh, bearer, astronaut):
    big = Image.fromarray(astronaut).resize((WIDTH, HEIGHT), Image.Resampling.BILINEAR)
    buffer = io.BytesIO()
    big.save(buffer, format="JPEG", quality=85)
    worker = mesh.children["inference"].process.pid
    resting = psutil.Process(worker).memory_info().rss
    peak = PeakRss(worker)
    peak.start()
    try:
        reply = requests.post(
            f"{mesh.base_url}/v1/process/remove-background",
            files={"file": ("big.jpg", buffer.getvalue(), "image/jpeg")},
            data={"tier": "basic", "edge_refinement": "50", "bg_color": "#ffffff"},
            headers=bearer,
            timeout=300,
        )
    finally:
        peak.done.set()
        peak.join()
    assert reply.status_code == 200, reply.text
    result = Image.open(io.BytesIO(requests.get(reply.json()["image"], timeout=120).content))
    assert result.size == (WIDTH, HEIGHT)
    pixels = np.asarray(result.convert("RGB"))
    assert (pixels[:200, -200:] > 240).all()  # the studio background became the white bg_color
    assert pixels[HEIGHT * 2 // 5, WIDTH * 9 // 20].mean() < 235  # the face is still there
    assert peak.peak - resting < BUDGET_BYTES, f"inference grew by {(peak.peak - resting) >> 20} MiB"
