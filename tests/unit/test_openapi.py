"""The OpenAPI documents (protos/openapi.py): valid OpenAPI 3.1, every route of the protos in its
dialect's document exactly once, schemas as the transcoder prints the messages."""

from __future__ import annotations

import collections
import json
import pathlib
import re

import pytest
from google.api import annotations_pb2
from google.protobuf import descriptor_pb2
from openapi_spec_validator import validate

from deploy.envoy import render
from protos import openapi
from services.runtime import envelopes

DOCS = {name: json.loads((openapi.OUT / f"{name}.json").read_text()) for name in envelopes.BY_NAME}


def schema(doc: dict, name: str) -> dict:
    return doc["components"]["schemas"][name]


def expected_routes() -> dict[str, collections.Counter]:
    """(method, OpenAPI path) of every binding of every public RPC, by the dialect of its path."""
    files = descriptor_pb2.FileDescriptorSet.FromString(pathlib.Path(render.DEFAULTS["DESCRIPTOR_SET"]).read_bytes())
    routes = collections.defaultdict(collections.Counter)
    for file in files.file:
        for service in file.service:
            if f"{file.package}.{service.name}" not in render.public_services():
                continue
            for method in service.method:
                http = method.options.Extensions[annotations_pb2.http]
                for rule in (http, *http.additional_bindings):
                    verb = rule.WhichOneof("pattern")
                    template = getattr(rule, verb)
                    path = re.sub(r"\{([^}=]+)(=[^}]*)?\}", r"{\1}", template)
                    routes[envelopes.dialect_of(template).name][(verb, path)] += 1
    return routes


def test_the_committed_documents_are_what_the_protos_generate():
    assert openapi.documents() == DOCS, "stale: run `make protos` and commit protos/gen/openapi"


@pytest.mark.parametrize("dialect", sorted(DOCS))
def test_every_document_is_valid_openapi_3_1(dialect):
    assert DOCS[dialect]["openapi"] == "3.1.0"
    validate(DOCS[dialect])


