"""Local days, buckets and UTC bounds: pure date arithmetic for the analytics reads.

A local day runs from one local midnight to the next in the organization's zone, converted to UTC
per day, so a DST day lasts 23 or 25 hours. Rows are filtered with those UTC instants (never by
truncating in the database's time zone). Week buckets start on Monday (ISO), month buckets on the
1st; a bucket is named by its first date even when the range starts later in it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

Interval = Literal["day", "week", "month", "all"]
# The one bucket of "all" (a whole range summed up, as the summary needs it).
WHOLE_RANGE = date(1, 1, 1)

# The longest range one request covers (three years, leap days included).
MAX_DAYS = 3 * 366
# Dates outside these are refused: no business data lives there.
EARLIEST = date(2000, 1, 1)
LATEST = date(2099, 12, 31)


def bucket_of(day: date, interval: Interval) -> date:
    if interval == "all":
        return WHOLE_RANGE
    if interval == "week":
        return day - timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    return day


def days_between(first: date, last: date) -> list[date]:
    """Every date from `first` to `last`, both included (by ordinal: a few times faster than
    adding timedeltas, and a read builds such lists several times)."""
    return list(map(date.fromordinal, range(first.toordinal(), last.toordinal() + 1)))


def next_bucket(bucket: date, interval: Interval) -> date:
    """The first date after `bucket` (a day, week or month bucket's first date)."""
    if interval == "week":
        return bucket + timedelta(days=7)
    if interval == "month":
        return date(bucket.year + bucket.month // 12, bucket.month % 12 + 1, 1)
    return bucket + timedelta(days=1)


def buckets(first: date, last: date, interval: Interval) -> list[date]:
    """The buckets meeting [first, last], in order (the first may start before `first`)."""
    if interval == "all":
        return [WHOLE_RANGE]
    if interval == "day":
        return days_between(first, last)
    found, bucket = [], bucket_of(first, interval)
    while bucket <= last:
        found.append(bucket)
        bucket = next_bucket(bucket, interval)
    return found


def day_start(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant the local day begins."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def runs(days: Iterable[date]) -> list[tuple[date, date]]:
    """Consecutive dates joined into inclusive (first, last) runs, in order (by ordinal: a read
    joins a year of days this way more than once)."""
    ordinals = sorted({day.toordinal() for day in days})
    found: list[tuple[date, date]] = []
    start, end = 0, len(ordinals) - 1
    for n, ordinal in enumerate(ordinals):
        if n == end or ordinals[n + 1] != ordinal + 1:
            found.append((date.fromordinal(ordinals[start]), date.fromordinal(ordinal)))
            start = n + 1
    return found


def instant_ranges(days: Iterable[date], zone: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """Half-open UTC ranges [start, end) covering exactly these local days."""
    return [(day_start(first, zone), day_start(last + timedelta(days=1), zone)) for first, last in runs(days)]


def local_days_of(
    start: datetime, end: datetime, zone: ZoneInfo
) -> Iterator[tuple[date, datetime, datetime]]:
    """The local days [start, end) meets, each with the part of the period inside it."""
    day = start.astimezone(zone).date()
    while True:
        lo, hi = day_start(day, zone), day_start(day + timedelta(days=1), zone)
        if lo >= end:
            return
        if hi > start:
            yield day, max(lo, start), min(hi, end)
        day += timedelta(days=1)
