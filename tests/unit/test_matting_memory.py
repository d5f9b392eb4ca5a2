"""Matting and compositing in memory proportional to the image: large images are
filtered at a working resolution and finished in row stripes, with the same edges."""

from __future__ import annotations

import tracemalloc

import numpy as np
from PIL import Image

from services.inference.pipeline import compose, filters, matting
from tests.unit.test_compose import disc_scene

MB = 1 << 20


def coarse_scene(size: int, radius: int):
    """The image, its true alpha, and a segmentation model's mask of it: right place, blurred edge."""
    rgb, truth = disc_scene(size=size, radius=radius, fg=(230, 200, 60), bg=(20, 40, 120))
    low = Image.fromarray((truth * 255).astype(np.uint8)).resize((size // 8, size // 8), Image.Resampling.BILINEAR)
    coarse = np.asarray(low.resize((size, size), Image.Resampling.BILINEAR), np.float32) / 255
    return rgb, truth, coarse


def test_matting_a_4_megapixel_image_needs_a_bounded_number_of_bytes_per_pixel():
    rgb, truth, coarse = coarse_scene(2000, 640)
    tracemalloc.start()
    try:
        refined = matting.refine_alpha(rgb, coarse, 50)
        _, refine_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        matting.decontaminate(rgb, refined)
        _, decontaminate_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    megapixels = rgb.shape[0] * rgb.shape[1] / 1e6
    # The full-resolution filters took 75 and 132 MB per MP; the output alone is 4 (alpha) and 3 (colours).
    assert refine_peak / megapixels < 30 * MB, refine_peak / megapixels / MB
    assert decontaminate_peak / megapixels < 30 * MB, decontaminate_peak / megapixels / MB
    # ... and the edge still follows the image.
    assert np.abs(refined - truth).mean() < 0.6 * np.abs(coarse - truth).mean()


def test_the_working_resolution_gives_the_full_resolution_edge(monkeypatch):
    rgb, truth, coarse = coarse_scene(480, 150)
    exact = matting.refine_alpha(rgb, coarse, 80)
    exact_colours = matting.decontaminate(rgb, exact)
    monkeypatch.setattr(matting, "WORK_PIXELS", 480 * 480 // 9)  # blocks of 3x3
    monkeypatch.setattr(matting, "BACKGROUND_PIXELS", 480 * 480 // 16)
    monkeypatch.setattr(filters, "STRIPE_PIXELS", 480 * 40)  # several stripes
    fast = matting.refine_alpha(rgb, coarse, 80)
    assert np.abs(fast - truth).mean() < 0.6 * np.abs(coarse - truth).mean()
    assert np.abs(fast - exact).mean() < 0.01
    # Far from the edge (sure subject, sure background) the mask is untouched.
    far = filters.box_mean(((coarse > 0) & (coarse < 1)).astype(np.float32), 12) == 0
    assert np.array_equal(fast[far], coarse[far])
    # The old background estimated at the working resolution takes the same share out of the edge.
    colours = matting.decontaminate(rgb, exact)
    edge = (exact > 0.1) & (exact < 0.9)
    assert np.abs(colours[edge].astype(int) - exact_colours[edge]).mean() < 1
    subject = np.array([230, 200, 60])
    assert np.abs(colours[edge].astype(int) - subject).mean() < 0.6 * np.abs(rgb[edge].astype(int) - subject).mean()
    # Where alpha is 0 or 1, the colours are the image's own.
    keep = (exact == 0) | (exact >= 0.98)
    assert np.array_equal(colours[keep], rgb[keep])
    inplace = coarse.copy()
    assert matting.refine_alpha(rgb, inplace, 80, inplace=True) is inplace and np.array_equal(inplace, fast)


def test_compositing_in_stripes_equals_compositing_at_once(monkeypatch):
    rgb, alpha = disc_scene(size=96)
    background = np.random.default_rng(3).integers(0, 256, (96, 96, 4), dtype=np.uint8)
    whole = compose.composite(rgb, alpha, background, "overlay")
    whole_cutout = compose.cutout(rgb, alpha)
    monkeypatch.setattr(filters, "STRIPE_PIXELS", 96 * 7)  # 16-row stripes, the last one short
    assert np.array_equal(compose.composite(rgb, alpha, background, "overlay"), whole)
    assert np.array_equal(compose.cutout(rgb, alpha), whole_cutout)
    assert np.array_equal(compose.alpha8(alpha), whole_cutout[..., 3])


def test_a_large_images_blur_is_done_small_and_still_keeps_the_subject_out(monkeypatch):
    rgb, alpha = disc_scene(size=192, radius=60)
    exact = compose.blurred_background(rgb, alpha, 0.8)
    monkeypatch.setattr(compose, "BLUR_FULL_PIXELS", 100)
    monkeypatch.setattr(compose, "BLUR_PIXELS", 192 * 192 // 9)
    for style in ("gaussian", "bokeh"):
        background = compose.blurred_background(rgb, alpha, 0.8, style)
        assert background.shape == (192, 192, 4) and (background[..., 3] == 255).all()
        assert background[alpha == 0][:, 0].max() <= 30  # no red from the disc
    # Where only the background shows, it is the full-resolution blur's.
    difference = np.abs(compose.blurred_background(rgb, alpha, 0.8).astype(int) - exact)[alpha == 0]
    assert difference.mean() < 0.5 and difference.max() <= 2


def test_a_background_image_covers_the_frame_centred():
    pixels = np.zeros((10, 40, 3), np.uint8)
    pixels[:, :20] = (255, 0, 0)
    pixels[:, 20:] = (0, 0, 255)
    fitted = compose.fit_cover(Image.fromarray(pixels), (10, 10))  # already tall enough: only cropped
    assert fitted.shape == (10, 10, 4) and (fitted[..., 3] == 255).all()
    assert (fitted[:, :5, :3] == (255, 0, 0)).all() and (fitted[:, 5:, :3] == (0, 0, 255)).all()
    assert compose.fit_cover(Image.fromarray(pixels), (80, 40)).shape == (40, 80, 4)  # scaled up to cover


def test_a_jobs_working_memory_is_estimated_from_its_pixels_and_options():
    from backdrop.jobs.v1 import jobs_pb2
    from services.inference.pipeline.footprint import working_bytes

    def estimate(width=7744, height=5163, **options):
        return working_bytes(width, height, jobs_pb2.RemoveBackgroundOptions(edge_refinement=50, **options))

    # The largest image allowed fits the stated budget of 1.5 GB whatever it is composited on.
    assert estimate() < estimate(bg_color="#fff") < estimate(blur_strength=0.5) < 1536 * MB
    assert estimate(background_key="uploads/b.png") > estimate(bg_color="#fff")
    assert estimate(size="preview") < 64 * MB < estimate(1000, 1000) < estimate(2500, 2000) < estimate()
    assert estimate(scale=2) > estimate() and working_bytes(1000, 1000) == estimate(1000, 1000)
