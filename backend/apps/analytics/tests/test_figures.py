"""Every figure against an independent SQL computation, read live (no rollups) and from rollups."""

from __future__ import annotations

import importlib
import itertools
import json
import random
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from django.db import connection, migrations
from django.http import HttpRequest
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.analytics.models import RollupState
from apps.analytics.periods import Interval, bucket_of, buckets
from apps.analytics.selectors.freshness import data_version, plan_of
from apps.analytics.selectors.reports import (
    analytics_bookings,
    analytics_revenue,
    analytics_summary,
    analytics_utilization,
)
from apps.analytics.selectors.sql import BOOKED_STATUSES
from apps.analytics.services import exact_as_of, rollups_refresh
from apps.analytics.tests import expected
from apps.analytics.tests.world import FIRST, LAST, World, build_world
from apps.core.models import TimeOff, WorkingHoursOverride
from apps.core.services.resources import override_delete, time_off_delete
from apps.scheduling.models import BookingStatus
from apps.scheduling.services.bookings import booking_transition
from apps.transactions.services.settings import billing_settings_update
from apps.transactions.tests.factories import make_payment
from edge.responses import render_json

pytestmark = pytest.mark.django_db


def ratio(part: int, whole: int) -> str | None:
    """What the reports give for part ÷ whole: four places, half up; null over nothing."""
    if not whole:
        return None
    return str((Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), rounding="ROUND_HALF_UP"))


@pytest.fixture
def world() -> World:
    return build_world()


def roll_up(world: World) -> None:
    """Rollups exact as of now: the job run as if ten minutes from now (past its margin).

    Its state then says "exact as of now", which it is (every row is older), so that writes the
    test makes next come after it, as writes after a real run do.
    """
    rollups_refresh(organization=world.organization, now=timezone.now() + timedelta(minutes=11))
    RollupState.objects.for_organization(world.organization).update(computed_at=timezone.now())
    plan = plan_of(organization=world.organization)
    assert plan.live_days(FIRST, LAST) == []  # everything comes from the rollups now


def expected_summary(
    world: World, first: date, last: date, active: set[uuid.UUID] | None = None
) -> dict[str, Any]:
    org, now = world.organization, timezone.now()
    by_status = dict.fromkeys(BookingStatus.values, 0)
    for (_, status), (count, _) in expected.bookings_by(org, first, last, now, "status").items():
        by_status[status] += count
    active = {world.berlin.id, world.new_york.id} if active is None else active
    booked = sum(
        s
        for (_, rid), (_, s) in expected.bookings_by(org, first, last, now, "resource_id").items()
        if rid in active
    )
    free = sum(expected.available(org, first, last).values())
    money = [sum(v, Decimal(0)) for v in zip(*expected.money_by_day(org, first, last).values(), strict=True)]
    gross, refunds, invoiced = money or [Decimal(0)] * 3
    total = sum(by_status.values())
    return {
        "from": first,
        "to": last,
        "timezone": "Europe/Berlin",
        "currency": "EUR",
        "bookings": {"total": total, "by_status": by_status},
        "booked_minutes": booked // 60,
        "available_minutes": free // 60,
        "utilization": ratio(booked, free),
        "no_show_rate": ratio(by_status["no_show"], by_status["no_show"] + by_status["completed"]),
        "cancellation_rate": ratio(by_status["cancelled"], total),
        "revenue_gross": euros(gross),
        "refunds": euros(refunds),
        "revenue_net": euros(gross - refunds),
        "invoiced": euros(invoiced),
        "outstanding": euros(expected.outstanding(org, last)),
    }


def euros(amount: Decimal) -> dict[str, str]:
    return {"amount": str(amount.quantize(Decimal("0.01"))), "currency": "EUR"}


def summary(world: World, first: date = FIRST, last: date = LAST) -> dict[str, Any]:
    answer: dict[str, Any] = analytics_summary(
        organization=world.organization, first=first, last=last, resource_id=None, service_id=None
    ).document()
    return answer


