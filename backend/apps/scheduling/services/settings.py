"""The organization's scheduling settings (booking rules)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from apps.identity.models import Organization
from apps.identity.tenancy import apply_changes, refresh_for_update
from apps.scheduling.models import SchedulingSettings

_EDITABLE = (
    "min_notice_minutes",
    "max_horizon_days",
    "slot_interval_minutes",
    "hold_minutes",
    "reminder_lead_minutes",
)


def scheduling_settings_update(*, organization: Organization, data: Mapping[str, Any]) -> SchedulingSettings:
    """Applies the given fields (a PATCH) to the organization's row, made on first change."""
    with transaction.atomic():
        # get_or_create survives a concurrent first write (it re-reads after the unique violation).
        settings: SchedulingSettings
        settings, _ = SchedulingSettings.objects.for_organization(organization).get_or_create()
        refresh_for_update(settings)
        apply_changes(settings, dict(data), editable=_EDITABLE)
    return settings
