"""Shared fixtures: signed deliveries, event payloads, recorded messages, the real identity-service."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client

from apps.messaging.models import Message, ReceivedEvent
from hubkit.identity import identity_config, reset_verifier, shared_cache_keys
from hubkit.testing import IdentityService, start_identity_service
from hubkit.webhooks import sign_headers

ROOT = Path(__file__).resolve().parents[3]
ACME = uuid.UUID("0a0e0000-0000-4000-8000-000000000001")
GLOBEX = uuid.UUID("0a0e0000-0000-4000-8000-000000000002")
EVENTS_URL = "/api/v1/events"


def booking_data(
    *,
    email: str | None = "jane@example.org",
    phone: str | None = None,
    start: str = "2025-03-10T08:00:00Z",
    end: str = "2025-03-10T08:30:00Z",
    timezone: str = "Europe/Berlin",
    organization: str = "Acme Clinic",
    cancel_reason: str | None = None,
    status: str = "confirmed",
    hold_expires_at: str | None = None,
) -> dict[str, Any]:
    return {
        "booking": {
            "id": str(uuid.uuid4()),
            "start": start,
            "end": end,
            "status": status,
            "resource": {"id": str(uuid.uuid4()), "name": "Dr. Rivera"},
            "service": {"id": str(uuid.uuid4()), "name": "Check-up"},
            "cancel_reason": cancel_reason,
            "hold_expires_at": hold_expires_at,
        },
        "contact": {
            "id": str(uuid.uuid4()),
            "first_name": "Jane",
            "last_name": "Doe",
            "email": email,
            "phone": phone,
        },
        "organization": {"name": organization, "timezone": timezone},
    }


def notification_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "notification_id": str(uuid.uuid4()),
        "channel": "email",
        "recipient": {
            "user_id": str(uuid.uuid4()),
            "email": "mia@acme.test",
            "name": "Mia Manager",
            "phone": None,
        },
        "category": "booking",
        "severity": "warning",
        "title": "Jane Doe did not show up",
        "body": "The 09:00 check-up was marked as a no-show.",
        "action_url": "/bookings/123",
        "data": {},
    }
    data.update(overrides)
    return data


ACCEPT_URL = "http://127.0.0.1:5173/invitations/accept?token=SECRET-accept-token-0123456789abcdefghijk"


def invitation_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "invitation_id": str(uuid.uuid4()),
        "email": "new.person@example.org",
        "role": "staff",
        "organization": {"id": str(ACME), "name": "Acme Clinic"},
        "inviter": {"name": "Olga Owner", "email": "owner@acme.test"},
        "accept_url": ACCEPT_URL,
        "expires_at": "2026-12-04T14:00:00Z",
    }
    data.update(overrides)
    return data


def security_notice_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "notice_id": str(uuid.uuid4()),
        "kind": "mfa_enabled",
        "recipient": {"name": "Mia Manager", "email": "mia@acme.test"},
        "created_at": "2026-12-01T10:00:00Z",
    }
    data.update(overrides)
    return data


def identity_signed(event: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    """Signed as identity-service signs its deliveries."""
    return signed(event, secrets=settings.IDENTITY_WEBHOOK_SECRETS)


def envelope(
    event_type: str, data: dict[str, Any], *, organization_id: uuid.UUID = ACME, **overrides: Any
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "type": event_type,
        "version": 1,
        "occurred_at": datetime.now(tz=UTC).isoformat(),
        "organization_id": str(organization_id),
        "actor": {"type": "user", "id": str(uuid.uuid4())},
        "subject": {"type": "booking", "id": str(uuid.uuid4())},
        "data": data,
        "correlation_id": uuid.uuid4().hex,
    }
    event.update(overrides)
    return event


def signed(
    event: dict[str, Any] | bytes,
    *,
    secrets: list[str] | None = None,
    msg_id: str | None = None,
    timestamp: datetime | None = None,
) -> tuple[bytes, dict[str, str]]:
    """The body and the Standard Webhooks headers a sender would send."""
    body = event if isinstance(event, bytes) else json.dumps(event).encode()
    if msg_id is None:
        msg_id = event["id"] if isinstance(event, dict) else str(uuid.uuid4())
    headers = sign_headers(
        msg_id=msg_id, body=body, secrets=secrets or settings.WEBHOOK_SECRETS, timestamp=timestamp
    )
    if isinstance(event, dict) and event.get("correlation_id"):
        headers["X-Request-ID"] = event["correlation_id"]
    return body, headers


def post_event(body: bytes, headers: dict[str, str], client: Client | None = None) -> Any:
    client = client or Client(raise_request_exception=False)
    return client.post(EVENTS_URL, data=body, content_type="application/json", headers=headers)


def deliver(event: dict[str, Any], **kwargs: Any) -> Any:
    """Sign and POST one event; returns the response."""
    return post_event(*signed(event, **kwargs))


def stored() -> tuple[int, int]:
    """(received events, messages) in the database."""
    return ReceivedEvent.objects.count(), Message.objects.count()


@pytest.fixture
def make_message(db: None) -> Callable[..., Message]:
    """A recorded message (and its event) for the read API."""

    def make(organization_id: uuid.UUID = ACME, **fields: Any) -> Message:
        event_id = uuid.uuid4()
        event = ReceivedEvent.objects.create(
            webhook_id=str(event_id),
            event_id=event_id,
            event_type=fields.get("event_type", "booking.created"),
            organization_id=organization_id,
            occurred_at=datetime.now(tz=UTC),
        )
        values: dict[str, Any] = {
            "channel": "email",
            "recipient": "jane@example.org",
            "subject": "Hello",
            "body": "Hi",
            "status": "sent",
            "event_type": event.event_type,
            **fields,
        }
        return Message.objects.create(
            organization_id=organization_id, received_event=event, event_id=event_id, **values
        )

    return make


@pytest.fixture(scope="session")
def worker() -> str:
    """This test process's name: the xdist worker id, or `main` without xdist."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def use_identity(url: str) -> None:
    settings.IDENTITY = {**settings.IDENTITY, "SERVICE_URL": url, "ISSUER": url}
    reset_verifier()
    cache.delete_many(list(shared_cache_keys()))


@pytest.fixture(scope="session")
def identity_service(worker: str) -> Iterator[IdentityService]:
    """The real identity-service (fresh database, demo users), started once per test process."""
    service = start_identity_service(
        repo_root=ROOT,
        # Named after this run's own database too, so parallel runs never drop each other's.
        database_name=f"{settings.DATABASES['default']['NAME']}_identity_{worker}",
    )
    original = identity_config().service_url
    use_identity(service.url)
    try:
        yield service
    finally:
        use_identity(original)
        service.stop()


def bearer(token: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}", raise_request_exception=False)
