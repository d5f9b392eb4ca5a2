"""Times as the public API writes them: RFC 3339 in UTC with a Z."""

from __future__ import annotations

import datetime as dt

from google.protobuf import timestamp_pb2


def iso(value: dt.datetime | None) -> str:
    """An aware datetime as 2025-01-15T10:00:00Z ("" for None)."""
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if value else ""


def iso_stamp(stamp: timestamp_pb2.Timestamp) -> str:
    """A protobuf Timestamp the same way ("" when unset)."""
    return iso(stamp.ToDatetime(dt.UTC)) if stamp.seconds or stamp.nanos else ""


def now_iso() -> str:
    """The current time, seconds precision (what error bodies stamp)."""
    return iso(dt.datetime.now(dt.UTC).replace(microsecond=0))
