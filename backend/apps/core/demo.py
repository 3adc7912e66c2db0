"""Demo contacts, resources and services of each demo organization, made through the services.

Created once per organization (a second run finds them and adds nothing; resources and services
are looked up by name, so a demo database seeded before one was added gets it), by the same
services the API calls, so their audit entries and `contact.created` events exist as they would
in use. Each organization's resources span two time zones, two of them have hours by date (a
Saturday opening, a closed day) and one service is a group class.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from django.utils import timezone

from apps.core.models import Contact, Resource, Service, WorkingHoursOverride
from apps.core.services.catalog import service_create
from apps.core.services.contacts import contact_create
from apps.core.services.resources import override_put, resource_create, time_off_create
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

# The second time zone of an organization's resources (an office abroad): New York, or Paris
# for an organization that is in New York already.
SECOND_ZONES = {"America/New_York": ("Europe/Paris", "Paris")}
DEFAULT_SECOND_ZONE = ("America/New_York", "New York")

RESOURCES: list[dict[str, Any]] = [
    {"name": "Dr. Maria Lehmann", "kind": "staff", "hours": ("08:00", "16:00")},
    {"name": "Treatment room 1", "kind": "room", "hours": ("07:30", "19:00")},
    {"name": "Ultrasound unit", "kind": "equipment", "hours": ("09:00", "17:00")},
    {"name": "Consultation room, {city} office", "kind": "room", "hours": ("09:00", "17:00"), "abroad": True},
]
SATURDAY_OPENING = "Treatment room 1"  # open 10:00-14:00 on the coming Saturday
CLOSED_DAY = "Dr. Maria Lehmann"  # a closed weekday three weeks ahead

SERVICES: list[dict[str, Any]] = [
    {"name": "Consultation", "duration_minutes": 30, "amount": "60.00", "buffer_after_minutes": 10},
    {"name": "Extended treatment", "duration_minutes": 60, "amount": "110.00", "buffer_before_minutes": 5},
    {"name": "Follow-up check", "duration_minutes": 15, "amount": "35.00"},
    # A group class: six attendees share one session.
    {"name": "Back-care group class", "duration_minutes": 60, "amount": "25.00", "capacity": 6},
]


def _coming_saturday(today: date) -> date:
    return today + timedelta(days=(5 - today.weekday()) % 7 or 7)


def _weekday_from(day: date) -> date:
    return day + timedelta(days=(7 - day.weekday()) % 7 if day.weekday() >= 5 else 0)


def _load_resources(organization: Organization) -> int:
    zone, city = SECOND_ZONES.get(organization.timezone, DEFAULT_SECOND_ZONE)
    existing = set(Resource.objects.for_organization(organization).values_list("name", flat=True))
    created = 0
    for spec in RESOURCES:
        name = spec["name"].format(city=city)
        if name in existing:
            continue
        start, end = spec["hours"]
        resource = resource_create(
            organization=organization,
            name=name,
            kind=spec["kind"],
            timezone=zone if spec.get("abroad") else organization.timezone,
            working_hours=[{"weekday": day, "start": start, "end": end} for day in WEEKDAYS],
        )
        created += 1
        if spec["kind"] == "staff":
            # A day off two weeks ahead, so the time-off list and the calendar show one.
            day = (timezone.now() + timedelta(days=14)).replace(hour=0, minute=0, second=0, microsecond=0)
            time_off_create(resource=resource, start=day, end=day + timedelta(days=1), reason="Training")
    return created


def _load_overrides(organization: Organization) -> int:
    """A Saturday opening and a closed day, on dates local to each resource, from today on."""
    if WorkingHoursOverride.objects.for_organization(organization).exists():
        return 0
    created = 0
    for resource in Resource.objects.for_organization(organization).filter(
        name__in=[SATURDAY_OPENING, CLOSED_DAY]
    ):
        today = timezone.localdate(timezone=ZoneInfo(resource.timezone))
        if resource.name == SATURDAY_OPENING:
            override_put(
                resource=resource,
                date=_coming_saturday(today),
                intervals=[{"start": "10:00", "end": "14:00"}],
                reason="Saturday opening",
            )
        else:
            override_put(
                resource=resource,
                date=_weekday_from(today + timedelta(days=21)),
                intervals=[],
                reason="Holiday",
            )
        created += 1
    return created


def _load_services(organization: Organization) -> int:
    existing = set(Service.objects.for_organization(organization).values_list("name", flat=True))
    created = 0
    for spec in SERVICES:
        if spec["name"] in existing:
            continue
        fields = {k: v for k, v in spec.items() if k != "amount"}
        service_create(
            organization=organization, price={"amount": spec["amount"], "currency": "EUR"}, **fields
        )
        created += 1
    return created


def _load_organization(organization: Organization, domain: str) -> tuple[int, int, int, int]:
    contacts = 0
    if not Contact.objects.for_organization(organization).exists():
        for contact in CONTACTS:
            email = f"{contact['first_name'].lower()}.{contact['last_name'].lower()}@{domain}"
            contact_create(organization=organization, actor=None, email=email, **contact)
            contacts += 1
    resources = _load_resources(organization)
    overrides = _load_overrides(organization)
    return contacts, resources, overrides, _load_services(organization)


def load(stdout: TextIO) -> None:
    for org in demo_identities()["organizations"]:
        organization = Organization.objects.get(id=org["id"])
        domain = org["name"].split()[0].lower() + ".example"
        contacts, resources, overrides, services = _load_organization(organization, domain)
        added = (
            f"{contacts} contacts, {resources} resources, {overrides} hours overrides, {services} services"
        )
        stdout.write(f"core: {organization.name}: {added} added")
