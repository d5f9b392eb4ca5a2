"""Servicers in-process with grpc_testing: a handler's status, ErrorInfo and response as a
client sees them, with no network and no mesh.

Only what the handler's logic does not need is replaced: a peer the RPC must not reach
(the database behind a validation error is None, so reaching it fails the test) or a
peer whose answer is the input (the login backoff's store, the backends' health).
The services are asyncio servicers and grpc_testing calls handlers synchronously, so
`InProcess` runs each call on its own event loop and maps grpc.aio's awaitable context
calls onto grpc_testing's context, as a synchronous servicer would make them.
"""

from __future__ import annotations

import asyncio
import shutil
import uuid
from types import SimpleNamespace

import grpc
import grpc_testing
import pytest
from grpc_health.v1 import health_pb2

from backdrop.auth.v1 import auth_pb2
from backdrop.billing.v1 import billing_pb2
from backdrop.gateway.v1 import gateway_pb2
from backdrop.jobs.v1 import webhooks_pb2
from services.auth.accounts import BAD_LOGIN, Accounts
from services.auth.passwords import hash_password
from services.auth.store import User
from services.billing.catalog import Catalog
from services.billing.server import Billing
from services.orchestrator.projects import Projects
from services.orchestrator.webhooks import Webhooks
from services.runtime.errors import ServiceError
from services.runtime.objectstore import LocalObjectStore
from services.runtime.signing import UrlSigner


class _Aborted(Exception):
    """grpc.aio's context.abort ends the handler; this carries that out of the coroutine."""


class AioContext:
    """grpc.aio's servicer context over grpc_testing's: abort sets the status and trailing metadata."""

    def __init__(self, context):
        self._context = context

    async def abort(self, code, details="", trailing_metadata=()):
        self._context.set_trailing_metadata(tuple(trailing_metadata))
        self._context.set_code(code)
        self._context.set_details(details)
        raise _Aborted

    async def send_initial_metadata(self, metadata):
        self._context.send_initial_metadata(metadata)

    def __getattr__(self, name):
        return getattr(self._context, name)


class InProcess:
    """An asyncio servicer as grpc_testing calls it: each unary RPC on a fresh event loop."""

    def __init__(self, servicer):
        self._servicer = servicer

    def __getattr__(self, name):
        handler = getattr(self._servicer, name)

        def unary(request, context):
            try:
                return asyncio.run(handler(request, AioContext(context)))
            except _Aborted:
                return None

        return unary


class Answer(SimpleNamespace):
    """What the client got: response, status code, initial and trailing metadata."""

    def error(self) -> ServiceError:
        """The error as a peer service rebuilds it (ServiceError.from_rpc_error, the gateway's own decoding)."""
        rpc_error = grpc.aio.AioRpcError(
            self.code, grpc.aio.Metadata(), grpc.aio.Metadata(*self.trailing), self.details
        )
        return ServiceError.from_rpc_error(rpc_error)


def call(servicer, service, method: str, request) -> Answer:
    server = grpc_testing.server_from_dictionary({service: InProcess(servicer)}, grpc_testing.strict_real_time())
    rpc = server.invoke_unary_unary(service.methods_by_name[method], (), request, 10)
    response, trailing, code, details = rpc.termination()
    try:
        initial = dict(rpc.initial_metadata())
    except ValueError:  # grpc_testing's answer when a handler raised: none was sent
        initial = {}
    return Answer(response=response, code=code, details=details, trailing=trailing, initial=initial)


def refused(answer: Answer, code: grpc.StatusCode, reason: str, http_status: int) -> ServiceError:
    assert answer.code == code, (answer.code, answer.details)
    error = answer.error()
    assert (error.reason, error.http_status) == (reason, http_status)
    return error


# --- billing: quotes from plans.json, and ids checked before the ledger ---------------------------

BILLING = billing_pb2.DESCRIPTOR.services_by_name["BillingService"]


def billing() -> Billing:
    return Billing(ledger=None, catalog=Catalog.load(), subscriptions=None)  # a validation error never reaches them


def test_quote_is_seed_001s_batch_example():
    answer = call(billing(), BILLING, "Quote", billing_pb2.QuoteRequest(tier="standard", imageCount=100))
    assert answer.code == grpc.StatusCode.OK
    pricing = answer.response
    assert (pricing.tier, pricing.imageCount, pricing.baseCreditsPerImage, pricing.baseTotal) == ("standard", 100, 8, 800)
    assert (pricing.discountPercentage, pricing.discountAmount, pricing.finalTotal) == (10, 80, 720)


@pytest.mark.parametrize(
    ("tier", "count", "reason", "field"),
    [("gold", 1, "INVALID_TIER", "tier"), ("basic", 0, "INVALID_INPUT", "imageCount"), ("basic", 501, "INVALID_INPUT", "imageCount")],
)
def test_bad_quote_is_a_400_naming_the_field(tier, count, reason, field):
    answer = call(billing(), BILLING, "Quote", billing_pb2.QuoteRequest(tier=tier, imageCount=count))
    error = refused(answer, grpc.StatusCode.INVALID_ARGUMENT, reason, 400)
    assert error.details["field"] == field


