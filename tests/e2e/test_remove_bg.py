"""Seed 002's rembg microservice API through Envoy, as its clients use it."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import textwrap

import numpy as np
import pytest
import requests
from PIL import Image

from tests.conftest import STATIC_API_KEY
from tests.samples import jpeg

pytestmark = pytest.mark.mesh


def rgba(response: requests.Response) -> np.ndarray:
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "PNG" and image.mode == "RGBA"
    return np.asarray(image)


def test_curl_upload_returns_transparent_png(base_url, photo, key_headers):
    """`curl -F image=@photo.jpg .../remove-bg -o out.png` (seed 002)."""
    curl = shutil.which("curl")
    if curl is None:
        pytest.fail("curl is needed for this test")
    out = subprocess.run(
        [curl, "-sS", "-H", f"X-API-Key: {key_headers['X-API-Key']}", "-F", "image=@-;filename=photo.jpg",
         f"{base_url}/remove-bg", "-w", "\n%{http_code} %{content_type}"],
        input=photo,
        capture_output=True,
        check=True,
    ).stdout
    body, _, trailer = out.rpartition(b"\n")
    assert trailer.decode() == "200 image/png"
    image = Image.open(io.BytesIO(body))
    assert image.mode == "RGBA" and image.size == (512, 512)
    alpha = np.asarray(image)[..., 3]
    # The astronaut is in the middle; the top corners are studio background.
    assert alpha[256, 220] >= 250
    assert alpha[:40, :40].max() < 10 and alpha[:40, -40:].max() < 10


def test_seed_002_python_client_as_written(base_url, photo, tmp_path, monkeypatch):
    source = textwrap.dedent(
        """
        import requests

        def remove_background(image_path, api_url, api_key=None):
            headers = {}
            if api_key:
                headers['X-API-Key'] = api_key

            with open(image_path, 'rb') as image_file:
                files = {'image': image_file}
                response = requests.post(api_url, files=files, headers=headers)

            if response.status_code == 200:
                # Save the processed image
                with open('processed_image.png', 'wb') as f:
                    f.write(response.content)
                return 'processed_image.png'
            else:
                error_data = response.json()
                raise Exception(f"Error: {error_data.get('error', 'Unknown error')}")
        """
    )
    namespace: dict = {}
    exec(compile(source, "seed_002_client.py", "exec"), namespace)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "photo.jpg").write_bytes(photo)
    (tmp_path / "notes.txt").write_text("not an image")

    api_key = STATIC_API_KEY
    saved = namespace["remove_background"]("photo.jpg", f"{base_url}/remove-bg", api_key)
    image = Image.open(tmp_path / saved)
    assert image.mode == "RGBA" and image.size == (512, 512)

    with pytest.raises(Exception, match="Error: File type not allowed. Supported types: png, jpg, jpeg, webp"):
        namespace["remove_background"]("notes.txt", f"{base_url}/remove-bg", api_key)
    with pytest.raises(Exception, match="Error: Unauthorized"):
        namespace["remove_background"]("photo.jpg", f"{base_url}/remove-bg", "wrong-key")


def test_seed_002_javascript_client_as_written(base_url, photo, tmp_path):
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is needed to run seed 002's JavaScript client")
    client = textwrap.dedent(
        """
        async function removeBackground(imageFile) {
          const formData = new FormData();
          formData.append('image', imageFile);

          try {
            const response = await fetch('BASE_URL/remove-bg', {
              method: 'POST',
              headers: {
                'X-API-Key': 'your-api-key-here'
              },
              body: formData
            });

            if (!response.ok) {
              const errorData = await response.json();
              throw new Error(errorData.error || 'Failed to remove background');
            }

            return await response.blob();
          } catch (error) {
            console.error('Error removing background:', error);
            throw error;
          }
        }
        """
    ).replace("BASE_URL", base_url)
    harness = client + textwrap.dedent(
        """
        const fs = require('fs');
        (async () => {
          const photo = new Blob([fs.readFileSync(process.argv[2])], {type: 'image/jpeg'});
          const png = await removeBackground(photo);
          fs.writeFileSync(process.argv[3], Buffer.from(await png.arrayBuffer()));
          console.log(png.type);
          try {
            await removeBackground(new Blob(['hello'], {type: 'text/plain'}));
          } catch (e) {
            console.log('rejected: ' + e.message);
          }
        })();
        """
    )
    (tmp_path / "client.js").write_text(harness)
    (tmp_path / "photo.jpg").write_bytes(photo)
    result = subprocess.run(
        [node, "client.js", "photo.jpg", "out.png"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "image/png",
        "rejected: File type not allowed. Supported types: png, jpg, jpeg, webp",
    ]
    assert Image.open(tmp_path / "out.png").mode == "RGBA"


def test_exif_orientation_is_applied(base_url, astronaut, key_headers):
    """A photo stored sideways with EXIF orientation 6 comes back upright."""
    stored = np.ascontiguousarray(np.rot90(astronaut[:, :400], k=1))  # 400x512 stored as 512x400
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW to display
    upload = jpeg(stored, exif=exif.tobytes())
    response = requests.post(
        f"{base_url}/remove-bg", files={"image": ("p.jpg", upload, "image/jpeg")}, headers=key_headers, timeout=120
    )
    assert response.status_code == 200
    result = rgba(response)
    assert result.shape[:2] == (512, 400)  # displayed height x width
    upright = np.asarray(Image.open(io.BytesIO(upload)).transpose(Image.Transpose.ROTATE_270))
    opaque = result[..., 3] == 255
    assert np.abs(result[..., :3][opaque].astype(int) - upright[opaque].astype(int)).mean() < 6


def test_health_is_healthy(base_url):
    response = requests.get(f"{base_url}/health", timeout=10)
    assert response.status_code == 200
    assert response.json()["status"] == "healthy"


@pytest.mark.parametrize(
    ("files", "status", "error"),
    [
        ({"other": (None, "no image here")}, 400, "No image provided"),
        ({"image": ("empty.png", b"", "image/png")}, 400, "No image provided"),
        ({"image": ("a.gif", b"GIF89a" + b"\0" * 64, "image/gif")}, 400, "File type not allowed. Supported types: png, jpg, jpeg, webp"),
    ],
)
def test_bad_uploads_get_seed_002_errors(base_url, files, status, error, key_headers):
    response = requests.post(f"{base_url}/remove-bg", files=files, headers=key_headers, timeout=30)
    assert response.status_code == status
    assert response.json() == {"error": error}


def test_over_10_mb_is_refused(base_url, photo, key_headers):
    padded = photo + b"\0" * (10 * 1024 * 1024)
    response = requests.post(
        f"{base_url}/remove-bg", files={"image": ("big.jpg", padded, "image/jpeg")}, headers=key_headers, timeout=60
    )
    assert response.status_code == 400  # seed 002 lists "too large" among its 400s
    assert response.json() == {"error": "File too large. Maximum size: 10MB"}


def test_non_multipart_body_is_refused(base_url, key_headers):
    response = requests.post(f"{base_url}/remove-bg", data={"image": "x"}, headers=key_headers, timeout=30)
    assert response.status_code == 400
    assert response.json() == {"error": "Send the request as multipart/form-data"}


def test_cors_preflight_allows_browser_clients(base_url):
    response = requests.options(
        f"{base_url}/remove-bg",
        headers={
            "Origin": "https://app.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-api-key",
        },
        timeout=10,
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] in ("*", "https://app.example")
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "x-api-key" in response.headers["access-control-allow-headers"].lower()
