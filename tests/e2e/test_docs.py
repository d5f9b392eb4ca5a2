"""The API docs through the real mesh, without a credential: Swagger UI at /docs (its files from
the npm registry's swagger-ui-dist), the OpenAPI documents at /openapi/<dialect>.json, and the
page rendering every operation in a headless Chromium (its CSP lets Swagger UI run)."""

from __future__ import annotations

import json
import os
import re

import pytest
import requests

from protos import openapi

CHROMIUM = "/usr/bin/chromium"


def test_docs_page_links_assets_that_load(base_url):
    page = requests.get(f"{base_url}/docs", timeout=30)
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-cache" and page.headers["etag"]
    assert "script-src 'self'" in page.headers["content-security-policy"]
    links = re.findall(r'(?:src|href)="(/docs/assets/[^"?]+)', page.text)
    kinds = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui-standalone-preset.js": "text/javascript",
             "swagger-ui.css": "text/css", "docs.js": "text/javascript"}
    assert sorted(link.rsplit("/", 1)[1] for link in links) == sorted(kinds)
    for link in links:
        asset = requests.get(f"{base_url}{link}", headers={"Accept-Encoding": "gzip"}, timeout=30)
        assert asset.status_code == 200, (link, asset.text[:200])
        assert asset.headers["content-type"].startswith(kinds[link.rsplit("/", 1)[1]]), link
        assert asset.headers["content-encoding"] == "gzip" and asset.headers["cache-control"] == "public, max-age=86400"
        again = requests.get(f"{base_url}{link}", headers={"Accept-Encoding": "gzip", "If-None-Match": asset.headers["etag"]}, timeout=30)
        assert again.status_code == 304 and not again.content
    assert b"SwaggerUIBundle" in requests.get(f"{base_url}/docs/assets/swagger-ui-bundle.js", timeout=30).content


def test_each_dialect_has_its_page_and_document(base_url):
    fomi = requests.get(f"{base_url}/openapi/fomi.json", timeout=30)
    assert fomi.status_code == 200 and fomi.headers["content-type"].startswith("application/json")
    document = fomi.json()
    assert document["openapi"] == "3.1.0" and "post" in document["paths"]["/fomi/v1/images/generate"]
    assert document == json.loads((openapi.OUT / "fomi.json").read_text())
    for dialect in ("backdrop", "rembg", "lumiku", "removebg"):
        assert requests.get(f"{base_url}/openapi/{dialect}.json", timeout=30).json()["info"]["title"].endswith(f"the {dialect} API")
    page = requests.get(f"{base_url}/docs/fomi", timeout=30)
    assert page.status_code == 200 and 'data-primary="fomi"' in page.text


def test_unknown_docs_are_404_in_the_envelope(base_url):
    for path in ("/docs/nope", "/openapi/nope.json", "/openapi/fomi", "/docs/assets/index.html"):
        response = requests.get(f"{base_url}{path}", timeout=30)
        assert response.status_code == 404, path
        assert response.json()["error"] == "NOT_FOUND", path


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed (make test installs it)")
def test_swagger_ui_renders_every_operation_in_a_browser(base_url, tmp_path):
    from playwright.sync_api import sync_playwright

    expected = sum(len(item) for item in json.loads((openapi.OUT / "fomi.json").read_text())["paths"].values())
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox", "--disable-gpu", "--disable-quic"])
        try:
            page = browser.new_page()
            errors = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("response", lambda response: response.status >= 400 and errors.append((response.status, response.url)))
            page.goto(f"{base_url}/docs/fomi")
            page.wait_for_selector(".opblock", timeout=30_000)
            assert page.locator(".opblock").count() == expected
            assert page.get_by_text("/fomi/v1/images/generate", exact=True).count() >= 1
            assert not errors, errors
        finally:
            browser.close()
