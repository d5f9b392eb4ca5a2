"""Secrets the auth service keeps in its tables, sealed at rest under SIGNING_KEY_PASSPHRASE.

The JWT signing keys are encrypted PKCS#8 (services/auth/tokens.py); short text
secrets (TOTP seeds) are AES-GCM under a key derived from the same passphrase,
as the column type `SealedText`, so a dump or backup of the tables holds
neither. Values stored before the passphrase was set read back as they are.
"""

from __future__ import annotations

import base64
import os

import sqlalchemy as sa
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from services.runtime.config import env_str

PREFIX = "sealed:v1:"


def passphrase() -> bytes | None:
    """SIGNING_KEY_PASSPHRASE, from auth's own Secret (make up makes one); unset, nothing is sealed."""
    return env_str("SIGNING_KEY_PASSPHRASE", "").encode() or None


def _cipher(secret: bytes) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"backdrop-auth-sealed-text").derive(secret)
    return AESGCM(key)


def seal_text(value: str) -> str:
    secret = passphrase()
    if secret is None:
        return value
    nonce = os.urandom(12)
    return PREFIX + base64.urlsafe_b64encode(nonce + _cipher(secret).encrypt(nonce, value.encode(), None)).decode()


def open_text(stored: str) -> str:
    if not stored.startswith(PREFIX):
        return stored
    secret = passphrase()
    if secret is None:
        raise RuntimeError("the auth tables hold sealed secrets: set SIGNING_KEY_PASSPHRASE to the passphrase they were sealed with")
    blob = base64.urlsafe_b64decode(stored[len(PREFIX):])
    return _cipher(secret).decrypt(blob[:12], blob[12:], None).decode()


class SealedText(sa.types.TypeDecorator):
    """A text column whose values are sealed on the way in and opened on the way out."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else seal_text(value)

    def process_result_value(self, value, dialect):
        return None if value is None else open_text(value)
