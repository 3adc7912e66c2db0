"""The figures computed independently, in SQL straight over the source tables.

Local days by `AT TIME ZONE` on each row, availability with PostgreSQL's multiranges (working
hours expanded per local date in the resource's zone, overrides replacing them, time off
subtracted, cut by the organization's days): nothing here shares code with the app.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.db import connection

from apps.identity.models import Organization

STATUS = "CASE WHEN status = 'held' AND hold_expires_at <= %(now)s THEN 'cancelled' ELSE status END"
BOOKED = "('held', 'pending', 'confirmed', 'completed', 'no_show')"


def _rows(sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
        return rows


def _params(org: Organization, first: date, last: date, now: datetime) -> dict[str, Any]:
    return {"org": org.id, "tz": org.timezone, "first": first, "last": last, "now": now}


def bookings_by(
    org: Organization, first: date, last: date, now: datetime, column: str
) -> dict[tuple[Any, Any], list[int]]:
    """(local start date, column) → [count, booked seconds]; column is status, resource_id or service_id."""
    expression = STATUS if column == "status" else column
    sql = f"""
        SELECT (start AT TIME ZONE %(tz)s)::date, {expression}, count(*),
               coalesce(sum(extract(epoch FROM "end" - start)) FILTER (WHERE {STATUS} IN {BOOKED}), 0)
        FROM scheduling_booking WHERE organization_id = %(org)s
          AND (start AT TIME ZONE %(tz)s)::date BETWEEN %(first)s AND %(last)s
        GROUP BY 1, 2"""  # noqa: S608 - the test's own fragments
    return {(d, k): [int(c), int(s)] for d, k, c, s in _rows(sql, _params(org, first, last, now))}


def available(org: Organization, first: date, last: date) -> dict[tuple[date, Any], int]:
    """(organization's local date, active resource) → available seconds."""
    sql = """
        WITH days AS (
            SELECT d::date AS d FROM generate_series(%(first)s::date - 2, %(last)s::date + 2, '1 day') d),
        work AS (
            SELECT r.id AS rid, range_agg(tstzrange(
                (days.d + (i->>'start')::time) AT TIME ZONE r.timezone,
                (days.d + (i->>'end')::time) AT TIME ZONE r.timezone)) AS m
            FROM core_resource r CROSS JOIN days
            LEFT JOIN core_workinghoursoverride o ON o.resource_id = r.id AND o.date = days.d
            CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN o.id IS NOT NULL THEN o.intervals ELSE (
                SELECT coalesce(jsonb_agg(w), '[]'::jsonb) FROM jsonb_array_elements(r.working_hours) w
                WHERE (w->>'weekday')::int = extract(isodow FROM days.d)::int - 1) END) i
            WHERE r.organization_id = %(org)s AND r.is_active
            GROUP BY r.id),
        off AS (SELECT resource_id AS rid, range_agg(tstzrange(start, "end")) AS m FROM core_timeoff
                WHERE organization_id = %(org)s GROUP BY 1),
        free AS (SELECT work.rid, work.m - coalesce(off.m, '{}'::tstzmultirange) AS m
                 FROM work LEFT JOIN off ON off.rid = work.rid),
        local_days AS (SELECT d::date AS d, tstzrange(d::timestamp AT TIME ZONE %(tz)s,
                              (d::date + 1)::timestamp AT TIME ZONE %(tz)s) AS r
                       FROM generate_series(%(first)s::date, %(last)s::date, '1 day') d)
        SELECT local_days.d, free.rid, sum(extract(epoch FROM upper(x) - lower(x)))
        FROM local_days CROSS JOIN free CROSS JOIN LATERAL unnest(free.m * local_days.r::tstzmultirange) x
        GROUP BY 1, 2"""
    return {(d, rid): int(s) for d, rid, s in _rows(sql, _params(org, first, last, datetime.now(UTC)))}


def money_by_day(
    org: Organization, first: date, last: date, currency: str = "EUR"
) -> dict[date, list[Decimal]]:
    """local date → [payments, refunds, invoiced]."""
    params = {**_params(org, first, last, datetime.now(UTC)), "cur": currency}
    found: dict[date, list[Decimal]] = {}
    queries = [
        (
            "SELECT (received_at AT TIME ZONE %(tz)s)::date, sum(amount) FROM transactions_payment"
            " WHERE organization_id = %(org)s AND currency = %(cur)s GROUP BY 1"
        ),
        (
            "SELECT (created_at AT TIME ZONE %(tz)s)::date, sum(amount) FROM transactions_refund"
            " WHERE organization_id = %(org)s AND currency = %(cur)s GROUP BY 1"
        ),
        (
            "SELECT issue_date, sum(total) FROM transactions_invoice WHERE organization_id = %(org)s"
            " AND currency = %(cur)s AND status NOT IN ('draft', 'void')"
            " AND issue_date IS NOT NULL GROUP BY 1"
        ),
    ]
    for slot, sql in enumerate(queries):
        for day, total in _rows(sql, params):
            if first <= day <= last:
                found.setdefault(day, [Decimal(0)] * 3)[slot] += total
    return found


def outstanding(org: Organization, last: date, currency: str = "EUR") -> Decimal:
    sql = """
        SELECT coalesce(sum(e.amount), 0) FROM transactions_ledgerentry e
        JOIN transactions_ledgertransaction t ON t.id = e.transaction_id
        JOIN transactions_ledgeraccount a ON a.id = e.account_id
        WHERE t.organization_id = %(org)s AND a.kind = 'receivables' AND e.currency = %(cur)s
          AND (t.occurred_at AT TIME ZONE %(tz)s)::date <= %(last)s"""
    params = {**_params(org, last, last, datetime.now(UTC)), "cur": currency}
    return Decimal(_rows(sql, params)[0][0])
