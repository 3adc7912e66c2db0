import uuid
from collections.abc import Callable

import pytest
from django.test import Client

from apps.events.models import Event
from apps.notifications.models import Notification
from apps.notifications.tests.factories import (
    BOTH_ID,
    GLOBEX_OWNER_ID,
    MANAGER_ID,
    STAFF_ID,
    make_notification,
    mirror_user,
)
from conftest import bearer
from hubkit.testing import IdentityService
from tests.factories import ACME_ID, GLOBEX_ID, ROLE_EMAILS, acme, client_as, send

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
WORKFLOW = ("workflow-intelligence-service", "dev-insecure-workflow-client-secret")
NO_SHOW = {
    "role": "manager",
    "category": "booking",
    "severity": "warning",
    "title": "No-show",
    "body": "Ada did not come",
    "data": {"booking_id": "b1"},
    "action_url": "/bookings/b1",
}


@pytest.fixture
def as_user(identity_service: IdentityService) -> Callable[[str], Client]:
    return lambda email: client_as(identity_service, ROLE_EMAILS.get(email, email))


def test_admin_notifies_the_managers_who_see_it_in_their_inbox(as_user: Callable[[str], Client]) -> None:
    created = send(as_user("admin"), "POST", "/notifications", NO_SHOW)
    assert created.status_code == 201, created.content
    [item] = created.json()["items"]
    assert (item["recipient_id"], item["title"], item["severity"]) == (str(MANAGER_ID), "No-show", "warning")
    assert (item["action_url"], item["read_at"], item["dedupe_key"]) == ("/bookings/b1", None, None)
    inbox = send(as_user("manager"), "GET", "/notifications").json()
    assert [n["id"] for n in inbox["items"]] == [item["id"]]
    # both@hub.test is staff in Acme (manager only in Globex): not a recipient.
    assert send(as_user("both@hub.test"), "GET", "/notifications").json()["items"] == []
    assert send(as_user("staff"), "GET", "/notifications").json()["items"] == []


def test_workflow_service_token_for_the_organization_may_send(identity_service: IdentityService) -> None:
    token = identity_service.service_token(*WORKFLOW, organization_id=str(ACME_ID))
    response = send(bearer(token), "POST", "/notifications", NO_SHOW | {"dedupe_key": "no-show:b1"})
    assert response.status_code == 201, response.content
    assert [n["recipient_id"] for n in response.json()["items"]] == [str(MANAGER_ID)]
    # A retry with the same key answers 200 with the same items and writes nothing.
    events = Event.all_tenants.count()
    replay = send(bearer(token), "POST", "/notifications", NO_SHOW | {"dedupe_key": "no-show:b1"})
    assert replay.status_code == 200
    assert replay.json()["items"] == response.json()["items"]
    assert Notification.all_tenants.count() == 1
    assert Event.all_tenants.count() == events


def test_who_may_not_send(identity_service: IdentityService, as_user: Callable[[str], Client]) -> None:
    no_org = identity_service.service_token(*WORKFLOW)
    # A service token of Acme without `notifications:write` (the backend's own client).
    other_scope = identity_service.service_token(
        "hub-backend",
        "dev-insecure-hub-backend-client-secret",
        scope="members:read",
        organization_id=str(ACME_ID),
    )
    for client in (as_user("staff"), as_user("manager"), bearer(no_org), bearer(other_scope)):
        response = send(client, "POST", "/notifications", NO_SHOW)
        assert response.status_code == 403, response.content
        assert response["Content-Type"] == PROBLEM
    # Service tokens have no inbox.
    token = identity_service.service_token(*WORKFLOW, organization_id=str(ACME_ID))
    assert send(bearer(token), "GET", "/notifications").status_code == 403
    assert Notification.all_tenants.count() == 0


def test_recipients_must_be_members_and_bodies_valid(as_user: Callable[[str], Client]) -> None:
    admin = as_user("admin")
    body = {k: v for k, v in NO_SHOW.items() if k != "role"}
    outsider = send(
        admin, "POST", "/notifications", body | {"recipient_ids": [str(MANAGER_ID), str(GLOBEX_OWNER_ID)]}
    )
    assert outsider.status_code == 422
    assert outsider.json()["code"] == "unknown_recipients"
    assert Notification.all_tenants.count() == 0
    assert Event.all_tenants.count() == 0
    for bad in (
        NO_SHOW | {"recipient_ids": [str(MANAGER_ID)]},  # both addressings
        body,  # neither
        NO_SHOW | {"category": "gossip"},
        NO_SHOW | {"severity": "panic"},
        NO_SHOW | {"action_url": "javascript:alert(1)"},
        NO_SHOW | {"unknown": 1},
    ):
        assert send(admin, "POST", "/notifications", bad).status_code == 422, bad
    to_ids = send(admin, "POST", "/notifications", body | {"recipient_ids": [str(STAFF_ID), str(MANAGER_ID)]})
    assert to_ids.status_code == 201
    assert [n["recipient_id"] for n in to_ids.json()["items"]] == [str(STAFF_ID), str(MANAGER_ID)]


