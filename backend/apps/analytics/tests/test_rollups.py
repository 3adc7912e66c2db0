"""How a range is split into whole weeks or months (one rollup row each), runs of days, and days
subtracted from whole buckets."""

from __future__ import annotations

import itertools
import random
from collections import Counter
from datetime import date, timedelta

import pytest

from apps.analytics.periods import Interval, bucket_of, days_between, next_bucket
from apps.analytics.selectors.rollups import Split, YearSplit, split_months, split_weeks, split_years


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


def _split(first: date, last: date, skip: set[date], unit: Interval) -> Split:
    return split_weeks(first, last, skip) if unit == "week" else split_months(first, last, skip, "month")


@pytest.mark.parametrize("unit", ["week", "month"])
def test_whole_buckets_plus_runs_minus_subtracted_days_count_every_wanted_day_once(unit: Interval) -> None:
    for first, last, skip in _cases():
        split = _split(first, last, skip, unit)
        counted: Counter[date] = Counter()
        for bucket in split.whole:
            assert bucket_of(bucket, unit) == bucket
            counted.update(days_between(bucket, _end(bucket, unit)))
        for lo, hi in split.day_runs:  # the reader leaves the skipped days of runs out
            counted.update(day for day in days_between(lo, hi) if day not in skip)
        wholes = set(split.whole)
        for day in split.minus:  # only days of whole buckets, each once
            assert bucket_of(day, unit) in wholes
        counted.subtract(split.minus)
        wanted = set(days_between(first, last)) - skip
        assert {day for day, n in counted.items() if n} == wanted
        assert set(counted.values()) <= {0, 1}
        assert all(a[1] + timedelta(days=1) < b[0] for a, b in itertools.pairwise(split.day_runs))


def test_a_bucket_missing_a_few_days_is_read_whole_minus_those_days() -> None:
    # A year from the 3rd: December 2025 less its first two days, December 2026's two days as they are.
    split = split_months(date(2025, 12, 3), date(2026, 12, 2), set(), "all")
    assert split.whole == [date(2025, 12, 1), *(date(2026, m, 1) for m in range(1, 12))]
    assert split.minus == [date(2025, 12, 1), date(2025, 12, 2)]
    assert split.day_runs == [(date(2026, 12, 1), date(2026, 12, 2))]
    # A skipped day of a whole month is subtracted too (the reader counts it live).
    skipped = split_months(date(2026, 1, 1), date(2026, 1, 31), {date(2026, 1, 9)}, "month")
    assert skipped == Split([date(2026, 1, 1)], [], [date(2026, 1, 9)])


def test_a_series_by_day_or_week_reads_no_month_rows() -> None:
    assert split_months(date(2026, 1, 1), date(2026, 12, 31), set(), "week") == Split(
        [], [(date(2026, 1, 1), date(2026, 12, 31))], []
    )


def test_whole_years_minus_their_months_plus_the_month_split_count_every_wanted_day_once() -> None:
    cases = [
        *_cases(),
        (date(2025, 12, 3), date(2026, 12, 2), set()),
        (date(2024, 1, 1), date(2026, 12, 31), set()),
    ]
    for first, last, skip in cases:
        by_year = split_years(first, last, skip)
        split = by_year.months
        counted: Counter[date] = Counter()
        for year in by_year.years:
            assert year == date(year.year, 1, 1)
            counted.update(days_between(year, date(year.year, 12, 31)))
        for month in by_year.minus_months:  # only months of whole years, each once
            assert date(month.year, 1, 1) in by_year.years
            counted.subtract(days_between(month, _end(month, "month")))
        for month in split.whole:
            assert date(month.year, 1, 1) not in by_year.years
            counted.update(days_between(month, _end(month, "month")))
        for lo, hi in split.day_runs:
            counted.update(day for day in days_between(lo, hi) if day not in skip)
        counted.subtract(split.minus)
        wanted = set(days_between(first, last)) - skip
        assert {day for day, n in counted.items() if n} == wanted
        assert set(counted.values()) <= {0, 1}
        # The same runs and subtracted days as the month split: only whole months are regrouped.
        months = split_months(first, last, skip, "all")
        assert (split.day_runs, split.minus) == (months.day_runs, months.minus)
        in_years = {date(y.year, n, 1) for y in by_year.years for n in range(1, 13)} - set(
            by_year.minus_months
        )
        assert sorted(set(split.whole) | in_years) == months.whole
        assert not set(split.whole) & in_years


def test_a_year_from_any_date_is_read_as_its_year_less_a_month() -> None:
    # From the 3rd of December: December 2025 less two days, 2026 less December, December's two days.
    assert split_years(date(2025, 12, 3), date(2026, 12, 2), set()) == YearSplit(
        years=[date(2026, 1, 1)],
        months=Split(
            [date(2025, 12, 1)],
            [(date(2026, 12, 1), date(2026, 12, 2))],
            [date(2025, 12, 1), date(2025, 12, 2)],
        ),
        minus_months=[date(2026, 12, 1)],
    )
    # Six whole months of a year read as months: a year row and six subtracted would be more.
    half = split_years(date(2026, 1, 1), date(2026, 6, 30), set())
    assert (half.years, half.minus_months) == ([], [])
    assert half.months.whole == [date(2026, m, 1) for m in range(1, 7)]
