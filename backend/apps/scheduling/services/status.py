"""Booking status changes: which status each may start from, and the write with its event."""

from __future__ import annotations

from apps.events.types import EventType
from apps.identity.models import User
from apps.scheduling.events import booking_publish
from apps.scheduling.models import Booking, BookingStatus

HOLD_EXPIRED_REASON = "Hold expired"

TRANSITIONS: dict[str, tuple[set[str], EventType]] = {
    BookingStatus.CONFIRMED: ({BookingStatus.HELD, BookingStatus.PENDING}, EventType.BOOKING_CONFIRMED),
    BookingStatus.CANCELLED: (
        {BookingStatus.HELD, BookingStatus.PENDING, BookingStatus.CONFIRMED},
        EventType.BOOKING_CANCELLED,
    ),
    BookingStatus.COMPLETED: ({BookingStatus.CONFIRMED}, EventType.BOOKING_COMPLETED),
    BookingStatus.NO_SHOW: ({BookingStatus.CONFIRMED}, EventType.BOOKING_NO_SHOW),
}


def booking_set_status(booking: Booking, status: str, *, actor: User | None, cancel_reason: str = "") -> None:
    """Saves the new status (inside the caller's transaction, on a locked row) and publishes it."""
    booking.status = status
    fields = ["status", "updated_at"]
    if status == BookingStatus.CANCELLED:
        booking.cancel_reason = cancel_reason
        fields.append("cancel_reason")
    if status == BookingStatus.CONFIRMED and booking.hold_expires_at is not None:
        booking.hold_expires_at = None
        fields.append("hold_expires_at")
    booking.save(update_fields=fields)
    booking_publish(booking, TRANSITIONS[status][1], actor=actor)
