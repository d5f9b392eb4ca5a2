"""The auth service under attack, through Envoy: hashing floods, ended sessions, the static key,
the first admin, targeted lockout (review findings H2, H8, M1, M2, M6, L9)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import http.client
import json
import os
import random
import subprocess
import time
import urllib.parse
import uuid

import psycopg
import pytest
import requests

from tests.conftest import REPO, STATIC_API_KEY, register

pytestmark = pytest.mark.mesh


def login(base_url, email, password) -> requests.Response:
    return requests.post(f"{base_url}/v1/auth/login", json={"email": email, "password": password}, timeout=30)


def me(base_url, token: str) -> requests.Response:
    return requests.get(f"{base_url}/v1/users/me", headers={"Authorization": f"Bearer {token}"}, timeout=30)


def refused_soon(base_url, token: str) -> requests.Response:
    """The answer to an ended session's token: at once on this replica, within SESSION_CACHE_S (2 s) on others."""
    deadline = time.monotonic() + 3
    while (answer := me(base_url, token)).status_code == 200 and time.monotonic() < deadline:
        time.sleep(0.2)
    return answer


def assert_ended(answer: requests.Response) -> None:
    assert answer.status_code == 401, answer.text
    assert answer.json()["error"] == "SESSION_ENDED"


# --- H2: a hashing flood is answered 429, and everything else keeps working ---------


def test_a_register_flood_gets_201_or_429_and_authenticated_requests_keep_working(base_url, account):
    def one_register(_):
        body = {"email": f"flood-{uuid.uuid4().hex[:12]}@example.com", "password": "correct horse battery", "name": "Flood"}
        answer = requests.post(f"{base_url}/v1/auth/register", json=body, timeout=60)
        return answer.status_code, answer.headers.get("retry-after"), answer.json()

    with concurrent.futures.ThreadPoolExecutor(max_workers=48) as pool:
        flood = [pool.submit(one_register, n) for n in range(40)]
        time.sleep(0.2)  # the flood is under way
        started = time.monotonic()
        during = me(base_url, account["token"])
        took = time.monotonic() - started
        answers = [f.result() for f in flood]
    assert during.status_code == 200 and during.json()["id"] == account["user"]["id"]
    assert took < 5, f"ext_authz and the profile took {took:.1f} s during the flood"
    assert {status for status, _, _ in answers} <= {201, 429}, answers
    for status, retry_after, body in answers:
        if status == 429:
            assert body["error"] in {"AUTH_BUSY", "RATE_LIMIT_EXCEEDED"} and int(retry_after) >= 1
        else:
            assert body["token"] and body["user"]["email"].startswith("flood-")


# --- M1: an ended session's access tokens stop at once -------------------------------


def test_after_logout_the_access_token_is_refused(base_url, account):
    other = login(base_url, account["user"]["email"], account["password"]).json()
    out = requests.post(f"{base_url}/v1/auth/logout", headers={"Authorization": f"Bearer {account['token']}"}, timeout=30)
    assert out.status_code == 200
    assert_ended(refused_soon(base_url, account["token"]))
    assert me(base_url, other["token"]).status_code == 200  # another session lives on


def test_refresh_reuse_ends_the_access_tokens_of_the_family(base_url, account):
    rotated = requests.post(f"{base_url}/v1/auth/refresh", json={"refreshToken": account["refresh_token"]}, timeout=30).json()
    assert me(base_url, rotated["token"]).status_code == 200
    reused = requests.post(f"{base_url}/v1/auth/refresh", json={"refreshToken": account["refresh_token"]}, timeout=30)
    assert reused.status_code == 401
    assert_ended(refused_soon(base_url, rotated["token"]))


def test_a_password_change_ends_every_other_session(base_url, account):
    stolen = login(base_url, account["user"]["email"], account["password"]).json()  # the attacker's session
    changed = requests.patch(
        f"{base_url}/v1/users/me",
        json={"current_password": account["password"], "new_password": "a brand new password"},
        headers={"Authorization": f"Bearer {account['token']}"},
        timeout=30,
    )
    assert changed.status_code == 200, changed.text
    assert_ended(refused_soon(base_url, stolen["token"]))
    assert requests.post(f"{base_url}/v1/auth/refresh", json={"refreshToken": stolen["refresh_token"]}, timeout=30).status_code == 401
    assert me(base_url, account["token"]).status_code == 200  # the session that changed it stays
    refreshed = requests.post(f"{base_url}/v1/auth/refresh", json={"refreshToken": account["refresh_token"]}, timeout=30)
    assert refreshed.status_code == 200


# --- H8: the static key is a plain user ----------------------------------------------


