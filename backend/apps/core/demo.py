"""Demo contacts, resources and services of each demo organization, made through the services.

Created once per organization (a second run finds them and adds nothing), by the same services
the API calls, so their audit entries and `contact.created` events exist as they would in use.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, TextIO

from django.utils import timezone

from apps.core.models import Contact, Resource, Service
from apps.core.services.catalog import service_create
from apps.core.services.contacts import contact_create
from apps.core.services.resources import resource_create, time_off_create
from apps.identity.demo import demo_identities
from apps.identity.models import Organization

WEEKDAYS = range(5)  # Monday to Friday

CONTACTS: list[dict[str, Any]] = [
    {"first_name": "Anna", "last_name": "Schmidt", "phone": "+49 151 2345 6701", "tags": ["vip"]},
    {"first_name": "Ben", "last_name": "Fischer", "phone": "+49 151 2345 6702", "tags": ["new"]},
    {"first_name": "Clara", "last_name": "Weber", "phone": "", "tags": ["regular"]},
    {"first_name": "David", "last_name": "Wagner", "phone": "+49 151 2345 6704", "tags": ["insurance"]},
    {"first_name": "Emma", "last_name": "Becker", "phone": "+49 151 2345 6705", "tags": ["regular", "vip"]},
    {"first_name": "Felix", "last_name": "Koch", "phone": "", "tags": []},
    {"first_name": "Greta", "last_name": "Wolf", "phone": "+49 151 2345 6707", "tags": ["referral"]},
    {"first_name": "Jonas", "last_name": "Richter", "phone": "+49 151 2345 6708", "tags": ["new"]},
    {"first_name": "Lena", "last_name": "Klein", "phone": "", "tags": ["insurance"]},
    {"first_name": "Paul", "last_name": "Neumann", "phone": "+49 151 2345 6710", "tags": []},
]

RESOURCES: list[dict[str, Any]] = [
    {"name": "Dr. Maria Lehmann", "kind": "staff", "hours": ("08:00", "16:00")},
    {"name": "Treatment room 1", "kind": "room", "hours": ("07:30", "19:00")},
    {"name": "Ultrasound unit", "kind": "equipment", "hours": ("09:00", "17:00")},
]

SERVICES: list[dict[str, Any]] = [
    {"name": "Consultation", "duration_minutes": 30, "amount": "60.00", "buffer_after_minutes": 10},
    {"name": "Extended treatment", "duration_minutes": 60, "amount": "110.00", "buffer_before_minutes": 5},
    {"name": "Follow-up check", "duration_minutes": 15, "amount": "35.00"},
]


def _load_organization(organization: Organization, domain: str) -> tuple[int, int, int]:
    created = [0, 0, 0]
    if not Contact.objects.for_organization(organization).exists():
        for contact in CONTACTS:
            email = f"{contact['first_name'].lower()}.{contact['last_name'].lower()}@{domain}"
            contact_create(organization=organization, actor=None, email=email, **contact)
            created[0] += 1
    if not Resource.objects.for_organization(organization).exists():
        for spec in RESOURCES:
            start, end = spec["hours"]
            resource = resource_create(
                organization=organization,
                name=spec["name"],
                kind=spec["kind"],
                timezone=organization.timezone,
                working_hours=[{"weekday": day, "start": start, "end": end} for day in WEEKDAYS],
            )
            created[1] += 1
            if spec["kind"] == "staff":
                # A day off two weeks ahead, so the time-off list and the calendar show one.
                day = (timezone.now() + timedelta(days=14)).replace(hour=0, minute=0, second=0, microsecond=0)
                time_off_create(resource=resource, start=day, end=day + timedelta(days=1), reason="Training")
    if not Service.objects.for_organization(organization).exists():
        for spec in SERVICES:
            fields = {k: v for k, v in spec.items() if k != "amount"}
            service_create(
                organization=organization, price={"amount": spec["amount"], "currency": "EUR"}, **fields
            )
            created[2] += 1
    return created[0], created[1], created[2]


def load(stdout: TextIO) -> None:
    for org in demo_identities()["organizations"]:
        organization = Organization.objects.get(id=org["id"])
        domain = org["name"].split()[0].lower() + ".example"
        contacts, resources, services = _load_organization(organization, domain)
        added = f"{contacts} contacts, {resources} resources, {services} services"
        stdout.write(f"core: {organization.name}: {added} added")
