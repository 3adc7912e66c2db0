"""/contacts: the organization's contacts, with GDPR export and erasure."""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Status

from apps.core.models import Contact
from apps.core.schemas import ContactExport, ContactFilter, ContactId, ContactIn, ContactOut, ContactPatch
from apps.core.selectors.contacts import contact_export, contact_get, contact_list, contact_read
from apps.core.services.contacts import contact_archive, contact_create, contact_erase, contact_update
from apps.identity.principal import Role, organization_of, principal_of
from edge.permissions import requires
from hubkit.openapi import problem_responses
from hubkit.pagination import KeysetPagination, paginate

router = Router(tags=["contacts"])
CONTACTS_READ = "contacts:read"


@router.get("", response=list[ContactOut], operation_id="list_contacts")
@requires(Role.VIEWER, scope=CONTACTS_READ)
@paginate(KeysetPagination, columns_of=ContactOut)
def list_contacts(request: HttpRequest, filters: Query[ContactFilter]) -> QuerySet[Contact]:
    """Active contacts, oldest first; `q`: part of a name, or a whole email or phone; `tags`: all match."""
    tags = [t.strip().lower() for t in (filters.tags or "").split(",") if t.strip()]
    return contact_list(
        organization=organization_of(request),
        q=filters.q,
        tags=tags,
        include_archived=filters.include_archived,
    )


@router.post("", response={201: ContactOut, **problem_responses(409)}, operation_id="create_contact")
@requires(Role.STAFF, idempotency="optional")
def create_contact(request: HttpRequest, payload: ContactIn) -> Status[Contact]:
    """Email and phone are normalised (phone to E.164); an email is unique among active contacts.

    409 `contact_email_taken` when another active contact has the email.
    """
    contact = contact_create(
        organization=organization_of(request), actor=principal_of(request).user, **payload.model_dump()
    )
    return Status(201, contact)


@router.get("/{contact_id}", response=ContactOut, operation_id="get_contact")
@requires(Role.VIEWER, scope=CONTACTS_READ)
def get_contact(request: HttpRequest, contact_id: ContactId) -> Contact:
    """The contact in full; each read is recorded on the audit trail (`GET /audit?kind=access`)."""
    return contact_read(
        organization=organization_of(request), contact_id=contact_id, actor=principal_of(request).user
    )


@router.patch(
    "/{contact_id}", response={200: ContactOut, **problem_responses(409)}, operation_id="update_contact"
)
@requires(Role.STAFF)
def update_contact(request: HttpRequest, contact_id: ContactId, payload: ContactPatch) -> Contact:
    """Changes the given fields only. 409 `contact_email_taken`, or `contact_erased` once erased."""
    contact = contact_get(organization=organization_of(request), contact_id=contact_id)
    data = payload.model_dump(exclude_unset=True)
    return contact_update(contact=contact, actor=principal_of(request).user, data=data)


@router.delete("/{contact_id}", response={204: None}, operation_id="archive_contact")
@requires(Role.STAFF)
def archive_contact(request: HttpRequest, contact_id: ContactId) -> Status[None]:
    """Archives (hides from lists unless `include_archived=true`); nothing is deleted."""
    contact = contact_get(organization=organization_of(request), contact_id=contact_id)
    contact_archive(contact=contact, actor=principal_of(request).user)
    return Status(204, None)


@router.get("/{contact_id}/export", response=ContactExport, operation_id="export_contact")
@requires(Role.STAFF)
def export_contact(request: HttpRequest, contact_id: ContactId) -> dict[str, Any]:
    """GDPR access: everything held on the contact, one section per app (contact, audit, ...).

    Each export is recorded on the audit trail (`GET /audit?kind=access`)."""
    contact = contact_get(organization=organization_of(request), contact_id=contact_id)
    return contact_export(contact=contact, actor=principal_of(request).user)


@router.post("/{contact_id}/erase", response=ContactOut, operation_id="erase_contact")
@requires(Role.MANAGER, introspect=True)
def erase_contact(request: HttpRequest, contact_id: ContactId) -> Contact:
    """GDPR erasure, irreversible (so manager or higher): personal fields anonymised, money kept."""
    contact = contact_get(organization=organization_of(request), contact_id=contact_id)
    return contact_erase(contact=contact, actor=principal_of(request).user)
