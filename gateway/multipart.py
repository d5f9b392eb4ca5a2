"""multipart/form-data, parsed from the raw body Envoy passes through.

Envoy hands HttpBody uploads over unparsed; this splits them into fields
without copying the file parts more than once, and bounds what a client
controls: the number of parts, the size of each part's header block and its
line count, and the size of text fields. Part headers are read by a small
linear parser (email.parser's parameter handling is super-linear: a 300 KB
Content-Disposition took 13 s), and async handlers call `parse_async`, which
runs the parse in a worker thread so a large body never stalls the event loop.
"""

from __future__ import annotations

import asyncio
import urllib.parse
from dataclasses import dataclass

from services.runtime.errors import ServiceError, invalid

MAX_PARTS = 512  # seed 001 batches carry up to 500 images
MAX_TEXT_FIELD_BYTES = 64 * 1024
MAX_HEADER_BYTES = 8 * 1024  # one part's header block
MAX_HEADER_LINES = 16
MAX_PARAMS = 16  # parameters of one header (Content-Disposition, Content-Type)


@dataclass
class Part:
    name: str
    filename: str | None
    content_type: str
    data: bytes

    @property
    def text(self) -> str:
        """The field's value; a NUL in it is the client's error (no text field needs one)."""
        if b"\x00" in self.data:
            raise invalid("INVALID_PARAMETER", f"{self.name} may not contain NUL characters", field=self.name)
        return self.data.decode("utf-8", errors="replace")


def _token_end(value: str, start: int, stops: str) -> int:
    end = start
    while end < len(value) and value[end] not in stops:
        end += 1
    return end


def split_header(value: str, what: str) -> tuple[str, dict[str, str]]:
    """`type; a=b; c="d;e"` -> ("type", {"a": "b", "c": "d;e"}), in one pass.

    Names are lower-cased; quoted strings keep backslash escapes' characters;
    RFC 5987 `name*=utf-8''...` values are decoded and win over the plain one.
    """
    end = _token_end(value, 0, ";")
    main = value[:end].strip().lower()
    params: dict[str, str] = {}
    extended: dict[str, str] = {}
    position = end
    while position < len(value):
        position += 1  # the ';'
        name_end = _token_end(value, position, "=;")
        name = value[position:name_end].strip().lower()
        position = name_end
        text = ""
        if position < len(value) and value[position] == "=":
            position += 1
            while position < len(value) and value[position] in " \t":
                position += 1
            if position < len(value) and value[position] == '"':
                position += 1
                chars = []
                while position < len(value) and value[position] != '"':
                    if value[position] == "\\" and position + 1 < len(value):
                        position += 1
                    chars.append(value[position])
                    position += 1
                if position >= len(value):
                    raise invalid("INVALID_MULTIPART", f"{what} has an unterminated quoted string")
                position += 1  # the closing quote
                text = "".join(chars)
                position = _token_end(value, position, ";")
            else:
                value_end = _token_end(value, position, ";")
                text = value[position:value_end].strip()
                position = value_end
        if not name:
            continue
        if len(params) + len(extended) >= MAX_PARAMS:
            raise invalid("INVALID_MULTIPART", f"{what} has more than {MAX_PARAMS} parameters")
        if name.endswith("*"):
            charset, _, rest = text.partition("'")
            _, _, encoded = rest.partition("'")
            try:
                extended[name[:-1]] = urllib.parse.unquote(encoded, encoding=charset or "utf-8", errors="strict")
            except (LookupError, UnicodeDecodeError):
                raise invalid("INVALID_MULTIPART", f"{what} has an undecodable {name} parameter") from None
        else:
            params.setdefault(name, text)
    params.update(extended)
    return main, params


