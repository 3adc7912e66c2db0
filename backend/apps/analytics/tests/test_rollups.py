"""How a range is split into whole weeks or months (one rollup row each) and runs of days."""

from __future__ import annotations

import itertools
import random
from datetime import date, timedelta

import pytest

from apps.analytics.periods import Interval, bucket_of, days_between, next_bucket
from apps.analytics.selectors.rollups import split_months, split_weeks


def _cases() -> list[tuple[date, date, set[date]]]:
    rng = random.Random(5)
    cases = []
    for _ in range(150):
        first = date(2024, 1, 1) + timedelta(days=rng.randrange(900))
        last = first + timedelta(days=rng.randrange(500))
        span = (last - first).days + 1
        skip = {first + timedelta(days=rng.randrange(span)) for _ in range(rng.randrange(4))}
        cases.append((first, last, skip))
    return cases


def _end(bucket: date, unit: Interval) -> date:
    return next_bucket(bucket, unit) - timedelta(days=1)


@pytest.mark.parametrize("unit", ["week", "month"])
def test_whole_buckets_and_day_runs_cover_every_day_once(unit: Interval) -> None:
    for first, last, skip in _cases():
        if unit == "week":
            whole, day_runs = split_weeks(first, last, skip)
        else:
            whole, day_runs = split_months(first, last, skip, "month")
        covered = [day for bucket in whole for day in days_between(bucket, _end(bucket, unit))]
        covered += [day for lo, hi in day_runs for day in days_between(lo, hi)]
        assert sorted(covered) == days_between(first, last)
        skipped = {bucket_of(day, unit) for day in skip}
        for bucket in whole:  # whole, inside the range, and without a skipped day
            assert bucket_of(bucket, unit) == bucket >= first
            assert _end(bucket, unit) <= last
            assert bucket not in skipped
        assert all(a[1] + timedelta(days=1) < b[0] for a, b in itertools.pairwise(day_runs))  # runs joined


def test_a_series_by_day_or_week_reads_no_month_rows() -> None:
    assert split_months(date(2026, 1, 1), date(2026, 12, 31), set(), "week") == (
        [],
        [(date(2026, 1, 1), date(2026, 12, 31))],
    )
