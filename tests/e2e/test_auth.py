"""Accounts, sessions, API keys and authentication at the edge, through Envoy."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import textwrap
import time
import uuid

import grpc
import jwt
import psycopg
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from backdrop.jobs.v1 import jobs_pb2, jobs_pb2_grpc
from tests.conftest import REPO, STATIC_API_KEY, register

pytestmark = pytest.mark.mesh


def assert_error(response: requests.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == code, body
    return body


def login(base_url, email, password) -> requests.Response:
    return requests.post(f"{base_url}/v1/auth/login", json={"email": email, "password": password}, timeout=30)


def me(base_url, headers) -> requests.Response:
    return requests.get(f"{base_url}/v1/users/me", headers=headers, timeout=30)


# --- register, login --------------------------------------------------------


def test_register_returns_201_with_tokens_and_the_user(base_url):
    email = f"new-{uuid.uuid4().hex[:8]}@Example.com"
    response = requests.post(
        f"{base_url}/v1/auth/register", json={"email": email, "password": "password123", "name": "Ann Example"}, timeout=30
    )
    assert response.status_code == 201
    body = response.json()
    assert body["success"] is True and body["token"].count(".") == 2 and body["refresh_token"]
    assert body["user"]["email"] == email.lower() and body["user"]["name"] == "Ann Example"
    assert body["user"]["plan"] == "free" and body["user"]["created_at"].endswith("Z")
    assert me(base_url, {"Authorization": f"Bearer {body['token']}"}).json()["id"] == body["user"]["id"]


def test_seed_004_register_fields_are_accepted(base_url):
    body = register(base_url, name="", displayName="John Doe", avatar="https://example.com/avatar.jpg")
    assert body["user"]["name"] == "John Doe" and body["user"]["avatar"] == "https://example.com/avatar.jpg"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email", "password": "password123", "name": "Ann"}, "email"),
        ({"email": "short@example.com", "password": "short", "name": "Ann"}, "password"),
        ({"email": "noname@example.com", "password": "password123"}, "name"),
        ({"email": "x" * 300 + "@example.com", "password": "password123", "name": "Ann"}, "email"),
        ({"email": "avatar@example.com", "password": "password123", "name": "Ann", "avatar": "javascript:alert(1)"}, "avatar"),
    ],
)
def test_register_validates_its_fields(base_url, body, field):
    response = requests.post(f"{base_url}/v1/auth/register", json=body, timeout=30)
    assert response.status_code == 400, response.text
    assert response.json()["details"]["field"] == field


def test_malformed_json_is_400_in_the_envelope(base_url):
    response = requests.post(
        f"{base_url}/v1/auth/register", data=b'{"email": ', headers={"content-type": "application/json"}, timeout=30
    )
    body = assert_error(response, 400, "INVALID_REQUEST")
    assert body["request_id"] == response.headers["x-request-id"]


def test_a_field_of_the_wrong_type_is_named(base_url):
    response = requests.post(f"{base_url}/v1/auth/register", json={"email": 5, "password": "password123"}, timeout=30)
    assert assert_error(response, 400, "INVALID_REQUEST")["details"]["field"] == "email"


def test_oversized_json_is_413(base_url):
    response = requests.post(f"{base_url}/v1/auth/register", json={"name": "a" * 70_000}, timeout=30)
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")


def test_taken_email_is_409(base_url, account):
    response = requests.post(
        f"{base_url}/v1/auth/register",
        json={"email": account["user"]["email"].upper(), "password": "password123", "name": "Other"},
        timeout=30,
    )
    assert_error(response, 409, "EMAIL_TAKEN")


def test_login_and_the_same_401_for_a_wrong_password_or_an_unknown_email(base_url, account):
    ok = login(base_url, account["user"]["email"], account["password"])
    assert ok.status_code == 200 and ok.json()["user"]["id"] == account["user"]["id"]
    wrong = assert_error(login(base_url, account["user"]["email"], "wrong password"), 401, "INVALID_CREDENTIALS")
    unknown = assert_error(login(base_url, "nobody-here@example.com", "wrong password"), 401, "INVALID_CREDENTIALS")
    assert wrong["message"] == unknown["message"]


def test_repeated_failures_back_off_with_retry_after(base_url, account):
    email = account["user"]["email"]
    for _ in range(5):
        assert login(base_url, email, "wrong password").status_code == 401
    assert login(base_url, email, "wrong password").status_code == 401  # the 6th failure starts the backoff
    blocked = login(base_url, email, account["password"])
    assert_error(blocked, 429, "RATE_LIMIT_EXCEEDED")
    assert int(blocked.headers["retry-after"]) >= 1
    time.sleep(int(blocked.headers["retry-after"]) + 0.2)
    assert login(base_url, email, account["password"]).status_code == 200


# --- sessions ---------------------------------------------------------------


def refresh(base_url, token) -> requests.Response:
    return requests.post(f"{base_url}/v1/auth/refresh", json={"refreshToken": token}, timeout=30)


def test_refresh_rotates_and_reuse_revokes_the_family(base_url, account):
    first = account["refresh_token"]
    rotated = refresh(base_url, first)
    assert rotated.status_code == 200
    second = rotated.json()["refresh_token"]
    assert second != first and me(base_url, {"Authorization": f"Bearer {rotated.json()['token']}"}).status_code == 200

    assert_error(refresh(base_url, first), 401, "INVALID_TOKEN")  # reuse of a rotated token...
    assert_error(refresh(base_url, second), 401, "INVALID_TOKEN")  # ...revokes the whole family


def test_logout_revokes_the_sessions_refresh_tokens(base_url, account, bearer):
    other_session = login(base_url, account["user"]["email"], account["password"]).json()
    response = requests.post(f"{base_url}/v1/auth/logout", headers=bearer, timeout=30)
    assert response.status_code == 200 and response.json()["success"] is True
    assert_error(refresh(base_url, account["refresh_token"]), 401, "INVALID_TOKEN")
    assert refresh(base_url, other_session["refresh_token"]).status_code == 200  # another session lives on


def test_profile_update_and_password_change(base_url, account, bearer):
    updated = requests.patch(
        f"{base_url}/v1/users/me", json={"name": "New Name", "avatar": "https://example.com/a.png"}, headers=bearer, timeout=30
    )
    assert updated.status_code == 200 and updated.json()["name"] == "New Name"
    refused = requests.patch(
        f"{base_url}/v1/users/me", json={"current_password": "not it", "new_password": "another password"}, headers=bearer, timeout=30
    )
    assert refused.status_code == 400 and refused.json()["details"]["field"] == "current_password"
    changed = requests.patch(
        f"{base_url}/v1/users/me",
        json={"current_password": account["password"], "new_password": "another password"},
        headers=bearer,
        timeout=30,
    )
    assert changed.status_code == 200
    assert login(base_url, account["user"]["email"], "another password").status_code == 200
    assert login(base_url, account["user"]["email"], account["password"]).status_code == 401


# --- API keys ---------------------------------------------------------------


def test_api_keys_are_shown_once_listed_without_secret_and_revocable(base_url, account, bearer):
    created = requests.post(f"{base_url}/v1/api-keys", json={"name": "ci"}, headers=bearer, timeout=30)
    assert created.status_code == 201
    key = created.json()["key"]
    key_id = created.json()["api_key"]["id"]
    assert key.startswith("bdp_") and len(key) > 40

    listed = requests.get(f"{base_url}/v1/api-keys", headers=bearer, timeout=30).json()["api_keys"]
    assert [k["id"] for k in listed] == [key_id]
    assert key not in json.dumps(listed) and listed[0]["prefix"] == key[:10]

    assert me(base_url, {"X-API-Key": key}).json()["id"] == account["user"]["id"]
    deleted = requests.delete(f"{base_url}/v1/api-keys/{key_id}", headers=bearer, timeout=30)
    assert deleted.status_code == 200
    assert_error(me(base_url, {"X-API-Key": key}), 401, "INVALID_TOKEN")


def test_keys_are_stored_hashed(mesh, base_url, bearer):
    key = requests.post(f"{base_url}/v1/api-keys", json={"name": "x"}, headers=bearer, timeout=30).json()["key"]
    with psycopg.connect(mesh.service_env()["DATABASE_URL"]) as conn:
        dump = conn.execute("SELECT string_agg(encode(key_hash, 'hex') || prefix, ',') FROM api_keys").fetchone()[0]
        hashes = conn.execute("SELECT string_agg(password_hash, ',') FROM users").fetchone()[0]
    assert key not in dump and "$argon2id$" in hashes


def test_a_user_sees_only_their_own_keys_and_jobs(mesh, base_url, bearer, photo):
    other = {"Authorization": f"Bearer {register(base_url)['token']}"}
    key_id = requests.post(f"{base_url}/v1/api-keys", json={"name": "mine"}, headers=bearer, timeout=30).json()["api_key"]["id"]
    assert requests.get(f"{base_url}/v1/api-keys", headers=other, timeout=30).json()["api_keys"] == []
    assert_error(requests.delete(f"{base_url}/v1/api-keys/{key_id}", headers=other, timeout=30), 404, "API_KEY_NOT_FOUND")

    job = requests.post(f"{base_url}/v1/process/remove-background", files={"file": ("p.jpg", photo)}, headers=bearer, timeout=120)
    job_id = job.json()["id"]
    mine = requests.get(f"{base_url}/v1/process/jobs/{job_id}", headers=bearer, timeout=30)
    assert mine.status_code == 200 and mine.json()["status"] == "completed" and mine.json()["progress"] == 100
    assert mine.json()["results"][0]["id"] == job_id
    assert_error(requests.get(f"{base_url}/v1/process/jobs/{job_id}", headers=other, timeout=30), 404, "JOB_NOT_FOUND")
    assert_error(requests.get(f"{base_url}/v1/process/jobs/not-a-uuid", headers=bearer, timeout=30), 404, "JOB_NOT_FOUND")
    owner = me(base_url, bearer).json()["id"]
    stranger = me(base_url, other).json()["id"]
    with grpc.insecure_channel(f"127.0.0.1:{mesh.ports.orchestrator}") as channel:
        jobs = jobs_pb2_grpc.JobServiceStub(channel)
        assert jobs.GetJob(jobs_pb2.GetJobRequest(job_id=job_id, owner_id=owner), timeout=5).status == jobs_pb2.JOB_STATUS_COMPLETED
        with pytest.raises(grpc.RpcError) as caught:
            jobs.GetJob(jobs_pb2.GetJobRequest(job_id=job_id, owner_id=stranger), timeout=5)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


# --- the edge -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [("GET", "/v1/users/me", None), ("GET", "/v1/api-keys", None), ("POST", "/v1/process/remove-background", None), ("POST", "/v1/auth/logout", None)],
)
def test_protected_endpoints_need_credentials(base_url, method, path, body):
    response = requests.request(method, f"{base_url}{path}", timeout=30)
    body = assert_error(response, 401, "UNAUTHORIZED")
    assert body["request_id"] == response.headers["x-request-id"]


def test_seed_002_endpoint_answers_its_own_401_body(base_url, photo):
    response = requests.post(f"{base_url}/remove-bg", files={"image": ("p.jpg", photo)}, timeout=30)
    assert response.status_code == 401 and response.json() == {"error": "Unauthorized"}


def test_open_endpoints_and_the_public_key_set(base_url, account):
    assert requests.get(f"{base_url}/health", timeout=10).status_code == 200
    keys = requests.get(f"{base_url}/.well-known/jwks.json", timeout=10).json()["keys"]
    kid = jwt.get_unverified_header(account["token"])["kid"]
    (jwk,) = [k for k in keys if k["kid"] == kid]
    assert jwk["kty"] == "OKP" and jwk["crv"] == "Ed25519" and jwk["alg"] == "EdDSA"
    public = jwt.PyJWK(jwk).key
    claims = jwt.decode(account["token"], public, algorithms=["EdDSA"], audience="backdrop-api", issuer="backdrop")
    assert claims["sub"] == account["user"]["id"] and claims["exp"] - claims["iat"] == 900


def live_signing_key(mesh) -> tuple[str, Ed25519PrivateKey]:
    """The service's own key, read from its table: to make well-signed tokens with bad claims."""
    with psycopg.connect(mesh.service_env()["DATABASE_URL"]) as conn:
        kid, pem = conn.execute("SELECT kid, private_pem FROM signing_keys WHERE retired_at IS NULL").fetchone()
    passphrase = mesh.env_of("auth")["SIGNING_KEY_PASSPHRASE"].encode()  # sealed at rest
    return kid, serialization.load_pem_private_key(bytes(pem), password=passphrase)


