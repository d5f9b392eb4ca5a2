"""Seed 003 (asynchronous background removal: /process, /status/{id},
/download/{id}, served at the root): the document's Python example run as
written (its file, form fields and values; the JavaScript and TypeScript ones
send the same fields), each answer checked against the documented body,
status and headers, and every documented error status triggered once.

The document's examples send no credential: Backdrop runs them unchanged only
in its single-user mode (AUTH_REQUIRED=false, tests/e2e/test_single_user.py);
here, on the multi-user mesh, they carry a Bearer token, and nothing else
changes. Where Backdrop differs from the document the test is a strict xfail
naming the gap (a bug to fix, not a skip)."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import os
import signal
import time

import pytest
import requests
import sqlalchemy as sa
from PIL import Image

from tests.contract.accounts import on_plan
from tests.contract.shapes import URI, UUID, OneOf, assert_shape

pytestmark = pytest.mark.mesh

PROCESS_ACCEPTED = {"processing_id": UUID, "status_url": URI, "message": str}
STATUS = {"processing_id": UUID, "status": OneOf("processing", "completed", "failed")}
# The Python example's form; the JavaScript one sends quality '90' and scale '1.0' as text, the same on the wire.
EXAMPLE = {"email": "you@example.com", "model": "u2net", "output_format": "png", "quality": 90, "scale": 1.0}
NEVER_ISSUED = "3fa85f64-5717-4562-b3fc-2c963f66afa6"  # the document's example id


@pytest.fixture(scope="module")
def pro(mesh) -> dict:
    """Every documented model, u2net_human_seg (MODNet) included, is in pro's tiers."""
    return on_plan(mesh.base_url, "pro")


def submit(base_url: str, headers: dict, upload: bytes, **form) -> requests.Response:
    files = {"file": ("portrait.jpg", upload, "image/jpeg")}
    return requests.post(f"{base_url}/process", files=files, data=form, headers=headers, timeout=60)


def poll(status_url: str, headers: dict, timeout: float = 120) -> dict:
    """The examples' loop: GET status_url while the status is `processing`; every answer is a status."""
    deadline = time.monotonic() + timeout
    while True:
        response = requests.get(status_url, headers=headers, timeout=30)
        assert response.status_code == 200, response.text
        assert_shape(response.json(), STATUS)
        if response.json()["status"] != "processing":
            return response.json()
        assert time.monotonic() < deadline, response.json()
        time.sleep(0.3)


@pytest.fixture(scope="module")
def accepted(mesh, pro, photo) -> requests.Response:
    return submit(mesh.base_url, pro["headers"], photo, **EXAMPLE)


@pytest.fixture(scope="module")
def finished(accepted, pro) -> dict:
    return poll(accepted.json()["status_url"], pro["headers"])


def test_process_is_202_with_the_processing_id(base_url, accepted):
    assert accepted.status_code == 202, accepted.text
    body = accepted.json()
    assert_shape(body, PROCESS_ACCEPTED)
    assert body["status_url"] == f"{base_url}/status/{body['processing_id']}"
    assert body["message"] == "Processing started. Check your email when done."


def test_status_is_200_and_ends_completed(accepted, finished):
    assert finished == {"processing_id": accepted.json()["processing_id"], "status": "completed"}


