"""The HTTP routes of the Gateway service read from the descriptor set, and
hostile requests for each: what tests/e2e/test_fuzz.py sends."""

from __future__ import annotations

import dataclasses
import io
import json
import random
import re
import urllib.parse
import uuid

from google.api import annotations_pb2
from google.protobuf import descriptor_pb2
from PIL import Image

from deploy.envoy.render import public_services
from tests.conftest import REPO
from tests.samples import png_claiming

DESCRIPTORS = REPO / "protos" / "gen" / "backdrop.binpb"
JUNK_QUERY = {"utm_source": "x", "_": "123", "page": "-1"}

F = descriptor_pb2.FieldDescriptorProto
INTEGERS = {F.TYPE_INT32, F.TYPE_INT64, F.TYPE_UINT32, F.TYPE_UINT64, F.TYPE_SINT32, F.TYPE_SINT64,
            F.TYPE_FIXED32, F.TYPE_FIXED64, F.TYPE_SFIXED32, F.TYPE_SFIXED64}
FLOATS = {F.TYPE_DOUBLE, F.TYPE_FLOAT}


@dataclasses.dataclass(frozen=True)
class Route:
    method: str  # GET, POST, ...
    template: str  # /v1/files/{key=**}
    body: str  # "*" or ""
    input_type: str  # .backdrop.gateway.v1.UpscaleRequest
    comment: str  # the method's leading comment
    fields: tuple  # (json_name, type, repeated) of the input message

    @property
    def multipart(self) -> bool:
        return self.body == "*" and self.input_type == ".google.api.HttpBody"

    @property
    def variables(self) -> list[str]:
        return re.findall(r"\{(\w+)(?:=[^}]*)?\}", self.template)

    def path(self, values: dict[str, str]) -> str:
        return re.sub(r"\{(\w+)(?:=[^}]*)?\}", lambda m: values[m.group(1)], self.template)

    def upload_fields(self) -> list[str]:
        """The multipart field names its comment names (`file`, `images`, ...), else `file`."""
        named = re.findall(r"multipart `?(\w+)`?", self.comment)
        return sorted(set(named) | {"file"})


def routes() -> list[Route]:
    """Every binding of every public service's methods (one service per dialect)."""
    files = descriptor_pb2.FileDescriptorSet.FromString(DESCRIPTORS.read_bytes()).file
    messages = {f".{f.package}.{m.name}": m for f in files for m in f.message_type}
    found = []
    for file in files:
        comments = {tuple(location.path): location.leading_comments for location in file.source_code_info.location}
        for s, service in enumerate(file.service):
            if f"{file.package}.{service.name}" not in public_services():
                continue
            for m, method in enumerate(service.method):
                rule = method.options.Extensions[annotations_pb2.http]
                for binding in [rule, *rule.additional_bindings]:
                    kind = binding.WhichOneof("pattern")
                    if kind is None or kind == "custom":
                        continue
                    message = messages.get(method.input_type)
                    fields = tuple(
                        (field.json_name or field.name, field.type, field.label == F.LABEL_REPEATED)
                        for field in (message.field if message else [])
                    )
                    found.append(Route(kind.upper(), getattr(binding, kind), binding.body, method.input_type,
                                       comments.get((6, s, 2, m), ""), fields))
    return found


@dataclasses.dataclass
class Case:
    name: str
    path_values: dict
    params: dict | None = None
    headers: dict = dataclasses.field(default_factory=dict)
    data: bytes | None = None
    credentials: str = "bearer"  # bearer, key, none, or a broken header's name
    method: str | None = None  # another than the route's own


def odd_path_values(rng: random.Random) -> list[str]:
    """Plausible and odd values for a path variable, already percent-encoded."""
    quote = lambda text: urllib.parse.quote(text, safe="")  # noqa: E731
    return [
        str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "x",
        "..%2F..%2Fetc%2Fpasswd",
        "a" * 3000,
        quote("é漢字🙂"),
        "-1",
        "0",
        "%00",
        quote("'; DROP TABLE users; --"),
        "%ZZ",
    ]


def small_image(kind: str, rng: random.Random) -> bytes:
    pixels = Image.new("RGB", (16, 16), tuple(rng.randrange(256) for _ in range(3)))
    buffer = io.BytesIO()
    pixels.save(buffer, format=kind)
    return buffer.getvalue()


def mutated(data: bytes, rng: random.Random, flips: int = 8) -> bytes:
    data = bytearray(data)
    for _ in range(flips):
        data[rng.randrange(len(data))] = rng.randrange(256)
    return bytes(data)


