"""SQL fragments the live and rollup reads share: OR-ed ranges, bucket expressions, booking status."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from apps.analytics.periods import Interval

# Statuses whose time counts as booked (held only while unexpired: see STATUS_SQL).
BOOKED_STATUSES = ("held", "pending", "confirmed", "completed", "no_show")

# A booking's status as the figures count it: an expired hold blocks nothing and will be
# cancelled by the tidy-up job, so it counts as cancelled already. Takes `now` as its parameter.
STATUS_SQL = "CASE WHEN b.status = 'held' AND b.hold_expires_at <= %s THEN 'cancelled' ELSE b.status END"


def or_ranges(
    column: str, ranges: Sequence[tuple[datetime, datetime] | tuple[date, date]], *, closed: bool = False
) -> tuple[str, list[Any]]:
    """`(column in r1 OR column in r2 ...)` over half-open ranges (closed: both ends included)."""
    if not ranges:
        return "FALSE", []
    upper = "<=" if closed else "<"
    sql = " OR ".join(f"({column} >= %s AND {column} {upper} %s)" for _ in ranges)
    return f"({sql})", [value for pair in ranges for value in pair]


def bucket_sql(day_expression: str, interval: Interval) -> str:
    """The bucket's first date of a date expression (a date, never a time: no session zone involved)."""
    if interval == "day":
        return f"({day_expression})"
    if interval == "all":
        return "DATE '0001-01-01'"
    return f"date_trunc('{interval}', ({day_expression})::timestamp)::date"