# Buckets but for a few days, which hold bookings (1-6 April, 1 November): read as the month or
# week rows minus those days.
MONTHS_LESS_A_FEW_DAYS = (date(2026, 4, 7), date(2026, 10, 31))
# Read as 2026 less months with bookings: less October to December; less November, December and
# October's last eleven days (the 24th to 26th hold bookings).
YEARS_LESS_MONTHS = [(date(2026, 1, 1), date(2026, 9, 30)), (date(2026, 1, 1), date(2026, 10, 20))]
RANGES = [
    (FIRST, LAST),
    (date(2026, 3, 29), date(2026, 3, 29)),
    (date(2026, 10, 20), date(2026, 10, 31)),
    MONTHS_LESS_A_FEW_DAYS,
]


@pytest.mark.parametrize("path", ["live", "rollups"])
def test_the_summary_is_the_sql_figures(world: World, path: str) -> None:
    if path == "rollups":
        roll_up(world)
    for first, last in RANGES:
        answer = summary(world, first, last)
        assert answer == expected_summary(world, first, last)
    full = summary(world)
    assert full["bookings"]["by_status"]["cancelled"]
    assert full["bookings"]["by_status"]["no_show"]
    assert full["refunds"]["amount"] != "0.00"
    assert full["utilization"] is not None


def _sum_by_bucket(per_day: dict[Any, Any], interval: Interval) -> dict[Any, Any]:
    found: dict[Any, Any] = defaultdict(int)
    for (day, key), value in per_day.items():
        found[(bucket_of(day, interval), key)] += value
    return found


@pytest.mark.parametrize("path", ["live", "rollups"])
@pytest.mark.parametrize("interval", ["day", "week", "month"])
def test_the_series_are_the_sql_figures(world: World, path: str, interval: Interval) -> None:
    if path == "rollups":
        roll_up(world)
    org, now = world.organization, timezone.now()
    revenue = analytics_revenue(organization=org, first=FIRST, last=LAST, interval=interval).document()
    assert [item["bucket"] for item in revenue] == buckets(FIRST, LAST, interval)
    money: dict[date, list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 3)
    for day, values in expected.money_by_day(org, FIRST, LAST).items():
        money[bucket_of(day, interval)] = [
            a + b for a, b in zip(money[bucket_of(day, interval)], values, strict=True)
        ]
    for item in revenue:
        gross, refunds, invoiced = money[item["bucket"]]
        assert [
            Decimal(item[k]["amount"]) for k in ("revenue_gross", "refunds", "revenue_net", "invoiced")
        ] == [
            gross,
            refunds,
            gross - refunds,
            invoiced,
        ]

    utilization = analytics_utilization(
        organization=org, first=FIRST, last=LAST, interval=interval, resource_id=None, service_id=None
    ).document()
    booked = _sum_by_bucket(
        {k: v[1] for k, v in expected.bookings_by(org, FIRST, LAST, now, "resource_id").items()}, interval
    )
    free = _sum_by_bucket(expected.available(org, FIRST, LAST), interval)
    assert len(utilization) == len(buckets(FIRST, LAST, interval)) * 2  # empty buckets included
    for item in utilization:
        # The id as text, as PostgreSQL gives it (the JSON is the same as of a UUID).
        key = (item["bucket"], uuid.UUID(item["resource_id"]))
        assert (item["booked_minutes"], item["available_minutes"]) == (booked[key] // 60, free[key] // 60), (
            key
        )
        assert item["utilization"] == ratio(booked[key], free[key])

    for group_by, column in (("status", "status"), ("resource", "resource_id"), ("service", "service_id")):
        items = analytics_bookings(
            organization=org,
            first=FIRST,
            last=LAST,
            group_by=group_by,
            interval=interval,
            resource_id=None,
            service_id=None,
        ).document()
        counts = _sum_by_bucket(
            {k: v[0] for k, v in expected.bookings_by(org, FIRST, LAST, now, column).items()}, interval
        )
        got = {(i["bucket"], i["key"]): i["count"] for i in items}
        want = {(b, "none" if k is None else str(k)): c for (b, k), c in counts.items()}
        assert {k: v for k, v in got.items() if v} == want
        keys = {k for _, k in got}
        assert len(items) == len(buckets(FIRST, LAST, interval)) * len(keys)


