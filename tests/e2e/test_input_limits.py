"""Hostile input through Envoy: multipart headers, slow image URLs, and downloads
larger than any one message (H3, H6, H7/L6 of the hardening review)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import io
import os
import socket
import threading
import time

import numpy as np
import pytest
import requests
from PIL import Image

from services.runtime.objectstore import LocalObjectStore
from services.runtime.signing import UrlSigner

pytestmark = pytest.mark.mesh


def upload_png(width: int, height: int) -> bytes:
    """Noise compresses badly: width x height x 3 bytes of PNG, more or less."""
    buffer = io.BytesIO()
    pixels = np.random.default_rng(7).integers(0, 255, (height, width, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def test_a_huge_multipart_part_header_is_a_fast_400(base_url, bearer):
    """300 KB of Content-Disposition parameters froze the gateway for ~13 s; now it is refused at once."""
    header = b'Content-Disposition: form-data; name="file"; filename="a.png"' + b"; a=b" * 60_000
    body = b"--XyZ\r\n" + header + b"\r\nContent-Type: image/png\r\n\r\nx\r\n--XyZ--\r\n"
    started = time.monotonic()
    response = requests.post(
        f"{base_url}/v1/images", data=body, timeout=30,
        headers={**bearer, "Content-Type": "multipart/form-data; boundary=XyZ"},
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "INVALID_MULTIPART" and "headers are longer than" in response.json()["message"]
    assert time.monotonic() - started < 10
    assert requests.get(f"{base_url}/health", timeout=10).status_code in (200, 503)


class DripServer:
    """Answers 200 at once, then sends its body at one byte a second."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn):
        with conn:
            try:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 100000\r\n\r\n")
                while not self.stop.is_set():
                    conn.sendall(b"\x89")
                    time.sleep(1)
            except OSError:
                pass

    def close(self):
        self.stop.set()
        self.listener.close()


def test_slow_drip_image_urls_time_out_while_uploads_keep_working(base_url, bearer):
    """Eight 1 byte/s image URLs (the whole outbound pool) end in a 400 well inside the
    deadline, and a normal upload made meanwhile is not held up by them."""
    drip = DripServer()
    url = f"http://127.0.0.1:{drip.port}/slow.png"  # the test mesh allows 127.0.0.1 (OUTBOUND_ALLOWED_HOSTS)
    photo = upload_png(64, 64)
    try:
        with concurrent.futures.ThreadPoolExecutor(9) as pool:
            started = time.monotonic()
            slow = [
                pool.submit(requests.post, f"{base_url}/v1/images", files={"image_url": (None, url)}, headers=bearer, timeout=60)
                for _ in range(8)
            ]
            time.sleep(1.0)  # the fetches are under way
            upload_started = time.monotonic()
            upload = requests.post(f"{base_url}/v1/images", files={"file": ("p.png", photo, "image/png")}, headers=bearer, timeout=60)
            upload_s = time.monotonic() - upload_started
            assert upload.status_code == 201, upload.text
            assert requests.get(upload.json()["url"], timeout=30).content == photo
            assert upload_s < 4, f"an upload waited {upload_s:.1f} s behind slow image URLs"
            answers = [future.result() for future in slow]
            elapsed = time.monotonic() - started
    finally:
        drip.close()
    for answer in answers:
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"] == "URL_FETCH_TIMEOUT" and "image_url" in answer.json()["message"]
    assert elapsed < 20  # the minimum transfer rate cuts a drip after ~5 s; the deadline is 20 s


def _get_stream(url: str) -> tuple[requests.Response, bytes, int]:
    with requests.get(url, timeout=120, stream=True) as response:
        pieces = list(response.iter_content(1024 * 1024))
        return response, b"".join(pieces), len(pieces)


def test_an_uploaded_image_downloads_byte_exact_in_chunks(base_url, bearer):
    data = upload_png(1100, 1000)  # about 3.3 MB: several 1 MiB chunks
    assert len(data) > 3 * 1024 * 1024
    upload = requests.post(f"{base_url}/v1/images", files={"file": ("big.png", data, "image/png")}, headers=bearer, timeout=120)
    assert upload.status_code == 201, upload.text
    response, body, _ = _get_stream(upload.json()["url"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert body == data


def test_a_file_above_the_transcoder_s_response_limit_downloads(mesh):
    """60 MB: more than Envoy's 52 MB max_response_body_size and close to gRPC's message limit,
    so only a streamed download can deliver it (L6)."""
    env = mesh.service_env()
    data = os.urandom(60 * 1024 * 1024)
    key = f"results/e2e-{os.getpid()}/large.bin"
    store = LocalObjectStore(env["OBJECT_STORE_DIR"])
    asyncio.run(store.put(key, data, "application/octet-stream"))
    try:
        signer = UrlSigner(key=env["URL_SIGNING_KEY"].encode(), base_url=mesh.base_url)
        response, body, _ = _get_stream(signer.url(key))
        assert response.status_code == 200, body[:500]
        assert response.headers["content-type"] == "application/octet-stream"
        assert len(body) == len(data) and hashlib.sha256(body).digest() == hashlib.sha256(data).digest()
        missing = requests.get(signer.url(key + ".gone"), timeout=30)
        assert missing.status_code == 404 and missing.json()["error"] == "FILE_NOT_FOUND"
    finally:
        asyncio.run(store.delete(key))
