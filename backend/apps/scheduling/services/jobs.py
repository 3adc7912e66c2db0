"""The periodic jobs' writes: tidying expired holds, publishing reminders that came due."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.events.types import EventType
from apps.scheduling.events import booking_publish
from apps.scheduling.models import Booking, BookingStatus
from apps.scheduling.selectors import scheduling_settings_of
from apps.scheduling.services.status import HOLD_EXPIRED_REASON, booking_set_status

# The longest reminder lead the settings allow: how far ahead the job looks.
MAX_REMINDER_LEAD = timedelta(days=7)


def booking_expire_holds(*, now: datetime | None = None, limit: int = 500) -> int:
    """Cancels holds past their expiry (the periodic tidy-up); returns how many."""
    now = now or timezone.now()
    done = 0
    with transaction.atomic():
        expired = (
            Booking.all_tenants.select_for_update(skip_locked=True, of=("self",))
            .select_related("organization", "resource", "service", "contact")
            .filter(status=BookingStatus.HELD, hold_expires_at__lte=now)
            .order_by("hold_expires_at")[:limit]
        )
        for hold in expired:
            booking_set_status(hold, BookingStatus.CANCELLED, actor=None, cancel_reason=HOLD_EXPIRED_REASON)
            done += 1
    return done


def booking_remind_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Publishes `booking.reminder_due` for each booking whose reminder time came; once per start."""
    now = now or timezone.now()
    lead_of: dict[uuid.UUID, timedelta | None] = {}
    sent = 0
    with transaction.atomic():
        candidates = (
            Booking.all_tenants.select_for_update(skip_locked=True, of=("self",))
            .select_related("organization", "resource", "service", "contact")
            .filter(
                status__in=[BookingStatus.PENDING, BookingStatus.CONFIRMED],
                start__gt=now,
                start__lte=now + MAX_REMINDER_LEAD,
            )
            # In SQL, so bookings already reminded never fill the batch and starve later ones.
            .exclude(reminded_start=F("start"))
            .order_by("start")[:limit]
        )
        for booking in candidates:
            if booking.organization_id not in lead_of:
                minutes = scheduling_settings_of(organization=booking.organization).reminder_lead_minutes
                lead_of[booking.organization_id] = timedelta(minutes=minutes) if minutes else None
            lead = lead_of[booking.organization_id]
            if lead is None or booking.start - lead > now:
                continue
            booking.reminded_start = booking.start
            booking.save(update_fields=["reminded_start", "updated_at"])
            remind_at = booking.start - lead
            booking_publish(booking, EventType.BOOKING_REMINDER_DUE, actor=None, remind_at=remind_at)
            sent += 1
    return sent
