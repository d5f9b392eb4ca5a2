"""TOTP against RFC 6238's test vectors (Appendix B, the SHA-1 rows), and the window rules."""

from __future__ import annotations

import base64
import urllib.parse

import pytest

from services.auth import totp

# RFC 6238 Appendix B: the SHA-1 seed is the ASCII "12345678901234567890", codes of 8 digits.
RFC_KEY = b"12345678901234567890"
RFC_SHA1 = [
    (59, 1, "94287082"),
    (1111111109, 0x23523EC, "07081804"),
    (1111111111, 0x23523ED, "14050471"),
    (1234567890, 0x273EF07, "89005924"),
    (2000000000, 0x3F940AA, "69279037"),
    (20000000000, 0x27BC86AA, "65353130"),
]


@pytest.mark.parametrize(("at", "step", "code"), RFC_SHA1)
def test_rfc_6238_sha1_vectors(at, step, code):
    assert totp.step_at(at) == step
    assert totp.hotp(RFC_KEY, step, digits=8) == code


@pytest.mark.parametrize(("at", "step", "code"), RFC_SHA1)
def test_six_digit_codes_are_the_last_six_digits(at, step, code):
    secret = base64.b32encode(RFC_KEY).decode().rstrip("=")
    assert totp.code_at(secret, at) == code[-6:]


def test_one_step_of_drift_either_side_and_no_more():
    secret = totp.new_secret()
    at = 1_700_000_000.0
    now = totp.step_at(at)
    for offset, expected in ((-1, now - 1), (0, now), (1, now + 1)):
        assert totp.matching_step(secret, totp.code_at(secret, at + offset * totp.STEP_S), at=at) == expected
    for offset in (-2, 2):
        assert totp.matching_step(secret, totp.code_at(secret, at + offset * totp.STEP_S), at=at) is None


def test_a_used_step_is_refused():
    secret = totp.new_secret()
    at = 1_700_000_000.0
    code = totp.code_at(secret, at)
    assert totp.matching_step(secret, code, after=totp.step_at(at) - 1, at=at) == totp.step_at(at)
    assert totp.matching_step(secret, code, after=totp.step_at(at), at=at) is None


def test_secret_and_uri_are_what_apps_read():
    secret = totp.new_secret()
    assert len(base64.b32decode(secret + "=" * (-len(secret) % 8))) == 20
    uri = urllib.parse.urlsplit(totp.uri(secret, "me@example.com", "Backdrop"))
    assert (uri.scheme, uri.netloc, urllib.parse.unquote(uri.path)) == ("otpauth", "totp", "/Backdrop:me@example.com")
    assert dict(urllib.parse.parse_qsl(uri.query)) == {
        "secret": secret, "issuer": "Backdrop", "algorithm": "SHA1", "digits": "6", "period": "30",
    }


def test_normalise():
    assert totp.normalise("123 456") == "123456"
    assert totp.normalise("12345") is None and totp.normalise("１２３４５６") is None and totp.normalise("12345a") is None
