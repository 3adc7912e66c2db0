"""Client-credentials tokens on real endpoints: the scope decides, the token's organization bounds.

The clients are made in the real identity-service (its own `client_ensure`), their tokens issued
by its `/oauth/token` for Acme, and checked by the backend exactly as a sibling service's would be.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from apps.core.models import Contact
from hubkit.testing import IdentityService
from tests.factories import (
    ACME_ID,
    GLOBEX_ID,
    ROLE_EMAILS,
    acme,
    client_as,
    globex,
    make_contact,
    make_resource,
)

pytestmark = pytest.mark.django_db

SECRET = "dev-insecure-service-token-tests-secret"
READER = ("test-reader", ["contacts:read", "bookings:read"])
# A client of the hub whose scopes name other data: no read of contacts or bookings.
STRANGER = ("test-stranger", ["transactions:read"])
EVERY_DAY = [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)]

_ENSURE = (
    "from apps.clients.services import client_ensure; "
    "client_ensure(client_id={id!r}, name='Test client', secret={secret!r}, scopes={scopes!r},"
    " all_organizations=True)"
)


@pytest.fixture(scope="module")
def tokens(identity_service: IdentityService) -> dict[str, str]:
    """A token for Acme of each test client (made once per identity-service)."""
    issued = {}
    for client_id, scopes in (READER, STRANGER):
        identity_service.manage("shell", "-c", _ENSURE.format(id=client_id, secret=SECRET, scopes=scopes))
        issued[client_id] = identity_service.service_token(client_id, SECRET, organization_id=str(ACME_ID))
    return issued


def _api(token: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {token}"}, raise_request_exception=False)


def _booking(identity_service: IdentityService, organization_id: uuid.UUID, contact: Contact) -> str:
    """A booking made through the API by a staff member of the organization."""
    organization = acme() if organization_id == ACME_ID else globex()
    resource = make_resource(organization=organization, timezone="UTC", working_hours=EVERY_DAY)
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=2)
    email = ROLE_EMAILS["staff"] if organization_id == ACME_ID else "owner@globex.test"
    created = client_as(identity_service, email, organization_id).post(
        "/api/v1/bookings",
        {
            "resource_id": str(resource.id),
            "contact_id": str(contact.id),
            "start": start.isoformat(),
            "end": (start + timedelta(hours=1)).isoformat(),
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    return str(created.json()["id"])


def _ids(response: Any) -> set[str]:
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["items"]}


def test_a_read_scope_reads_its_organizations_data(
    identity_service: IdentityService, tokens: dict[str, str]
) -> None:
    ours, theirs = make_contact(), make_contact(organization=globex())
    our_booking = _booking(identity_service, ACME_ID, ours)
    their_booking = _booking(identity_service, GLOBEX_ID, theirs)
    reader = _api(tokens[READER[0]])

    contacts = _ids(reader.get("/api/v1/contacts?limit=200"))
    assert str(ours.id) in contacts
    assert str(theirs.id) not in contacts
    assert reader.get(f"/api/v1/contacts/{ours.id}").json()["id"] == str(ours.id)
    bookings = _ids(reader.get("/api/v1/bookings?limit=200"))
    assert our_booking in bookings
    assert their_booking not in bookings
    assert reader.get(f"/api/v1/bookings/{our_booking}").status_code == 200


def test_another_organizations_ids_are_404(identity_service: IdentityService, tokens: dict[str, str]) -> None:
    theirs = make_contact(organization=globex())
    their_booking = _booking(identity_service, GLOBEX_ID, theirs)
    reader = _api(tokens[READER[0]])
    for path in (f"/api/v1/contacts/{theirs.id}", f"/api/v1/bookings/{their_booking}"):
        response = reader.get(path)
        assert response.status_code == 404, (path, response.content)
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("path", ["/api/v1/contacts", "/api/v1/bookings", "/api/v1/contacts/{contact}"])
def test_without_the_scope_reads_are_403(tokens: dict[str, str], path: str) -> None:
    ours = make_contact()
    response = _api(tokens[STRANGER[0]]).get(path.format(contact=ours.id))
    assert response.status_code == 403, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "permission_denied"


def test_a_read_scope_writes_nothing(tokens: dict[str, str]) -> None:
    response = _api(tokens[READER[0]]).post(
        "/api/v1/contacts", {"first_name": "Eve"}, content_type="application/json"
    )
    assert response.status_code == 403, response.content
    assert Contact.objects.for_organization(acme()).filter(first_name="Eve").count() == 0
