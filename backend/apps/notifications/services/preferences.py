"""Notification preferences of a user, and the organization's defaults."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction

from apps.identity.models import Organization, User
from apps.notifications.exceptions import PreferenceMandatory
from apps.notifications.models import NotificationPreference
from apps.notifications.selectors import is_mandatory


@dataclass(frozen=True)
class PreferenceChange:
    category: str
    channel: str
    # None forgets the choice: the organization default (or, for the organization, the built-in one) applies.
    enabled: bool | None


def preference_set(
    *, organization: Organization, user: User | None, changes: Sequence[PreferenceChange]
) -> None:
    """Applies the changes for `user`, or the organization defaults when `user` is None; all or none."""
    refused = [
        c for c in changes if c.enabled is False and is_mandatory(category=c.category, channel=c.channel)
    ]
    if refused:
        raise PreferenceMandatory(
            "Mandatory notifications cannot be switched off.",
            errors=[
                {"field": f"items.{c.category}.{c.channel}", "message": "Mandatory; cannot be switched off."}
                for c in refused
            ],
        )
    preferences = NotificationPreference.objects.for_organization(organization)
    with transaction.atomic():
        for change in changes:
            cell = preferences.filter(user=user, category=change.category, channel=change.channel)
            if change.enabled is None:
                # Locked: a concurrent forget waits, then finds nothing (no second delete entry).
                for preference in cell.select_for_update():
                    preference.delete()  # per row, so the audit log sees it
            else:
                # Locks the row it updates; a concurrent first create loses on the unique
                # constraint and updates the winner's row instead.
                preferences.update_or_create(
                    user=user,
                    category=change.category,
                    channel=change.channel,
                    defaults={"enabled": change.enabled},
                )
