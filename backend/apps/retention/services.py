"""Writes of retention: the settings (a PATCH) and the purge of what has expired.

The purge deletes in batches of `batch_size` rows, each batch its own short transaction that
locks its rows `FOR UPDATE SKIP LOCKED` (a row a writer holds waits for the next run), so it
never holds long locks. It deletes with SQL of its own, not `QuerySet.delete()`: auditlog would
write a DELETE entry for every purged row and rebuild the trail being purged.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from apps.events.models import Delivery, DeliveryAttempt, Event
from apps.identity.models import Organization
from apps.identity.tenancy import apply_changes, refresh_for_update
from apps.retention.expiry import EVENTS, KINDS, Kind
from apps.retention.models import RetentionSettings
from apps.retention.selectors import retention_settings_of

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000
_EDITABLE = ("events_days", "notifications_days", "audit_days", "access_log_days")


def retention_settings_update(*, organization: Organization, data: Mapping[str, Any]) -> RetentionSettings:
    """Applies the given periods (a PATCH) to the organization's row, made on first change; audited."""
    with transaction.atomic():
        # get_or_create survives a concurrent first write (it re-reads after the unique violation).
        settings: RetentionSettings
        settings, _ = RetentionSettings.objects.for_organization(organization).get_or_create()
        refresh_for_update(settings)
        apply_changes(settings, dict(data), editable=_EDITABLE)
    return settings


@dataclass
class Purged:
    """Rows removed per kind; deliveries and attempts go with their events."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, count: int) -> None:
        self.counts[name] = self.counts.get(name, 0) + count

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _locked_batch(kind: Kind, *, organization: Organization, cutoff: datetime, batch_size: int) -> list[Any]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {kind.table} WHERE {kind.condition} "  # noqa: S608 - fixed fragments
            "LIMIT %s FOR UPDATE SKIP LOCKED",
            [str(organization.id), cutoff, batch_size],
        )
        return [row[0] for row in cursor.fetchall()]


def _delete_events(ids: list[uuid.UUID], purged: Purged) -> None:
    """Deletes the events, their deliveries and attempts, but any event a redelivery reopened."""
    with connection.cursor() as cursor:
        # A redelivery locks the deliveries and sets them pending: lock them too, then read
        # their status as committed (a waiting lock re-reads the row).
        cursor.execute(
            f"SELECT event_id, status FROM {Delivery._meta.db_table} WHERE event_id = ANY(%s) FOR UPDATE",  # noqa: S608
            [ids],
        )
        reopened = {event_id for event_id, status in cursor.fetchall() if status == Delivery.Status.PENDING}
        ids = [i for i in ids if i not in reopened]
        if not ids:
            return
        cursor.execute(
            f"DELETE FROM {DeliveryAttempt._meta.db_table} WHERE delivery_id IN ("  # noqa: S608
            f"SELECT id FROM {Delivery._meta.db_table} WHERE event_id = ANY(%s))",
            [ids],
        )
        purged.add("delivery_attempts", cursor.rowcount)
        cursor.execute(f"DELETE FROM {Delivery._meta.db_table} WHERE event_id = ANY(%s)", [ids])  # noqa: S608
        purged.add("deliveries", cursor.rowcount)
        cursor.execute(f"DELETE FROM {Event._meta.db_table} WHERE id = ANY(%s)", [ids])  # noqa: S608
        purged.add(EVENTS.name, cursor.rowcount)


def _delete_rows(kind: Kind, ids: list[Any], purged: Purged) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {kind.table} WHERE id = ANY(%s)", [ids])  # noqa: S608 - fixed fragments
        purged.add(kind.name, cursor.rowcount)


def retention_purge(
    *, organization: Organization, now: datetime | None = None, batch_size: int = BATCH_SIZE
) -> Purged:
    """Deletes what the organization's retention settings let go at `now`, batch by batch."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    now = now or timezone.now()
    settings = retention_settings_of(organization=organization)
    purged = Purged()
    for kind in KINDS:
        cutoff = kind.cutoff(settings, now)
        while True:
            with transaction.atomic():
                ids = _locked_batch(kind, organization=organization, cutoff=cutoff, batch_size=batch_size)
                if ids:
                    if kind is EVENTS:
                        _delete_events(ids, purged)
                    else:
                        _delete_rows(kind, ids, purged)
            if len(ids) < batch_size:
                break
    return purged


def retention_purge_all(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> Purged:
    """`retention_purge` for every organization, one after the other."""
    now = now or timezone.now()
    total = Purged()
    for organization in Organization.objects.order_by("id").iterator():
        purged = retention_purge(organization=organization, now=now, batch_size=batch_size)
        for name, count in purged.counts.items():
            total.add(name, count)
        if purged.total:
            logger.info("purged expired rows of organization %s: %s", organization.id, purged.counts)
    return total
