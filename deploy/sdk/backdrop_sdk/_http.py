"""What the sync and async clients share: the credential's header, the retry policy
(exponential backoff with jitter on 429/503, honouring Retry-After, bounded), the
Idempotency-Key of a create, and reading image inputs."""

from __future__ import annotations

import asyncio
import dataclasses
import email.utils
import json
import os
import pathlib
import random
import time
import uuid
from typing import IO, Any, Dict, Iterable, Iterator, List, Mapping, Optional, Tuple, Union

import httpx

from . import errors

DEFAULT_URL = "http://127.0.0.1:8080"
USER_AGENT = "backdrop-sdk/0.1.0"
# A path, raw bytes, or an open binary file.
ImageInput = Union[str, "os.PathLike[str]", bytes, IO[bytes]]
Json = Dict[str, Any]


def default_url() -> str:
    return os.environ.get("BACKDROP_URL", "").strip().rstrip("/") or DEFAULT_URL


def auth_headers(credential: Optional[str]) -> Dict[str, str]:
    """A JWT (from login) goes as a Bearer token; an API key (bdp_..., or an install's
    static key) as X-API-Key. Both work on every dialect's paths."""
    if not credential:
        return {}
    if credential.startswith("ey") and credential.count(".") == 2:
        return {"Authorization": f"Bearer {credential}"}
    return {"X-API-Key": credential}


def new_idempotency_key() -> str:
    return f"sdk-{uuid.uuid4()}"


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """Which answers are retried and how long to wait: attempt n (from 1) waits a random
    time in [0, min(max_delay, base_delay * 2**(n-1))] ("full jitter"), or exactly what
    Retry-After says when the server sends it. A Retry-After above `max_retry_after`
    (a day's quota, say) is not waited for: the error is raised at once."""

    max_attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 20.0
    max_retry_after: float = 60.0
    statuses: Tuple[int, ...] = (429, 503)

    def delay(self, attempt: int, status: int, retry_after: Optional[float]) -> Optional[float]:
        """Seconds to wait before the next attempt, or None to give up."""
        if attempt >= self.max_attempts or (status and status not in self.statuses):
            return None
        if retry_after is not None:
            return retry_after if retry_after <= self.max_retry_after else None
        return random.uniform(0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))


NO_RETRY = RetryPolicy(max_attempts=1)


def retry_after(headers: Mapping[str, str], now: Optional[float] = None) -> Optional[float]:
    """Retry-After as seconds: a number, or an HTTP date."""
    value = headers.get("retry-after", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when - (now or time.time()))


@dataclasses.dataclass
class Call:
    """One HTTP request as the clients send it (and send again when retrying)."""

    method: str
    url: str
    params: Optional[Mapping[str, Any]] = None
    json: Any = None
    data: Optional[Mapping[str, str]] = None
    files: Optional[List[Tuple[str, Tuple[str, bytes, str]]]] = None
    headers: Dict[str, str] = dataclasses.field(default_factory=dict)
    # A create (POST that makes a job or batch): sent with an Idempotency-Key, so a retry
    # after a lost answer is the same job, charged once; network errors are retried too.
    create: bool = False

    def request(self, client: Union[httpx.Client, httpx.AsyncClient]) -> httpx.Request:
        return client.build_request(
            self.method, self.url, params=self.params, json=self.json, data=self.data, files=self.files, headers=self.headers
        )

    @property
    def safe_to_resend(self) -> bool:
        return self.create or self.method in ("GET", "HEAD", "DELETE")


def check(response: httpx.Response) -> httpx.Response:
    """The response if it succeeded, else its typed error (its body already read)."""
    if response.status_code < 400:
        return response
    raise errors.from_response(response.status_code, response.content, response.headers, retry_after(response.headers))


def network_error(error: Exception) -> errors.NetworkError:
    kind = "TIMEOUT" if isinstance(error, httpx.TimeoutException) else "NETWORK_ERROR"
    return errors.NetworkError(0, kind, f"{type(error).__name__}: {error}" if str(error) else type(error).__name__)


MIME = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp"}


def read_image(image: ImageInput, name: Optional[str] = None) -> Tuple[str, bytes, str]:
    """(filename, bytes, content type) of a path, bytes or binary file; read once, so a
    retry sends the same bytes."""
    if isinstance(image, (bytes, bytearray, memoryview)):
        filename, data = name or "image", bytes(image)
    elif isinstance(image, (str, os.PathLike)):
        path = pathlib.Path(image)
        filename, data = name or path.name, path.read_bytes()
    elif hasattr(image, "read"):
        data = image.read()
        if not isinstance(data, bytes):
            raise TypeError("image must be opened in binary mode ('rb')")
        filename = name or pathlib.Path(str(getattr(image, "name", "image"))).name
    else:
        raise TypeError(f"image must be a path, bytes or a binary file, not {type(image).__name__}")
    content_type = MIME.get(pathlib.PurePath(filename).suffix.lower(), "application/octet-stream")
    return filename, data, content_type


