"""Configuration from environment variables only (12-factor).

Every setting a service reads goes through these helpers so that a bad value
fails at start-up with the variable's name, not deep inside a request. An unset
setting falls back to the seed setting that stands for it (services/runtime/aliases.py:
seed 003's BASE_URL for PUBLIC_BASE_URL, say), so seed names work wherever the
environment comes from.
"""

from __future__ import annotations

import os


class ConfigError(ValueError):
    pass


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    if value in (None, ""):
        from services.runtime import aliases  # it imports ConfigError from here

        value = aliases.seed_value(name)
    return value


def env_str(name: str, default: str | None = None) -> str:
    value = _raw(name)
    if value is None or value == "":
        if default is not None:
            return default
        raise ConfigError(f"environment variable {name} is required")
    return value


def env_int(name: str, default: int) -> int:
    raw = _raw(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None


def env_float(name: str, default: float) -> float:
    raw = _raw(name)
    if raw in (None, ""):
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None


def env_bool(name: str, default: bool) -> bool:
    raw = _raw(name)
    if raw in (None, ""):
        return default
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def grpc_target(name: str, default_port: int) -> str:
    """Address of a peer service, e.g. ORCHESTRATOR_ADDR=orchestrator:50051."""
    return env_str(name, f"127.0.0.1:{default_port}")
