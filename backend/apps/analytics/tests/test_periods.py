"""Buckets and day lists against their per-day definitions, over ranges of every alignment."""

from __future__ import annotations

import itertools
import random
from datetime import date, timedelta

import pytest

from apps.analytics.periods import Interval, bucket_of, buckets, days_between, next_bucket, runs


def _ranges() -> list[tuple[date, date]]:
    rng = random.Random(3)
    found = [(date(2024, 2, 28), date(2024, 3, 1)), (date(2026, 12, 28), date(2027, 1, 4))]
    for _ in range(200):
        first = date(2023, 1, 1) + timedelta(days=rng.randrange(1500))
        found.append((first, first + timedelta(days=rng.randrange(800))))
    return found


@pytest.mark.parametrize("interval", ["day", "week", "month", "all"])
def test_buckets_are_the_distinct_buckets_of_the_days_in_order(interval: Interval) -> None:
    for first, last in _ranges():
        days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        assert days_between(first, last) == days
        expected: list[date] = []
        for day in days:
            if not expected or expected[-1] != bucket_of(day, interval):
                expected.append(bucket_of(day, interval))
        assert buckets(first, last, interval) == expected


@pytest.mark.parametrize("interval", ["day", "week", "month"])
def test_the_next_bucket_starts_the_day_after_the_last_one_of_the_bucket(interval: Interval) -> None:
    for first, _ in _ranges():
        bucket = bucket_of(first, interval)
        after = next_bucket(bucket, interval)
        assert bucket_of(after - timedelta(days=1), interval) == bucket
        assert bucket_of(after, interval) == after != bucket


def test_runs_join_exactly_the_given_days_into_maximal_runs_in_order() -> None:
    rng = random.Random(5)
    for _ in range(300):
        start = date(2024, 1, 1) + timedelta(days=rng.randrange(800))
        days = [start + timedelta(days=rng.randrange(60)) for _ in range(rng.randrange(40))]
        found = runs(rng.sample(days + days[:3], len(days + days[:3])))  # unordered, repeated
        assert sorted(set(days)) == [d for lo, hi in found for d in days_between(lo, hi)]
        for (_, hi), (lo, _) in itertools.pairwise(found):
            assert (lo - hi).days > 1  # neither touching nor overlapping: maximal and in order