def form(options: Mapping[str, Any]) -> Dict[str, str]:
    """Multipart text fields: booleans as true/false, None left out."""
    return {k: (str(v).lower() if isinstance(v, bool) else str(v)) for k, v in options.items() if v is not None}


class SSE:
    """Server-Sent Events, line by line: `feed` returns the JSON of an event's `data:`
    lines at the blank line that ends it."""

    def __init__(self) -> None:
        self.buffer: List[str] = []

    def feed(self, line: str) -> Optional[Json]:
        if line.startswith("data:"):
            self.buffer.append(line[5:].strip())
        elif not line.strip() and self.buffer:
            return self.flush()
        return None

    def flush(self) -> Optional[Json]:
        data, self.buffer = "\n".join(self.buffer), []
        return json.loads(data) if data else None


def sse(lines: Iterable[str]) -> Iterator[Json]:
    """The JSON objects of a Server-Sent Events stream, one per event."""
    parser = SSE()
    for line in lines:
        event = parser.feed(line)
        if event is not None:
            yield event
    event = parser.flush()
    if event is not None:
        yield event


class Transport:
    """Sends Calls with httpx.Client, retrying as the policy says."""

    def __init__(self, timeout: float, retry: RetryPolicy, http: Optional[httpx.Client] = None):
        self.retry = retry
        self.http = http or httpx.Client(timeout=timeout, headers={"User-Agent": USER_AGENT}, follow_redirects=False)

    def send(self, call: Call, stream: bool = False) -> httpx.Response:
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self.http.send(call.request(self.http), stream=stream)
            except httpx.TransportError as error:
                wait = self.retry.delay(attempt, 0, None) if call.safe_to_resend else None
                if wait is None:
                    raise network_error(error) from None
                time.sleep(wait)
                continue
            wait = self.retry.delay(attempt, response.status_code, retry_after(response.headers)) if response.status_code >= 400 else None
            if wait is None:
                if stream and response.status_code >= 400:
                    response.read()
                return check(response)
            response.close()
            time.sleep(wait)

    def save(self, call: Call, path: "os.PathLike[str] | str") -> pathlib.Path:
        """Streams the answer's body to `path` (via a .part file): a ZIP of 500 results never
        sits in memory."""
        response = self.send(call, stream=True)
        target, partial = _targets(path)
        try:
            with partial.open("wb") as file:
                for chunk in response.iter_bytes(1 << 20):
                    file.write(chunk)
        finally:
            response.close()
        partial.replace(target)
        return target

    def close(self) -> None:
        self.http.close()


class AsyncTransport:
    """Sends Calls with httpx.AsyncClient, retrying as the policy says."""

    def __init__(self, timeout: float, retry: RetryPolicy, http: Optional[httpx.AsyncClient] = None):
        self.retry = retry
        self.http = http or httpx.AsyncClient(timeout=timeout, headers={"User-Agent": USER_AGENT}, follow_redirects=False)

    async def send(self, call: Call, stream: bool = False) -> httpx.Response:
        attempt = 0
        while True:
            attempt += 1
            try:
                response = await self.http.send(call.request(self.http), stream=stream)
            except httpx.TransportError as error:
                wait = self.retry.delay(attempt, 0, None) if call.safe_to_resend else None
                if wait is None:
                    raise network_error(error) from None
                await asyncio.sleep(wait)
                continue
            wait = self.retry.delay(attempt, response.status_code, retry_after(response.headers)) if response.status_code >= 400 else None
            if wait is None:
                if response.status_code >= 400:
                    await response.aread()
                return check(response)
            await response.aclose()
            await asyncio.sleep(wait)

    async def save(self, call: Call, path: "os.PathLike[str] | str") -> pathlib.Path:
        response = await self.send(call, stream=True)
        target, partial = _targets(path)
        try:
            with partial.open("wb") as file:
                async for chunk in response.aiter_bytes(1 << 20):
                    file.write(chunk)
        finally:
            await response.aclose()
        partial.replace(target)
        return target

    async def close(self) -> None:
        await self.http.aclose()


def _targets(path: "os.PathLike[str] | str") -> Tuple[pathlib.Path, pathlib.Path]:
    target = pathlib.Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    return target, target.with_name(target.name + ".part")
