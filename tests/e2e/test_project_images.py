"""Seed 000's project images through Envoy: add (multipart `file`), list, delete,
and who may see them (issue 13)."""

from __future__ import annotations

import concurrent.futures
import io
import uuid

import numpy as np
import pytest
import requests
from PIL import Image

from tests.conftest import register
from tests.samples import png_claiming

pytestmark = pytest.mark.mesh


def encoded(width: int, height: int, fmt: str, shade: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.full((height, width, 3), shade, dtype=np.uint8)).save(buffer, format=fmt)
    return buffer.getvalue()


def new_project(base_url: str, headers: dict) -> str:
    made = requests.post(f"{base_url}/v1/projects", json={"name": "Avatars", "type": "image"}, headers=headers, timeout=30)
    assert made.status_code == 201, made.text
    return made.json()["id"]


def add(base_url: str, headers: dict, project: str, data: bytes, filename: str = "photo.png") -> requests.Response:
    return requests.post(
        f"{base_url}/v1/projects/{project}/images", files={"file": (filename, data)}, headers=headers, timeout=60
    )


def listing(base_url: str, headers: dict, project: str, **query) -> requests.Response:
    return requests.get(f"{base_url}/v1/projects/{project}/images", params=query, headers=headers, timeout=30)


def test_add_list_and_delete(base_url, bearer):
    project = new_project(base_url, bearer)
    uploads = [
        ("front.png", encoded(64, 48, "PNG", 10), "image/png", (64, 48)),
        ("DCIM/camera/side.jpg", encoded(40, 30, "JPEG", 120), "image/jpeg", (40, 30)),
        ("back.webp", encoded(20, 25, "WEBP", 250), "image/webp", (20, 25)),
    ]
    added = []
    for filename, data, content_type, (width, height) in uploads:
        response = add(base_url, bearer, project, data, filename)
        assert response.status_code == 201, response.text
        image = response.json()
        assert image["project_id"] == project and image["content_type"] == content_type
        assert (image["size_bytes"], image["width"], image["height"]) == (len(data), width, height)
        assert image["created_at"] and uuid.UUID(image["id"])
        stored = requests.get(image["url"], timeout=30)
        assert stored.status_code == 200 and stored.content == data  # the bytes, unchanged
        added.append(image)
    assert [i["filename"] for i in added] == ["front.png", "side.jpg", "back.webp"]  # no client folders

    listed = listing(base_url, bearer, project)
    assert listed.status_code == 200, listed.text
    assert listed.json()["total"] == 3
    assert [i["id"] for i in listed.json()["images"]] == [i["id"] for i in reversed(added)]  # newest first
    first, second = listing(base_url, bearer, project, limit=2).json(), listing(base_url, bearer, project, limit=2, page=2).json()
    assert [i["id"] for i in first["images"] + second["images"]] == [i["id"] for i in reversed(added)]
    assert len(first["images"]) == 2 and first["total"] == second["total"] == 3
    assert requests.get(listed.json()["images"][0]["url"], timeout=30).content == uploads[2][1]
    projects = requests.get(f"{base_url}/v1/projects", headers=bearer, timeout=30).json()["items"]
    assert next(p for p in projects if p["id"] == project)["files_count"] == 3

    gone = added[1]
    deleted = requests.delete(f"{base_url}/v1/projects/{project}/images/{gone['id']}", headers=bearer, timeout=30)
    assert deleted.status_code == 200 and deleted.json() == {"success": True, "id": gone["id"]}
    assert requests.get(gone["url"], timeout=30).status_code == 404  # the file is gone, not only the row
    after = listing(base_url, bearer, project).json()
    assert after["total"] == 2 and [i["id"] for i in after["images"]] == [added[2]["id"], added[0]["id"]]
    again = requests.delete(f"{base_url}/v1/projects/{project}/images/{gone['id']}", headers=bearer, timeout=30)
    assert again.status_code == 404 and again.json()["error"] == "IMAGE_NOT_FOUND" and again.json()["request_id"]
    assert requests.get(added[0]["url"], timeout=30).content == uploads[0][1]  # the others stay


def test_another_users_project_is_not_found(base_url, bearer):
    project = new_project(base_url, bearer)
    image = add(base_url, bearer, project, encoded(8, 8, "PNG", 1)).json()
    stranger = {"Authorization": f"Bearer {register(base_url)['token']}"}

    for project_id in (project, str(uuid.uuid4()), "not-a-project"):
        posted = add(base_url, stranger, project_id, encoded(8, 8, "PNG", 2))
        assert posted.status_code == 404 and posted.json()["error"] == "PROJECT_NOT_FOUND", posted.text
        listed = listing(base_url, stranger, project_id)
        assert listed.status_code == 404 and listed.json()["error"] == "PROJECT_NOT_FOUND", listed.text
    deleted = requests.delete(f"{base_url}/v1/projects/{project}/images/{image['id']}", headers=stranger, timeout=30)
    assert deleted.status_code == 404 and deleted.json()["error"] == "PROJECT_NOT_FOUND"

    other = new_project(base_url, stranger)  # the stranger's own project does not reach the image either
    deleted = requests.delete(f"{base_url}/v1/projects/{other}/images/{image['id']}", headers=stranger, timeout=30)
    assert deleted.status_code == 404 and deleted.json()["error"] == "IMAGE_NOT_FOUND"
    owner_view = listing(base_url, bearer, project).json()
    assert owner_view["total"] == 1 and requests.get(image["url"], timeout=30).status_code == 200


@pytest.mark.parametrize(
    ("files", "status", "code"),
    [
        ([("file", ("notes.png", b"just some text, named like an image"))], 400, "INVALID_FILE_TYPE"),
        ([("file", ("broken.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64))], 400, "INVALID_IMAGE"),
        ([("other", ("a.png", b"x"))], 400, "NO_FILE"),
        ([("file", ("a.png", encoded(4, 4, "PNG", 1))), ("file", ("b.png", encoded(4, 4, "PNG", 2)))], 400, "INVALID_PARAMETER"),
        ([("file", ("huge.png", png_claiming(30000, 30000)))], 413, "IMAGE_TOO_LARGE"),  # refused from its header
    ],
)
def test_what_is_not_one_acceptable_image_is_refused_and_stores_nothing(base_url, bearer, files, status, code):
    project = new_project(base_url, bearer)
    response = requests.post(f"{base_url}/v1/projects/{project}/images", files=files, headers=bearer, timeout=30)
    assert response.status_code == status and response.json()["error"] == code, response.text
    assert listing(base_url, bearer, project).json()["total"] == 0


def test_a_project_holds_at_most_project_max_images_even_under_a_burst(base_url, key_headers):
    """PROJECT_MAX_IMAGES (500): concurrent uploads past it get PROJECT_FULL, and exactly 500 are kept.
    The static key's plan has no hourly request limit, so 505 uploads take seconds."""
    project = new_project(base_url, key_headers)
    tiny = encoded(2, 2, "PNG", 7)
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: add(base_url, key_headers, project, tiny), range(505)))
    assert sorted(r.status_code for r in statuses) == [201] * 500 + [400] * 5
    refused = next(r for r in statuses if r.status_code == 400).json()
    assert refused["error"] == "PROJECT_FULL" and refused["details"]["max_images"] == 500
    listed = listing(base_url, key_headers, project, limit=500).json()  # seed 001's integration reads a project whole
    assert listed["total"] == 500 and len({i["id"] for i in listed["images"]}) == 500
