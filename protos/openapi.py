"""OpenAPI 3.1 documents of the public API, one per dialect, generated from the descriptor set.

Run by `make protos` after protos/generate.py; the documents in protos/gen/openapi are build
output, committed and checked like the stubs (`make check-protos`), and served at
/openapi/<dialect>.json with Swagger UI at /docs (gateway/web/docs.py).

Everything comes from the protos as Envoy's transcoder serves them (deploy/envoy/envoy.yaml.tmpl):
the google.api.http bindings (additional ones too) name the paths; a binding's path belongs to
the dialect services/runtime/envelopes.py gives it; fields not bound by the path or the body
are query parameters; JSON names are the proto field names (preserve_proto_field_names); a
google.api.HttpBody is an upload or a binary answer; comments become descriptions. What the
protos cannot say comes from the code that decides it: the error envelope is the dialect's
own envelope function applied to a sample error, the open routes are the auth service's.
"""

from __future__ import annotations

import json
import pathlib
import re
import sys

PROTOS = pathlib.Path(__file__).resolve().parent
REPO = PROTOS.parent
DESCRIPTOR_SET = PROTOS / "gen" / "backdrop.binpb"
OUT = PROTOS / "gen" / "openapi"
METHODS = ("get", "put", "post", "delete", "patch")
HTTP_BODY = ".google.api.HttpBody"
EMPTY = ".google.protobuf.Empty"
DESCRIPTIONS = {
    "backdrop": "Backdrop's own API at /v1, and seed 003's /process, /status and /download.",
    "rembg": "The rembg-compatible API (seed 002): /remove-bg, /health, /queue-status.",
    "lumiku": "Seed 001's Background Remover Pro API under /lumiku/v1, /lumiku/api and /v1/background-remover.",
    "fomi": "Seed 004's FOMI API under /fomi/v1.",
    "removebg": "remove.bg's API v1.0 under /v1.0.",
}

# proto3 JSON (https://protobuf.dev/programming-guides/json/) of each scalar field type.
_INT32 = {"type": "integer", "format": "int32"}
_INT64 = {"type": "string", "format": "int64", "description": "A 64-bit integer, as a JSON string"}
SCALARS = {
    1: {"type": "number", "format": "double"}, 2: {"type": "number", "format": "float"},
    3: _INT64, 4: {**_INT64, "format": "uint64"}, 5: _INT32, 6: {**_INT64, "format": "uint64"},
    7: {"type": "integer", "format": "uint32", "minimum": 0}, 8: {"type": "boolean"}, 9: {"type": "string"},
    12: {"type": "string", "contentEncoding": "base64"}, 13: {"type": "integer", "format": "uint32", "minimum": 0},
    15: _INT32, 16: _INT64, 17: _INT32, 18: _INT64,
}
TYPE_MESSAGE, TYPE_ENUM, LABEL_REPEATED = 11, 14, 3
WELL_KNOWN = {
    ".google.protobuf.Timestamp": {"type": "string", "format": "date-time"},
    ".google.protobuf.Duration": {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?s$"},
    ".google.protobuf.FieldMask": {"type": "string"},
    ".google.protobuf.Struct": {"type": "object", "additionalProperties": True},
    ".google.protobuf.Value": {},
    ".google.protobuf.ListValue": {"type": "array", "items": {}},
    ".google.protobuf.NullValue": {"type": "null"},
    ".google.protobuf.Any": {"type": "object", "properties": {"@type": {"type": "string"}}, "additionalProperties": True},
    EMPTY: {"type": "object", "properties": {}},
    **{f".google.protobuf.{name}Value": {"type": [kind, "null"]} for name, kind in (
        ("Bool", "boolean"), ("String", "string"), ("Double", "number"), ("Float", "number"),
        ("Int32", "integer"), ("UInt32", "integer"), ("Int64", "string"), ("UInt64", "string"), ("Bytes", "string"))},
}
BINARY = {"type": "string", "format": "binary"}
SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
               "description": "An access token from the dialect's login; an API key is accepted as Bearer too."},
    "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key", "description": "An API key (POST /v1/api-keys)."},
}


