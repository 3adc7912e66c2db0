"""Scheduling reads: bookings, an organization's settings, a resource's schedule and free slots."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.utils import timezone

from apps.core.models import Resource, Service, TimeOff, WorkingHoursOverride
from apps.core.selectors.resources import resource_get, service_get
from apps.identity.models import Organization
from apps.scheduling.availability import (
    Busy,
    BusyIndex,
    Period,
    Slot,
    free_slots,
    group_session,
    working_periods,
)
from apps.scheduling.exceptions import BookingNotFound
from apps.scheduling.models import BLOCKING_STATUSES, Booking, BookingStatus, SchedulingSettings
from hubkit.errors import ValidationFailed

# Longest buffer a service may have (core's schema): how far outside a period a booking can block it.
MAX_BUFFER = timedelta(hours=24)
# The longest period GET /availability answers for at once.
MAX_AVAILABILITY_RANGE = timedelta(days=62)


def scheduling_settings_of(*, organization: Organization) -> SchedulingSettings:
    """The organization's settings; the defaults (unsaved) when it never changed them."""
    found = SchedulingSettings.objects.for_organization(organization).first()
    return found if found is not None else SchedulingSettings(organization=organization)


def booking_get(*, organization: Organization, booking_id: uuid.UUID) -> Booking:
    try:
        booking: Booking = (
            Booking.objects.for_organization(organization)
            .select_related("resource", "service", "contact")
            .get(pk=booking_id)
        )
    except Booking.DoesNotExist as exc:
        raise BookingNotFound("No such booking.") from exc
    return booking


def booking_list(
    *,
    organization: Organization,
    resource_id: uuid.UUID | None = None,
    contact_id: uuid.UUID | None = None,
    statuses: Sequence[str] | None = None,
    start_after: datetime | None = None,
    start_before: datetime | None = None,
) -> QuerySet[Booking]:
    """Bookings ordered by start (the paginator's keys); filters combine."""
    bookings = Booking.objects.for_organization(organization)
    if resource_id:
        bookings = bookings.filter(resource_id=resource_id)
    if contact_id:
        bookings = bookings.filter(contact_id=contact_id)
    if statuses:
        bookings = bookings.filter(status__in=statuses)
    if start_after:
        bookings = bookings.filter(start__gte=start_after)
    if start_before:
        bookings = bookings.filter(start__lt=start_before)
    return bookings


def active_bookings(*, resource: Resource, within: Period, now: datetime) -> QuerySet[Booking]:
    """Bookings that take the resource now and block part of `within`: unexpired holds, pending, confirmed."""
    return (
        Booking.objects.for_organization(resource.organization)
        .filter(
            resource=resource,
            status__in=BLOCKING_STATUSES,
            blocked_start__lt=within.end,
            blocked_start__gt=within.start - 2 * MAX_BUFFER - timedelta(hours=24),
            blocked_end__gt=within.start,
        )
        .exclude(status=BookingStatus.HELD, hold_expires_at__lte=now)
    )


@dataclass(frozen=True)
class Schedule:
    """A resource's working periods and time off around a period, in UTC."""

    working: list[Period]
    time_off: list[Period]


def resource_schedule(*, resource: Resource, within: Period) -> Schedule:
    overrides = {
        o.date: o.intervals
        for o in WorkingHoursOverride.objects.for_organization(resource.organization).filter(
            resource=resource,
            date__gte=(within.start - timedelta(days=2)).date(),
            date__lte=(within.end + timedelta(days=2)).date(),
        )
    }
    working = working_periods(
        timezone=resource.timezone, working_hours=resource.working_hours, overrides=overrides, within=within
    )
    time_off = [
        Period(start, end)
        for start, end in TimeOff.objects.for_organization(resource.organization)
        .filter(resource=resource, start__lt=within.end, end__gt=within.start)
        .values_list("start", "end")
    ]
    return Schedule(working=working, time_off=time_off)


def busy_index(*, resource: Resource, within: Period, now: datetime) -> BusyIndex:
    bookings = active_bookings(resource=resource, within=within, now=now)
    return BusyIndex(
        Busy(s, e, session)
        for s, e, session in bookings.values_list("blocked_start", "blocked_end", "session")
    )


@dataclass(frozen=True)
class Availability:
    resource: Resource
    service: Service
    slots: list[Slot]

    def answer(self) -> dict[str, Any]:
        """The API's answer: UTC instants with the resource's local time alongside."""
        zone = ZoneInfo(self.resource.timezone)
        return {
            "resource_id": self.resource.id,
            "service_id": self.service.id,
            "timezone": self.resource.timezone,
            "items": [
                {
                    "start": slot.start,
                    "end": slot.end,
                    "local_start": slot.start.astimezone(zone).isoformat(),
                    "local_end": slot.end.astimezone(zone).isoformat(),
                    "spaces_left": slot.spaces_left,
                }
                for slot in self.slots
            ],
        }


def availability_list(
    *,
    organization: Organization,
    resource_id: uuid.UUID,
    service_id: uuid.UUID,
    start: datetime,
    end: datetime,
) -> Availability:
    """Free slots of the service on the resource starting in [start, end), within notice and horizon."""
    if end <= start:
        raise ValidationFailed(
            "The period is empty.", errors=[{"field": "to", "message": "to must be after from."}]
        )
    if end - start > MAX_AVAILABILITY_RANGE:
        raise ValidationFailed(
            "The period is too long.",
            errors=[{"field": "to", "message": f"At most {MAX_AVAILABILITY_RANGE.days} days at once."}],
        )
    resource = resource_get(organization=organization, resource_id=resource_id)
    service = service_get(organization=organization, service_id=service_id)
    settings = scheduling_settings_of(organization=organization)
    now = timezone.now()
    if not (resource.is_active and service.is_active):
        return Availability(resource=resource, service=service, slots=[])
    earliest = now + timedelta(minutes=settings.min_notice_minutes)
    latest = now + timedelta(days=settings.max_horizon_days)
    within = Period(max(start, earliest), min(end, latest + timedelta(microseconds=1)))
    if within.start >= within.end:
        return Availability(resource=resource, service=service, slots=[])
    duration = timedelta(minutes=service.duration_minutes)
    before = timedelta(minutes=service.buffer_before_minutes)
    after = timedelta(minutes=service.buffer_after_minutes)
    around = Period(within.start - before, within.end + duration + after)
    schedule = resource_schedule(resource=resource, within=around)
    slots = free_slots(
        working=schedule.working,
        unavailable=schedule.time_off,
        busy=busy_index(resource=resource, within=around, now=now),
        within=within,
        duration=duration,
        buffer_before=before,
        buffer_after=after,
        step=timedelta(minutes=settings.slot_interval_minutes),
        capacity=service.capacity,
        session_of=lambda slot_start: group_session(
            resource_id=resource.id, service_id=service.id, start=slot_start
        ),
    )
    return Availability(resource=resource, service=service, slots=slots)
