"""Figures of a range: rollups for the days they answer for, live rows for the rest, added up.

Every function here gives the same answer whatever the rollups hold (none, stale or fresh): the
plan (`freshness.py`) decides per day which side counts it, never both.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import QuerySet

from apps.analytics.periods import Interval, day_start, days_between, instant_ranges
from apps.analytics.selectors.freshness import Plan
from apps.analytics.selectors.live import (
    BookingDims,
    MoneyRow,
    available_seconds,
    booking_counts,
    bucketed,
    counts_by_key,
    money_totals,
    receivables_change,
)
from apps.analytics.selectors.rollups import (
    rollup_booking_counts,
    rollup_money_totals,
    rollup_receivables,
)
from apps.core.models import Resource
from apps.identity.models import Organization
from apps.transactions.selectors import billing_settings_of


@dataclass(frozen=True)
class Window:
    """One read: the organization, its zone, the local dates [first, last] and the bucket size."""

    organization: Organization
    first: date
    last: date
    interval: Interval
    plan: Plan
    now: datetime
    saved_currency: str | None = None  # as the data version read it (None: not read, or never saved)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.organization.timezone)

    def currency(self) -> str:
        """The organization's billing currency: the version's reading, else its settings'."""
        if self.saved_currency is not None:
            return self.saved_currency
        return billing_settings_of(organization=self.organization).currency

    def live_days(self) -> list[date]:
        return self.plan.live_days(self.first, self.last)


def _add(into: dict[tuple[Any, ...], list[int]], other: dict[tuple[Any, ...], list[int]]) -> None:
    for key, (count, seconds) in other.items():
        found = into.setdefault(key, [0, 0])
        found[0] += count
        found[1] += seconds


def booking_figures(
    window: Window,
    *,
    dim: str,
    resource_id: uuid.UUID | None = None,
    service_id: uuid.UUID | None = None,
) -> dict[tuple[date, str | None], int]:
    """(bucket, key) → bookings starting in the window, the key as text (a status, a resource or
    service id; None: no service)."""
    found: dict[tuple[date, str | None], int] = {}
    if window.plan.state is not None:
        found = rollup_booking_counts(
            organization=window.organization,
            first=window.first,
            last=window.last,
            skip=window.live_days(),
            interval=window.interval,
            dim=dim,
            zone=window.zone,
            now=window.now,
            resource_id=resource_id,
            service_id=service_id,
        )
    # The rollup read counts the holds of its days too.
    live = live_booking_figures(
        window, dims=(dim,), resource_id=resource_id, service_id=service_id, rolled_holds=False
    )
    for key, count in counts_by_key(live).items():
        found[key] = found.get(key, 0) + count
    return found


def live_booking_figures(
    window: Window,
    *,
    dims: BookingDims,
    resource_id: uuid.UUID | None = None,
    service_id: uuid.UUID | None = None,
    rolled_holds: bool = True,
) -> dict[tuple[Any, ...], list[int]]:
    """What the figures read from the rows: the live days, and (`rolled_holds`) the holds of the
    days read from the rollups."""
    live = window.live_days()
    common: dict[str, Any] = {
        "organization": window.organization,
        "zone": window.zone,
        "now": window.now,
        "interval": window.interval,
        "dims": dims,
        "resource_id": resource_id,
        "service_id": service_id,
    }
    found = booking_counts(days=live, **common)
    if window.plan.state is not None and rolled_holds:
        # Holds are never rolled up (their expiry depends on the clock): read live on those days.
        every = days_between(window.first, window.last)
        rolled = set(every).difference(live) if live else every
        _add(found, booking_counts(days=rolled, holds="only", **common))
    return found


def _active(organization: Organization, resource_id: uuid.UUID | None) -> QuerySet[Resource]:
    resources = Resource.objects.for_organization(organization).filter(is_active=True).order_by("name", "id")
    return resources if resource_id is None else resources.filter(id=resource_id)


def active_resources(organization: Organization, resource_id: uuid.UUID | None = None) -> list[Resource]:
    """The active resources (or the one asked, if active), by name."""
    return list(_active(organization, resource_id))


