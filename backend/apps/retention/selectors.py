"""Reads of retention: the organization's settings, and what a purge would remove now."""

from __future__ import annotations

from datetime import datetime

from django.db import connection

from apps.identity.models import Organization
from apps.retention.expiry import KINDS
from apps.retention.models import RetentionSettings


def retention_settings_of(*, organization: Organization) -> RetentionSettings:
    """The organization's row, or an unsaved one with the defaults."""
    found = RetentionSettings.objects.for_organization(organization).first()
    return found if found is not None else RetentionSettings(organization=organization)


def retention_expired_counts(*, organization: Organization, now: datetime) -> dict[str, int]:
    """Rows per kind past the organization's retention at `now` (a purge's dry run)."""
    settings = retention_settings_of(organization=organization)
    counts = {}
    with connection.cursor() as cursor:
        for kind in KINDS:
            cursor.execute(
                f"SELECT count(*) FROM {kind.table} WHERE {kind.condition}",  # noqa: S608 - fixed fragments
                [str(organization.id), kind.cutoff(settings, now)],
            )
            counts[kind.name] = cursor.fetchone()[0]
    return counts
