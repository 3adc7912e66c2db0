"""The `data` of the booking.* events, as the registry's models describe it, and their publishing."""

from __future__ import annotations

from typing import Any

from apps.core.models import Contact
from apps.events.services import publish
from apps.events.types import EventType
from apps.identity.models import User
from apps.scheduling.models import Booking


def booking_publish(booking: Booking, type_: EventType, *, actor: User | None, **extra: Any) -> None:
    publish(
        organization=booking.organization,
        type=type_,
        subject_type="booking",
        subject_id=booking.id,
        data={**booking_event_data(booking), **extra},
        actor=actor,
    )


def booking_event_data(booking: Booking) -> dict[str, Any]:
    contact: Contact = booking.contact
    service = booking.service
    return {
        "booking": {
            "id": booking.id,
            "start": booking.start,
            "end": booking.end,
            "status": booking.status,
            "resource": {"id": booking.resource.id, "name": booking.resource.name},
            "service": {"id": service.id, "name": service.name} if service is not None else None,
            "cancel_reason": booking.cancel_reason or None,
            "hold_expires_at": booking.hold_expires_at,
        },
        "contact": {
            "id": contact.id,
            "first_name": contact.first_name,
            "last_name": contact.last_name,
            "email": contact.email or None,
            "phone": contact.phone or None,
        },
        "organization": {"name": booking.organization.name, "timezone": booking.organization.timezone},
    }