def active_resource_names(
    organization: Organization, resource_id: uuid.UUID | None = None
) -> list[tuple[str, str]]:
    """(id as text, name) of `active_resources`, in the same order: no model instance or UUID built
    (a few hundred of them cost milliseconds)."""
    narrow, params = ("", []) if resource_id is None else (" AND id = %s", [resource_id])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id::text, name FROM core_resource WHERE organization_id = %s AND is_active"  # noqa: S608 - a fixed fragment
            f"{narrow} ORDER BY name, id",
            [organization.id, *params],
        )
        found: list[tuple[str, str]] = cursor.fetchall()
    return found


def availability_is_live(window: Window) -> bool:
    """Whether `live_availability_figures` has anything to compute (else: all from the rollups)."""
    plan = window.plan
    return (
        plan.state is None
        or plan.availability_changed
        or bool(plan.changed_resources)
        or bool(window.live_days())
    )


def live_availability_figures(
    window: Window, *, resources: list[Resource]
) -> tuple[dict[tuple[date, uuid.UUID], int], list[uuid.UUID]]:
    """Available seconds computed from the rows per (bucket, resource), and the resources read only so
    (the rollups' side of them is to be left out).

    A changed resource (or every one, without rollups or after a change of long time off) is
    computed over the whole window; the others only on the live days.
    """
    plan, org, zone = window.plan, window.organization, window.zone
    everything = plan.state is None or plan.availability_changed
    changed = [r for r in resources if everything or r.id in plan.changed_resources]
    changed_ids = {r.id for r in changed}
    steady = [r for r in resources if r.id not in changed_ids]
    live = window.live_days()
    per_day: dict[tuple[date, uuid.UUID], int] = {}
    if changed:
        per_day |= available_seconds(
            organization=org, zone=zone, days=days_between(window.first, window.last), resources=changed
        )
    if steady and live:
        per_day |= available_seconds(organization=org, zone=zone, days=live, resources=steady)
    return bucketed(per_day, window.interval), [r.id for r in changed]


_ZERO = Decimal(0)


def money_figures(window: Window, *, currency: str) -> dict[Any, MoneyRow]:
    """bucket → [payments, refunds, invoiced, receivables change] in `currency`."""
    live = window.live_days()
    found: dict[Any, MoneyRow] = defaultdict(lambda: [_ZERO, _ZERO, _ZERO, _ZERO])
    parts = [
        money_totals(
            organization=window.organization,
            zone=window.zone,
            currency=currency,
            days=live,
            interval=window.interval,
        )
    ]
    if window.plan.state is not None:
        parts.append(
            rollup_money_totals(
                organization=window.organization,
                currency=currency,
                first=window.first,
                last=window.last,
                skip=live,
                interval=window.interval,
            )
        )
    parts = [part for part in parts if part]
    if len(parts) == 1:  # the usual read: all from the rollups, nothing to add up
        return parts[0]
    for part in parts:
        for bucket, values in part.items():
            found[bucket] = [a + b for a, b in zip(found[bucket], values, strict=True)]
    return dict(found)


def outstanding(window: Window, *, currency: str) -> Decimal:
    """The receivables balance at the end of the window's last day (or now, if that is later)."""
    org, zone, plan = window.organization, window.zone, window.plan
    end = day_start(window.last + timedelta(days=1), zone)
    if plan.state is None:
        return receivables_change(
            organization=org, currency=currency, ranges=[(day_start(date(1900, 1, 1), zone), end)]
        )
    state = plan.state
    through = min(window.last, state.covered_to)
    # Changed days before the covered ones count live too: nothing existed there at W.
    changed = [day for day in plan.changed_days if day <= through]
    live_ranges = instant_ranges(changed, zone)
    if window.last > state.covered_to:
        live_ranges.append((day_start(state.covered_to + timedelta(days=1), zone), end))
    total = rollup_receivables(organization=org, currency=currency, through=through, skip=changed)
    return total + receivables_change(organization=org, currency=currency, ranges=live_ranges)
