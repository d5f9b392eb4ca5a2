"""Seed 002's (rembg microservice) and seed 003's (the async service) settings, honoured under
their own names, so an operator's existing environment file works here.

One table, ALIASES: each seed setting, the Backdrop setting it stands for (its value converted
from the seed's units), or why it means nothing here. It is read in two places: `make up`
resolves the operator's environment once and prints one line per seed setting it finds
(deploy/local/mesh.py, supervisor.py), and every service's config read falls back to it
(services/runtime/config.py), so a Kubernetes ConfigMap that uses seed names behaves the same.
Backdrop's own name always wins when both are set.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from services.runtime.config import ConfigError


def _same(raw: str, seed: str) -> str:
    return raw


def _port(raw: str, seed: str) -> str:
    if not raw.strip().isdigit() or not 0 < int(raw) < 65536:
        raise ConfigError(f"{seed} must be a TCP port (1-65535), got {raw!r}")
    return str(int(raw))


def _per_hour(raw: str, seed: str) -> str:
    if not raw.strip().isdigit():
        raise ConfigError(f"{seed} must be a whole number of requests per hour, got {raw!r}")
    return str(int(raw))


def _hours_to_seconds(raw: str, seed: str) -> str:
    try:
        hours = float(raw)
    except ValueError:
        hours = -1.0
    if not hours > 0:
        raise ConfigError(f"{seed} must be a number of hours above 0, got {raw!r}")
    return f"{hours * 3600:g}"


def _url(raw: str, seed: str) -> str:
    if not raw.startswith(("http://", "https://")):
        raise ConfigError(f"{seed} must be an http:// or https:// URL, got {raw!r}")
    return raw.rstrip("/")


def _directory(raw: str, seed: str) -> str:
    """Absolute, so every service (whatever its working directory) finds the same folder."""
    return os.path.abspath(os.path.expanduser(raw))


def _names(raw: str, seed: str) -> str:
    names = [n.strip().lower() for n in raw.split(",") if n.strip()]
    if not names:
        raise ConfigError(f"{seed} must list at least one model name, got {raw!r}")
    return ",".join(names)


def _local_store_only(env: Mapping[str, str]) -> str | None:
    return "files are kept in S3 (S3_ENDPOINT is set), not in a folder" if env.get("S3_ENDPOINT") else None


def _always(env: Mapping[str, str]) -> str | None:
    return None


@dataclass(frozen=True)
class Alias:
    seed: str  # the seed's name
    origin: str  # the seed it comes from: "002" or "003"
    target: str | None  # Backdrop's setting (the same name: already Backdrop's); None: no meaning here
    meaning: str  # what it sets here, or why it is ignored
    convert: Callable[[str, str], str] = _same  # seed units -> Backdrop's
    blocked: Callable[[Mapping[str, str]], str | None] = _always  # why it does not apply, when it does not


ALIASES: tuple[Alias, ...] = (
    Alias("PORT", "002", "BACKDROP_HTTP_PORT", "the public port (Envoy)", _port),
    Alias("MAX_FILE_SIZE", "002", "MAX_FILE_SIZE", "the /remove-bg upload limit in MB"),
    Alias("MODEL", "002", "MODEL", "the model of /remove-bg (u2net runs u2netp here)"),
    Alias("API_KEY", "002", "API_KEY", "the one static key, for the local user"),
    Alias(
        "RATE_LIMIT", "002", "REMBG_REQUESTS_PER_HOUR",
        "requests per hour per caller on seed 002's routes, whatever the plan", _per_hour,
    ),
    Alias("CACHE_DIR", "002", "OBJECT_STORE_DIR", "the folder of the local file store", _directory, _local_store_only),
    Alias("CORS_ORIGINS", "002", "CORS_ORIGINS", "the origins Envoy's CORS policy allows"),
    Alias(
        "REDIS_URL", "003", None,
        "no meaning here (jobs queue on NATS JetStream, NATS_URL; their state is in PostgreSQL)",
    ),
    Alias("SMTP_SERVER", "003", "SMTP_SERVER", "the notification emails' SMTP server"),
    Alias("SMTP_PORT", "003", "SMTP_PORT", "its port (587: STARTTLS)"),
    Alias("SMTP_USER", "003", "SMTP_USER", "its login (and the sender, unless SMTP_FROM)"),
    Alias("SMTP_PASSWORD", "003", "SMTP_PASSWORD", "its password"),
    Alias("BASE_URL", "003", "PUBLIC_BASE_URL", "the base of status URLs, download links and emails", _url),
    Alias("OUTPUT_DIR", "003", "OBJECT_STORE_DIR", "the folder of the local file store", _directory, _local_store_only),
    Alias(
        "CLEANUP_INTERVAL_HOURS", "003", "CLEANUP_INTERVAL_S",
        "how often expired files are deleted (seconds here)", _hours_to_seconds,
    ),
    Alias(
        "GPU_ENABLED", "003", None,
        "the inference server picks the device, not Backdrop: `make up`'s MLServer runs the models on CPU "
        "(onnxruntime without CUDA); on Kubernetes Triton uses its node's GPU (the production overlay puts it on one)",
    ),
    Alias("MODEL_NAMES", "003", "ENABLED_MODELS", "the background-removal models clients may ask for", _names),
)


@dataclass
class Resolution:
    env: dict[str, str]  # the environment with Backdrop's names filled in from the seed names
    lines: list[str]  # what happened to each seed setting found, one line each (same names: none)


def _label(alias: Alias) -> str:
    return f"{alias.seed} (seed {alias.origin})"


def winner(target: str, env: Mapping[str, str]) -> tuple[Alias, str] | None:
    """The seed setting that gives `target` its value in `env`, and that value in Backdrop's units.
    None when no seed setting does (Backdrop's own name is the caller's to check first)."""
    for alias in ALIASES:
        if alias.target == target != alias.seed and env.get(alias.seed) and alias.blocked(env) is None:
            return alias, alias.convert(env[alias.seed], alias.seed)
    return None


def seed_value(target: str, env: Mapping[str, str] | None = None) -> str | None:
    """What config reads fall back to when Backdrop's own `target` is unset."""
    found = winner(target, os.environ if env is None else env)
    return found[1] if found else None


def resolve(env: Mapping[str, str]) -> Resolution:
    """The environment with every honoured seed setting turned into Backdrop's; a bad seed value
    is a ConfigError naming it, as any bad setting is."""
    out, lines = dict(env), []
    for alias in ALIASES:
        raw = env.get(alias.seed, "")
        if not raw or alias.target == alias.seed:
            continue
        if alias.target is None:
            lines.append(f"backdrop: {_label(alias)} is ignored: {alias.meaning}")
        elif reason := alias.blocked(env):
            lines.append(f"backdrop: {_label(alias)} is ignored: {reason}")
        elif env.get(alias.target):
            lines.append(f"backdrop: {_label(alias)} is ignored: {alias.target} is set too, and Backdrop's own name wins")
        else:
            chosen, value = winner(alias.target, env)
            if chosen is not alias:
                alias.convert(raw, alias.seed)  # still a bad value to report
                lines.append(f"backdrop: {_label(alias)} is ignored: {_label(chosen)} sets {alias.target} already")
                continue
            out[alias.target] = value
            lines.append(f"backdrop: {alias.seed}={raw} (seed {alias.origin}) sets {alias.target}={value}: {alias.meaning}")
    return Resolution(out, lines)
