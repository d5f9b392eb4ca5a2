"""Fixtures: sample photos, and the real mesh (Postgres, NATS, MLServer,
the services and Envoy) started once per test session from the wheels."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

from deploy.local.mesh import Mesh, Ports, clean
from tests.samples import jpeg

REPO = pathlib.Path(__file__).resolve().parents[1]
STATIC_API_KEY = "your-api-key-here"


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    from skimage import data

    return data.astronaut()


@pytest.fixture(scope="session")
def photo(astronaut) -> bytes:
    """A real portrait photo (scikit-image's astronaut) as JPEG."""
    return jpeg(astronaut)


class MeshLog:
    """Every line the mesh printed, kept in a file and shown when a test fails."""

    def __init__(self, path: pathlib.Path):
        self.path = path
        self.file = path.open("a", buffering=1)

    def __call__(self, name: str, line: str) -> None:
        self.file.write(f"{name:>12} | {line}\n")

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.path.read_text().splitlines()[-lines:])


class Mailbox:
    """A real SMTP server (aiosmtpd) on loopback; keeps what it receives."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        from deploy.local.mesh import free_port

        self.messages: list = []
        mailbox = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                import email

                mailbox.messages.append(email.message_from_bytes(envelope.content))
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)


@pytest.fixture(scope="session")
def mailbox():
    box = Mailbox()
    box.controller.start()
    yield box
    box.controller.stop()


@pytest.fixture(scope="session")
def mesh(tmp_path_factory, mailbox) -> Mesh:
    if not (REPO / ".models" / "repository" / "u2netp" / "1" / "model.onnx").exists():
        pytest.fail("the model repository is missing: run `make models` (make test does)")
    data_dir = tmp_path_factory.mktemp("mesh")
    log = MeshLog(data_dir / "mesh.log")
    instance = Mesh(
        data_dir,
        ports=Ports.free(),
        sink=log,
        env={
            "WORK_ACK_WAIT_S": "6",
            "WORK_RETRY_DELAY_S": "1",
            "WORK_MAX_ATTEMPTS": "3",
            # Subscriptions in the tests pay with the local test provider's pm_card_* ids.
            "PAYMENT_PROVIDER": "local",
            "ALLOW_TEST_PAYMENTS": "true",
            "HEALTH_CHECK_INTERVAL_S": "0.5",
            "SYNC_TIMEOUT_S": "60",
            "CORS_ORIGINS": "*",
            # Seed 002's single-key install; its JavaScript example sends this very key.
            "API_KEY": STATIC_API_KEY,
            "API_KEY_ALLOW_WEAK": "true",  # that example key is refused at start-up otherwise (H8)
            # Many tests share the one static key: on enterprise its batch starts (pro: 5 an hour) are not counted.
            "API_KEY_PLAN": "enterprise",
            # Seed 003's notification emails go to the test's own SMTP server.
            "SMTP_SERVER": "127.0.0.1",
            "SMTP_PORT": str(mailbox.port),
            "SMTP_STARTTLS": "false",
            "SMTP_FROM": "backdrop@example.com",
            # Webhook receivers of the tests listen on loopback; retries come fast.
            "OUTBOUND_ALLOWED_HOSTS": "127.0.0.1",
            "WEBHOOK_RETRY_BASE_S": "0.5",
            "WEBHOOK_POLL_S": "0.2",
            "WEBHOOK_TIMEOUT_S": "2",
            # The tests' own loopback address is not counted by the per-address limits of
            # the open routes (their fixtures register hundreds of accounts); the tests of
            # those limits connect from other 127.x addresses (tests/e2e/test_edge.py).
            "BILLING_EXEMPT_ADDRESSES": "127.0.0.1",
            # Operators can give a dialect a hostname of its own (tests/e2e/test_dialects.py).
            "DIALECT_HOSTS": "lumiku=lumiku.localhost,fomi=fomi.localhost",
            # ISNet (~2 s an image on 2 cores) is left out here: the professional and industry tiers
            # run its stand-in, u2netp (README: Models); tests/e2e/test_isnet.py runs the real one.
            "ENABLED_MODELS": "u2netp,modnet",
            # Video keyframes of the tiny video pipeline at 64 pixels on the short side (SVD's: 576),
            # scaled to the asked resolution: a 720p clip in seconds on 2 cores.
            "DIFFUSION_VIDEO_SIDE": "64",
        },
    )
    instance.log = log
    try:
        instance.start(timeout=180)
    except Exception:
        instance.stop()
        print(log.tail(120))
        raise
    instance.supervise()  # as `make up` does: a child that dies comes back by itself
    yield instance
    instance.stop()
    if instance.outside_data:  # PostgreSQL's folder outside a checkout closed to its user
        clean(instance.outside_data)


def running(instance: Mesh, lines: list[str]):
    """Yields a test module's own mesh, started; if it cannot start, prints its last log lines."""
    try:
        instance.start(timeout=180)
    except Exception:
        instance.stop()
        print("\n".join(lines[-80:]))
        raise
    yield instance
    instance.stop()


@pytest.fixture
def base_url(mesh) -> str:
    return mesh.base_url


@pytest.fixture
def key_headers() -> dict[str, str]:
    """Seed 002's X-API-Key with the install's static key."""
    return {"X-API-Key": STATIC_API_KEY}


def register(base_url: str, **fields) -> dict:
    """A new account; returns the AuthResponse JSON."""
    import uuid

    import requests

    body = {"email": f"user-{uuid.uuid4().hex[:12]}@example.com", "password": "correct horse battery", "name": "Test User", **fields}
    response = requests.post(f"{base_url}/v1/auth/register", json=body, timeout=30)
    assert response.status_code == 201, response.text
    return {**response.json(), "password": body["password"]}


@pytest.fixture
def account(base_url) -> dict:
    return register(base_url)


def create_admin(mesh, email: str, password: str) -> None:
    """The first admin, made the way an operator does: by the auth service's command."""
    import os
    import subprocess

    env = {**os.environ, **mesh.service_env(), "ADMIN_PASSWORD": password}
    made = subprocess.run(
        [str(REPO / ".venv" / "bin" / "python"), "-m", "services.auth.cli", "create-admin", "--email", email],
        env=env, capture_output=True, text=True, cwd=REPO, timeout=60,
    )
    assert made.returncode == 0, made.stderr


@pytest.fixture(scope="session")
def admin_bearer(mesh) -> dict[str, str]:
    import uuid

    import requests

    email, password = f"admin-{uuid.uuid4().hex[:8]}@example.com", "admin password 1"
    create_admin(mesh, email, password)
    token = requests.post(f"{mesh.base_url}/v1/auth/login", json={"email": email, "password": password}, timeout=30).json()["token"]
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def bearer(account) -> dict[str, str]:
    return {"Authorization": f"Bearer {account['token']}"}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    mesh_fixture = item.funcargs.get("mesh") if hasattr(item, "funcargs") else None
    if report.failed and mesh_fixture is not None and hasattr(mesh_fixture, "log"):
        report.sections.append(("mesh log (last lines)", mesh_fixture.log.tail()))
