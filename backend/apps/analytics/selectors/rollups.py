"""Reads of the rollup tables: sums per bucket over a range of days, some days left out.

The left-out days are those the freshness plan computes live (changed since the rollups, or never
rolled up), so no day is counted twice.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection

from apps.analytics.periods import (
    WHOLE_RANGE,
    Interval,
    bucket_of,
    buckets,
    days_between,
    instant_ranges,
    next_bucket,
)
from apps.analytics.selectors.live import MoneyRow, booking_counts, counts_by_key
from apps.analytics.selectors.sql import BOOKED_STATUSES, STATUS_SQL, bucket_sql, or_ranges
from apps.identity.models import Organization

_DIM_SQL = {"resource": "resource_id", "service": "service_id", "status": "status"}
_ZERO = Decimal(0)


@dataclass(frozen=True)
class Split:
    """How a range of days is read from the rollups: whole buckets from a bucket table, runs of days
    from a day table, and days of those whole buckets that the range does not want, subtracted.

    A bucket row is the sum of its day rows (the refresh writes both from the same rows), so a
    bucket the range covers all but a few days of is read as its row minus those days: a year from
    the 3rd of December reads twelve month rows and four days' rows (two added, two subtracted)
    instead of eleven month rows and 31 days' rows.
    """

    whole: list[date]
    day_runs: list[tuple[date, date]]  # skipped days inside them are left out by the reader
    minus: list[date]


def split_months(first: date, last: date, skip: Collection[date], interval: Interval) -> Split:
    """The split of [first, last] by month (for month and whole-range buckets); other intervals:
    one run of days."""
    if interval not in ("month", "all"):
        return Split([], [(first, last)], [])
    return _split(first, last, skip, "month")


@dataclass(frozen=True)
class YearSplit:
    """A `Split` by month whose whole months are read, where that reads fewer rows, as whole
    calendar years minus the months of them the range does not want whole (the wanted days of
    those stay in the runs). A year row is the sum of its month rows, as a month row of its days."""

    years: list[date]  # their 1st of January
    months: Split  # whole months outside `years`, the runs of days and the subtracted days
    minus_months: list[date]  # months of `years` not wanted whole


def split_years(first: date, last: date, skip: Collection[date]) -> YearSplit:
    """The split of [first, last] by month, whole months grouped into years: a year from any date
    reads, per key, one year row, one month subtracted and the few days either side, instead of
    a dozen month rows."""
    split = _split(first, last, skip, "month")
    per_year: dict[int, list[date]] = {}
    for month in split.whole:
        per_year.setdefault(month.year, []).append(month)
    years: list[date] = []
    months: list[date] = []
    minus_months: list[date] = []
    for year, wholes in per_year.items():
        # One year row and one per month left out, against one per whole month.
        if 1 + 12 - len(wholes) < len(wholes):
            years.append(date(year, 1, 1))
            minus_months.extend(m for m in (date(year, n, 1) for n in range(1, 13)) if m not in wholes)
        else:
            months.extend(wholes)
    return YearSplit(years, Split(months, split.day_runs, split.minus), minus_months)


def split_weeks(first: date, last: date, skip: Collection[date]) -> Split:
    """The split of [first, last] by ISO week (for the week table)."""
    return _split(first, last, skip, "week")


def _split(first: date, last: date, skip: Collection[date], unit: Interval) -> Split:
    """Per bucket of `unit`, not per day: a year is a dozen months or 53 weeks.

    A bucket with unwanted days (outside the range, or skipped) is read whole minus those days when
    that reads fewer rows (one bucket row plus one per unwanted day, against one per wanted day),
    else day by day.
    """
    skipped = set(skip)
    skipped_per_bucket = Counter(bucket_of(day, unit) for day in skipped if first <= day <= last)
    whole: list[date] = []
    day_runs: list[tuple[date, date]] = []
    minus: list[date] = []
    for bucket in buckets(first, last, unit):
        end = next_bucket(bucket, unit) - timedelta(days=1)
        lo, hi = max(bucket, first), min(end, last)
        wanted = (hi - lo).days + 1 - skipped_per_bucket[bucket]
        unwanted = (end - bucket).days + 1 - wanted
        if unwanted == 0:
            whole.append(bucket)
        elif unwanted + 1 < wanted:
            whole.append(bucket)
            minus.extend(day for day in days_between(bucket, end) if not lo <= day <= hi or day in skipped)
        elif day_runs and day_runs[-1][1] + timedelta(days=1) == lo:
            day_runs[-1] = (day_runs[-1][0], hi)
        else:
            day_runs.append((lo, hi))
    return Split(whole, day_runs, minus)


def rollup_booking_counts(
    *,
    organization: Organization,
    first: date,
    last: date,
    skip: Collection[date],
    interval: Interval,
    dim: str,
    zone: ZoneInfo,
    now: datetime,
    resource_id: uuid.UUID | None = None,
    service_id: uuid.UUID | None = None,
) -> dict[tuple[date, str | None], int]:
    """(bucket, key) → bookings of the days not skipped, their holds included (read from the rows:
    a hold is never rolled up, its expiry depends on the clock; `now` decides it), the key as text
    (a status, a resource or service id; None: no service), keys with none left out.

    Counts only: summed seconds are numeric in PostgreSQL, and summing and sending them costs more
    than the counts (the summary and utilization read them from their own tables).
    """
    skipped = set(skip)
    rolled = [day for day in days_between(first, last) if day not in skipped]
    if resource_id is None and service_id is None:
        return _key_counts(
            organization,
            first=first,
            last=last,
            skip=skip,
            interval=interval,
            dim=dim,
            zone=zone,
            now=now,
            rolled=rolled,
        )
    split = split_months(first, last, skip, interval)
    found: dict[tuple[date, str | None], int] = {}
    parts: list[tuple[str, str, int, str, list[Any]]] = []
    if split.whole:
        parts.append(("analytics_bookingmonth", "month", 1, "month = ANY(%s)", [split.whole]))
    if split.day_runs:
        parts.append(("analytics_bookingday", "day", 1, *_days_where(split.day_runs, skip)))
    if split.minus:
        parts.append(("analytics_bookingday", "day", -1, "day = ANY(%s)", [split.minus]))
    for table, column, sign, where, params in parts:
        filters, values = ["organization_id = %s", where], [organization.id, *params]
        if resource_id is not None:
            filters.append("resource_id = %s")
            values.append(resource_id)
        if service_id is not None:
            filters.append("service_id = %s")
            values.append(service_id)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {bucket_sql(column, interval)}, {_DIM_SQL[dim]}::text, sum(count)"  # noqa: S608 - only this module's fragments; values are parameters
                f" FROM {table} WHERE {' AND '.join(filters)} GROUP BY 1, 2",
                values,
            )
            for bucket, key, count in cursor.fetchall():
                found[bucket, key] = found.get((bucket, key), 0) + sign * count
    # The holds of those days, from the rows.
    holds = booking_counts(
        organization=organization,
        zone=zone,
        days=rolled,
        interval=interval,
        dims=(dim,),
        now=now,
        resource_id=resource_id,
        service_id=service_id,
        holds="only",
    )
    for key, count in counts_by_key(holds).items():
        found[key] = found.get(key, 0) + count
    # A key whose bookings all fall on subtracted days has none in the range.
    return {key: count for key, count in found.items() if count}


# A booking row's key as the per-dimension rows hold it (text; '' for no service).
_BOOKING_KEY_SQL = {
    "status": STATUS_SQL,
    "resource": "b.resource_id::text",
    "service": "coalesce(b.service_id::text, '')",
}


def _key_counts(
    organization: Organization,
    *,
    first: date,
    last: date,
    skip: Collection[date],
    interval: Interval,
    dim: str,
    zone: ZoneInfo,
    now: datetime,
    rolled: list[date],
) -> dict[tuple[date, str | None], int]:
    """`rollup_booking_counts` of one dimension without filters, from the per-dimension rows, and
    the holds of the `rolled` days (read in `zone`, expired by `now`) in the same statement.

    Over the whole range (`all`) grouped by the key alone, whole years read from the year rows
    (`split_years`); a series by month reads month rows, by week or day day rows. A key row's key
    is the dimension's value as text, '' for no service.
    """
    whole = interval == "all"
    years, minus_months = [], []
    if whole:
        by_year = split_years(first, last, skip)
        years, split, minus_months = by_year.years, by_year.months, by_year.minus_months
    else:
        split = split_months(first, last, skip, interval)
    bucket = month_bucket = day_bucket = ""
    if not whole:
        bucket = "bucket, "
        month_bucket = f"{bucket_sql('month', interval)} AS bucket, "
        day_bucket = f"{bucket_sql('day', interval)} AS bucket, "
    # (table, bucket expression, sign, condition, its parameters), the empty ones left out.
    parts: list[tuple[str, str, str, str, list[Any]]] = []
    if years:
        parts.append(("analytics_bookingkeyyear", "", "", "year = ANY(%s)", [years]))
    for months, sign in ((split.whole, ""), (minus_months, "-")):
        if months:
            parts.append(("analytics_bookingkeymonth", month_bucket, sign, "month = ANY(%s)", [months]))
    if split.day_runs:
        parts.append(("analytics_bookingkeyday", day_bucket, "", *_days_where(split.day_runs, skip)))
    if split.minus:
        parts.append(("analytics_bookingkeyday", day_bucket, "-", "day = ANY(%s)", [split.minus]))
    branches, params = [], []
    for table, expression, sign, where, values in parts:
        branches.append(
            f"SELECT {expression}key, {sign}count AS count FROM {table}"  # noqa: S608 - only this module's fragments; values are parameters
            f" WHERE organization_id = %s AND dim = %s AND {where}"
        )
        params += [organization.id, dim, *values]
    if rolled:
        held_where, held_params = or_ranges("b.start", instant_ranges(rolled, zone))
        held_bucket = (
            "" if whole else f"{bucket_sql('(b.start AT TIME ZONE %s)::date', interval)} AS bucket, "
        )
        branches.append(
            f"SELECT {held_bucket}{_BOOKING_KEY_SQL[dim]} AS key, 1 AS count FROM scheduling_booking b"  # noqa: S608 - only this module's fragments; values are parameters
            f" WHERE b.organization_id = %s AND b.status = 'held' AND {held_where}"
        )
        params += [
            *([] if whole else [zone.key]),
            *([now] if dim == "status" else []),
            organization.id,
            *held_params,
        ]
    if not branches:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            # A key whose bookings all fall on subtracted days has none in the range.
            f"SELECT {bucket}key, sum(count) FROM ({' UNION ALL '.join(branches)}) AS x"  # noqa: S608 - only this module's fragments; values are parameters
            f" GROUP BY {bucket}key HAVING sum(count) <> 0",
            params,
        )
        rows = cursor.fetchall()
    if whole:
        return {(WHOLE_RANGE, value or None): count for value, count in rows}
    return {(bucket_of_row, value or None): count for bucket_of_row, value, count in rows}


def _days_where(day_runs: list[tuple[date, date]], skip: Collection[date]) -> tuple[str, list[Any]]:
    """The day rows of these runs of days, skipped days left out.

    One run is a range. Several are their days listed, not OR-ed ranges: PostgreSQL reads OR-ed
    ranges as a bitmap of heap pages, a list from the covering index alone (a year's edge days
    over hundreds of resources: about five times faster).
    """
    if len(day_runs) == 1:
        (lo, hi), skipped = day_runs[0], list(skip)
        if not skipped:
            return "day >= %s AND day <= %s", [lo, hi]
        return "day >= %s AND day <= %s AND NOT (day = ANY(%s))", [lo, hi, skipped]
    skipped_set = set(skip)
    days = [day for lo, hi in day_runs for day in days_between(lo, hi) if day not in skipped_set]
    return "day = ANY(%s)", [days]


def rollup_money_totals(
    *,
    organization: Organization,
    currency: str,
    first: date,
    last: date,
    skip: Collection[date],
    interval: Interval,
) -> dict[Any, MoneyRow]:
    """bucket → [payments, refunds, invoiced, receivables change] in one currency."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {bucket_sql('day', interval)}, sum(payments), sum(refunds),"  # noqa: S608 - only this module's fragments; values are parameters
            " sum(invoiced), sum(receivables) FROM analytics_moneyday"
            " WHERE organization_id = %s AND currency = %s AND day >= %s AND day <= %s"
            " AND NOT (day = ANY(%s)) GROUP BY 1",
            [organization.id, currency, first, last, list(skip)],
        )
        # numeric columns: psycopg gives Decimals already
        return {bucket: values for bucket, *values in cursor.fetchall()}