class Protos:
    """The descriptor set's messages, enums and comments, by full name."""

    def __init__(self, files):
        self.files = files
        self.messages: dict[str, object] = {}
        self.enums: dict[str, object] = {}
        self.comments: dict[tuple, str] = {}
        for file in files:
            for location in file.source_code_info.location:
                text = (location.leading_comments or location.trailing_comments).strip()
                if text:
                    self.comments[(file.name, *location.path)] = re.sub(r"\n ?", "\n", text)
            prefix = f".{file.package}" if file.package else ""
            for i, message in enumerate(file.message_type):
                self._add(file.name, prefix, message, (4, i))
            for i, enum in enumerate(file.enum_type):
                self.enums[f"{prefix}.{enum.name}"] = (enum, (file.name, 5, i))

    def _add(self, file: str, prefix: str, message, path: tuple) -> None:
        name = f"{prefix}.{message.name}"
        self.messages[name] = (message, (file, *path))
        for i, nested in enumerate(message.nested_type):
            self._add(file, name, nested, (*path, 3, i))
        for i, enum in enumerate(message.enum_type):
            self.enums[f"{name}.{enum.name}"] = (enum, (file, *path, 4, i))

    def comment(self, path: tuple) -> str:
        return self.comments.get(path, "")


class Document:
    """One dialect's document: its operations and the schemas they reach."""

    def __init__(self, protos: Protos, dialect: str):
        self.protos = protos
        self.dialect = dialect
        self.paths: dict[str, dict] = {}
        self.schemas: dict[str, dict] = {}
        self.bindings: dict[str, int] = {}

    # --- schemas ---

    def ref(self, type_name: str) -> dict:
        """A message's or enum's schema: well-known types inline, the rest in components."""
        if type_name in WELL_KNOWN:
            return dict(WELL_KNOWN[type_name])
        name = type_name.lstrip(".")
        if name not in self.schemas:
            self.schemas[name] = {}  # reserved first: messages may refer to themselves
            self.schemas[name] = self._enum(type_name) if type_name in self.protos.enums else self._message(type_name)
        return {"$ref": f"#/components/schemas/{name}"}

    def _enum(self, type_name: str) -> dict:
        enum, path = self.protos.enums[type_name]
        schema = {"type": "string", "enum": [v.name for v in enum.value]}
        notes = [f"{v.name}: {self.protos.comment((*path, 2, i))}" for i, v in enumerate(enum.value) if self.protos.comment((*path, 2, i))]
        return _described(schema, "\n".join(filter(None, [self.protos.comment(path), *notes])))

    def _message(self, type_name: str, without: frozenset = frozenset()) -> dict:
        message, path = self.protos.messages[type_name]
        properties = {}
        for i, field in enumerate(message.field):
            if field.name not in without:
                properties[field.name] = _described(self.field(field), self.protos.comment((*path, 2, i)))
        return _described({"type": "object", "properties": properties}, self.protos.comment(path))

    def field(self, field) -> dict:
        if field.type == TYPE_MESSAGE and field.type_name in self.protos.messages:
            entry = self.protos.messages[field.type_name][0]
            if entry.options.map_entry:
                return {"type": "object", "additionalProperties": self.field(entry.field[1])}
        if field.type in (TYPE_MESSAGE, TYPE_ENUM):
            item = self.ref(field.type_name)
        else:
            item = dict(SCALARS[field.type])
        return {"type": "array", "items": item} if field.label == LABEL_REPEATED else item

    # --- operations ---

    def add(self, service: str, method, method_path: tuple, verb: str, template: str, body: str) -> None:
        path, path_fields = _path(template)
        if verb in self.paths.get(path, {}):
            raise SystemExit(f"{service}.{method.name}: {verb.upper()} {path} is bound twice")
        base = f"{service}_{method.name}"
        self.bindings[base] = self.bindings.get(base, 0) + 1  # an RPC's further bindings: _2, _3
        operation_id = base if self.bindings[base] == 1 else f"{base}_{self.bindings[base]}"
        comment = self.protos.comment(method_path)
        operation = {"operationId": operation_id, "tags": [service]}
        if comment:
            operation["summary"] = comment.split("\n", 1)[0][:120]
            if comment != operation["summary"]:
                operation["description"] = comment
        parameters = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"},
                       **({"description": "May contain '/'."} if multi else {})} for name, multi in path_fields]
        request = self.protos.messages.get(method.input_type, (None,))[0]
        bound = frozenset(name.split(".")[0] for name, _ in path_fields)
        if method.input_type == HTTP_BODY:
            operation["requestBody"] = _upload()
        elif request is not None:
            if body == "*":
                schema = self.ref(method.input_type) if not bound else self._message(method.input_type, bound)
                operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema}}}
            elif body:
                field = next(f for f in request.field if f.name == body)
                operation["requestBody"] = (_upload() if field.type_name == HTTP_BODY else
                                            {"required": True, "content": {"application/json": {"schema": self.field(field)}}})
            if body != "*":
                parameters += self._query(request, bound | {body}, "", 0)
        if parameters:
            operation["parameters"] = parameters
        operation["responses"] = {"2XX": self._response(method), "default": {
            "description": f"An error, in the {self.dialect} dialect's envelope",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}
        if _is_open(template):
            operation["security"] = []
        self.paths.setdefault(path, {})[verb] = operation

    def _query(self, message, skip: frozenset, prefix: str, depth: int) -> list[dict]:
        """Query parameters: the scalar fields (repeated too) no path or body binds, nested messages
        as dotted names (the transcoder's `a.b=`), a few levels deep."""
        parameters = []
        for field in message.field:
            if field.name in skip:
                continue
            name = prefix + field.name
            if field.type == TYPE_MESSAGE:
                nested = self.protos.messages.get(field.type_name, (None,))[0]
                if nested is not None and not nested.options.map_entry and field.label != LABEL_REPEATED and depth < 2:
                    parameters += self._query(nested, frozenset(), name + ".", depth + 1)
                continue
            parameter = {"name": name, "in": "query", "schema": self.field(field)}
            if field.label == LABEL_REPEATED:
                parameter.update(style="form", explode=True)
            parameters.append(parameter)
        return parameters

    def _response(self, method) -> dict:
        if method.output_type == HTTP_BODY:
            kind = "a stream of chunks" if method.server_streaming else "the body"
            return {"description": f"The answer's own content type ({kind}): an image, a file or a page",
                    "content": {"*/*": {"schema": BINARY}}}
        schema = self.ref(method.output_type)
        if method.server_streaming:
            return {"description": "Server-Sent Events: each event's data is one JSON message",
                    "content": {"text/event-stream": {"schema": {"type": "array", "items": schema}}}}
        return {"description": "OK", "content": {"application/json": {"schema": schema}}}

    def build(self, version: str) -> dict:
        self.schemas["Error"] = _described(_schema_of(_sample_envelope(self.dialect)),
                                           f"The {self.dialect} dialect's error envelope (services/runtime/envelopes.py)")
        return {
            "openapi": "3.1.0",
            "info": {"title": f"Backdrop: the {self.dialect} API", "version": version,
                     "description": DESCRIPTIONS.get(self.dialect, "") +
                     "\n\nGenerated from the protos (protos/openapi.py); every route of the dialect is here."},
            "servers": [{"url": "/"}],
            "security": [{"bearer": []}, {"apiKey": []}],
            "paths": dict(sorted(self.paths.items())),
            "components": {"schemas": dict(sorted(self.schemas.items())), "securitySchemes": SECURITY_SCHEMES},
        }


def _described(schema: dict, description: str) -> dict:
    if description and "$ref" in schema:
        return {"$ref": schema["$ref"], "description": description}  # 3.1: siblings of $ref are allowed
    return {**schema, "description": description} if description else schema


def _path(template: str) -> tuple[str, list[tuple[str, bool]]]:
    """"/v1/files/{key=**}" -> ("/v1/files/{key}", [("key", True)]): OpenAPI's path and its variables."""
    fields = []

    def variable(match):
        name, _, pattern = match.group(1).partition("=")
        fields.append((name, "**" in pattern or "/" in pattern))
        return "{" + name + "}"

    return re.sub(r"\{([^}]+)\}", variable, template), fields


def _upload() -> dict:
    """A google.api.HttpBody request: the gateway parses the raw body; the RPC's comment names its parts."""
    return {"required": True, "description": "Parsed by the gateway; the operation's description names its parts",
            "content": {"multipart/form-data": {"schema": {"type": "object", "additionalProperties": True}}}}


def _is_open(template: str) -> bool:
    from services.auth import edge

    return edge.is_open(re.sub(r"\{[^}]+\}", "x", template))


def _sample_envelope(dialect: str) -> dict:
    """The dialect's envelope of a sample error: its shape is the Error schema."""
    import grpc

    from services.runtime import envelopes
    from services.runtime.errors import ServiceError

    error = ServiceError(grpc.StatusCode.INVALID_ARGUMENT, "INVALID_REQUEST", "What to fix", details={"field": "x"})
    return envelopes.BY_NAME[dialect].envelope(error)


def _schema_of(value) -> dict:
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, (int, float)):
        return {"type": "number"}
    if isinstance(value, list):
        return {"type": "array", "items": _schema_of(value[0]) if value else {}}
    if isinstance(value, dict):
        if not value or value.keys() == {"field"}:
            return {"type": "object", "additionalProperties": True}  # details: free-form
        return {"type": "object", "required": sorted(value), "properties": {k: _schema_of(v) for k, v in value.items()}}
    return {"type": "string"}


