"""When a resource can be booked: pure computation over its hours, time off and busy periods.

Working hours are local wall-clock intervals in the resource's IANA zone. They are expanded one
local date at a time and converted to UTC there, so a day of a DST change has the length it has
(23 or 25 hours) and 09:00 stays 09:00 on both sides of it. A local time that does not exist (the
hour skipped in spring) is read with the offset before the change, as `zoneinfo` does (fold=0);
an ambiguous one (the hour repeated in autumn) as its first occurrence.

The same functions answer `GET /availability` and check a new or moved booking, so every slot
the list returns is one the booking services accept.
"""

from __future__ import annotations

import bisect
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

# The namespace of group-session ids: uuid5(namespace, f"{resource}:{service}:{start}").
SESSION_NAMESPACE = uuid.UUID("5e551017-0000-4000-8000-5c4ed0000000")


@dataclass(frozen=True, slots=True)
class Period:
    """A half-open period [start, end) of aware datetimes."""

    start: datetime
    end: datetime

    def overlaps(self, other: Period) -> bool:
        return self.start < other.end and other.start < self.end

    def contains(self, other: Period) -> bool:
        return self.start <= other.start and other.end <= self.end


@dataclass(frozen=True, slots=True)
class Busy:
    """What an active booking keeps from others: its blocked period, and its session."""

    start: datetime
    end: datetime
    session: uuid.UUID


def group_session(*, resource_id: uuid.UUID, service_id: uuid.UUID, start: datetime) -> uuid.UUID:
    """The id every booking of one group session shares (same resource, service and start)."""
    return uuid.uuid5(SESSION_NAMESPACE, f"{resource_id}:{service_id}:{start.astimezone(UTC).isoformat()}")


def _local(day: date, clock: str, zone: ZoneInfo) -> datetime:
    if clock == "24:00":
        day, clock = day + timedelta(days=1), "00:00"
    hours, minutes = clock.split(":")
    return datetime.combine(day, time(int(hours), int(minutes)), tzinfo=zone).astimezone(UTC)


def merge_periods(periods: Iterable[Period]) -> list[Period]:
    """Sorted, with overlapping or touching periods joined (a booking may span 12:00 of 9-12 and 12-17)."""
    merged: list[Period] = []
    for period in sorted(periods, key=lambda p: p.start):
        if merged and period.start <= merged[-1].end:
            if period.end > merged[-1].end:
                merged[-1] = Period(merged[-1].start, period.end)
        else:
            merged.append(period)
    return merged


def working_periods(
    *,
    timezone: str,
    working_hours: Sequence[Mapping[str, Any]],
    overrides: Mapping[date, Sequence[Mapping[str, Any]]],
    within: Period,
) -> list[Period]:
    """The resource's working periods meeting `within`, in UTC; an override replaces its date's hours."""
    zone = ZoneInfo(timezone)
    weekly: dict[int, list[Mapping[str, Any]]] = {}
    for interval in working_hours:
        weekly.setdefault(int(interval["weekday"]), []).append(interval)
    # One day either side: a local day can start up to 26 hours away from the UTC day.
    day = within.start.astimezone(zone).date() - timedelta(days=1)
    last = within.end.astimezone(zone).date() + timedelta(days=1)
    periods = []
    while day <= last:
        intervals = overrides[day] if day in overrides else weekly.get(day.weekday(), [])
        for interval in intervals:
            period = Period(
                _local(day, str(interval["start"]), zone), _local(day, str(interval["end"]), zone)
            )
            if period.start < period.end and period.overlaps(within):
                periods.append(period)
        day += timedelta(days=1)
    return merge_periods(periods)


def subtract(periods: Sequence[Period], holes: Iterable[Period]) -> list[Period]:
    """`periods` (sorted, disjoint) without the holes (e.g. time off)."""
    remaining = list(periods)
    for hole in merge_periods(holes):
        pieces: list[Period] = []
        for period in remaining:
            if not period.overlaps(hole):
                pieces.append(period)
                continue
            if period.start < hole.start:
                pieces.append(Period(period.start, hole.start))
            if hole.end < period.end:
                pieces.append(Period(hole.end, period.end))
        remaining = pieces
    return remaining


def fits(free: Sequence[Period], period: Period) -> bool:
    """Whether one free period holds all of `period` (free: sorted, disjoint)."""
    index = bisect.bisect_right(free, period.start, key=lambda p: p.start) - 1
    return index >= 0 and free[index].contains(period)


class BusyIndex:
    """Active bookings of one resource, for 'what does this blocked period overlap?' in O(log n + k)."""

    def __init__(self, busy: Iterable[Busy]) -> None:
        self._busy = sorted(busy, key=lambda b: b.start)
        self._starts = [b.start for b in self._busy]
        # _reach[i]: the latest end among the first i+1 entries, so the backward walk can stop early.
        self._reach: list[datetime] = []
        for entry in self._busy:
            self._reach.append(max(entry.end, self._reach[-1]) if self._reach else entry.end)

    def overlapping(self, period: Period) -> list[Busy]:
        found = []
        index = bisect.bisect_left(self._starts, period.end) - 1
        while index >= 0 and self._reach[index] > period.start:
            entry = self._busy[index]
            if entry.end > period.start:
                found.append(entry)
            index -= 1
        return found


