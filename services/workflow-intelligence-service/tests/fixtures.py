"""Shared fixtures: the real identity-service, a stand-in backend over real HTTP, signed events."""

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

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client

from apps.workflows.clients.backend import reset_backend_client
from hubkit.identity import identity_config, reset_verifier, shared_cache_keys
from hubkit.testing import IdentityService, start_identity_service
from hubkit.webhooks import sign_headers

ROOT = Path(__file__).resolve().parents[3]
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
        database_name=f"test_hub_workflow_identity_{worker}",
        redis_url="redis://127.0.0.1:6379/3",
    )
    original = identity_config().service_url
    use_identity(service.url)
    try:
        yield service
    finally:
        use_identity(original)
        service.process.stop()


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
class FakeBackend:
    """Answers POST /api/v1/notifications as scripted (then 201), recording every request."""

    url: str = ""
    script: list[Reply] = field(default_factory=list)
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_reply(self) -> Reply:
        with self.lock:
            return self.script.pop(0) if self.script else Reply()


def _handler(backend: FakeBackend) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with backend.lock:
                backend.requests.append(
                    Received(
                        path=self.path,
                        headers={k.lower(): v for k, v in self.headers.items()},
                        body=json.loads(raw or b"{}"),
                    )
                )
            reply = backend.next_reply()
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
def backend(settings: Any, identity_service: IdentityService) -> Iterator[FakeBackend]:
    """A stand-in for the backend's notifications endpoint, served over real HTTP.

    The backend is another hub service and its POST /api/v1/notifications is still being built;
    this server speaks the agreed contract only until the end-to-end suite runs against the real
    backend. Nothing in this service is mocked: the client, tokens and HTTP are all real.
    """
    fake = FakeBackend()
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
