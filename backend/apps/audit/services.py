"""Writes to the audit trail beyond auditlog's own: scrubbing erased personal data."""

from __future__ import annotations

from typing import Any

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models

from apps.identity.models import Organization

ERASED = "[erased]"


def _scrub_changes(changes: Any, fields: frozenset[str], keep: frozenset[str]) -> Any:
    if not isinstance(changes, dict):
        return changes
    kept: tuple[object, ...] = (None, "", [], "[]", "None", *keep)
    return {
        name: ([v if v in kept else ERASED for v in diff] if name in fields else diff)
        for name, diff in changes.items()
    }


def audit_scrub_object(
    *,
    organization: Organization,
    instance: models.Model,
    fields: frozenset[str],
    object_repr: str,
    keep: frozenset[str] = frozenset(),
) -> int:
    """Overwrites `fields` values in every entry about `instance`; the entries stay (who, when, what)."""
    content_type = ContentType.objects.get_for_model(instance)
    entries = LogEntry.objects.filter(
        content_type=content_type,
        object_pk=str(instance.pk),
        additional_data__organization_id=str(organization.id),
    )
    count = 0
    for pk, changes in entries.values_list("pk", "changes"):
        # update(), not save(): auditlog's actor hook would stamp the eraser onto actor-less entries.
        LogEntry.objects.filter(pk=pk).update(
            changes=_scrub_changes(changes, fields, keep),
            changes_text="",
            object_repr=object_repr,
            serialized_data=None,
        )
        count += 1
    return count
