"""The event envelope of the CONTRACT, as sent to receivers and shown by GET /events."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from apps.events.models import Event

SYSTEM_ACTOR_ID = "hub-backend"


def event_envelope(event: Event) -> dict[str, Any]:
    return {
        "id": str(event.id),
        "type": event.type,
        "version": event.version,
        "occurred_at": event.occurred_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "organization_id": str(event.organization_id),
        # The CONTRACT envelope always names an actor: the backend itself when no principal acted.
        "actor": (
            {"type": event.actor_type, "id": event.actor_id}
            if event.actor_type
            else {"type": "service", "id": SYSTEM_ACTOR_ID}
        ),
        "subject": {"type": event.subject_type, "id": event.subject_id},
        "data": event.data,
        "correlation_id": event.correlation_id or None,
    }
