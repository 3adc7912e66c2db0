"""Notifications of the calling user, their preferences, and sending (admins and services)."""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Status

from apps.identity.principal import Role, organization_of, principal_of
from apps.notifications.models import MANDATORY_IN_APP, Category, Channel, Notification
from apps.notifications.schemas import (
    NotificationFilter,
    NotificationId,
    NotificationIn,
    NotificationItems,
    NotificationOut,
    PreferencesIn,
    PreferencesOut,
    ReadAllOut,
    UnreadCountOut,
)
from apps.notifications.selectors import (
    PreferenceCell,
    notification_get,
    notification_list,
    notification_unread_count,
    organization_preference_defaults,
    preference_matrix,
)
from apps.notifications.services.notifications import (
    notification_mark_all_read,
    notification_mark_read,
    notification_send,
)
from apps.notifications.services.preferences import PreferenceChange, preference_set
from edge.permissions import requires
from hubkit.pagination import KeysetPagination, paginate

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


@router.get("", response=list[NotificationOut], operation_id="list_notifications")
@requires(Role.VIEWER)
@paginate(KeysetPagination, descending=True)
def list_notifications(request: HttpRequest, filters: Query[NotificationFilter]) -> QuerySet[Notification]:
    """The caller's inbox, newest first; archived notifications are left out."""
    return notification_list(
        organization=organization_of(request),
        user=principal_of(request).user,
        unread=filters.unread,
        category=filters.category,
    )


@router.post(
    "",
    response={200: NotificationItems, 201: NotificationItems},
    operation_id="send_notification",
)
@requires(Role.ADMIN, scope=NOTIFICATIONS_WRITE, introspect=True, idempotency="optional")
def send_notification(request: HttpRequest, payload: NotificationIn) -> Status[dict[str, Any]]:
    """Notifies members by id or by role: in-app, and email/sms as their preferences allow.

    201 with the new in-app items; 200 with the earlier ones when `dedupe_key` was already sent to
    every recipient. Recipients outside the organization: 422 `unknown_recipients`, nothing written.
    """
    result = notification_send(
        organization=organization_of(request),
        actor=principal_of(request).user,
        **payload.model_dump(exclude_none=True),
    )
    return Status(201 if result.created else 200, {"items": result.items})


@router.get("/unread-count", response=UnreadCountOut, operation_id="count_unread_notifications")
@requires(Role.VIEWER)
def count_unread_notifications(request: HttpRequest) -> dict[str, int]:
    user = principal_of(request).user
    return {"count": notification_unread_count(organization=organization_of(request), user=user)}


@router.post("/read-all", response=ReadAllOut, operation_id="read_all_notifications")
@requires(Role.VIEWER)
def read_all_notifications(request: HttpRequest) -> dict[str, int]:
    user = principal_of(request).user
    return {"updated": notification_mark_all_read(organization=organization_of(request), user=user)}


@router.post("/{notification_id}/read", response=NotificationOut, operation_id="read_notification")
@requires(Role.VIEWER)
def read_notification(request: HttpRequest, notification_id: NotificationId) -> Notification:
    """Idempotent: reading twice keeps the first read time."""
    notification = notification_get(
        organization=organization_of(request),
        user=principal_of(request).user,
        notification_id=notification_id,
    )
    return notification_mark_read(notification=notification)


@router.get("/preferences", response=PreferencesOut, operation_id="get_notification_preferences")
@requires(Role.VIEWER)
def get_notification_preferences(request: HttpRequest) -> dict[str, Any]:
    """Category x channel: the effective value, whether it is mandatory, and the organization default."""
    user = principal_of(request).user
    return _preferences(preference_matrix(organization=organization_of(request), user=user))


@router.put("/preferences", response=PreferencesOut, operation_id="update_notification_preferences")
@requires(Role.VIEWER)
def update_notification_preferences(request: HttpRequest, payload: PreferencesIn) -> dict[str, Any]:
    """Sets the listed cells only; switching off a mandatory one is 422 `preference_mandatory`."""
    organization, user = organization_of(request), principal_of(request).user
    preference_set(organization=organization, user=user, changes=_changes(payload))
    return _preferences(preference_matrix(organization=organization, user=user))


@router.get(
    "/preferences/defaults",
    response=PreferencesOut,
    operation_id="get_notification_preference_defaults",
)
@requires(Role.VIEWER)
def get_notification_preference_defaults(request: HttpRequest) -> dict[str, Any]:
    """The organization's defaults: what members who chose nothing receive."""
    return _preferences(organization_preference_defaults(organization=organization_of(request)))


@router.put(
    "/preferences/defaults",
    response=PreferencesOut,
    operation_id="update_notification_preference_defaults",
)
@requires(Role.ADMIN, introspect=True)
def update_notification_preference_defaults(request: HttpRequest, payload: PreferencesIn) -> dict[str, Any]:
    organization = organization_of(request)
    preference_set(organization=organization, user=None, changes=_changes(payload))
    return _preferences(organization_preference_defaults(organization=organization))
