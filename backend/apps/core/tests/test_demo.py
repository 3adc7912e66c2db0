from io import StringIO

import pytest
from django.core.management import call_command

from apps.core.models import Contact, Resource, Service, TimeOff
from apps.events.models import Event
from apps.identity.demo import demo_identities
from apps.identity.models import Organization

pytestmark = pytest.mark.django_db


def _counts(organization: Organization) -> tuple[int, int, int]:
    return (
        Contact.objects.for_organization(organization).count(),
        Resource.objects.for_organization(organization).count(),
        Service.objects.for_organization(organization).count(),
    )


def test_every_demo_organization_gets_contacts_resources_and_services_once() -> None:
    call_command("seed_demo", stdout=StringIO())
    organizations = [Organization.objects.get(id=org["id"]) for org in demo_identities()["organizations"]]
    first = {org.id: _counts(org) for org in organizations}
    assert all(
        contacts >= 10 and resources >= 3 and services >= 3
        for contacts, resources, services in first.values()
    )

    call_command("seed_demo", stdout=StringIO())

    assert {org.id: _counts(org) for org in organizations} == first
    acme = organizations[0]
    # Made through the services: each contact's creation was published, once.
    assert Event.objects.for_organization(acme).filter(type="contact.created").count() == first[acme.id][0]
    assert TimeOff.objects.for_organization(acme).count() == 1
    staff = Resource.objects.for_organization(acme).get(kind="staff")
    assert {interval["weekday"] for interval in staff.working_hours} == {0, 1, 2, 3, 4}
