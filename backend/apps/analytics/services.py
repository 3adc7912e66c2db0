"""Writing the rollups: the days that changed since the last run (or every day, the first time).

`rollups_refresh` recomputes, in one transaction under the state row's lock, every day the
freshness plan would read live (the same `live.py` functions), extends the covered days to a year
ahead, and moves `computed_at` to W (`exact_as_of`): the run's start, or the start of the oldest
transaction still open then if earlier, minus a margin for clocks (`ANALYTICS_ROLLUP_MARGIN_SECONDS`,
60). A row written by a transaction open when the run began carries a stamp at or after that
transaction's start, so it is at or after W and read live until a later run takes it in.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from apps.analytics.models import (
    AvailabilityDay,
    AvailabilityMonth,
    BookingDay,
    BookingKeyDay,
    BookingKeyMonth,
    BookingKeyYear,
    BookingMonth,
    MoneyDay,
    RollupState,
    UtilizationMonth,
    UtilizationWeek,
)
from apps.analytics.periods import MAX_DAYS, bucket_of, buckets, days_between
from apps.analytics.selectors.figures import active_resources
from apps.analytics.selectors.freshness import changes_since
from apps.analytics.selectors.live import available_seconds, booking_counts, money_totals
from apps.analytics.selectors.sql import BOOKED_STATUSES
from apps.core.models import Resource
from apps.identity.models import Organization
from apps.transactions.selectors import billing_settings_of

HORIZON = timedelta(days=366)
# Covered from the first data or this far back, whichever is earlier: the longest range a read asks.
BEHIND = timedelta(days=MAX_DAYS)


def _earliest_day(organization: Organization, zone: ZoneInfo) -> date | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT least("
            " (SELECT min(start) FROM scheduling_booking WHERE organization_id = %(o)s),"
            " (SELECT min(received_at) FROM transactions_payment WHERE organization_id = %(o)s),"
            " (SELECT min(created_at) FROM transactions_refund WHERE organization_id = %(o)s),"
            " (SELECT min(occurred_at) FROM transactions_ledgertransaction WHERE organization_id = %(o)s))",
            {"o": organization.id},
        )
        (instant,) = cursor.fetchone() or (None,)
        cursor.execute(
            "SELECT min(issue_date) FROM transactions_invoice WHERE organization_id = %s", [organization.id]
        )
        (issued,) = cursor.fetchone() or (None,)
    found = [d for d in (instant.astimezone(zone).date() if instant else None, issued) if d is not None]
    return min(found) if found else None


def _currencies(organization: Organization) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT currency FROM transactions_ledgerentry WHERE organization_id = %s",
            [organization.id],
        )
        found = {row[0] for row in cursor.fetchall()}
    return sorted(found | {billing_settings_of(organization=organization).currency})


def exact_as_of(now: datetime) -> datetime:
    """W for a run starting now: before every stamp a transaction still open may write."""
    # Stamps come from the application hosts' clocks, transaction starts from the database's.
    margin = timedelta(seconds=settings.ANALYTICS_ROLLUP_MARGIN_SECONDS)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # statistics are cached per transaction
        cursor.execute(
            "SELECT min(xact_start) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        (oldest,) = cursor.fetchone() or (None,)
    return min(now, oldest) - margin if oldest is not None else now - margin


def rollups_refresh(*, organization: Organization, now: datetime | None = None) -> int:
    """Recomputes the organization's changed (or never computed) days; returns how many."""
    now = now or timezone.now()
    as_of = exact_as_of(now)
    zone = ZoneInfo(organization.timezone)
    today = now.astimezone(zone).date()
    with transaction.atomic():
        state = RollupState.objects.for_organization(organization).select_for_update().first()
        covered_to = today + HORIZON
        resources = active_resources(organization)
        if state is None or state.timezone != organization.timezone:
            covered_from = min(_earliest_day(organization, zone) or today, today - BEHIND)
            days = days_between(covered_from, covered_to)
            redo = resources
            every_month = True
            _clear(organization, Q())
            for model in (
                BookingMonth,
                AvailabilityMonth,
                UtilizationWeek,
                UtilizationMonth,
                BookingKeyMonth,
                BookingKeyYear,
            ):
                model.objects.for_organization(organization).delete()
        else:
            plan = changes_since(organization=organization, state=state)
            covered_from = min([state.covered_from, *plan.changed_days])
            covered_to = max(covered_to, state.covered_to)
            extension = [
                d
                for d in days_between(covered_from, covered_to)
                if not state.covered_from <= d <= state.covered_to
            ]
            days = sorted({d for d in plan.changed_days if covered_from <= d <= covered_to} | set(extension))
            everything = plan.availability_changed
            redo = [r for r in resources if everything or r.id in plan.changed_resources]
            every_month = everything or bool(plan.changed_resources)
            _clear(organization, Q(day__in=days))
            AvailabilityDay.objects.for_organization(organization).filter(
                Q() if everything else Q(resource_id__in=plan.changed_resources)
            ).delete()
        _write(organization, zone, now, days, [r for r in resources if r not in redo])
        _write_availability(organization, zone, days_between(covered_from, covered_to), redo)
        months = {bucket_of(day, "month") for day in days}
        _write_months(
            organization, months, set(buckets(covered_from, covered_to, "month")) if every_month else months
        )
        _write_keys(organization, days, months)
        for unit in ("week", "month"):
            touched = {bucket_of(day, unit) for day in days}
            _write_periods(
                organization, unit, set(buckets(covered_from, covered_to, unit)) if every_month else touched
            )
        if state is None:
            state = RollupState(organization=organization)
        state.timezone = organization.timezone
        state.computed_at = as_of
        state.covered_from, state.covered_to = covered_from, covered_to
        state.save()
    return len(days)