def test_inbox_unread_filter_count_read_and_read_all(as_user: Callable[[str], Client]) -> None:
    manager = mirror_user(MANAGER_ID)
    old = make_notification(recipient=manager, category="payment")
    new = make_notification(recipient=manager)
    other = make_notification(recipient=mirror_user(STAFF_ID))
    client = as_user("manager")
    assert send(client, "GET", "/notifications/unread-count").json() == {"count": 2}
    assert [n["id"] for n in send(client, "GET", "/notifications").json()["items"]] == [
        str(new.id),
        str(old.id),
    ]
    read = send(client, "POST", f"/notifications/{old.id}/read")
    assert read.status_code == 200
    assert read.json()["read_at"] is not None
    assert read.json()["seen_at"] == read.json()["read_at"]
    again = send(client, "POST", f"/notifications/{old.id}/read").json()
    assert again["read_at"] == read.json()["read_at"]
    assert [n["id"] for n in send(client, "GET", "/notifications?unread=true").json()["items"]] == [
        str(new.id)
    ]
    assert [n["id"] for n in send(client, "GET", "/notifications?unread=false").json()["items"]] == [
        str(old.id)
    ]
    assert [n["id"] for n in send(client, "GET", "/notifications?category=payment").json()["items"]] == [
        str(old.id)
    ]
    assert send(client, "GET", "/notifications/unread-count").json() == {"count": 1}
    # Someone else's notification is unknown, never forbidden.
    assert send(client, "POST", f"/notifications/{other.id}/read").status_code == 404
    assert send(client, "POST", f"/notifications/{uuid.uuid4()}/read").status_code == 404
    assert send(client, "POST", "/notifications/read-all").json() == {"updated": 1}
    assert send(client, "POST", "/notifications/read-all").json() == {"updated": 0}
    assert send(client, "GET", "/notifications/unread-count").json() == {"count": 0}
    other.refresh_from_db()
    assert other.read_at is None


def test_inbox_pages_with_cursor(as_user: Callable[[str], Client]) -> None:
    manager = mirror_user(MANAGER_ID)
    ids = [str(make_notification(recipient=manager).id) for _ in range(5)][::-1]
    client = as_user("manager")
    first = send(client, "GET", "/notifications?limit=2").json()
    second = send(client, "GET", f"/notifications?limit=2&cursor={first['next_cursor']}").json()
    third = send(client, "GET", f"/notifications?limit=2&cursor={second['next_cursor']}").json()
    assert [n["id"] for page in (first, second, third) for n in page["items"]] == ids
    assert third["next_cursor"] is None


def test_notifications_of_one_organization_stay_there(identity_service: IdentityService) -> None:
    make_notification(recipient=mirror_user(BOTH_ID), organization=acme())
    in_acme = client_as(identity_service, "both@hub.test", ACME_ID)
    in_globex = client_as(identity_service, "both@hub.test", GLOBEX_ID)
    assert send(in_acme, "GET", "/notifications/unread-count").json() == {"count": 1}
    assert send(in_globex, "GET", "/notifications/unread-count").json() == {"count": 0}
    assert send(in_globex, "GET", "/notifications").json()["items"] == []
    assert send(in_globex, "POST", "/notifications/read-all").json() == {"updated": 0}


def test_preferences_matrix_and_mandatory(as_user: Callable[[str], Client]) -> None:
    client = as_user("manager")
    matrix = send(client, "GET", "/notifications/preferences").json()
    assert matrix["categories"] == ["booking", "payment", "system", "security", "workflow"]
    assert matrix["channels"] == ["in_app", "email", "sms"]
    assert matrix["mandatory_categories"] == ["security"]
    assert len(matrix["items"]) == 15
    security = next(c for c in matrix["items"] if (c["category"], c["channel"]) == ("security", "in_app"))
    assert security == {
        "category": "security",
        "channel": "in_app",
        "enabled": True,
        "mandatory": True,
        "organization_default": True,
        "source": "mandatory",
    }
    refused = send(
        client,
        "PUT",
        "/notifications/preferences",
        {"items": [{"category": "security", "channel": "in_app", "enabled": False}]},
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "preference_mandatory"
    assert send(as_user("admin"), "POST", "/notifications", NO_SHOW).status_code == 201
    [event] = Event.all_tenants.filter(type="notification.requested")
    assert (event.data["channel"], event.data["recipient"]["email"]) == ("email", "manager@acme.test")
    updated = send(
        client,
        "PUT",
        "/notifications/preferences",
        {"items": [{"category": "booking", "channel": "email", "enabled": False}]},
    )
    assert updated.status_code == 200
    cell = next(c for c in updated.json()["items"] if (c["category"], c["channel"]) == ("booking", "email"))
    assert (cell["enabled"], cell["organization_default"], cell["source"]) == (False, True, "user")
    # The choice takes effect: the next booking notification reaches the inbox only.
    assert send(as_user("admin"), "POST", "/notifications", NO_SHOW).status_code == 201
    assert Event.all_tenants.filter(type="notification.requested").count() == 1
    assert send(client, "GET", "/notifications/unread-count").json() == {"count": 2}


def test_organization_defaults_are_for_admins(as_user: Callable[[str], Client]) -> None:
    change = {"items": [{"category": "payment", "channel": "sms", "enabled": True}]}
    assert send(as_user("manager"), "PUT", "/notifications/preferences/defaults", change).status_code == 403
    response = send(as_user("admin"), "PUT", "/notifications/preferences/defaults", change)
    assert response.status_code == 200
    cell = next(c for c in response.json()["items"] if (c["category"], c["channel"]) == ("payment", "sms"))
    assert (cell["enabled"], cell["source"]) == (True, "organization")
    mine = send(as_user("staff"), "GET", "/notifications/preferences").json()["items"]
    cell = next(c for c in mine if (c["category"], c["channel"]) == ("payment", "sms"))
    assert (cell["enabled"], cell["organization_default"], cell["source"]) == (True, True, "organization")
    assert send(as_user("viewer"), "GET", "/notifications/preferences/defaults").status_code == 200
