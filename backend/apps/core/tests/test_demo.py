from datetime import timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.core.models import Contact, Resource, Service, TimeOff, WorkingHoursOverride
from apps.events.models import Event
from apps.identity.demo import demo_identities
from apps.identity.models import Organization

pytestmark = pytest.mark.django_db


def _counts(organization: Organization) -> tuple[int, int, int, int]:
    return (
        Contact.objects.for_organization(organization).count(),
        Resource.objects.for_organization(organization).count(),
        Service.objects.for_organization(organization).count(),
        WorkingHoursOverride.objects.for_organization(organization).count(),
    )


def test_every_demo_organization_gets_contacts_resources_and_services_once() -> None:
    call_command("seed_demo", stdout=StringIO())
    organizations = [Organization.objects.get(id=org["id"]) for org in demo_identities()["organizations"]]
    first = {org.id: _counts(org) for org in organizations}
    assert all(
        contacts >= 10 and resources >= 3 and services >= 3 and overrides == 2
        for contacts, resources, services, overrides in first.values()
    )

    call_command("seed_demo", stdout=StringIO())

    assert {org.id: _counts(org) for org in organizations} == first
    acme = organizations[0]
    # Made through the services: each contact's creation was published, once.
    assert Event.objects.for_organization(acme).filter(type="contact.created").count() == first[acme.id][0]
    assert TimeOff.objects.for_organization(acme).count() == 1
    staff = Resource.objects.for_organization(acme).get(kind="staff")
    assert {interval["weekday"] for interval in staff.working_hours} == {0, 1, 2, 3, 4}


def test_demo_resources_span_two_time_zones_and_have_hours_by_date() -> None:
    call_command("seed_demo", stdout=StringIO())
    for org in demo_identities()["organizations"]:
        organization = Organization.objects.get(id=org["id"])
        resources = Resource.objects.for_organization(organization)
        zones = {resource.timezone for resource in resources}
        assert len(zones) == 2, zones
        assert organization.timezone in zones
        overrides = list(
            WorkingHoursOverride.objects.for_organization(organization).select_related("resource")
        )
        [opening] = [o for o in overrides if o.intervals]
        [closed] = [o for o in overrides if not o.intervals]
        for override in (opening, closed):
            today = timezone.localdate(timezone=ZoneInfo(override.resource.timezone))
            assert today < override.date <= today + timedelta(weeks=4), override.date
        assert opening.date.weekday() == 5  # a Saturday, outside the weekly hours
        assert opening.intervals == [{"start": "10:00", "end": "14:00"}]
        assert closed.date.weekday() < 5  # a day the resource would otherwise work
        assert closed.reason


def test_every_demo_organization_sells_a_group_class() -> None:
    call_command("seed_demo", stdout=StringIO())
    for org in demo_identities()["organizations"]:
        organization = Organization.objects.get(id=org["id"])
        capacities = sorted(Service.objects.for_organization(organization).values_list("capacity", flat=True))
        assert capacities[-1] == 6
        assert capacities[0] == 1
