"""The hub's event types: the ones an envelope may name. A type, once published, stays here."""

from __future__ import annotations

EVENT_TYPES: frozenset[str] = frozenset(
    {
        "contact.created",
        "contact.updated",
        "contact.erased",
        "booking.created",
        "booking.confirmed",
        "booking.rescheduled",
        "booking.cancelled",
        "booking.completed",
        "booking.no_show",
        "booking.reminder_due",
        "invoice.issued",
        "invoice.voided",
        "invoice.overdue",
        "payment.succeeded",
        "refund.created",
        "notification.requested",
    }
)
