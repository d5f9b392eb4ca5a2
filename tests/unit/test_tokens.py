"""Access tokens: only what the auth service signed with a live key passes."""

from __future__ import annotations

import base64
import datetime as dt
import json
import time
import uuid
from types import SimpleNamespace

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.auth import tokens

USER = SimpleNamespace(id=str(uuid.uuid4()), email="a@example.com", role="user", plan="free")


def ring_of(*keys) -> tokens.KeyRing:
    """keys: (kid, pem, retired) newest first."""
    return tokens.KeyRing([SimpleNamespace(kid=k, private_pem=p, retired_at=dt.datetime.now(dt.UTC) if r else None) for k, p, r in keys])


LIVE = tokens.new_private_key()
OLD = tokens.new_private_key()
RING = ring_of((*LIVE, False), (*OLD, True))


def test_issue_and_verify():
    claims = RING.verify(RING.issue(USER, "session-1"))
    assert (claims.user_id, claims.role, claims.plan, claims.session_id) == (USER.id, "user", "free", "session-1")
    assert jwt.get_unverified_header(RING.issue(USER, "s"))["kid"] == LIVE[0]


def test_a_retired_key_still_verifies_until_it_is_dropped():
    old_ring = ring_of((*OLD, False))
    token = old_ring.issue(USER, "s")
    assert RING.verify(token).user_id == USER.id
    with pytest.raises(tokens.TokenError):
        ring_of((*LIVE, False)).verify(token)  # verify_until passed: no longer loaded


def test_expiry_is_its_own_reason():
    token = RING.issue(USER, "s", now=time.time() - tokens.ACCESS_TTL_S - 5)
    with pytest.raises(tokens.TokenError) as caught:
        RING.verify(token)
    assert caught.value.reason == "TOKEN_EXPIRED"


def test_jwks_publishes_every_verifying_key():
    assert {k["kid"] for k in RING.jwks()} == {LIVE[0], OLD[0]}
    for key in RING.jwks():
        assert set(key) == {"kty", "crv", "x", "kid", "use", "alg"}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20), lambda inner: st.lists(inner, max_size=3), max_leaves=5
)
claims_strategy = st.fixed_dictionaries(
    {},
    optional={
        "iss": st.sampled_from([tokens.ISSUER, "evil"]),
        "aud": st.sampled_from([tokens.AUDIENCE, "other"]),
        "sub": st.text(max_size=40),
        "sid": st.text(max_size=10),
        "role": st.sampled_from(["user", "admin"]),
        "exp": st.integers(0, 2**33),
        "nbf": st.integers(0, 2**33),
        "iat": st.integers(0, 2**33),
        "x": json_values,
    },
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_no_arbitrary_string_is_accepted(token):
    with pytest.raises(tokens.TokenError):
        RING.verify(token)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    claims=claims_strategy,
    alg=st.sampled_from(["none", "HS256", "EdDSA"]),
    kid=st.sampled_from([LIVE[0], OLD[0], "other", ""]),
)
def test_no_token_signed_by_anyone_else_is_accepted(claims, alg, kid):
    header = {"alg": alg, "kid": kid, "typ": "JWT"}
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    if alg == "none":
        token = signing_input + "."
    elif alg == "HS256":
        token = jwt.encode(claims, "a shared secret of at least 32 bytes!!", algorithm="HS256", headers={"kid": kid})
    else:
        token = jwt.encode(claims, Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": kid})
    with pytest.raises(tokens.TokenError):
        RING.verify(token)


@settings(max_examples=300)
@given(position=st.integers(0, 10_000), replacement=st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.="))
def test_a_changed_character_is_refused_unless_it_decodes_to_the_same_token(position, replacement):
    token = RING.issue(USER, "s")
    index = position % len(token)
    if token[index] == replacement:
        return
    changed = token[:index] + replacement + token[index + 1 :]
    try:
        RING.verify(changed)
    except tokens.TokenError:
        return

    def raw(t):
        return [base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)) for part in t.split(".")]

    assert raw(changed) == raw(token)  # base64's spare bits: the very same bytes


def test_keys_are_sealed_at_rest_with_the_passphrase(monkeypatch):
    """M11: with SIGNING_KEY_PASSPHRASE a stored key is an encrypted PKCS#8 PEM, useless without it;
    plain keys stored before the passphrase was set still load (the server then re-seals them)."""
    plain = tokens.new_private_key()
    monkeypatch.setenv("SIGNING_KEY_PASSPHRASE", "correct horse battery staple")
    sealed = tokens.new_private_key()
    assert tokens.is_sealed(sealed[1]) and b"PRIVATE KEY-----" in sealed[1] and not tokens.is_sealed(plain[1])
    ring = ring_of((*sealed, False), (*plain, True))
    assert ring.verify(ring.issue(USER, "s")).user_id == USER.id
    monkeypatch.setenv("SIGNING_KEY_PASSPHRASE", "wrong")
    with pytest.raises(ValueError):
        tokens.open_key(sealed[1])
    monkeypatch.delenv("SIGNING_KEY_PASSPHRASE")
    with pytest.raises(RuntimeError, match="SIGNING_KEY_PASSPHRASE"):
        tokens.open_key(sealed[1])
