"""Contact imports: a file accepted once per organization, then its rows imported by a job.

Every row goes through what the API's create goes through: the create schema (`ContactIn`),
then `contact_create`, or, when its email matches an active contact (blind index), the patch
schema and `contact_update` with the row's non-blank cells (blank cells never clear a value).
So each row has its audit entry and its `contact.created`/`contact.updated` event, as if it had
been sent through the API. A row whose email an earlier row of the same file has is rejected
(the first one wins), so a file never updates a contact it created.

The job works in batches of `BATCH_ROWS`: one transaction per batch holds its rows, each in its
own savepoint (a refused row leaves nothing behind), and the import's progress. A worker that
dies mid-file leaves a committed prefix and its counters; the retried job continues after it,
importing no row twice.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Iterator
from typing import IO, Any

from auditlog.context import set_actor
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from email_validator import EmailNotValidError
from procrastinate.contrib.django import app
from pydantic import ValidationError

from apps.core.contact_files import (
    FileHeaderInvalid,
    FileRow,
    FileTooManyRows,
    FileUnreadable,
    detect_format,
    read_contact_file,
)
from apps.core.exceptions import ImportFileInvalid, ImportFileTooLarge, ImportFileType
from apps.core.models import Contact, ContactImport
from apps.core.phones import email_lookup_form, normalize_email
from apps.core.schemas import ContactIn, ContactPatch
from apps.core.services.contacts import contact_create, contact_update
from apps.identity.models import Organization, User
from hubkit.encryption.keys import blind_index
from hubkit.errors import ApplicationError
from hubkit.ninja import field_errors
from hubkit.request_id import get_request_id, set_request_id

logger = logging.getLogger(__name__)

IMPORT_TASK = "core.contacts_import"
IMPORT_QUEUE = "imports"
BATCH_ROWS = 100

RowError = dict[str, Any]


def contact_import_start(
    *, organization: Organization, actor: User | None, filename: str, source: IO[bytes]
) -> tuple[ContactImport, bool]:
    """Accepts a file (checked whole before anything is stored) and queues its job.

    Returns the import and whether it is new: the same bytes uploaded again by the organization
    answer the first import (a unique constraint decides between concurrent uploads).
    """
    content = source.read(settings.CONTACT_IMPORT_MAX_BYTES + 1)  # no more than the limit
    if len(content) > settings.CONTACT_IMPORT_MAX_BYTES:
        raise ImportFileTooLarge(f"The file is larger than {settings.CONTACT_IMPORT_MAX_BYTES} bytes.")
    file_format = detect_format(content, filename)
    if file_format is None:
        raise ImportFileType("Upload a CSV (UTF-8) or an XLSX file.")
    try:
        rows = read_contact_file(content, file_format, max_rows=settings.CONTACT_IMPORT_MAX_ROWS).rows
    except FileHeaderInvalid as exc:
        raise ImportFileInvalid(str(exc), errors=exc.errors) from exc
    except (FileUnreadable, FileTooManyRows) as exc:
        raise ImportFileInvalid(str(exc), errors=[{"field": "file", "message": str(exc)}]) from exc
    digest = hashlib.sha256(content).hexdigest()
    imports = ContactImport.objects.for_organization(organization)
    existing = imports.filter(file_sha256=digest).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            started: ContactImport = imports.create(
                file_sha256=digest,
                filename=filename[:255],
                format=file_format,
                content=content,
                rows_total=len(rows),
                created_by=actor,
                request_id=(get_request_id() or "")[:128],
            )
            # Deferred in this transaction: the job exists exactly when the import does.
            app.configure_task(name=IMPORT_TASK, allow_unknown=False, queue=IMPORT_QUEUE).defer(
                import_id=str(started.id), organization_id=str(organization.id)
            )
    except IntegrityError:
        return imports.get(file_sha256=digest), False
    return started, True


def contact_import_run(*, organization: Organization, import_id: uuid.UUID) -> ContactImport | None:
    """The job: imports the rows not yet done, batch by batch; None when there is nothing to do."""
    imports = ContactImport.objects.for_organization(organization)
    with transaction.atomic():
        job: ContactImport | None = imports.select_for_update().filter(pk=import_id).first()
        if job is None or job.status in {ContactImport.Status.DONE, ContactImport.Status.FAILED}:
            return job
        job.status = ContactImport.Status.RUNNING
        job.started_at = job.started_at or timezone.now()
        job.save(update_fields=["status", "started_at", "updated_at"])
    previous_request_id = get_request_id()
    set_request_id(job.request_id or None)
    try:
        with set_actor(job.created_by):
            _run_rows(job)
    except Exception as exc:
        logger.exception("contact import %s failed", job.id)
        _finish(job, ContactImport.Status.FAILED, reason=f"The import stopped: {type(exc).__name__}.")
    finally:
        set_request_id(previous_request_id)
    return job


def _run_rows(job: ContactImport) -> None:
    content = bytes(job.content or b"")
    rows = read_contact_file(content, job.format, max_rows=settings.CONTACT_IMPORT_MAX_ROWS).rows
    first_seen: dict[str, int] = {}
    pending = iter(_with_duplicates(rows, first_seen))
    # Rows committed by an earlier run of this job: only their emails are remembered.
    for _ in range(job.rows_done):
        next(pending, None)
    while True:
        batch = [item for _, item in zip(range(BATCH_ROWS), pending, strict=False)]
        if not batch:
            break
        with transaction.atomic():
            locked = (
                ContactImport.objects.for_organization(job.organization).select_for_update().get(pk=job.pk)
            )
            errors: list[RowError] = list(locked.row_errors or [])
            for row, duplicate_of in batch:
                outcome = _import_row(job, row, duplicate_of)
                if isinstance(outcome, list):
                    locked.rejected_count += 1
                    room = settings.CONTACT_IMPORT_MAX_ROW_ERRORS - len(errors)
                    errors += [{"row": row.number, **error} for error in outcome][: max(room, 0)]
                elif outcome == "created":
                    locked.created_count += 1
                else:
                    locked.updated_count += 1
            locked.rows_done += len(batch)
            locked.row_errors = errors
            locked.save(
                update_fields=[
                    "rows_done",
                    "created_count",
                    "updated_count",
                    "rejected_count",
                    "row_errors",
                    "updated_at",
                ]
            )
        job.rows_done = locked.rows_done
    _finish(job, ContactImport.Status.DONE)


def _with_duplicates(rows: list[FileRow], first_seen: dict[str, int]) -> Iterator[tuple[FileRow, int | None]]:
    """Each row with the number of an earlier row holding the same email (None: the first)."""
    for row in rows:
        key = _email_key(row.cells.get("email", ""))
        earlier = first_seen.setdefault(key, row.number) if key else row.number
        yield row, (earlier if earlier != row.number else None)


def _email_key(value: str) -> str:
    try:
        return blind_index(email_lookup_form(normalize_email(value.replace("\x00", ""))))
    except EmailNotValidError:
        return ""


def _import_row(job: ContactImport, row: FileRow, duplicate_of: int | None) -> str | list[RowError]:
    """`created`, `updated`, or the row's errors (it then changed nothing)."""
    if row.extra_cells:
        return [{"field": None, "message": "The row has more cells than the header has columns."}]
    if duplicate_of is not None:
        return [{"field": "email", "message": f"The same email as row {duplicate_of} of this file."}]
    try:
        return _apply_row(job, row.cells)
    except ValidationError as exc:
        return [
            {"field": error["field"], "message": error["message"]} for error in field_errors(exc.errors())
        ]
    except ApplicationError as exc:
        if exc.errors:
            return [{"field": e.get("field"), "message": e.get("message", exc.message)} for e in exc.errors]
        return [
            {"field": "email" if exc.error_code == "contact_email_taken" else None, "message": exc.message}
        ]


