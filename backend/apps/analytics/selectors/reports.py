"""The four analytics answers (summary, revenue, utilization, bookings), cached per data version.

Definitions (all over local dates of the organization's zone, both ends included):

- Bookings count on the local date of their start, every status, an expired hold as cancelled.
- Booked time: bookings held (unexpired), pending, confirmed, completed or no-show (the resource
  was kept for them); cancelled never. A booking's whole length counts on its start date.
- Available time: working hours of each active resource (a date's override replacing them), time
  off cut out, split at the organization's local midnights. `utilization` = booked ÷ available
  minutes of the active resources (both sides), null when nothing is available.
- `no_show_rate` = no_show ÷ (completed + no_show): of the bookings whose outcome is known.
  `cancellation_rate` = cancelled ÷ all bookings. Null when the denominator is 0.
- Money in the organization's billing currency, cash-basis: payments by `received_at` date,
  refunds by their `created_at` date, `revenue_net` = gross - refunds; `invoiced` = totals of
  invoices issued (by `issue_date`), void ones excluded; `outstanding` = the receivables balance at
  the end of `to` (all of it, if `to` is today or later). Money ignores the resource and service
  filters (payments belong to neither).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from apps.analytics.periods import EARLIEST, LATEST, MAX_DAYS, Interval, buckets
from apps.analytics.selectors.figures import (
    Window,
    active_resource_names,
    active_resources,
    availability_is_live,
    booking_figures,
    live_availability_figures,
    live_booking_figures,
    money_figures,
    outstanding,
)
from apps.analytics.selectors.freshness import DataVersion, data_version, plan_of
from apps.analytics.selectors.live import money_totals
from apps.analytics.selectors.rollups import MoneyText, rollup_money_text, rollup_summary, rollup_utilization
from apps.core.models import Resource, Service
from apps.core.money import Money, currency_exponent, money_dicts
from apps.identity.models import Organization
from apps.scheduling.models import BookingStatus
from hubkit.errors import ValidationFailed

CACHE_SECONDS = 600
_ZERO = Decimal(0)


def check_range(first: date, last: date) -> None:
    """422 for a range the reports do not answer: reversed, absurd dates or longer than three years."""
    for name, value in (("from", first), ("to", last)):
        if not EARLIEST <= value <= LATEST:
            raise ValidationFailed(
                "The date is out of range.",
                errors=[{"field": name, "message": f"Between {EARLIEST} and {LATEST}."}],
            )
    if first > last:
        raise ValidationFailed(
            "The period is empty.", errors=[{"field": "to", "message": "to is before from."}]
        )
    if (last - first).days + 1 > MAX_DAYS:
        raise ValidationFailed(
            "The period is too long.",
            errors=[{"field": "to", "message": f"At most {MAX_DAYS} days at once."}],
        )


def check_cells(cells: int, *, narrow: str) -> None:
    """422 for a JSON series of more cells than `ANALYTICS_MAX_JSON_CELLS`, before anything is read.

    A JSON answer is built, rendered and cached whole; a long range by day over many resources
    would hold hundreds of thousands of cells. The CSV variant streams and stays unbounded.
    """
    limit = settings.ANALYTICS_MAX_JSON_CELLS
    if cells <= limit:
        return
    message = (
        f"{cells} cells; a JSON series holds at most {limit}. Ask a shorter range, a coarser"
        f" interval, {narrow}, or format=csv (unbounded)."
    )
    raise ValidationFailed(
        "The series is too large.",
        errors=[{"field": name, "message": message} for name in ("from", "to", "interval")],
    )


@dataclass(frozen=True)
class Report:
    """One answer over a range: its document computed afresh (`document`: what the CSV streams and
    the tests compare), or its JSON body, bounded and from the cache (`json`)."""

    organization: Organization
    endpoint: str
    params: dict[str, Any]
    compute: Callable[[Window], Any]
    interval: Interval
    series: bool = True  # the JSON body is `{"items": document}`
    cells: Callable[[], int] | None = None  # a series' cells, counted without reading any figure
    narrow: str = ""  # how else to narrow a series refused for its size

    def window(self, now: datetime, version: DataVersion | None = None) -> Window:
        return Window(
            organization=self.organization,
            first=self.params["from"],
            last=self.params["to"],
            interval=self.interval,
            plan=plan_of(organization=self.organization, version=version),
            now=now,
            saved_currency=version.currency if version is not None else None,
        )

    def document(self) -> Any:
        return self.compute(self.window(timezone.now()))

    def json(self, render: Callable[[Any], bytes]) -> bytes:
        """The rendered JSON body (`render`: the API's renderer), 422 first if the series is too large."""
        if self.cells is not None:
            check_cells(self.cells(), narrow=self.narrow)
        return cached(self, render)


def cached(report: Report, render: Callable[[Any], bytes]) -> bytes:
    """The report's JSON body, from Redis when the organization's data version has not moved since.

    Key: organization, endpoint, parameters and the data version (`freshness.data_version`), so
    any write that changes a figure changes the key and the next read computes afresh. The body is
    stored as rendered bytes: a hit costs the version query and a Redis read, nothing is rebuilt,
    validated or serialised again.
    """
    now = timezone.now()
    version = data_version(organization=report.organization, now=now)
    raw = json.dumps(
        [str(report.organization.id), report.endpoint, "json", report.params, version.key],
        sort_keys=True,
        default=str,
    )
    key = "analytics:" + hashlib.sha256(raw.encode()).hexdigest()
    found = cache.get(key)
    if isinstance(found, bytes):
        return found
    document = report.compute(report.window(now, version))
    body = render({"items": document} if report.series else document)
    if version.settled:
        cache.set(key, body, CACHE_SECONDS)
    return body


def ratio(part: int, whole: int) -> str | None:
    """part ÷ whole as a decimal string with four places, rounded half up (both not negative).

    In integers: exact, and cheap enough for the thousands of cells of a utilization series.
    """
    if not whole:
        return None
    if not part:
        return "0.0000"
    scaled = (part * 20_000 + whole) // (2 * whole)  # floor(part x 10,000 / whole + 1/2)
    return f"{scaled // 10_000}.{scaled % 10_000:04d}"


def _money(amount: Decimal, currency: str) -> dict[str, str]:
    return Money(amount, currency).as_dict()


def analytics_summary(
    *,
    organization: Organization,
    first: date,
    last: date,
    resource_id: uuid.UUID | None,
    service_id: uuid.UUID | None,
) -> Report:
    check_range(first, last)
    params = {"from": first, "to": last, "resource_id": resource_id, "service_id": service_id}
    return Report(
        organization,
        "summary",
        params,
        lambda w: _summary(w, resource_id, service_id),
        interval="all",
        series=False,
    )


def _summary(window: Window, resource_id: uuid.UUID | None, service_id: uuid.UUID | None) -> dict[str, Any]:
    org, live = window.organization, window.live_days()
    currency = window.currency()
    by_status = dict.fromkeys(BookingStatus.values, 0)
    booked = available = 0
    money = [_ZERO] * 3
    free: dict[Any, int] = {}
    changed: list[uuid.UUID] = []
    if availability_is_live(window):
        free, changed = live_availability_figures(window, resources=active_resources(org, resource_id))
    if window.plan.state is not None:
        rolled = rollup_summary(
            organization=org,
            currency=currency,
            first=window.first,
            last=window.last,
            skip=live,
            skip_resources=changed,
            resource_id=resource_id,
            service_id=service_id,
        )
        for status, count in rolled.by_status.items():
            by_status[status] += count
        booked, available, money = rolled.booked, rolled.available, rolled.money
    available += sum(free.values())
    counts = live_booking_figures(
        window, dims=("resource", "status"), resource_id=resource_id, service_id=service_id
    )
    active = _active_ids(org) if any(seconds for _, seconds in counts.values()) else set()
    for (_, resource, status), (count, seconds) in counts.items():
        by_status[str(status)] += count
        booked += seconds if resource in active else 0
    for values in money_totals(
        organization=org, zone=window.zone, currency=currency, days=live, interval="all"
    ).values():
        money = [a + b for a, b in zip(money, values[:3], strict=True)]
    gross, refunds, invoiced = money
    return {
        "from": window.first,
        "to": window.last,
        "timezone": org.timezone,
        "currency": currency,
        "bookings": {"total": sum(by_status.values()), "by_status": by_status},
        "booked_minutes": booked // 60,
        "available_minutes": available // 60,
        "utilization": ratio(booked, available),
        "no_show_rate": ratio(by_status["no_show"], by_status["completed"] + by_status["no_show"]),
        "cancellation_rate": ratio(by_status["cancelled"], sum(by_status.values())),
        "revenue_gross": _money(gross, currency),
        "refunds": _money(refunds, currency),
        "revenue_net": _money(gross - refunds, currency),
        "invoiced": _money(invoiced, currency),
        "outstanding": _money(outstanding(window, currency=currency), currency),
    }


def _active_ids(organization: Organization) -> set[uuid.UUID]:
    return set(
        Resource.objects.for_organization(organization).filter(is_active=True).values_list("id", flat=True)
    )


def analytics_revenue(*, organization: Organization, first: date, last: date, interval: Interval) -> Report:
    """One item per bucket (empty ones with zeros): 1098 at most, so unbounded."""
    check_range(first, last)
    params = {"from": first, "to": last, "interval": interval}
    return Report(organization, "revenue", params, _revenue, interval=interval)


def _revenue(window: Window) -> list[dict[str, Any]]:
    currency = window.currency()
    amounts = _revenue_amounts(window, currency)
    zero = Money(_ZERO, currency).as_dict()["amount"]
    nothing: MoneyText = (zero, zero, zero, zero)
    items = []
    for bucket in buckets(window.first, window.last, window.interval):
        gross, refunds, net, invoiced = amounts.get(bucket, nothing)
        items.append(
            {
                "bucket": bucket,
                "revenue_gross": {"amount": gross, "currency": currency},
                "refunds": {"amount": refunds, "currency": currency},
                "revenue_net": {"amount": net, "currency": currency},
                "invoiced": {"amount": invoiced, "currency": currency},
            }
        )
    return items


def _revenue_amounts(window: Window, currency: str) -> dict[Any, MoneyText]:
    """bucket → (gross, refunds, net, invoiced) as the API writes amounts: formatted by PostgreSQL
    when every day comes from the rollups (the usual read), else from the summed Decimals."""
    if window.plan.state is not None and not window.live_days():
        return rollup_money_text(
            organization=window.organization,
            currency=currency,
            first=window.first,
            last=window.last,
            interval=window.interval,
            places=currency_exponent(currency),
        )
    money = money_dicts(currency)
    return {
        bucket: (
            money(gross)["amount"],
            money(refunds)["amount"],
            money(gross - refunds)["amount"],
            money(invoiced)["amount"],
        )
        for bucket, (gross, refunds, invoiced, _) in money_figures(window, currency=currency).items()
    }


def analytics_utilization(
    *,
    organization: Organization,
    first: date,
    last: date,
    interval: Interval,
    resource_id: uuid.UUID | None,
    service_id: uuid.UUID | None,
) -> Report:
    """One item per bucket and active resource (empty ones included), resources by name.

    As JSON at most `ANALYTICS_MAX_JSON_CELLS` cells (buckets x active resources), counted before any figure.
    """
    check_range(first, last)

    def cells() -> int:
        resources = Resource.objects.for_organization(organization).filter(is_active=True)
        if resource_id is not None:
            resources = resources.filter(id=resource_id)
        return len(buckets(first, last, interval)) * resources.count()

    params = {
        "from": first,
        "to": last,
        "interval": interval,
        "resource_id": resource_id,
        "service_id": service_id,
    }
    return Report(
        organization,
        "utilization",
        params,
        lambda w: _utilization(w, resource_id, service_id),
        interval=interval,
        cells=cells,
        narrow="one resource (resource_id)",
    )


def _utilization(
    window: Window, resource_id: uuid.UUID | None, service_id: uuid.UUID | None
) -> list[dict[str, Any]]:
    # The rollups give the cells they hold; what is read live is added to them, keyed by the resource
    # id as text, as the rows carry it; then every bucket x active resource (by name) is laid out.
    live: dict[tuple[date, str], list[int]] = {}
    for (bucket, resource), (_, seconds) in live_booking_figures(
        window, dims=("resource",), resource_id=resource_id, service_id=service_id
    ).items():
        live.setdefault((bucket, str(resource)), [0, 0])[0] += seconds
    changed: list[uuid.UUID] = []
    if availability_is_live(window):
        free, changed = live_availability_figures(
            window, resources=active_resources(window.organization, resource_id)
        )
        for (bucket, resource), seconds in free.items():
            live.setdefault((bucket, str(resource)), [0, 0])[1] += seconds
    cells = rollup_utilization(
        organization=window.organization,
        first=window.first,
        last=window.last,
        skip=window.live_days() if window.plan.state is not None else None,
        skip_resources=changed,
        interval=window.interval,
        resource_id=resource_id,
        service_id=service_id,
    )
    zero = (0, 0)
    for key, (booked, available) in live.items():
        rolled = cells.get(key, zero)
        cells[key] = (rolled[0] + booked, rolled[1] + available)
    resources = active_resource_names(window.organization, resource_id)
    # Cells repeat (the same hours week after week, bookings of the same lengths): each distinct
    # one's figures are worked out once. A year by week over hundreds of resources is some 16,000
    # cells, and this loop their largest cost after reading them.
    figures: dict[tuple[int, int], tuple[int, int, str | None]] = {}
    items = []
    for bucket in buckets(window.first, window.last, window.interval):
        for resource, name in resources:
            cell = cells.get((bucket, resource), zero)
            found = figures.get(cell)
            if found is None:
                found = figures[cell] = (cell[0] // 60, cell[1] // 60, ratio(*cell))
            items.append(
                {
                    "bucket": bucket,
                    "resource_id": resource,
                    "resource_name": name,
                    "booked_minutes": found[0],
                    "available_minutes": found[1],
                    "utilization": found[2],
                }
            )
    return items


def analytics_bookings(
    *,
    organization: Organization,
    first: date,
    last: date,
    group_by: str,
    interval: Interval | None,
    resource_id: uuid.UUID | None,
    service_id: uuid.UUID | None,
) -> Report:
    """Counts per key (status, service or resource); with an interval one series per key, every
    bucket present; without, one item per key whose bucket is `from`. Keys: every status; the
    active resources or services and any other one with bookings in the range (`none`: no service).

    As JSON a series holds at most `ANALYTICS_MAX_JSON_CELLS` cells, counted before any booking is read,
    with every resource or service of the organization as a possible key.
    """
    check_range(first, last)
    params = {
        "from": first,
        "to": last,
        "group_by": group_by,
        "interval": interval,
        "resource_id": resource_id,
        "service_id": service_id,
    }
    return Report(
        organization,
        "bookings",
        params,
        lambda w: _bookings(w, group_by, interval is not None, resource_id, service_id),
        interval=interval or "all",
        cells=(
            None
            if interval is None
            else lambda: len(buckets(first, last, interval)) * _most_keys(organization, group_by)
        ),
        narrow="group_by=status",
    )


def _bookings(
    window: Window, group_by: str, series: bool, resource_id: uuid.UUID | None, service_id: uuid.UUID | None
) -> list[dict[str, Any]]:
    counts = booking_figures(window, dim=group_by, resource_id=resource_id, service_id=service_id)
    per_key: dict[tuple[Any, str], int] = {}
    for (bucket, key), count in counts.items():
        slot = (bucket if series else window.first, "none" if key is None else key)
        per_key[slot] = per_key.get(slot, 0) + count
    labels = _labels(window.organization, group_by, {key for _, key in per_key})
    bucket_list = buckets(window.first, window.last, window.interval) if series else [window.first]
    return [
        {"bucket": bucket, "key": key, "label": label, "count": per_key.get((bucket, key), 0)}
        for bucket in bucket_list
        for key, label in labels
    ]


def _most_keys(organization: Organization, group_by: str) -> int:
    """How many keys a series can list: every status, or every resource or service (and `none`)."""
    if group_by == "status":
        return len(BookingStatus.values)
    if group_by == "resource":
        return Resource.objects.for_organization(organization).count()
    return Service.objects.for_organization(organization).count() + 1


def _labels(organization: Organization, group_by: str, seen: set[str]) -> list[tuple[str, str]]:
    """(key, label) of every key to list, in label order (statuses in their lifecycle order)."""
    if group_by == "status":
        return [(status, status) for status in BookingStatus.values]
    model: type[Resource] | type[Service] = Resource if group_by == "resource" else Service
    # Every row of the organization, kept here: cheaper than matching hundreds of ids in SQL (an
    # ORM `id__in` of 300 ids prepares and quotes each one: about 15 ms).
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id::text, name, is_active FROM {model._meta.db_table} WHERE organization_id = %s",  # noqa: S608 - a model's own table name
            [organization.id],
        )
        rows = cursor.fetchall()
    found = sorted(
        ((pk, name) for pk, name, active in rows if active or pk in seen), key=lambda r: (r[1], r[0])
    )
    return [*found, ("none", "No service")] if "none" in seen else found
