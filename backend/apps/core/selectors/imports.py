"""Contact import reads, and the rows of the contacts export."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from django.db.models import Q, QuerySet

from apps.audit.services import audit_access_all
from apps.core.exceptions import ContactImportNotFound
from apps.core.models import Contact, ContactImport
from apps.identity.models import Organization, User

EXPORT_COLUMNS = [
    "id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "notes",
    "tags",
    "archived_at",
    "created_at",
    "updated_at",
]
EXPORT_BATCH = 500


def contact_import_get(*, organization: Organization, import_id: uuid.UUID) -> ContactImport:
    try:
        found: ContactImport = (
            ContactImport.objects.for_organization(organization).defer("content").get(pk=import_id)
        )
    except ContactImport.DoesNotExist as exc:
        raise ContactImportNotFound("No such contact import.") from exc
    return found


def contact_import_list(*, organization: Organization) -> QuerySet[ContactImport]:
    return ContactImport.objects.for_organization(organization).defer("content", "row_errors")


def contact_export_rows(*, organization: Organization, actor: User | None) -> Iterator[list[Any]]:
    """Every contact of the organization not erased (archived ones too), oldest first, as CSV rows.

    The export is recorded once on the audit trail (`access`, before the first row); the rows
    are read in keyset batches of EXPORT_BATCH as the answer streams.
    """
    audit_access_all(
        organization=organization, model=Contact, actor=actor, object_repr="Contacts export (CSV)"
    )
    return _export_batches(organization)


def _export_batches(organization: Organization) -> Iterator[list[Any]]:
    contacts = (
        Contact.objects.for_organization(organization)
        .filter(erased_at__isnull=True)
        .defer("search_text")
        .order_by("created_at", "id")
    )
    after: tuple[Any, Any] | None = None
    while True:
        page = contacts
        if after is not None:
            page = page.filter(Q(created_at__gt=after[0]) | Q(created_at=after[0], id__gt=after[1]))
        batch = list(page[:EXPORT_BATCH])
        for contact in batch:
            yield [
                str(contact.id),
                contact.first_name,
                contact.last_name,
                contact.email,
                contact.phone,
                contact.notes,
                ",".join(contact.tags),
                contact.archived_at.isoformat() if contact.archived_at else "",
                contact.created_at.isoformat(),
                contact.updated_at.isoformat(),
            ]
        if len(batch) < EXPORT_BATCH:
            return
        after = (batch[-1].created_at, batch[-1].id)
