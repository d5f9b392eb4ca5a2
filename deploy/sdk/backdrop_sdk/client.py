"""Backdrop's own API (/v1): sync `Client` and async `AsyncClient`, one method per
operation. Each request is built once (`_Requests`); the two clients only send it
and, for long work, wait for it (SSE progress or polling)."""

from __future__ import annotations

import asyncio
import json
import pathlib
import time
import urllib.parse
from typing import Any, AsyncIterator, Callable, Iterator, List, Mapping, Optional, Sequence, Union

import httpx

from . import errors
from ._http import (
    SSE, AsyncTransport, Call, ImageInput, Json, RetryPolicy, Transport, auth_headers, default_url, form,
    new_idempotency_key, read_image, sse,
)

ProgressCallback = Callable[[Json], None]
RUNNING = ("pending", "processing", "queued")
PathLike = Union[str, pathlib.Path]


class JobTimeout(errors.BackdropError):
    """A job or batch still running when the wait ran out; `details["id"]` names it."""


class JobFailedError(errors.BackdropError):
    """A job that ended failed; `code` is its UPPER_SNAKE error."""


def _failed(kind: str, body: Json) -> JobFailedError:
    code = str(body.get("error") or "JOB_FAILED")
    return JobFailedError(0, code, str(body.get("message") or f"The {kind} {body.get('id', '')} failed: {code}"), {"id": body.get("id", "")})


class _Requests:
    """Every request of the /v1 API as a Call (method, URL, body, headers)."""

    def __init__(self, base_url: Optional[str], api_key: Optional[str]):
        self.base_url = (base_url or default_url()).rstrip("/")
        self.credential = api_key

    def url(self, path: str) -> str:
        """An absolute URL: paths and the server's relative links resolve against base_url."""
        return urllib.parse.urljoin(self.base_url + "/", path)

    def call(self, method: str, path: str, *, create: bool = False, idempotency_key: Optional[str] = None, **kwargs: Any) -> Call:
        headers = auth_headers(self.credential)
        if create:
            headers["Idempotency-Key"] = idempotency_key or new_idempotency_key()
        return Call(method, self.url(path), headers=headers, create=create, **kwargs)

    def _login(self, email: str, password: str, two_factor_code: Optional[str]) -> Call:
        body = {"email": email, "password": password, **({"twoFactorCode": two_factor_code} if two_factor_code else {})}
        return Call("POST", self.url("/v1/auth/login"), json=body)

    def _remove(self, image: ImageInput, options: Mapping[str, Any], key: Optional[str]) -> Call:
        return self.call("POST", "/v1/process/remove-background", files=[("file", read_image(image))], data=form(options), create=True, idempotency_key=key)

    def _batch(self, images: Sequence[ImageInput], options: Mapping[str, Any], key: Optional[str]) -> Call:
        files = [("files", read_image(image)) for image in images]
        return self.call("POST", "/v1/process/batch", files=files, data={"options": json.dumps(dict(options))}, create=True, idempotency_key=key)

    def _upload(self, image: ImageInput) -> Call:
        return self.call("POST", "/v1/images", files=[("file", read_image(image))])

    def _upscale(self, image_id: str, scale: int, model: Optional[str], quality: Optional[str], key: Optional[str]) -> Call:
        body = {"imageId": image_id, "scale": scale, **({"model": model} if model else {}), **({"quality": quality} if quality else {})}
        return self.call("POST", "/v1/images/enhance/upscale", json=body, create=True, idempotency_key=key)

    def _generate(self, prompt: str, params: Mapping[str, Any], key: Optional[str]) -> Call:
        body = {"prompt": prompt, **{k: v for k, v in params.items() if v is not None}}
        return self.call("POST", "/v1/images/generate", json=body, create=True, idempotency_key=key)

    def _api_key(self, name: str) -> Call:
        return self.call("POST", "/v1/api-keys", json={"name": name})


