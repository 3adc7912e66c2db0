"""/contacts: the organization's contacts, with GDPR export and erasure, bulk import and export."""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from ninja import File, Query, Router, Status
from ninja.files import UploadedFile

from apps.core.models import Contact, ContactImport
from apps.core.schemas import (
    ContactExport,
    ContactExportFilter,
    ContactFilter,
    ContactId,
    ContactImportId,
    ContactImportOut,
    ContactImportSummaryOut,
    ContactIn,
    ContactOut,
    ContactPatch,
)
from apps.core.selectors.contacts import contact_export, contact_get, contact_list, contact_read
from apps.core.selectors.imports import (
    EXPORT_COLUMNS,
    contact_export_rows,
    contact_import_get,
    contact_import_list,
)
from apps.core.services.contacts import contact_archive, contact_create, contact_erase, contact_update
from apps.core.services.imports import contact_import_start
from apps.identity.principal import Role, organization_of, principal_of
from edge.csvexport import csv_response
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


_IMPORT_ACCEPTED = {
    "responses": {
        202: {
            "headers": {
                "Location": {
                    "description": "The import's status: GET /api/v1/contacts/imports/{id}.",
                    "schema": {"type": "string"},
                }
            }
        }
    }
}


@router.post(
    "/import",
    response={202: ContactImportOut, **problem_responses(413, 415)},
    operation_id="import_contacts",
    openapi_extra=_IMPORT_ACCEPTED,
)
@requires(Role.STAFF)
def import_contacts(
    request: HttpRequest, response: HttpResponse, file: File[UploadedFile]
) -> Status[ContactImport]:
    """Queues a CSV (UTF-8, header row) or XLSX file of contacts; its job imports each row as a create.

    Columns: `first_name` (required), `last_name`, `email`, `phone`, `notes`, `tags` (comma-separated).
    A row whose email matches an active contact updates it with its non-blank cells; a row whose
    email an earlier row has is rejected. The same file again answers its first import (202).
    413 `import_too_large`, 415 `import_unsupported_type`, 422 `import_file_invalid` (encoding,
    structure, header columns, too many rows).
    """
    started, _ = contact_import_start(
        organization=organization_of(request),
        actor=principal_of(request).user,
        filename=file.name or "",
        source=file,
    )
    response["Location"] = f"/api/v1/contacts/imports/{started.id}"
    return Status(202, started)


@router.get("/imports", response=list[ContactImportSummaryOut], operation_id="list_contact_imports")
@requires(Role.STAFF)
@paginate(KeysetPagination, descending=True)
def list_contact_imports(request: HttpRequest) -> QuerySet[ContactImport]:
    """The organization's contact imports, newest first (without their row reasons)."""
    return contact_import_list(organization=organization_of(request))


@router.get("/imports/{import_id}", response=ContactImportOut, operation_id="get_contact_import")
@requires(Role.STAFF)
def get_contact_import(request: HttpRequest, import_id: ContactImportId) -> ContactImport:
    """Progress and outcome of an import: counts, and per rejected row its number, field and reason."""
    return contact_import_get(organization=organization_of(request), import_id=import_id)


_EXPORT_CSV = {
    "responses": {
        200: {
            "description": "The contacts as a CSV attachment (cells that would start a formula get a `'`).",
            "headers": {
                "Content-Disposition": {
                    "description": 'attachment; filename="contacts-<date>.csv"',
                    "schema": {"type": "string"},
                }
            },
            "content": {"text/csv": {"schema": {"type": "string"}, "example": ",".join(EXPORT_COLUMNS)}},
        }
    }
}


@router.get("/export", response={200: None}, operation_id="export_contacts", openapi_extra=_EXPORT_CSV)
@requires(Role.STAFF, introspect=True)
def export_contacts(request: HttpRequest, filters: Query[ContactExportFilter]) -> StreamingHttpResponse:
    """Streams every contact of the organization (archived ones too, erased ones not) as CSV.

    Everyone's personal data in one file: staff and above, as for one contact's export, with the
    token checked at identity-service (a revoked one is refused at once). The export is one entry
    on the audit trail (`GET /audit?kind=access`), not one per contact."""
    rows = contact_export_rows(organization=organization_of(request), actor=principal_of(request).user)
    return csv_response(f"contacts-{timezone.localdate().isoformat()}.csv", EXPORT_COLUMNS, rows)


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
