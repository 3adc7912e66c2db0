"""Reads of the rollup tables: sums per bucket over a range of days, some days left out.

The left-out days are those the freshness plan computes live (changed since the rollups, or never
rolled up), so no day is counted twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection

from apps.analytics.periods import Interval, bucket_of, buckets, days_between, runs
from apps.analytics.selectors.live import BookingDims, MoneyRow
from apps.analytics.selectors.sql import BOOKED_STATUSES, bucket_sql, or_ranges
from apps.identity.models import Organization

_DIM_SQL = {"resource": "resource_id", "service": "service_id", "status": "status"}


def split_months(
    first: date, last: date, skip: Collection[date], interval: Interval
) -> tuple[list[date], list[tuple[date, date]]]:
    """Whole months of [first, last] without a skipped day (read from the month tables, for month
    and whole-range buckets), and the runs of the other days (read day by day)."""
    days = days_between(first, last)
    if interval not in ("month", "all"):
        return [], runs(days)
    skipped = {bucket_of(day, "month") for day in skip}
    whole = [
        month
        for month in buckets(first, last, "month")
        if month >= first
        and bucket_of(month + timedelta(days=31), "month") - timedelta(days=1) <= last
        and month not in skipped
    ]
    taken = set(whole)
    return whole, runs(day for day in days if bucket_of(day, "month") not in taken)


def rollup_booking_counts(
    *,
    organization: Organization,
    first: date,
    last: date,
    skip: Collection[date],
    interval: Interval,
    dims: BookingDims,
    resource_id: uuid.UUID | None = None,
    service_id: uuid.UUID | None = None,
) -> dict[tuple[Any, ...], list[int]]:
    """(bucket, *dims) → [bookings, booked seconds], as `live.booking_counts` answers."""
    months, day_runs = split_months(first, last, skip, interval)
    found: dict[tuple[Any, ...], list[int]] = {}
    for table, column, where, params in (
        ("analytics_bookingmonth", "month", "month = ANY(%s)", [months]),
        ("analytics_bookingday", "day", *_days_where(day_runs, skip)),
    ):
        if not (months if column == "month" else day_runs):
            continue
        filters, values = ["organization_id = %s", where], [organization.id, *params]
        if resource_id is not None:
            filters.append("resource_id = %s")
            values.append(resource_id)
        if service_id is not None:
            filters.append("service_id = %s")
            values.append(service_id)
        columns = [bucket_sql(column, interval), *(_DIM_SQL[dim] for dim in dims)]
        group = ", ".join(str(n + 1) for n in range(len(columns)))
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {', '.join(columns)}, sum(count),"  # noqa: S608 - only this module's fragments; values are parameters
                " coalesce(sum(seconds) FILTER (WHERE status = ANY(%s)), 0)"
                f" FROM {table} WHERE {' AND '.join(filters)} GROUP BY {group}",
                [list(BOOKED_STATUSES), *values],
            )
            for *key, count, seconds in cursor.fetchall():
                entry = found.setdefault(tuple(key), [0, 0])
                entry[0] += int(count)
                entry[1] += int(seconds)
    return found


def _days_where(day_runs: list[tuple[date, date]], skip: Collection[date]) -> tuple[str, list[Any]]:
    where, params = or_ranges("day", day_runs, closed=True)
    return f"{where} AND NOT (day = ANY(%s))", [*params, list(skip)]


def rollup_available_seconds(
    *,
    organization: Organization,
    first: date,
    last: date,
    skip: Collection[date],
    skip_resources: Collection[uuid.UUID],
    interval: Interval,
) -> dict[tuple[date, uuid.UUID], int]:
    """(bucket, resource) → available seconds, leaving out the skipped days and resources."""
    months, day_runs = split_months(first, last, skip, interval)
    found: dict[tuple[date, uuid.UUID], int] = {}
    for table, column, where, params in (
        ("analytics_availabilitymonth", "month", "month = ANY(%s)", [months]),
        ("analytics_availabilityday", "day", *_days_where(day_runs, skip)),
    ):
        if not (months if column == "month" else day_runs):
            continue
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {bucket_sql(column, interval)}, resource_id, sum(seconds) FROM {table}"  # noqa: S608 - only this module's fragments; values are parameters
                f" WHERE organization_id = %s AND {where} AND NOT (resource_id = ANY(%s::uuid[]))"
                " GROUP BY 1, 2",
                [organization.id, *params, list(skip_resources)],
            )
            for bucket, resource, seconds in cursor.fetchall():
                found[(bucket, resource)] = found.get((bucket, resource), 0) + int(seconds)
    return found


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
        return {bucket: [Decimal(v) for v in values] for bucket, *values in cursor.fetchall()}


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


UtilizationRow = tuple[date, str, str, int, int]  # bucket, resource id (text), name, booked s, available s


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
) -> list[UtilizationRow]:
    """One row per bucket and active resource (by name), booked and available seconds from the rollups.

    Every cell is listed, empty ones with zeros: PostgreSQL groups the month and day rows and
    joins them to the buckets and resources, so the caller only adds what it reads live. Skipped
    days are left out of both sides, skipped resources out of the available side; `skip=None`:
    nothing from the rollups (they do not answer for this organization), zeros everywhere.
    """
    months: list[date] = []
    day_runs: list[tuple[date, date]] = []
    if skip is None:
        skip = []
    else:
        months, day_runs = split_months(first, last, skip, interval)
    day_where, day_params = _days_where(day_runs, skip)
    booked_filter, booked_params = "", []
    if resource_id is not None:
        booked_filter += " AND resource_id = %s"
        booked_params.append(resource_id)
    if service_id is not None:
        booked_filter += " AND service_id = %s"
        booked_params.append(service_id)
    statuses = list(BOOKED_STATUSES)
    month_bucket, day_bucket = bucket_sql("month", interval), bucket_sql("day", interval)
    booked = (
        f"SELECT {month_bucket} AS bucket, resource_id, seconds FROM analytics_bookingmonth"  # noqa: S608 - this module's fragments
        f" WHERE organization_id = %s AND month = ANY(%s) AND status = ANY(%s){booked_filter}"
        f" UNION ALL SELECT {day_bucket}, resource_id, seconds FROM analytics_bookingday"
        f" WHERE organization_id = %s AND {day_where} AND status = ANY(%s){booked_filter}"
    )
    available = (
        f"SELECT {month_bucket} AS bucket, resource_id, seconds FROM analytics_availabilitymonth"  # noqa: S608 - this module's fragments
        " WHERE organization_id = %s AND month = ANY(%s) AND NOT (resource_id = ANY(%s::uuid[]))"
        f" UNION ALL SELECT {day_bucket}, resource_id, seconds FROM analytics_availabilityday"
        f" WHERE organization_id = %s AND {day_where} AND NOT (resource_id = ANY(%s::uuid[]))"
    )
    org, others = organization.id, list(skip_resources)
    one = " AND r.id = %s" if resource_id is not None else ""
    params = [
        buckets(first, last, interval),
        org,
        *([resource_id] if resource_id is not None else []),
        *(org, months, statuses, *booked_params, org, *day_params, statuses, *booked_params),
        *(org, months, others, org, *day_params, others),
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.bucket, c.id::text, c.name,"  # noqa: S608 - only this module's fragments; values are parameters
            " coalesce(b.seconds, 0)::bigint, coalesce(a.seconds, 0)::bigint"
            " FROM (SELECT g.bucket, r.id, r.name FROM unnest(%s::date[]) AS g(bucket)"
            f" CROSS JOIN core_resource AS r WHERE r.organization_id = %s AND r.is_active{one}) AS c"
            " LEFT JOIN (SELECT bucket, resource_id, sum(seconds) AS seconds"
            f" FROM ({booked}) AS x GROUP BY 1, 2) AS b ON b.bucket = c.bucket AND b.resource_id = c.id"
            " LEFT JOIN (SELECT bucket, resource_id, sum(seconds) AS seconds"
            f" FROM ({available}) AS y GROUP BY 1, 2) AS a ON a.bucket = c.bucket AND a.resource_id = c.id"
            " ORDER BY c.bucket, c.name, c.id",
            params,
        )
        rows: list[UtilizationRow] = cursor.fetchall()
    return rows