class Client(_Requests):
    """Synchronous client of Backdrop's /v1 API.

    `api_key` is an API key (bdp_...) or a token from `login`; `base_url` defaults to
    $BACKDROP_URL, else http://127.0.0.1:8080. Failed calls raise BackdropError
    subclasses; 429 and 503 are retried per `retry`; creates carry an Idempotency-Key.
    """

    def __init__(
        self, api_key: Optional[str] = None, base_url: Optional[str] = None, *, timeout: float = 120.0,
        retry: RetryPolicy = RetryPolicy(), poll_interval: float = 1.0, http: Optional[httpx.Client] = None,
    ):
        super().__init__(base_url, api_key)
        self.transport = Transport(timeout, retry, http)
        self.poll_interval = poll_interval

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.transport.close()

    def _json(self, call: Call) -> Json:
        return self.transport.send(call).json()

    # --- accounts ----------------------------------------------------------------------
    def login(self, email: str, password: str, two_factor_code: Optional[str] = None) -> Json:
        """Logs in; later calls use the token. Returns the AuthResponse (token, refresh_token, user)."""
        auth = self._json(self._login(email, password, two_factor_code))
        self.credential = auth["token"]
        return auth

    def me(self) -> Json:
        return self._json(self.call("GET", "/v1/users/me"))

    def create_api_key(self, name: str) -> Json:
        """{api_key: {id, name, prefix, created_at}, key}: the key is shown this once."""
        return self._json(self._api_key(name))

    def list_api_keys(self) -> List[Json]:
        return list(self._json(self.call("GET", "/v1/api-keys")).get("api_keys", []))

    def delete_api_key(self, key_id: str) -> Json:
        return self._json(self.call("DELETE", f"/v1/api-keys/{urllib.parse.quote(key_id, safe='')}"))

    def credits(self, page: int = 1, limit: int = 20) -> Json:
        """{balance, plan, monthly_grant, history, period_total, reset_date, ...}."""
        return self._json(self.call("GET", "/v1/credits", params={"page": page, "limit": limit}))

    # --- background removal and jobs --------------------------------------------------------
    def remove_background(self, image: ImageInput, *, idempotency_key: Optional[str] = None, wait: bool = True, **options: Any) -> Json:
        """One image's cut-out: seed 000's ProcessingResult ({id, image, mask, metadata,
        credits_used, tier}). Options are the endpoint's fields: tier, model, quality,
        bg_color, background_id, crop, size, output_format, channels, blur_strength...
        A job still running after the server's wait (202) is waited for unless wait=False."""
        result = self._json(self._remove(image, options, idempotency_key))
        if wait and result.get("status") in RUNNING:
            job = self.wait_job(result["id"])
            result = (job.get("results") or [result])[0]
        return result

    def submit_batch(self, images: Sequence[ImageInput], *, idempotency_key: Optional[str] = None, **options: Any) -> Json:
        """Up to 100 images as one batch (seed 000's BatchJob, 202); options as for one image."""
        return self._json(self._batch(images, options, idempotency_key))

    def get_job(self, job_id: str) -> Json:
        """A job or batch as seed 000's BatchJob (status, progress, results, files)."""
        return self._json(self.call("GET", f"/v1/process/jobs/{urllib.parse.quote(job_id, safe='')}"))

    def list_jobs(self, **filters: Any) -> Json:
        """History: page, limit, status, tier, startDate, endDate, sortBy, sortOrder."""
        return self._json(self.call("GET", "/v1/process/jobs", params={k: v for k, v in filters.items() if v is not None}))

    def watch_job(self, job_id: str) -> Iterator[Json]:
        """The job's or batch's states as they change (Server-Sent Events), until it ends."""
        response = self.transport.send(self.call("GET", f"/v1/process/jobs/{urllib.parse.quote(job_id, safe='')}/events"), stream=True)
        try:
            yield from sse(response.iter_lines())
        finally:
            response.close()

    def wait_job(self, job_id: str, on_progress: Optional[ProgressCallback] = None, timeout: float = 600.0) -> Json:
        """The job's or batch's final BatchJob; `on_progress` gets each state on the way."""
        deadline, last = time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            try:
                for last in self.watch_job(job_id):
                    if on_progress:
                        on_progress(last)
            except errors.NetworkError:
                pass  # the stream broke: read the state, then listen again
            last = self.get_job(job_id)
            if last.get("status") not in RUNNING:
                return last
            time.sleep(self.poll_interval)
        raise JobTimeout(0, "TIMEOUT", f"Job {job_id} is still running after {timeout:.0f} s", {"id": job_id})

    # --- images, upscaling, generation ----------------------------------------------------------
    def upload_image(self, image: ImageInput) -> Json:
        """Stores an image for later operations: {id: "img_...", url, width, height, format}."""
        return self._json(self._upload(image))

    def upscale(
        self, image: Optional[ImageInput] = None, *, image_id: Optional[str] = None, scale: int = 2, model: Optional[str] = None,
        quality: Optional[str] = None, wait: bool = True, timeout: float = 900.0, idempotency_key: Optional[str] = None,
    ) -> Json:
        """Upscales an image (uploaded first) or an image id; returns seed 004's enhancement
        ({id, status, originalImage, enhancedImage: {url, width, height}, settings})."""
        image_id = image_id or self.upload_image(_required(image))["id"]
        enhancement = self._json(self._upscale(image_id, scale, model, quality, idempotency_key))["enhancement"]
        deadline = time.monotonic() + timeout
        while wait and enhancement.get("status") in RUNNING:
            _before(deadline, enhancement, timeout)
            time.sleep(self.poll_interval)
            enhancement = self.get_enhancement(enhancement["id"])
        if enhancement.get("status") == "failed":
            raise _failed("upscale", enhancement)
        return enhancement

    def get_enhancement(self, enhancement_id: str) -> Json:
        return self._json(self.call("GET", f"/v1/images/enhance/{urllib.parse.quote(enhancement_id, safe='')}"))["enhancement"]

    def generate(
        self, prompt: str, *, wait: bool = True, on_progress: Optional[ProgressCallback] = None, timeout: float = 900.0,
        idempotency_key: Optional[str] = None, **params: Any,
    ) -> Json:
        """Text to image (seed 004's fields: negativePrompt, numImages, aspectRatio, quality,
        steps, guidanceScale, seed, sampler...); returns the generation with its images."""
        generation = self._json(self._generate(prompt, params, idempotency_key))["generation"]
        deadline = time.monotonic() + timeout
        while wait and generation.get("status") in RUNNING:
            if on_progress:
                on_progress(generation)
            _before(deadline, generation, timeout)
            time.sleep(self.poll_interval)
            generation = self.get_generation(generation["id"])
        if on_progress:
            on_progress(generation)
        if generation.get("status") == "failed":
            raise _failed("generation", generation)
        return generation

    def get_generation(self, generation_id: str) -> Json:
        return self._json(self.call("GET", f"/v1/images/generate/{urllib.parse.quote(generation_id, safe='')}"))["generation"]

    # --- files ----------------------------------------------------------------------------------
    def download(self, url: str) -> bytes:
        """A result link's bytes (relative links resolve against base_url)."""
        return self.transport.send(self.call("GET", url)).content

    def save(self, url: str, path: PathLike) -> pathlib.Path:
        """A result link's body streamed to `path`."""
        return self.transport.save(self.call("GET", url), path)


