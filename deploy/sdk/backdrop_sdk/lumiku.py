"""Seed 001's Python SDK (Background Remover Pro) against Backdrop's /lumiku/v1:

    client = BackgroundRemoverClient(api_key="...", base_url="http://127.0.0.1:8080/lumiku/v1")
    result = client.remove_single(image=f, tier="professional"); result.processed_url
    batch = client.start_batch(images=["a.jpg", "b.jpg"], tier="standard", on_progress=print)
    while not batch.is_complete(): batch.get_progress().percentage
    batch.download_zip("output.zip")

`AsyncBackgroundRemoverClient` is the same, awaited. Bodies are the document's
{success, data}; errors its {success: false, error: {code, message}} as BackdropError.
"""

from __future__ import annotations

import asyncio
import dataclasses
import pathlib
import time
import urllib.parse
from typing import Any, Callable, Dict, List, Optional, Sequence

import httpx

from ._http import (
    AsyncTransport, Call, ImageInput, Json, RetryPolicy, Transport, auth_headers, default_url, new_idempotency_key,
    read_image,
)
from .client import JobFailedError, JobTimeout, PathLike

DONE = ("completed", "failed")


@dataclasses.dataclass
class RemovalResult:
    """Endpoint 1's data; `processed_url` and `original_url` are absolute, signed, expiring links."""

    job_id: str
    processed_url: str
    original_url: str
    credits_used: int
    pricing_type: str
    processing_time_ms: int
    tier: str
    metadata: Dict[str, Any]
    status: str
    raw: Json


@dataclasses.dataclass
class Progress:
    total_images: int
    processed_images: int
    failed_images: int
    percentage: int
    status: str


@dataclasses.dataclass
class BatchStatus:
    """Endpoint 3's data: progress, and once done the ZIP's link and size."""

    batch_id: str
    status: str
    progress: Progress
    zip_url: Optional[str]
    zip_size_bytes: int
    raw: Json


OnProgress = Callable[[Progress], None]


def _base(base_url: Optional[str]) -> str:
    """The document's base URL (…/lumiku/v1); a bare origin gets /lumiku/v1 added."""
    url = (base_url or default_url()).rstrip("/")
    return url + "/lumiku/v1" if urllib.parse.urlsplit(url).path in ("", "/") else url


class _Requests:
    def __init__(self, api_key: Optional[str], base_url: Optional[str], token: Optional[str]):
        self.base_url = _base(base_url)
        self.credential = token or api_key

    def url(self, path: str) -> str:
        """Endpoint paths are relative to base_url; the server's links ("/v1/files/...") to its origin."""
        return urllib.parse.urljoin(self.base_url + "/", path)

    def call(self, method: str, path: str, create: bool = False, key: Optional[str] = None, **kwargs: Any) -> Call:
        headers = auth_headers(self.credential)
        if create:
            headers["Idempotency-Key"] = key or new_idempotency_key()
        return Call(method, self.url(path), headers=headers, create=create, **kwargs)

    def _remove(self, image: ImageInput, tier: str, key: Optional[str]) -> Call:
        return self.call("POST", "background-remover/remove", True, key, files=[("image", read_image(image))], data={"tier": tier})

    def _start(self, images: Sequence[ImageInput], tier: str, key: Optional[str]) -> Call:
        files = [("images", read_image(image)) for image in images]
        return self.call("POST", "background-remover/batch", True, key, files=files, data={"tier": tier})

    def _quote(self, value: str) -> str:
        return urllib.parse.quote(value, safe="")

    def _result(self, data: Json, status: str) -> RemovalResult:
        return RemovalResult(
            job_id=data.get("jobId") or data.get("id", ""), processed_url=self.url(data["processedUrl"]) if data.get("processedUrl") else "",
            original_url=self.url(data["originalUrl"]) if data.get("originalUrl") else "", credits_used=int(data.get("creditsUsed", 0)),
            pricing_type=data.get("pricingType", ""), processing_time_ms=int(data.get("processingTimeMs", 0)), tier=data.get("tier", ""),
            metadata=dict(data.get("metadata") or {}), status=status, raw=data,
        )

    def _status(self, data: Json) -> BatchStatus:
        p = data.get("progress") or {}
        progress = Progress(
            int(p.get("totalImages", 0)), int(p.get("processedImages", 0)), int(p.get("failedImages", 0)), int(p.get("percentage", 0)),
            data.get("status", ""),
        )
        zip_url = data.get("zipUrl")
        return BatchStatus(data["batchId"], data.get("status", ""), progress, self.url(zip_url) if zip_url else None, int(data.get("zipSizeBytes") or 0), data)