@pytest.mark.parametrize("dialect", sorted(DOCS))
def test_every_route_of_the_protos_is_in_its_dialects_document_once(dialect):
    listed = collections.Counter((verb, path) for path, item in DOCS[dialect]["paths"].items() for verb in item)
    expected = expected_routes()[dialect]
    assert expected, dialect
    assert all(n == 1 for n in expected.values()), [r for r, n in expected.items() if n > 1]
    assert listed == expected
    ids = [op["operationId"] for item in DOCS[dialect]["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))


def test_a_route_bound_in_two_dialects_is_in_both():
    """EnhanceQuality: /v1/... (backdrop) and an additional binding at /fomi/v1/... (fomi)."""
    assert DOCS["backdrop"]["paths"]["/v1/images/enhance/quality"]["post"]["operationId"] == "Gateway_EnhanceQuality"
    assert DOCS["fomi"]["paths"]["/fomi/v1/images/enhance/quality"]["post"]["operationId"] == "Gateway_EnhanceQuality"
    assert "/fomi/v1/images/enhance/quality" not in DOCS["backdrop"]["paths"]


def test_message_schemas_use_the_proto_field_names_and_json_types():
    fomi = DOCS["fomi"]
    auth = schema(fomi, "backdrop.fomi.v1.AuthResponse")["properties"]
    assert set(auth) == {"success", "user", "token", "refreshToken", "expiresIn"}
    assert auth["success"]["type"] == "boolean"
    assert auth["user"]["$ref"] == "#/components/schemas/backdrop.fomi.v1.User"
    assert auth["expiresIn"] == {"type": "integer", "format": "int32", "description": "Seconds until `token` expires."}
    assert set(schema(fomi, "backdrop.fomi.v1.User")["properties"]) == {"id", "email", "displayName", "avatar", "subscription", "createdAt"}
    health = schema(DOCS["rembg"], "backdrop.gateway.v1.HealthResponse")["properties"]
    assert health["unhealthy"]["type"] == "array" and health["unhealthy"]["items"] == {"type": "string"}
    assert "healthy" in health["status"]["description"]  # the proto's comment
    # A map field is an object of its values; a nested message is its own schema.
    data = schema(DOCS["lumiku"], "backdrop.gateway.v1.AdminStats.Data")["properties"]
    assert data["tierBreakdown"] == {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/backdrop.billing.v1.TierCount"}}


def test_well_known_types_and_enums():
    protos = openapi.Protos(descriptor_pb2.FileDescriptorSet.FromString(openapi.DESCRIPTOR_SET.read_bytes()).file)
    doc = openapi.Document(protos, "backdrop")
    assert doc.ref(".google.protobuf.Timestamp") == {"type": "string", "format": "date-time"}
    assert doc.ref(".google.protobuf.Struct")["type"] == "object"
    assert doc.ref(".google.protobuf.Value") == {}
    assert doc.ref(".backdrop.jobs.v1.JobStatus") == {"$ref": "#/components/schemas/backdrop.jobs.v1.JobStatus"}
    status = doc.schemas["backdrop.jobs.v1.JobStatus"]
    assert status["type"] == "string" and "JOB_STATUS_COMPLETED" in status["enum"]


def test_parameters_bodies_and_uploads():
    backdrop = DOCS["backdrop"]
    credits = backdrop["paths"]["/v1/credits"]["get"]
    assert [(p["name"], p["in"], p["schema"]["type"]) for p in credits["parameters"]] == [("page", "query", "integer"), ("limit", "query", "integer")]
    download = backdrop["paths"]["/v1/files/{key}"]["get"]
    assert download["parameters"][0] == {"name": "key", "in": "path", "required": True, "schema": {"type": "string"}, "description": "May contain '/'."}
    assert list(download["responses"]["2XX"]["content"]) == ["*/*"]  # a google.api.HttpBody answer
    # body "*" with a path variable: the body schema is the message without it.
    delete = backdrop["paths"]["/v1/api-keys/{id}"]["delete"]
    assert delete["parameters"][0]["name"] == "id" and "requestBody" not in delete
    upload = backdrop["paths"]["/v1/projects/{id}/images"]["post"]  # body: "body", a google.api.HttpBody field
    assert list(upload["requestBody"]["content"]) == ["multipart/form-data"]
    assert list(DOCS["rembg"]["paths"]["/remove-bg"]["post"]["requestBody"]["content"]) == ["multipart/form-data"]
    events = backdrop["paths"]["/v1/process/jobs/{id}/events"]["get"]["responses"]["2XX"]["content"]
    assert list(events) == ["text/event-stream"]  # a server-streaming RPC: Server-Sent Events


@pytest.mark.parametrize("dialect", sorted(DOCS))
def test_error_envelope_and_security(dialect):
    doc = DOCS[dialect]
    error = schema(doc, "Error")
    import grpc

    from services.runtime.errors import ServiceError

    sample = envelopes.BY_NAME[dialect].envelope(ServiceError(grpc.StatusCode.NOT_FOUND, "NOT_FOUND", "gone"))
    assert set(error["properties"]) == set(sample)
    assert {"bearer", "apiKey"} == set(doc["components"]["securitySchemes"])
    assert doc["components"]["securitySchemes"]["apiKey"]["name"] == "X-API-Key"
    for path, item in doc["paths"].items():
        for operation in item.values():
            assert operation["responses"]["default"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_open_routes_need_no_credential():
    paths = DOCS["backdrop"]["paths"]
    assert paths["/v1/auth/login"]["post"]["security"] == []
    assert paths["/docs"]["get"]["security"] == []
    assert "security" not in paths["/v1/users/me"]["get"]  # the document's Bearer or X-API-Key
    assert DOCS["fomi"]["paths"]["/fomi/v1/auth/login"]["post"]["security"] == []


def test_the_docs_service_serves_the_documents_without_swagger_ui_built(tmp_path):
    """A gateway started before `make swagger-ui` still serves every document; the page names each."""
    from gateway.web.docs import Library
    from services.runtime.errors import ServiceError

    library = Library(openapi.OUT, tmp_path)
    assert set(library.documents) == {f"{name}.json" for name in envelopes.BY_NAME}
    assert set(library.assets) == {"docs.js"}
    page = library.page("fomi").data.decode()
    assert 'data-primary="fomi"' in page and 'data-dialects="backdrop rembg lumiku fomi removebg"' in page
    with pytest.raises(ServiceError) as error:
        library.page("../etc")
    assert error.value.reason == "NOT_FOUND" and "fomi" in error.value.message
