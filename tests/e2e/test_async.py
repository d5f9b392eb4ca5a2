"""Seed 003's asynchronous API: /process, /status, /download, and the email."""

from __future__ import annotations

import io
import os
import signal
import time

import pytest
import requests
from PIL import Image

pytestmark = pytest.mark.mesh


def wait_status(base_url, headers, processing_id, timeout=60) -> str:
    deadline = time.monotonic() + timeout
    while True:
        status = requests.get(f"{base_url}/status/{processing_id}", headers=headers, timeout=30).json()["status"]
        if status != "processing":
            return status
        assert time.monotonic() < deadline
        time.sleep(0.2)


def test_process_status_download_and_email(base_url, bearer, photo, mailbox):
    form = {"email": "you@example.com", "model": "u2net", "output_format": "jpg", "quality": "90", "scale": "0.5"}
    accepted = requests.post(f"{base_url}/process", files={"file": ("p.jpg", photo)}, data=form, headers=bearer, timeout=60)
    assert accepted.status_code == 202, accepted.text
    body = accepted.json()
    processing_id = body["processing_id"]
    assert body["status_url"] == f"{base_url}/status/{processing_id}"
    assert body["message"] == "Processing started. Check your email when done."

    assert wait_status(base_url, bearer, processing_id) == "completed"
    download = requests.get(f"{base_url}/download/{processing_id}", headers=bearer, timeout=30)
    assert download.status_code == 200
    assert download.headers["content-disposition"] == f'attachment; filename="{processing_id}.jpg"'
    assert download.headers["content-type"] == "image/jpeg"
    image = Image.open(io.BytesIO(download.content))
    assert image.format == "JPEG" and image.size == (256, 256)  # scale 0.5 of 512x512
    corner = image.getpixel((2, 2))
    assert min(corner) > 240  # transparent background flattened on white

    def text(message) -> str:
        return message.get_payload(decode=True).decode()

    deadline = time.monotonic() + 30
    while not any(processing_id in text(m) for m in mailbox.messages):
        assert time.monotonic() < deadline, "no email"
        time.sleep(0.2)
    (mail,) = [m for m in mailbox.messages if processing_id in text(m)]  # one email, not one per event
    assert mail["To"] == "you@example.com" and mail["Subject"] == "Your image is ready"
    assert f"{base_url}/download/{processing_id}" in text(mail)


def test_download_is_423_while_processing_and_404_when_unknown(mesh, base_url, bearer, photo):
    modelserver = mesh.children["modelserver"].process
    os.killpg(modelserver.pid, signal.SIGSTOP)
    try:
        accepted = requests.post(
            f"{base_url}/process", files={"file": ("p.jpg", photo)}, data={"email": "a@example.com"}, headers=bearer, timeout=60
        )
        processing_id = accepted.json()["processing_id"]
        assert requests.get(f"{base_url}/status/{processing_id}", headers=bearer, timeout=30).json()["status"] == "processing"
        locked = requests.get(f"{base_url}/download/{processing_id}", headers=bearer, timeout=30)
        assert locked.status_code == 423 and locked.json()["error"] == "LOCKED"
    finally:
        os.killpg(modelserver.pid, signal.SIGCONT)
    assert wait_status(base_url, bearer, processing_id) == "completed"
    unknown = requests.get(f"{base_url}/download/00000000-0000-4000-8000-000000000000", headers=bearer, timeout=30)
    assert unknown.status_code == 404


@pytest.mark.parametrize(
    ("form", "field"),
    [({}, "email"), ({"email": "nope"}, "email"), ({"email": "a@b.co", "output_format": "gif"}, "output_format"),
     ({"email": "a@b.co", "scale": "40"}, "scale"), ({"email": "a@b.co", "quality": "0"}, "quality")],
)
def test_process_validates_its_fields(base_url, bearer, photo, form, field):
    response = requests.post(f"{base_url}/process", files={"file": ("p.jpg", photo)}, data=form, headers=bearer, timeout=30)
    assert response.status_code == 400 and response.json()["details"]["field"] == field
