"""Figures computed from the source rows themselves, for chosen local days of the organization.

What the rollups store, computed the same way: the job writes these results, and readers use them
for days whose rollups are missing or stale. Bookings count on the local date of their start,
with all their minutes; availability is cut at local midnights; money is cash-basis.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection

from apps.analytics.periods import Interval, bucket_of, day_start, instant_ranges, local_days_of, runs
from apps.analytics.selectors.sql import BOOKED_STATUSES, STATUS_SQL, bucket_sql, or_ranges
from apps.core.models import Resource, TimeOff, WorkingHoursOverride
from apps.identity.models import Organization
from apps.scheduling.availability import Period, subtract, working_periods

BookingDims = tuple[str, ...]  # of "resource", "service", "status"
_DIM_SQL = {"resource": "b.resource_id", "service": "b.service_id", "status": STATUS_SQL}


def booking_counts(
    *,
    organization: Organization,
    zone: ZoneInfo,
    days: Iterable[date],
    interval: Interval,
    dims: BookingDims,
    now: datetime,
    resource_id: uuid.UUID | None = None,
    service_id: uuid.UUID | None = None,
    holds: str = "include",
) -> dict[tuple[Any, ...], list[int]]:
    """(bucket, *dims) → [bookings, booked seconds] of bookings starting on these local days.

    `holds`: "include" (every row), "exclude" (what the rollups store: never holds, whose
    expiry depends on the clock) or "only" (the holds alone, for days read from rollups).
    """
    ranges = instant_ranges(days, zone)
    if not ranges:
        return {}
    where, params = or_ranges("b.start", ranges)
    columns = [bucket_sql("(b.start AT TIME ZONE %s)::date", interval)]
    # The bucket of "all" is a constant: it takes no zone.
    column_params: list[Any] = [zone.key] if interval != "all" else []
    for dim in dims:
        columns.append(_DIM_SQL[dim])
        if dim == "status":
            column_params.append(now)
    filters, filter_params = [where], params
    if holds == "exclude":
        filters.append("b.status <> 'held'")
    elif holds == "only":
        filters.append("b.status = 'held'")
    if resource_id is not None:
        filters.append("b.resource_id = %s")
        filter_params = [*filter_params, resource_id]
    if service_id is not None:
        filters.append("b.service_id = %s")
        filter_params = [*filter_params, service_id]
    group = ", ".join(str(n + 1) for n in range(len(columns)))
    found: dict[tuple[Any, ...], list[int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(columns)}, count(*),"  # noqa: S608 - only this module's fragments; values are parameters
            ' coalesce(sum(extract(epoch FROM (b."end" - b.start)))'
            f" FILTER (WHERE {STATUS_SQL} = ANY(%s)), 0)::bigint"
            f" FROM scheduling_booking b WHERE b.organization_id = %s AND {' AND '.join(filters)}"
            f" GROUP BY {group}",
            [*column_params, now, list(BOOKED_STATUSES), organization.id, *filter_params],
        )
        for *key, count, seconds in cursor.fetchall():
            found[tuple(key)] = [int(count), int(seconds)]
    return found


def counts_by_key(found: dict[tuple[Any, ...], list[int]]) -> dict[tuple[Any, str | None], int]:
    """`booking_counts` of one dimension as (bucket, key as text) → bookings, as the rollups key
    them (None: no service)."""
    return {
        (bucket, None if value is None else str(value)): count
        for (bucket, value), (count, _) in found.items()
    }


def available_seconds(
    *, organization: Organization, zone: ZoneInfo, days: Iterable[date], resources: Sequence[Resource]
) -> dict[tuple[date, uuid.UUID], int]:
    """(local day, resource) → seconds of working time (overrides applied, time off cut out)."""
    found: dict[tuple[date, uuid.UUID], int] = defaultdict(int)
    ids = [r.id for r in resources]
    for first, last in runs(days):
        within = Period(day_start(first, zone), day_start(last + timedelta(days=1), zone))
        overrides: dict[uuid.UUID, dict[date, list[dict[str, str]]]] = defaultdict(dict)
        for resource_id, on, intervals in (
            WorkingHoursOverride.objects.for_organization(organization)
            .filter(
                resource_id__in=ids, date__gte=first - timedelta(days=2), date__lte=last + timedelta(days=2)
            )
            .values_list("resource_id", "date", "intervals")
        ):
            overrides[resource_id][on] = intervals
        time_off: dict[uuid.UUID, list[Period]] = defaultdict(list)
        for resource_id, start, end in (
            TimeOff.objects.for_organization(organization)
            .filter(resource_id__in=ids, start__lt=within.end, end__gt=within.start)
            .values_list("resource_id", "start", "end")
        ):
            time_off[resource_id].append(Period(start, end))
        for resource in resources:
            working = working_periods(
                timezone=resource.timezone,
                working_hours=resource.working_hours,
                overrides=overrides[resource.id],
                within=within,
            )
            for period in subtract(working, time_off[resource.id]):
                start, end = max(period.start, within.start), min(period.end, within.end)
                for day, lo, hi in local_days_of(start, end, zone) if start < end else ():
                    found[(day, resource.id)] += int((hi - lo).total_seconds())
    return dict(found)


MoneyRow = list[Decimal]  # [payments, refunds, invoiced, receivables change]
_ZERO = Decimal(0)


def money_totals(
    *, organization: Organization, zone: ZoneInfo, currency: str, days: Iterable[date], interval: Interval
) -> dict[Any, MoneyRow]:
    """bucket → [payments received, refunds, invoiced, receivables change] on these local days."""
    days = sorted(set(days))
    ranges = instant_ranges(days, zone)
    found: dict[Any, MoneyRow] = defaultdict(lambda: [_ZERO, _ZERO, _ZERO, _ZERO])
    if not ranges:
        return {}
    org = organization.id
    local = "(({column} AT TIME ZONE %s)::date)"
    zoned = [zone.key] if interval != "all" else []
    queries = [
        ("transactions_payment", "received_at", "amount", "currency = %s", 0),
        ("transactions_refund", "created_at", "amount", "currency = %s", 1),
    ]
    with connection.cursor() as cursor:
        for table, column, amount, condition, slot in queries:
            where, params = or_ranges(column, ranges)
            cursor.execute(
                f"SELECT {bucket_sql(local.format(column=column), interval)}, sum({amount}) FROM {table}"  # noqa: S608 - only this module's fragments; values are parameters
                f" WHERE organization_id = %s AND {condition} AND {where} GROUP BY 1",
                [*zoned, org, currency, *params],
            )
            for bucket, total in cursor.fetchall():
                found[bucket][slot] += total
        where, params = or_ranges("issue_date", runs(days), closed=True)
        cursor.execute(
            f"SELECT {bucket_sql('issue_date', interval)}, sum(total) FROM transactions_invoice"  # noqa: S608 - only this module's fragments; values are parameters
            " WHERE organization_id = %s AND currency = %s AND status NOT IN ('draft', 'void')"
            f" AND issue_date IS NOT NULL AND {where} GROUP BY 1",
            [org, currency, *params],
        )
        for bucket, total in cursor.fetchall():
            found[bucket][2] += total
        where, params = or_ranges("t.occurred_at", ranges)
        cursor.execute(
            f"SELECT {bucket_sql(local.format(column='t.occurred_at'), interval)}, sum(e.amount)"  # noqa: S608 - only this module's fragments; values are parameters
            " FROM transactions_ledgerentry e"
            " JOIN transactions_ledgertransaction t ON t.id = e.transaction_id"
            " JOIN transactions_ledgeraccount a ON a.id = e.account_id"
            " WHERE t.organization_id = %s AND e.currency = %s AND a.kind = 'receivables'"
            f" AND {where} GROUP BY 1",
            [*zoned, org, currency, *params],
        )
        for bucket, total in cursor.fetchall():
            found[bucket][3] += total
    return dict(found)


def receivables_change(
    *, organization: Organization, currency: str, ranges: Sequence[tuple[datetime, datetime]]
) -> Decimal:
    """Sum of the receivables entries whose transaction occurred in these UTC ranges."""
    if not ranges:
        return _ZERO
    where, params = or_ranges("t.occurred_at", ranges)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(e.amount), 0) FROM transactions_ledgerentry e"  # noqa: S608 - only this module's fragments; values are parameters
            " JOIN transactions_ledgertransaction t ON t.id = e.transaction_id"
            " JOIN transactions_ledgeraccount a ON a.id = e.account_id"
            f" WHERE t.organization_id = %s AND e.currency = %s AND a.kind = 'receivables' AND {where}",
            [organization.id, currency, *params],
        )
        (total,) = cursor.fetchone() or (_ZERO,)
    return Decimal(total)


def bucketed(
    per_day: dict[tuple[date, uuid.UUID], int], interval: Interval
) -> dict[tuple[date, uuid.UUID], int]:
    """Per-day seconds summed into buckets."""
    found: dict[tuple[date, uuid.UUID], int] = defaultdict(int)
    for (day, resource_id), seconds in per_day.items():
        found[(bucket_of(day, interval), resource_id)] += seconds
    return dict(found)