MoneyText = tuple[str, str, str, str]  # payments, refunds, payments - refunds, invoiced


def rollup_money_text(
    *, organization: Organization, currency: str, first: date, last: date, interval: Interval, places: int
) -> dict[Any, MoneyText]:
    """bucket → amounts as decimal strings of `places` places, of [first, last] all from the rollups
    (no day read live): PostgreSQL formats a year of amounts by day in a fraction of what 1,500
    Decimal conversions cost. Stored amounts have no more places than their currency, so rounding
    them changes nothing but the written scale.

    By day a bucket is one row (one per day and currency): taken as it is, nothing summed.
    """
    group = "" if interval == "day" else " GROUP BY 1"
    payments, refunds, invoiced = (
        ("payments", "refunds", "invoiced")
        if interval == "day"
        else ("sum(payments)", "sum(refunds)", "sum(invoiced)")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {bucket_sql('day', interval)}, round({payments}, %s)::text,"  # noqa: S608 - only this module's fragments; values are parameters
            f" round({refunds}, %s)::text, round({payments} - {refunds}, %s)::text,"
            f" round({invoiced}, %s)::text FROM analytics_moneyday"
            f" WHERE organization_id = %s AND currency = %s AND day >= %s AND day <= %s{group}",
            [places, places, places, places, organization.id, currency, first, last],
        )
        return {bucket: tuple(amounts) for bucket, *amounts in cursor.fetchall()}


