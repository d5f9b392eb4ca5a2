"""TOTP (RFC 6238 over RFC 4226's HOTP) with the parameters every authenticator app uses:
HMAC-SHA-1, 6 digits, 30-second steps, a base32 secret in an otpauth:// URI.

A code is accepted one step either side of now (clock drift), and each step once
only: the caller keeps the last step used and passes it as `after`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import time
import urllib.parse

STEP_S = 30
DIGITS = 6
DRIFT_STEPS = 1
SECRET_BYTES = 20  # 160 bits, RFC 4226's recommended key length


def new_secret() -> str:
    """A random secret as authenticator apps take it: base32, no padding."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode().rstrip("=")


def _key(secret: str) -> bytes:
    return base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True)


def hotp(key: bytes, counter: int, digits: int = DIGITS, digest=hashlib.sha1) -> str:
    """RFC 4226 §5.3: HMAC of the 8-byte counter, dynamically truncated to `digits` digits."""
    mac = hmac.new(key, struct.pack(">Q", counter), digest).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def step_at(at: float | None = None) -> int:
    return int((time.time() if at is None else at) // STEP_S)


def code_at(secret: str, at: float | None = None) -> str:
    return hotp(_key(secret), step_at(at))


def normalise(code: str) -> str | None:
    """The code as typed ("123 456" too), or None when it cannot be a code."""
    code = code.replace(" ", "").replace("-", "")
    return code if len(code) == DIGITS and code.isascii() and code.isdigit() else None


def matching_step(secret: str, code: str, after: int | None = None, at: float | None = None) -> int | None:
    """The step within the drift window whose code is `code` and that is later than `after`
    (the last step used), or None: a wrong code, or a used one."""
    now = step_at(at)
    key = _key(secret)
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if (after is None or step > after) and hmac.compare_digest(hotp(key, step), code):
            return step
    return None


def uri(secret: str, account: str, issuer: str) -> str:
    """The otpauth:// URI (Google Authenticator's key URI format) that apps read from a QR code."""
    label = urllib.parse.quote(f"{issuer}:{account}")
    query = urllib.parse.urlencode(
        {"secret": secret, "issuer": issuer, "algorithm": "SHA1", "digits": DIGITS, "period": STEP_S}
    )
    return f"otpauth://totp/{label}?{query}"