def public_files(files):
    from deploy.envoy import render

    return [f for f in files if f.package in render.PUBLIC_PACKAGES]


def documents(descriptor_set: bytes | None = None) -> dict[str, dict]:
    """{dialect: document} for every dialect, from the descriptor set."""
    from google.api import annotations_pb2
    from google.protobuf import descriptor_pb2

    sys.path.insert(0, str(PROTOS / "gen" / "python"))
    from backdrop.options.v1 import options_pb2  # noqa: F401  (its method options parse)
    from services.runtime import envelopes

    data = DESCRIPTOR_SET.read_bytes() if descriptor_set is None else descriptor_set
    files = descriptor_pb2.FileDescriptorSet.FromString(data).file
    protos = Protos(files)
    docs = {name: Document(protos, name) for name in envelopes.BY_NAME}
    for file in public_files(files):
        for s, service in enumerate(file.service):
            for m, method in enumerate(service.method):
                http = method.options.Extensions[annotations_pb2.http]
                for rule in (http, *http.additional_bindings):
                    verb = rule.WhichOneof("pattern")
                    if verb not in METHODS:
                        raise SystemExit(f"{service.name}.{method.name}: a {verb} binding has no OpenAPI method")
                    template = getattr(rule, verb)
                    dialect = envelopes.dialect_of(template).name
                    docs[dialect].add(service.name, method, (file.name, 6, s, 2, m), verb, template, rule.body)
    version = _version()
    return {name: doc.build(version) for name, doc in docs.items()}


def _version() -> str:
    match = re.search(r'^version\s*=\s*"([^"]+)"', (REPO / "pyproject.toml").read_text(), re.M)
    return match.group(1) if match else "0"


def main() -> int:
    sys.path.insert(0, str(REPO))
    OUT.mkdir(parents=True, exist_ok=True)
    docs = documents()
    for stale in OUT.glob("*.json"):
        if stale.stem not in docs:
            stale.unlink()
    for name, doc in docs.items():
        (OUT / f"{name}.json").write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {len(docs)} OpenAPI documents into {OUT.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
