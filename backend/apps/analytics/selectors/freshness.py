"""Which days the rollups may answer for, and the data version cached answers are keyed by.

The rollups are exact as of `RollupState.computed_at` (W). A read takes them for every day of its
range inside the covered days, except the days some source row changed on at or after W, which it
computes live from the rows (`live.py`). A changed row names its days:

- a booking, by its local start date, and by its old start date when it moved (from its audit
  entries, which keep the old value);
- a payment by `received_at`, a refund by `created_at`, a ledger transaction by `occurred_at`, an
  invoice by its `issue_date` (issue and void change `updated_at`);
- time off and working-hours overrides by the days they cover (deleted ones from their audit
  entries); a resource changed at or after W (hours, zone, deactivation) has its availability
  computed live over the whole range.

So a write is visible to the very next read, whether the job has run since or not.

The data version (`data_version`, what cached answers are keyed by) is the organization's newest
audit entry of each model a figure depends on, the ledger's newest row and the unexpired holds: one
round trip, which also reads the rollup state and the billing currency. When nothing is stamped at
or after W, the plan is the covered days as they are and the changes query is not run.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone

from apps.analytics.models import RollupState
from apps.analytics.periods import days_between, local_days_of
from apps.core.models import Resource, Service, TimeOff, WorkingHoursOverride
from apps.identity.models import Organization
from apps.scheduling.models import Booking
from apps.transactions.models import BillingSettings, Invoice, Payment, Refund

# Time off longer than this marks every day's availability as live instead of listing its days.
_LONG_TIME_OFF = timedelta(days=400)


@dataclass
class Plan:
    """What a read takes from the rollups and what it computes live."""

    state: RollupState | None
    changed_days: set[date] = field(default_factory=set)
    changed_resources: set[uuid.UUID] = field(default_factory=set)
    availability_changed: bool = False

    def live_days(self, first: date, last: date) -> list[date]:
        """Days of [first, last] computed from the rows: changed, or outside the covered days."""
        if self.state is None:
            return days_between(first, last)
        covered_from, covered_to = self.state.covered_from, self.state.covered_to
        found = {day for day in self.changed_days if first <= day <= last}
        if first < covered_from:
            found |= set(days_between(first, min(last, covered_from - timedelta(days=1))))
        if last > covered_to:
            found |= set(days_between(max(first, covered_to + timedelta(days=1)), last))
        return sorted(found)


def plan_of(*, organization: Organization, version: DataVersion | None = None) -> Plan:
    """The plan of a read, from its data version (read now if not given).

    Nothing stamped at or after W (the version's newest stamp is older) means the changes query
    has nothing to find: the plan is then the rollups' covered days as they are, with no query.
    """
    version = version or data_version(organization=organization, now=timezone.now())
    state = version.state
    if state is None or state.timezone != organization.timezone:
        return Plan(state=None)
    if version.newest is None or version.newest < state.computed_at:
        return Plan(state=state)
    return changes_since(organization=organization, state=state)


# Everything changed at or after W, in one round trip: the local dates of changed bookings and
# money, issue dates of changed invoices, new time off, changed override dates, changed resources
# and the audit entries that keep old values (a moved booking's start, deleted time off/overrides).
_CHANGES_SQL = """
SELECT
  ARRAY(SELECT DISTINCT (start AT TIME ZONE %(tz)s)::date FROM scheduling_booking
        WHERE organization_id = %(o)s AND updated_at >= %(since)s),
  ARRAY(SELECT DISTINCT (received_at AT TIME ZONE %(tz)s)::date FROM transactions_payment
        WHERE organization_id = %(o)s AND created_at >= %(since)s),
  ARRAY(SELECT DISTINCT (created_at AT TIME ZONE %(tz)s)::date FROM transactions_refund
        WHERE organization_id = %(o)s AND created_at >= %(since)s),
  ARRAY(SELECT DISTINCT (occurred_at AT TIME ZONE %(tz)s)::date FROM transactions_ledgertransaction
        WHERE organization_id = %(o)s AND created_at >= %(since)s),
  ARRAY(SELECT DISTINCT issue_date FROM transactions_invoice
        WHERE organization_id = %(o)s AND updated_at >= %(since)s AND issue_date IS NOT NULL),
  ARRAY(SELECT start FROM core_timeoff WHERE organization_id = %(o)s AND created_at >= %(since)s
        ORDER BY id),
  ARRAY(SELECT "end" FROM core_timeoff WHERE organization_id = %(o)s AND created_at >= %(since)s
        ORDER BY id),
  ARRAY(SELECT date FROM core_workinghoursoverride
        WHERE organization_id = %(o)s AND updated_at >= %(since)s),
  ARRAY(SELECT id FROM core_resource WHERE organization_id = %(o)s AND updated_at >= %(since)s),
  (SELECT coalesce(jsonb_agg(jsonb_build_array(content_type_id, changes)), '[]'::jsonb)
     FROM auditlog_logentry WHERE content_type_id = ANY(%(types)s) AND timestamp >= %(since)s
     AND additional_data ->> 'organization_id' = %(o_text)s)
"""


def changes_since(*, organization: Organization, state: RollupState) -> Plan:
    zone, since = ZoneInfo(state.timezone), state.computed_at
    types = ContentType.objects.get_for_models(Booking, TimeOff, WorkingHoursOverride)
    kinds = {content_type.id: model for model, content_type in types.items()}
    with connection.cursor() as cursor:
        cursor.execute(
            _CHANGES_SQL,
            {
                "tz": zone.key,
                "o": organization.id,
                "o_text": str(organization.id),
                "since": since,
                "types": list(kinds),
            },
        )
        row: tuple[Any, ...] = cursor.fetchone() or ([],) * 10  # a SELECT without FROM: one row
    *dated, starts, ends, on_dates, resources, logged = row
    plan = Plan(state=state)
    for days in dated:
        plan.changed_days |= set(days)
    periods = list(zip(starts, ends, strict=True))
    changed_on = set(on_dates)
    for entry in _audit_entries(kinds, logged):
        periods.extend(entry["periods"])
        changed_on |= entry["dates"]
        plan.changed_days |= {start.astimezone(zone).date() for start in entry["starts"]}
    for start, end in periods:
        if end - start > _LONG_TIME_OFF:
            plan.availability_changed = True
        else:
            plan.changed_days |= {day for day, _, _ in local_days_of(start, end, zone)}
    for on in changed_on:  # a resource's local date meets the organization's days either side
        plan.changed_days |= {on - timedelta(days=1), on, on + timedelta(days=1)}
    plan.changed_resources = set(resources)
    return plan


def _audit_entries(kinds: dict[int, type[Any]], logged: str | list[list[Any]]) -> list[dict[str, Any]]:
    """Old values the rows no longer show: a moved booking's start, deleted time off and overrides."""
    found = []
    # Django's connection hands jsonb over as its text.
    for content_type_id, recorded in json.loads(logged) if isinstance(logged, str) else logged:
        model, changes = kinds[content_type_id], recorded or {}
        entry: dict[str, Any] = {"periods": [], "dates": set(), "starts": []}
        if model is Booking and "start" in changes:
            entry["starts"] = [_instant(value) for value in changes["start"] if _instant(value)]
        elif model is TimeOff and "start" in changes and "end" in changes:
            start, end = _instant(changes["start"][0]), _instant(changes["end"][0])
            if start and end:
                entry["periods"].append((start, end))
        elif model is WorkingHoursOverride and "date" in changes:
            entry["dates"] = {date.fromisoformat(v) for v in changes["date"] if _is_date(v)}
        found.append(entry)
    return found


def _instant(value: object) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    # The audit log writes times as naive wall-clock times of the default zone (UTC here).
    return (
        parsed if parsed.tzinfo is not None else timezone.make_aware(parsed, timezone.get_default_timezone())
    )


def _is_date(value: object) -> bool:
    try:
        date.fromisoformat(str(value))
    except ValueError:
        return False
    return True


# What a figure depends on, and how its version sees a change. Every write of these models leaves
# an audit entry in its own transaction, stamped after the row's own stamps (the audit rules test
# holds every model and bulk write to that); a deleted row leaves one too. So the organization's
# newest change entry of each (one probe each, on audit migration 0002's index) moves with every
# write. The ledger is not audited: its own newest stamp. Holds expire without a write: their count.
_VERSIONED: tuple[type[Any], ...] = (
    Booking,
    Invoice,
    Payment,
    Refund,
    Resource,
    Service,
    TimeOff,
    WorkingHoursOverride,
    BillingSettings,
)
# action 3 is LogEntry.Action.ACCESS (a read), written out as the partial index has it, for the planner
# to match the two.
_VERSION_SQL = """
SELECT
  (SELECT max(newest.timestamp) FROM unnest(%(types)s::int[]) AS kind(id)
     CROSS JOIN LATERAL (SELECT timestamp FROM auditlog_logentry
       WHERE (additional_data ->> 'organization_id') = %(o_text)s AND content_type_id = kind.id
       AND action <> 3 ORDER BY timestamp DESC LIMIT 1) AS newest),
  (SELECT max(created_at) FROM transactions_ledgertransaction WHERE organization_id = %(o)s),
  (SELECT count(*) FROM scheduling_booking
    WHERE organization_id = %(o)s AND status = 'held' AND hold_expires_at > %(now)s),
  s.id, s.timezone, s.computed_at, s.covered_from, s.covered_to,
  (SELECT currency FROM transactions_billingsettings WHERE organization_id = %(o)s)
FROM (SELECT 1) AS one LEFT JOIN analytics_rollupstate s ON s.organization_id = %(o)s
"""
# The version's values: the two newest stamps (audit log, ledger) and the unexpired holds.
_VERSION_VALUES = 3


@dataclass(frozen=True)
class DataVersion:
    """What every figure depends on, as a short string; `settled` once no write is seconds old.

    `newest` is the latest of its stamps, and `state` the rollup state read with them (a plan
    made from this version needs no query of its own when nothing is stamped after the state's
    `computed_at`); `currency` the billing currency of the organization's saved settings (None:
    it never saved any, the default applies), read in the same round trip.
    """

    key: str
    settled: bool
    newest: datetime | None = None
    state: RollupState | None = None
    currency: str | None = None


def data_version(*, organization: Organization, now: datetime) -> DataVersion:
    with connection.cursor() as cursor:
        cursor.execute(
            _VERSION_SQL,
            {
                "o": organization.id,
                "o_text": str(organization.id),
                "types": [t.id for t in ContentType.objects.get_for_models(*_VERSIONED).values()],
                "now": now,
            },
        )
        row: tuple[Any, ...] = cursor.fetchone() or ()  # a SELECT of one row
    values = row[:_VERSION_VALUES]
    state_id, zone, computed_at, covered_from, covered_to, currency = row[_VERSION_VALUES:]
    stamps = [v for v in values if isinstance(v, datetime)]
    # A write stamped within ANALYTICS_SETTLE_SECONDS may belong to a transaction that commits after
    # another, later-stamped one: an answer computed now is not cached (the newest stamp could miss it).
    settle = timedelta(seconds=settings.ANALYTICS_SETTLE_SECONDS)
    settled = all(stamp < now - settle for stamp in stamps)
    key = "|".join(
        [organization.timezone, *(v.isoformat() if isinstance(v, datetime) else str(v) for v in values)]
    )
    state = (
        None
        if state_id is None
        else RollupState(
            id=state_id,
            organization=organization,
            timezone=zone,
            computed_at=computed_at,
            covered_from=covered_from,
            covered_to=covered_to,
        )
    )
    return DataVersion(
        key=key, settled=settled, newest=max(stamps, default=None), state=state, currency=currency
    )
