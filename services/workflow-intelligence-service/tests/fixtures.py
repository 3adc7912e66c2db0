"""Shared fixtures: the real identity-service and backend, a scripted backend for faults, signed events."""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client

from apps.workflows.clients.backend import reset_backend_client
from hubkit.identity import identity_config, reset_verifier, shared_cache_keys
from hubkit.testing import (
    IdentityService,
    ServiceProcess,
    manage,
    recreate_database,
    redis_namespace,
    start_identity_service,
    venv_python,
)
from hubkit.webhooks import sign_headers

ROOT = Path(__file__).resolve().parents[3]
BACKEND_DIR = ROOT / "backend"
ACME = "0a0e0000-0000-4000-8000-000000000001"
GLOBEX = "0a0e0000-0000-4000-8000-000000000002"
WORKFLOW_CLIENT = ("workflow-intelligence-service", "dev-insecure-workflow-client-secret")


@pytest.fixture(scope="session")
def worker() -> str:
    """This test process's name: the xdist worker id, or `main` without xdist."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def use_identity(url: str) -> None:
    settings.IDENTITY = {**settings.IDENTITY, "SERVICE_URL": url, "ISSUER": url}
    reset_verifier()
    reset_backend_client()
    cache.delete_many(list(shared_cache_keys()))


@pytest.fixture(scope="session")
def identity_service(worker: str) -> Iterator[IdentityService]:
    """The real identity-service (fresh database, demo data), started once per test process."""
    service = start_identity_service(
        repo_root=ROOT,
        # Named after this run's own database, so two runs on one machine never share one.
        database_name=f"{settings.DATABASES['default']['NAME']}_identity_{worker}",
    )
    original = identity_config().service_url
    use_identity(service.url)
    try:
        yield service
    finally:
        use_identity(original)
        service.stop()


@dataclass
class RealBackend:
    """The hub's backend, served by Granian on its own fresh database, trusting `identity`."""

    process: ServiceProcess
    identity: IdentityService

    @property
    def url(self) -> str:
        return self.process.url

    def get(self, email: str, path: str) -> Any:
        """GET an /api/v1 path as this demo user; the decoded JSON."""
        response = httpx.get(
            f"{self.url}/api/v1{path}",
            headers={"Authorization": f"Bearer {self.identity.token(email)}"},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        return response.json()

    def notifications(self, email: str, event_id: str) -> list[dict[str, Any]]:
        """This user's notifications a workflow run created for the event."""
        items: list[dict[str, Any]] = self.get(email, "/notifications?limit=200")["items"]
        return [n for n in items if (n.get("data") or {}).get("event_id") == event_id]

    def requested_events(self, event_id: str) -> list[dict[str, Any]]:
        """The backend's `notification.requested` envelopes of the run for the event (admin view)."""
        items: list[dict[str, Any]] = self.get(
            "admin@acme.test", "/events?type=notification.requested&limit=200"
        )["items"]
        return [e for e in items if e["data"]["data"].get("event_id") == event_id]


@pytest.fixture(scope="session")
def real_backend(identity_service: IdentityService, worker: str) -> Iterator[RealBackend]:
    """The real backend, started once per test process (migrating it costs seconds).

    No event worker runs: what the backend publishes stays in its outbox, read through its API.
    """
    run = settings.DATABASES["default"]["NAME"]
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "DATABASE_URL": recreate_database(f"{run}_backend_{worker}"),
        **redis_namespace(f"backend-{worker}").env(),
        "IDENTITY_SERVICE_URL": identity_service.url,
        "IDENTITY_ISSUER": identity_service.url,
    }
    manage(BACKEND_DIR, env, "migrate", "--no-input", "-v", "0")
    process = ServiceProcess(
        cwd=BACKEND_DIR, wsgi="config.wsgi:application", python=venv_python(BACKEND_DIR), env=env
    )
    process.start(timeout=180)  # the backend loads many apps; slow while other suites run
    try:
        yield RealBackend(process=process, identity=identity_service)
    finally:
        process.stop()


@pytest.fixture
def backend(settings: Any, real_backend: RealBackend) -> Iterator[RealBackend]:
    """This service calls the real backend: a request it would refuse fails the test."""
    settings.BACKEND_URL = real_backend.url
    # The backend asks identity-service who the members are before it answers: give it time.
    settings.BACKEND_TIMEOUT_SECONDS = 15.0
    reset_backend_client()
    try:
        yield real_backend
    finally:
        reset_backend_client()


def _backend_operation(method: str, path: str) -> tuple[dict[str, Any], jsonschema_rs.Validator]:
    """The operation in the backend's committed OpenAPI document and a validator of its JSON body."""
    document = json.loads((BACKEND_DIR / "openapi.json").read_text())
    operation: dict[str, Any] = document["paths"][path][method]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    validator = jsonschema_rs.validator_for(
        {**body, "components": document["components"]}, validate_formats=True
    )
    return operation, validator


