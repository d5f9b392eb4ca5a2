"""Seed 004's canvas drawing API at /fomi/v1 as its client calls it, on the real
mesh: layers saved, composited by the server (pixels checked against Porter-Duff
"over" in linear light), read, updated, deleted, refused when bad, and painted by
an AI assist (the tiny random diffusion pipeline: the area changes, the rest not)."""

from __future__ import annotations

import base64
import io
import time

import numpy as np
import pytest
import requests
from PIL import Image

from deploy.local.mesh import Mesh, Ports
from services.runtime.colour import linear_to_srgb, srgb_to_linear
from tests.conftest import running
from tests.contract.accounts import on_plan
from tests.samples import png

pytestmark = pytest.mark.mesh

CANVAS_KEYS = {"id", "name", "url", "thumbnail", "layers", "settings", "tags", "isPublic", "createdAt", "updatedAt"}
LAYER_KEYS = {"id", "name", "data", "visible", "opacity", "url"}


def data_url(pixels: np.ndarray) -> str:
    return "data:image/png;base64," + base64.b64encode(png(pixels)).decode()


def solid(width: int, height: int, rgba) -> np.ndarray:
    return np.broadcast_to(np.array(rgba, np.uint8), (height, width, 4)).copy()


def download(url: str) -> np.ndarray:
    response = requests.get(url, timeout=30)
    assert response.status_code == 200, response.text
    return np.asarray(Image.open(io.BytesIO(response.content)).convert("RGB")).astype(int)


def over(bottom, top, opacity: float) -> np.ndarray:
    """An opaque colour `top` at `opacity` over an opaque `bottom`, in linear light (8-bit alpha)."""
    a = round(opacity * 255) / 255
    mixed = (1 - a) * srgb_to_linear(np.array(bottom, np.uint8)) + a * srgb_to_linear(np.array(top, np.uint8))
    return linear_to_srgb(mixed).astype(int)


def assist_files(mesh, canvas_id: str) -> list:
    """The files an AI assist's job was given (canvases/{id}/assist/ in the mesh's object store)."""
    return [p for p in (mesh.data_dir / "objects" / "canvases" / canvas_id / "assist").rglob("*") if p.is_file()]