def _boundary(content_type: str, body: bytes) -> bytes:
    if len(content_type) > 1024:
        raise invalid("INVALID_CONTENT_TYPE", "The Content-Type header is longer than 1024 characters")
    try:
        main, params = split_header(content_type, "Content-Type")
    except ServiceError:
        main, params = "", {}
    if main != "multipart/form-data":
        raise invalid("INVALID_CONTENT_TYPE", "Send the request as multipart/form-data")
    boundary = params.get("boundary")
    if not boundary and body[:2] == b"--":
        # A client that set `Content-Type: multipart/form-data` by hand (seed 001's own example
        # does) sends no boundary; the body's first line is the delimiter (RFC 2046: 1-70 characters).
        line = body[2 : body.find(b"\r\n", 0, 75)] if body.find(b"\r\n", 0, 75) > 2 else b""
        if line and all(33 <= c < 127 or c == 32 for c in line):
            return line
    if not boundary or len(boundary) > 200:
        raise invalid("INVALID_CONTENT_TYPE", "The multipart/form-data boundary is missing or too long")
    return boundary.encode("latin-1", errors="replace")


def _headers(block: bytes) -> tuple[str, str | None, str]:
    lines = block.decode("utf-8", errors="replace").split("\r\n")
    if len(lines) > MAX_HEADER_LINES:
        raise invalid("INVALID_MULTIPART", f"A multipart part has more than {MAX_HEADER_LINES} header lines")
    headers: dict[str, str] = {}
    for line in lines:
        name, colon, value = line.partition(":")
        if not colon or not name.strip() or name[:1] in (" ", "\t"):
            raise invalid("INVALID_MULTIPART", "A multipart part header line is not `Name: value`")
        headers.setdefault(name.strip().lower(), value.strip())
    disposition, params = split_header(headers.get("content-disposition", ""), "Content-Disposition")
    if disposition != "form-data":
        raise invalid("INVALID_MULTIPART", "Every multipart part needs Content-Disposition: form-data")
    name = params.get("name")
    if not name:
        raise invalid("INVALID_MULTIPART", "A multipart part has no field name")
    part_type, _ = split_header(headers.get("content-type", "text/plain"), "Content-Type")
    return name, params.get("filename"), part_type or "text/plain"


def parse(body: bytes, content_type: str) -> dict[str, list[Part]]:
    """Fields by name, in order; raises ServiceError(INVALID_MULTIPART) on malformed input."""
    delimiter = b"--" + _boundary(content_type, body)
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
        count += 1
        if count > MAX_PARTS:
            raise invalid("INVALID_MULTIPART", f"At most {MAX_PARTS} multipart parts are accepted")
        # The header block must end within MAX_HEADER_BYTES: search no further than that.
        header_end = body.find(b"\r\n\r\n", start, start + MAX_HEADER_BYTES + 4)
        if header_end < 0:
            if body.find(b"\r\n" + delimiter, start, start + MAX_HEADER_BYTES + 4) < 0 and len(body) - start > MAX_HEADER_BYTES:
                raise invalid("INVALID_MULTIPART", f"A multipart part's headers are longer than {MAX_HEADER_BYTES} bytes")
            raise invalid("INVALID_MULTIPART", "The multipart body is truncated")
        next_delimiter = body.find(b"\r\n" + delimiter, start)
        if next_delimiter < 0 or header_end > next_delimiter:
            raise invalid("INVALID_MULTIPART", "The multipart body is truncated")
        name, filename, part_type = _headers(body[start:header_end])
        data = view[header_end + 4 : next_delimiter]
        if filename is None and len(data) > MAX_TEXT_FIELD_BYTES:
            raise invalid("INVALID_MULTIPART", f"Field {name!r} is longer than {MAX_TEXT_FIELD_BYTES} bytes")
        fields.setdefault(name, []).append(Part(name, filename, part_type, bytes(data)))
        position = next_delimiter + 2


async def parse_async(body: bytes, content_type: str) -> dict[str, list[Part]]:
    """`parse` in a worker thread: what async handlers call, so the event loop keeps serving."""
    return await asyncio.to_thread(parse, body, content_type)
