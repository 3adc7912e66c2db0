"""Booking writes: each one transaction holding the change, its audit entry and its outbox event.

Every check of a period and the write the exclusion constraint guards live in `placement.py`;
status changes and their events in `status.py`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.core.selectors.contacts import contact_get
from apps.events.types import EventType
from apps.identity.models import Organization, User
from apps.identity.tenancy import refresh_for_update
from apps.scheduling.events import booking_publish
from apps.scheduling.exceptions import HoldExpired, InvalidTransition
from apps.scheduling.models import Booking, BookingStatus
from apps.scheduling.selectors import scheduling_settings_of
from apps.scheduling.services.placement import (
    Placement,
    bookable,
    check_available,
    check_places,
    claim,
    occupy,
    placement_of,
)
from apps.scheduling.services.status import TRANSITIONS, booking_set_status
from hubkit.errors import ValidationFailed

CREATABLE = (BookingStatus.HELD, BookingStatus.PENDING, BookingStatus.CONFIRMED)


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
    resource, service = bookable(organization=organization, resource_id=resource_id, service_id=service_id)
    contact = contact_get(organization=organization, contact_id=contact_id)
    if contact.archived_at is not None:
        raise ValidationFailed(
            "The contact is archived.",
            errors=[{"field": "contact_id", "message": "Archived contacts take no bookings."}],
        )
    placement = placement_of(resource=resource, service=service, start=start, end=end)
    now = timezone.now()
    settings = scheduling_settings_of(organization=organization)
    check_available(placement, settings=settings, now=now)
    hold_minutes = settings.hold_minutes
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
        claim(placement, now=now)
        if booking.session != booking.id:
            check_places(placement, session=booking.session, now=now, exclude=None)
        occupy(booking, placement, now=now, save=lambda: booking.save(force_insert=True))
        booking_publish(booking, EventType.BOOKING_CREATED, actor=actor)
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
        occupy(booking, placement, now=now, save=lambda: booking.save(update_fields=fields))
        booking_publish(
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
        resource, _ = bookable(
            organization=booking.organization, resource_id=moves["resource_id"], service_id=None
        )
    start = moves.get("start", booking.start)
    # With a service the end follows the start; without one an end left out stays.
    end = moves.get("end") if booking.service_id else moves.get("end", booking.end)
    placement = placement_of(resource=resource, service=booking.service, start=start, end=end)
    if (placement.resource.pk, placement.start, placement.end) == (
        booking.resource_id,
        booking.start,
        booking.end,
    ):
        return None
    check_available(placement, settings=scheduling_settings_of(organization=booking.organization), now=now)
    booking.resource, booking.start, booking.end = placement.resource, placement.start, placement.end
    booking.blocked_start, booking.blocked_end = placement.blocked.start, placement.blocked.end
    booking.session = placement.session(booking.id)
    claim(placement, now=now)
    if booking.session != booking.id:
        check_places(placement, session=booking.session, now=now, exclude=booking.id)
    return placement


# Status changes: which statuses each may start from.


def booking_transition(*, booking: Booking, actor: User | None, to: str, reason: str = "") -> Booking:
    """Moves the booking to `to` (confirmed, cancelled, completed, no_show) on its locked, re-read row."""
    allowed, _ = TRANSITIONS[to]
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
        booking_set_status(booking, to, actor=actor, cancel_reason=reason.strip())
    return booking


def _require(booking: Booking, allowed: set[str], what: str) -> None:
    if booking.status not in allowed:
        raise InvalidTransition(
            f"A {booking.status} booking cannot be {what}.",
            extra={"status": booking.status, "allowed": sorted(allowed)},
        )
