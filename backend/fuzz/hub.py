"""The four services under fuzz, as real processes with fresh databases of their own."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import redis

from hubkit.testing import (
    IdentityService,
    ServiceProcess,
    free_port,
    manage,
    recreate_database,
    start_identity_service,
    venv_python,
)
from hubkit.webhooks import sign_headers

BACKEND = Path(__file__).resolve().parent.parent
ROOT = BACKEND.parent
COMMUNICATION = ROOT / "services" / "communication-service"
WORKFLOW = ROOT / "services" / "workflow-intelligence-service"
DEMO_IDENTITIES = ROOT / "infrastructure" / "demo" / "identities.json"
# The fuzz's own Redis database (the test suites use 3-9 and 15): identity-service keeps its
# login-failure counters there, and a run's failed logins must not lock out the next run's.
REDIS_URL = "redis://127.0.0.1:6379/12"
ACME = "0a0e0000-0000-4000-8000-000000000001"
# The receivers' signing secrets in the fuzz (so it can sign the events that seed them).
WEBHOOK_SECRETS = {
    "communication": "dev-insecure-fuzz-communication-webhook-secret",
    "workflow": "dev-insecure-fuzz-workflow-webhook-secret",
}


# In the order they are fuzzed (see running_hub).
SERVICE_NAMES = ("backend", "communication-service", "workflow-intelligence-service", "identity-service")


@dataclass(frozen=True)
class Service:
    """One running service: its name and where its API and OpenAPI document are."""

    name: str
    url: str

    @property
    def openapi_url(self) -> str:
        return f"{self.url}/api/v1/openapi.json"


@dataclass(frozen=True)
class Hub:
    identity: IdentityService
    services: tuple[Service, ...]


def demo_client_secret(client_id: str) -> str:
    """The dev secret of one of the demo service clients identity-service is seeded with."""
    clients = json.loads(DEMO_IDENTITIES.read_text())["clients"]
    return next(str(client["secret"]) for client in clients if client["client_id"] == client_id)


def _booking_event(event_type: str, *, phone: str | None) -> dict[str, Any]:
    start = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    return {
        "id": str(uuid.uuid4()),
        "type": event_type,
        "version": 1,
        "occurred_at": datetime.now(tz=UTC).isoformat(),
        "organization_id": ACME,
        "actor": {"type": "user", "id": str(uuid.uuid4())},
        "subject": {"type": "booking", "id": str(uuid.uuid4())},
        "data": {
            "booking": {
                "id": str(uuid.uuid4()),
                "start": start.isoformat(),
                "end": (start + timedelta(minutes=30)).isoformat(),
                "status": event_type.removeprefix("booking."),
                "resource": {"id": str(uuid.uuid4()), "name": "Room 1"},
                "service": None,
            },
            "contact": {
                "id": str(uuid.uuid4()),
                "first_name": "Nils",
                "last_name": "Noshow",
                "email": None,
                "phone": phone,
            },
            "organization": {"name": "Acme Clinic", "timezone": "Europe/Berlin"},
        },
        "correlation_id": uuid.uuid4().hex,
    }


def _seed_receivers(urls: dict[str, str]) -> None:
    """Signed events, so the receivers' lists have something to answer: messages (one SMS sent,
    one skipped for want of an address) and workflow runs (the no-show rule notifies Acme's
    managers through the real backend)."""
    deliveries = {
        "communication": [
            _booking_event("booking.confirmed", phone="+4915112345678"),
            _booking_event("booking.cancelled", phone=None),
        ],
        "workflow": [_booking_event("booking.no_show", phone=None)],
    }
    for name, events in deliveries.items():
        for event in events:
            body = json.dumps(event).encode()
            headers = sign_headers(msg_id=event["id"], body=body, secrets=[WEBHOOK_SECRETS[name]])
            response = httpx.post(
                f"{urls[name]}/api/v1/events",
                content=body,
                headers={**headers, "Content-Type": "application/json"},
                timeout=30,
            )
            if response.status_code != 200:
                raise RuntimeError(f"seeding {name} failed: {response.status_code} {response.text}")


def _database_prefix() -> str:
    """Named after this run's DATABASE_URL, so parallel runs in other checkouts never collide."""
    url = os.environ.get("DATABASE_URL", "")
    name = urlsplit(url).path.lstrip("/") if url else ""
    return f"{name or 'hub'}_fuzz"


@contextmanager
def running_hub() -> Iterator[Hub]:
    """Identity (demo users), backend (demo data), communication and workflow, stopped on exit."""
    prefix = _database_prefix()
    redis.Redis.from_url(REDIS_URL).flushdb()
    with ExitStack() as stack:
        identity = start_identity_service(
            repo_root=ROOT, database_name=f"{prefix}_identity", redis_url=REDIS_URL
        )
        stack.callback(identity.process.stop)
        common = {
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "DEBUG": "false",
            "LOG_LEVEL": "WARNING",
            "REDIS_URL": REDIS_URL,
            "IDENTITY_SERVICE_URL": identity.url,
            "IDENTITY_ISSUER": identity.url,
        }
        ports = {name: free_port() for name in ("backend", "communication", "workflow")}
        urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        envs = {
            # No worker runs: events stay in the backend's outbox, nothing is delivered.
            "backend": {
                **common,
                "DATABASE_URL": recreate_database(f"{prefix}_backend"),
                "COMMUNICATION_SERVICE_URL": urls["communication"],
                "WORKFLOW_SERVICE_URL": urls["workflow"],
            },
            "communication": {
                **common,
                "DATABASE_URL": recreate_database(f"{prefix}_communication"),
                # Nothing listens there: mail fails (the seeded messages are SMS); fuzzed events are unsigned.
                "EMAIL_HOST": "127.0.0.1",
                "EMAIL_PORT": str(free_port()),
                "WEBHOOK_SECRETS": WEBHOOK_SECRETS["communication"],
            },
            "workflow": {
                **common,
                "DATABASE_URL": recreate_database(f"{prefix}_workflow"),
                "BACKEND_URL": urls["backend"],
                "WEBHOOK_SECRETS": WEBHOOK_SECRETS["workflow"],
            },
        }
        directories = {"backend": BACKEND, "communication": COMMUNICATION, "workflow": WORKFLOW}
        for name, directory in directories.items():
            manage(directory, envs[name], "migrate", "--no-input", "-v", "0")
        manage(BACKEND, envs["backend"], "seed_demo")
        for name, directory in directories.items():
            process = ServiceProcess(
                cwd=directory,
                wsgi="config.wsgi:application",
                python=venv_python(directory),
                env=envs[name],
                port=ports[name],
            )
            stack.enter_context(process)
        _seed_receivers(urls)
        yield Hub(
            identity=identity,
            # Identity last: its owner run may really change who is a member of Acme (the
            # fuzzer adds an owner, then removes the demo one), ending the sessions of the demo
            # owner whose token the other services' runs use.
            services=(
                Service("backend", urls["backend"]),
                Service("communication-service", urls["communication"]),
                Service("workflow-intelligence-service", urls["workflow"]),
                Service("identity-service", identity.url),
            ),
        )
