"""Seed 004's accounts and settings at /fomi/v1 as its frontend calls them: register,
GET/PUT /settings, two-factor authentication (TOTP) and the password change.

The TOTP codes are computed here, independently of services/auth/totp.py, as an
authenticator app would from the secret the enrolment returned."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import time
import urllib.parse
import uuid

import psycopg
import pytest
import requests

from tests.contract.accounts import on_plan
from tests.contract.shapes import DATETIME, URI, assert_shape

pytestmark = pytest.mark.mesh

PASSWORD = "securepassword123"
SETTINGS = {
    "success": bool,
    "settings": {
        "profile": {"displayName": str, "avatar": str, "bio": str, "website": str},
        "preferences": {
            "theme": str, "language": str, "timezone": str,
            "notifications": {"email": bool, "push": bool, "generationComplete": bool, "trainingComplete": bool},
        },
        "security": {"twoFactorEnabled": bool, "lastPasswordChange": str},
    },
}


def authenticator_code(secret: str, at: float) -> str:
    """RFC 6238 as an authenticator app computes it: HMAC-SHA1 of the 30 s counter, 6 digits."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    digest = hmac.new(key, (int(at) // 30).to_bytes(8, "big"), hashlib.sha1).digest()
    offset = digest[19] & 0x0F
    return f"{(int.from_bytes(digest[offset:offset + 4], 'big') & 0x7FFFFFFF) % 1_000_000:06d}"


def fomi_register(base_url: str, **fields) -> dict:
    body = {
        "email": f"fomi-{uuid.uuid4().hex[:12]}@example.com", "password": PASSWORD, "displayName": "John Doe",
        "avatar": "https://example.com/avatar.jpg", **fields,
    }
    made = requests.post(f"{base_url}/fomi/v1/auth/register", json=body, timeout=30)
    assert made.status_code == 201, made.text
    return {**made.json(), "email": body["email"], "password": PASSWORD, "bearer": {"Authorization": f"Bearer {made.json()['token']}"}}


def paid(base_url: str) -> dict:
    """An account on the pro plan, as fomi_register's: seed 004's free plan allows 10 requests a
    minute, fewer than some tests here make. Its token is a fresh login's, which carries the plan."""
    account = on_plan(base_url, "pro")
    email = account["user"]["email"]
    fresh = login(base_url, email, account["password"])
    assert fresh.status_code == 200 and fresh.json()["user"]["subscription"]["plan"] == "pro", fresh.text
    return {**fresh.json(), "email": email, "password": account["password"],
            "bearer": {"Authorization": f"Bearer {fresh.json()['token']}"}}


def login(base_url: str, email: str, password: str, **fields) -> requests.Response:
    return requests.post(f"{base_url}/fomi/v1/auth/login", json={"email": email, "password": password, **fields}, timeout=30)


def settings(base_url: str, bearer: dict) -> requests.Response:
    return requests.get(f"{base_url}/fomi/v1/settings", headers=bearer, timeout=30)


def put(base_url: str, part: str, bearer: dict, body: dict) -> requests.Response:
    return requests.put(f"{base_url}/fomi/v1/settings/{part}", headers=bearer, json=body, timeout=30)


