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


@pytest.mark.django_db
def test_detail_and_export_reads_are_access_entries_and_list_pages_are_not(
    identity_service: IdentityService,
) -> None:
    staff = client_as(identity_service, ROLE_EMAILS["staff"])
    admin = client_as(identity_service, ROLE_EMAILS["admin"])
    contact = staff.post("/api/v1/contacts", {"first_name": "Ada"}, content_type="application/json").json()
    assert staff.get("/api/v1/contacts").status_code == 200
    assert staff.get("/api/v1/contacts?q=ada").status_code == 200

    def accesses() -> list[dict[str, object]]:
        answer = admin.get(f"/api/v1/audit?kind=access&object_id={contact['id']}")
        assert answer.status_code == 200, answer.content
        items: list[dict[str, object]] = answer.json()["items"]
        return items

    assert accesses() == []
    detail = staff.get(f"/api/v1/contacts/{contact['id']}", HTTP_X_REQUEST_ID="read-detail-1")
    assert detail.status_code == 200
    assert (
        staff.get(f"/api/v1/contacts/{contact['id']}/export", HTTP_X_REQUEST_ID="read-export-1").status_code
        == 200
    )
    entries = accesses()
    assert [(e["action"], e["object_type"], e["request_id"]) for e in entries] == [
        ("access", "contact", "read-export-1"),
        ("access", "contact", "read-detail-1"),
    ]
    assert {e["actor"]["email"] for e in entries} == {ROLE_EMAILS["staff"]}  # type: ignore[index]
    assert all(e["changes"] == {} for e in entries)
    changes = admin.get(f"/api/v1/audit?kind=change&object_id={contact['id']}").json()["items"]
    assert [e["action"] for e in changes] == ["create"]
    # Only admins read the trail.
    manager = client_as(identity_service, ROLE_EMAILS["manager"])
    assert manager.get("/api/v1/audit?kind=access").status_code == 403
    assert admin.get("/api/v1/audit?kind=reads").status_code == 422
