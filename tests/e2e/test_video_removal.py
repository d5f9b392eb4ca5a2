"""Seed 000's video background removal through the mesh: POST /v1/process/remove-background-video.

A 2 s, 10 fps, 320x240 clip with a sine track, made here by ffmpeg from the project's sample
logo (a red disc and a blue bar on white), goes in; each output is downloaded and decoded by
ffmpeg: frame count, size, fps, alpha (background clear, subject opaque) and audio."""

from __future__ import annotations

import http.client
import http.server
import json
import os
import threading
import urllib.parse
import zipfile

import numpy as np
import pytest
import requests
from PIL import Image

from services.inference.pipeline import ffmpeg
from tests import samples
from tests.contract.shapes import DATETIME, URI, UUID, OneOf, assert_shape
from tests.conftest import register
from tests.e2e.test_billing import credits

pytestmark = pytest.mark.mesh
URL = "/v1/process/remove-background-video"
WIDTH, HEIGHT, FPS, SECONDS = 320, 240, 10, 2
# The logo scaled to 320x240: the disc's centre and a white corner.
SUBJECT, BACKGROUND = (85, 120), (8, 8)  # (x, y)
# Seed 000's BatchJob, its result without a mask (the video is `image`).
RESULT = {"id": UUID, "image": URI, "metadata": {"width": int, "height": int, "format": str, "processing_time": float}}
BATCH_JOB = {"id": UUID, "status": OneOf("pending", "processing", "completed", "failed"), "progress": float,
             "total_files": int, "processed_files": int, "results": [RESULT], "created_at": DATETIME}


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> bytes:
    rgb, _ = samples.logo()
    frame = np.asarray(Image.fromarray(rgb).resize((WIDTH, HEIGHT)))
    path = str(tmp_path_factory.mktemp("clip") / "clip.mp4")
    ffmpeg.make_test_clip(path, [frame], FPS, SECONDS)
    with open(path, "rb") as f:
        return f.read()


def submit(base_url, headers, data: bytes, name="clip.mp4", **fields) -> requests.Response:
    return requests.post(f"{base_url}{URL}", files={"file": (name, data, "video/mp4")}, data=fields, headers=headers, timeout=120)


def wait(base_url, headers, job_id, timeout=90) -> tuple[dict, list[float]]:
    """The job's Server-Sent Events until it ends (one request), then its status; and the
    progress of every event seen."""
    seen = []
    with requests.get(f"{base_url}/v1/process/jobs/{job_id}/events", headers=headers, stream=True, timeout=timeout) as events:
        assert events.status_code == 200, events.text
        for line in events.iter_lines():
            text = line.decode().removeprefix("data:").strip()
            if text.startswith("{"):
                snapshot = json.loads(text)
                seen.append(snapshot["progress"])
                if snapshot["status"] in ("completed", "failed"):
                    break
    return requests.get(f"{base_url}/v1/process/jobs/{job_id}", headers=headers, timeout=30).json(), seen


def download(status: dict, tmp_path, name: str) -> str:
    response = requests.get(status["results"][0]["image"], timeout=60)
    assert response.status_code == 200, response.text
    path = str(tmp_path / name)
    with open(path, "wb") as f:
        f.write(response.content)
    return path


