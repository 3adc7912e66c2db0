"""Purging what is past its retention: a received event's envelope after
EVENT_PAYLOAD_RETENTION_DAYS (blanked: the row stays as the compact dedupe key), the row itself
after RECEIVED_EVENT_RETENTION_DAYS, which settings keep longer than the backend may redeliver an
event (hubkit.retention.EVENT_REDELIVERY_MAX_DAYS), so a late redelivery still finds its key and
runs no rule twice; runs after RUN_RETENTION_DAYS.

The service has no scheduler: an accepted event starts one round (one batch per kind) at most
every RETENTION_PURGE_INTERVAL_SECONDS across its processes; `manage.py purge_expired` runs the
purge to the end (a first run on a large backlog, or from cron).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from apps.workflows.models import ReceivedEvent, Run
from hubkit.retention import purge_due, purge_in_batches

logger = logging.getLogger(__name__)

# The envelope column holds encrypted envelopes (hubkit.encryption); a blanked one is the plain
# text `{}`, which the field reads as an empty document (nothing in it to seal).
_BLANK = "'{}'"


@dataclass(frozen=True)
class _Kind:
    name: str
    table: str
    where: str
    days: int
    set_clause: str | None = None


def _kinds() -> list[_Kind]:
    events = ReceivedEvent._meta.db_table
    return [
        _Kind(
            "event_payloads",
            events,
            f"received_at < %s AND envelope <> {_BLANK}",
            settings.EVENT_PAYLOAD_RETENTION_DAYS,
            set_clause=f"envelope = {_BLANK}",
        ),
        _Kind("received_events", events, "received_at < %s", settings.RECEIVED_EVENT_RETENTION_DAYS),
        _Kind("runs", Run._meta.db_table, "created_at < %s", settings.RUN_RETENTION_DAYS),
    ]


def retention_purge(*, now: datetime | None = None, max_batches: int | None = None) -> dict[str, int]:
    """Blanks or deletes the expired rows of each kind, in batches; the counts per kind."""
    now = now or timezone.now()
    return {
        kind.name: purge_in_batches(
            table=kind.table,
            where=kind.where,
            params=[now - timedelta(days=kind.days)],
            set_clause=kind.set_clause,
            max_batches=max_batches,
        )
        for kind in _kinds()
    }


def retention_expired_counts(*, now: datetime | None = None) -> dict[str, int]:
    """What `retention_purge` would blank or delete at `now` (a dry run)."""
    now = now or timezone.now()
    counts = {}
    with connection.cursor() as cursor:
        for kind in _kinds():
            cursor.execute(
                f"SELECT count(*) FROM {kind.table} WHERE {kind.where}",  # noqa: S608 - own SQL
                [now - timedelta(days=kind.days)],
            )
            counts[kind.name] = cursor.fetchone()[0]
    return counts


def retention_purge_if_due() -> None:
    """One round of the purge, if no process ran one within RETENTION_PURGE_INTERVAL_SECONDS."""
    if not purge_due("workflow", interval_seconds=settings.RETENTION_PURGE_INTERVAL_SECONDS):
        return
    purged = retention_purge(max_batches=1)
    if any(purged.values()):
        logger.info("retention purge removed %s", purged)
