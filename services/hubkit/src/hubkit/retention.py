"""Purging rows past their retention period: in batches, each its own short transaction.

A service names the table and the condition of what has expired; `purge_in_batches` deletes (or,
with `set_clause`, overwrites) at most `batch_size` rows per statement, locking them `FOR UPDATE
SKIP LOCKED` (a row a writer holds is left for the next round), so it never holds long locks.
`purge_due` lets one process in the deployment start a round at most once per interval, for
services without a scheduler that purge from their request path.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction

BATCH_SIZE = 1000
# The longest the backend keeps a final event (the upper bound of its `events_days`), and so the
# longest it may redeliver one: receivers keep their dedupe keys longer than this.
EVENT_REDELIVERY_MAX_DAYS = 365


def purge_in_batches(
    *,
    table: str,
    where: str,
    params: Sequence[Any],
    set_clause: str | None = None,
    batch_size: int = BATCH_SIZE,
    max_batches: int | None = None,
) -> int:
    """Deletes (or updates with `set_clause`) the rows of `table` matching `where`; returns how many.

    `table`, `where` and `set_clause` are the caller's own SQL (never input); `params` fill the
    `%s` of `where`. With `set_clause` the condition must exclude rows already changed, or the
    purge never ends. `max_batches` bounds one round (None: until nothing matches).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    # The caller's own SQL fragments, never input.
    target = f"UPDATE {table} SET {set_clause}" if set_clause else f"DELETE FROM {table}"  # noqa: S608
    sql = (
        f"{target} WHERE id IN (SELECT id FROM {table} WHERE {where} "  # noqa: S608 - the caller's own SQL
        "LIMIT %s FOR UPDATE SKIP LOCKED)"
    )
    total = batches = 0
    while max_batches is None or batches < max_batches:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [*params, batch_size])
            count = cursor.rowcount
        total += count
        batches += 1
        if count < batch_size:
            break
    return total


def purge_due(key: str, *, interval_seconds: int) -> bool:
    """True for one caller per `interval_seconds` across every process sharing the cache (Redis)."""
    return bool(cache.add(f"retention-purge:{key}", "1", timeout=interval_seconds))
