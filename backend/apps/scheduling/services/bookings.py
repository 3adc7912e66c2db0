"""Booking writes: each one transaction holding the change, its audit entry and its outbox event.

The guarantee against double booking is the database's exclusion constraint
(`scheduling_booking_no_overlap`): two transactions inserting overlapping bookings at once both
pass any check made in Python, and the second insert waits for the first and then fails. That
failure, caught from a savepoint, is the 409 `booking_conflict` (with the bookings it met).

Two things the constraint cannot do are done here, in the same transaction as the insert:
- it cannot read the clock, so expired holds the new period meets are cancelled first;
- it cannot count, so a group session's places are counted under a lock on the resource row
  (`FOR NO KEY UPDATE`: it does not block the foreign-key checks of other inserts).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.core.models import Contact, Resource, Service
from apps.core.selectors.contacts import contact_get
from apps.core.selectors.resources import resource_get, service_get
from apps.events.services import publish
from apps.events.types import EventType
from apps.identity.models import Organization, User
from apps.identity.tenancy import refresh_for_update
from apps.scheduling.availability import Period, fits, group_session, subtract
from apps.scheduling.exceptions import (
    BookingConflict,
    HoldExpired,
    InvalidTransition,
    OutsideAvailability,
    SessionFull,
)
from apps.scheduling.models import Booking, BookingStatus
from apps.scheduling.selectors import active_bookings, resource_schedule, scheduling_settings_of
from hubkit.errors import ValidationFailed

NO_OVERLAP = "scheduling_booking_no_overlap"
MAX_BOOKING = timedelta(hours=24)
HOLD_EXPIRED_REASON = "Hold expired"
CREATABLE = (BookingStatus.HELD, BookingStatus.PENDING, BookingStatus.CONFIRMED)


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


def _placement(
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


def _check_available(placement: Placement, *, organization: Organization, now: datetime) -> None:
    """422 `outside_availability` unless the period is bookable: notice, horizon, hours, time off."""
    settings = scheduling_settings_of(organization=organization)
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


def _resolve(
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


def _expire_holds_in(placement: Placement, *, now: datetime) -> None:
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
        _set_status(hold, BookingStatus.CANCELLED, actor=None, cancel_reason=HOLD_EXPIRED_REASON)


def _check_places(
    placement: Placement, *, session: uuid.UUID, now: datetime, exclude: uuid.UUID | None
) -> None:
    """A group session's places, counted under the resource's row lock (held until commit)."""
    assert placement.service is not None  # noqa: S101 - only group sessions have places
    Resource.objects.for_organization(placement.resource.organization).select_for_update(no_key=True).filter(
        pk=placement.resource.pk
    ).exists()
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


def _occupy(booking: Booking, placement: Placement, *, now: datetime, save: Any) -> None:
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


def booking_create(
    *,
    organization: Organization,
    actor: User | None,
    resource_id: uuid.UUID,
    contact_id: uuid.UUID,
    start: datetime,
    service_id: uuid.UUID | None = None,
    end: datetime | None = None,
    status: str = BookingStatus.PENDING,
    notes: str = "",
) -> Booking:
    """Books the resource for the contact; `held` keeps the slot for the hold time, then frees it."""
    if status not in CREATABLE:
        raise ValidationFailed(
            "A booking starts held, pending or confirmed.",
            errors=[{"field": "status", "message": "One of held, pending, confirmed."}],
        )
    resource, service = _resolve(organization=organization, resource_id=resource_id, service_id=service_id)
    contact = contact_get(organization=organization, contact_id=contact_id)
    if contact.archived_at is not None:
        raise ValidationFailed(
            "The contact is archived.",
            errors=[{"field": "contact_id", "message": "Archived contacts take no bookings."}],
        )
    placement = _placement(resource=resource, service=service, start=start, end=end)
    now = timezone.now()
    _check_available(placement, organization=organization, now=now)
    hold_minutes = scheduling_settings_of(organization=organization).hold_minutes
    booking = Booking(
        organization=organization,
        resource=resource,
        contact=contact,
        service=service,
        start=placement.start,
        end=placement.end,
        blocked_start=placement.blocked.start,
        blocked_end=placement.blocked.end,
        status=status,
        notes=notes.strip(),
        hold_expires_at=now + timedelta(minutes=hold_minutes) if status == BookingStatus.HELD else None,
    )
    booking.session = placement.session(booking.id)
    with transaction.atomic():
        _expire_holds_in(placement, now=now)
        if booking.session != booking.id:
            _check_places(placement, session=booking.session, now=now, exclude=None)
        _occupy(booking, placement, now=now, save=lambda: booking.save(force_insert=True))
        _publish(booking, EventType.BOOKING_CREATED, actor=actor)
    return booking


def booking_reschedule(*, booking: Booking, actor: User | None, data: Mapping[str, Any]) -> Booking:
    """Moves the booking (start, end, resource) and/or changes its notes; a move re-checks everything."""
    now = timezone.now()
    with transaction.atomic():
        refresh_for_update(booking)
        _require(booking, {BookingStatus.HELD, BookingStatus.PENDING, BookingStatus.CONFIRMED}, "rescheduled")
        if booking.hold_expired(now):
            raise HoldExpired("The hold has expired; make a new booking.")
        changed: list[str] = []
        if "notes" in data and data["notes"].strip() != booking.notes:
            booking.notes = data["notes"].strip()
            changed.append("notes")
        previous = (booking.start, booking.end)
        placement = _move(booking, data, now=now)
        if placement is not None:
            changed += ["resource", "start", "end", "blocked_start", "blocked_end", "session"]
        if not changed:
            return booking
        fields = [*changed, "updated_at"]
        if placement is None:
            booking.save(update_fields=fields)
            return booking
        _occupy(booking, placement, now=now, save=lambda: booking.save(update_fields=fields))
        _publish(
            booking,
            EventType.BOOKING_RESCHEDULED,
            actor=actor,
            previous_start=previous[0],
            previous_end=previous[1],
        )
    return booking


def _move(booking: Booking, data: Mapping[str, Any], *, now: datetime) -> Placement | None:
    """Places the locked booking where `data` says, checked like a new one; None when it stays put."""
    moves = {k: v for k, v in data.items() if k in {"start", "end", "resource_id"}}
    if not moves:
        return None
    resource = booking.resource
    if moves.get("resource_id", booking.resource_id) != booking.resource_id:
        resource, _ = _resolve(
            organization=booking.organization, resource_id=moves["resource_id"], service_id=None
        )
    start = moves.get("start", booking.start)
    # With a service the end follows the start; without one an end left out stays.
    end = moves.get("end") if booking.service_id else moves.get("end", booking.end)
    placement = _placement(resource=resource, service=booking.service, start=start, end=end)
    if (placement.resource.pk, placement.start, placement.end) == (
        booking.resource_id,
        booking.start,
        booking.end,
    ):
        return None
    _check_available(placement, organization=booking.organization, now=now)
    booking.resource, booking.start, booking.end = placement.resource, placement.start, placement.end
    booking.blocked_start, booking.blocked_end = placement.blocked.start, placement.blocked.end
    booking.session = placement.session(booking.id)
    _expire_holds_in(placement, now=now)
    if booking.session != booking.id:
        _check_places(placement, session=booking.session, now=now, exclude=booking.id)
    return placement


# Status changes: which statuses each may start from.
_TRANSITIONS: dict[str, tuple[set[str], EventType]] = {
    BookingStatus.CONFIRMED: ({BookingStatus.HELD, BookingStatus.PENDING}, EventType.BOOKING_CONFIRMED),
    BookingStatus.CANCELLED: (
        {BookingStatus.HELD, BookingStatus.PENDING, BookingStatus.CONFIRMED},
        EventType.BOOKING_CANCELLED,
    ),
    BookingStatus.COMPLETED: ({BookingStatus.CONFIRMED}, EventType.BOOKING_COMPLETED),
    BookingStatus.NO_SHOW: ({BookingStatus.CONFIRMED}, EventType.BOOKING_NO_SHOW),
}


def booking_transition(*, booking: Booking, actor: User | None, to: str, reason: str = "") -> Booking:
    """Moves the booking to `to` (confirmed, cancelled, completed, no_show) on its locked, re-read row."""
    allowed, _ = _TRANSITIONS[to]
    now = timezone.now()
    with transaction.atomic():
        refresh_for_update(booking)
        _require(booking, allowed, f"moved to {to}")
        if to == BookingStatus.CONFIRMED and booking.hold_expired(now):
            raise HoldExpired("The hold has expired; make a new booking.")
        if to in {BookingStatus.COMPLETED, BookingStatus.NO_SHOW} and booking.start > now:
            raise InvalidTransition(
                "A booking is marked completed or no-show once it has started.",
                extra={"status": booking.status, "allowed": []},
            )
        _set_status(booking, to, actor=actor, cancel_reason=reason.strip())
    return booking


def _require(booking: Booking, allowed: set[str], what: str) -> None:
    if booking.status not in allowed:
        raise InvalidTransition(
            f"A {booking.status} booking cannot be {what}.",
            extra={"status": booking.status, "allowed": sorted(allowed)},
        )


def _set_status(booking: Booking, status: str, *, actor: User | None, cancel_reason: str = "") -> None:
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
    _publish(booking, _TRANSITIONS[status][1], actor=actor)


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
            _set_status(hold, BookingStatus.CANCELLED, actor=None, cancel_reason=HOLD_EXPIRED_REASON)
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
            .order_by("start")[:limit]
        )
        for booking in candidates:
            if booking.reminded_start == booking.start:
                continue
            if booking.organization_id not in lead_of:
                minutes = scheduling_settings_of(organization=booking.organization).reminder_lead_minutes
                lead_of[booking.organization_id] = timedelta(minutes=minutes) if minutes else None
            lead = lead_of[booking.organization_id]
            if lead is None or booking.start - lead > now:
                continue
            booking.reminded_start = booking.start
            booking.save(update_fields=["reminded_start", "updated_at"])
            _publish(booking, EventType.BOOKING_REMINDER_DUE, actor=None, remind_at=booking.start - lead)
            sent += 1
    return sent


MAX_REMINDER_LEAD = timedelta(days=7)


def _publish(booking: Booking, type_: EventType, *, actor: User | None, **extra: Any) -> None:
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