def rollup_receivables(
    *, organization: Organization, currency: str, through: date, skip: Collection[date]
) -> Decimal:
    """The receivables change of every rolled-up day up to `through`, skipped days left out."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(receivables), 0) FROM analytics_moneyday WHERE organization_id = %s"
            " AND currency = %s AND day <= %s AND NOT (day = ANY(%s))",
            [organization.id, currency, through, list(skip)],
        )
        (total,) = cursor.fetchone() or (Decimal(0),)
    return Decimal(total)


def rollup_utilization(
    *,
    organization: Organization,
    first: date,
    last: date,
    skip: Collection[date] | None,
    skip_resources: Collection[uuid.UUID],
    interval: Interval,
    resource_id: uuid.UUID | None = None,
    service_id: uuid.UUID | None = None,
) -> dict[tuple[date, str], tuple[int, int]]:
    """(bucket, resource id as text) → (booked, available seconds) from the rollups, for the cells
    they hold (a missing cell is zeros); the caller lays out every bucket x active resource.

    Without a service filter a whole week or month is one `UtilizationWeek`/`UtilizationMonth`
    row per cell, taken as it is; PostgreSQL sums the other days' booking and availability rows
    per (bucket, resource) (a join of every bucket x resource in SQL cost more than reading these
    rows). Skipped days are left out of both sides, skipped resources out of the available side;
    `skip=None`: nothing from the rollups (they do not answer for this organization).
    """
    split = Split([], [], [])
    months: list[date] = []  # whole months from the booking and availability month tables
    wholes: list[date] = []  # whole weeks or months, one row per cell (services merged)
    if skip is None:
        skip = []
    elif interval == "week" and service_id is None:
        split = split_weeks(first, last, skip)
        wholes = split.whole
    else:
        split = split_months(first, last, skip, interval)
        if interval == "month" and service_id is None:
            wholes = split.whole
        else:
            months = split.whole
    day_where, day_params = _days_where(split.day_runs, skip)
    narrow, narrow_params = "", []  # both sides: one resource
    if resource_id is not None:
        narrow, narrow_params = " AND resource_id = %s", [resource_id]
    booked_filter, booked_params = narrow, list(narrow_params)
    if service_id is not None:
        booked_filter += " AND service_id = %s"
        booked_params.append(service_id)
    org, others, statuses = organization.id, list(skip_resources), list(BOOKED_STATUSES)
    month_bucket, day_bucket = bucket_sql("month", interval), bucket_sql("day", interval)
    table, column = (
        ("analytics_utilizationmonth", "month")
        if interval == "month"
        else ("analytics_utilizationweek", "week")
    )
    # Each statement gives (bucket, resource id as text, booked seconds, available seconds).
    sums: dict[tuple[date, str], tuple[int, int]] = {}
    with connection.cursor() as cursor:
        if wholes:
            cursor.execute(
                f"SELECT {column}, resource_id::text, booked,"  # noqa: S608 - this module's fragments
                " CASE WHEN resource_id = ANY(%s::uuid[]) THEN 0 ELSE available END"
                f" FROM {table} WHERE organization_id = %s AND {column} = ANY(%s){narrow}",
                [others, org, wholes, *narrow_params],
            )
            # The bulk of a long series, one row per cell: taken as the cells' first values.
            sums = {
                (bucket, resource): (booked, available)
                for bucket, resource, booked, available in cursor.fetchall()
            }
        cursor.execute(
            "SELECT bucket, resource_id::text, seconds, 0 FROM (SELECT bucket, resource_id,"  # noqa: S608 - this module's fragments
            f" sum(seconds) AS seconds FROM (SELECT {month_bucket} AS bucket, resource_id, seconds"
            " FROM analytics_bookingmonth WHERE organization_id = %s AND month = ANY(%s)"
            f" AND status = ANY(%s){booked_filter}"
            f" UNION ALL SELECT {day_bucket}, resource_id, seconds FROM analytics_bookingday"
            f" WHERE organization_id = %s AND {day_where} AND status = ANY(%s){booked_filter}"
            f" UNION ALL SELECT {day_bucket}, resource_id, -seconds FROM analytics_bookingday"
            f" WHERE organization_id = %s AND day = ANY(%s) AND status = ANY(%s){booked_filter}"
            ") AS b GROUP BY 1, 2) AS booked",
            [
                org,
                months,
                statuses,
                *booked_params,
                org,
                *day_params,
                statuses,
                *booked_params,
                org,
                split.minus,
                statuses,
                *booked_params,
            ],
        )
        _add_cells(sums, cursor.fetchall())
        cursor.execute(
            "SELECT bucket, resource_id::text, 0, seconds FROM (SELECT bucket, resource_id,"  # noqa: S608 - this module's fragments
            f" sum(seconds) AS seconds FROM (SELECT {month_bucket} AS bucket, resource_id, seconds"
            f" FROM analytics_availabilitymonth WHERE organization_id = %s AND month = ANY(%s){narrow}"
            f" UNION ALL SELECT {day_bucket}, resource_id, seconds FROM analytics_availabilityday"
            f" WHERE organization_id = %s AND {day_where}{narrow}"
            f" UNION ALL SELECT {day_bucket}, resource_id, -seconds FROM analytics_availabilityday"
            f" WHERE organization_id = %s AND day = ANY(%s){narrow}"
            ") AS a WHERE NOT (resource_id = ANY(%s::uuid[])) GROUP BY 1, 2) AS available",
            [
                org,
                months,
                *narrow_params,
                org,
                *day_params,
                *narrow_params,
                org,
                split.minus,
                *narrow_params,
                others,
            ],
        )
        _add_cells(sums, cursor.fetchall())
    return sums


def _add_cells(sums: dict[tuple[date, str], tuple[int, int]], rows: list[tuple[Any, ...]]) -> None:
    for bucket, resource, booked, available in rows:
        before = sums.get((bucket, resource), (0, 0))
        sums[bucket, resource] = (before[0] + int(booked), before[1] + int(available))


@dataclass(frozen=True)
class RollupSummary:
    """The summary's sums over the rolled-up days of a range (holds and live days left to the caller)."""

    by_status: dict[str, int]
    booked: int  # seconds, of the active resources
    available: int  # seconds, of the active resources not skipped
    money: list[Decimal]  # payments, refunds, invoiced