class _BatchBase:
    def __init__(self, data: Json, on_progress: Optional[OnProgress], poll_interval: float):
        self.raw = data
        self.id: str = data["batchId"]
        self.batch_id = self.id
        self.total_images = int(data.get("totalImages", 0))
        self.tier: str = data.get("tier", "")
        self.pricing: Dict[str, Any] = dict(data.get("pricing") or {})
        self.status: str = data.get("status", "pending")
        self.on_progress = on_progress
        self.poll_interval = poll_interval
        self.last: Optional[BatchStatus] = None
        self._reported: Optional[tuple] = None

    def _seen(self, status: BatchStatus) -> BatchStatus:
        """Keeps the newest status; calls on_progress when the progress moved."""
        self.last, self.status = status, status.status
        mark = (status.progress.processed_images, status.progress.failed_images, status.status)
        if self.on_progress and mark != self._reported:
            self._reported = mark
            self.on_progress(status.progress)
        return status

    @property
    def zip_path(self) -> str:
        return f"background-remover/batch/{urllib.parse.quote(self.id, safe='')}/download"

    def get_download_url(self) -> Optional[str]:
        """The ZIP's URL once the batch has finished (from the last status read)."""
        return self.last.zip_url if self.last else None


class Batch(_BatchBase):
    """A started batch: poll it with get_progress()/is_complete(), or wait_for_completion()."""

    def __init__(self, client: "BackgroundRemoverClient", data: Json, on_progress: Optional[OnProgress], poll_interval: float):
        super().__init__(data, on_progress, poll_interval)
        self.client = client

    def get_status(self) -> BatchStatus:
        return self._seen(self.client.get_batch(self.id))

    def get_progress(self) -> Progress:
        return self.get_status().progress

    def is_complete(self) -> bool:
        """True once every image has finished (done or failed)."""
        return self.get_status().status in DONE

    def wait_for_completion(self, timeout: float = 1800.0) -> BatchStatus:
        deadline = time.monotonic() + timeout
        while not self.is_complete():
            if time.monotonic() >= deadline:
                raise JobTimeout(0, "TIMEOUT", f"Batch {self.id} is still running after {timeout:.0f} s", {"id": self.id})
            time.sleep(self.poll_interval)
        assert self.last is not None
        return self.last

    def download_zip(self, path: PathLike) -> pathlib.Path:
        """Writes the results' ZIP (removed-<name>.png each) to `path`, waiting for the batch first."""
        self.wait_for_completion()
        return self.client.transport.save(self.client.call("GET", self.zip_path), path)


class BackgroundRemoverClient(_Requests):
    """Seed 001's client. `api_key`: an API key (bdp_...) or a login token; `base_url`:
    the document's base URL, default $BACKDROP_URL/lumiku/v1."""

    def __init__(
        self, api_key: Optional[str] = None, base_url: Optional[str] = None, *, token: Optional[str] = None,
        timeout: float = 120.0, retry: RetryPolicy = RetryPolicy(), poll_interval: float = 1.0, http: Optional[httpx.Client] = None,
    ):
        super().__init__(api_key, base_url, token)
        self.transport = Transport(timeout, retry, http)
        self.poll_interval = poll_interval

    def __enter__(self) -> "BackgroundRemoverClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.transport.close()

    def _data(self, call: Call) -> Any:
        return self.transport.send(call).json()["data"]

    def login(self, email: str, password: str) -> str:
        """The document's login flow; later calls send the token."""
        self.credential = self.transport.send(self.call("POST", "auth/login", json={"email": email, "password": password})).json()["token"]
        return self.credential

    def remove_single(self, image: ImageInput, tier: str = "standard", *, idempotency_key: Optional[str] = None, timeout: float = 600.0) -> RemovalResult:
        """One image (a path, bytes or an open file), cut out; a job the server did not finish
        within its wait (202) is waited for here."""
        response = self.transport.send(self._remove(image, tier, idempotency_key))
        data = response.json()["data"]
        if response.status_code != 202:
            return self._result(data, "completed")
        deadline = time.monotonic() + timeout
        while True:
            job = self.get_job(data["jobId"])
            if job["status"] in DONE:
                return _finished({**data, **job}, self)
            if time.monotonic() >= deadline:
                raise JobTimeout(0, "TIMEOUT", f"Job {data['jobId']} is still running after {timeout:.0f} s", {"id": data["jobId"]})
            time.sleep(self.poll_interval)

    def start_batch(
        self, images: Sequence[ImageInput], tier: str = "standard", on_progress: Optional[OnProgress] = None, *,
        onProgress: Optional[OnProgress] = None, idempotency_key: Optional[str] = None,
    ) -> Batch:
        """2-500 images as one batch at the volume price; `on_progress` (or the JS SDK's
        `onProgress`) gets a Progress each time the batch moves."""
        return Batch(self, self._data(self._start(images, tier, idempotency_key)), on_progress or onProgress, self.poll_interval)

    def get_batch(self, batch_id: str) -> BatchStatus:
        return self._status(self._data(self.call("GET", f"background-remover/batch/{self._quote(batch_id)}")))

    def get_job(self, job_id: str) -> Json:
        return self._data(self.call("GET", f"background-remover/jobs/{self._quote(job_id)}"))

    def list_jobs(self, **query: Any) -> Json:
        """{jobs, pagination}: page, limit, status, tier, startDate, endDate, sortBy, sortOrder."""
        return self._data(self.call("GET", "background-remover/jobs", params={k: v for k, v in query.items() if v is not None}))

    def get_subscription(self) -> Json:
        return self._data(self.call("GET", "background-remover/subscription"))

    def calculate_price(self, image_count: int, tier: str) -> Json:
        return self._data(self.call("POST", "background-remover/pricing/calculate", json={"imageCount": image_count, "tier": tier}))


