"""A tiny JSON shape checker for the contract tests: a schema written from a
seed document, checked key by key so a failure names the exact path.

A schema is a Python value describing the JSON the document shows:

- a type (``str``, ``int``, ``float``, ``bool``, ``dict``, ``list``) or a tuple
  of types (``(str, type(None))`` for a nullable field);
- a dict ``{"key": schema, ...}``: the body must be an object holding every
  key (extra keys are allowed: the documents list what must be there);
- a one-element list ``[schema]``: an array whose every item matches it;
- ``Optional(schema)`` inside a dict: the key may be absent (or null), but if
  present it matches;
- ``OneOf("a", "b")``: a string among the documented values;
- ``UUID``, ``URI``, ``DATETIME``, ``EMAIL``: a string in that OpenAPI format.

``float`` accepts JSON integers too (``1`` is a valid number), ``int`` refuses
``bool`` (Python's ``True`` is an int) and refuses ``1.5``.
"""

from __future__ import annotations

import datetime
import urllib.parse
import uuid
from collections.abc import Callable
from typing import Any


class Optional:
    """A dict key that the document shows may be absent or null."""

    def __init__(self, schema: Any):
        self.schema = schema


class OneOf:
    """A string field whose value is one of the documented values."""

    def __init__(self, *values: Any):
        self.values = values


class Format:
    """A string in a documented format (OpenAPI's ``format:``), checked by ``test``."""

    def __init__(self, name: str, test: Callable[[str], bool]):
        self.name, self.test = name, test


def _parses(parse: Callable[[str], Any]) -> Callable[[str], bool]:
    def test(text: str) -> bool:
        try:
            parse(text)
        except ValueError:
            return False
        return True

    return test


def _absolute_uri(text: str) -> bool:
    parts = urllib.parse.urlsplit(text)
    return bool(parts.scheme and (parts.netloc or parts.path))


UUID = Format("uuid", _parses(uuid.UUID))
URI = Format("uri", _absolute_uri)
DATETIME = Format("date-time", _parses(lambda text: datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))))
EMAIL = Format("email", lambda text: text.count("@") == 1 and "." in text.rpartition("@")[2])


def _name(schema: Any) -> str:
    if isinstance(schema, tuple):
        return " | ".join(_name(item) for item in schema)
    return getattr(schema, "__name__", repr(schema))


def _type_ok(value: Any, kind: type) -> bool:
    if kind is type(None):
        return value is None
    if kind is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def shape_errors(value: Any, schema: Any, path: str = "$") -> list[str]:
    """Every place where ``value`` differs from ``schema``, as ``path: why``."""
    if isinstance(schema, Optional):
        return [] if value is None else shape_errors(value, schema.schema, path)
    if isinstance(schema, OneOf):
        return [] if value in schema.values else [f"{path}: {value!r} not one of {schema.values!r}"]
    if isinstance(schema, Format):
        if isinstance(value, str) and schema.test(value):
            return []
        return [f"{path}: expected a {schema.name} string, got {value!r:.80}"]
    if isinstance(schema, dict):
        if not isinstance(value, dict):
            return [f"{path}: expected object, got {type(value).__name__} {value!r:.80}"]
        errors = []
        for key, sub in schema.items():
            if key not in value:
                if not isinstance(sub, Optional):
                    errors.append(f"{path}.{key}: missing (keys: {sorted(value)})")
                continue
            errors.extend(shape_errors(value[key], sub, f"{path}.{key}"))
        return errors
    if isinstance(schema, list):
        if not isinstance(value, list):
            return [f"{path}: expected array, got {type(value).__name__} {value!r:.80}"]
        errors = []
        for index, item in enumerate(value):
            errors.extend(shape_errors(item, schema[0], f"{path}[{index}]"))
        return errors
    kinds = schema if isinstance(schema, tuple) else (schema,)
    if any(_type_ok(value, kind) for kind in kinds):
        return []
    return [f"{path}: expected {_name(schema)}, got {type(value).__name__} {value!r:.80}"]


def assert_shape(value: Any, schema: Any) -> None:
    """Fail with every mismatch at once, each with its JSON path."""
    errors = shape_errors(value, schema)
    assert not errors, "response does not match the documented shape:\n  " + "\n  ".join(errors)


def assert_envelope(body: Any, keys: dict) -> None:
    """An error body has exactly the documented envelope keys (plus request_id,
    which Backdrop adds to every /v1 error), each of the documented type."""
    assert_shape(body, keys)
    extra = set(body) - set(keys) - {"request_id"}
    assert not extra, f"undocumented keys in the error envelope: {sorted(extra)} in {body!r}"
