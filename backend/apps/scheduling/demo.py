"""Demo bookings of each demo organization: the past three weeks and the coming three, every status.

Coming bookings are made through the booking services, on slots `GET /availability` offers, so
they pass every rule and publish their events as in use. Past ones cannot be booked any more (the
notice rule): they are written as the services would have left them, and audited.
Created once per organization: a second run finds bookings and adds nothing.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from typing import TextIO
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from apps.core.models import Contact, Resource, Service
from apps.identity.demo import demo_identities
from apps.identity.models import Organization
from apps.scheduling.exceptions import BookingConflict, SessionFull
from apps.scheduling.models import Booking, BookingStatus
from apps.scheduling.selectors import availability_list
from apps.scheduling.services.bookings import booking_create, booking_transition

PAST_DAYS = 21
COMING_DAYS = 21
PAST_TIMES = (time(9, 0), time(11, 0), time(14, 30))
# Most past bookings took place; some were missed or called off.
PAST_OUTCOMES = [BookingStatus.COMPLETED] * 6 + [BookingStatus.NO_SHOW, BookingStatus.CANCELLED]
CANCEL_REASONS = ("Contact called in sick", "Rescheduled by phone", "Clinic closed early")


def _past(organization: Organization, rng: random.Random) -> int:
    contacts = list(Contact.objects.for_organization(organization).filter(archived_at__isnull=True))
    resources = list(Resource.objects.for_organization(organization).filter(is_active=True))
    services = [s for s in Service.objects.for_organization(organization) if s.capacity == 1]
    made = 0
    today = timezone.now().astimezone(UTC).date()
    for resource in resources:
        zone = ZoneInfo(resource.timezone)
        weekdays = {int(w["weekday"]) for w in resource.working_hours}
        for back in range(PAST_DAYS, 0, -1):
            day = today - timedelta(days=back)
            if day.weekday() not in weekdays:
                continue
            for at in rng.sample(PAST_TIMES, 2):
                service = rng.choice(services)
                start = datetime.combine(day, at, tzinfo=zone).astimezone(UTC)
                end = start + timedelta(minutes=service.duration_minutes)
                status = rng.choice(PAST_OUTCOMES)
                booking = Booking(
                    organization=organization,
                    resource=resource,
                    contact=rng.choice(contacts),
                    service=service,
                    start=start,
                    end=end,
                    blocked_start=start - timedelta(minutes=service.buffer_before_minutes),
                    blocked_end=end + timedelta(minutes=service.buffer_after_minutes),
                    status=status,
                    cancel_reason=rng.choice(CANCEL_REASONS) if status == BookingStatus.CANCELLED else "",
                )
                booking.session = booking.id
                booking.save(force_insert=True)
                made += 1
    return made


def _coming(organization: Organization, rng: random.Random) -> int:
    contacts = list(Contact.objects.for_organization(organization).filter(archived_at__isnull=True))
    resources = list(Resource.objects.for_organization(organization).filter(is_active=True))
    services = list(Service.objects.for_organization(organization).filter(is_active=True))
    made = 0
    start = timezone.now() + timedelta(days=1)
    for resource in resources:
        for service in services:
            found = availability_list(
                organization=organization,
                resource_id=resource.id,
                service_id=service.id,
                start=start,
                end=start + timedelta(days=COMING_DAYS),
            )
            # A few bookings per resource and service, spread over the weeks.
            slots = sorted(rng.sample(found.slots, min(3, len(found.slots))), key=lambda s: s.start)
            for n, slot in enumerate(slots):
                attendees = rng.sample(contacts, 3) if service.capacity > 1 else [rng.choice(contacts)]
                for contact in attendees:
                    made += _book(
                        organization,
                        resource=resource,
                        service=service,
                        contact=contact,
                        start=slot.start,
                        n=n,
                    )
    return made


def _book(
    organization: Organization,
    *,
    resource: Resource,
    service: Service,
    contact: Contact,
    start: datetime,
    n: int,
) -> int:
    """One coming booking, left in a status by its index: pending, confirmed, held or cancelled."""
    try:
        booking = booking_create(
            organization=organization,
            actor=None,
            resource_id=resource.id,
            contact_id=contact.id,
            service_id=service.id,
            start=start,
            status=BookingStatus.HELD if n == 2 and service.capacity == 1 else BookingStatus.PENDING,
        )
    except (BookingConflict, SessionFull):
        return 0  # a slot another demo booking of this resource took meanwhile
    if n == 1:
        booking_transition(booking=booking, actor=None, to=BookingStatus.CONFIRMED)
    elif n == 0 and service.capacity == 1 and resource.kind == Resource.Kind.ROOM:
        booking_transition(
            booking=booking, actor=None, to=BookingStatus.CANCELLED, reason="Contact moved away"
        )
    return 1


def load(stdout: TextIO) -> None:
    for org in demo_identities()["organizations"]:
        organization = Organization.objects.get(id=org["id"])
        if Booking.objects.for_organization(organization).exists():
            stdout.write(f"scheduling: {organization.name}: 0 bookings added")
            continue
        rng = random.Random(str(organization.id))  # noqa: S311 - demo data, not secrets
        with transaction.atomic():
            past = _past(organization, rng)
            coming = _coming(organization, rng)
        stdout.write(f"scheduling: {organization.name}: {past} past and {coming} coming bookings added")