class AsyncBatch(_BatchBase):
    def __init__(self, client: "AsyncBackgroundRemoverClient", data: Json, on_progress: Optional[OnProgress], poll_interval: float):
        super().__init__(data, on_progress, poll_interval)
        self.client = client

    async def get_status(self) -> BatchStatus:
        return self._seen(await self.client.get_batch(self.id))

    async def get_progress(self) -> Progress:
        return (await self.get_status()).progress

    async def is_complete(self) -> bool:
        return (await self.get_status()).status in DONE

    async def wait_for_completion(self, timeout: float = 1800.0) -> BatchStatus:
        deadline = time.monotonic() + timeout
        while not await self.is_complete():
            if time.monotonic() >= deadline:
                raise JobTimeout(0, "TIMEOUT", f"Batch {self.id} is still running after {timeout:.0f} s", {"id": self.id})
            await asyncio.sleep(self.poll_interval)
        assert self.last is not None
        return self.last

    async def download_zip(self, path: PathLike) -> pathlib.Path:
        await self.wait_for_completion()
        return await self.client.transport.save(self.client.call("GET", self.zip_path), path)


class AsyncBackgroundRemoverClient(_Requests):
    """`BackgroundRemoverClient`, awaited (httpx.AsyncClient)."""

    def __init__(
        self, api_key: Optional[str] = None, base_url: Optional[str] = None, *, token: Optional[str] = None,
        timeout: float = 120.0, retry: RetryPolicy = RetryPolicy(), poll_interval: float = 1.0, http: Optional[httpx.AsyncClient] = None,
    ):
        super().__init__(api_key, base_url, token)
        self.transport = AsyncTransport(timeout, retry, http)
        self.poll_interval = poll_interval

    async def __aenter__(self) -> "AsyncBackgroundRemoverClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self.transport.close()

    async def _data(self, call: Call) -> Any:
        return (await self.transport.send(call)).json()["data"]

    async def login(self, email: str, password: str) -> str:
        self.credential = (await self.transport.send(self.call("POST", "auth/login", json={"email": email, "password": password}))).json()["token"]
        return self.credential

    async def remove_single(self, image: ImageInput, tier: str = "standard", *, idempotency_key: Optional[str] = None, timeout: float = 600.0) -> RemovalResult:
        response = await self.transport.send(self._remove(image, tier, idempotency_key))
        data = response.json()["data"]
        if response.status_code != 202:
            return self._result(data, "completed")
        deadline = time.monotonic() + timeout
        while True:
            job = await self.get_job(data["jobId"])
            if job["status"] in DONE:
                return _finished({**data, **job}, self)
            if time.monotonic() >= deadline:
                raise JobTimeout(0, "TIMEOUT", f"Job {data['jobId']} is still running after {timeout:.0f} s", {"id": data["jobId"]})
            await asyncio.sleep(self.poll_interval)

    async def start_batch(
        self, images: Sequence[ImageInput], tier: str = "standard", on_progress: Optional[OnProgress] = None, *,
        onProgress: Optional[OnProgress] = None, idempotency_key: Optional[str] = None,
    ) -> AsyncBatch:
        return AsyncBatch(self, await self._data(self._start(images, tier, idempotency_key)), on_progress or onProgress, self.poll_interval)

    async def get_batch(self, batch_id: str) -> BatchStatus:
        return self._status(await self._data(self.call("GET", f"background-remover/batch/{self._quote(batch_id)}")))

    async def get_job(self, job_id: str) -> Json:
        return await self._data(self.call("GET", f"background-remover/jobs/{self._quote(job_id)}"))

    async def list_jobs(self, **query: Any) -> Json:
        return await self._data(self.call("GET", "background-remover/jobs", params={k: v for k, v in query.items() if v is not None}))

    async def get_subscription(self) -> Json:
        return await self._data(self.call("GET", "background-remover/subscription"))

    async def calculate_price(self, image_count: int, tier: str) -> Json:
        return await self._data(self.call("POST", "background-remover/pricing/calculate", json={"imageCount": image_count, "tier": tier}))


def _finished(data: Json, requests: _Requests) -> RemovalResult:
    """A job that finished after the 202: its details, or its failure as an error."""
    if data["status"] == "failed":
        code = data.get("error") or "JOB_FAILED"
        raise JobFailedError(0, code, f"Job {data.get('jobId')} failed: {code}", {"id": data.get("jobId", "")})
    return requests._result(data, "completed")


__all__: List[str] = [
    "AsyncBackgroundRemoverClient", "AsyncBatch", "BackgroundRemoverClient", "Batch", "BatchStatus", "Progress", "RemovalResult",
]
