"""The web app at / in a real headless Chromium (Debian's chromium, driven by Playwright):
sign up, upload a photo, live progress, the before/after comparison checked by pixels, the
download's alpha; a phone-sized screen without sideways scrolling; every field labelled.
Its files over plain HTTP: content types, ETag revalidation, only the manifest's files."""

from __future__ import annotations

import io
import os
import uuid
import zipfile

import numpy as np
import pytest
import requests
from PIL import Image

CHROMIUM = "/usr/bin/chromium"
# A closed network: nothing may reach out (updates, sync, QUIC probes).
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed (make test installs it)")


def launch(playwright, user_data_dir, **context):
    """A persistent context on a fresh --user-data-dir (Playwright's launch() refuses that flag)."""
    return playwright.chromium.launch_persistent_context(
        str(user_data_dir), executable_path=CHROMIUM, headless=True, args=FLAGS, accept_downloads=True, **context
    )


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = launch(playwright, tmp_path_factory.mktemp("chromium"), viewport={"width": 1200, "height": 900})
        yield context
        context.close()


UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(el => el.type !== 'hidden' && !el.labels.length && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
  .map(el => el.id || el.name || el.outerHTML)"""


def sign_up(page) -> None:
    """A new account through the form; the page is signed in (this tab only: sessionStorage)."""
    page.get_by_label("Email", exact=True).fill(f"web-{uuid.uuid4().hex[:10]}@example.com")
    page.get_by_label("Password", exact=True).fill("correct horse battery")
    page.get_by_label("Name (new accounts only)").fill("Web User")
    page.get_by_role("button", name="Create account").click()
    page.get_by_role("navigation", name="Main").wait_for()


def frame_shot(page) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(page.locator(".compare .frame").screenshot())).convert("RGB")).astype(float)


def test_sign_up_remove_a_background_compare_and_download(browser, base_url, photo, tmp_path):
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{base_url}/")
    page.wait_for_selector("body[data-ready=true]")
    assert page.evaluate(UNLABELLED) == []  # every field of every view has a label
    # A wrong password is said in an alert, and the form stays.
    page.get_by_label("Email", exact=True).fill("nobody@example.com")
    page.get_by_label("Password", exact=True).fill("not the password")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("alert").wait_for()
    assert page.get_by_role("alert").inner_text().strip() != ""
    assert page.get_by_role("heading", name="Remove backgrounds, generate images").is_visible()

    sign_up(page)
    page.get_by_role("heading", name="Remove a background").wait_for()
    page.wait_for_function("() => document.getElementById('credits-badge').textContent.includes('credits')")
    assert page.evaluate("sessionStorage.length") == 1 and page.evaluate("localStorage.length") == 0

    page.set_input_files("#files", files=[{"name": "astronaut.jpg", "mimeType": "image/jpeg", "buffer": photo}])
    assert page.locator("#chosen").inner_text() == "1 image chosen."
    # Record every status the file's row shows while it runs (the aria-live region).
    page.evaluate("""() => { window.seen = []; new MutationObserver(() => {
        for (const s of document.querySelectorAll('#results .status')) if (window.seen.at(-1) !== s.textContent) window.seen.push(s.textContent);
      }).observe(document.getElementById('results'), {subtree: true, childList: true, characterData: true}); }""")
    page.get_by_role("button", name="Remove backgrounds").click()
    page.wait_for_selector("#results .result.done", timeout=60_000)
    seen = page.evaluate("window.seen")
    assert page.locator("#results").get_attribute("aria-live") == "polite"  # screen readers hear it
    assert seen[0] in ("Waiting", "Uploading") and seen[-1] == "Done", seen
    assert page.locator("#results progress").evaluate("p => p.value") == 100
    page.wait_for_function("() => [...document.querySelectorAll('.compare img')].every(i => i.complete && i.naturalWidth > 0)")

    # The slider, by keyboard: End shows the original whole, Home the result whole.
    slider = page.get_by_label("Compare original (left) and result (right)")
    half = frame_shot(page)
    slider.focus()
    page.keyboard.press("End")
    original = frame_shot(page)
    page.keyboard.press("Home")
    result = frame_shot(page)
    width = half.shape[1]
    left, right = slice(0, width // 2 - 4), slice(width // 2 + 4, width)
    assert original.std() > 30  # a photo, not a blank box
    assert np.abs(half[:, left] - original[:, left]).mean() < 3  # the left half is the original...
    assert np.abs(half[:, right] - result[:, right]).mean() < 3  # ...the right half the result
    assert np.abs(original - result).mean() > 15  # and they differ: the background is gone
    # The result's top corners are the checkerboard behind a transparent background.
    corner = result[:20, -20:].reshape(-1, 3)
    checker = np.minimum(np.abs(corner - (201, 204, 212)).max(axis=1), np.abs(corner - 255).max(axis=1)) < 12
    assert checker.mean() > 0.9 and corner.std() > 10, checker.mean()

    with page.expect_download() as download:
        page.get_by_role("link", name="Download astronaut-no-bg.png").click()
    assert download.value.suggested_filename == "astronaut-no-bg.png"
    image = Image.open(download.value.path())
    assert image.mode == "RGBA" and image.size == (512, 512)
    alpha = np.asarray(image)[..., 3]
    assert alpha[256, 220] >= 250  # the astronaut is kept
    assert alpha[:40, :40].max() < 10 and alpha[:40, -40:].max() < 10  # the studio is gone
    assert errors == []


def test_a_folder_goes_as_one_batch_and_downloads_as_a_zip(browser, base_url, photo, tmp_path):
    page = browser.new_page()
    page.goto(f"{base_url}/")
    page.wait_for_selector("body[data-ready=true]")
    sign_up(page)
    page.get_by_label("Tier").select_option("basic")
    folder = tmp_path / "shoot"
    folder.mkdir()
    for n in range(2):
        (folder / f"photo-{n}.jpg").write_bytes(photo)
    (folder / "notes.txt").write_text("not an image")
    page.set_input_files("#folder", folder)
    assert page.locator("#chosen").inner_text() == "2 images chosen (1 other file left out)."
    page.get_by_role("button", name="Remove backgrounds").click()
    page.wait_for_selector("#results .result.done >> nth=1", timeout=60_000)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download all (ZIP)").click()
    with zipfile.ZipFile(download.value.path()) as archive:
        names = sorted(archive.namelist())
        assert names == ["removed-photo-0.png", "removed-photo-1.png"], names
        assert Image.open(io.BytesIO(archive.read(names[0]))).mode == "RGBA"
    page.close()


def test_generate_a_gallery_then_credits_history_and_api_keys(browser, base_url):
    page = browser.new_page()
    page.goto(f"{base_url}/#generate")
    page.wait_for_selector("body[data-ready=true]")
    sign_up(page)
    page.get_by_role("link", name="Generate").click()
    page.get_by_label("Prompt", exact=True).fill("a lighthouse at dusk")
    page.get_by_label("Steps").fill("10")
    page.get_by_role("button", name="Generate", exact=True).click()
    page.wait_for_selector("#gallery img", timeout=60_000)
    assert page.locator("#gen-message").inner_text() == "Done: 1 image(s)"
    assert page.locator("#gen-progress").evaluate("p => p.value") == 100
    page.wait_for_function("() => document.querySelector('#gallery img').naturalWidth > 0")
    shot = np.asarray(Image.open(io.BytesIO(page.locator("#gallery img").screenshot())).convert("RGB")).astype(float)
    assert shot.std() > 5  # the tiny random pipeline draws noise, but draws
    assert page.get_by_role("link", name="Download image 1").get_attribute("href").startswith(f"{base_url}/v1/files/")

    page.get_by_role("link", name="Credits & plan").click()
    page.wait_for_selector("#history tr td")
    credits = dict(zip(page.locator("#credits dt").all_inner_texts(), page.locator("#credits dd").all_inner_texts()))
    assert int(credits["Balance"]) < 100 and credits["Monthly grant"] == "100"  # the generation was charged
    assert dict(zip(page.locator("#plan dt").all_inner_texts(), page.locator("#plan dd").all_inner_texts()))["Plan"] == "free"

    page.get_by_role("link", name="API keys").click()
    page.get_by_label("Name of a new key").fill("laptop")
    page.get_by_role("button", name="Create key").click()
    page.get_by_role("button", name="Delete key laptop").wait_for()
    key = page.get_by_label("Your new key").input_value()
    me = requests.get(f"{base_url}/v1/users/me", headers={"X-API-Key": key}, timeout=10)
    assert me.status_code == 200, me.text  # the key shown once works
    page.close()


def test_a_phone_sized_screen_scrolls_only_down(browser, base_url):
    page = browser.new_page()
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{base_url}/")
    page.wait_for_selector("body[data-ready=true]")
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth"), "auth"
    sign_up(page)
    for view in ("remove", "generate", "account", "keys"):
        page.goto(f"{base_url}/#{view}")
        page.locator(f"#view-{view}").wait_for()
        assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth"), view
        page.screenshot()  # renders (fonts, layout) without error
    page.close()


def test_the_manifest_lists_every_static_file():
    """A file left out of the manifest would be a 404 for the app; the manifest itself is not served."""
    from gateway.web.app import STATIC, Bundle

    bundle = Bundle()
    on_disk = {path.name for path in STATIC.iterdir() if path.is_file()}
    assert on_disk == {*bundle.assets, "index.html", "manifest.json"}
    assert bundle.lookup("manifest.json") is None and bundle.lookup("index.html") is None
    assert bundle.lookup(f"v-{bundle.build}/main.js")[1] == "public, max-age=31536000, immutable"
    assert bundle.lookup("v-0ld/main.js")[1] == "no-cache"  # an old page's link still works, uncached
    assert b"/app/v-" + bundle.build.encode() + b"/main.js" in bundle.page.data


def test_files_come_only_from_the_manifest_with_types_and_etags(base_url, bearer):
    page = requests.get(f"{base_url}/", timeout=10)
    assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    assert "default-src 'self'" in page.headers["content-security-policy"]
    build = page.text.split("/app/v-", 1)[1].split("/", 1)[0]
    script = requests.get(f"{base_url}/app/v-{build}/main.js", timeout=10)
    assert script.status_code == 200 and script.headers["content-type"] == "text/javascript; charset=utf-8"
    assert script.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert script.headers["content-encoding"] == "gzip"  # requests asks for it
    style = requests.get(f"{base_url}/app/style.css", timeout=10)  # unversioned: revalidate
    assert style.headers["content-type"] == "text/css; charset=utf-8" and style.headers["cache-control"] == "no-cache"
    again = requests.get(f"{base_url}/app/style.css", headers={"If-None-Match": style.headers["etag"]}, timeout=10)
    assert again.status_code == 304 and again.content == b""
    for path in ("/app/manifest.json", "/app/index.html", "/app/../gateway/server.py", "/app/v-1/../../pyproject.toml",
                 "/app/%2e%2e/web/app.py", "/app/v-x/", "/app/nope.js"):
        refused = requests.get(f"{base_url}{path}", timeout=10)
        assert refused.status_code in (400, 401, 404), (path, refused.status_code)
        assert "text/javascript" not in refused.headers.get("content-type", ""), path
    # "/" is only "/": an unknown API path is still the API's 404 envelope.
    unknown = requests.get(f"{base_url}/v1/nope", headers=bearer, timeout=10)
    assert unknown.status_code == 404 and unknown.json()["error"] == "NOT_FOUND"