def _apply_row(job: ContactImport, cells: dict[str, str]) -> str:
    """The row as a create (`ContactIn`, `contact_create`) or, matched by email, an update; in a savepoint."""
    fields: dict[str, Any] = {
        "first_name": cells.get("first_name", ""),
        "last_name": cells.get("last_name", ""),
        "email": cells.get("email") or None,
        "phone": cells.get("phone") or None,
        "notes": cells.get("notes", ""),
        "tags": [tag for tag in (t.strip() for t in cells.get("tags", "").split(",")) if tag],
    }
    new = ContactIn.model_validate(fields)
    match = _active_contact_with_email(job.organization, new.email)
    with transaction.atomic():
        if match is None:
            contact_create(organization=job.organization, actor=job.created_by, **new.model_dump())
            return "created"
        given = {name: value for name, value in fields.items() if value not in ("", None, [])}
        patch = ContactPatch.model_validate(given).model_dump(exclude_unset=True)
        contact_update(contact=match, actor=job.created_by, data=patch)
        return "updated"


def _active_contact_with_email(organization: Organization, email: str | None) -> Contact | None:
    key = _email_key(email or "")
    if not key:
        return None
    contact: Contact | None = (
        Contact.objects.for_organization(organization)
        .filter(email_index=key, archived_at__isnull=True)
        .first()
    )
    return contact


def _finish(job: ContactImport, status: str, *, reason: str = "") -> None:
    """Final state; the file's content (personal data) is deleted with it."""
    with transaction.atomic():
        locked = ContactImport.objects.for_organization(job.organization).select_for_update().get(pk=job.pk)
        locked.status = status
        locked.failure_reason = reason
        locked.content = None
        locked.finished_at = timezone.now()
        locked.save(update_fields=["status", "failure_reason", "content", "finished_at", "updated_at"])
    job.status, job.failure_reason, job.content, job.finished_at = (
        locked.status,
        reason,
        None,
        locked.finished_at,
    )