def test_amounts_are_in_the_saved_currency_with_its_places_on_both_paths(world: World) -> None:
    org = world.organization
    billing_settings_update(organization=org, data={"currency": "JPY"})  # no minor unit
    paid = datetime(2026, 6, 15, 10, tzinfo=UTC)
    make_payment(contact=world.bookings[0].contact, amount="1500", currency="JPY", received_at=paid)
    assert data_version(organization=org, now=timezone.now()).currency == "JPY"

    def answers() -> tuple[Any, Any]:
        revenue = analytics_revenue(
            organization=org, first=date(2026, 6, 14), last=date(2026, 6, 15), interval="day"
        )
        # As the API reads it: the currency from the data version's round trip.
        body = json.loads(revenue.json(lambda document: render_json(HttpRequest(), document)))
        return body["items"], summary(world)["revenue_gross"]

    live = answers()
    roll_up(world)  # revenue then formatted by PostgreSQL
    assert answers() == live
    items, gross = live
    assert [(i["bucket"], i["revenue_gross"], i["revenue_net"]) for i in items] == [
        ("2026-06-14", {"amount": "0", "currency": "JPY"}, {"amount": "0", "currency": "JPY"}),
        ("2026-06-15", {"amount": "1500", "currency": "JPY"}, {"amount": "1500", "currency": "JPY"}),
    ]
    assert gross == {"amount": "1500", "currency": "JPY"}


def test_dst_days_last_23_and_25_hours(world: World) -> None:
    items = analytics_utilization(
        organization=world.organization,
        first=date(2026, 3, 29),
        last=date(2026, 10, 25),
        interval="day",
        resource_id=world.berlin.id,
        service_id=None,
    ).document()
    minutes = {item["bucket"]: item["available_minutes"] for item in items}
    assert minutes[date(2026, 3, 29)] == 23 * 60
    assert minutes[date(2026, 10, 25)] == 25 * 60
    assert minutes[date(2026, 3, 30)] == 12 * 60  # an ordinary Monday, 08-20


def test_filters_narrow_bookings_and_hours(world: World) -> None:
    org, now = world.organization, timezone.now()
    answer = analytics_summary(
        organization=org, first=FIRST, last=LAST, resource_id=world.new_york.id, service_id=world.service.id
    ).document()
    want = sum(
        c
        for (_, rid), (c, _) in expected.bookings_by(org, FIRST, LAST, now, "resource_id").items()
        if rid == world.new_york.id
    )
    assert 0 < answer["bookings"]["total"] < want
    free = sum(s for (_, rid), s in expected.available(org, FIRST, LAST).items() if rid == world.new_york.id)
    assert answer["available_minutes"] == free // 60


def test_writes_after_the_rollups_are_in_the_next_read(world: World) -> None:
    roll_up(world)
    before = summary(world)
    make_payment(
        contact=world.bookings[0].contact, amount="33.00", received_at=timezone.now() - timedelta(minutes=1)
    )
    booking = next(b for b in world.bookings if b.status == BookingStatus.CONFIRMED)
    booking_transition(booking=booking, actor=None, to=BookingStatus.CANCELLED, reason="ill")
    moved = next(b for b in world.bookings if b.status == BookingStatus.COMPLETED)
    moved.start, moved.end = moved.start + timedelta(days=40), moved.end + timedelta(days=40)
    moved.blocked_start, moved.blocked_end = moved.start, moved.end
    moved.save()
    TimeOff.objects.for_organization(world.organization).filter(resource=world.new_york).delete()
    after = summary(world)
    assert Decimal(after["revenue_gross"]["amount"]) == Decimal(before["revenue_gross"]["amount"]) + 33
    assert after["bookings"]["by_status"]["cancelled"] == before["bookings"]["by_status"]["cancelled"] + 1
    assert after == expected_summary(world, FIRST, LAST)
    for first, last in RANGES[1:]:
        assert summary(world, first, last) == expected_summary(world, first, last)
    # The job takes the changes in; the answer stays the same.
    roll_up(world)
    assert summary(world) == after