def _clear(organization: Organization, days: Q) -> None:
    for model in (BookingDay, BookingKeyDay, MoneyDay, AvailabilityDay):
        model.objects.for_organization(organization).filter(days).delete()


def _write(
    organization: Organization, zone: ZoneInfo, now: datetime, days: list[date], steady: Sequence[Resource]
) -> None:
    """Bookings and money of these days, and the availability of the unchanged resources on them."""
    if not days:
        return
    counts = booking_counts(
        organization=organization,
        zone=zone,
        days=days,
        interval="day",
        dims=("resource", "service", "status"),
        now=now,
        holds="exclude",
    )
    BookingDay.objects.for_organization(organization).bulk_create(
        BookingDay(
            organization=organization,
            day=day,
            resource_id=resource,
            service_id=service,
            status=status,
            count=count,
            seconds=seconds,
        )
        for (day, resource, service, status), (count, seconds) in counts.items()
    )
    money: list[MoneyDay] = []
    for currency in _currencies(organization):
        totals = money_totals(
            organization=organization, zone=zone, currency=currency, days=days, interval="day"
        )
        money.extend(
            MoneyDay(
                organization=organization,
                day=day,
                currency=currency,
                payments=p,
                refunds=r,
                invoiced=i,
                receivables=rec,
            )
            for day, (p, r, i, rec) in totals.items()
        )
    MoneyDay.objects.for_organization(organization).bulk_create(money)
    _write_availability(organization, zone, days, list(steady))


def _write_availability(
    organization: Organization, zone: ZoneInfo, days: list[date], resources: list[Any]
) -> None:
    if not days or not resources:
        return
    seconds = available_seconds(organization=organization, zone=zone, days=days, resources=resources)
    AvailabilityDay.objects.for_organization(organization).bulk_create(
        (
            AvailabilityDay(organization=organization, day=day, resource_id=resource, seconds=value)
            for (day, resource), value in seconds.items()
        ),
        batch_size=5000,
    )


def _write_months(organization: Organization, months: set[date], availability_months: set[date]) -> None:
    """The month rows of these months, summed from their day rows."""
    for month_model, day_model, wanted, fields in (
        (BookingMonth, BookingDay, months, ("resource_id", "service_id", "status")),
        (AvailabilityMonth, AvailabilityDay, availability_months, ("resource_id",)),
    ):
        month_model.objects.for_organization(organization).filter(month__in=wanted).delete()
        sums = (
            day_model.objects.for_organization(organization)
            .filter(
                day__gte=min(wanted, default=date.max),
                day__lt=max(wanted, default=date.min) + timedelta(days=31),
            )
            .annotate(month=TruncMonth("day"))
            .filter(month__in=wanted)
            .values("month", *fields)
            .annotate(
                **({"count": Sum("count")} if month_model is BookingMonth else {}), seconds=Sum("seconds")
            )
        )
        month_model.objects.for_organization(organization).bulk_create(
            (month_model(organization=organization, **row) for row in sums), batch_size=5000
        )


