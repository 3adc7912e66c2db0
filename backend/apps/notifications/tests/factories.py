"""Object makers for notification tests (and for route tests across the API)."""

from __future__ import annotations

import uuid
from typing import Any

from apps.identity.models import User
from apps.notifications.models import Category, Notification
from tests.factories import acme

# Demo users of identities.json (ids are identity-service's).
MANAGER_ID = uuid.UUID("0b0e0000-0000-4000-8000-000000000003")
STAFF_ID = uuid.UUID("0b0e0000-0000-4000-8000-000000000004")
VIEWER_ID = uuid.UUID("0b0e0000-0000-4000-8000-000000000005")
BOTH_ID = uuid.UUID("0b0e0000-0000-4000-8000-000000000006")
GLOBEX_OWNER_ID = uuid.UUID("0b0e0000-0000-4000-8000-000000000007")
DEMO_USERS = {
    MANAGER_ID: ("manager@acme.test", "Mia Manager"),
    STAFF_ID: ("staff@acme.test", "Sam Staff"),
    VIEWER_ID: ("viewer@acme.test", "Vera Viewer"),
}


def mirror_user(user_id: uuid.UUID) -> User:
    """The backend's mirror row of a demo user, as a first request (or a notification) creates it."""
    email, name = DEMO_USERS.get(user_id, ("", ""))
    user: User = User.objects.get_or_create(
        subject=str(user_id), defaults={"id": user_id, "email": email, "name": name}
    )[0]
    return user


def make_notification(**fields: Any) -> Notification:
    values: dict[str, Any] = {"category": Category.BOOKING, "title": "Booking moved", **fields}
    organization = values.pop("organization", None) or acme()
    recipient = values.pop("recipient", None) or mirror_user(MANAGER_ID)
    notification: Notification = Notification.objects.for_organization(organization).create(
        recipient=recipient, **values
    )
    return notification
