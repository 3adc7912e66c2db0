"""Notifications of the calling user, their preferences, and sending (admins and services)."""

import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from apps.core.pagination import Page, paginate
from apps.identity.permissions import requires
from apps.identity.principal import Role, organization_of, principal_of
from apps.notifications.models import MANDATORY_IN_APP, Category, Channel
from apps.notifications.schemas import (
    NotificationFilter,
    NotificationIn,
    NotificationItems,
    NotificationOut,
    NotificationPage,
    PreferencesIn,
    PreferencesOut,
    ReadAllOut,
    UnreadCountOut,
)  # fmt: skip
from apps.notifications.selectors import (
    PreferenceCell,
    notification_get,
    notification_list,
    notification_unread_count,
    organization_preference_defaults,
    preference_matrix,
)  # fmt: skip
from apps.notifications.services.notifications import (
    notification_mark_all_read,
    notification_mark_read,
    notification_send,
)  # fmt: skip
from apps.notifications.services.preferences import PreferenceChange, preference_set

router = Router(tags=["notifications"])
NOTIFICATIONS_WRITE = "notifications:write"


def _preferences(cells: list[PreferenceCell]) -> dict[str, Any]:
    return {
        "categories": list(Category),
        "channels": list(Channel),
        "mandatory_categories": sorted(MANDATORY_IN_APP),
        "items": cells,
    }


def _changes(payload: PreferencesIn) -> list[PreferenceChange]:
    return [
        PreferenceChange(category=i.category, channel=i.channel, enabled=i.enabled) for i in payload.items
    ]


@router.get("/notifications", response=NotificationPage, operation_id="list_notifications")
@requires(Role.VIEWER)
def list_notifications(request: HttpRequest, filters: Query[NotificationFilter]) -> Page[Any]:
    """The caller's inbox, newest first; archived notifications are left out."""
    notifications = notification_list(
        organization=organization_of(request), user=principal_of(request).user,
        unread=filters.unread, category=filters.category,
    )  # fmt: skip
    return paginate(notifications, descending=True, cursor=filters.cursor, limit=filters.limit)


@router.post(
    "/notifications",
    response={200: NotificationItems, 201: NotificationItems},
    operation_id="send_notification",
)
@requires(Role.ADMIN, scope=NOTIFICATIONS_WRITE, idempotency="optional")
def send_notification(request: HttpRequest, payload: NotificationIn) -> Status[dict[str, Any]]:
    """Notifies members by id or by role: in-app, and email/sms as their preferences allow.

    201 with the new in-app items; 200 with the earlier ones when `dedupe_key` was already sent to
    every recipient. Recipients outside the organization: 422 `unknown_recipients`, nothing written.
    """
    result = notification_send(
        organization=organization_of(request), actor=principal_of(request).user,
        **payload.model_dump(exclude_none=True),
    )  # fmt: skip
    return Status(201 if result.created else 200, {"items": result.items})


@router.get("/notifications/unread-count", response=UnreadCountOut, operation_id="count_unread_notifications")
@requires(Role.VIEWER)
def count_unread_notifications(request: HttpRequest) -> dict[str, int]:
    user = principal_of(request).user
    return {"count": notification_unread_count(organization=organization_of(request), user=user)}


@router.post("/notifications/read-all", response=ReadAllOut, operation_id="read_all_notifications")
@requires(Role.VIEWER)
def read_all_notifications(request: HttpRequest) -> dict[str, int]:
    user = principal_of(request).user
    return {"updated": notification_mark_all_read(organization=organization_of(request), user=user)}


@router.post(
    "/notifications/{notification_id}/read", response=NotificationOut, operation_id="read_notification"
)
@requires(Role.VIEWER)
def read_notification(request: HttpRequest, notification_id: uuid.UUID) -> Any:
    """Idempotent: reading twice keeps the first read time."""
    notification = notification_get(
        organization=organization_of(request),
        user=principal_of(request).user,
        notification_id=notification_id,
    )
    return notification_mark_read(notification=notification)


@router.get(
    "/notifications/preferences", response=PreferencesOut, operation_id="get_notification_preferences"
)
@requires(Role.VIEWER)
def get_notification_preferences(request: HttpRequest) -> dict[str, Any]:
    """Category x channel: the effective value, whether it is mandatory, and the organization default."""
    user = principal_of(request).user
    return _preferences(preference_matrix(organization=organization_of(request), user=user))


@router.put(
    "/notifications/preferences", response=PreferencesOut, operation_id="update_notification_preferences"
)
@requires(Role.VIEWER)
def update_notification_preferences(request: HttpRequest, payload: PreferencesIn) -> dict[str, Any]:
    """Sets the listed cells only; switching off a mandatory one is 422 `preference_mandatory`."""
    organization, user = organization_of(request), principal_of(request).user
    preference_set(organization=organization, user=user, changes=_changes(payload))
    return _preferences(preference_matrix(organization=organization, user=user))


@router.get(
    "/notifications/preferences/defaults",
    response=PreferencesOut,
    operation_id="get_notification_preference_defaults",
)
@requires(Role.VIEWER)
def get_notification_preference_defaults(request: HttpRequest) -> dict[str, Any]:
    """The organization's defaults: what members who chose nothing receive."""
    return _preferences(organization_preference_defaults(organization=organization_of(request)))


@router.put(
    "/notifications/preferences/defaults",
    response=PreferencesOut,
    operation_id="update_notification_preference_defaults",
)
@requires(Role.ADMIN)
def update_notification_preference_defaults(request: HttpRequest, payload: PreferencesIn) -> dict[str, Any]:
    organization = organization_of(request)
    preference_set(organization=organization, user=None, changes=_changes(payload))
    return _preferences(organization_preference_defaults(organization=organization))