def test_charge_with_a_malformed_user_id_is_refused_before_the_ledger():
    request = billing_pb2.ChargeRequest(user_id="42", job_id=str(uuid.uuid4()), tier="basic", image_count=1)
    error = refused(call(billing(), BILLING, "Charge", request), grpc.StatusCode.INVALID_ARGUMENT, "INVALID_INPUT", 400)
    assert error.details["field"] == "user_id" and "UUID" in error.message


def test_empty_batch_charge_is_refused():
    request = billing_pb2.ChargeBatchRequest(user_id=str(uuid.uuid4()), tier="basic")
    error = refused(call(billing(), BILLING, "ChargeBatch", request), grpc.StatusCode.INVALID_ARGUMENT, "INVALID_INPUT", 400)
    assert error.details["field"] == "job_ids"


# --- auth: sign-up checks, the login backoff, one answer for a wrong password and an unknown email ---

AUTH = auth_pb2.DESCRIPTOR.services_by_name["AuthService"]


class LoginStore:
    """The auth tables as Login reads them: a backoff, one user, and the failures it records."""

    def __init__(self, blocked_s: float = 0.0, user: User | None = None):
        self.blocked_s, self.user = blocked_s, user
        self.failures: list[dict[str, int]] = []
        self.looked_up: list[str] = []

    async def blocked_for(self, subjects):
        return self.blocked_s

    async def user_by_email(self, email):
        self.looked_up.append(email)
        return self.user if self.user and self.user.email == email else None

    async def record_failure(self, free_failures, max_block_s):
        self.failures.append(dict(free_failures))


def accounts(store=None) -> Accounts:
    return Accounts(store, keyring_of=None)


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"email": "not-an-email", "password": "a long password", "name": "Ann"}, "email", "valid email"),
        ({"email": "ann@example.com", "password": "short", "name": "Ann"}, "password", "at least 8"),
        ({"email": "ann@example.com", "password": "a long password", "name": "A"}, "name", "at least 2"),
        ({"email": "ann@example.com", "password": "a long password", "name": "Ann", "avatar": "javascript:x"}, "avatar", "http(s)"),
    ],
)
def test_register_refuses_bad_fields_before_the_database(fields, field, words):
    answer = call(accounts(), AUTH, "Register", auth_pb2.RegisterRequest(**fields))
    error = refused(answer, grpc.StatusCode.INVALID_ARGUMENT, "INVALID_INPUT", 400)
    assert error.details["field"] == field and words in error.message


def test_blocked_login_is_a_429_with_retry_after_and_never_checks_the_password():
    store = LoginStore(blocked_s=30.2)
    request = auth_pb2.LoginRequest(email="Ann@Example.com", password="whatever it is", client_ip="203.0.113.7")
    answer = call(accounts(store), AUTH, "Login", request)
    error = refused(answer, grpc.StatusCode.RESOURCE_EXHAUSTED, "RATE_LIMIT_EXCEEDED", 429)
    assert error.details["retry_after"] == "31" and "31 seconds" in error.message
    assert store.looked_up == [] and store.failures == []


def test_wrong_password_and_unknown_email_get_the_same_answer_and_both_count():
    user = User(
        id=str(uuid.uuid4()), email="ann@example.com", password_hash=asyncio.run(hash_password("the right password")),
        name="Ann", avatar="", role="user", plan="free",
    )
    answers = []
    for email, password in (("ann@example.com", "a wrong password"), ("nobody@example.com", "the right password")):
        store = LoginStore(user=user)
        request = auth_pb2.LoginRequest(email=email, password=password, client_ip="203.0.113.7")
        answer = call(accounts(store), AUTH, "Login", request)
        error = refused(answer, grpc.StatusCode.UNAUTHENTICATED, "INVALID_CREDENTIALS", 401)
        answers.append(error.message)
        assert store.failures == [{f"account:{email}|203.0.113.7": 5, "ip:203.0.113.7": 50}]
    assert answers == [BAD_LOGIN, BAD_LOGIN]


def test_deleting_a_malformed_api_key_id_is_a_404():
    request = auth_pb2.DeleteApiKeyRequest(user_id=str(uuid.uuid4()), api_key_id="../../etc")
    refused(call(accounts(), AUTH, "DeleteApiKey", request), grpc.StatusCode.NOT_FOUND, "API_KEY_NOT_FOUND", 404)


# --- orchestrator: projects' and webhooks' input checks, before any row is written -----------------

PROJECTS = webhooks_pb2.DESCRIPTOR.services_by_name["ProjectService"]
WEBHOOKS = webhooks_pb2.DESCRIPTOR.services_by_name["WebhookService"]


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"name": "   ", "type": "image"}, "name", "name is required"),
        ({"name": "x" * 201, "type": "image"}, "name", "at most 200"),
        ({"name": "Shoot", "type": "film"}, "type", "image, video, batch"),
        ({"name": "Shoot", "type": "image", "description": "d" * 2001}, "description", "2000"),
    ],
)
def test_create_project_refuses_bad_fields(fields, field, words):
    request = webhooks_pb2.CreateProjectRequest(owner_id=str(uuid.uuid4()), **fields)
    answer = call(Projects(db=None, webhooks=None, objects=None), PROJECTS, "CreateProject", request)
    error = refused(answer, grpc.StatusCode.INVALID_ARGUMENT, "INVALID_PARAMETER", 400)
    assert error.details["field"] == field and words in error.message