def test_the_static_key_is_not_an_admin(base_url):
    key = {"X-API-Key": STATIC_API_KEY}
    assert requests.get(f"{base_url}/v1/users/me", headers=key, timeout=30).json()["role"] == "user"
    for method, path, body in [("GET", "/v1/admin/users", None), ("GET", "/v1/admin/stats", None),
                               ("POST", "/v1/admin/credits", {"userId": str(uuid.uuid4()), "amount": 1000})]:
        answer = requests.request(method, f"{base_url}{path}", json=body, headers=key, timeout=30)
        assert answer.status_code == 403, (path, answer.text)
        assert answer.json()["error"] == "FORBIDDEN"


# --- M2: the first admin by command ----------------------------------------------------


def create_admin(mesh, email: str, password: str, *flags: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **mesh.service_env(), "ADMIN_PASSWORD": password}
    return subprocess.run(
        [str(REPO / ".venv" / "bin" / "python"), "-m", "services.auth.cli", "create-admin", "--email", email, *flags],
        env=env, capture_output=True, text=True, cwd=REPO, timeout=60,
    )


def test_create_admin_promotes_an_existing_account_only_when_told_and_takes_it_over(mesh, base_url):
    squatter = register(base_url)  # registered the admin's email before the operator ran the command
    email = squatter["user"]["email"]
    key = requests.post(f"{base_url}/v1/api-keys", json={"name": "mine"}, headers={"Authorization": f"Bearer {squatter['token']}"}, timeout=30).json()["key"]

    refused = create_admin(mesh, email, "operator password 1")
    assert refused.returncode == 3
    assert "already registered" in refused.stderr and "--promote-existing" in refused.stderr
    assert squatter["user"]["created_at"][:19] in refused.stderr  # when it was created, to check it
    assert me(base_url, squatter["token"]).json()["role"] == "user"

    promoted = create_admin(mesh, email, "operator password 1", "--promote-existing")
    assert promoted.returncode == 0, promoted.stderr
    assert squatter["user"]["created_at"][:19] in promoted.stdout and "now an admin" in promoted.stdout
    assert login(base_url, email, squatter["password"]).status_code == 401  # the squatter's password is gone
    assert_ended(refused_soon(base_url, squatter["token"]))
    assert requests.get(f"{base_url}/v1/users/me", headers={"X-API-Key": key}, timeout=30).status_code == 401
    operator = login(base_url, email, "operator password 1").json()["token"]
    assert requests.get(f"{base_url}/v1/admin/users", headers={"Authorization": f"Bearer {operator}"}, timeout=30).status_code == 200


# --- M6: nobody can lock a user out from elsewhere -------------------------------------


def login_from(base_url: str, source: str, email: str, password: str) -> int:
    url = urllib.parse.urlsplit(base_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30, source_address=(source, 0))
    try:
        body = json.dumps({"email": email, "password": password})
        connection.request("POST", "/v1/auth/login", body=body, headers={"Content-Type": "application/json"})
        return connection.getresponse().status
    finally:
        connection.close()


def test_failures_from_another_address_do_not_lock_the_user_out(base_url, account):
    email = account["user"]["email"]
    attacker = f"127.{random.randint(1, 254)}.{random.randint(1, 254)}.{random.randint(2, 254)}"
    for _ in range(6):  # past the account's 5 free failures, from that address
        assert login_from(base_url, attacker, email, "guessing wrong") == 401
    assert login_from(base_url, attacker, email, account["password"]) == 429  # blocked there...
    assert login(base_url, email, account["password"]).status_code == 200  # ...not for the user


# --- L9: login failures are forgotten -------------------------------------------------


def test_old_login_failures_are_pruned_and_live_blocks_kept(mesh, monkeypatch):
    """The query the auth service runs every LOGIN_FAILURES_PRUNE_S (600 s), on the mesh's database."""
    from services.auth.store import AuthStore
    from services.runtime import db

    url = mesh.service_env()["DATABASE_URL"]
    monkeypatch.setenv("DATABASE_URL", url)
    old, blocked = f"account:old-{uuid.uuid4().hex}|x", f"account:blocked-{uuid.uuid4().hex}|x"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO login_failures (subject, failures, blocked_until, updated_at) VALUES "
            "(%s, 3, NULL, now() - interval '1 hour'), (%s, 9, now() + interval '10 minutes', now() - interval '1 hour')",
            (old, blocked),
        )

    async def prune():
        engine = db.engine()
        try:
            return await AuthStore(engine).prune_failures()
        finally:
            await engine.dispose()

    assert asyncio.run(prune()) >= 1
    with psycopg.connect(url) as conn:
        left = {row[0] for row in conn.execute("SELECT subject FROM login_failures WHERE subject IN (%s, %s)", (old, blocked))}
    assert left == {blocked}
