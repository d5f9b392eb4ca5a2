"""`make up`: start the whole mesh, print its URL once healthy, stop it cleanly.

Logs of every process are streamed here, one line each, prefixed by the
process name; JSON log lines are shown as time, level, message and fields.
A child that dies is restarted with backoff (see Mesh.supervise_once), as a
process manager or Kubernetes would; only Ctrl-C or SIGTERM stops the mesh,
and it stops the children in reverse start order.
"""

from __future__ import annotations

import json
import os
import pathlib
import signal
import sys
import threading
import time

from deploy.local.mesh import REPO, Mesh
from services.runtime.config import ConfigError

COLOURS = ["36", "32", "35", "33", "34", "31", "96", "92"]


def make_sink(colour: bool):
    lock = threading.Lock()
    assigned: dict[str, str] = {}

    def sink(name: str, line: str) -> None:
        try:
            entry = json.loads(line)
            if not isinstance(entry, dict):
                raise ValueError
            head = f"{entry.pop('level', 'info'):<5} {entry.pop('msg', '')}"
            entry.pop("ts", None), entry.pop("service", None), entry.pop("logger", None)
            line = head + "".join(f" {k}={v}" for k, v in entry.items())
        except ValueError:
            pass
        prefix = f"{name:>12} |"
        if colour:
            code = assigned.setdefault(name, COLOURS[len(assigned) % len(COLOURS)])
            prefix = f"\033[{code}m{prefix}\033[0m"
        with lock:
            print(f"{prefix} {line}", flush=True)

    return sink


def auth_banner(env: dict[str, str]) -> str:
    """Which authentication mode runs, said so nobody misses it."""
    if env.get("AUTH_REQUIRED", "true").strip().lower() in ("0", "false", "no", "off"):
        return (
            "backdrop: *** AUTH DISABLED (AUTH_REQUIRED=false): every request acts as the local admin user. "
            "Do not expose this port. ***"
        )
    extra = "; the static API_KEY from the environment is accepted too" if env.get("API_KEY") else ""
    return f"backdrop: auth required: send 'Authorization: Bearer <token>' or 'X-API-Key: <key>'{extra}"


def read_env_file(path: pathlib.Path) -> dict[str, str]:
    """KEY=VALUE lines, as seed 003's .env and `docker --env-file` have them: blank lines and
    # comments skipped, an optional `export `, a value optionally in matching quotes."""
    settings = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.removeprefix("export ").partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key.isidentifier():
            raise ConfigError(f"{path}:{number}: not a KEY=VALUE line")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        settings[key] = value
    return settings


def operator_environment() -> list[str]:
    """Adds the operator's environment file (BACKDROP_ENV_FILE, default .env in the checkout)
    to this process's environment, which wins over it; the lines that say so."""
    named = os.environ.get("BACKDROP_ENV_FILE")
    path = pathlib.Path(named or REPO / ".env")
    if not named and not path.is_file():
        return []
    settings = read_env_file(path)  # a named file that is missing stops the start
    for key, value in settings.items():
        os.environ.setdefault(key, value)
    return [f"backdrop: read {len(settings)} settings from {path} (the environment wins over it)"]


def main() -> int:
    data_dir = pathlib.Path(os.environ.get("BACKDROP_DATA_DIR", REPO / ".data"))
    try:
        lines = operator_environment()
        mesh = Mesh(data_dir, sink=make_sink(sys.stdout.isatty()))
        lines += mesh.seed_settings()
    except (ConfigError, OSError) as exc:
        print(f"backdrop: could not start: {exc}", file=sys.stderr, flush=True)
        return 1
    for line in lines:
        print(line, flush=True)
    stopping: list[int] = []  # a plain flag: signal handlers must not take locks

    def on_signal(signum, _frame):
        if not running:
            raise KeyboardInterrupt  # still starting: abandon the start
        stopping.append(signum)

    running = False
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, on_signal)
    started = time.monotonic()
    try:
        mesh.start()
    except (RuntimeError, TimeoutError, KeyboardInterrupt) as exc:
        print(f"backdrop: could not start: {exc or 'interrupted'}", file=sys.stderr, flush=True)
        mesh.stop()
        return 1
    running = True
    print(
        f"backdrop: ready on {mesh.base_url} (started in {time.monotonic() - started:.1f}s; Ctrl-C stops)",
        flush=True,
    )
    print(auth_banner(mesh.service_env()), flush=True)
    while not stopping:
        mesh.supervise_once()
        time.sleep(0.5)
    print("backdrop: stopping", flush=True)
    mesh.stop()
    print("backdrop: stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
