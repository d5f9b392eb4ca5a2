"""Pixel tests of the pure compositing, matting, enhancement and tiling functions."""

import io

import numpy as np
import onnxruntime
import pytest
from PIL import Image

from services.inference import models
from services.inference.pipeline import compose, enhance, matting, upscale
from services.runtime.colour import linear_to_srgb, parse_colour, srgb_to_linear
from tests.conftest import REPO


def disc_scene(size=96, radius=30, fg=(220, 30, 40), bg=(20, 200, 60)):
    """A red disc on green with a 3-pixel soft edge: the image, its true alpha."""
    yy, xx = np.mgrid[:size, :size]
    distance = np.hypot(yy - size / 2, xx - size / 2)
    alpha = np.clip((radius - distance) / 3 + 0.5, 0, 1).astype(np.float32)
    light = alpha[..., None] * srgb_to_linear(np.array(fg, np.uint8)) + (1 - alpha[..., None]) * srgb_to_linear(np.array(bg, np.uint8))
    return linear_to_srgb(light), alpha


def test_srgb_round_trip_is_exact():
    codes = np.arange(256, dtype=np.uint8)
    assert np.array_equal(linear_to_srgb(srgb_to_linear(codes)), codes)


@pytest.mark.parametrize(("text", "rgba"), [("#ff8000", (255, 128, 0, 255)), ("00ff0080", (0, 255, 0, 128)), ("#fff", (255, 255, 255, 255)), ("10, 20, 30", (10, 20, 30, 255)), ("1,2,3,4", (1, 2, 3, 4))])
def test_colours(text, rgba):
    assert parse_colour(text) == rgba


@pytest.mark.parametrize("text", ["red", "#12345", "256,0,0", "1,2"])
def test_bad_colours_say_how_to_write_one(text):
    with pytest.raises(ValueError, match="#rrggbb"):
        parse_colour(text)


def test_solid_background_appears_exactly_where_alpha_is_zero():
    rgb, alpha = disc_scene()
    out = compose.composite(rgb, alpha, compose.solid((96, 96), (12, 34, 56, 255)))
    clear = alpha == 0
    assert clear.any() and (out[clear] == [12, 34, 56, 255]).all()
    solid = alpha == 1
    assert (out[solid][:, :3] == rgb[solid]).all()
    assert (out[..., 3] == 255).all()


def test_compositing_mixes_light_not_srgb_codes():
    white = np.full((1, 1, 3), 255, np.uint8)
    half = np.full((1, 1), 0.5, np.float32)
    out = compose.composite(white, half, compose.solid((1, 1), (0, 0, 0, 255)))
    assert 186 <= out[0, 0, 0] <= 189  # half the light of white is sRGB 188, not 128


def test_blend_modes_follow_their_formulas():
    grey = np.full((1, 1, 3), 128, np.uint8)
    opaque = np.ones((1, 1), np.float32)
    backdrop = compose.solid((1, 1), (255, 255, 255, 255))
    assert compose.composite(grey, opaque, backdrop, "multiply")[0, 0, 0] == 128  # x * 1
    assert compose.composite(grey, opaque, backdrop, "screen")[0, 0, 0] == 255  # 1 - (1-x)(1-1)
    dark = compose.solid((1, 1), (0, 0, 0, 255))
    assert compose.composite(grey, opaque, dark, "multiply")[0, 0, 0] == 0


def test_decontamination_removes_the_old_background_from_the_edge():
    rgb, alpha = disc_scene()
    edge = (alpha > 0.1) & (alpha < 0.9)
    naive = compose.composite(rgb, alpha, compose.solid((96, 96), (255, 255, 255, 255)))
    clean = compose.composite(matting.decontaminate(rgb, alpha), alpha, compose.solid((96, 96), (255, 255, 255, 255)))
    # On white, a red subject's edge has no more green than its red-to-white mix: the old green is gone.
    truth = compose.composite(np.broadcast_to(np.array([220, 30, 40], np.uint8), rgb.shape), alpha, compose.solid((96, 96), (255, 255, 255, 255)))
    naive_error = np.abs(naive[edge][:, 1].astype(int) - truth[edge][:, 1]).mean()
    clean_error = np.abs(clean[edge][:, 1].astype(int) - truth[edge][:, 1]).mean()
    assert clean_error < naive_error / 4


def test_guided_filter_refinement_moves_a_coarse_mask_onto_the_image_edge():
    rgb, truth = disc_scene(size=256, radius=80, fg=(230, 200, 60), bg=(20, 40, 120))
    # What a model working at a quarter of the size gives, scaled up: the right place, a blurred edge.
    coarse = np.asarray(Image.fromarray((truth * 255).astype(np.uint8)).resize((64, 64), Image.Resampling.BILINEAR).resize((256, 256), Image.Resampling.BILINEAR), np.float32) / 255
    refined = matting.refine_alpha(rgb, coarse, 80)
    assert np.abs(refined - truth).mean() < 0.6 * np.abs(coarse - truth).mean()
    assert np.array_equal(matting.refine_alpha(rgb, coarse, 0), coarse)


