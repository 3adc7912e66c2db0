"""The contact's bookings in their GDPR export; erasure clears their free text and redacts their events."""

from __future__ import annotations

from typing import Any

from apps.core.gdpr import register_erasure_step, register_export_section
from apps.core.models import Contact
from apps.events.services import event_redact_subject
from apps.scheduling.models import Booking


def _bookings_section(contact: Contact) -> list[dict[str, Any]]:
    bookings = (
        Booking.objects.for_organization(contact.organization).filter(contact=contact).order_by("start", "id")
    )
    return [
        {
            "id": str(b.id),
            "resource_id": str(b.resource_id),
            "service_id": str(b.service_id) if b.service_id else None,
            "start": b.start,
            "end": b.end,
            "status": b.status,
            "notes": b.notes,
            "cancel_reason": b.cancel_reason,
            "created_at": b.created_at,
        }
        for b in bookings
    ]


def _erase_bookings(contact: Contact) -> None:
    # Runs inside the erasure's transaction; the bookings stay (times and statuses are not personal).
    # Saved one by one, so each change is audited (both fields are masked in audit entries).
    bookings = (
        Booking.objects.for_organization(contact.organization).select_for_update().filter(contact=contact)
    )
    for booking in bookings:
        # Booking events carry the contact's name, email and phone; the outbox keeps them for the
        # organization's retention period (given-up ones until purged): redact them too.
        event_redact_subject(
            organization=contact.organization, subject_type="booking", subject_id=str(booking.id)
        )
        if booking.notes or booking.cancel_reason:
            booking.notes = booking.cancel_reason = ""
            booking.save(update_fields=["notes", "cancel_reason", "updated_at"])


register_export_section("bookings", _bookings_section)
register_erasure_step("bookings", _erase_bookings)
