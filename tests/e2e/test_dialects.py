"""The dialects: each replaced system's API under its own base URL, in its own envelope
(services/runtime/envelopes.py), and under a hostname of its own (DIALECT_HOSTS).
Every field of every seed is the contract tests' (tests/contract/); these are the
dialect mechanics: which envelope answers where, and that base URLs and hosts agree."""

from __future__ import annotations

import io
import uuid

import pytest
import requests
from PIL import Image

from tests.conftest import register

pytestmark = pytest.mark.mesh


def _png(colour=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, "PNG")
    return out.getvalue()


def _assert_v1(response, status: int, code: str):
    body = response.json()
    assert response.status_code == status, response.text
    assert set(body) == {"error", "message", "details", "request_id"}, body
    assert body["error"] == code and body["request_id"] == response.headers["x-request-id"]


def _assert_lumiku(response, status: int, code: str):
    body = response.json()
    assert response.status_code == status, response.text
    assert set(body) == {"success", "error"} and body["success"] is False, body
    error = body["error"]
    assert set(error) == {"code", "message", "details", "timestamp", "requestId"}, error
    assert error["code"] == code and error["message"] and isinstance(error["details"], dict)
    assert error["requestId"] == response.headers["x-request-id"]
    assert error["timestamp"].endswith("Z") and error["timestamp"][:2] == "20"


def test_the_same_failed_login_answers_in_each_dialects_envelope(base_url, account):
    wrong = {"email": account["user"]["email"], "password": "not the password"}
    _assert_v1(requests.post(f"{base_url}/v1/auth/login", json=wrong, timeout=30), 401, "INVALID_CREDENTIALS")
    for base in ("/lumiku/v1", "/lumiku/api"):
        _assert_lumiku(requests.post(f"{base_url}{base}/auth/login", json=wrong, timeout=30), 401, "UNAUTHORIZED")
    fomi = requests.post(f"{base_url}/fomi/v1/auth/login", json=wrong, timeout=30)
    assert fomi.status_code == 401, fomi.text
    assert fomi.json() == {"success": False, "error": {"code": "AUTHENTICATION_FAILED", "message": fomi.json()["error"]["message"], "details": {}}}


def test_seed_004_accounts_in_its_shapes(base_url):
    email = f"fomi-{uuid.uuid4().hex[:10]}@example.com"
    made = requests.post(f"{base_url}/fomi/v1/auth/register", json={
        "email": email, "password": "securepassword123", "displayName": "John Doe", "avatar": "https://example.com/avatar.jpg",
    }, timeout=30)
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["success"] is True and isinstance(body["token"], str) and body["token"]
    user = body["user"]
    assert (user["email"], user["displayName"], user["avatar"]) == (email, "John Doe", "https://example.com/avatar.jpg")
    assert user["subscription"]["plan"] == "free" and user["subscription"]["credits"] == 100
    assert user["createdAt"].endswith("Z") and set(user["subscription"]) == {"plan", "credits", "expiresAt"}
    login = requests.post(f"{base_url}/fomi/v1/auth/login", json={"email": email, "password": "securepassword123"}, timeout=30)
    assert login.status_code == 200 and login.json()["user"]["id"] == user["id"], login.text
    refreshed = requests.post(f"{base_url}/fomi/v1/auth/refresh", json={"refreshToken": login.json()["refreshToken"]}, timeout=30)
    assert refreshed.status_code == 200 and refreshed.json()["token"], refreshed.text
    bearer = {"Authorization": f"Bearer {refreshed.json()['token']}"}
    out = requests.post(f"{base_url}/fomi/v1/auth/logout", headers=bearer, json={}, timeout=30)
    assert out.status_code == 200 and out.json() == {"success": True}, out.text
    # The logged-out session's refresh token is dead.
    again = requests.post(f"{base_url}/fomi/v1/auth/refresh", json={"refreshToken": refreshed.json()["refreshToken"]}, timeout=30)
    assert again.status_code == 401 and again.json()["error"]["code"] == "AUTHENTICATION_FAILED", again.text


def test_seed_001_login_gives_the_token_its_flow_reads(base_url, account):
    login = requests.post(
        f"{base_url}/lumiku/v1/auth/login",
        json={"email": account["user"]["email"], "password": account["password"]}, timeout=30,
    )
    assert login.status_code == 200, login.text
    body = login.json()
    assert body["success"] is True and body["user"]["email"] == account["user"]["email"]
    jobs = requests.get(
        f"{base_url}/lumiku/v1/background-remover/jobs", headers={"Authorization": f"Bearer {body['token']}"}, timeout=30
    )
    assert jobs.status_code == 200 and jobs.json()["data"]["pagination"]["total"] == 0, jobs.text


@pytest.mark.parametrize("base", ["/lumiku/v1", "/lumiku/api", "/v1"])
def test_seed_001_errors_made_by_the_edge_are_in_its_envelope(base_url, base):
    # No credential: ext_authz's 401, written by the auth service.
    _assert_lumiku(requests.get(f"{base_url}{base}/background-remover/jobs", timeout=30), 401, "UNAUTHORIZED")