# The day rows per one dimension (status, service, resource), summed from the (already written)
# booking rows of those days; then the month rows of those months from them, and the year rows of
# those years from the month rows. Also in migrations 0006 and 0008.
_KEY_DAYS_SQL = (
    "INSERT INTO analytics_bookingkeyday (organization_id, day, dim, key, count, seconds)"
    " SELECT %(o)s, day, dim, key, sum(count), sum(seconds) FROM ("
    " SELECT day, 'status' AS dim, status AS key, count, seconds FROM analytics_bookingday"
    " WHERE organization_id = %(o)s AND day = ANY(%(days)s)"
    " UNION ALL SELECT day, 'service', coalesce(service_id::text, ''), count, seconds"
    " FROM analytics_bookingday WHERE organization_id = %(o)s AND day = ANY(%(days)s)"
    " UNION ALL SELECT day, 'resource', resource_id::text, count, seconds FROM analytics_bookingday"
    " WHERE organization_id = %(o)s AND day = ANY(%(days)s)"
    " ) AS x GROUP BY day, dim, key"
)
_KEY_MONTHS_SQL = (
    "INSERT INTO analytics_bookingkeymonth (organization_id, month, dim, key, count, seconds)"
    " SELECT %(o)s, date_trunc('month', day::timestamp)::date, dim, key, sum(count), sum(seconds)"
    " FROM analytics_bookingkeyday WHERE organization_id = %(o)s AND day >= %(lo)s AND day < %(hi)s"
    " AND date_trunc('month', day::timestamp)::date = ANY(%(months)s) GROUP BY 2, dim, key"
)
_KEY_YEARS_SQL = (
    "INSERT INTO analytics_bookingkeyyear (organization_id, year, dim, key, count, seconds)"
    " SELECT %(o)s, date_trunc('year', month::timestamp)::date, dim, key, sum(count), sum(seconds)"
    " FROM analytics_bookingkeymonth WHERE organization_id = %(o)s AND month >= %(lo)s AND month < %(hi)s"
    " AND date_trunc('year', month::timestamp)::date = ANY(%(years)s) GROUP BY 2, dim, key"
)


def _write_keys(organization: Organization, days: list[date], months: set[date]) -> None:
    """The per-dimension rows of these days (their old ones cleared with the day rows), months and
    their years."""
    if not days:
        return
    years = sorted({month.replace(month=1) for month in months})
    BookingKeyMonth.objects.for_organization(organization).filter(month__in=months).delete()
    BookingKeyYear.objects.for_organization(organization).filter(year__in=years).delete()
    with connection.cursor() as cursor:
        cursor.execute(_KEY_DAYS_SQL, {"o": organization.id, "days": days})
        cursor.execute(
            _KEY_MONTHS_SQL,
            {
                "o": organization.id,
                "lo": min(months),
                "hi": max(months) + timedelta(days=31),
                "months": sorted(months),
            },
        )
        cursor.execute(
            _KEY_YEARS_SQL,
            {
                "o": organization.id,
                "lo": years[0],
                "hi": years[-1].replace(year=years[-1].year + 1),
                "years": years,
            },
        )


# A week's or month's booked and available seconds per resource, summed from its day rows.
_PERIOD_SQL = (
    "INSERT INTO {table} (organization_id, {column}, resource_id, booked, available)"
    " SELECT %(o)s, period, resource_id, sum(booked), sum(available) FROM ("
    " SELECT date_trunc('{unit}', day::timestamp)::date AS period, resource_id, seconds AS booked,"
    " 0 AS available FROM analytics_bookingday WHERE organization_id = %(o)s AND day >= %(lo)s"
    " AND day < %(hi)s AND status = ANY(%(booked)s)"
    " UNION ALL SELECT date_trunc('{unit}', day::timestamp)::date, resource_id, 0, seconds"
    " FROM analytics_availabilityday WHERE organization_id = %(o)s AND day >= %(lo)s AND day < %(hi)s"
    " ) AS x WHERE period = ANY(%(periods)s) GROUP BY period, resource_id"
)
_PERIODS: dict[str, tuple[type[UtilizationWeek] | type[UtilizationMonth], str, timedelta]] = {
    "week": (UtilizationWeek, "week", timedelta(days=7)),
    "month": (UtilizationMonth, "month", timedelta(days=31)),
}


def _write_periods(organization: Organization, unit: str, starts: set[date]) -> None:
    """The week or month rows of these weeks or months, summed from their (already written) day rows."""
    if not starts:
        return
    model, column, longest = _PERIODS[unit]
    model.objects.for_organization(organization).filter(**{f"{column}__in": starts}).delete()
    with connection.cursor() as cursor:
        cursor.execute(
            _PERIOD_SQL.format(table=model._meta.db_table, column=column, unit=unit),
            {
                "o": organization.id,
                "lo": min(starts),
                "hi": max(starts) + longest,
                "booked": list(BOOKED_STATUSES),
                "periods": sorted(starts),
            },
        )


def rollups_refresh_all(*, now: datetime | None = None) -> int:
    """Every organization's rollups (the periodic job); returns the days recomputed."""
    return sum(rollups_refresh(organization=org, now=now) for org in Organization.objects.order_by("id"))
