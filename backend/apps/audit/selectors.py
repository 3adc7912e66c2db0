"""Reads of the audit trail, always within one organization."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from auditlog.models import LogEntry
from django.db.models import QuerySet

from apps.identity.models import Organization

AuditKind = Literal["change", "access"]


def audit_entry_list(
    *,
    organization: Organization,
    object_type: str | None = None,
    object_id: str | None = None,
    actor_id: uuid.UUID | None = None,
    from_: datetime | None = None,
    to: datetime | None = None,
    kind: AuditKind | None = None,
) -> QuerySet[LogEntry]:
    """Entries about the organization's objects (auditlog stores the tenant in additional_data).

    `kind`: `change` (create, update, delete) or `access` (reads of personal data).
    """
    entries: QuerySet[LogEntry] = LogEntry.objects.filter(
        additional_data__organization_id=str(organization.id)
    ).select_related("actor", "content_type")
    if object_type:
        entries = entries.filter(content_type__model=object_type.replace("_", "").lower())
    if object_id:
        entries = entries.filter(object_pk=object_id)
    if actor_id:
        entries = entries.filter(actor_id=actor_id)
    if from_:
        entries = entries.filter(timestamp__gte=from_)
    if to:
        entries = entries.filter(timestamp__lt=to)
    if kind == "access":
        entries = entries.filter(action=LogEntry.Action.ACCESS)
    elif kind == "change":
        entries = entries.exclude(action=LogEntry.Action.ACCESS)
    return entries


def audit_entries_of_object(
    *, organization: Organization, model_label: str, object_pk: str
) -> QuerySet[LogEntry]:
    app_label, model = model_label.lower().split(".")
    entries: QuerySet[LogEntry] = (
        audit_entry_list(organization=organization)
        .filter(content_type__app_label=app_label, content_type__model=model, object_pk=object_pk)
        .order_by("timestamp", "id")
    )
    return entries
