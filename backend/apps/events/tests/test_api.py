import typing

import pytest

from apps.events.models import Delivery
from apps.events.schemas import DeliveryStatus
from config.api import api
from hubkit.testing import IdentityService
from tests.factories import ROLE_EMAILS, client_as


@pytest.mark.django_db
def test_events_are_listed_newest_first_for_admins(identity_service: IdentityService) -> None:
    staff = client_as(identity_service, ROLE_EMAILS["staff"])
    contact = staff.post("/api/v1/contacts", {"first_name": "Ada"}, content_type="application/json").json()
    staff.patch(f"/api/v1/contacts/{contact['id']}", {"last_name": "L"}, content_type="application/json")
    assert staff.get("/api/v1/events").status_code == 403
    admin = client_as(identity_service, ROLE_EMAILS["admin"])
    listed = admin.get(f"/api/v1/events?subject_id={contact['id']}").json()
    assert [e["type"] for e in listed["items"]] == ["contact.updated", "contact.created"]
    only_created = admin.get("/api/v1/events?type=contact.created").json()["items"]
    assert {e["type"] for e in only_created} == {"contact.created"}
    one = admin.get(f"/api/v1/events/{listed['items'][0]['id']}").json()
    deliveries = one.pop("deliveries")
    assert one == listed["items"][0]
    # One delivery per subscriber, queued in the same transaction as the change.
    assert sorted(d["destination"] for d in deliveries) == [
        "communication-service",
        "workflow-intelligence-service",
    ]
    assert {(d["status"], d["attempts"]) for d in deliveries} == {("pending", 0)}
    assert one["subject"] == {"type": "contact", "id": contact["id"]}


def test_the_api_names_every_delivery_status() -> None:
    assert set(typing.get_args(DeliveryStatus)) == set(Delivery.Status.values)
    schema = api.get_openapi_schema()["components"]["schemas"]["DeliveryOut"]["properties"]["status"]
    assert "refused_too_large" in schema["enum"]
