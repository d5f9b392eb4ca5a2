"""The ext_authz decision, without servers: who passes, with which headers."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from types import SimpleNamespace

import pytest
from envoy.service.auth.v3 import external_auth_pb2
from google.rpc import code_pb2

from services.auth import tokens
from services.auth.edge import LOCAL_USER_ID, EdgeAuthorization, check_static_key
from services.runtime import identity
from services.runtime.config import ConfigError
from tests.unit.test_tokens import RING, USER

API_KEY = "bdp_" + "k" * 43
OWNER = SimpleNamespace(id=str(uuid.uuid4()), role="user", plan="pro")
SESSION = str(uuid.uuid4())


class FakeStore:
    """Live sessions: session id -> the user's role in the database."""

    def __init__(self):
        self.sessions = {SESSION: "user"}
        self.lookups = 0

    async def user_by_api_key(self, key_hash):
        return OWNER if key_hash == tokens.digest(API_KEY) else None

    async def session_role(self, user_id, family_id):
        self.lookups += 1
        return self.sessions.get(family_id) if user_id == USER.id else None


def request_of(path: str, headers: dict[str, str]) -> external_auth_pb2.CheckRequest:
    request = external_auth_pb2.CheckRequest()
    request.attributes.request.http.path = path
    request.attributes.request.http.headers.update({"x-request-id": "rid-1", **headers})
    request.attributes.source.address.socket_address.address = "203.0.113.7"
    return request


def check(path: str, headers: dict[str, str], required: bool = True, static_key: str = "", edge=None):
    edge = edge or EdgeAuthorization(FakeStore(), lambda: RING, required, static_key)
    return asyncio.run(edge.Check(request_of(path, headers), None))


def bearer(session: str = SESSION, user=USER) -> dict[str, str]:
    return {"authorization": f"Bearer {RING.issue(user, session)}"}


def added(response) -> dict[str, str]:
    return {h.header.key: h.header.value for h in response.ok_response.headers}


def test_a_valid_token_becomes_identity_headers_and_the_credential_is_dropped():
    response = check("/v1/users/me", bearer())
    assert response.status.code == code_pb2.OK
    headers = added(response)
    assert headers[identity.USER_ID] == USER.id and headers[identity.SESSION_ID] == SESSION
    assert headers[identity.METHOD] == "jwt" and headers[identity.CLIENT_IP] == "203.0.113.7"
    assert {"authorization", "x-api-key"} <= set(response.ok_response.headers_to_remove)


def test_api_keys_and_the_static_key():
    assert added(check("/v1/users/me", {"x-api-key": API_KEY}))[identity.USER_ID] == OWNER.id
    static = added(check("/remove-bg", {"x-api-key": "s3cret"}, static_key="s3cret"))
    assert static[identity.USER_ID] == LOCAL_USER_ID and static[identity.METHOD] == "static_key"
    assert check("/remove-bg", {"x-api-key": "s3cre"}, static_key="s3cret").status.code == code_pb2.UNAUTHENTICATED


def test_the_static_key_is_a_plain_user_of_the_configured_plan():
    edge = EdgeAuthorization(FakeStore(), lambda: RING, True, "s3cret-but-long-enough", static_plan="starter")
    static = added(check("/v1/admin/users", {"x-api-key": "s3cret-but-long-enough"}, edge=edge))
    assert (static[identity.ROLE], static[identity.PLAN]) == ("user", "starter")
    assert edge.is_static_key("s3cret-but-long-enough") and not edge.is_static_key("s3cret-but-long-enougH")


@pytest.mark.parametrize("key", ["change-me", "short-key-12", "your-api-key-here", "YOUR-API-KEY-HERE"])
def test_a_weak_static_key_is_refused_at_start_up(key):
    with pytest.raises(ConfigError, match="API_KEY is too weak"):
        check_static_key(key, allow_weak=False)
    check_static_key(key, allow_weak=True)  # a test install may say so


def test_a_long_random_static_key_and_no_key_start():
    check_static_key("9f2c41d7a0b84e6c93d1", allow_weak=False)
    check_static_key("", allow_weak=False)


def test_a_token_of_an_ended_session_is_refused_and_forgetting_is_at_once():
    store = FakeStore()
    edge = EdgeAuthorization(store, lambda: RING, True, "", session_cache_s=60)
    assert check("/v1/users/me", bearer(), edge=edge).status.code == code_pb2.OK
    del store.sessions[SESSION]  # logout, refresh reuse or a password change
    assert check("/v1/users/me", bearer(), edge=edge).status.code == code_pb2.OK  # cached for the TTL...
    edge.forget(session_id=SESSION)  # ...unless this replica revoked it
    refused = check("/v1/users/me", bearer(), edge=edge)
    assert refused.denied_response.status.code == 401
    assert json.loads(refused.denied_response.body)["error"] == "SESSION_ENDED"
    assert check("/v1/users/me", bearer(session=str(uuid.uuid4())), edge=edge).denied_response.status.code == 401


def test_the_session_state_is_cached_for_its_ttl_only():
    store = FakeStore()
    edge = EdgeAuthorization(store, lambda: RING, True, "", session_cache_s=0.2)
    for _ in range(3):
        assert check("/v1/users/me", bearer(), edge=edge).status.code == code_pb2.OK
    assert store.lookups == 1
    time.sleep(0.25)
    del store.sessions[SESSION]
    assert check("/v1/users/me", bearer(), edge=edge).denied_response.status.code == 401
    assert store.lookups == 2


def test_the_role_comes_from_the_database_not_the_token():
    store = FakeStore()
    edge = EdgeAuthorization(store, lambda: RING, True, "")
    was_admin = SimpleNamespace(id=USER.id, email=USER.email, role="admin", plan="free")
    token = bearer(user=was_admin)  # signed while an admin; demoted since
    assert added(check("/v1/admin/users", token, edge=edge))[identity.ROLE] == "user"
    store.sessions[SESSION] = "admin"
    edge.forget(user_id=USER.id)
    assert added(check("/v1/admin/users", bearer(), edge=edge))[identity.ROLE] == "admin"


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