class AsyncClient(_Requests):
    """Asynchronous twin of `Client` (httpx.AsyncClient): the same methods, awaited."""

    def __init__(
        self, api_key: Optional[str] = None, base_url: Optional[str] = None, *, timeout: float = 120.0,
        retry: RetryPolicy = RetryPolicy(), poll_interval: float = 1.0, http: Optional[httpx.AsyncClient] = None,
    ):
        super().__init__(base_url, api_key)
        self.transport = AsyncTransport(timeout, retry, http)
        self.poll_interval = poll_interval

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self.transport.close()

    async def _json(self, call: Call) -> Json:
        return (await self.transport.send(call)).json()

    async def login(self, email: str, password: str, two_factor_code: Optional[str] = None) -> Json:
        auth = await self._json(self._login(email, password, two_factor_code))
        self.credential = auth["token"]
        return auth

    async def me(self) -> Json:
        return await self._json(self.call("GET", "/v1/users/me"))

    async def create_api_key(self, name: str) -> Json:
        return await self._json(self._api_key(name))

    async def list_api_keys(self) -> List[Json]:
        return list((await self._json(self.call("GET", "/v1/api-keys"))).get("api_keys", []))

    async def delete_api_key(self, key_id: str) -> Json:
        return await self._json(self.call("DELETE", f"/v1/api-keys/{urllib.parse.quote(key_id, safe='')}"))

    async def credits(self, page: int = 1, limit: int = 20) -> Json:
        return await self._json(self.call("GET", "/v1/credits", params={"page": page, "limit": limit}))

    async def remove_background(self, image: ImageInput, *, idempotency_key: Optional[str] = None, wait: bool = True, **options: Any) -> Json:
        result = await self._json(self._remove(image, options, idempotency_key))
        if wait and result.get("status") in RUNNING:
            job = await self.wait_job(result["id"])
            result = (job.get("results") or [result])[0]
        return result

    async def submit_batch(self, images: Sequence[ImageInput], *, idempotency_key: Optional[str] = None, **options: Any) -> Json:
        return await self._json(self._batch(images, options, idempotency_key))

    async def get_job(self, job_id: str) -> Json:
        return await self._json(self.call("GET", f"/v1/process/jobs/{urllib.parse.quote(job_id, safe='')}"))

    async def list_jobs(self, **filters: Any) -> Json:
        return await self._json(self.call("GET", "/v1/process/jobs", params={k: v for k, v in filters.items() if v is not None}))

    async def watch_job(self, job_id: str) -> AsyncIterator[Json]:
        response = await self.transport.send(self.call("GET", f"/v1/process/jobs/{urllib.parse.quote(job_id, safe='')}/events"), stream=True)
        parser = SSE()
        try:
            async for line in response.aiter_lines():
                event = parser.feed(line)
                if event is not None:
                    yield event
            event = parser.flush()
            if event is not None:
                yield event
        finally:
            await response.aclose()

    async def wait_job(self, job_id: str, on_progress: Optional[ProgressCallback] = None, timeout: float = 600.0) -> Json:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                async for event in self.watch_job(job_id):
                    if on_progress:
                        on_progress(event)
            except errors.NetworkError:
                pass
            last = await self.get_job(job_id)
            if last.get("status") not in RUNNING:
                return last
            await asyncio.sleep(self.poll_interval)
        raise JobTimeout(0, "TIMEOUT", f"Job {job_id} is still running after {timeout:.0f} s", {"id": job_id})

    async def upload_image(self, image: ImageInput) -> Json:
        return await self._json(self._upload(image))

    async def upscale(
        self, image: Optional[ImageInput] = None, *, image_id: Optional[str] = None, scale: int = 2, model: Optional[str] = None,
        quality: Optional[str] = None, wait: bool = True, timeout: float = 900.0, idempotency_key: Optional[str] = None,
    ) -> Json:
        image_id = image_id or (await self.upload_image(_required(image)))["id"]
        enhancement = (await self._json(self._upscale(image_id, scale, model, quality, idempotency_key)))["enhancement"]
        deadline = time.monotonic() + timeout
        while wait and enhancement.get("status") in RUNNING:
            _before(deadline, enhancement, timeout)
            await asyncio.sleep(self.poll_interval)
            enhancement = await self.get_enhancement(enhancement["id"])
        if enhancement.get("status") == "failed":
            raise _failed("upscale", enhancement)
        return enhancement

    async def get_enhancement(self, enhancement_id: str) -> Json:
        return (await self._json(self.call("GET", f"/v1/images/enhance/{urllib.parse.quote(enhancement_id, safe='')}")))["enhancement"]

    async def generate(
        self, prompt: str, *, wait: bool = True, on_progress: Optional[ProgressCallback] = None, timeout: float = 900.0,
        idempotency_key: Optional[str] = None, **params: Any,
    ) -> Json:
        generation = (await self._json(self._generate(prompt, params, idempotency_key)))["generation"]
        deadline = time.monotonic() + timeout
        while wait and generation.get("status") in RUNNING:
            if on_progress:
                on_progress(generation)
            _before(deadline, generation, timeout)
            await asyncio.sleep(self.poll_interval)
            generation = await self.get_generation(generation["id"])
        if on_progress:
            on_progress(generation)
        if generation.get("status") == "failed":
            raise _failed("generation", generation)
        return generation

    async def get_generation(self, generation_id: str) -> Json:
        return (await self._json(self.call("GET", f"/v1/images/generate/{urllib.parse.quote(generation_id, safe='')}")))["generation"]

    async def download(self, url: str) -> bytes:
        return (await self.transport.send(self.call("GET", url))).content

    async def save(self, url: str, path: PathLike) -> pathlib.Path:
        return await self.transport.save(self.call("GET", url), path)


def _required(image: Optional[ImageInput]) -> ImageInput:
    if image is None:
        raise TypeError("give an image (a path, bytes or a binary file) or image_id")
    return image


def _before(deadline: float, job: Json, timeout: float) -> None:
    if time.monotonic() >= deadline:
        raise JobTimeout(0, "TIMEOUT", f"{job.get('id')} is still running after {timeout:.0f} s", {"id": job.get("id", "")})
