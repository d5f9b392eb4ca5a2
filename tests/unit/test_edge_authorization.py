"""The ext_authz decision, without servers: who passes, with which headers."""

from __future__ import annotations

import asyncio
import json
import uuid
from types import SimpleNamespace

import pytest
from envoy.service.auth.v3 import external_auth_pb2
from google.rpc import code_pb2

from services.auth import tokens
from services.auth.edge import LOCAL_USER_ID, EdgeAuthorization
from services.runtime import identity
from tests.unit.test_tokens import RING, USER

API_KEY = "bdp_" + "k" * 43
OWNER = SimpleNamespace(id=str(uuid.uuid4()), role="user", plan="pro")


class FakeStore:
    async def user_by_api_key(self, key_hash):
        return OWNER if key_hash == tokens.digest(API_KEY) else None


def check(path: str, headers: dict[str, str], required: bool = True, static_key: str = ""):
    request = external_auth_pb2.CheckRequest()
    request.attributes.request.http.path = path
    request.attributes.request.http.headers.update({"x-request-id": "rid-1", **headers})
    request.attributes.source.address.socket_address.address = "203.0.113.7"
    edge = EdgeAuthorization(FakeStore(), lambda: RING, required, static_key)
    return asyncio.run(edge.Check(request, None))


def added(response) -> dict[str, str]:
    return {h.header.key: h.header.value for h in response.ok_response.headers}


def test_a_valid_token_becomes_identity_headers_and_the_credential_is_dropped():
    response = check("/v1/users/me", {"authorization": f"Bearer {RING.issue(USER, 'sess')}"})
    assert response.status.code == code_pb2.OK
    headers = added(response)
    assert headers[identity.USER_ID] == USER.id and headers[identity.SESSION_ID] == "sess"
    assert headers[identity.METHOD] == "jwt" and headers[identity.CLIENT_IP] == "203.0.113.7"
    assert {"authorization", "x-api-key"} <= set(response.ok_response.headers_to_remove)


def test_api_keys_and_the_static_key():
    assert added(check("/v1/users/me", {"x-api-key": API_KEY}))[identity.USER_ID] == OWNER.id
    static = added(check("/remove-bg", {"x-api-key": "s3cret"}, static_key="s3cret"))
    assert static[identity.USER_ID] == LOCAL_USER_ID and static[identity.METHOD] == "static_key"
    assert check("/remove-bg", {"x-api-key": "s3cre"}, static_key="s3cret").status.code == code_pb2.UNAUTHENTICATED


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/users/me", {"error": "UNAUTHORIZED", "request_id": "rid-1"}),
        ("/remove-bg", {"error": "Unauthorized"}),
    ],
)
def test_no_credential_is_401_in_the_envelope_of_the_api(path, body):
    response = check(path, {})
    assert response.status.code == code_pb2.UNAUTHENTICATED
    assert response.denied_response.status.code == 401
    sent = json.loads(response.denied_response.body)
    assert {k: sent[k] for k in body} == body


@pytest.mark.parametrize("path", ["/health", "/v1/auth/login", "/v1/auth/register?x=1", "/.well-known/jwks.json", "/v1/files/results/a/image.png?expires=1"])
def test_open_paths_pass_without_identity(path):
    response = check(path, {"authorization": "Bearer stale.token.here"})
    assert response.status.code == code_pb2.OK
    assert identity.USER_ID not in added(response)
    assert identity.USER_ID in response.ok_response.headers_to_remove


def test_single_user_mode_is_the_local_admin():
    headers = added(check("/v1/process/remove-background", {}, required=False))
    assert headers[identity.USER_ID] == LOCAL_USER_ID and headers[identity.ROLE] == "admin"


@pytest.mark.parametrize("value", ["Basic dXNlcjpwYXNz", "Bearer", "Token abc"])
def test_other_authorization_schemes_are_refused(value):
    assert check("/v1/users/me", {"authorization": value}).denied_response.status.code == 401