def _write(world: World, kind: str) -> None:
    """One write of `kind` after the rollups, as the hub's services and models make it."""
    org = world.organization
    if kind == "payment":
        make_payment(contact=world.bookings[0].contact, amount="9.00", received_at=timezone.now())
    elif kind == "cancellation":
        booking = next(b for b in world.bookings if b.status == BookingStatus.CONFIRMED)
        booking_transition(booking=booking, actor=None, to=BookingStatus.CANCELLED, reason="ill")
    elif kind == "moved booking":
        moved = next(b for b in world.bookings if b.status == BookingStatus.COMPLETED)
        moved.start, moved.end = moved.start + timedelta(days=9), moved.end + timedelta(days=9)
        moved.blocked_start, moved.blocked_end = moved.start, moved.end
        moved.save()
    elif kind == "deleted time off":
        time_off_delete(time_off=TimeOff.objects.for_organization(org).filter(resource=world.berlin).get())
    elif kind == "deleted override":
        overrides = WorkingHoursOverride.objects.for_organization(org)
        override_delete(override=overrides.get(resource=world.berlin, date=date(2026, 3, 24)))


@pytest.mark.parametrize(
    "kind", ["payment", "cancellation", "moved booking", "deleted time off", "deleted override"]
)
def test_each_write_after_the_rollups_moves_the_version_and_the_plan(world: World, kind: str) -> None:
    roll_up(world)
    org = world.organization
    before = data_version(organization=org, now=timezone.now())
    with CaptureQueriesContext(connection) as planning:
        plan = plan_of(organization=org, version=before)
    assert (plan.changed_days, len(planning.captured_queries)) == (set(), 0)  # nothing changed since W
    _write(world, kind)
    after = data_version(organization=org, now=timezone.now())
    assert after.key != before.key  # a cached answer is not served again
    assert after.newest is not None
    assert before.state is not None
    assert after.newest >= before.state.computed_at  # so the plan looks for what changed
    assert plan_of(organization=org, version=after).changed_days
    assert summary(world) == expected_summary(world, FIRST, LAST)


def test_rollups_and_rows_give_the_same_answers(world: World) -> None:
    org = world.organization

    def answers() -> list[Any]:
        found: list[Any] = [summary(world), summary(world, *MONTHS_LESS_A_FEW_DAYS)]
        intervals: list[Interval] = ["day", "week", "month"]
        for (first, last), interval in itertools.product([(FIRST, LAST), MONTHS_LESS_A_FEW_DAYS], intervals):
            found.append(
                analytics_revenue(organization=org, first=first, last=last, interval=interval).document()
            )
            found.append(
                analytics_utilization(
                    organization=org,
                    first=first,
                    last=last,
                    interval=interval,
                    resource_id=None,
                    service_id=None,
                ).document()
            )
            found.extend(
                analytics_bookings(
                    organization=org,
                    first=first,
                    last=last,
                    group_by=group_by,
                    interval=interval,
                    resource_id=world.berlin.id,
                    service_id=None,
                ).document()
                for group_by in ("status", "service", "resource")
            )
        return found

    live = answers()
    roll_up(world)
    assert answers() == live