@dataclass(frozen=True, slots=True)
class Slot:
    start: datetime
    end: datetime
    spaces_left: int


def free_slots(
    *,
    working: Sequence[Period],
    unavailable: Iterable[Period],
    busy: BusyIndex,
    within: Period,
    duration: timedelta,
    buffer_before: timedelta,
    buffer_after: timedelta,
    step: timedelta,
    capacity: int,
    session_of: Any,
) -> list[Slot]:
    """Slot starts on a grid of `step` from each working period's start, in `within`, that a booking accepts.

    A slot fits in working time outside the unavailable periods, and its blocked period (buffers
    included) overlaps no busy entry, except, for a group service, entries of its own session
    while places are left (`session_of(start)` names that session).
    """
    shape: dict[str, Any] = {
        "working": working,
        "free": subtract(working, unavailable),
        "busy": busy,
        "within": within,
        "duration": duration,
        "before": buffer_before,
        "after": buffer_after,
        "step": step,
    }
    if capacity == 1:
        return _one_to_one_slots(**shape)
    return checked_slots(**shape, capacity=capacity, session_of=session_of)


def checked_slots(
    *,
    working: Sequence[Period],
    free: Sequence[Period],
    busy: BusyIndex,
    within: Period,
    duration: timedelta,
    before: timedelta,
    after: timedelta,
    step: timedelta,
    capacity: int,
    session_of: Any,
) -> list[Slot]:
    """Every grid start checked on its own: group sessions (and the reference the fast path is tested on)."""
    slots = []
    for start in _grid(working, within, step):
        end = start + duration
        if fits(free, Period(start, end)):
            left = spaces_left(
                busy=busy,
                blocked=Period(start - before, end + after),
                capacity=capacity,
                session=session_of(start) if capacity > 1 else None,
            )
            if left > 0:
                slots.append(Slot(start, end, left))
    return slots


def _grid(working: Sequence[Period], within: Period, step: timedelta) -> Iterable[datetime]:
    """Grid starts of each working period (from its own start) that lie in `within`."""
    for period in working:
        start = period.start
        if start < within.start:
            start += -((start - within.start) // step) * step
        while start < period.end and start < within.end:
            yield start
            start += step


def _one_to_one_slots(
    *,
    working: Sequence[Period],
    free: Sequence[Period],
    busy: BusyIndex,
    within: Period,
    duration: timedelta,
    before: timedelta,
    after: timedelta,
    step: timedelta,
) -> list[Slot]:
    """The same answer as the per-slot check, by walking allowed start ranges instead of every grid start.

    A start s is allowed when [s, s + duration) lies in one free period and the slot's blocked
    period [s - before, s + duration + after) meets no busy one [b0, b1), i.e. s is outside
    (b0 - duration - after, b1 + before).
    """
    forbidden = _merge_open(
        Period(entry.start - duration - after, entry.end + before)
        for entry in busy.overlapping(Period(within.start - before, within.end + duration + after))
    )
    slots = []
    for period in working:
        grid_origin = period.start
        for piece in free:
            if piece.end <= period.start or piece.start >= period.end:
                continue
            # Allowed starts in this free piece: [lo, hi].
            lo, hi = max(piece.start, within.start), min(piece.end - duration, within.end - _TICK)
            for gap in _gaps(lo, hi, forbidden):
                start = grid_origin + -((grid_origin - gap.start) // step) * step
                while start <= gap.end:
                    slots.append(Slot(start, start + duration, 1))
                    start += step
    return slots


_TICK = timedelta(microseconds=1)


def _merge_open(periods: Iterable[Period]) -> list[Period]:
    """Sorted open ranges joined where they overlap; touching ones stay apart (the shared end is allowed)."""
    merged: list[Period] = []
    for period in sorted(periods, key=lambda p: p.start):
        if merged and period.start < merged[-1].end:
            if period.end > merged[-1].end:
                merged[-1] = Period(merged[-1].start, period.end)
        else:
            merged.append(period)
    return merged


def _gaps(lo: datetime, hi: datetime, forbidden: Sequence[Period]) -> Iterable[Period]:
    """Closed ranges [a, b] inside [lo, hi] outside the forbidden open ranges (a, b) (sorted, merged)."""
    if lo > hi:
        return
    index = bisect.bisect_right(forbidden, lo, key=lambda p: p.end)
    cursor = lo
    while index < len(forbidden) and forbidden[index].start < hi:
        hole = forbidden[index]
        if hole.start >= cursor:
            yield Period(cursor, hole.start)
        cursor = max(cursor, hole.end)
        index += 1
    if cursor <= hi:
        yield Period(cursor, hi)


def spaces_left(*, busy: BusyIndex, blocked: Period, capacity: int, session: uuid.UUID | None) -> int:
    """Places a booking with this blocked period still finds (0: none). One-to-one: 1 or 0."""
    overlapping = busy.overlapping(blocked)
    if session is None:
        return 0 if overlapping else 1
    if any(entry.session != session for entry in overlapping):
        return 0
    return max(0, capacity - len(overlapping))
