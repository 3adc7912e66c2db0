"""Valid `data` for the registered event types, for tests that publish events of their own."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any


def contact_data(
    *, contact_id: uuid.UUID | str | None = None, first_name: str = "Ada", last_name: str = "Lovelace"
) -> dict[str, Any]:
    """`data` of contact.created; with `changed`, of contact.updated."""
    return {
        "contact": {
            "id": str(contact_id or uuid.uuid4()),
            "first_name": first_name,
            "last_name": last_name,
            "email": None,
            "phone": None,
            "tags": [],
            "archived_at": None,
        }
    }


def contact_updated_data(*, changed: list[str], **contact: Any) -> dict[str, Any]:
    return {"changed": changed, **contact_data(**contact)}


def booking_data(*, booking_id: uuid.UUID | str | None = None, status: str = "confirmed") -> dict[str, Any]:
    """`data` of the booking.* types (booking.reminder_due adds `remind_at`)."""
    start = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    return {
        "booking": {
            "id": str(booking_id or uuid.uuid4()),
            "start": start.isoformat(),
            "end": (start + timedelta(minutes=30)).isoformat(),
            "status": status,
            "resource": {"id": str(uuid.uuid4()), "name": "Room 1"},
            "service": None,
        },
        "contact": {
            "id": str(uuid.uuid4()),
            "first_name": "Nils",
            "last_name": "Noshow",
            "email": None,
            "phone": None,
        },
        "organization": {"name": "Acme Clinic", "timezone": "Europe/Berlin"},
    }