def test_unknown_paths_answer_in_the_envelope_of_their_base(base_url, bearer):
    _assert_lumiku(requests.get(f"{base_url}/lumiku/v1/no-such-thing", headers=bearer, timeout=30), 404, "NOT_FOUND")
    _assert_v1(requests.get(f"{base_url}/v1/no-such-thing", headers=bearer, timeout=30), 404, "NOT_FOUND")
    fomi = requests.get(f"{base_url}/fomi/v1/no-such-thing", headers=bearer, timeout=30)
    assert fomi.status_code == 404 and fomi.json()["success"] is False and fomi.json()["error"]["code"] == "NOT_FOUND"
    assert set(fomi.json()["error"]) == {"code", "message", "details"}
    assert requests.get(f"{base_url}/remove-bg/no-such-thing", headers=bearer, timeout=30).json().keys() == {"error"}


def test_a_seed_001_upload_over_its_limit_is_its_400(base_url, bearer):
    big = b"\x89PNG\r\n\x1a\n" + bytes(11 * 1024 * 1024)
    response = requests.post(
        f"{base_url}/lumiku/v1/background-remover/remove", headers=bearer,
        files={"image": ("big.png", big, "image/png")}, data={"tier": "basic"}, timeout=60,
    )
    _assert_lumiku(response, 400, "FILE_TOO_LARGE")


def test_every_base_url_reaches_the_same_job(base_url, bearer):
    removed = requests.post(
        f"{base_url}/lumiku/api/background-remover/remove", headers=bearer,
        files={"image": ("red.png", _png(), "image/png")}, data={"tier": "basic"}, timeout=120,
    )
    assert removed.status_code == 200, removed.text
    job_id = removed.json()["data"]["jobId"]
    for base in ("/lumiku/v1", "/lumiku/api", "/v1"):
        job = requests.get(f"{base_url}{base}/background-remover/jobs/{job_id}", headers=bearer, timeout=30)
        assert job.status_code == 200 and job.json()["data"]["id"] == job_id, (base, job.text)
    # Another user's view: 404 in the envelope.
    other = requests.post(f"{base_url}/v1/auth/register", json={
        "email": f"other-{job_id[:8]}@example.com", "password": "correct horse battery", "name": "Other"}, timeout=30).json()
    _assert_lumiku(requests.get(f"{base_url}/lumiku/v1/background-remover/jobs/{job_id}",
                                headers={"Authorization": f"Bearer {other['token']}"}, timeout=30), 404, "JOB_NOT_FOUND")


def test_a_dialect_hostname_serves_the_dialect_at_its_own_base_path(base_url, account, bearer):
    """DIALECT_HOSTS=lumiku=lumiku.localhost: a seed 001 client configured with
    https://lumiku.localhost/v1 (its document's production form) works unchanged."""
    host = {"Host": "lumiku.localhost"}
    login = requests.post(
        f"{base_url}/v1/auth/login", headers=host,
        json={"email": account["user"]["email"], "password": account["password"]}, timeout=30,
    )
    assert login.status_code == 200 and login.json()["success"] is True and "token" in login.json(), login.text
    assert "refresh_token" not in login.json()  # seed 001's body, not /v1's
    wrong = requests.post(f"{base_url}/v1/auth/login", headers=host, json={"email": "x@example.com", "password": "nope"}, timeout=30)
    _assert_lumiku(wrong, 401, "UNAUTHORIZED")
    for path in ("/v1/background-remover/jobs", "/api/background-remover/jobs"):
        jobs = requests.get(f"{base_url}{path}", headers={**host, **bearer}, timeout=30)
        assert jobs.status_code == 200 and jobs.json()["success"] is True, (path, jobs.text)
    fomi = requests.get(f"{base_url}/v1/no-such-thing", headers={"Host": "fomi.localhost", **bearer}, timeout=30)
    assert fomi.status_code == 404 and set(fomi.json()["error"]) == {"code", "message", "details"}


def test_the_plans_hourly_limit_answers_in_the_dialects_envelope(base_url):
    """Free: 100 requests an hour on every route; the 101st under /lumiku is seed 001's 429."""
    headers = {"Authorization": f"Bearer {register(base_url)['token']}"}
    with requests.Session() as session:
        statuses = [session.get(f"{base_url}/lumiku/v1/nothing-here", headers=headers, timeout=30).status_code for _ in range(100)]
        refused = session.get(f"{base_url}/lumiku/v1/nothing-here", headers=headers, timeout=30)
    # The account's first request (register) counted too.
    assert statuses.count(404) >= 99 and set(statuses) <= {404, 429}, statuses
    _assert_lumiku(refused, 429, "RATE_LIMIT_EXCEEDED")
    assert refused.json()["error"]["details"]["window"] == "1 hour"