@pytest.mark.parametrize(("fmt", "suffix", "alpha", "audio"), [("webm", "webm", True, True), ("mov", "mov", True, True), ("mp4", "mp4", False, True)])
def test_video_through_the_mesh(base_url, bearer, clip, tmp_path, fmt, suffix, alpha, audio):
    before = credits(base_url, bearer)["balance"]
    response = submit(base_url, bearer, clip, output_format=fmt, bg_color="#00ff00")
    assert response.status_code == 202, response.text
    job = response.json()
    assert_shape(job, BATCH_JOB)
    assert job["status"] in ("pending", "processing") and job["total_files"] == 1 and job["progress"] < 100
    done, seen = wait(base_url, bearer, job["id"])
    assert done["status"] == "completed", done
    assert_shape(done, BATCH_JOB)
    assert seen[-1] == 100 and any(0 < p < 100 for p in seen), seen  # progress per batch of frames
    assert done["progress"] == 100 and done["results"][0]["metadata"] == {
        "width": WIDTH, "height": HEIGHT, "format": fmt, "processing_time": done["results"][0]["metadata"]["processing_time"]}
    path = download(done, tmp_path, f"out.{suffix}")
    info = ffmpeg.probe(path)
    assert (info.width, info.height, info.frames, info.fps) == (WIDTH, HEIGHT, FPS * SECONDS, FPS)
    assert info.has_audio is audio and info.alpha is alpha
    frames = list(ffmpeg.frames(path, WIDTH, HEIGHT, alpha=True))
    assert len(frames) == FPS * SECONDS
    middle = frames[len(frames) // 2]
    (sx, sy), (bx, by) = SUBJECT, BACKGROUND
    if alpha:
        assert middle[by, bx, 3] < 30 and middle[sy, sx, 3] > 225, (middle[by, bx], middle[sy, sx])
    else:  # composited on the green asked for; the red disc kept
        assert middle[by, bx, 1] > 200 and middle[by, bx, 0] < 60, middle[by, bx]
        assert middle[sy, sx, 0] > 170 and middle[sy, sx, 1] < 80, middle[sy, sx]
    # Charged once, the default tier's price (a 2 s 320x240 clip is below it).
    assert credits(base_url, bearer)["balance"] == before - 8


def test_gif_matte_and_png_sequence(base_url, bearer, clip, tmp_path):
    jobs = {}
    for fmt in ("gif", "matte", "png"):
        response = submit(base_url, bearer, clip, output_format=fmt)
        assert response.status_code == 202, response.text
        jobs[fmt] = response.json()["id"]
    results = {fmt: wait(base_url, bearer, job_id)[0] for fmt, job_id in jobs.items()}
    assert all(r["status"] == "completed" for r in results.values()), results
    gif = download(results["gif"], tmp_path, "out.gif")
    frames = list(ffmpeg.frames(gif, WIDTH, HEIGHT, alpha=True))
    assert len(frames) == FPS * SECONDS and frames[5][8, 8, 3] == 0 and frames[5][120, 85, 3] == 255
    matte = download(results["matte"], tmp_path, "matte.mp4")
    grey = next(ffmpeg.frames(matte, WIDTH, HEIGHT))
    assert ffmpeg.probe(matte).frames == FPS * SECONDS and grey[8, 8, 0] < 30 and grey[120, 85, 0] > 225
    archive = zipfile.ZipFile(download(results["png"], tmp_path, "frames.zip"))
    assert len(archive.namelist()) == FPS * SECONDS
    first = np.asarray(Image.open(archive.open(archive.namelist()[0])))
    assert first.shape == (HEIGHT, WIDTH, 4) and first[8, 8, 3] < 30 and first[120, 85, 3] > 225


def project(base_url, headers, kind: str) -> dict:
    response = requests.post(f"{base_url}/v1/projects", json={"name": f"My {kind}s", "type": kind}, headers=headers, timeout=30)
    assert response.status_code == 201, response.text
    return response.json()


def test_a_video_project_files_the_finished_video(base_url, bearer, clip, tmp_path):
    """Seed 000's projects of type video: project_id on the route files the result there."""
    videos = project(base_url, bearer, "video")
    assert (videos["status"], videos["files_count"]) == ("draft", 0)
    response = submit(base_url, bearer, clip, output_format="webm", project_id=videos["id"])
    assert response.status_code == 202, response.text
    done, _ = wait(base_url, bearer, response.json()["id"])
    assert done["status"] == "completed", done
    listed = requests.get(f"{base_url}/v1/projects/{videos['id']}/images", headers=bearer, timeout=30)
    assert listed.status_code == 200, listed.text
    [filed] = listed.json()["images"]
    assert filed["content_type"] == "video/webm" and (filed["width"], filed["height"]) == (WIDTH, HEIGHT)
    path = str(tmp_path / "filed.webm")
    with open(path, "wb") as f:
        f.write(requests.get(filed["url"], timeout=60).content)
    assert os.path.getsize(path) == filed["size_bytes"]
    info = ffmpeg.probe(path)
    assert (info.frames, info.alpha) == (FPS * SECONDS, True)
    mine = requests.get(f"{base_url}/v1/projects", headers=bearer, timeout=30).json()["items"]
    assert next(p for p in mine if p["id"] == videos["id"])["files_count"] == 1
    assert next(p for p in mine if p["id"] == videos["id"])["status"] == "completed"


def test_a_project_that_takes_no_video_is_refused_uncharged(base_url, bearer, clip):
    images = project(base_url, bearer, "image")
    theirs = project(base_url, {"Authorization": f"Bearer {register(base_url)['token']}"}, "video")
    before = credits(base_url, bearer)["balance"]
    wrong_type = submit(base_url, bearer, clip, project_id=images["id"])
    assert wrong_type.status_code == 400 and wrong_type.json()["error"] == "PROJECT_TYPE_MISMATCH", wrong_type.text
    assert "type video" in wrong_type.json()["message"]
    for other in (theirs["id"], "00000000-0000-4000-8000-000000000000", "not-a-project"):
        refused = submit(base_url, bearer, clip, project_id=other)
        assert refused.status_code == 404 and refused.json()["error"] == "PROJECT_NOT_FOUND", refused.text
    assert credits(base_url, bearer)["balance"] == before


def test_refusals_before_the_charge(base_url, bearer, clip, tmp_path):
    before = credits(base_url, bearer)["balance"]
    photo = submit(base_url, bearer, samples.png(samples.logo()[0]), name="logo.png")
    assert photo.status_code == 400 and photo.json()["error"] == "UNSUPPORTED_CONTAINER" and "MP4" in photo.json()["message"], photo.text
    corrupt = submit(base_url, bearer, clip[: len(clip) // 3])  # a cut-off MP4: no index, no frames
    assert corrupt.status_code == 400 and corrupt.json()["error"] == "INVALID_VIDEO", corrupt.text
    garbage = submit(base_url, bearer, os.urandom(4096))
    assert garbage.status_code == 400 and garbage.json()["error"] == "INVALID_VIDEO", garbage.text
    # MPEG-4 Part 2 in an MP4: a real video, a codec this service does not take.
    path = str(tmp_path / "mpeg4.mp4")
    ffmpeg.make_test_clip(path, [samples.logo()[0][:200, :300]], 10, 0.5, codec="mpeg4", audio=False)
    with open(path, "rb") as f:
        old = submit(base_url, bearer, f.read())
    assert old.status_code == 400 and old.json()["error"] == "UNSUPPORTED_CODEC" and "H.264" in old.json()["message"], old.text
    bad_option = submit(base_url, bearer, clip, output_format="avi")
    assert bad_option.status_code == 400 and bad_option.json()["error"] == "INVALID_PARAMETER" and "webm" in bad_option.json()["message"]
    # A body that claims 2 GB is refused by its Content-Length before it is read.
    address = urllib.parse.urlsplit(base_url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    connection.putrequest("POST", URL)
    for name, value in {**bearer, "Content-Type": "multipart/form-data; boundary=x", "Content-Length": str(2 * 1024**3)}.items():
        connection.putheader(name, value)
    connection.endheaders(b"--x\r\n")
    claimed = connection.getresponse()
    body = json.loads(claimed.read())
    assert claimed.status == 413 and body["error"] == "PAYLOAD_TOO_LARGE" and "525336576" in body["message"], body
    connection.close()
    assert credits(base_url, bearer)["balance"] == before


def test_an_upload_past_the_image_limit_streams_through(base_url, bearer, clip):
    """60 MB (above the 52 MB of the image routes): the body streams through Envoy to the
    gateway and is parsed there; an extra part is read and dropped."""
    padding = os.urandom(1024 * 1024) * 60
    response = requests.post(
        f"{base_url}{URL}", headers=bearer, timeout=120,
        files=[("padding", ("pad.bin", padding, "application/octet-stream")), ("file", ("clip.mp4", clip, "video/mp4"))],
        data={"output_format": "webm"},
    )
    assert response.status_code == 202, response.text


def test_video_url_goes_through_the_ssrf_guard(base_url, bearer, clip):
    from deploy.local.mesh import free_port

    port = free_port()

    class Clip(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            self.send_response(200)
            self.send_header("Content-Type", "video/mp4")
            self.send_header("Content-Length", str(len(clip)))
            self.end_headers()
            self.wfile.write(clip)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Clip)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        def post(url):
            return requests.post(f"{base_url}{URL}", files={"video_url": (None, url), "output_format": (None, "gif")}, headers=bearer, timeout=120)

        ok = post(f"http://127.0.0.1:{port}/clip.mp4")  # the test mesh allows 127.0.0.1 (OUTBOUND_ALLOWED_HOSTS)
        assert ok.status_code == 202, ok.text
        done, _ = wait(base_url, bearer, ok.json()["id"])
        assert done["status"] == "completed" and done["results"][0]["metadata"]["format"] == "gif", done
        refused = post("http://169.254.169.254/latest/meta-data")
        assert refused.status_code == 400 and refused.json()["error"] in ("URL_NOT_ALLOWED", "INVALID_URL"), refused.text
    finally:
        server.shutdown()
