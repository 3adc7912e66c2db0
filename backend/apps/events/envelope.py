"""The event envelope, as sent to receivers and shown by GET /events (its schema: `docs/events.md`)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from apps.events.models import Event

SYSTEM_ACTOR_ID = "hub-backend"

# The Event fields an envelope is made of (for queries that read values, not model instances).
ENVELOPE_FIELDS = (
    "id",
    "type",
    "version",
    "occurred_at",
    "organization_id",
    "actor_type",
    "actor_id",
    "subject_type",
    "subject_id",
    "data",
    "correlation_id",
)


def event_envelope(event: Event) -> dict[str, Any]:
    return envelope(**{name: getattr(event, name) for name in ENVELOPE_FIELDS})


def envelope(
    *,
    id: uuid.UUID,  # noqa: A002 - the envelope's field name
    type: str,  # noqa: A002 - the envelope's field name
    version: int,
    occurred_at: datetime,
    organization_id: uuid.UUID,
    actor_type: str,
    actor_id: str,
    subject_type: str,
    subject_id: str,
    data: Any,
    correlation_id: str,
) -> dict[str, Any]:
    return {
        "id": str(id),
        "type": type,
        "version": version,
        "occurred_at": occurred_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "organization_id": str(organization_id),
        # Receivers always get an actor: the backend itself when no principal acted.
        "actor": {"type": actor_type, "id": actor_id}
        if actor_type
        else {"type": "service", "id": SYSTEM_ACTOR_ID},
        "subject": {"type": subject_type, "id": subject_id},
        "data": data,
        "correlation_id": correlation_id or None,
    }
