"""Contact reads, always within one organization."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import phonenumbers
from django.db.models import Q, QuerySet
from django.utils import timezone
from email_validator import EmailNotValidError

from apps.audit.services import audit_access
from apps.core.exceptions import ContactNotFound
from apps.core.gdpr import export_sections
from apps.core.models import Contact
from apps.core.phones import email_lookup_form, normalize_email, normalize_phone
from apps.identity.models import Organization, User
from hubkit.encryption.keys import blind_index


def contact_get(*, organization: Organization, contact_id: uuid.UUID) -> Contact:
    try:
        contact: Contact = Contact.objects.for_organization(organization).get(pk=contact_id)
    except Contact.DoesNotExist as exc:
        raise ContactNotFound("No such contact.") from exc
    return contact


def contact_read(*, organization: Organization, contact_id: uuid.UUID, actor: User | None) -> Contact:
    """The contact for a caller to see in full (its detail): the read is on the audit trail (`access`)."""
    contact = contact_get(organization=organization, contact_id=contact_id)
    audit_access(instance=contact, actor=actor)
    return contact


def contact_list(
    *,
    organization: Organization,
    q: str | None = None,
    tags: Sequence[str] = (),
    include_archived: bool = False,
) -> QuerySet[Contact]:
    """`q`: case-insensitive substring of the name (trigram-indexed), or a whole email or phone number.

    Email and phone are encrypted, so they match exactly (after the normalisation they are stored
    with) through their blind indexes, never as substrings; `tags`: all must match.
    """
    contacts = Contact.objects.for_organization(organization).defer("search_text")
    if not include_archived:
        contacts = contacts.filter(archived_at__isnull=True)
    term = " ".join((q or "").split()).lower()
    if term:
        matches = Q(search_text__contains=term)
        if index := _email_index_of(term):
            matches |= Q(email_index=index)
        if index := _phone_index_of(term):
            matches |= Q(phone_index=index)
        contacts = contacts.filter(matches)
    if tags:
        contacts = contacts.filter(tags__contains=list(tags))
    return contacts


def _email_index_of(term: str) -> str:
    try:
        return blind_index(email_lookup_form(normalize_email(term)))
    except EmailNotValidError:
        return ""


def _phone_index_of(term: str) -> str:
    try:
        return blind_index(normalize_phone(term))
    except (phonenumbers.NumberParseException, ValueError):
        return ""


def contact_export(*, contact: Contact, actor: User | None) -> dict[str, Any]:
    """Everything the hub holds on the contact, one section per registered app.

    The read is then recorded (`access`): the export lists the trail as it was before it.
    """
    export = {
        "generated_at": timezone.now(),
        "sections": {name: section(contact) for name, section in export_sections().items()},
    }
    audit_access(instance=contact, actor=actor)
    return export
