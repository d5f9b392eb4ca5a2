"""multipart/form-data, parsed from the raw body Envoy passes through.

Envoy hands HttpBody uploads over unparsed; this splits them into fields
without copying the file parts more than once, and bounds what a client
controls: the number of parts and the size of text fields.
"""

from __future__ import annotations

import email.parser
import email.policy
from dataclasses import dataclass

from services.runtime.errors import invalid

MAX_PARTS = 512  # seed 001 batches carry up to 500 images
MAX_TEXT_FIELD_BYTES = 64 * 1024


@dataclass
class Part:
    name: str
    filename: str | None
    content_type: str
    data: bytes

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")


def _boundary(content_type: str) -> bytes:
    header = email.parser.HeaderParser(policy=email.policy.HTTP).parsestr(f"Content-Type: {content_type}\n\n")
    if header.get_content_type() != "multipart/form-data":
        raise invalid("INVALID_CONTENT_TYPE", "Send the request as multipart/form-data")
    boundary = header.get_param("boundary")
    if not boundary or len(boundary) > 200:
        raise invalid("INVALID_CONTENT_TYPE", "The multipart/form-data boundary is missing or too long")
    return str(boundary).encode("latin-1")


def _headers(block: bytes) -> tuple[str, str | None, str]:
    parsed = email.parser.BytesHeaderParser(policy=email.policy.HTTP).parsebytes(block + b"\r\n\r\n")
    if parsed.get_content_disposition() != "form-data":
        raise invalid("INVALID_MULTIPART", "Every multipart part needs Content-Disposition: form-data")
    name = parsed.get_param("name", header="content-disposition")
    if not name:
        raise invalid("INVALID_MULTIPART", "A multipart part has no field name")
    filename = parsed.get_param("filename", header="content-disposition")
    return str(name), (str(filename) if filename is not None else None), parsed.get_content_type()


def parse(body: bytes, content_type: str) -> dict[str, list[Part]]:
    """Fields by name, in order; raises ServiceError(INVALID_MULTIPART) on malformed input."""
    delimiter = b"--" + _boundary(content_type)
    view = memoryview(body)
    position = body.find(delimiter)
    if position < 0:
        raise invalid("INVALID_MULTIPART", "The multipart body has no parts")
    fields: dict[str, list[Part]] = {}
    count = 0
    while True:
        position += len(delimiter)
        if body[position : position + 2] == b"--":
            return fields
        if body[position : position + 2] != b"\r\n":
            raise invalid("INVALID_MULTIPART", "Malformed multipart boundary line")
        start = position + 2
        header_end = body.find(b"\r\n\r\n", start)
        next_delimiter = body.find(b"\r\n" + delimiter, start)
        if header_end < 0 or next_delimiter < 0 or header_end > next_delimiter:
            raise invalid("INVALID_MULTIPART", "The multipart body is truncated")
        count += 1
        if count > MAX_PARTS:
            raise invalid("INVALID_MULTIPART", f"At most {MAX_PARTS} multipart parts are accepted")
        name, filename, part_type = _headers(body[start:header_end])
        data = view[header_end + 4 : next_delimiter]
        if filename is None and len(data) > MAX_TEXT_FIELD_BYTES:
            raise invalid("INVALID_MULTIPART", f"Field {name!r} is longer than {MAX_TEXT_FIELD_BYTES} bytes")
        fields.setdefault(name, []).append(Part(name, filename, part_type, bytes(data)))
        position = next_delimiter + 2
