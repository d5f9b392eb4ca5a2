"""Backdrop's Python SDK: `Client`/`AsyncClient` for Backdrop's own API (/v1), and
seed 001's `BackgroundRemoverClient` (/lumiku/v1), sync and async. Every failed call
raises a `BackdropError` subclass with `status`, `code` and `message`."""

from ._http import DEFAULT_URL, NO_RETRY, RetryPolicy
from .client import AsyncClient, Client, JobFailedError, JobTimeout
from .errors import (
    AuthenticationError, BackdropError, InsufficientCreditsError, InvalidRequestError, NetworkError, NotFoundError,
    RateLimitError, ServerError,
)
from .lumiku import (
    AsyncBackgroundRemoverClient, AsyncBatch, BackgroundRemoverClient, Batch, BatchStatus, Progress, RemovalResult,
)

__version__ = "0.1.0"
__all__ = [
    "DEFAULT_URL", "NO_RETRY", "AsyncBackgroundRemoverClient", "AsyncBatch", "AsyncClient", "AuthenticationError",
    "BackdropError", "BackgroundRemoverClient", "Batch", "BatchStatus", "Client", "InsufficientCreditsError",
    "InvalidRequestError", "JobFailedError", "JobTimeout", "NetworkError", "NotFoundError", "Progress", "RateLimitError",
    "RemovalResult", "RetryPolicy", "ServerError",
]
