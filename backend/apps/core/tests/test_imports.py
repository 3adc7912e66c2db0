"""Contact imports (POST /contacts/import and its job) and the contacts export (GET /contacts/export)."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.db import connection
from django.test import Client
from openpyxl import Workbook
from procrastinate.contrib.django import app

from apps.core.models import Contact, ContactImport
from apps.core.tasks import import_contacts
from apps.events.models import Event
from tests.factories import acme, globex, make_contact

HEADER = "first_name,last_name,email,phone,notes,tags\n"


def upload(client: Client, content: bytes, name: str = "contacts.csv", content_type: str = "text/csv") -> Any:
    file = io.BytesIO(content)
    file.name = name
    return client.post("/api/v1/contacts/import", {"file": file}, format="multipart")


def queued_jobs() -> list[dict[str, Any]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT args FROM procrastinate_jobs WHERE task_name = 'core.contacts_import' ORDER BY id"
        )
        return [json.loads(a) if isinstance(a, str) else a for (a,) in cursor.fetchall()]


def run_queued_jobs() -> None:
    """Runs each queued import job's task here (the test's transaction cannot be seen by a worker)."""
    for args in queued_jobs():
        import_contacts(**args)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM procrastinate_jobs WHERE task_name = 'core.contacts_import'")


def active_contacts() -> list[Contact]:
    return list(
        Contact.objects.for_organization(acme()).filter(archived_at__isnull=True).order_by("created_at")
    )


def big_file() -> tuple[bytes, dict[int, tuple[str, str]]]:
    """10,000 data rows (rows 2..10001), some bad; returns the file and the expected reasons by row."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["first_name", "last_name", "email", "phone", "notes", "tags"])
    bad: dict[int, tuple[str, str]] = {}
    for i in range(10_000):
        row = i + 2
        values = [f"Person{i}", "Tester", f"person{i}@example.com", "", "", "imported"]
        if i == 10:
            values[2] = "not-an-email"
            bad[row] = ("email", "")
        elif i == 20:
            values[0] = ""
            bad[row] = ("first_name", "")
        elif i == 30:
            values[4] = "before\x00after"
            bad[row] = ("notes", "")
        elif i == 40:
            values[1] = "x" * 101
            bad[row] = ("last_name", "")
        elif i == 50:
            values[2] = "person5@example.com"  # row 7 has it
            bad[row] = ("email", "row 7")
        elif i == 60:
            values[3] = "12"
            bad[row] = ("phone", "")
        writer.writerow(values)
    return out.getvalue().encode(), bad


@pytest.mark.django_db
def test_a_csv_is_imported_through_the_create_path_with_a_report(as_role: Callable[[str], Client]) -> None:
    staff = as_role("staff")
    content = (
        HEADER + 'Ada,Lovelace,ADA@Example.com,030 1234567,first,"vip, new"\n'
        ",NoName,noname@example.com,,,\n"
        "Bob,,bob@bad,,,\n"
        "\n"
        "Cy,,cy@example.com,,,,extra\n"
        "Ada,Again,ada@example.com,,,\n"
    ).encode()
    answer = upload(staff, content)
    assert answer.status_code == 202, answer.content
    body = answer.json()
    assert answer["Location"] == f"/api/v1/contacts/imports/{body['id']}"
    assert (body["status"], body["rows_total"], body["rows_done"]) == ("queued", 5, 0)
    assert Contact.objects.for_organization(acme()).count() == 0  # nothing before the job
    run_queued_jobs()
    report = staff.get(answer["Location"]).json()
    assert report["status"] == "done"
    assert (report["rows_done"], report["created"], report["updated"], report["rejected"]) == (5, 1, 0, 4)
    assert {(e["row"], e["field"]) for e in report["errors"]} == {
        (3, "first_name"),
        (4, "email"),
        (6, None),
        (7, "email"),
    }
    assert next(e for e in report["errors"] if e["row"] == 7)["message"] == (
        "The same email as row 2 of this file."
    )
    assert report["errors_truncated"] is False
    [ada] = active_contacts()
    assert (ada.email, ada.phone, ada.notes, ada.tags) == (
        "ADA@example.com",
        "+49301234567",
        "first",
        ["vip", "new"],
    )
    # As the API's create: an audit entry and a contact.created event, the uploader as actor.
    entry = LogEntry.objects.get(object_pk=str(ada.id), action=LogEntry.Action.CREATE)
    assert entry.actor is not None
    assert entry.actor.email == "staff@acme.test"
    assert Event.objects.for_organization(acme()).filter(type="contact.created").count() == 1
    # The file is gone once processed.
    assert ContactImport.objects.for_organization(acme()).get().content is None


