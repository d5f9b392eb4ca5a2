import io

import numpy as np
import pytest
from PIL import Image

from services.runtime import images
from services.runtime.errors import ServiceError
from tests.samples import png_claiming


def encode(fmt: str, size=(64, 48), **save) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 10, 10)).save(buffer, format=fmt, **save)
    return buffer.getvalue()


@pytest.mark.parametrize(("fmt", "name", "mime"), [("PNG", "png", "image/png"), ("JPEG", "jpeg", "image/jpeg"), ("WEBP", "webp", "image/webp")])
def test_accepted_formats(fmt, name, mime):
    info = images.inspect(encode(fmt))
    assert (info.format, info.content_type, info.width, info.height) == (name, mime, 64, 48)


@pytest.mark.parametrize("data", [encode("GIF"), encode("BMP"), b"", b"hello", b"RIFF\0\0\0\0WAVEfmt "])
def test_other_types_are_refused(data):
    with pytest.raises(ServiceError) as caught:
        images.inspect(data)
    assert caught.value.reason == "INVALID_FILE_TYPE"


def test_bomb_is_refused_from_its_header():
    with pytest.raises(ServiceError) as caught:
        images.inspect(png_claiming(30000, 30000))
    assert caught.value.reason == "IMAGE_TOO_LARGE" and caught.value.http_status == 413


def test_just_over_the_pixel_limit_is_refused(monkeypatch):
    monkeypatch.setattr(images, "MAX_PIXELS", 64 * 48 - 1)
    with pytest.raises(ServiceError) as caught:
        images.inspect(encode("PNG"))
    assert caught.value.details == {"max_pixels": str(64 * 48 - 1), "width": "64", "height": "48"}


def test_truncated_image_fails_to_decode():
    data = encode("JPEG", size=(256, 256))
    with pytest.raises(ServiceError) as caught:
        images.decode_rgb(data[: len(data) // 2])
    assert caught.value.reason == "INVALID_IMAGE"


def test_exif_orientation_is_applied_on_decode():
    pixels = np.zeros((20, 40, 3), np.uint8)
    pixels[:, :20] = 255  # left half white
    exif = Image.Exif()
    exif[0x0112] = 6  # display rotated 90 degrees clockwise
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", exif=exif.tobytes())
    decoded = np.asarray(images.decode_rgb(buffer.getvalue()))
    assert decoded.shape == (40, 20, 3)
    assert decoded[:20].mean() > 250 and decoded[20:].mean() < 5  # white is now on top


def _progressive_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(1).integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(
        buffer, format="JPEG", progressive=True, quality=90
    )
    return buffer.getvalue()


def test_a_normal_progressive_jpeg_is_accepted():
    data = _progressive_jpeg()
    assert 1 < images.jpeg_scans(data) <= 20
    assert images.inspect(data).format == "jpeg"
    assert images.decode_rgb(data).size == (64, 64)


def test_a_jpeg_with_thousands_of_scans_is_refused_before_decoding():
    """Decode cost grows with the scan count: a few KB can hold thousands of scans."""
    data = _progressive_jpeg()
    last_scan = data[data.rindex(b"\xff\xda") : -2]
    crafted = data[:-2] + last_scan * 2000 + b"\xff\xd9"
    with pytest.raises(ServiceError) as caught:
        images.inspect(crafted)
    assert caught.value.reason == "INVALID_IMAGE" and "scans" in caught.value.message