def b64(data: dict | bytes) -> str:
    raw = json.dumps(data).encode() if isinstance(data, dict) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def bad_tokens(mesh, account) -> dict[str, tuple[str, str]]:
    kid, key = live_signing_key(mesh)
    now = int(time.time())
    good = jwt.decode(account["token"], options={"verify_signature": False})
    header, payload, signature = account["token"].split(".")

    def signed(claims, signing_key=key, headers=None):
        return jwt.encode(claims, signing_key, algorithm="EdDSA", headers=headers or {"kid": kid})

    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return {
        "alg none": (b64({"alg": "none", "kid": kid}) + "." + payload + ".", "INVALID_TOKEN"),
        "wrong signature": (f"{header}.{payload}.{signature[:-4]}AAAA", "INVALID_TOKEN"),
        "another key, same kid": (signed(good, Ed25519PrivateKey.generate()), "INVALID_TOKEN"),
        "unknown kid": (signed(good, headers={"kid": "someone-else"}), "INVALID_TOKEN"),
        "HS256 with the public key": (
            b64({"alg": "HS256", "kid": kid}) + "." + payload + "." + b64(__import__("hmac").new(public_pem, f"{b64({'alg': 'HS256', 'kid': kid})}.{payload}".encode(), "sha256").digest()),
            "INVALID_TOKEN",
        ),
        "wrong issuer": (signed({**good, "iss": "someone-else"}), "INVALID_TOKEN"),
        "wrong audience": (signed({**good, "aud": "another-api"}), "INVALID_TOKEN"),
        "expired": (signed({**good, "iat": now - 3600, "nbf": now - 3600, "exp": now - 60}), "TOKEN_EXPIRED"),
        "not yet valid": (signed({**good, "nbf": now + 3600, "exp": now + 7200}), "INVALID_TOKEN"),
        "malformed base64": ("eyJ!!!.###.$$$", "INVALID_TOKEN"),
        "payload swapped": (f"{header}.{b64({**good, 'sub': str(uuid.uuid4())})}.{signature}", "INVALID_TOKEN"),
    }