def hostile_images(rng: random.Random) -> list[tuple[str, str, bytes]]:
    """(case, filename, bytes): truncated, mutated, bombs and impostors, all a few KB at most."""
    png, jpeg = small_image("PNG", rng), small_image("JPEG", rng)
    return [
        ("png truncated", "a.png", png[: len(png) // 2]),
        ("png mutated", "a.png", mutated(png, rng)),
        ("png header only", "a.png", png[:33]),
        ("jpeg truncated", "a.jpg", jpeg[: len(jpeg) // 2]),
        ("jpeg mutated", "a.jpg", mutated(jpeg, rng)),
        ("jpeg markers only", "a.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\xff\xda" * 200),
        ("png bomb 30000x30000", "bomb.png", png_claiming(30000, 30000)),
        ("png 2^31-1 wide", "wide.png", png_claiming(2**31 - 1, 1)),
        ("png 0x0", "zero.png", png_claiming(0, 0)),
        ("empty file", "empty.png", b""),
        ("text named png", "a.png", b"not an image at all\n" * 10),
        ("gif", "a.gif", small_image("GIF", rng)),
        ("webp header only", "a.webp", b"RIFF\xff\xff\xff\xffWEBPVP8 "),
    ]


def wrong_values(kind: int, repeated: bool) -> list[tuple[str, object]]:
    """(label, value) of the wrong type or out of range for a field of that kind; raw JSON text as bytes."""
    values: list[tuple[str, object]] = [("null", None), ("array", [1, "a", None]), ("object", {"a": {"b": 1}})]
    if repeated:
        values += [("string for list", "a,b"), ("list of lists", [[[1]]]), ("10000 items", ["x"] * 10000)]
    elif kind == F.TYPE_STRING or kind == F.TYPE_BYTES:
        values += [("number", 123), ("bool", True), ("100 KB", "x" * 100_000), ("nul", "a\u0000b"),
                   ("lone surrogate", b'"\\ud800"'), ("unicode", "é漢字🙂")]
    elif kind in INTEGERS or kind in FLOATS:
        values += [("string", "abc"), ("1e309", b"1e309"), ("2**70", 2**70), ("-1", -1), ("-2**64", -(2**64)),
                   ("1.5", 1.5), ("NaN", b"NaN"), ("numeric string", "1e309"), ("bool", True)]
    elif kind == F.TYPE_BOOL:
        values += [("string", "yes"), ("2", 2), ("0.5", 0.5)]
    elif kind == F.TYPE_ENUM:
        values += [("unknown name", "NOT_A_VALUE"), ("999", 999), ("-1", -1), ("2**70", 2**70)]
    elif kind == F.TYPE_MESSAGE:
        values += [("string", "x"), ("number", 5), ("deep", nested(300))]
    return values


def nested(depth: int) -> object:
    value: object = 1
    for _ in range(depth):
        value = {"a": value}
    return value


def encode(body: dict) -> bytes:
    """JSON of a dict whose values may be raw JSON text (bytes), e.g. 1e309 or NaN."""
    raws = {}
    plain = {}
    for key, value in body.items():
        if isinstance(value, bytes):
            raws[key] = value
            plain[key] = f"__raw_{len(raws)}__"
        else:
            plain[key] = value
    text = json.dumps(plain).encode()
    for index, (key, raw) in enumerate(raws.items(), start=1):
        text = text.replace(f'"__raw_{index}__"'.encode(), raw)
    return text


JSON = {"Content-Type": "application/json"}


def json_cases(route: Route, rng: random.Random) -> list[tuple[str, dict, bytes]]:
    """(case, headers, body) of malformed and mistyped JSON."""
    cases = [
        ("empty body", JSON, b""),
        ("truncated json", JSON, b'{"a": '),
        ("not json", JSON, b"hello"),
        ("array body", JSON, b"[]"),
        ("null body", JSON, b"null"),
        ("number body", JSON, b"1e309"),
        ("string body", JSON, b'"x"'),
        ("deeply nested object", JSON, b'{"a":' * 500 + b"1" + b"}" * 500),
        ("deeply nested array", JSON, b"[" * 5000 + b"]" * 5000),
        ("invalid utf-8", JSON, b'{"a": "\xff\xfe"}'),
        ("utf-8 bom", JSON, b"\xef\xbb\xbf{}"),
        ("unknown fields", JSON, b'{"notAField": 1, "__proto__": {"x": 1}}'),
        ("1 MB of json", JSON, json.dumps({"a": "x" * 1_000_000}).encode()),
        ("text/plain", {"Content-Type": "text/plain"}, b"{}"),
        ("xml", {"Content-Type": "application/xml"}, b"<a/>"),
        ("form-urlencoded", {"Content-Type": "application/x-www-form-urlencoded"}, b"a=1&b=%ZZ"),
        ("multipart to a json route", {"Content-Type": "multipart/form-data; boundary=b"}, b"--b--\r\n"),
        ("json charset latin-1", {"Content-Type": "application/json; charset=latin-1"}, b"{}"),
        ("chunked 1 MB of json", {**JSON, "Transfer-Encoding": "chunked"}, b'{"a": "' + b"x" * 1_000_000 + b'"}'),
    ]
    skeleton = {name: plausible(kind, repeated) for name, kind, repeated in route.fields}
    for name, kind, repeated in route.fields:
        for label, value in wrong_values(kind, repeated):
            cases.append((f"{name}: {label}", JSON, encode({name: value})))
            # The same value among plausible others, to get past the first check a handler makes.
            cases.append((f"{name}: {label}, others plausible", JSON, encode({**skeleton, name: value})))
    return cases


def plausible(kind: int, repeated: bool) -> object:
    """A small value of the right type: cheap work if everything else is valid too."""
    if repeated:
        return []
    if kind == F.TYPE_STRING:
        return "x"
    if kind in INTEGERS or kind in FLOATS or kind == F.TYPE_ENUM:
        return 1
    if kind == F.TYPE_BOOL:
        return False
    return {}


def multipart(parts: list[tuple[str, str | None, bytes]], boundary: str = "fuzzBoundary") -> bytes:
    body = b""
    for name, filename, content in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + content + b"\r\n"
    return body + f"--{boundary}--\r\n".encode()


def multipart_cases(route: Route, rng: random.Random) -> list[tuple[str, dict, bytes]]:
    """(case, headers, body) of multipart framing abuse and hostile images."""
    form = {"Content-Type": "multipart/form-data; boundary=fuzzBoundary"}
    field = route.upload_fields()
    good_png = small_image("PNG", rng)
    cases = [
        ("no content type", {}, b"\x89PNG"),
        ("json to a multipart route", JSON, b'{"file": "x"}'),
        ("no boundary", {"Content-Type": "multipart/form-data"}, multipart([("file", "a.png", good_png)])),
        ("empty boundary", {"Content-Type": "multipart/form-data; boundary="}, b"--\r\n\r\n--"),
        ("boundary of 300 chars", {"Content-Type": "multipart/form-data; boundary=" + "b" * 300}, b"--" + b"b" * 300 + b"--\r\n"),
        ("wrong boundary", form, multipart([("file", "a.png", good_png)], boundary="other")),
        ("unterminated", form, multipart([("file", "a.png", good_png)])[:-20]),
        ("only the closing boundary", form, b"--fuzzBoundary--\r\n"),
        ("no blank line after headers", form, b"--fuzzBoundary\r\nContent-Disposition: form-data; name=\"file\"\r\nxx\r\n--fuzzBoundary--\r\n"),
        ("no content-disposition", form, b"--fuzzBoundary\r\nContent-Type: image/png\r\n\r\nx\r\n--fuzzBoundary--\r\n"),
        ("huge part header", form, b'--fuzzBoundary\r\nContent-Disposition: form-data; name="file"; filename="a.png"'
         + b"; a=b" * 20_000 + b"\r\n\r\nx\r\n--fuzzBoundary--\r\n"),
        ("many header lines", form, b"--fuzzBoundary\r\n" + b"X-A: b\r\n" * 200
         + b'Content-Disposition: form-data; name="file"\r\n\r\nx\r\n--fuzzBoundary--\r\n'),
        ("1000 parts", form, multipart([("junk", None, b"x")] * 1000)),
        ("text parts with wrong values", form, multipart([
            ("model", None, b"x" * 100_000), ("quality", None, b"-1"), ("tier", None, b"{}"), ("scale", None, b"1e309"),
            ("return_mask", None, b"maybe"), ("options", None, b'{"model": ['), ("edge_refinement", None, b"\xff\xfe"),
            ("email", None, b"not-an-email"), ("output_format", None, b"exe"), ("image_url", None, b"file:///etc/passwd"),
        ])),
        ("options json of wrong types", form, multipart([("options", None, b'{"model": 5, "quality": [], "return_mask": "x"}')])),
        ("filename traversal", form, multipart([(f, "../../../etc/passwd", b"x") for f in field])),
        ("filename unicode and quotes", form, b'--fuzzBoundary\r\nContent-Disposition: form-data; name="file"; filename="\xc3\xa9\\"\x00.png"\r\n\r\n'
         + good_png + b"\r\n--fuzzBoundary--\r\n"),
        ("chunked multipart", {**form, "Transfer-Encoding": "chunked"}, multipart([(field[0], "a.png", good_png[:40])])),
        ("multipart/mixed", {"Content-Type": "multipart/mixed; boundary=fuzzBoundary"}, multipart([("file", "a.png", good_png)])),
    ]
    for label, filename, content in hostile_images(rng):
        name = field[rng.randrange(len(field))]
        cases.append((f"{name}: {label}", form, multipart([(name, filename, content)])))
        if name in ("images", "files"):  # batch routes want 2 or more
            cases.append((f"{name} x2: {label}", form, multipart([(name, filename, content), (name, "b.png", content)])))
    return cases
