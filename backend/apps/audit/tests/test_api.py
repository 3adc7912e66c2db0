import pytest

from hubkit.testing import IdentityService
from tests.factories import ROLE_EMAILS, client_as


@pytest.mark.django_db
def test_audit_filters_and_stays_within_the_organization(identity_service: IdentityService) -> None:
    staff = client_as(identity_service, ROLE_EMAILS["staff"])
    manager = client_as(identity_service, ROLE_EMAILS["manager"])
    contact = staff.post("/api/v1/contacts", {"first_name": "Ada"}, content_type="application/json").json()
    resource = manager.post(
        "/api/v1/resources",
        {"name": "Room", "kind": "room", "timezone": "UTC"},
        content_type="application/json",
    ).json()
    globex_owner = client_as(identity_service, "owner@globex.test")
    globex_owner.post("/api/v1/contacts", {"first_name": "Gus"}, content_type="application/json")

    admin = client_as(identity_service, ROLE_EMAILS["admin"])
    # Each change also queued event deliveries, which are audited too; this test is about the rest.
    everything = [
        e for e in admin.get("/api/v1/audit").json()["items"] if e["object_type"] in {"contact", "resource"}
    ]
    assert {e["object_id"] for e in everything} == {contact["id"], resource["id"]}
    assert [e["object_type"] for e in admin.get("/api/v1/audit?object_type=resource").json()["items"]] == [
        "resource"
    ]
    staff_id = everything[-1]["actor"]["id"]
    by_staff = admin.get(f"/api/v1/audit?actor_id={staff_id}").json()["items"]
    assert {e["object_id"] for e in by_staff if e["object_type"] != "delivery"} == {contact["id"]}
    assert resource["id"] not in str(by_staff)
    first = admin.get("/api/v1/audit?limit=1").json()
    second = admin.get(f"/api/v1/audit?limit=1&cursor={first['next_cursor']}").json()
    assert first["items"][0]["id"] > second["items"][0]["id"]
    stamp = everything[0]["timestamp"].replace("Z", "+00:00")
    assert admin.get("/api/v1/audit", {"from": "2100-01-01T00:00:00+00:00"}).json()["items"] == []
    before = admin.get("/api/v1/audit", {"to": stamp, "object_type": "contact"}).json()["items"]
    before += admin.get("/api/v1/audit", {"to": stamp, "object_type": "resource"}).json()["items"]
    assert len(before) == len(everything) - 1
    assert admin.get("/api/v1/audit?from=yesterday").status_code == 422
    globex_items = globex_owner.get("/api/v1/audit?object_type=contact").json()["items"]
    assert [e["object_repr"].startswith("Contact") for e in globex_items] == [True]
    assert contact["id"] not in str(globex_items)
