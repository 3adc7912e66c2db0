"""Scheduling test helpers: resources open every day, the next working day, bookings made directly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils import timezone

from apps.core.models import Resource
from apps.scheduling.models import Booking, BookingStatus
from tests.factories import acme, make_contact, make_resource

EVERY_DAY_9_TO_17 = [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(7)]


def open_resource(**fields: Any) -> Resource:
    """A resource working 09:00-17:00 UTC every day (unless told otherwise)."""
    return make_resource(**{"timezone": "UTC", "working_hours": EVERY_DAY_9_TO_17, **fields})


def tomorrow_at(hour: int, minute: int = 0, *, days: int = 1) -> datetime:
    """A UTC instant `days` from today at hour:minute (tomorrow is always past the default notice)."""
    today = timezone.now().astimezone(UTC).date()
    return datetime(today.year, today.month, today.day, hour, minute, tzinfo=UTC) + timedelta(days=days)


def make_booking(**fields: Any) -> Booking:
    """A booking inserted directly (no availability rules): for past bookings and prepared states."""
    resource = fields.pop("resource", None) or open_resource()
    start = fields.pop("start", None) or tomorrow_at(10)
    end = fields.pop("end", None) or start + timedelta(minutes=30)
    booking = Booking(
        organization=resource.organization or acme(),
        resource=resource,
        contact=fields.pop("contact", None) or make_contact(organization=resource.organization),
        start=start,
        end=end,
        blocked_start=fields.pop("blocked_start", start),
        blocked_end=fields.pop("blocked_end", end),
        status=fields.pop("status", BookingStatus.CONFIRMED),
        **fields,
    )
    booking.session = fields.get("session", booking.id)
    booking.save(force_insert=True)
    return booking