def test_filters_and_changed_resources_read_the_same_from_rollups(world: World, settings: Any) -> None:
    settings.ANALYTICS_SETTLE_SECONDS = 10**9  # nothing is cached: every read computes its answer
    org = world.organization

    def answers() -> list[Any]:
        found: list[Any] = [
            analytics_summary(
                organization=org,
                first=FIRST,
                last=LAST,
                resource_id=world.berlin.id,
                service_id=world.service.id,
            ).document()
        ]
        for interval in ("day", "week", "month"):
            # By week without a service filter: whole weeks from the week rows.
            for resource_id, service_id in ((world.berlin.id, None), (None, world.service.id), (None, None)):
                found.append(
                    analytics_utilization(
                        organization=org,
                        first=FIRST,
                        last=LAST,
                        interval=interval,
                        resource_id=resource_id,
                        service_id=service_id,
                    ).document()
                )
        return found

    live = answers()
    roll_up(world)
    assert answers() == live
    # Changed after the rollups: Berlin's hours (read live over the range), New York archived
    # (its rolled-up hours and booked time no longer count, its bookings still do).
    world.berlin.working_hours = [{"weekday": d, "start": "10:00", "end": "12:00"} for d in range(5)]
    world.berlin.save()
    world.new_york.is_active = False
    world.new_york.save()
    changed = answers()
    assert changed != live
    assert {item["resource_id"] for item in changed[-1]} == {str(world.berlin.id)}
    full = summary(world)
    assert full == expected_summary(world, FIRST, LAST, active={world.berlin.id})
    RollupState.objects.for_organization(org).delete()  # no rollups: everything from the rows
    assert answers() == changed
    assert summary(world) == full


def test_the_rollups_are_exact_only_as_of_the_oldest_open_transaction() -> None:
    now = timezone.now()
    assert exact_as_of(now) == now - timedelta(seconds=60)
    db = connection.settings_dict
    with psycopg.connect(
        dbname=db["NAME"], host=db["HOST"], port=db["PORT"], user=db["USER"], password=db["PASSWORD"]
    ) as other:
        other.execute("SELECT 1")  # a transaction is open now, and stays open
        (started,) = other.execute("SELECT now()").fetchone() or (None,)
        assert exact_as_of(now + timedelta(hours=1)) == started - timedelta(seconds=60)


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [
        (0, 7, "0.0000"),
        (1, 3, "0.3333"),
        (2, 3, "0.6667"),
        (1, 8, "0.1250"),
        (1, 20_000, "0.0001"),  # exactly half a unit of the last place rounds up
        (1, 20_001, "0.0000"),
        (7, 7, "1.0000"),
        (5, 4, "1.2500"),  # more booked than available (overbooked by a group session) shows as is
        (0, 0, None),
    ],
)
def test_ratios_are_four_places_half_up(part: int, whole: int, expected: str | None) -> None:
    from apps.analytics.selectors.reports import ratio as report_ratio  # noqa: PLC0415

    assert report_ratio(part, whole) == expected == ratio(part, whole)