@pytest.mark.parametrize(
    "case",
    ["alg none", "wrong signature", "another key, same kid", "unknown kid", "HS256 with the public key", "wrong issuer",
     "wrong audience", "expired", "not yet valid", "malformed base64", "payload swapped"],
)
def test_bad_tokens_are_401(mesh, base_url, account, case):
    token, code = bad_tokens(mesh, account)[case]
    assert_error(me(base_url, {"Authorization": f"Bearer {token}"}), 401, code)


def test_forged_identity_headers_never_reach_a_service(base_url, account, bearer):
    victim = register(base_url)["user"]["id"]
    forged = {"X-Backdrop-User-Id": victim, "X-Backdrop-Role": "admin", "X-Backdrop-Auth-Method": "jwt"}
    assert_error(me(base_url, forged), 401, "UNAUTHORIZED")
    assert me(base_url, {**bearer, **forged}).json()["id"] == account["user"]["id"]
    assert_error(requests.get(f"{base_url}/v1/admin/users", headers={**bearer, **forged}, timeout=30), 403, "FORBIDDEN")


def test_static_api_key_of_seed_002(base_url):
    assert me(base_url, {"X-API-Key": STATIC_API_KEY}).json()["email"] == "local@backdrop.invalid"
    assert_error(me(base_url, {"X-API-Key": "not-the-key"}), 401, "INVALID_TOKEN")