@pytest.mark.django_db
def test_rows_matching_an_active_contact_by_email_update_it_with_their_non_blank_cells(
    as_role: Callable[[str], Client],
) -> None:
    existing = make_contact(first_name="Old", last_name="Name", email="kim@example.com", notes="keep me")
    archived = make_contact(first_name="Gone", email="gone@example.com")
    archived.archived_at = archived.created_at
    archived.save()
    staff = as_role("staff")
    content = (HEADER + "Kim,,KIM@example.com,+49301234567,,\nGone,,gone@example.com,,,\n").encode()
    assert upload(staff, content).status_code == 202
    run_queued_jobs()
    report = staff.get("/api/v1/contacts/imports").json()["items"][0]
    assert (report["created"], report["updated"], report["rejected"]) == (1, 1, 0)
    existing.refresh_from_db()
    assert (existing.first_name, existing.last_name, existing.notes, existing.phone) == (
        "Kim",
        "Name",
        "keep me",
        "+49301234567",
    )
    assert Event.objects.for_organization(acme()).filter(type="contact.updated").count() == 1
    assert len(active_contacts()) == 2  # the archived one is not matched: a new contact


@pytest.mark.django_db
def test_the_same_file_again_answers_the_first_import_and_creates_nothing(
    as_role: Callable[[str], Client],
) -> None:
    staff = as_role("staff")
    content = (HEADER + "Ada,,ada@example.com,,,\n").encode()
    first = upload(staff, content)
    run_queued_jobs()
    again = upload(staff, content, name="renamed.csv")
    assert again.status_code == 202
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["status"] == "done"
    assert queued_jobs() == []
    assert len(active_contacts()) == 1
    # Another organization's identical file is its own import.
    assert ContactImport.objects.for_organization(globex()).count() == 0


@pytest.mark.django_db
def test_an_xlsx_workbook_is_imported(as_role: Callable[[str], Client]) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["First Name", "Email", "Phone", "Tags"])
    sheet.append(["Ada", "ada@example.com", 4930123456, "vip"])
    sheet.append(["Bea", None, None, None])
    sheet.append([None, "nobody@example.com", None, None])
    buffer = io.BytesIO()
    book.save(buffer)
    staff = as_role("staff")
    answer = upload(staff, buffer.getvalue(), name="contacts.xlsx")
    assert answer.status_code == 202, answer.content
    assert answer.json()["format"] == "xlsx"
    run_queued_jobs()
    report = staff.get(answer["Location"]).json()
    assert (report["created"], report["rejected"]) == (2, 1)
    assert [(e["row"], e["field"]) for e in report["errors"]] == [(4, "first_name")]
    ada = next(c for c in active_contacts() if c.first_name == "Ada")
    assert (ada.email, ada.phone, ada.tags) == ("ada@example.com", "+4930123456", ["vip"])


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "name", "status", "code"),
    [
        (b"first_name\n\xff\xfe broken\n", "c.csv", 422, "import_file_invalid"),
        (b"first_name,nickname\nAda,A\n", "c.csv", 422, "import_file_invalid"),
        (b"last_name,email\nLovelace,a@example.com\n", "c.csv", 422, "import_file_invalid"),
        (b"first_name,first_name\nAda,Ada\n", "c.csv", 422, "import_file_invalid"),
        (b"first\x00_name\nAda\n", "c.csv", 422, "import_file_invalid"),
        (b"", "c.csv", 422, "import_file_invalid"),
        (b"PK\x03\x04 not really a zip", "c.xlsx", 422, "import_file_invalid"),
        (b"%PDF-1.7", "contacts.pdf", 415, "import_unsupported_type"),
    ],
)
def test_bad_uploads_are_refused_before_anything_is_stored(
    as_role: Callable[[str], Client], content: bytes, name: str, status: int, code: str
) -> None:
    answer = upload(as_role("staff"), content, name=name)
    assert answer.status_code == status, answer.content
    assert answer["Content-Type"] == "application/problem+json"
    assert answer.json()["code"] == code
    assert ContactImport.objects.for_organization(acme()).count() == 0
    assert queued_jobs() == []


@pytest.mark.django_db
def test_header_problems_name_each_column(as_role: Callable[[str], Client]) -> None:
    answer = upload(as_role("staff"), b"nickname,email,email\nA,a@example.com,b@example.com\n")
    assert answer.status_code == 422
    assert {(e["field"], e["message"]) for e in answer.json()["errors"]} == {
        ("header.1", "Unknown column 'nickname'."),
        ("header.3", "Column 'email' appears twice."),
        ("header", "Required column 'first_name' is missing."),
    }


@pytest.mark.django_db
def test_a_file_over_the_limit_is_413_and_too_many_rows_422(
    as_role: Callable[[str], Client], settings: Any
) -> None:
    settings.CONTACT_IMPORT_MAX_BYTES = 100
    staff = as_role("staff")
    answer = upload(staff, (HEADER + "Ada,,,,,\n" * 20).encode())
    assert (answer.status_code, answer.json()["code"]) == (413, "import_too_large")
    settings.CONTACT_IMPORT_MAX_BYTES = 10_000
    settings.CONTACT_IMPORT_MAX_ROWS = 3
    answer = upload(staff, (HEADER + "Ada,,,,,\n" * 4).encode())
    assert (answer.status_code, answer.json()["code"]) == (422, "import_file_invalid")
    assert ContactImport.objects.for_organization(acme()).count() == 0