def test_ratios_agree_with_the_independent_rounding_on_many_values() -> None:
    from apps.analytics.selectors.reports import ratio as report_ratio  # noqa: PLC0415

    rng = random.Random(3)
    for _ in range(5000):
        whole = rng.randrange(1, 10**8)
        part = rng.choice([rng.randrange(2 * whole), whole * rng.randrange(3) // 2])
        assert report_ratio(part, whole) == ratio(part, whole)


# The table of whole weeks or months (one row per resource), and its migration.
PERIODS = {
    "week": ("analytics_utilizationweek", "0004_utilization_week"),
    "month": ("analytics_utilizationmonth", "0007_utilization_month"),
}


def _period_rows(world: World, unit: str) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The week or month table, and the same sums grouped from the day rows (non-empty cells only)."""
    table = PERIODS[unit][0]
    column = unit
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column}, resource_id, booked, available FROM {table}"  # noqa: S608 - the test's own names
            " WHERE organization_id = %s AND (booked <> 0 OR available <> 0) ORDER BY 1, 2",
            [world.organization.id],
        )
        periods = cursor.fetchall()
        cursor.execute(
            f"SELECT date_trunc('{unit}', day::timestamp)::date, resource_id, sum(booked), sum(available)"  # noqa: S608 - the test's own names
            " FROM (SELECT day, resource_id, CASE WHEN status = ANY(%s) THEN seconds ELSE 0 END AS booked,"
            " 0 AS available FROM analytics_bookingday WHERE organization_id = %s"
            " UNION ALL SELECT day, resource_id, 0, seconds FROM analytics_availabilityday"
            " WHERE organization_id = %s) AS x GROUP BY 1, 2"
            " HAVING sum(booked) <> 0 OR sum(available) <> 0 ORDER BY 1, 2",
            [list(BOOKED_STATUSES), world.organization.id, world.organization.id],
        )
        return periods, cursor.fetchall()


@pytest.mark.parametrize("unit", ["week", "month"])
def test_the_series_read_week_and_month_rows_that_are_the_day_rows_summed(
    world: World, unit: Interval
) -> None:
    org = world.organization

    def series(service_id: uuid.UUID | None = None) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = analytics_utilization(
            organization=org, first=FIRST, last=LAST, interval=unit, resource_id=None, service_id=service_id
        ).document()
        return items

    live, live_service = series(), series(world.service.id)
    roll_up(world)
    periods, days = _period_rows(world, unit)
    assert periods == days
    # The DST weeks and months of Europe/Berlin (a 23- and a 25-hour Sunday) are among them.
    dst = {"week": {date(2026, 3, 23), date(2026, 10, 19)}, "month": {date(2026, 3, 1), date(2026, 10, 1)}}
    assert dst[unit] <= {row[0] for row in periods}
    table = PERIODS[unit][0]
    with CaptureQueriesContext(connection) as reading:
        assert series() == live
    assert any(table in q["sql"] for q in reading.captured_queries)
    with CaptureQueriesContext(connection) as reading:
        assert series(world.service.id) == live_service  # a service filter reads the day rows
    assert not any(table in q["sql"] for q in reading.captured_queries)
    # A later run keeps the rows the day rows' sums.
    booking = next(b for b in world.bookings if b.status == BookingStatus.CONFIRMED)
    booking_transition(booking=booking, actor=None, to=BookingStatus.CANCELLED, reason="ill")
    TimeOff.objects.for_organization(org).filter(resource=world.new_york).delete()
    changed = series()
    assert changed != live
    roll_up(world)
    periods, days = _period_rows(world, unit)
    assert periods == days
    assert series() == changed


@pytest.mark.parametrize("unit", ["week", "month"])
def test_the_migrations_backfill_the_week_and_month_rows_the_job_writes(world: World, unit: str) -> None:
    roll_up(world)
    written, _ = _period_rows(world, unit)
    assert written
    table, name = PERIODS[unit]
    migration = importlib.import_module(f"apps.analytics.migrations.{name}").Migration
    (backfill,) = (op for op in migration.operations if isinstance(op, migrations.RunSQL))
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - the test's own names
        assert isinstance(backfill.sql, str)
        cursor.execute(backfill.sql)
    assert _period_rows(world, unit)[0] == written


def _key_rows(world: World) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The per-dimension month rows, and the same sums grouped from the booking day rows."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT month, dim, key, count, seconds FROM analytics_bookingkeymonth"
            " WHERE organization_id = %s ORDER BY 1, 2, 3",
            [world.organization.id],
        )
        months = cursor.fetchall()
        cursor.execute(
            "SELECT date_trunc('month', day::timestamp)::date, dim, key, sum(count), sum(seconds) FROM ("
            " SELECT day, 'status' AS dim, status AS key, count, seconds FROM analytics_bookingday"
            " WHERE organization_id = %(o)s"
            " UNION ALL SELECT day, 'service', coalesce(service_id::text, ''), count, seconds"
            " FROM analytics_bookingday WHERE organization_id = %(o)s"
            " UNION ALL SELECT day, 'resource', resource_id::text, count, seconds FROM analytics_bookingday"
            " WHERE organization_id = %(o)s) AS x GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
            {"o": world.organization.id},
        )
        return months, cursor.fetchall()


def _key_years(world: World) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The per-dimension year rows, and the same sums grouped from the month rows."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT year, dim, key, count, seconds FROM analytics_bookingkeyyear"
            " WHERE organization_id = %s ORDER BY 1, 2, 3",
            [world.organization.id],
        )
        years = cursor.fetchall()
        cursor.execute(
            "SELECT date_trunc('year', month::timestamp)::date, dim, key, sum(count), sum(seconds)"
            " FROM analytics_bookingkeymonth WHERE organization_id = %s GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
            [world.organization.id],
        )
        return years, cursor.fetchall()


def test_counts_by_one_key_read_the_per_dimension_rows(world: World) -> None:
    org = world.organization

    def counts(group_by: str, interval: Interval | None) -> list[list[dict[str, Any]]]:
        return [
            analytics_bookings(
                organization=org,
                first=first,
                last=last,
                group_by=group_by,
                interval=interval,
                resource_id=None,
                service_id=None,
            ).document()
            for first, last in ((FIRST, LAST), MONTHS_LESS_A_FEW_DAYS, *YEARS_LESS_MONTHS)
        ]

    intervals: list[Interval | None] = [None, "day", "week", "month"]
    asked = [(g, i) for g in ("status", "service", "resource") for i in intervals]
    live = [counts(g, i) for g, i in asked]
    roll_up(world)
    months, summed = _key_rows(world)
    assert months == summed
    assert {row[1] for row in months} == {"status", "service", "resource"}
    assert any(row[1] == "service" and row[2] == "" for row in months)  # bookings without a service
    years, summed = _key_years(world)
    assert years == summed
    assert years
    with CaptureQueriesContext(connection) as reading:
        assert [counts(g, i) for g, i in asked] == live
    read = " ".join(q["sql"] for q in reading.captured_queries)
    assert "analytics_bookingkeymonth" in read
    # March to December without a filter: 2026 less January and February.
    assert "analytics_bookingkeyyear" in read
    assert "analytics_bookingmonth" not in read
    assert "analytics_bookingday " not in read
    # A filter reads the full booking rows.
    with CaptureQueriesContext(connection) as reading:
        analytics_bookings(
            organization=org,
            first=FIRST,
            last=LAST,
            group_by="status",
            interval=None,
            resource_id=world.berlin.id,
            service_id=None,
        ).document()
    assert not any("analytics_bookingkey" in q["sql"] for q in reading.captured_queries)
    # A later run keeps them the day rows' sums, and the answers what the rows say.
    booking = next(b for b in world.bookings if b.status == BookingStatus.CONFIRMED)
    booking_transition(booking=booking, actor=None, to=BookingStatus.CANCELLED, reason="ill")
    changed = [counts(g, i) for g, i in asked]
    assert changed != live
    roll_up(world)
    months, summed = _key_rows(world)
    assert months == summed
    assert _key_years(world)[0] == _key_years(world)[1]
    assert [counts(g, i) for g, i in asked] == changed


def test_the_migration_backfills_the_per_dimension_rows_the_job_writes(world: World) -> None:
    roll_up(world)
    written, _ = _key_rows(world)
    assert written
    migration = importlib.import_module("apps.analytics.migrations.0006_booking_keys").Migration
    (backfill,) = (op for op in migration.operations if isinstance(op, migrations.RunSQL))
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM analytics_bookingkeymonth")
        cursor.execute("DELETE FROM analytics_bookingkeyday")
        assert isinstance(backfill.sql, str)
        cursor.execute(backfill.sql)
    assert _key_rows(world)[0] == written


def test_the_migration_backfills_the_per_dimension_year_rows_the_job_writes(world: World) -> None:
    roll_up(world)
    written, _ = _key_years(world)
    assert written
    migration = importlib.import_module("apps.analytics.migrations.0008_booking_key_years").Migration
    (backfill,) = (op for op in migration.operations if isinstance(op, migrations.RunSQL))
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM analytics_bookingkeyyear")
        assert isinstance(backfill.sql, str)
        cursor.execute(backfill.sql)
    assert _key_years(world)[0] == written
