"""The web app at / and its static files at /app/ (protos/backdrop/web/v1/app.proto).

Plain ES modules and one stylesheet in gateway/web/static/, no build step. Only the
files manifest.json lists are served, read once at start-up into memory: a request
names a key of that table, never a path on disk, so no traversal can reach another
file. The page links its assets under /app/v-<build>/ (a digest of every file),
cached for good; a path without that prefix, or an old build's, must revalidate.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import pathlib

from google.api import httpbody_pb2

from backdrop.web.v1 import app_pb2_grpc
from gateway import rest
from services.runtime import envelopes
from services.runtime.errors import not_found

STATIC = pathlib.Path(__file__).with_name("static")
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
}
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# The app talks only to its own origin; images it shows are same-origin, blob: or data: URLs.
PAGE_POLICY = (
    "default-src 'self'; img-src 'self' blob: data:; script-src 'self'; style-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


@dataclasses.dataclass(frozen=True)
class Asset:
    content_type: str
    data: bytes
    compressed: bytes
    etag: str


def asset_of(name: str, data: bytes) -> Asset:
    """A file ready to serve: its type by suffix, gzip-compressed once, its ETag from its bytes."""
    digest = hashlib.sha256(data).hexdigest()[:20]
    return Asset(CONTENT_TYPES[pathlib.PurePosixPath(name).suffix], data, gzip.compress(data, 9, mtime=0), f'"{digest}"')


class Bundle:
    """The manifest's files, the build id that versions their URLs, and the page linking them."""

    def __init__(self, root: pathlib.Path = STATIC):
        manifest = json.loads((root / "manifest.json").read_text())
        files = {name: (root / name).read_bytes() for name in manifest["assets"]}
        whole = hashlib.sha256()
        for name in sorted(files):
            whole.update(name.encode() + b"\0" + files[name])
        page = (root / manifest["page"]).read_bytes()
        self.build = whole.hexdigest()[:12]
        self.assets = {name: asset_of(name, data) for name, data in files.items()}
        self.page = asset_of(manifest["page"], page.replace(b"{{BUILD}}", self.build.encode()))

    def lookup(self, path: str) -> tuple[Asset, str] | None:
        """The asset a /app/ path names and its Cache-Control, or None."""
        head, _, rest_of = path.partition("/")
        if head.startswith("v-") and rest_of:
            asset = self.assets.get(rest_of)
            return (asset, IMMUTABLE if head == f"v-{self.build}" else REVALIDATE) if asset else None
        asset = self.assets.get(path)
        return (asset, REVALIDATE) if asset else None


async def send_asset(context, asset: Asset, cache_control: str, extra: tuple = ()) -> httpbody_pb2.HttpBody:
    """The asset, gzip-compressed when the client takes it; 304 when its ETag still holds."""
    headers = dict(context.invocation_metadata() or ())
    gzipped = "gzip" in headers.get("accept-encoding", "").lower()
    etag = asset.etag[:-1] + '-gz"' if gzipped else asset.etag
    meta = [("etag", etag), ("cache-control", cache_control), ("vary", "accept-encoding"),
            ("x-content-type-options", "nosniff"), *extra]
    if etag in [tag.strip() for tag in headers.get("if-none-match", "").split(",")]:
        await context.send_initial_metadata(((rest.STATUS_HEADER, "304"), *meta))
        return httpbody_pb2.HttpBody(content_type=asset.content_type)
    if gzipped:
        meta.append(("content-encoding", "gzip"))
    await context.send_initial_metadata(tuple(meta))
    return httpbody_pb2.HttpBody(content_type=asset.content_type, data=asset.compressed if gzipped else asset.data)


class WebApp(app_pb2_grpc.WebAppServicer):
    def __init__(self, bundle: Bundle | None = None):
        self.bundle = bundle or Bundle()

    @rest.endpoint(envelopes.BACKDROP)
    async def GetAppPage(self, request, context):
        return await send_asset(context, self.bundle.page, REVALIDATE, (("content-security-policy", PAGE_POLICY),
                                                                   ("referrer-policy", "same-origin")))

    @rest.endpoint(envelopes.BACKDROP)
    async def GetAppAsset(self, request, context):
        found = self.bundle.lookup(request.path)
        if found is None:
            raise not_found("NOT_FOUND", f"The web app has no file {request.path[:100]!r}")
        return await send_asset(context, *found)