@pytest.mark.django_db
def test_the_file_is_stored_encrypted_until_processed(as_role: Callable[[str], Client]) -> None:
    upload(as_role("staff"), (HEADER + "Ada,,secret.person@example.com,,,\n").encode())
    with connection.cursor() as cursor:
        cursor.execute("SELECT content::text FROM core_contactimport")
        (stored,) = cursor.fetchone()
    assert "secret.person" not in stored
    assert bytes.fromhex(stored[2:]).startswith(b"v1:")  # the encryption envelope
    run_queued_jobs()
    with connection.cursor() as cursor:
        cursor.execute("SELECT content FROM core_contactimport")
        assert cursor.fetchone() == (None,)


@pytest.mark.django_db
def test_imports_need_staff_and_stay_in_their_organization(
    as_role: Callable[[str], Client], identity_service: Any
) -> None:
    content = (HEADER + "Ada,,,,,\n").encode()
    assert upload(as_role("viewer"), content).status_code == 403
    answer = upload(as_role("staff"), content)
    assert as_role("viewer").get(answer["Location"]).status_code == 403
    from tests.factories import client_as  # noqa: PLC0415

    other = client_as(identity_service, "owner@globex.test")
    assert other.get(answer["Location"]).status_code == 404
    assert other.get("/api/v1/contacts/imports").json()["items"] == []
    assert as_role("staff").get(f"/api/v1/contacts/imports/{uuid.uuid4()}").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_ten_thousand_rows_through_the_worker_with_a_correct_report(as_role: Callable[[str], Client]) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM procrastinate_jobs")
    content, bad = big_file()
    staff = as_role("staff")
    answer = upload(staff, content)
    assert answer.status_code == 202
    with app.replace_connector(app.connector.get_worker_connector()) as worker_app:  # type: ignore[attr-defined]
        worker_app.run_worker(
            queues=["imports"], wait=False, concurrency=1, install_signal_handlers=False, listen_notify=False
        )
    report = staff.get(answer["Location"]).json()
    assert report["status"] == "done", report
    assert (report["rows_total"], report["rows_done"]) == (10_000, 10_000)
    assert (report["created"], report["updated"], report["rejected"]) == (10_000 - len(bad), 0, len(bad))
    assert {e["row"]: e["field"] for e in report["errors"]} == {row: field for row, (field, _) in bad.items()}
    assert "row 7" in next(e["message"] for e in report["errors"] if e["row"] == 52)
    assert Contact.objects.for_organization(acme()).count() == 10_000 - len(bad)
    # The same file again: the first import's answer, no job, no contact.
    again = upload(staff, content)
    assert again.json()["id"] == answer.json()["id"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM procrastinate_jobs"
            " WHERE status = 'todo' AND task_name = 'core.contacts_import'"
        )
        assert cursor.fetchone() == (0,)
    assert Contact.objects.for_organization(acme()).count() == 10_000 - len(bad)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM procrastinate_jobs")


@pytest.mark.django_db
def test_the_export_streams_every_contact_with_formulas_neutralised_and_one_access_record(
    as_role: Callable[[str], Client],
) -> None:
    for i in range(1203):  # more than two keyset batches
        make_contact(first_name=f"P{i}", email=f"p{i}@example.com")
    formula = make_contact(first_name="=cmd|' /C calc'!A0", last_name="+1", notes="@SUM(A1)", tags=["-x"])
    make_contact(first_name="Other", organization=globex())
    assert as_role("viewer").get("/api/v1/contacts/export?format=csv").status_code == 403
    answer: Any = as_role("staff").get("/api/v1/contacts/export?format=csv")
    assert answer.status_code == 200
    assert answer["Content-Type"] == "text/csv; charset=utf-8"
    assert answer["Content-Disposition"].startswith('attachment; filename="contacts-')
    rows = list(csv.DictReader(io.StringIO(b"".join(answer.streaming_content).decode())))
    assert len(rows) == 1204
    assert len({row["id"] for row in rows}) == 1204
    row = next(r for r in rows if r["id"] == str(formula.id))
    assert (row["first_name"], row["last_name"], row["notes"], row["tags"]) == (
        "'=cmd|' /C calc'!A0",
        "'+1",
        "'@SUM(A1)",
        "'-x",
    )
    assert {r["email"] for r in rows} >= {"p0@example.com", "p1202@example.com"}
    accesses = LogEntry.objects.filter(action=LogEntry.Action.ACCESS)
    assert accesses.count() == 1
    entry = accesses.get()
    assert entry.actor is not None
    assert entry.actor.email == "staff@acme.test"
    listed = as_role("admin").get("/api/v1/audit?kind=access&object_type=contact").json()["items"]
    assert [(e["object_repr"], e["object_id"]) for e in listed] == [("Contacts export (CSV)", "")]


@pytest.mark.django_db
def test_an_unknown_export_format_is_422_and_records_nothing(
    as_role: Callable[[str], Client],
) -> None:
    assert as_role("staff").get("/api/v1/contacts/export?format=xml").status_code == 422
    assert LogEntry.objects.filter(action=LogEntry.Action.ACCESS).count() == 0
