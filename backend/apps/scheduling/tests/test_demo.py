from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from apps.identity.demo import demo_identities
from apps.identity.models import Organization
from apps.scheduling.models import Booking, BookingStatus

pytestmark = pytest.mark.django_db


def test_every_demo_organization_gets_past_and_coming_bookings_in_every_status_once() -> None:
    call_command("seed_demo", stdout=StringIO())
    organizations = [Organization.objects.get(id=org["id"]) for org in demo_identities()["organizations"]]
    first = {org.id: Booking.objects.for_organization(org).count() for org in organizations}
    now = timezone.now()
    for organization in organizations:
        bookings = Booking.objects.for_organization(organization)
        assert set(bookings.values_list("status", flat=True)) == set(BookingStatus.values)
        assert bookings.filter(start__lt=now).exists()
        assert bookings.filter(start__gt=now).exists()
    call_command("seed_demo", stdout=StringIO())
    assert {org.id: Booking.objects.for_organization(org).count() for org in organizations} == first
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM scheduling_booking a JOIN scheduling_booking b"
            " ON a.resource_id = b.resource_id AND a.id < b.id AND a.session <> b.session"
            " AND tstzrange(a.blocked_start, a.blocked_end) && tstzrange(b.blocked_start, b.blocked_end)"
            " WHERE a.status IN ('held', 'pending', 'confirmed')"
            " AND b.status IN ('held', 'pending', 'confirmed')"
        )
        assert cursor.fetchone() == (0,)