@pytest.mark.parametrize(
    ("fields", "reason", "field"),
    [
        ({"url": "ftp://example.com/hook", "events": ["job.completed"]}, "INVALID_URL", "url"),
        ({"url": "http://127.0.0.1:9000/hook", "events": ["job.completed"]}, "URL_NOT_ALLOWED", "url"),  # the SSRF guard
        ({"url": "http://169.254.169.254/latest", "events": ["job.completed"]}, "URL_NOT_ALLOWED", "url"),
        ({"url": "https://93.184.215.14/hook", "events": ["job.done"]}, "INVALID_PARAMETER", "events"),
        ({"url": "https://93.184.215.14/hook", "events": []}, "INVALID_PARAMETER", "events"),
        ({"url": "https://93.184.215.14/hook", "events": ["job.failed"], "secret": "whsec_!"}, "INVALID_WEBHOOK_SECRET", "secret"),
    ],
)
def test_create_webhook_refuses_bad_targets_events_and_secrets(fields, reason, field):
    request = webhooks_pb2.CreateWebhookRequest(owner_id=str(uuid.uuid4()), **fields)
    answer = call(Webhooks(db=None, signer=None), WEBHOOKS, "CreateWebhook", request)
    error = refused(answer, grpc.StatusCode.INVALID_ARGUMENT, reason, 400)
    assert error.details["field"] == field


# --- gateway: /health from the backends' grpc.health.v1 answers --------------------------------------

GATEWAY = gateway_pb2.DESCRIPTOR.services_by_name["Gateway"]
SERVING, NOT_SERVING = health_pb2.HealthCheckResponse.SERVING, health_pb2.HealthCheckResponse.NOT_SERVING


class HealthChannel:
    """A backend's channel as the gateway's stubs use it: grpc.health.v1 answers, nothing else.
    `statuses` maps "" (the whole server) and each registered dependency to its status;
    None is a backend that does not answer at all."""

    def __init__(self, statuses: dict[str, int] | None):
        self.statuses = statuses

    def _method(self, path, *args, **kwargs):
        async def invoke(request, timeout=None, **_):
            assert path == "/grpc.health.v1.Health/Check", f"Health must only ask for health, not {path}"
            if self.statuses is None:
                raise grpc.aio.AioRpcError(grpc.StatusCode.UNAVAILABLE, grpc.aio.Metadata(), grpc.aio.Metadata(), "refused")
            if request.service not in self.statuses:
                raise grpc.aio.AioRpcError(grpc.StatusCode.NOT_FOUND, grpc.aio.Metadata(), grpc.aio.Metadata(), "unknown service")
            return health_pb2.HealthCheckResponse(status=self.statuses[request.service])

        return invoke

    unary_unary = unary_stream = stream_unary = stream_stream = _method


def gateway_health(tmp_path, **backends):
    from gateway.server import GatewayServicer

    healthy = {"": SERVING, "postgres": SERVING, "nats": SERVING}
    channels = {name: HealthChannel(backends.get(name, healthy)) for name in ("auth", "billing", "orchestrator", "inference")}
    store = LocalObjectStore(tmp_path / "objects")
    removal = SimpleNamespace(billing=None, jobs=None)
    return GatewayServicer(removal, store, UrlSigner(key=b"k" * 32), channels), store


def test_health_is_healthy_when_every_backend_serves(tmp_path):
    servicer, _ = gateway_health(tmp_path)
    answer = call(servicer, GATEWAY, "Health", gateway_pb2.HealthRequest())
    assert answer.code == grpc.StatusCode.OK
    assert (answer.response.status, list(answer.response.unhealthy)) == ("healthy", [])
    assert "x-backdrop-status" not in answer.initial  # Envoy answers 200


def test_health_names_the_failing_dependency_and_the_unreachable_backend_with_a_503(tmp_path):
    servicer, _ = gateway_health(
        tmp_path,
        billing={"": NOT_SERVING, "postgres": NOT_SERVING, "nats": SERVING},
        inference=None,
    )
    answer = call(servicer, GATEWAY, "Health", gateway_pb2.HealthRequest())
    assert answer.code == grpc.StatusCode.OK  # the body is the answer; the REST status travels in the metadata
    assert answer.response.status == "degraded"
    assert sorted(answer.response.unhealthy) == ["billing/postgres", "inference"]
    assert answer.initial["x-backdrop-status"] == "503"


def test_health_reports_the_gateways_own_object_store(tmp_path):
    servicer, store = gateway_health(tmp_path)
    shutil.rmtree(store.root)
    answer = call(servicer, GATEWAY, "Health", gateway_pb2.HealthRequest())
    assert (answer.response.status, list(answer.response.unhealthy)) == ("degraded", ["gateway/object-store"])
    assert answer.initial["x-backdrop-status"] == "503"