def test_admin_endpoints_and_the_first_admin_by_command(base_url, bearer, admin_bearer):
    assert_error(requests.get(f"{base_url}/v1/admin/users", headers=bearer, timeout=30), 403, "FORBIDDEN")
    users = requests.get(f"{base_url}/v1/admin/users?limit=100", headers=admin_bearer, timeout=30)
    assert users.status_code == 200 and users.json()["total"] >= 2
    assert "admin" in {u["role"] for u in users.json()["users"]}


def test_key_rotation_logs_nobody_out(mesh, base_url, account, bearer):
    env = {**os.environ, **mesh.service_env()}
    rotated = subprocess.run(
        [str(REPO / ".venv" / "bin" / "python"), "-m", "services.auth.cli", "rotate-keys"],
        env=env, capture_output=True, text=True, cwd=REPO, timeout=60,
    )
    assert rotated.returncode == 0, rotated.stderr
    old_kid = jwt.get_unverified_header(account["token"])["kid"]

    def new_kid():
        fresh = login(base_url, account["user"]["email"], account["password"]).json()["token"]
        kid = jwt.get_unverified_header(fresh)["kid"]
        return fresh if kid != old_kid else None

    deadline = time.monotonic() + 30
    while (fresh := new_kid()) is None:
        assert time.monotonic() < deadline, "the new key never started signing"
        time.sleep(1)
    assert me(base_url, bearer).status_code == 200  # signed by the old key, still valid
    assert me(base_url, {"Authorization": f"Bearer {fresh}"}).status_code == 200
    kids = {k["kid"] for k in requests.get(f"{base_url}/.well-known/jwks.json", timeout=10).json()["keys"]}
    assert {old_kid, jwt.get_unverified_header(fresh)["kid"]} <= kids


