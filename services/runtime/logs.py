"""Structured JSON logs with the request id of the work being done.

The request id is made by Envoy (x-request-id), crosses gRPC as metadata and
NATS as a message header, and is kept in a context variable so every log line
of that work carries it.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
import time

REQUEST_ID_KEY = "x-request-id"
request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")

# Never log these, whatever a caller passes in `extra`.
_SECRET_WORDS = ("password", "secret", "token", "authorization", "api_key", "signature")


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str):
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        rid = request_id.get()
        if rid:
            entry["request_id"] = rid
        for key, value in getattr(record, "fields", {}).items():
            entry[key] = "[redacted]" if any(w in key.lower() for w in _SECRET_WORDS) else value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def setup(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("asyncio", "grpc", "urllib3", "botocore", "nats"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def fields(**kwargs) -> dict:
    """`log.info("msg", extra=fields(job_id=...))` adds structured fields."""
    return {"fields": kwargs}
