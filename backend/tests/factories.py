"""Object makers and small helpers for tests of the core entities (and of routes across the API)."""

from __future__ import annotations

import itertools
import json
import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Model
from django.test import Client
from django.utils import timezone

from apps.core.models import Contact, Resource, Service, TimeOff, WorkingHoursOverride
from apps.identity.models import Organization
from conftest import bearer
from hubkit.testing import IdentityService

ACME_ID = uuid.UUID("0a0e0000-0000-4000-8000-000000000001")
GLOBEX_ID = uuid.UUID("0a0e0000-0000-4000-8000-000000000002")
ROLE_EMAILS = {
    "viewer": "viewer@acme.test",
    "staff": "staff@acme.test",
    "manager": "manager@acme.test",
    "admin": "admin@acme.test",
    "owner": "owner@acme.test",
}


def acme() -> Organization:
    return Organization.objects.get_or_create(id=ACME_ID, defaults={"name": "Acme Clinic"})[0]


def globex() -> Organization:
    return Organization.objects.get_or_create(id=GLOBEX_ID, defaults={"name": "Globex Studio"})[0]


def client_as(identity: IdentityService, email: str, organization_id: uuid.UUID | None = None) -> Client:
    return bearer(identity.token(email, str(organization_id) if organization_id else None))


def send(client: Client, method: str, path: str, body: Any = None, **headers: str) -> Any:
    """Calls /api/v1 + path with `body` as JSON (escaping NUL and lone surrogates, as clients do)."""
    kwargs: dict[str, Any] = {"content_type": "application/json", **headers}
    if body is not None:
        kwargs["data"] = json.dumps(body)
    return getattr(client, method.lower())("/api/v1" + path, **kwargs)


def row_counts() -> dict[str, int]:
    """Rows of every table a core write could touch (to prove a failed request wrote nothing)."""
    from auditlog.models import LogEntry  # noqa: PLC0415 - keeps the import next to its only use

    from apps.events.models import Event  # noqa: PLC0415

    models: list[type[Model]] = [Contact, Resource, TimeOff, WorkingHoursOverride, Service, Event, LogEntry]
    return {m.__name__: m._default_manager.count() for m in models}


_sequence = itertools.count(1)


def make_contact(**fields: Any) -> Contact:
    n = next(_sequence)
    values: dict[str, Any] = {
        "first_name": f"Person{n}",
        "last_name": "Tester",
        "email": f"person{n}@example.com",
        **fields,
    }
    organization = values.pop("organization", None) or acme()
    contact: Contact = Contact.objects.for_organization(organization).create(**values)
    return contact


def make_resource(**fields: Any) -> Resource:
    values: dict[str, Any] = {
        "name": f"Room {next(_sequence)}",
        "kind": Resource.Kind.ROOM,
        "timezone": "Europe/Berlin",
        "working_hours": [{"weekday": 0, "start": "09:00", "end": "17:00"}],
        **fields,
    }
    organization = values.pop("organization", None) or acme()
    resource: Resource = Resource.objects.for_organization(organization).create(**values)
    return resource


def make_time_off(**fields: Any) -> TimeOff:
    resource = fields.pop("resource", None) or make_resource()
    start = fields.pop("start", None) or timezone.now() + timedelta(days=1)
    values: dict[str, Any] = {"end": start + timedelta(hours=2), **fields}
    time_off: TimeOff = TimeOff.objects.for_organization(resource.organization).create(
        resource=resource, start=start, **values
    )
    return time_off


def make_override(**fields: Any) -> WorkingHoursOverride:
    """An override of a resource's hours on one date (`date` may be given as YYYY-MM-DD)."""
    resource = fields.pop("resource", None) or make_resource()
    values: dict[str, Any] = {
        "date": date(2031, 1, 4),
        "intervals": [{"start": "10:00", "end": "14:00"}],
        **fields,
    }
    if isinstance(values["date"], str):
        values["date"] = date.fromisoformat(values["date"])
    override: WorkingHoursOverride = WorkingHoursOverride.objects.for_organization(
        resource.organization
    ).create(resource=resource, **values)
    return override


def make_service(**fields: Any) -> Service:
    values: dict[str, Any] = {
        "name": f"Treatment {next(_sequence)}",
        "duration_minutes": 30,
        "price_amount": Decimal("40.00"),
        "price_currency": "EUR",
        **fields,
    }
    organization = values.pop("organization", None) or acme()
    service: Service = Service.objects.for_organization(organization).create(**values)
    return service
