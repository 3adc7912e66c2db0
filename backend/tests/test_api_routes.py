"""Properties every route of the API must have, checked over the live route table (new routes included)."""

import json
import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client

from apps.core.models import ContactImport
from apps.events.services import publish
from apps.events.tests.factories import contact_data
from apps.notifications.tests.factories import make_notification
from apps.scheduling.tests.factories import make_booking
from apps.transactions.tests.factories import make_invoice, make_payment
from config.api import api
from edge.permissions import requirement_of
from hubkit.testing import IdentityService
from tests.factories import (
    ACME_ID,
    client_as,
    make_contact,
    make_override,
    make_resource,
    make_service,
    make_time_off,
)


def operations() -> Iterator[tuple[str, str, Callable[..., Any]]]:
    """(method, path under /api/v1, view) for every operation of every router mounted on the API."""
    api.get_openapi_schema()  # binds nested routers
    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                full = "/" + "/".join(p.strip("/") for p in (prefix, path) if p.strip("/"))
                for method in operation.methods:
                    yield method, full, operation.view_func


ROUTES = sorted({(method, path) for method, path, _ in operations()})
# The API root's index (hubkit's HubNinjaAPI): public by design, like the health endpoints.
PUBLIC = {("GET", "/")}


def test_every_operation_declares_its_requirement() -> None:
    missing = [
        f"{method} {path}"
        for method, path, view in operations()
        if requirement_of(view) is None and (method, path) not in PUBLIC
    ]
    assert missing == []
    assert len(ROUTES) > 20


# One Acme object per path parameter; a new kind of id fails here until it is added.
def _acme_objects() -> dict[str, str]:
    contact = make_contact(first_name="Acmesecret", email="acmesecret@acme.test", tags=["acmetag"])
    time_off = make_time_off(reason="acmesecret holiday")
    override = make_override(resource=time_off.resource, reason="acmesecret opening")
    from django.db import transaction  # noqa: PLC0415

    with transaction.atomic():
        event = publish(
            organization=contact.organization,
            type="contact.created",
            subject_type="contact",
            subject_id=contact.id,
            data=contact_data(contact_id=contact.id, first_name="Acmesecret"),
            actor=None,
        )
    return {
        "contact_id": str(contact.id),
        "resource_id": str(time_off.resource_id),
        "time_off_id": str(time_off.id),
        "date": override.date.isoformat(),
        "service_id": str(make_service(name="Acmesecret cut").id),
        "event_id": str(event.id),
        "extra_resource": str(make_resource(name="Acmesecret room").id),
        "notification_id": str(make_notification(title="Acmesecret alert", body="acmesecret").id),
        "booking_id": str(make_booking(resource=time_off.resource, contact=contact, notes="acmesecret").id),
        "invoice_id": str(make_invoice(contact=contact, notes="acmesecret terms").id),
        "payment_id": str(make_payment(contact=contact, reference="acmesecret slip").id),
        "import_id": str(
            ContactImport.objects.for_organization(contact.organization)
            .create(file_sha256="0" * 64, filename="acmesecret.csv", format="csv", rows_total=1)
            .id
        ),
    }


# Bodies that pass validation, so an object route answers for the object (404), not the body (422).
BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/bookings/{booking_id}/cancel"): {"reason": "Acme's booking"},
    ("POST", "/invoices/{invoice_id}/void"): {"reason": "Acme's invoice"},
    ("POST", "/payments/{payment_id}/refunds"): {
        "amount": {"amount": "1.00", "currency": "EUR"},
        "reason": "x",
    },
    ("POST", "/resources/{resource_id}/time-off"): {
        "start": "2031-01-01T09:00:00+00:00",
        "end": "2031-01-01T10:00:00+00:00",
    },
    ("PUT", "/resources/{resource_id}/overrides/{date}"): {"intervals": []},
}


@pytest.mark.django_db
def test_another_tenant_never_reaches_acme_objects(identity_service: IdentityService) -> None:
    acme = _acme_objects()
    globex = client_as(identity_service, "owner@globex.test")
    secrets = [*acme.values(), str(ACME_ID), "acmesecret", "acmetag"]
    for method, path in ROUTES:
        params = re.findall(r"{(\w+)}", path)
        unknown = [p for p in params if p not in acme]
        assert not unknown, f"{method} {path}: add an Acme object for {unknown} to this test"
        url = "/api/v1" + path.format(**acme)
        body = BODIES.get((method, path), {} if method in {"POST", "PUT", "PATCH"} else None)
        response = _call(globex, method, url, body)
        if params:
            assert response.status_code == 404, (method, path, response.status_code, response.content[:300])
        assert response.status_code < 500, (method, path)
        raw = b"".join(response.streaming_content) if response.streaming else response.content
        text = raw.decode().lower()
        leaked = [s for s in secrets if s.lower() in text]
        assert not leaked, (method, path, leaked)
    for query in ("acmesecret", "acme", "acmetag"):
        assert _call(globex, "GET", f"/api/v1/contacts?q={query}", None).json()["items"] == []
    assert _call(globex, "GET", "/api/v1/contacts?tags=acmetag", None).json()["items"] == []


def _call(client: Client, method: str, url: str, body: Any) -> Any:
    kwargs: dict[str, Any] = {"content_type": "application/json"}
    if method == "POST":  # money routes require one: without it they answer 400 before looking
        kwargs["HTTP_IDEMPOTENCY_KEY"] = str(uuid.uuid4())
    if body is not None:
        kwargs["data"] = json.dumps(body)
    return getattr(client, method.lower())(url, **kwargs)
