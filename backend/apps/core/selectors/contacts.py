"""Contact reads, always within one organization."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from apps.core.exceptions import ContactNotFound
from apps.core.gdpr import export_sections
from apps.core.models import Contact
from apps.identity.models import Organization


def contact_get(*, organization: Organization, contact_id: uuid.UUID) -> Contact:
    try:
        contact: Contact = Contact.objects.for_organization(organization).get(pk=contact_id)
    except Contact.DoesNotExist as exc:
        raise ContactNotFound("No such contact.") from exc
    return contact


def contact_list(
    *,
    organization: Organization,
    q: str | None = None,
    tags: Sequence[str] = (),
    include_archived: bool = False,
) -> QuerySet[Contact]:
    """`q`: case-insensitive substring of name, email or phone (trigram-indexed); `tags`: all must match."""
    contacts = Contact.objects.for_organization(organization).defer("search_text")
    if not include_archived:
        contacts = contacts.filter(archived_at__isnull=True)
    term = " ".join((q or "").split()).lower()
    if term:
        contacts = contacts.filter(search_text__contains=term)
    if tags:
        contacts = contacts.filter(tags__contains=list(tags))
    return contacts


def contact_export(*, contact: Contact) -> dict[str, Any]:
    """Everything the hub holds on the contact, one section per registered app."""
    return {
        "generated_at": timezone.now(),
        "sections": {name: section(contact) for name, section in export_sections().items()},
    }
