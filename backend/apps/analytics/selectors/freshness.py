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
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone

from apps.analytics.models import RollupState
from apps.analytics.periods import days_between, local_days_of
from apps.core.models import Resource, TimeOff, WorkingHoursOverride
from apps.identity.models import Organization
from apps.scheduling.models import Booking

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
        return [
            day
            for day in days_between(first, last)
            if day < covered_from or day > covered_to or day in self.changed_days
        ]


def plan_of(*, organization: Organization) -> Plan:
    state = RollupState.objects.for_organization(organization).first()
    if state is None or state.timezone != organization.timezone:
        return Plan(state=None)
    return changes_since(organization=organization, state=state)


def _changed_dates(day: str, table: str, stamp: str, params: list[Any]) -> set[date]:
    """Distinct dates (`day`, an expression) of the table's rows stamped at or after a moment."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT {day} FROM {table} WHERE organization_id = %s AND {stamp} >= %s",  # noqa: S608 - only this module's fragments; values are parameters
            params,
        )
        return {row[0] for row in cursor.fetchall() if row[0] is not None}


def changes_since(*, organization: Organization, state: RollupState) -> Plan:
    zone, since, org = ZoneInfo(state.timezone), state.computed_at, organization.id
    plan = Plan(state=state)
    local = "(({} AT TIME ZONE %s)::date)"
    for table, day, stamp in (
        ("scheduling_booking", local.format("start"), "updated_at"),
        ("transactions_payment", local.format("received_at"), "created_at"),
        ("transactions_refund", local.format("created_at"), "created_at"),
        ("transactions_ledgertransaction", local.format("occurred_at"), "created_at"),
    ):
        plan.changed_days |= _changed_dates(day, table, stamp, [zone.key, org, since])
    plan.changed_days |= _changed_dates("issue_date", "transactions_invoice", "updated_at", [org, since])
    time_off = TimeOff.objects.for_organization(organization).filter(created_at__gte=since)
    periods = list(time_off.values_list("start", "end"))
    on_dates = set(
        WorkingHoursOverride.objects.for_organization(organization)
        .filter(updated_at__gte=since)
        .values_list("date", flat=True)
    )
    for entry in _audit_entries(organization, since):
        periods.extend(entry["periods"])
        on_dates |= entry["dates"]
        plan.changed_days |= {start.astimezone(zone).date() for start in entry["starts"]}
    for start, end in periods:
        if end - start > _LONG_TIME_OFF:
            plan.availability_changed = True
        else:
            plan.changed_days |= {day for day, _, _ in local_days_of(start, end, zone)}
    for on in on_dates:  # a resource's local date meets the organization's days either side
        plan.changed_days |= {on - timedelta(days=1), on, on + timedelta(days=1)}
    plan.changed_resources = set(
        Resource.objects.for_organization(organization)
        .filter(updated_at__gte=since)
        .values_list("id", flat=True)
    )
    return plan


def _audit_entries(organization: Organization, since: datetime) -> list[dict[str, Any]]:
    """Old values the rows no longer show: a moved booking's start, deleted time off and overrides."""
    types = ContentType.objects.get_for_models(Booking, TimeOff, WorkingHoursOverride)
    kinds = {content_type.id: model for model, content_type in types.items()}
    found = []
    entries = LogEntry.objects.filter(
        content_type_id__in=list(kinds),
        timestamp__gte=since,
        additional_data__organization_id=str(organization.id),
    ).values_list("content_type_id", "changes")
    for content_type_id, logged in entries:
        model, changes = kinds[content_type_id], logged or {}
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


_VERSION_SQL = """
SELECT
  (SELECT max(updated_at) FROM scheduling_booking WHERE organization_id = %(o)s),
  (SELECT count(*) FROM scheduling_booking
    WHERE organization_id = %(o)s AND status = 'held' AND hold_expires_at > %(now)s),
  (SELECT max(updated_at) FROM transactions_invoice WHERE organization_id = %(o)s),
  (SELECT max(created_at) FROM transactions_payment WHERE organization_id = %(o)s),
  (SELECT max(created_at) FROM transactions_refund WHERE organization_id = %(o)s),
  (SELECT max(created_at) FROM transactions_ledgertransaction WHERE organization_id = %(o)s),
  (SELECT max(updated_at) FROM core_resource WHERE organization_id = %(o)s),
  (SELECT count(*) FROM core_resource WHERE organization_id = %(o)s),
  (SELECT max(created_at) FROM core_timeoff WHERE organization_id = %(o)s),
  (SELECT count(*) FROM core_timeoff WHERE organization_id = %(o)s),
  (SELECT max(updated_at) FROM core_workinghoursoverride WHERE organization_id = %(o)s),
  (SELECT count(*) FROM core_workinghoursoverride WHERE organization_id = %(o)s),
  (SELECT max(updated_at) FROM core_service WHERE organization_id = %(o)s),
  (SELECT max(updated_at) FROM transactions_billingsettings WHERE organization_id = %(o)s)
"""


@dataclass(frozen=True)
class DataVersion:
    """What every figure depends on, as a short string; `settled` once no write is seconds old."""

    key: str
    settled: bool


# A write stamped within this many seconds may belong to a transaction that commits after another,
# later-stamped one: an answer computed now is not cached (max(updated_at) could miss it).
SETTLE_SECONDS = 5  # settings.ANALYTICS_SETTLE_SECONDS overrides it


def data_version(*, organization: Organization, now: datetime) -> DataVersion:
    with connection.cursor() as cursor:
        cursor.execute(_VERSION_SQL, {"o": organization.id, "now": now})
        values = cursor.fetchone() or ()
    stamps = [v for v in values if isinstance(v, datetime)]
    settle = timedelta(seconds=getattr(settings, "ANALYTICS_SETTLE_SECONDS", SETTLE_SECONDS))
    settled = all(stamp < now - settle for stamp in stamps)
    key = "|".join(
        [organization.timezone, *(v.isoformat() if isinstance(v, datetime) else str(v) for v in values)]
    )
    return DataVersion(key=key, settled=settled)