# The organization's inactive resources, once per statement: their bookings count, their time does not.
_INACTIVE = "ARRAY(SELECT id FROM core_resource WHERE organization_id = %s AND NOT is_active)"
# Booked seconds of the active resources; takes the booked statuses and the organization.
_BOOKED = f"coalesce(sum(seconds) FILTER (WHERE status = ANY(%s) AND resource_id <> ALL({_INACTIVE})), 0)"


def rollup_summary(
    *,
    organization: Organization,
    currency: str,
    first: date,
    last: date,
    skip: Collection[date],
    skip_resources: Collection[uuid.UUID],
    resource_id: uuid.UUID | None = None,
    service_id: uuid.UUID | None = None,
) -> RollupSummary:
    """Bookings per status, booked and available seconds and money of [first, last] from the
    rollups, in two statements: whole months from the month tables, the edges from the day tables."""
    split = split_months(first, last, skip, "all")
    months, minus = split.whole, split.minus
    day_where, day_params = _days_where(split.day_runs, skip)
    org, statuses, others = organization.id, list(BOOKED_STATUSES), list(skip_resources)
    narrow, narrow_params = "", []
    if resource_id is not None:
        narrow += " AND resource_id = %s"
        narrow_params.append(resource_id)
    booked_narrow, booked_params = narrow, list(narrow_params)
    if service_id is not None:
        booked_narrow += " AND service_id = %s"
        booked_params.append(service_id)
    with connection.cursor() as cursor:
        cursor.execute(
            # Each table summed on its own: one small plan each, never a parallel one (on a busy
            # host, waiting for workers costs more than the scan).
            f"SELECT status, sum(n), sum(s) FROM (SELECT status, sum(count) AS n, {_BOOKED} AS s"  # noqa: S608 - only this module's fragments; values are parameters
            f" FROM analytics_bookingmonth WHERE organization_id = %s AND month = ANY(%s){booked_narrow}"
            f" GROUP BY 1 UNION ALL SELECT status, sum(count), {_BOOKED} FROM analytics_bookingday"
            f" WHERE organization_id = %s AND {day_where}{booked_narrow} GROUP BY 1"
            f" UNION ALL SELECT status, -sum(count), -{_BOOKED} FROM analytics_bookingday"
            f" WHERE organization_id = %s AND day = ANY(%s){booked_narrow} GROUP BY 1) AS b GROUP BY 1",
            [
                statuses,
                org,
                org,
                months,
                *booked_params,
                statuses,
                org,
                org,
                *day_params,
                *booked_params,
                statuses,
                org,
                org,
                minus,
                *booked_params,
            ],
        )
        by_status: dict[str, int] = {}
        booked = 0
        for status, count, seconds in cursor.fetchall():
            by_status[status] = int(count)
            booked += int(seconds)
        cursor.execute(
            "SELECT a.seconds, m.payments, m.refunds, m.invoiced FROM"  # noqa: S608 - only this module's fragments; values are parameters
            " (SELECT coalesce(sum(seconds), 0) AS seconds FROM"
            " (SELECT resource_id, seconds FROM analytics_availabilitymonth"
            f" WHERE organization_id = %s AND month = ANY(%s){narrow}"
            " UNION ALL SELECT resource_id, seconds FROM analytics_availabilityday"
            f" WHERE organization_id = %s AND {day_where}{narrow}"
            " UNION ALL SELECT resource_id, -seconds FROM analytics_availabilityday"
            f" WHERE organization_id = %s AND day = ANY(%s){narrow}) AS d"
            f" WHERE NOT (resource_id = ANY(%s::uuid[])) AND resource_id <> ALL({_INACTIVE})) AS a,"
            " (SELECT coalesce(sum(payments), 0) AS payments, coalesce(sum(refunds), 0) AS refunds,"
            " coalesce(sum(invoiced), 0) AS invoiced FROM analytics_moneyday"
            " WHERE organization_id = %s AND currency = %s AND day >= %s AND day <= %s"
            " AND NOT (day = ANY(%s))) AS m",
            [
                *(org, months, *narrow_params, org, *day_params, *narrow_params, org, minus),
                *narrow_params,
                *(others, org, org, currency, first, last, list(skip)),
            ],
        )
        seconds, *money = cursor.fetchone() or (0, _ZERO, _ZERO, _ZERO)
    return RollupSummary(
        by_status=by_status, booked=booked, available=int(seconds), money=[Decimal(v) for v in money]
    )