def test_subject_box_is_the_alpha_bounding_box_plus_margin():
    alpha = np.zeros((50, 80), np.float32)
    alpha[10:20, 30:45] = 0.3
    assert compose.subject_box(alpha, 0) == (30, 10, 45, 20)
    assert compose.subject_box(alpha, 5) == (25, 5, 50, 25)
    assert compose.subject_box(alpha, 100) == (0, 0, 80, 50)
    assert compose.subject_box(np.zeros((4, 4), np.float32), 3) is None


def test_preview_size_is_at_most_a_quarter_megapixel():
    width, height = compose.capped_size(4000, 3000, "preview")
    assert width * height <= 250_000 and abs(width / height - 4 / 3) < 0.01
    assert compose.capped_size(400, 300, "preview") == (400, 300)
    assert compose.capped_size(4000, 3000, "full") == (4000, 3000)


def test_output_formats_and_quality(astronaut):
    image = Image.fromarray(astronaut)
    low, content_type = compose.encode(image, "jpg", 50)
    high, _ = compose.encode(image, "jpg", 95)
    assert content_type == "image/jpeg" and len(low) < len(high)
    rgba = image.convert("RGBA")
    rgba.putalpha(128)
    webp, content_type = compose.encode(rgba, "webp", 80)
    decoded = Image.open(io.BytesIO(webp))
    assert content_type == "image/webp" and decoded.mode == "RGBA"
    flat = Image.open(io.BytesIO(compose.encode(rgba, "jpg", 90, matte=(0, 0, 255))[0]))
    assert flat.mode == "RGB"


def test_blurred_background_keeps_the_subject_out():
    rgb, alpha = disc_scene()
    for style in ("gaussian", "bokeh"):
        background = compose.blurred_background(rgb, alpha, 1.0, style)
        # No red from the disc bleeds into the background around it.
        ring = (alpha == 0)
        assert background[ring][:, 0].max() <= 30


def test_enhancements_do_what_they_say(astronaut):
    clean = astronaut[100:228, 100:228].astype(np.float32)
    noisy = np.clip(clean + np.random.default_rng(1).normal(0, 12, clean.shape), 0, 255).astype(np.uint8)
    denoised = enhance.enhance(noisy, "denoise", 0.8)
    assert np.abs(denoised - clean).mean() < np.abs(noisy - clean).mean()
    soft = np.asarray(Image.fromarray(clean.astype(np.uint8)).resize((64, 64)).resize((128, 128), Image.Resampling.BILINEAR))
    sharpened = enhance.enhance(soft, "sharpen", 1.0)
    assert np.abs(np.diff(sharpened.astype(float), axis=1)).mean() > np.abs(np.diff(soft.astype(float), axis=1)).mean()
    cast = np.clip(clean * [1.0, 0.8, 0.6], 0, 255).astype(np.uint8)
    corrected = enhance.enhance(cast, "color-correct", 1.0).reshape(-1, 3).mean(axis=0)
    assert np.ptp(corrected) < np.ptp(cast.reshape(-1, 3).mean(axis=0)) / 2


@pytest.mark.parametrize("model", ["waifu2x-upconv7-x2", "realesr-animevideov3-x2"])
def test_tiles_stitch_into_the_whole_image_result(model, astronaut):
    """Tiled upscaling equals one pass over the whole image: exactly for waifu2x (its receptive field
    is the 7-pixel context), to within rounding at the seams for Real-ESRGAN."""
    spec = models.UPSCALE_MODELS[model]
    session = onnxruntime.InferenceSession(str(REPO / ".models" / "repository" / model / "1" / "model.onnx"), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    image = np.ascontiguousarray(astronaut[60:130, 150:250])  # 100x70: tiles of 32 overhang both edges
    height, width = image.shape[:2]
    whole_in = upscale.padded_input(image, 1, spec.context).astype(np.float32)[None] / 255
    whole = session.run(None, {name: whole_in})[0][0]
    cut = (spec.context - spec.shrink) * spec.scale
    expected = (np.clip(whole[:, cut : cut + height * 2, cut : cut + width * 2], 0, 1) * 255 + 0.5).astype(np.uint8).transpose(1, 2, 0)
    out = np.zeros((height * 2, width * 2, 3), np.uint8)
    padded = upscale.padded_input(image, 32, spec.context)
    grid = upscale.tile_grid(height, width, 32)
    for tiles, tensor in upscale.tile_batches(padded, grid, 32, spec.context, 3):
        upscale.place(out, tiles, session.run(None, {name: tensor})[0], spec, 32)
    difference = np.abs(out.astype(int) - expected)
    assert difference.max() <= (0 if model.startswith("waifu2x") else 24)
    assert difference.mean() < 0.5