def test_download_is_the_image_as_an_attachment(base_url, pro, accepted, finished):
    processing_id = accepted.json()["processing_id"]
    response = requests.get(f"{base_url}/download/{processing_id}", headers=pro["headers"], timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"] == f'attachment; filename="{processing_id}.png"'
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "PNG" and image.mode == "RGBA" and image.size == (512, 512)  # scale 1.0


def test_the_email_says_it_is_done(mailbox, base_url, accepted, finished):
    """`email`: "Your email for notification"."""
    processing_id = accepted.json()["processing_id"]

    def text(message) -> str:
        return message.get_payload(decode=True).decode()

    deadline = time.monotonic() + 30
    while not [m for m in mailbox.messages if processing_id in text(m)]:
        assert time.monotonic() < deadline, "no notification email"
        time.sleep(0.2)
    (mail,) = [m for m in mailbox.messages if processing_id in text(m)]
    assert mail["To"] == "you@example.com"
    assert f"{base_url}/download/{processing_id}" in text(mail)


@pytest.mark.parametrize(
    ("form", "kind", "extension", "size"),
    [
        ({"email": "you@example.com"}, "PNG", "png", 512),  # every default: u2net, png, 95, 1.0
        ({**EXAMPLE, "model": "u2netp", "output_format": "jpg", "quality": "90", "scale": "0.5"}, "JPEG", "jpg", 256),
        ({**EXAMPLE, "model": "u2net_human_seg", "output_format": "jpeg", "quality": "95", "scale": "1.0"}, "JPEG", "jpg", 512),
    ],
    ids=["defaults", "u2netp-jpg-half", "u2net_human_seg-jpeg"],
)
def test_each_model_and_output_format(base_url, pro, photo, form, kind, extension, size):
    response = submit(base_url, pro["headers"], photo, **form)
    assert response.status_code == 202, response.text
    assert_shape(response.json(), PROCESS_ACCEPTED)
    processing_id = response.json()["processing_id"]
    assert poll(response.json()["status_url"], pro["headers"])["status"] == "completed"
    download = requests.get(f"{base_url}/download/{processing_id}", headers=pro["headers"], timeout=30)
    assert download.status_code == 200, download.text
    assert download.headers["content-disposition"] == f'attachment; filename="{processing_id}.{extension}"'
    image = Image.open(io.BytesIO(download.content))
    assert image.format == kind and image.size == (size, size)


def test_status_can_be_failed(base_url, pro, photo):
    """A truncated photo: accepted, then `failed`, one of the three documented values."""
    response = submit(base_url, pro["headers"], photo[: len(photo) // 4], email="you@example.com")
    assert response.status_code == 202, response.text
    assert poll(response.json()["status_url"], pro["headers"])["status"] == "failed"


# --- Errors ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/status", "/download"])
def test_an_id_that_does_not_exist_is_404(base_url, pro, path):
    response = requests.get(f"{base_url}{path}/{NEVER_ISSUED}", headers=pro["headers"], timeout=30)
    assert response.status_code == 404, response.text


def test_download_is_423_while_processing(mesh, base_url, pro, photo):
    """The inference server paused (SIGSTOP) keeps the job processing for as long as the test needs."""
    modelserver = mesh.children["modelserver"].process
    os.killpg(modelserver.pid, signal.SIGSTOP)
    try:
        response = submit(base_url, pro["headers"], photo, **EXAMPLE)
        assert response.status_code == 202, response.text
        processing_id = response.json()["processing_id"]
        status = requests.get(response.json()["status_url"], headers=pro["headers"], timeout=30)
        assert status.json() == {"processing_id": processing_id, "status": "processing"}
        locked = requests.get(f"{base_url}/download/{processing_id}", headers=pro["headers"], timeout=30)
        assert locked.status_code == 423, locked.text
    finally:
        os.killpg(modelserver.pid, signal.SIGCONT)
    assert poll(response.json()["status_url"], pro["headers"])["status"] == "completed"


@pytest.fixture(scope="module")
def expired(mesh, pro, photo) -> str:
    """A completed job past retention, expired by the orchestrator's own retention code
    (its finish moved back a month rather than waiting RETENTION_S, a week)."""
    from services.orchestrator import retention
    from services.orchestrator.store import JobStore, jobs
    from services.runtime import db
    from services.runtime.objectstore import LocalObjectStore

    response = submit(mesh.base_url, pro["headers"], photo, **EXAMPLE)
    assert response.status_code == 202, response.text
    processing_id = response.json()["processing_id"]
    assert poll(response.json()["status_url"], pro["headers"])["status"] == "completed"

    async def expire() -> bool:
        engine = db.engine()
        try:
            store = JobStore(engine)
            async with engine.begin() as conn:
                moved_back = sa.func.now() - dt.timedelta(days=30)
                await conn.execute(jobs.update().where(jobs.c.id == processing_id).values(finished_at=moved_back))
            await retention.expire_once(store, LocalObjectStore(mesh.data_dir / "objects"), 7 * 24 * 3600)
            return (await store.get(processing_id)).expired
        finally:
            await engine.dispose()

    with pytest.MonkeyPatch.context() as patch:  # the services' store code, on the mesh's database
        patch.setenv("DATABASE_URL", mesh.service_env()["DATABASE_URL"])
        assert asyncio.run(expire())
    return processing_id


def test_download_of_an_expired_id_is_404(base_url, pro, expired):
    response = requests.get(f"{base_url}/download/{expired}", headers=pro["headers"], timeout=30)
    assert response.status_code == 404, response.text


def test_status_of_an_expired_id_is_404(base_url, pro, expired):
    response = requests.get(f"{base_url}/status/{expired}", headers=pro["headers"], timeout=30)
    assert response.status_code == 404, response.text
