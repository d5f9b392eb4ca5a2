"""A user's settings (seed 004's /settings): what each field may hold, and the message of a row.

Errors name the field by its JSON name (`displayName`, `twoFactorCode`), which is the
same in the auth service's proto and in seed 004's bodies.
"""

from __future__ import annotations

import functools
import re
import unicodedata
import urllib.parse
import zoneinfo

from backdrop.auth.v1 import auth_pb2
from services.runtime.clock import iso
from services.runtime.errors import invalid

THEMES = ("light", "dark", "auto")
MAX_BIO = 500
MAX_URL = 2048
MAX_LANGUAGE = 35
# BCP 47's common shapes: language, optional script, optional region (en, en-US, zh-Hant-TW, es-419).
LANGUAGE = re.compile(r"^([a-z]{2,3})(?:-([a-z]{4}))?(?:-([a-z]{2}|[0-9]{3}))?$", re.IGNORECASE)
NOTIFICATIONS = ("email", "push", "generation_complete", "training_complete")


def url(field: str, value: str) -> str:
    """"" or an absolute http(s) URL with a host (no javascript:, data: or relative links)."""
    value = value.strip()
    if not value:
        return ""
    if len(value) > MAX_URL:
        raise invalid("INVALID_INPUT", f"{field} must be at most {MAX_URL} characters", field=field)
    try:
        parts = urllib.parse.urlsplit(value)
        web = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:  # a bad port or bracketed host
        web = False
    if not web or any(c.isspace() or unicodedata.category(c) == "Cc" for c in value):
        raise invalid("INVALID_INPUT", f"{field} must be an http(s) URL: http://... or https://...", field=field)
    return value


def bio(value: str) -> str:
    value = value.strip()
    if len(value) > MAX_BIO:
        raise invalid("INVALID_INPUT", f"bio must be at most {MAX_BIO} characters", field="bio")
    if any(unicodedata.category(c) == "Cc" and c not in "\n\t" for c in value):
        raise invalid("INVALID_INPUT", "bio may not contain control characters", field="bio")
    return value


def theme(value: str) -> str:
    if value not in THEMES:
        raise invalid("INVALID_INPUT", f"theme must be one of {', '.join(THEMES)}", field="theme")
    return value


def language(value: str) -> str:
    """A BCP 47 tag in its usual case (en, pt-BR, zh-Hant-TW)."""
    match = LANGUAGE.match(value.strip()) if len(value) <= MAX_LANGUAGE else None
    if match is None:
        raise invalid("INVALID_INPUT", "language must be a BCP 47 language tag such as en, pt-BR or zh-Hant-TW", field="language")
    lang, script, region = match.groups()
    return "-".join(p for p in (lang.lower(), script and script.title(), region and region.upper()) if p)


@functools.cache
def _zones() -> frozenset[str]:
    # Without a time zone database on the machine only UTC can be checked.
    return frozenset(zoneinfo.available_timezones()) or frozenset({"UTC"})


def timezone(value: str) -> str:
    """An IANA time zone name (Europe/Paris, America/New_York, UTC)."""
    if value not in _zones():
        raise invalid("INVALID_INPUT", "timezone must be an IANA time zone name such as UTC or Europe/Paris", field="timezone")
    return value


def message(user) -> auth_pb2.Settings:
    return auth_pb2.Settings(
        display_name=user.name, avatar=user.avatar, bio=user.bio, website=user.website,
        theme=user.theme, language=user.language, timezone=user.timezone,
        notifications=auth_pb2.Notifications(**{name: getattr(user, f"notify_{name}") for name in NOTIFICATIONS}),
        two_factor_enabled=user.totp_secret is not None,
        two_factor_pending=user.totp_secret is None and user.totp_pending_secret is not None,
        last_password_change=iso(user.password_changed_at or user.created_at),  # set at registration until changed
    )
