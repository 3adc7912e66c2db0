"""Notification reads: always one organization, always the calling user's own rows."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet

from apps.identity.models import Organization, User
from apps.notifications.exceptions import NotificationNotFound
from apps.notifications.models import (
    BUILT_IN_DEFAULTS,
    MANDATORY_IN_APP,
    Category,
    Channel,
    Notification,
    NotificationPreference,
)


def notification_list(
    *, organization: Organization, user: User, unread: bool | None = None, category: str | None = None
) -> QuerySet[Notification]:
    """The user's inbox (archived rows left out); `unread` true/false filters on read state."""
    notifications = Notification.objects.for_organization(organization).filter(
        recipient=user, archived_at__isnull=True
    )
    if unread is not None:
        notifications = notifications.filter(read_at__isnull=unread)
    if category:
        notifications = notifications.filter(category=category)
    return notifications


def notification_get(*, organization: Organization, user: User, notification_id: uuid.UUID) -> Notification:
    """Someone else's notification is as unknown as a missing one."""
    try:
        notification: Notification = Notification.objects.for_organization(organization).get(
            pk=notification_id, recipient=user
        )
    except Notification.DoesNotExist as exc:
        raise NotificationNotFound("No such notification.") from exc
    return notification


def notification_unread_count(*, organization: Organization, user: User) -> int:
    return notification_list(organization=organization, user=user, unread=True).count()


@dataclass(frozen=True)
class PreferenceCell:
    category: Category
    channel: Channel
    enabled: bool
    mandatory: bool
    organization_default: bool
    # Where `enabled` comes from: mandatory, user, organization or default (built in).
    source: str


def _is_mandatory(category: Category, channel: Channel) -> bool:
    return channel == Channel.IN_APP and category in MANDATORY_IN_APP


def _organization_choices(organization: Organization) -> dict[tuple[str, str], bool]:
    rows = NotificationPreference.objects.for_organization(organization).filter(user__isnull=True)
    return {(p.category, p.channel): p.enabled for p in rows}


def _cells(
    organization_choices: dict[tuple[str, str], bool], own: dict[tuple[str, str], bool]
) -> list[PreferenceCell]:
    cells = []
    for category in Category:
        for channel in Channel:
            key = (category.value, channel.value)
            mandatory = _is_mandatory(category, channel)
            default = mandatory or organization_choices.get(key, category in BUILT_IN_DEFAULTS[channel])
            if mandatory:
                enabled, source = True, "mandatory"
            elif key in own:
                enabled, source = own[key], "user"
            else:
                enabled, source = default, ("organization" if key in organization_choices else "default")
            cells.append(
                PreferenceCell(
                    category=category,
                    channel=channel,
                    enabled=enabled,
                    mandatory=mandatory,
                    organization_default=default,
                    source=source,
                )
            )
    return cells


def preference_matrices(
    *, organization: Organization, users: Iterable[User]
) -> dict[uuid.UUID, list[PreferenceCell]]:
    """Effective preferences of each user, category x channel, in two queries for any number of users."""
    users = list(users)
    organization_choices = _organization_choices(organization)
    own: dict[uuid.UUID, dict[tuple[str, str], bool]] = {u.id: {} for u in users}
    for p in NotificationPreference.objects.for_organization(organization).filter(user__in=users):
        own[p.user_id][(p.category, p.channel)] = p.enabled
    return {user.id: _cells(organization_choices, own[user.id]) for user in users}


def preference_matrix(*, organization: Organization, user: User) -> list[PreferenceCell]:
    return preference_matrices(organization=organization, users=[user])[user.id]


def organization_preference_defaults(*, organization: Organization) -> list[PreferenceCell]:
    """The organization's defaults, category x channel: what a user who chose nothing gets."""
    return _cells(_organization_choices(organization), {})


def is_mandatory(*, category: str, channel: str) -> bool:
    return _is_mandatory(Category(category), Channel(channel))