# --- the seeds' login flows, as written ----------------------------------------


def test_seed_000_and_004_login_then_process(base_url, account, photo):
    """Seed 000 (and 004's same /auth/login): log in, then the token on a processing call."""
    base = f"{base_url}/v1"
    token = requests.post(f"{base}/auth/login", json={"email": account["user"]["email"], "password": account["password"]}).json()["token"]
    result = requests.post(
        f"{base}/process/remove-background", headers={"Authorization": f"Bearer {token}"}, files={"file": ("p.jpg", photo)}
    )
    assert result.status_code == 200 and result.json()["metadata"]["width"] == 512


def test_seed_001_login_flow_in_javascript(base_url, account, photo, tmp_path):
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is needed to run seed 001's login flow")
    script = textwrap.dedent(
        """
        const fs = require('fs');
        (async () => {
        // 1. Login to get token
        const loginResponse = await fetch('BASE/auth/login', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({
            email: 'EMAIL',
            password: 'PASSWORD'
          })
        })

        const { token } = await loginResponse.json()

        // Seed 001 also sets 'Content-Type': 'multipart/form-data' by hand, which drops
        // the boundary fetch adds, so no server can parse that body; it is left out.
        const formData = new FormData();
        formData.append('file', new Blob([fs.readFileSync('photo.jpg')], {type: 'image/jpeg'}), 'photo.jpg');
        // 2. Use token in subsequent requests
        const response = await fetch('BASE/process/remove-background', {
          method: 'POST',
          headers: {
            'Authorization': `Bearer ${token}`,
          },
          body: formData
        })
        console.log(response.status, (await response.json()).metadata.width);
        })();
        """
    ).replace("BASE", f"{base_url}/v1").replace("EMAIL", account["user"]["email"]).replace("PASSWORD", account["password"])
    (tmp_path / "flow.js").write_text(script)
    (tmp_path / "photo.jpg").write_bytes(photo)
    result = subprocess.run([node, "flow.js"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "200 512"
