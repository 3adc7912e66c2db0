"""Property: whatever sequence of creates, reschedules and cancels runs, no two active bookings overlap.

Checked after every step with SQL over the table itself, not with the code under test.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.scheduling.models import Booking, BookingStatus
from apps.scheduling.services.bookings import booking_create, booking_reschedule, booking_transition
from apps.scheduling.tests.factories import open_resource, tomorrow_at
from hubkit.errors import ApplicationError
from tests.factories import make_contact, make_service

SLOTS = 24  # quarter hours from 09:00
create = st.tuples(st.just("create"), st.integers(0, SLOTS), st.integers(1, 6), st.integers(0, 3))
move = st.tuples(st.just("move"), st.integers(0, 30), st.integers(0, SLOTS), st.integers(1, 6))
cancel = st.tuples(st.just("cancel"), st.integers(0, 30), st.just(0), st.just(0))
steps = st.lists(st.one_of(create, move, cancel), min_size=1, max_size=25)

OVERLAPS = """
    SELECT count(*) FROM scheduling_booking a JOIN scheduling_booking b
      ON a.resource_id = b.resource_id AND a.id < b.id AND a.session <> b.session
     AND tstzrange(a.blocked_start, a.blocked_end) && tstzrange(b.blocked_start, b.blocked_end)
     WHERE a.resource_id = %s
       AND a.status IN ('held', 'pending', 'confirmed') AND b.status IN ('held', 'pending', 'confirmed')
"""
OVERFULL = """
    SELECT count(*) FROM (
      SELECT b.session FROM scheduling_booking b JOIN core_service s ON s.id = b.service_id
       WHERE b.resource_id = %s AND b.status IN ('held', 'pending', 'confirmed')
       GROUP BY b.session, s.capacity HAVING count(*) > s.capacity) full_sessions
"""


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps)
def test_no_sequence_of_changes_leaves_active_bookings_overlapping(
    steps: list[tuple[str, int, int, int]],
) -> None:
    resource = open_resource()
    contact = make_contact()
    services = [
        None,
        make_service(duration_minutes=30, buffer_before_minutes=10),
        make_service(duration_minutes=45, buffer_after_minutes=15),
        make_service(duration_minutes=60, capacity=2),
    ]
    bookings: list[Booking] = []
    refused: list[int] = []
    base = tomorrow_at(9)
    for action, a, b, c in steps:
        try:
            if action == "create":
                service = services[c]
                start = base + timedelta(minutes=15 * a)
                bookings.append(
                    booking_create(
                        organization=resource.organization,
                        actor=None,
                        resource_id=resource.id,
                        contact_id=contact.id,
                        service_id=service.id if service else None,
                        start=start,
                        end=None if service else start + timedelta(minutes=15 * b),
                    )
                )
            elif action == "move" and bookings:
                booking = bookings[a % len(bookings)]
                start = base + timedelta(minutes=15 * b)
                data = (
                    {"start": start}
                    if booking.service_id
                    else {"start": start, "end": start + timedelta(minutes=15 * c)}
                )
                booking_reschedule(booking=booking, actor=None, data=data)
            elif action == "cancel" and bookings:
                booking_transition(
                    booking=bookings[a % len(bookings)], actor=None, to=BookingStatus.CANCELLED, reason="p"
                )
        except ApplicationError as exc:
            refused.append(exc.status)
        with connection.cursor() as cursor:
            cursor.execute(OVERLAPS, [resource.id])
            assert cursor.fetchone() == (0,)
            cursor.execute(OVERFULL, [resource.id])
            assert cursor.fetchone() == (0,)
    # Refusals are the API's 409 and 422 answers, never anything else.
    assert set(refused) <= {409, 422}
