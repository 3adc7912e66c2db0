"""Contact writes: each one transaction holding the change, its audit entry and its outbox event."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import phonenumbers
from django.db import IntegrityError, transaction
from django.utils import timezone
from email_validator import EmailNotValidError

from apps.audit.services import audit_scrub_object
from apps.core.exceptions import ContactEmailTaken, ContactErased
from apps.core.gdpr import erasure_steps
from apps.core.models import CONTACT_PERSONAL_FIELDS, Contact
from apps.core.phones import normalize_email, normalize_phone
from apps.core.services.names import normalize_name
from apps.events.services import event_redact_subject, publish
from apps.events.types import EventType
from apps.identity.models import Organization, User
from apps.identity.tenancy import apply_changes, refresh_for_update
from hubkit.errors import ValidationFailed

EMAIL_CONSTRAINT = "core_contact_active_email_uniq"
ERASED_FIRST_NAME = "Erased"
MAX_TAGS = 20
_EDITABLE = ("first_name", "last_name", "email", "phone", "notes", "tags")


def normalize_tags(tags: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for tag in tags:
        cleaned = " ".join(tag.split()).lower()
        if cleaned:
            seen.setdefault(cleaned, None)
    return list(seen)


def _clean(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Normalises the given contact fields, reporting every invalid one at once."""
    cleaned: dict[str, Any] = {}
    errors: list[dict[str, str]] = []
    for name, value in fields.items():
        if name in {"first_name", "last_name"}:
            cleaned[name] = normalize_name(value)
            if name == "first_name" and not cleaned[name]:
                errors.append({"field": name, "message": "Must not be blank."})
        elif name == "email":
            try:
                cleaned[name] = normalize_email(value or "")
            except EmailNotValidError as exc:
                errors.append({"field": "email", "message": str(exc)})
        elif name == "phone":
            try:
                cleaned[name] = normalize_phone(value or "")
            except (phonenumbers.NumberParseException, ValueError):
                errors.append({"field": "phone", "message": "Not a valid phone number."})
        elif name == "tags":
            cleaned[name] = normalize_tags(value)
            if len(cleaned[name]) > MAX_TAGS:
                errors.append({"field": "tags", "message": f"At most {MAX_TAGS} tags."})
        else:
            cleaned[name] = value
    if errors:
        raise ValidationFailed("The contact has invalid fields.", errors=errors)
    return cleaned


def _snapshot(contact: Contact) -> dict[str, Any]:
    return {
        "id": contact.id,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "email": contact.email or None,
        "phone": contact.phone or None,
        "tags": list(contact.tags),
        "archived_at": contact.archived_at,
    }


def _email_taken(exc: IntegrityError) -> bool:
    diag = getattr(exc.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None) == EMAIL_CONSTRAINT


def contact_create(
    *,
    organization: Organization,
    actor: User | None,
    first_name: str,
    last_name: str = "",
    email: str | None = None,
    phone: str | None = None,
    notes: str = "",
    tags: Iterable[str] = (),
) -> Contact:
    fields = _clean(
        {
            "first_name": first_name,
            "last_name": last_name,
            "email": email,
            "phone": phone,
            "notes": notes,
            "tags": list(tags),
        }
    )
    try:
        with transaction.atomic():
            contact: Contact = Contact.objects.for_organization(organization).create(**fields)
            publish(
                organization=organization,
                type=EventType.CONTACT_CREATED,
                subject_type="contact",
                subject_id=contact.id,
                data={"contact": _snapshot(contact)},
                actor=actor,
            )
    except IntegrityError as exc:
        if _email_taken(exc):
            raise ContactEmailTaken("Another active contact has this email.") from exc
        raise
    return contact


def contact_update(*, contact: Contact, actor: User | None, data: Mapping[str, Any]) -> Contact:
    """Applies the given fields (a PATCH); no change means no write, no audit entry, no event.

    The row is locked and re-read first, so a PATCH racing an erasure either waits for it (and
    then refuses) or finishes before it (and is then erased); it never saves personal data back.
    """
    try:
        with transaction.atomic():
            refresh_for_update(contact)
            if contact.erased_at is not None:
                raise ContactErased("An erased contact cannot be changed.")
            changed = apply_changes(contact, _clean(data), editable=_EDITABLE)
            if changed:
                publish(
                    organization=contact.organization,
                    type=EventType.CONTACT_UPDATED,
                    subject_type="contact",
                    subject_id=contact.id,
                    data={"changed": changed, "contact": _snapshot(contact)},
                    actor=actor,
                )
    except IntegrityError as exc:
        contact.refresh_from_db()
        if _email_taken(exc):
            raise ContactEmailTaken("Another active contact has this email.") from exc
        raise
    return contact


def contact_archive(*, contact: Contact, actor: User | None) -> Contact:
    """Hides the contact from lists (DELETE); idempotent. Its email becomes free for a new contact."""
    with transaction.atomic():
        refresh_for_update(contact)
        if contact.archived_at is not None:
            return contact
        contact.archived_at = timezone.now()
        contact.save(update_fields=["archived_at", "updated_at"])
        publish(
            organization=contact.organization,
            type=EventType.CONTACT_UPDATED,
            subject_type="contact",
            subject_id=contact.id,
            data={"changed": ["archived_at"], "contact": _snapshot(contact)},
            actor=actor,
        )
    return contact


def contact_erase(*, contact: Contact, actor: User | None) -> Contact:
    """Irreversibly anonymises the contact (GDPR art. 17) and scrubs its values from audit and outbox.

    Other apps' erasure steps run first in the same transaction; money records stay (retention).
    """
    organization = contact.organization
    with transaction.atomic():
        locked: Contact = (
            Contact.objects.for_organization(organization).select_for_update().get(pk=contact.pk)
        )
        if locked.erased_at is not None:
            return locked
        for step in erasure_steps().values():
            step(locked)
        now = timezone.now()
        locked.first_name, locked.last_name = ERASED_FIRST_NAME, ""
        locked.email = locked.phone = locked.notes = ""
        locked.tags = []
        locked.erased_at = now
        locked.archived_at = locked.archived_at or now
        locked.save()
        # The save's own entry holds the old values too: scrub after it, in the same transaction.
        audit_scrub_object(
            organization=organization,
            instance=locked,
            fields=frozenset(CONTACT_PERSONAL_FIELDS),
            object_repr=str(locked),
            keep=frozenset({ERASED_FIRST_NAME}),
        )
        event_redact_subject(organization=organization, subject_type="contact", subject_id=str(locked.id))
        publish(
            organization=organization,
            type=EventType.CONTACT_ERASED,
            subject_type="contact",
            subject_id=locked.id,
            data={"contact_id": locked.id, "erased_at": now},
            actor=actor,
        )
    return locked
