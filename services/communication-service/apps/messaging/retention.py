"""Purging what is past its retention: messages after MESSAGE_RETENTION_DAYS, received events
(the dedupe keys) after RECEIVED_EVENT_RETENTION_DAYS, which settings keep longer than the backend
may redeliver an event (hubkit.retention.EVENT_REDELIVERY_MAX_DAYS), so a late redelivery still
finds its key and sends nothing twice.

The service has no scheduler: an accepted event starts one round (one batch per table) at most
every RETENTION_PURGE_INTERVAL_SECONDS across its processes; `manage.py purge_expired` runs the
purge to the end (a first run on a large backlog, or from cron).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from apps.messaging.models import Message, ReceivedEvent
from hubkit.retention import purge_due, purge_in_batches

logger = logging.getLogger(__name__)


def _kinds(now: datetime) -> list[tuple[str, str, str, datetime]]:
    """(name, table, condition on the cutoff, cutoff) per kind of record."""
    return [
        (
            "messages",
            Message._meta.db_table,
            "created_at < %s",
            now - timedelta(days=settings.MESSAGE_RETENTION_DAYS),
        ),
        (
            "received_events",
            ReceivedEvent._meta.db_table,
            "received_at < %s",
            now - timedelta(days=settings.RECEIVED_EVENT_RETENTION_DAYS),
        ),
    ]


def retention_purge(*, now: datetime | None = None, max_batches: int | None = None) -> dict[str, int]:
    """Deletes the expired rows of each kind, in batches; the counts per kind."""
    now = now or timezone.now()
    return {
        name: purge_in_batches(table=table, where=where, params=[cutoff], max_batches=max_batches)
        for name, table, where, cutoff in _kinds(now)
    }


def retention_expired_counts(*, now: datetime | None = None) -> dict[str, int]:
    """What `retention_purge` would delete at `now` (a dry run)."""
    counts = {}
    with connection.cursor() as cursor:
        for name, table, where, cutoff in _kinds(now or timezone.now()):
            cursor.execute(f"SELECT count(*) FROM {table} WHERE {where}", [cutoff])  # noqa: S608 - own SQL
            counts[name] = cursor.fetchone()[0]
    return counts


def retention_purge_if_due() -> None:
    """One round of the purge, if no process ran one within RETENTION_PURGE_INTERVAL_SECONDS."""
    if not purge_due("communication", interval_seconds=settings.RETENTION_PURGE_INTERVAL_SECONDS):
        return
    purged = retention_purge(max_batches=1)
    if any(purged.values()):
        logger.info("retention purge removed %s", purged)