def assert_fomi_error(response: requests.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False and set(body) == {"success", "error"}, body
    assert set(body["error"]) == {"code", "message", "details"} and body["error"]["code"] == code, body
    return body["error"]


def client(base_url: str):
    account = on_plan(base_url, "pro")

    class Client:
        headers = account["headers"]

        def call(self, method: str, path: str, body: dict | None = None, headers=None) -> requests.Response:
            return requests.request(method, f"{base_url}/fomi/v1{path}", json=body, headers=headers or self.headers, timeout=120)

        def gallery_canvases(self) -> list[dict]:
            response = self.call("GET", "/gallery/personal?type=canvas")
            assert response.status_code == 200, response.text
            return response.json()["items"]

        def credits(self) -> int:
            response = requests.get(f"{base_url}/v1/credits", headers=self.headers, timeout=30)
            assert response.status_code == 200, response.text
            return response.json()["balance"]

    return Client()


@pytest.fixture
def fomi(base_url):
    return client(base_url)


@pytest.fixture(scope="module")
def impatient_mesh(tmp_path_factory, mesh):
    """A mesh whose synchronous waits end at once (SYNC_TIMEOUT_S): every AI assist is still running
    when its request answers. Started after the shared mesh, so the two never start at once."""
    lines: list[str] = []
    instance = Mesh(
        tmp_path_factory.mktemp("impatient"), ports=Ports.free(), sink=lambda n, l: lines.append(f"{n} | {l}"),
        env={"SYNC_TIMEOUT_S": "0.01", "PAYMENT_PROVIDER": "local", "ALLOW_TEST_PAYMENTS": "true"},
    )
    yield from running(instance, lines)


def two_layers(**extra) -> dict:
    """Seed 004's save body: a red opaque layer, blue at half opacity on the left half, green hidden."""
    return {
        "name": "My Drawing",
        "canvasData": data_url(solid(64, 48, (255, 0, 0, 255))),
        "layers": [
            {"id": "layer_1", "name": "Background", "data": data_url(solid(64, 48, (255, 0, 0, 255))), "visible": True, "opacity": 1.0},
            {"id": "layer_2", "name": "Blue", "data": base64.b64encode(png(solid(32, 48, (0, 0, 255, 255)))).decode(), "visible": True, "opacity": 0.5},
            {"id": "layer_3", "name": "Hidden", "data": data_url(solid(64, 48, (0, 255, 0, 255))), "visible": False, "opacity": 1.0},
        ],
        "settings": {"width": 64, "height": 48, "backgroundColor": "#ffffff"},
        "tags": ["art", "drawing"],
        "isPublic": False,
        **extra,
    }


def test_saved_layers_are_composited_read_updated_and_deleted(fomi, base_url):
    saved = fomi.call("POST", "/canvas/save", two_layers())
    assert saved.status_code == 201, saved.text
    body = saved.json()
    assert set(body) == {"success", "canvas"} and body["success"] is True
    canvas = body["canvas"]
    assert set(canvas) == CANVAS_KEYS and canvas["id"].startswith("canvas_")
    assert (canvas["name"], canvas["tags"], canvas["isPublic"]) == ("My Drawing", ["art", "drawing"], False)
    assert canvas["settings"] == {"width": 64, "height": 48, "backgroundColor": "#ffffff"}
    assert canvas["createdAt"].endswith("Z") and canvas["updatedAt"] >= canvas["createdAt"]
    assert [(layer["id"], layer["name"], layer["visible"], layer["opacity"]) for layer in canvas["layers"]] == [
        ("layer_1", "Background", True, 1.0), ("layer_2", "Blue", True, 0.5), ("layer_3", "Hidden", False, 1.0),
    ]
    for sent, layer in zip(two_layers()["layers"], canvas["layers"]):
        assert set(layer) == LAYER_KEYS
        assert base64.b64decode(layer["data"].split(",", 1)[1]) == base64.b64decode(sent["data"].split(",")[-1])
        assert requests.get(layer["url"], timeout=30).content == base64.b64decode(sent["data"].split(",")[-1])

    # The composite: blue at 0.5 over red on the left half, red on the right; the hidden green nowhere.
    pixels = download(canvas["url"])
    assert pixels.shape == (48, 64, 3)
    assert np.abs(pixels[:, :32] - over((255, 0, 0), (0, 0, 255), 0.5)).max() <= 1
    assert np.abs(pixels[:, 32:] - (255, 0, 0)).max() <= 1
    thumbnail = requests.get(canvas["thumbnail"], timeout=30)
    assert thumbnail.status_code == 200 and Image.open(io.BytesIO(thumbnail.content)).format == "JPEG"
    assert max(Image.open(io.BytesIO(thumbnail.content)).size) <= 320

    assert [item["tags"] for item in fomi.gallery_canvases()] == [["art", "drawing"]]  # filed in the personal gallery
    assert requests.get(fomi.gallery_canvases()[0]["url"], timeout=30).content == requests.get(canvas["url"], timeout=30).content

    read = fomi.call("GET", f"/canvas/{canvas['id']}")
    assert read.status_code == 200, read.text
    assert {k: v for k, v in read.json()["canvas"].items() if k not in ("url", "thumbnail", "layers")} == {
        k: v for k, v in canvas.items() if k not in ("url", "thumbnail", "layers")
    }

    # PUT: the blue layer (its image kept: no data) fully opaque, the hidden one shown, new name and tags.
    layers = read.json()["canvas"]["layers"]
    update = {
        "name": "Renamed", "tags": ["blue"],
        "layers": [layers[0], {"id": "layer_2", "name": "Blue", "opacity": 1.0}, {**layers[2], "visible": True, "opacity": 0.25}],
    }
    updated = fomi.call("PUT", f"/canvas/{canvas['id']}", update)
    assert updated.status_code == 200, updated.text
    changed = updated.json()["canvas"]
    assert (changed["id"], changed["name"], changed["tags"], changed["createdAt"]) == (canvas["id"], "Renamed", ["blue"], canvas["createdAt"])
    assert [(layer["id"], layer["visible"], layer["opacity"]) for layer in changed["layers"]] == [
        ("layer_1", True, 1.0), ("layer_2", True, 1.0), ("layer_3", True, 0.25),
    ]
    pixels = download(changed["url"])
    assert np.array_equal(download(fomi.gallery_canvases()[0]["url"]), pixels)  # the gallery shows the new composite
    assert np.abs(pixels[:, :32] - over((0, 0, 255), (0, 255, 0), 0.25)).max() <= 1
    assert np.abs(pixels[:, 32:] - over((255, 0, 0), (0, 255, 0), 0.25)).max() <= 1
    # Only what it names changes: settings alone recomposite the same layers on another background.
    resized = fomi.call("PUT", f"/canvas/{canvas['id']}", {"settings": {"width": 80, "height": 48, "backgroundColor": "#000000"}})
    assert resized.status_code == 200, resized.text
    assert resized.json()["canvas"]["name"] == "Renamed" and len(resized.json()["canvas"]["layers"]) == 3
    pixels = download(resized.json()["canvas"]["url"])
    assert pixels.shape == (48, 80, 3) and np.array_equal(pixels[:, 64:], np.zeros((48, 16, 3)))  # no layer reaches there
    assert np.abs(pixels[:, 32:64] - over((255, 0, 0), (0, 255, 0), 0.25)).max() <= 1

    deleted = fomi.call("DELETE", f"/canvas/{canvas['id']}")
    assert deleted.status_code == 200 and deleted.json()["success"] is True, deleted.text
    assert_fomi_error(fomi.call("GET", f"/canvas/{canvas['id']}"), 404, "CANVAS_NOT_FOUND")
    assert requests.get(resized.json()["canvas"]["url"], timeout=30).status_code == 404  # its files went with it
    assert fomi.gallery_canvases() == []


def test_another_user_gets_404_for_every_verb(fomi, base_url):
    canvas = fomi.call("POST", "/canvas/save", two_layers()).json()["canvas"]
    other = on_plan(base_url, "pro")["headers"]
    for method, body in (("GET", None), ("PUT", {"name": "mine now"}), ("DELETE", None)):
        assert_fomi_error(fomi.call(method, f"/canvas/{canvas['id']}", body, headers=other), 404, "CANVAS_NOT_FOUND")
    assert_fomi_error(
        fomi.call("POST", "/canvas/ai-assist", {"canvasId": canvas["id"], "prompt": "a hat", "area": {"x": 0, "y": 0, "width": 8, "height": 8}}, headers=other),
        404, "CANVAS_NOT_FOUND",
    )
    assert fomi.call("GET", f"/canvas/{canvas['id']}").json()["canvas"]["name"] == "My Drawing"
    assert_fomi_error(requests.get(f"{base_url}/fomi/v1/canvas/{canvas['id']}", timeout=30), 401, "AUTHENTICATION_FAILED")


def test_bad_layers_are_400s_that_name_the_layer(fomi):
    def refused(body: dict, code: str, layer: str | None = "layer_2") -> dict:
        error = assert_fomi_error(fomi.call("POST", "/canvas/save", body), 400, code)
        if layer:
            assert layer in error["message"], error
        return error

    def with_layer(**layer) -> dict:
        body = two_layers()
        body["layers"][1] = {**body["layers"][1], **layer}
        return body

    refused(with_layer(data=base64.b64encode(b"GIF89a not an image we take").decode()), "INVALID_FILE_TYPE")
    refused(with_layer(data="this is not base64!"), "INVALID_PARAMETER")
    refused(with_layer(data=data_url(solid(65, 48, (0, 0, 255, 255)))), "INVALID_IMAGE")  # wider than the canvas
    refused(with_layer(data=base64.b64encode(png(solid(32, 48, (0, 0, 255, 255)))[:60]).decode()), "INVALID_IMAGE")  # truncated
    refused(with_layer(opacity=1.5), "INVALID_PARAMETER")
    refused(with_layer(data=""), "INVALID_PARAMETER")
    many = two_layers()
    many["layers"] = [{**many["layers"][0], "id": f"l{i}"} for i in range(17)]
    assert "16" in refused(many, "INVALID_PARAMETER", layer=None)["message"]
    refused(two_layers(settings={"width": 0, "height": 48}), "INVALID_PARAMETER", layer=None)
    refused(two_layers(settings={"width": 64, "height": 48, "backgroundColor": "blue-ish"}), "INVALID_PARAMETER", layer=None)
    refused(two_layers(name=""), "INVALID_PARAMETER", layer=None)
    assert "canvasData" in refused(two_layers(canvasData="R0lGODlhAQABAAAAACw="), "INVALID_FILE_TYPE", layer=None)["message"]
    # canvasData alone is the canvas's one layer.
    flat = fomi.call("POST", "/canvas/save", {**two_layers(), "layers": []})
    assert flat.status_code == 201, flat.text
    assert [(layer["id"], layer["name"]) for layer in flat.json()["canvas"]["layers"]] == [("canvas", "Canvas")]
    assert np.array_equal(download(flat.json()["canvas"]["url"]), np.broadcast_to([255, 0, 0], (48, 64, 3)))
    # Layers larger than a JSON body's 64 KB go through (the upload limit on this route).
    noise = np.random.default_rng(1).integers(0, 256, (128, 256, 4), dtype=np.uint8)
    big = fomi.call("POST", "/canvas/save", {"name": "noise", "layers": [{"id": "n", "data": data_url(noise)}],
                                             "settings": {"width": 256, "height": 128, "backgroundColor": "#00000000"}})
    assert big.status_code == 201, big.text[:300]
    assert big.json()["canvas"]["layers"][0]["visible"] is True and big.json()["canvas"]["layers"][0]["opacity"] == 1.0


def test_ai_assist_paints_only_its_area_and_is_charged(fomi, astronaut, mesh):
    picture = np.concatenate([astronaut[100:196, 150:246], np.full((96, 96, 1), 255, np.uint8)], axis=2)
    canvas = fomi.call("POST", "/canvas/save", {
        "name": "Astronaut", "layers": [{"id": "photo", "name": "Photo", "data": data_url(picture)}],
        "settings": {"width": 96, "height": 96, "backgroundColor": "#ffffff"},
    }).json()["canvas"]
    before, credits = download(canvas["url"]), fomi.credits()
    assert_fomi_error(fomi.call("POST", "/canvas/ai-assist", {"canvasId": canvas["id"], "prompt": "a hat", "area": {"x": 80, "y": 0, "width": 32, "height": 32}}),
                      400, "INVALID_PARAMETER")
    assert_fomi_error(fomi.call("POST", "/canvas/ai-assist", {"canvasId": canvas["id"], "prompt": "a hat", "style": "oil", "area": {"x": 0, "y": 0, "width": 8, "height": 8}}),
                      400, "INVALID_PARAMETER")
    # An area over the diffusion pipeline's size is refused before a job exists, and its prepared input goes.
    large = fomi.call("POST", "/canvas/save", {"name": "Large", "layers": [{"id": "dot", "data": data_url(solid(1, 1, (0, 0, 0, 255)))}],
                                               "settings": {"width": 1500, "height": 1500}}).json()["canvas"]
    assert_fomi_error(fomi.call("POST", "/canvas/ai-assist", {"canvasId": large["id"], "prompt": "a hat", "area": {"x": 0, "y": 0, "width": 1500, "height": 1500}}),
                      400, "IMAGE_TOO_LARGE")
    assert not assist_files(mesh, large["id"])
    assert fomi.call("DELETE", f"/canvas/{large['id']}").status_code == 200
    assert fomi.credits() == credits  # refusals cost nothing

    assist = {
        "canvasId": canvas["id"], "prompt": "Add a mountain in the background", "area": {"x": 24, "y": 32, "width": 40, "height": 32},
        "style": "sketch", "model": "canvas-ai-model", "steps": 10, "seed": 7,
    }
    once = {**fomi.headers, "Idempotency-Key": f"assist-{canvas['id']}"}
    assisted = fomi.call("POST", "/canvas/ai-assist", assist, headers=once)
    assert assisted.status_code == 200, assisted.text
    body = assisted.json()
    assert body["success"] is True and body["assist"]["status"] == "completed"
    layers = body["canvas"]["layers"]
    assert [layer["name"] for layer in layers] == ["Photo", "AI assist"] and layers[1]["id"] == body["assist"]["layerId"]
    after = download(body["canvas"]["url"])
    outside = np.ones((96, 96), bool)
    outside[32:64, 24:64] = False
    assert np.array_equal(after[outside], before[outside])
    assert np.abs(after[32:64, 24:64] - before[32:64, 24:64]).mean() > 5
    charged = fomi.credits()
    assert charged < credits
    # A retry (the same Idempotency-Key) is the same assist: one layer, one charge.
    again = fomi.call("POST", "/canvas/ai-assist", assist, headers=once)
    assert again.status_code == 200 and again.json()["assist"] == body["assist"], again.text
    assert len(again.json()["canvas"]["layers"]) == 2 and fomi.credits() == charged
    assert not assist_files(mesh, canvas["id"])  # the inputs it prepared (twice) are gone
    assert np.array_equal(download(fomi.gallery_canvases()[0]["url"]), after)  # the gallery shows it painted
    # The new layer is kept: a GET shows it, and hiding it brings the picture back.
    read = fomi.call("GET", f"/canvas/{canvas['id']}").json()["canvas"]
    assert [layer["name"] for layer in read["layers"]] == ["Photo", "AI assist"]
    hidden = fomi.call("PUT", f"/canvas/{canvas['id']}", {"layers": [{"id": "photo", "name": "Photo"}, {"id": layers[1]["id"], "name": "AI assist", "visible": False}]})
    assert hidden.status_code == 200, hidden.text
    assert np.array_equal(download(hidden.json()["canvas"]["url"]), before)


def test_an_ai_assist_still_running_is_202_and_a_later_get_shows_it(impatient_mesh):
    fomi = client(impatient_mesh.base_url)
    canvas = fomi.call("POST", "/canvas/save", two_layers()).json()["canvas"]
    assisted = fomi.call("POST", "/canvas/ai-assist", {
        "canvasId": canvas["id"], "prompt": "a small boat", "area": {"x": 8, "y": 8, "width": 16, "height": 16}, "steps": 10,
    })
    assert assisted.status_code == 202, assisted.text
    body = assisted.json()
    assert body["assist"]["status"] == "processing" and body["assist"]["layerId"] == ""
    assert len(body["canvas"]["layers"]) == 3 and body["canvas"]["url"]
    deadline = time.monotonic() + 60
    while len(layers := fomi.call("GET", f"/canvas/{canvas['id']}").json()["canvas"]["layers"]) == 3:
        assert time.monotonic() < deadline, "the assist never reached the canvas"
        time.sleep(1)
    assert [layer["name"] for layer in layers] == ["Background", "Blue", "Hidden", "AI assist"]
    assert not assist_files(impatient_mesh, canvas["id"])
    shown = download(fomi.call("GET", f"/canvas/{canvas['id']}").json()["canvas"]["url"])
    assert np.abs(shown[8:24, 8:24] - over((255, 0, 0), (0, 0, 255), 0.5)).mean() > 5
    assert np.abs(shown[30:, :32] - over((255, 0, 0), (0, 0, 255), 0.5)).max() <= 1