def assert_error(response: requests.Response, status: int, code: str, **details) -> dict:
    """Seed 004's {success: false, error: {code, message, details}}, with these details."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"success", "error"} and body["success"] is False, body
    error = body["error"]
    assert set(error) == {"code", "message", "details"} and error["code"] == code, error
    assert isinstance(error["message"], str) and error["message"], error
    assert {k: error["details"].get(k) for k in details} == details, error
    return error


def ok(response: requests.Response) -> dict:
    assert response.status_code == 200, response.text
    body = response.json()
    assert_shape(body, SETTINGS)
    assert body["success"] is True
    return body["settings"]


def test_register_answers_the_seeds_body(base_url):
    made = fomi_register(base_url)
    assert_shape(made, {"success": bool, "token": str, "user": {
        "id": str, "email": str, "displayName": str, "avatar": str, "createdAt": DATETIME,
        "subscription": {"plan": str, "credits": int, "expiresAt": str},
    }})
    user = made["user"]
    assert made["success"] is True and made["token"].count(".") == 2  # a JWT
    assert set(user) == {"id", "email", "displayName", "avatar", "subscription", "createdAt"}
    assert set(user["subscription"]) == {"plan", "credits", "expiresAt"}
    assert (user["email"], user["displayName"], user["avatar"]) == (made["email"], "John Doe", "https://example.com/avatar.jpg")
    assert user["subscription"]["plan"] == "free" and user["subscription"]["credits"] > 0
    created = dt.datetime.fromisoformat(user["createdAt"].replace("Z", "+00:00"))
    assert abs((dt.datetime.now(dt.UTC) - created).total_seconds()) < 120


def test_settings_of_a_new_account(base_url):
    made = fomi_register(base_url)
    shown = ok(settings(base_url, made["bearer"]))
    # The password was set at registration: that is its last change until it changes.
    set_at = _when(shown["security"].pop("lastPasswordChange"))
    assert abs((set_at - _when(made["user"]["createdAt"])).total_seconds()) < 1
    shown["security"]["lastPasswordChange"] = ""
    assert shown == {
        "profile": {"displayName": "John Doe", "avatar": "https://example.com/avatar.jpg", "bio": "", "website": ""},
        "preferences": {
            "theme": "light", "language": "en", "timezone": "UTC",
            "notifications": {"email": True, "push": True, "generationComplete": True, "trainingComplete": True},
        },
        "security": {"twoFactorEnabled": False, "twoFactorPending": False, "lastPasswordChange": ""},
    }
    assert_error(settings(base_url, {}), 401, "AUTHENTICATION_FAILED")


def test_profile_and_preferences_are_stored_and_only_the_callers(base_url):
    made, other = paid(base_url), fomi_register(base_url, displayName="Someone Else")
    profile = {"displayName": "Jane Artist", "bio": "AI artist\nof sunsets", "website": "https://jane.example.com/art", "avatar": ""}
    answered = ok(put(base_url, "profile", made["bearer"], profile))
    assert answered["profile"] == profile
    # Only what is sent changes.
    answered = ok(put(base_url, "profile", made["bearer"], {"bio": "  just AI  "}))
    assert answered["profile"] == {**profile, "bio": "just AI"}
    preferences = {"theme": "dark", "language": "pt-br", "timezone": "America/Sao_Paulo", "notifications": {"push": False}}
    answered = ok(put(base_url, "preferences", made["bearer"], preferences))
    assert answered["preferences"] == {
        "theme": "dark", "language": "pt-BR", "timezone": "America/Sao_Paulo",
        "notifications": {"email": True, "push": False, "generationComplete": True, "trainingComplete": True},
    }
    ok(put(base_url, "preferences", made["bearer"], {"theme": "auto", "notifications": {"trainingComplete": False}}))
    read = ok(settings(base_url, made["bearer"]))
    assert read["profile"] == {**profile, "bio": "just AI"}
    assert read["preferences"] == {
        "theme": "auto", "language": "pt-BR", "timezone": "America/Sao_Paulo",
        "notifications": {"email": True, "push": False, "generationComplete": True, "trainingComplete": False},
    }
    # The account's name is the profile's: the login answers it too.
    assert login(base_url, made["email"], made["password"]).json()["user"]["displayName"] == "Jane Artist"
    untouched = ok(settings(base_url, other["bearer"]))
    assert untouched["profile"]["displayName"] == "Someone Else" and untouched["preferences"]["theme"] == "light"


CURRENT = object()  # the account's own password
BAD = [
    ("profile", {"displayName": "J"}, "displayName"),
    ("profile", {"displayName": "x" * 201}, "displayName"),
    ("profile", {"bio": "b" * 501}, "bio"),
    ("profile", {"bio": "bell \x07"}, "bio"),
    ("profile", {"website": "javascript:alert(1)"}, "website"),
    ("profile", {"website": "ftp://example.com/"}, "website"),
    ("profile", {"website": "example.com"}, "website"),
    ("profile", {"website": "https://example.com/" + "a" * 2048}, "website"),
    ("profile", {"avatar": "data:image/png;base64,iVBORw0KGgo="}, "avatar"),
    ("profile", {"avatar": "https:///no-host"}, "avatar"),
    ("preferences", {"theme": "purple"}, "theme"),
    ("preferences", {"language": "english"}, "language"),
    ("preferences", {"language": "e"}, "language"),
    ("preferences", {"timezone": "Mars/Olympus_Mons"}, "timezone"),
    ("preferences", {"timezone": "../../etc/passwd"}, "timezone"),
    ("preferences", {"timezone": "x" * 10000}, "timezone"),
    ("security", {"currentPassword": "wrong password", "newPassword": "a new long password"}, "currentPassword"),
    ("security", {"newPassword": "a new long password"}, "currentPassword"),
    ("security", {"currentPassword": CURRENT}, "newPassword"),
    ("security", {"currentPassword": CURRENT, "newPassword": "short"}, "newPassword"),
    ("security", {"currentPassword": CURRENT, "newPassword": "a new long password", "twoFactorEnabled": True}, "twoFactorEnabled"),
    ("security", {"twoFactorEnabled": True, "twoFactorCode": "123456"}, "twoFactorCode"),
]


def test_bad_values_are_400_naming_the_field(base_url):
    made = paid(base_url)
    before = ok(settings(base_url, made["bearer"]))
    for part, body, field in BAD:
        body = {k: made["password"] if v is CURRENT else v for k, v in body.items()}
        response = put(base_url, part, made["bearer"], body)
        assert response.status_code == 400, (part, body, response.text)
        code = "AUTHENTICATION_FAILED" if body.get("currentPassword") == "wrong password" else response.json()["error"]["code"]
        error = assert_error(response, 400, code, field=field)
        assert field in error["message"], error
    assert ok(settings(base_url, made["bearer"])) == before  # nothing changed
    assert login(base_url, made["email"], made["password"]).status_code == 200  # the password either


def _fresh_step() -> float:
    """Now, or the start of the next 30 s step when few seconds of this one are left, so the
    test's codes of the previous, this and the next step stay within the server's window."""
    left = 30 - time.time() % 30
    if left < 12:
        time.sleep(left + 0.1)
    return time.time()


def test_two_factor_enrolment_then_every_login_needs_the_code(base_url, mesh):
    made = paid(base_url)
    bearer, email, password = made["bearer"], made["email"], made["password"]
    # A session alone cannot start an enrolment: a stolen one would lock the owner out.
    assert_error(put(base_url, "security", bearer, {"twoFactorEnabled": True}), 400, "MISSING_REQUIRED_FIELD", field="currentPassword")
    assert_error(put(base_url, "security", bearer, {"twoFactorEnabled": True, "currentPassword": "not it"}), 400,
                 "AUTHENTICATION_FAILED", field="currentPassword")
    other = {"Authorization": f"Bearer {login(base_url, email, password).json()['token']}"}
    started = put(base_url, "security", bearer, {"twoFactorEnabled": True, "currentPassword": password})
    answered = ok(started)
    assert answered["security"]["twoFactorEnabled"] is False and answered["security"]["twoFactorPending"] is True
    setup = started.json()["twoFactorSetup"]
    assert_shape(setup, {"secret": str, "otpauthUri": URI})
    secret = setup["secret"]
    assert len(base64.b32decode(secret + "=" * (-len(secret) % 8))) >= 16
    uri = urllib.parse.urlsplit(setup["otpauthUri"])
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp") and email in urllib.parse.unquote(uri.path)
    query = dict(urllib.parse.parse_qsl(uri.query))
    assert query["secret"] == secret and query.get("algorithm", "SHA1") == "SHA1"
    assert query.get("digits", "6") == "6" and query.get("period", "30") == "30" and query["issuer"]
    # The secret is shown once: settings never carry it, and the users table holds it sealed (M11).
    assert secret not in settings(base_url, bearer).text
    with psycopg.connect(mesh.service_env()["DATABASE_URL"]) as conn:
        (stored,) = conn.execute("SELECT totp_pending_secret FROM users WHERE email = %s", (email,)).fetchone()
    assert stored.startswith("sealed:v1:") and secret not in stored
    # Not on until confirmed: the login needs no code yet.
    assert login(base_url, email, password).status_code == 200

    at = _fresh_step()
    wrong = f"{(int(authenticator_code(secret, at)) + 1) % 1_000_000:06d}"
    assert_error(put(base_url, "security", bearer, {"twoFactorEnabled": True, "twoFactorCode": wrong}), 400,
                 "AUTHENTICATION_FAILED", field="twoFactorCode")
    # Confirmed with the code of the step before (clock drift is allowed one step).
    confirmed = ok(put(base_url, "security", bearer, {"twoFactorEnabled": True, "twoFactorCode": authenticator_code(secret, at - 30)}))
    assert confirmed["security"]["twoFactorEnabled"] is True and confirmed["security"]["twoFactorPending"] is False
    assert_error(settings(base_url, other), 401, "AUTHENTICATION_FAILED")  # other sessions ended with it
    assert "twoFactorSetup" not in put(base_url, "security", bearer, {"twoFactorEnabled": True}).json()  # already on

    required = assert_error(login(base_url, email, password), 401, "AUTHENTICATION_FAILED", two_factor="required")
    assert "two-factor" in required["message"] and "twoFactorCode" in required["message"]
    assert_error(login(base_url, email, password, twoFactorCode=wrong), 401, "AUTHENTICATION_FAILED", two_factor="invalid")
    assert_error(login(base_url, email, password, twoFactorCode="12ab56"), 401, "AUTHENTICATION_FAILED", two_factor="invalid")
    assert_error(login(base_url, email, "not the password", twoFactorCode=authenticator_code(secret, at)), 401,
                 "AUTHENTICATION_FAILED")
    # Every dialect's login is the auth service's: /v1 needs the code as well.
    refused = requests.post(f"{base_url}/v1/auth/login", json={"email": email, "password": password}, timeout=30)
    assert refused.status_code == 401 and refused.json()["details"]["two_factor"] == "required", refused.text
    # Seed 001's login takes the code too (twoFactorCode): a wrong one is judged, not "required".
    lumiku = f"{base_url}/lumiku/v1/auth/login"
    assert requests.post(lumiku, json={"email": email, "password": password}, timeout=30).json()["error"]["details"]["two_factor"] == "required"
    judged = requests.post(lumiku, json={"email": email, "password": password, "twoFactorCode": wrong}, timeout=30)
    assert judged.status_code == 401 and judged.json()["error"]["details"]["two_factor"] == "invalid", judged.text
    # The step the enrolment used is spent.
    assert_error(login(base_url, email, password, twoFactorCode=authenticator_code(secret, at - 30)), 401, "AUTHENTICATION_FAILED",
                 two_factor="invalid")
    passed = login(base_url, email, password, twoFactorCode=authenticator_code(secret, at))
    assert passed.status_code == 200 and passed.json()["user"]["email"] == email, passed.text
    assert passed.json()["token"] and passed.json()["user"]["id"] == made["user"]["id"]
    # The same code twice is refused, within its window too.
    assert_error(login(base_url, email, password, twoFactorCode=authenticator_code(secret, at)), 401, "AUTHENTICATION_FAILED",
                 two_factor="invalid")

    # Off needs a valid code.
    assert_error(put(base_url, "security", bearer, {"twoFactorEnabled": False}), 400, "MISSING_REQUIRED_FIELD", field="twoFactorCode")
    assert_error(put(base_url, "security", bearer, {"twoFactorEnabled": False, "twoFactorCode": wrong}), 400,
                 "AUTHENTICATION_FAILED", field="twoFactorCode")
    off = ok(put(base_url, "security", bearer, {"twoFactorEnabled": False, "twoFactorCode": authenticator_code(secret, at + 30)}))
    assert off["security"] == {**off["security"], "twoFactorEnabled": False, "twoFactorPending": False}
    assert login(base_url, email, password).status_code == 200


def test_two_factor_guesses_back_off(base_url):
    made = paid(base_url)
    secret = put(base_url, "security", made["bearer"], {"twoFactorEnabled": True, "currentPassword": made["password"]}).json()[
        "twoFactorSetup"]["secret"]
    at = _fresh_step()
    ok(put(base_url, "security", made["bearer"], {"twoFactorEnabled": True, "twoFactorCode": authenticator_code(secret, at - 30)}))
    right = authenticator_code(secret, at)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    statuses = []
    while len(statuses) < 10 and 429 not in statuses:
        answer = login(base_url, made["email"], made["password"], twoFactorCode=wrong)
        statuses.append(answer.status_code)
    # The login backoff's free failures (5 per account and address), then a block.
    assert statuses == [401] * 6 + [429], statuses
    assert_error(answer, 429, "RATE_LIMITED")
    # While blocked, not even the right code gets in.
    assert_error(login(base_url, made["email"], made["password"], twoFactorCode=right), 429, "RATE_LIMITED")


def _when(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_password_change_ends_other_sessions_and_is_dated(base_url):
    made = paid(base_url)
    mine, email, password = made["bearer"], made["email"], made["password"]
    other = {"Authorization": f"Bearer {login(base_url, email, password).json()['token']}"}
    assert settings(base_url, other).status_code == 200

    registered = _when(ok(settings(base_url, mine))["security"]["lastPasswordChange"])
    changed = ok(put(base_url, "security", mine, {"currentPassword": password, "newPassword": "a brand new password"}))
    first = _when(changed["security"]["lastPasswordChange"])
    assert first > registered
    assert abs((dt.datetime.now(dt.UTC) - first).total_seconds()) < 60
    assert_error(settings(base_url, other), 401, "AUTHENTICATION_FAILED")  # the other session is over
    assert ok(settings(base_url, mine))["security"]["lastPasswordChange"] == changed["security"]["lastPasswordChange"]
    assert_error(login(base_url, email, password), 401, "AUTHENTICATION_FAILED")
    assert login(base_url, email, "a brand new password").status_code == 200

    again = ok(put(base_url, "security", mine, {"currentPassword": "a brand new password", "newPassword": "yet another password"}))
    assert _when(again["security"]["lastPasswordChange"]) > first
    assert login(base_url, email, "yet another password").status_code == 200
