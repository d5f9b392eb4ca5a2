"""The API documentation: Swagger UI at /docs, the OpenAPI documents at /openapi/<dialect>.json
(protos/backdrop/web/v1/docs.proto).

The documents are generated from the protos by protos/openapi.py (`make protos`, committed in
protos/gen/openapi). Swagger UI comes from the npm registry's swagger-ui-dist, pinned by
version and sha256 and unpacked into build/swagger-ui by `python -m gateway.web.docs`
(`make swagger-ui`, which `make up` and `make test` run); nothing of it is kept in git.
Every file is read once at start-up; a request names a key of that table, never a path.
"""

from __future__ import annotations

import hashlib
import html
import pathlib
import sys
import tarfile

from backdrop.web.v1 import docs_pb2_grpc
from gateway import rest
from gateway.web.app import REVALIDATE, Asset, asset_of, send_asset
from services.runtime import envelopes
from services.runtime.errors import not_found

REPO = pathlib.Path(__file__).resolve().parents[2]
DOCUMENTS = REPO / "protos" / "gen" / "openapi"
ASSETS = REPO / "build" / "swagger-ui"
SWAGGER_UI = ("swagger-ui-dist", "5.32.0", "3c30bfe83d09763d14b4c88df0beade8ca162087a2fa5db3f34472f231ab3ba9")
SWAGGER_FILES = ("swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css")
# Swagger UI's files change only with its pinned version: a day before the browser asks again.
ASSET_CACHE = "public, max-age=86400"
# Swagger UI styles elements inline; it fetches only this origin's documents.
PAGE_POLICY = (
    "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
START = """\
// Swagger UI over every dialect's document; the page names the one shown first.
const root = document.getElementById("swagger-ui");
window.ui = SwaggerUIBundle({
  urls: root.dataset.dialects.split(" ").map((name) => ({ url: `/openapi/${name}.json`, name })),
  "urls.primaryName": root.dataset.primary,
  dom_id: "#swagger-ui",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: "StandaloneLayout",
});
"""
PAGE = """\
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Backdrop API: {primary}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css?v={version}">
</head>
<body>
<div id="swagger-ui" data-dialects="{dialects}" data-primary="{primary}"></div>
<noscript>Swagger UI needs JavaScript; the documents themselves are at {links}.</noscript>
<script src="/docs/assets/swagger-ui-bundle.js?v={version}"></script>
<script src="/docs/assets/swagger-ui-standalone-preset.js?v={version}"></script>
<script src="/docs/assets/docs.js?v={version}"></script>
</body>
</html>
"""


def fetch_assets(target: pathlib.Path = ASSETS) -> None:
    """Swagger UI's files from the npm registry's tarball, checked against its pinned sha256."""
    from deploy.models import npm

    package, version, sha256 = SWAGGER_UI
    tarball = npm.fetch(package, version, target.parent / "npm")
    digest = hashlib.sha256(tarball.read_bytes()).hexdigest()
    if digest != sha256:
        tarball.unlink()
        raise SystemExit(f"{package}@{version}: the tarball's sha256 is {digest}, not the pinned {sha256}")
    with tarfile.open(tarball) as archive:
        files = {name: archive.extractfile(f"package/{name}").read() for name in SWAGGER_FILES}
    target.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (target / name).write_bytes(data)
    (target / "VERSION").write_text(version + "\n")
    print(f"{package}@{version} into {target.relative_to(REPO) if target.is_relative_to(REPO) else target}")


class Library:
    """The documents, Swagger UI's files and the pages, in memory."""

    def __init__(self, documents: pathlib.Path = DOCUMENTS, assets: pathlib.Path = ASSETS):
        self.dialects = tuple(envelopes.BY_NAME)
        self.documents = {f"{name}.json": asset_of(f"{name}.json", (documents / f"{name}.json").read_bytes())
                          for name in self.dialects if (documents / f"{name}.json").exists()}
        # Without `make swagger-ui` the gateway still serves the documents; the page's files are 404.
        self.assets = {name: asset_of(name, (assets / name).read_bytes()) for name in SWAGGER_FILES if (assets / name).exists()}
        self.assets["docs.js"] = asset_of("docs.js", START.encode())
        version = hashlib.sha256(b"".join(a.data for a in self.assets.values())).hexdigest()[:12]
        links = ", ".join(f"/openapi/{name}.json" for name in self.dialects)
        self.pages = {name: asset_of("docs.html", PAGE.format(primary=html.escape(name), dialects=" ".join(self.dialects),
                                                            version=version, links=links).encode())
                      for name in self.dialects}

    def page(self, dialect: str) -> Asset:
        if dialect not in self.pages:
            raise not_found("NOT_FOUND", f"No API dialect {dialect[:40]!r}: one of {', '.join(self.dialects)}")
        return self.pages[dialect]


class Docs(docs_pb2_grpc.DocsServicer):
    def __init__(self, library: Library | None = None):
        self.library = library or Library()

    @rest.endpoint(envelopes.BACKDROP)
    async def GetDocsPage(self, request, context):
        page = self.library.page(request.dialect or "backdrop")
        return await send_asset(context, page, REVALIDATE, (("content-security-policy", PAGE_POLICY),
                                                       ("referrer-policy", "same-origin")))

    @rest.endpoint(envelopes.BACKDROP)
    async def GetDocsAsset(self, request, context):
        asset = self.library.assets.get(request.name)
        if asset is None:
            hint = " (run `make swagger-ui`)" if request.name in SWAGGER_FILES else ""
            raise not_found("NOT_FOUND", f"The docs have no file {request.name[:100]!r}{hint}")
        return await send_asset(context, asset, ASSET_CACHE)

    @rest.endpoint(envelopes.BACKDROP)
    async def GetOpenApi(self, request, context):
        document = self.library.documents.get(request.file)
        if document is None:
            names = ", ".join(self.library.documents)
            raise not_found("NOT_FOUND", f"No OpenAPI document {request.file[:100]!r}: one of {names}")
        return await send_asset(context, document, REVALIDATE)


if __name__ == "__main__":
    fetch_assets(pathlib.Path(sys.argv[1]) if sys.argv[1:] else ASSETS)
