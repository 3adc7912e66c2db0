"""The organization's retention periods; an organization without a row has the defaults."""

from __future__ import annotations

import uuid

from auditlog.registry import auditlog
from django.db import models

from apps.identity.tenancy import TenantModel
from hubkit.retention import EVENT_REDELIVERY_MAX_DAYS

# (default, minimum, maximum) in days, per kind of record. The reasons are in AGENTS.md, "Retention".
# Receivers keep their dedupe keys longer than the largest events period (hubkit.retention).
EVENTS_DAYS = (30, 7, EVENT_REDELIVERY_MAX_DAYS)
NOTIFICATIONS_DAYS = (180, 30, 730)
AUDIT_DAYS = (1095, 365, 3650)
ACCESS_LOG_DAYS = (365, 90, 3650)


class RetentionSettings(TenantModel):
    """How long the hub keeps an organization's delivered events, notifications and audit entries."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    # Events whose every delivery is final (delivered or given up), counted from `occurred_at`.
    events_days = models.PositiveIntegerField(default=EVENTS_DAYS[0])
    # In-app notifications and their dispatch records (a send's dedupe keys), from `created_at`.
    notifications_days = models.PositiveIntegerField(default=NOTIFICATIONS_DAYS[0])
    # Change entries of the audit trail (create, update, delete).
    audit_days = models.PositiveIntegerField(default=AUDIT_DAYS[0])
    # Access entries (who read a contact's personal data): the security log.
    access_log_days = models.PositiveIntegerField(default=ACCESS_LOG_DAYS[0])
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="retention_settings_one_per_org"),
        ]

    def __str__(self) -> str:
        return "Retention settings"


auditlog.register(RetentionSettings, exclude_fields=["updated_at"])
