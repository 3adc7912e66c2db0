"""Where a booking may sit: the checks of a new or moved period, and the write the constraint guards.

The guarantee against double booking is the database's exclusion constraint
(`scheduling_booking_no_overlap`): two transactions inserting overlapping bookings at once both
pass any check made in Python, and the second insert waits for the first and then fails. That
failure, caught from a savepoint (`occupy`), is the 409 `booking_conflict` (with the bookings it met).

Writes of one resource take turns on its row lock (`claim`), so two conflicting inserts never
deadlock inside the constraint check. Two things the constraint cannot do are done here, in the
same transaction as the insert:
- it cannot read the clock, so expired holds the new period meets are cancelled first
  (`expire_holds_in`);
- it cannot count, so a group session's places are counted under a lock on the resource row
  (`check_places`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction

from apps.core.models import Resource, Service
from apps.core.selectors.resources import resource_get, service_get
from apps.identity.models import Organization
from apps.scheduling.availability import Period, fits, group_session, subtract
from apps.scheduling.exceptions import BookingConflict, OutsideAvailability, SessionFull
from apps.scheduling.models import Booking, BookingStatus, SchedulingSettings
from apps.scheduling.selectors import active_bookings, resource_schedule
from apps.scheduling.services.status import HOLD_EXPIRED_REASON, booking_set_status
from hubkit.errors import ValidationFailed

NO_OVERLAP = "scheduling_booking_no_overlap"
MAX_BOOKING = timedelta(hours=24)


@dataclass(frozen=True)
class Placement:
    """Where and when a booking sits, with what it keeps from others."""

    resource: Resource
    service: Service | None
    start: datetime
    end: datetime
    blocked: Period

    def session(self, booking_id: uuid.UUID) -> uuid.UUID:
        if self.service is not None and self.service.capacity > 1:
            return group_session(resource_id=self.resource.id, service_id=self.service.id, start=self.start)
        return booking_id


def placement_of(
    *, resource: Resource, service: Service | None, start: datetime, end: datetime | None
) -> Placement:
    """Checks the period's shape (not yet the resource's availability); 422 naming the field."""
    if service is not None:
        duration = timedelta(minutes=service.duration_minutes)
        if end is not None and end != start + duration:
            raise ValidationFailed(
                "The end does not match the service.",
                errors=[
                    {
                        "field": "end",
                        "message": f"With a service the booking lasts {service.duration_minutes} minutes:"
                        " leave `end` out.",
                    }
                ],
            )
        end = start + duration
        blocked = Period(
            start - timedelta(minutes=service.buffer_before_minutes),
            end + timedelta(minutes=service.buffer_after_minutes),
        )
    elif end is None:
        raise ValidationFailed(
            "The booking needs an end.", errors=[{"field": "end", "message": "Required without a service."}]
        )
    else:
        blocked = Period(start, end)
    if end <= start:
        raise ValidationFailed(
            "The booking ends before it starts.",
            errors=[{"field": "end", "message": "end must be after start."}],
        )
    if end - start > MAX_BOOKING:
        raise ValidationFailed(
            "The booking is too long.",
            errors=[{"field": "end", "message": "A booking lasts at most 24 hours."}],
        )
    return Placement(resource=resource, service=service, start=start, end=end, blocked=blocked)


def check_available(placement: Placement, *, settings: SchedulingSettings, now: datetime) -> None:
    """422 `outside_availability` unless the period is bookable: notice, horizon, hours, time off."""
    period = Period(placement.start, placement.end)
    if placement.start < now + timedelta(minutes=settings.min_notice_minutes):
        _outside("min_notice", f"Bookings start at least {settings.min_notice_minutes} minutes from now.")
    if placement.start > now + timedelta(days=settings.max_horizon_days):
        _outside("max_horizon", f"Bookings start at most {settings.max_horizon_days} days ahead.")
    schedule = resource_schedule(resource=placement.resource, within=period)
    if not fits(schedule.working, period):
        _outside("working_hours", "The booking is outside the resource's working hours.")
    if not fits(subtract(schedule.working, schedule.time_off), period):
        _outside("time_off", "The booking overlaps the resource's time off.")


def _outside(reason: str, message: str) -> None:
    raise OutsideAvailability(message, extra={"reason": reason})


def bookable(
    *, organization: Organization, resource_id: uuid.UUID, service_id: uuid.UUID | None
) -> tuple[Resource, Service | None]:
    resource = resource_get(organization=organization, resource_id=resource_id)
    service = service_get(organization=organization, service_id=service_id) if service_id else None
    errors = []
    if not resource.is_active:
        errors.append({"field": "resource_id", "message": "The resource is deactivated."})
    if service is not None and not service.is_active:
        errors.append({"field": "service_id", "message": "The service is not on sale."})
    if errors:
        raise ValidationFailed("The booking refers to something that cannot be booked.", errors=errors)
    return resource, service


def claim(placement: Placement, *, now: datetime) -> None:
    """First step of every write that places a booking: queue on the resource, then clear expired holds.

    The lock (`FOR NO KEY UPDATE` on the resource row, which does not block other inserts'
    foreign-key checks) makes the writes of one resource take turns. The constraint alone stays
    correct without it, but PostgreSQL can deadlock two inserts of conflicting rows that each
    wait for the other's transaction (one of them then fails after `deadlock_timeout`, a 500
    here); taking turns, the later insert simply meets the committed row and is refused. It is
    also what lets a group session's places be counted (`check_places`).
    """
    Resource.objects.for_organization(placement.resource.organization).select_for_update(no_key=True).filter(
        pk=placement.resource.pk
    ).exists()
    expire_holds_in(placement, now=now)


def expire_holds_in(placement: Placement, *, now: datetime) -> None:
    """Cancels the expired holds the period meets: the constraint would still count them.

    The hub expires them (actor none), as the periodic tidy-up would have; the caller only met them.
    """
    expired = (
        Booking.objects.for_organization(placement.resource.organization)
        .select_for_update()
        .filter(
            resource=placement.resource,
            status=BookingStatus.HELD,
            hold_expires_at__lte=now,
            blocked_start__lt=placement.blocked.end,
            blocked_end__gt=placement.blocked.start,
        )
    )
    for hold in expired:
        booking_set_status(hold, BookingStatus.CANCELLED, actor=None, cancel_reason=HOLD_EXPIRED_REASON)


def check_places(
    placement: Placement, *, session: uuid.UUID, now: datetime, exclude: uuid.UUID | None
) -> None:
    """A group session's places, counted under the resource's row lock (`claim`, held until commit)."""
    assert placement.service is not None  # noqa: S101 - only group sessions have places
    same_session = active_bookings(resource=placement.resource, within=placement.blocked, now=now).filter(
        session=session
    )
    if exclude is not None:
        same_session = same_session.exclude(pk=exclude)
    taken = same_session.count()
    if taken >= placement.service.capacity:
        raise SessionFull(
            f"All {placement.service.capacity} places of this session are taken.",
            extra={"capacity": placement.service.capacity},
        )


def _conflicts(placement: Placement, *, session: uuid.UUID, now: datetime) -> list[dict[str, Any]]:
    others = (
        active_bookings(resource=placement.resource, within=placement.blocked, now=now)
        .exclude(session=session)
        .order_by("start")
    )
    return [{"id": str(b.id), "start": b.start, "end": b.end} for b in others[:20]]


def _is_overlap(exc: IntegrityError) -> bool:
    diag = getattr(exc.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None) == NO_OVERLAP


def occupy(booking: Booking, placement: Placement, *, now: datetime, save: Any) -> None:
    """Runs `save` (the insert or update) in a savepoint; the constraint's refusal becomes a 409."""
    try:
        with transaction.atomic():
            save()
    except IntegrityError as exc:
        if not _is_overlap(exc):
            raise
        conflicts = _conflicts(placement, session=booking.session, now=now)
        raise BookingConflict(
            "The resource is already booked for part of this period (buffers included).",
            extra={"conflicts": conflicts},
        ) from exc
