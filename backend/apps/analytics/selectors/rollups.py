"""Reads of the rollup tables: sums per bucket over a range of days, some days left out.

The left-out days are those the freshness plan computes live (changed since the rollups, or never
rolled up), so no day is counted twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection

from apps.analytics.periods import Interval
from apps.analytics.selectors.live import BookingDims, MoneyRow
from apps.analytics.selectors.sql import BOOKED_STATUSES, bucket_sql
from apps.identity.models import Organization

_DIM_SQL = {"resource": "resource_id", "service": "service_id", "status": "status"}


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
    columns = [bucket_sql("day", interval), *(_DIM_SQL[dim] for dim in dims)]
    filters = ["organization_id = %s", "day >= %s", "day <= %s", "NOT (day = ANY(%s))"]
    params: list[Any] = [organization.id, first, last, list(skip)]
    if resource_id is not None:
        filters.append("resource_id = %s")
        params.append(resource_id)
    if service_id is not None:
        filters.append("service_id = %s")
        params.append(service_id)
    group = ", ".join(str(n + 1) for n in range(len(columns)))
    found: dict[tuple[Any, ...], list[int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(columns)}, sum(count),"  # noqa: S608 - only this module's fragments; values are parameters
            " coalesce(sum(seconds) FILTER (WHERE status = ANY(%s)), 0)"
            f" FROM analytics_bookingday WHERE {' AND '.join(filters)} GROUP BY {group}",
            [list(BOOKED_STATUSES), *params],
        )
        for *key, count, seconds in cursor.fetchall():
            found[tuple(key)] = [int(count), int(seconds)]
    return found


def rollup_available_seconds(
    *,
    organization: Organization,
    first: date,
    last: date,
    skip: Collection[date],
    skip_resources: Collection[uuid.UUID],
    interval: Interval,
    resource_id: uuid.UUID | None = None,
) -> dict[tuple[date, uuid.UUID], int]:
    """(bucket, resource) → available seconds, leaving out the skipped days and resources."""
    params: list[Any] = [organization.id, first, last, list(skip), list(skip_resources)]
    only = ""
    if resource_id is not None:
        only = " AND resource_id = %s"
        params.append(resource_id)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {bucket_sql('day', interval)}, resource_id, sum(seconds) FROM analytics_availabilityday"  # noqa: S608 - only this module's fragments; values are parameters
            " WHERE organization_id = %s AND day >= %s AND day <= %s AND NOT (day = ANY(%s))"
            f" AND NOT (resource_id = ANY(%s::uuid[])){only} GROUP BY 1, 2",
            params,
        )
        return {(bucket, resource): int(seconds) for bucket, resource, seconds in cursor.fetchall()}


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
