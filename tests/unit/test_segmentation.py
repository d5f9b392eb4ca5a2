import numpy as np
import pytest
from PIL import Image

from services.inference import models
from services.inference.pipeline import compose, segmentation
from services.runtime.errors import ServiceError


def test_u2netp_tensor():
    tensor = segmentation.preprocess(models.resolve("u2netp"), Image.new("RGB", (1024, 768), (255, 128, 0)))
    assert tensor.shape == (1, 3, 320, 320) and tensor.dtype == np.float32
    # max-scaled then ImageNet-normalised: red channel = (1 - 0.485) / 0.229
    assert tensor[0, 0, 0, 0] == pytest.approx((1 - 0.485) / 0.229, rel=1e-5)


@pytest.mark.parametrize(("quality", "expected"), [("low", (256, 192)), ("high", (512, 384)), ("ultra", (768, 576))])
def test_modnet_size_follows_quality_in_multiples_of_32(quality, expected):
    spec = models.resolve("modnet")
    assert segmentation.input_size(spec, 1024, 768, quality) == expected
    tensor = segmentation.preprocess(spec, Image.new("RGB", (1024, 768), (255, 255, 255)), quality)
    assert tensor.shape == (1, 3, expected[1], expected[0])
    assert tensor.max() == pytest.approx(1.0)


def test_small_images_are_not_upscaled_past_a_multiple_of_32():
    assert segmentation.input_size(models.resolve("modnet"), 50, 20, "high") == (64, 32)


def test_mask_rescales_saliency_and_fits_the_image():
    spec = models.resolve("u2netp")
    output = np.full((1, 1, 320, 320), 0.2, np.float32)
    output[..., 100:200, 100:200] = 0.6
    mask = np.asarray(segmentation.to_mask(spec, output, (640, 480)))
    assert mask.shape == (480, 640)
    assert mask[240, 320] == 255 and mask[0, 0] == 0


def test_cutout_uses_the_mask_as_alpha():
    rgb = np.full((4, 4, 3), (10, 20, 30), np.uint8)
    alpha = np.array([[0, 1, 0, 1]] * 4, np.float32)
    rgba = compose.cutout(rgb, alpha)
    assert rgba.shape == (4, 4, 4)
    assert rgba[0, 1].tolist() == [10, 20, 30, 255] and rgba[0, 0].tolist() == [0, 0, 0, 0]


@pytest.mark.parametrize(("name", "model"), [("rembg", "u2netp"), ("U2NET", "u2netp"), ("u2net_human_seg", "modnet"), ("", "u2netp")])
def test_seed_model_names(name, model):
    assert models.resolve(name).name == model


def test_unknown_model_lists_valid_names():
    with pytest.raises(ServiceError) as caught:
        models.resolve("deeplab")
    assert caught.value.reason == "INVALID_MODEL"
    assert "u2net_human_seg" in caught.value.message
