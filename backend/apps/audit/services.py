"""Writes to the audit trail beyond auditlog's own: scrubbing erased personal data, bulk entries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from auditlog.cid import get_cid
from auditlog.context import set_actor
from auditlog.diff import model_instance_diff
from auditlog.models import LogEntry
from auditlog.signals import accessed
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.encoding import smart_str

from apps.identity.models import Organization, User

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


def audit_bulk_created(
    instances: Sequence[models.Model], *, cids: Sequence[str | None], actor: Any = None
) -> list[LogEntry]:
    """The CREATE entries auditlog would write for rows saved one by one, for rows bulk-inserted.

    For hot paths that insert many rows of an audited model at once (delivery attempts, a
    notification's recipients). Each entry has the fields, diff and tenant data auditlog's own
    receiver gives it, and `actor` (a mirror user; None from background jobs); auditlog's
    pre/post_log signals are not sent.
    """
    entries = []
    for instance, cid in zip(instances, cids, strict=True):
        entries.append(
            LogEntry(
                content_type=ContentType.objects.get_for_model(instance),
                object_pk=str(instance.pk),
                object_id=instance.pk if isinstance(instance.pk, int) else None,
                object_repr=smart_str(instance),
                action=LogEntry.Action.CREATE,
                changes=model_instance_diff(
                    None, instance, use_json_for_changes=settings.AUDITLOG_STORE_JSON_CHANGES
                ),
                cid=cid,
                actor=actor,
                additional_data=_additional_data(instance),
            )
        )
    written: list[LogEntry] = LogEntry.objects.bulk_create(entries)
    return written


def _additional_data(instance: models.Model) -> Any:
    get_additional_data = getattr(instance, "get_additional_data", None)
    return get_additional_data() if callable(get_additional_data) else None


def audit_access(*, instance: models.Model, actor: User | None) -> None:
    """Records that the caller read the object's personal data (a detail or an export): one entry, `access`.

    django-auditlog's own access action: the actor, the request id (`cid`) and the organization
    are stored as on every change entry. List pages record nothing per row (see AGENTS.md).
    """
    # Reads run without auditlog's actor context (edge.permissions sets it for writes only).
    with set_actor(actor):
        accessed.send(sender=type(instance), instance=instance)


def audit_access_all(
    *, organization: Organization, model: type[models.Model], actor: User | None, object_repr: str
) -> LogEntry:
    """Records one read of every `model` row of the organization (a bulk export): one `access` entry.

    No single object: the entry names the model (`object_type`), an empty `object_id`, and says
    what was read in `object_repr`; actor, request id and organization as on any entry.
    """
    with set_actor(actor):
        entry: LogEntry = LogEntry.objects.create(
            content_type=ContentType.objects.get_for_model(model),
            object_pk="",
            object_repr=object_repr,
            action=LogEntry.Action.ACCESS,
            cid=get_cid(),
            additional_data={"organization_id": str(organization.id)},
        )
    return entry