def openapi_violations(method: str, path: str, headers: dict[str, str], body: Any) -> list[str]:
    """How a request breaks the backend's OpenAPI: its body, header parameters, bearer auth."""
    operation, validator = _backend_operation(method, path)
    problems = [f"body: {error.message}" for error in validator.iter_errors(body)]
    for parameter in operation.get("parameters", []):
        if parameter["in"] != "header":
            continue
        value = headers.get(parameter["name"].lower())
        if value is None:
            if parameter.get("required"):
                problems.append(f"header {parameter['name']}: missing")
            continue
        schema = jsonschema_rs.validator_for(parameter["schema"])
        problems += [f"header {parameter['name']}: {e.message}" for e in schema.iter_errors(value)]
    if not headers.get("authorization", "").startswith("Bearer "):
        problems.append("header Authorization: no bearer token")
    return problems


@dataclass
class Reply:
    status: int = 201
    body: Any = None  # None: a valid answer for the status
    delay: float = 0.0


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def token(self) -> str:
        return self.headers["authorization"].removeprefix("Bearer ")


@dataclass
class ScriptedBackend:
    """Answers POST /api/v1/notifications as scripted (then 201), recording every request.

    Only for what the real backend cannot be made to do on demand (5xx, slowness, a 401 for a
    fresh token, bodies outside its contract). Every request is still checked against the
    backend's OpenAPI: one it would refuse is answered 422 and fails the test at teardown.
    """

    url: str = ""
    script: list[Reply] = field(default_factory=list)
    requests: list[Received] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_reply(self) -> Reply:
        with self.lock:
            return self.script.pop(0) if self.script else Reply()


def _handler(backend: ScriptedBackend) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            received = Received(path=self.path, headers=headers, body=json.loads(raw or b"{}"))
            violations = (
                openapi_violations("post", self.path, headers, received.body)
                if self.path == "/api/v1/notifications"
                else [f"no such operation: POST {self.path}"]
            )
            with backend.lock:
                backend.requests.append(received)
                backend.violations.extend(violations)
            reply = (
                Reply(status=422, body={"code": "validation_error"}) if violations else backend.next_reply()
            )
            time.sleep(reply.delay)
            body = reply.body
            if body is None:
                body = {"items": [{"id": str(uuid.uuid4())}]} if reply.status < 300 else {"code": "error"}
            payload = json.dumps(body).encode() if not isinstance(body, bytes) else body
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout case)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            return

    return Handler


@pytest.fixture
def scripted_backend(settings: Any, identity_service: IdentityService) -> Iterator[ScriptedBackend]:
    """A scripted stand-in for the backend's notifications endpoint, served over real HTTP.

    Nothing in this service is mocked: the client, tokens and HTTP are all real.
    """
    fake = ScriptedBackend()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    settings.BACKEND_URL = fake.url
    reset_backend_client()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        reset_backend_client()
    assert fake.violations == [], "requests the backend's OpenAPI refuses"


def envelope(
    event_type: str = "booking.no_show", *, organization_id: str = ACME, **data: Any
) -> dict[str, Any]:
    event_id = str(uuid.uuid4())
    subject_type = event_type.split(".", 1)[0]
    return {
        "id": event_id,
        "type": event_type,
        "version": 1,
        "occurred_at": datetime.now(tz=UTC).isoformat(),
        "organization_id": organization_id,
        "actor": {"type": "user", "id": str(uuid.uuid4())},
        "subject": {"type": subject_type, "id": str(uuid.uuid4())},
        "data": data,
        "correlation_id": "corr-" + uuid.uuid4().hex,
    }


def no_show(*, organization_id: str = ACME) -> dict[str, Any]:
    booking_id = str(uuid.uuid4())
    event = envelope(
        "booking.no_show",
        organization_id=organization_id,
        booking={
            "id": booking_id,
            "start": "2026-03-02T09:00:00+00:00",
            "end": "2026-03-02T09:30:00+00:00",
            "status": "no_show",
            "resource": {"id": str(uuid.uuid4()), "name": "Dr. Rivera"},
            "service": {"id": str(uuid.uuid4()), "name": "Check-up"},
        },
        contact={"id": str(uuid.uuid4()), "first_name": "Ada", "last_name": "Lovelace"},
    )
    event["subject"]["id"] = booking_id
    return event


def refund(amount: str, currency: str = "EUR", *, organization_id: str = ACME) -> dict[str, Any]:
    return envelope(
        "refund.created",
        organization_id=organization_id,
        refund={"id": str(uuid.uuid4()), "amount": {"amount": amount, "currency": currency}, "reason": "Ill"},
        payment={"id": str(uuid.uuid4())},
        contact={"id": str(uuid.uuid4())},
    )


def signed(
    event: dict[str, Any], *, secret: str | None = None, timestamp: datetime | None = None
) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(event).encode()
    headers = sign_headers(
        msg_id=str(event.get("id")),
        body=body,
        secrets=[secret or settings.WEBHOOK_SECRETS[0]],
        timestamp=timestamp,
    )
    return body, headers


def deliver(body: bytes, headers: dict[str, str], client: Client | None = None) -> Any:
    extra: dict[str, Any] = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}
    return (client or Client()).post("/api/v1/events", data=body, content_type="application/json", **extra)


@pytest.fixture
def send_event() -> Callable[[dict[str, Any]], Any]:
    """Sign and deliver an envelope the way the backend does."""

    def send(event: dict[str, Any]) -> Any:
        return deliver(*signed(event))

    return send


def bearer(token: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")
