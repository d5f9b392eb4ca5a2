"""Access tokens: EdDSA (Ed25519) JWTs with a `kid`, verified against a key ring.

The newest key signs; retired keys keep verifying until the tokens they signed
have expired, so rotating keys logs nobody out. Verification accepts exactly
one algorithm and requires issuer, audience, expiry, not-before and subject:
`alg: none`, another algorithm, an unknown key, a wrong issuer or audience,
an expired or not-yet-valid token all fail.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from services.auth.sealing import passphrase
from services.runtime.config import env_int, env_str

ALGORITHM = "EdDSA"
ISSUER = env_str("JWT_ISSUER", "backdrop")
AUDIENCE = env_str("JWT_AUDIENCE", "backdrop-api")
ACCESS_TTL_S = env_int("ACCESS_TOKEN_TTL_S", 15 * 60)
REFRESH_TTL_S = env_int("REFRESH_TOKEN_TTL_S", 30 * 24 * 3600)


class TokenError(Exception):
    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class Claims:
    user_id: str
    role: str
    plan: str
    session_id: str


def new_private_key() -> tuple[str, bytes]:
    key = Ed25519PrivateKey.generate()
    return f"ed25519-{uuid.uuid4().hex[:12]}", seal(key)


def seal(key: Ed25519PrivateKey) -> bytes:
    secret = passphrase()
    encryption = serialization.BestAvailableEncryption(secret) if secret else serialization.NoEncryption()
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def is_sealed(pem: bytes) -> bool:
    return bytes(pem).startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")


def open_key(pem: bytes) -> Ed25519PrivateKey:
    """A stored key, sealed or (from before the passphrase was set) plain."""
    if not is_sealed(pem):
        return serialization.load_pem_private_key(bytes(pem), password=None)
    if passphrase() is None:
        raise RuntimeError("the signing keys are sealed: set SIGNING_KEY_PASSPHRASE to the passphrase they were sealed with")
    return serialization.load_pem_private_key(bytes(pem), password=passphrase())


def digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def new_opaque(prefix: str) -> str:
    return f"{prefix}{secrets.token_urlsafe(32)}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class KeyRing:
    """Signing and verification keys, loaded from the signing_keys table."""

    def __init__(self, rows):
        self.private: dict[str, Ed25519PrivateKey] = {}
        self.signing_kid = ""
        for row in rows:  # newest first
            key = open_key(row.private_pem)
            self.private[row.kid] = key
            if not self.signing_kid and row.retired_at is None:
                self.signing_kid = row.kid
        self.public: dict[str, Ed25519PublicKey] = {kid: k.public_key() for kid, k in self.private.items()}

    def jwks(self) -> list[dict]:
        return [
            {
                "kty": "OKP",
                "crv": "Ed25519",
                "x": _b64(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)),
                "kid": kid,
                "use": "sig",
                "alg": ALGORITHM,
            }
            for kid, key in self.public.items()
        ]

    def issue(self, user, session_id: str, now: float | None = None) -> str:
        issued = int(now if now is not None else time.time())
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": str(user.id),
            "userId": str(user.id),  # seed 001's JWTPayload
            "email": user.email,
            "role": user.role,
            "plan": user.plan,
            "sid": session_id,
            "iat": issued,
            "nbf": issued,
            "exp": issued + ACCESS_TTL_S,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self.private[self.signing_kid], algorithm=ALGORITHM, headers={"kid": self.signing_kid})

    def verify(self, token: str) -> Claims:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise TokenError("INVALID_TOKEN", "The token is malformed") from None
        if header.get("alg") != ALGORITHM:
            raise TokenError("INVALID_TOKEN", "The token is not signed with an accepted algorithm")
        key = self.public.get(str(header.get("kid", "")))
        if key is None:
            raise TokenError("INVALID_TOKEN", "The token was not signed by a known key")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": ["exp", "iat", "nbf", "sub", "iss", "aud", "sid"]},
            )
        except jwt.ExpiredSignatureError:
            raise TokenError("TOKEN_EXPIRED", "The token has expired; refresh it or log in again") from None
        except jwt.PyJWTError:
            raise TokenError("INVALID_TOKEN", "The token is not valid") from None
        return Claims(claims["sub"], claims.get("role", "user"), claims.get("plan", "free"), claims["sid"])


def refresh_expiry() -> dt.datetime:
    return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=REFRESH_TTL_S)
