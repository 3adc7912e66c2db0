"""What has expired under an organization's retention settings, as SQL conditions.

One definition serves the purge (`services.retention_purge`) and its dry run
(`selectors.retention_expired_counts`). Each kind names its table and a condition on the
organization and the cutoff (`%s` placeholders, in that order).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from auditlog.models import LogEntry

from apps.events.models import Delivery, Event
from apps.notifications.models import Notification, NotificationDispatch
from apps.retention.models import RetentionSettings

_EVENT = Event._meta.db_table
_DELIVERY = Delivery._meta.db_table
_LOG = LogEntry._meta.db_table
# auditlog keeps the tenant in `additional_data`; this expression is the one its index covers
# (audit migration 0001), so a purge reads one organization's old entries by index.
_LOG_ORGANIZATION = "(additional_data ->> 'organization_id')"
_PENDING = f"SELECT 1 FROM {_DELIVERY} d WHERE d.event_id = {_EVENT}.id AND d.status = 'pending'"  # noqa: S608


@dataclass(frozen=True)
class Kind:
    name: str
    table: str
    condition: str
    days_field: str

    def cutoff(self, settings: RetentionSettings, now: datetime) -> datetime:
        days: int = getattr(settings, self.days_field)
        return now - timedelta(days=days)


# Only events whose every delivery is final: a pending one (queued or waiting for a retry) is
# never purged. Counted from `occurred_at`, so an event leaves the outbox (and can no longer be
# redelivered) at most `events_days` after it happened: the receivers keep their dedup keys longer.
EVENTS = Kind(
    name="events",
    table=_EVENT,
    condition=f"{_EVENT}.organization_id = %s AND {_EVENT}.occurred_at < %s AND NOT EXISTS ({_PENDING})",
    days_field="events_days",
)
NOTIFICATIONS = Kind(
    name="notifications",
    table=Notification._meta.db_table,
    condition="organization_id = %s AND created_at < %s",
    days_field="notifications_days",
)
NOTIFICATION_DISPATCHES = Kind(
    name="notification_dispatches",
    table=NotificationDispatch._meta.db_table,
    condition="organization_id = %s AND created_at < %s",
    days_field="notifications_days",
)
AUDIT_CHANGES = Kind(
    name="audit_changes",
    table=_LOG,
    condition=f"{_LOG_ORGANIZATION} = %s AND timestamp < %s AND action <> {LogEntry.Action.ACCESS}",
    days_field="audit_days",
)
ACCESS_LOG = Kind(
    name="access_log",
    table=_LOG,
    condition=f"{_LOG_ORGANIZATION} = %s AND timestamp < %s AND action = {LogEntry.Action.ACCESS}",
    days_field="access_log_days",
)
# Purge order: events first (a purge of their attempts writes nothing to the audit trail),
# the audit trail last.
KINDS = (EVENTS, NOTIFICATIONS, NOTIFICATION_DISPATCHES, AUDIT_CHANGES, ACCESS_LOG)
