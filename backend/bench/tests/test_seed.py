"""The generated history keeps what the services guarantee, checked with SQL over the tables."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from django.db import connection
from psycopg.conninfo import make_conninfo

from bench.seed import Options, Result, seed, seeded

pytestmark = pytest.mark.django_db(transaction=True)

ORG = uuid.UUID("0a0e0000-0000-4000-8000-00000000b160")
OPTIONS = Options(
    organization_id=ORG, bookings=2000, resources=5, years=1, contacts=300, seed=7, progress=False
)


@pytest.fixture
def url() -> str:
    settings = connection.settings_dict
    return make_conninfo(
        dbname=settings["NAME"],
        host=settings["HOST"],
        port=settings["PORT"],
        user=settings["USER"],
        password=settings["PASSWORD"],
    )


@pytest.fixture
def result(url: str) -> Result:
    return seed(url, OPTIONS)


@pytest.fixture
def db(url: str, result: Result) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(url, autocommit=True) as conn:
        yield conn


def rows(conn: psycopg.Connection[Any], query: str) -> list[tuple[Any, ...]]:
    return conn.execute(query, {"org": ORG}).fetchall()


def test_the_counts_asked_for(result: Result) -> None:
    assert result.counts["bookings"] == 2000
    assert result.counts["resources"] == 5
    assert result.counts["contacts"] == 300
    assert result.counts["invoices"] > 0
    assert result.counts["refunds"] > 0
    assert result.counts["ledger_entries"] > result.counts["ledger_transactions"] * 2 - 1


def test_no_two_active_bookings_of_a_resource_overlap(db: psycopg.Connection[Any]) -> None:
    overlapping = rows(
        db,
        """
        SELECT a.id, b.id FROM scheduling_booking a JOIN scheduling_booking b
          ON a.resource_id = b.resource_id AND a.id < b.id AND a.session <> b.session
         AND tstzrange(a.blocked_start, a.blocked_end) && tstzrange(b.blocked_start, b.blocked_end)
        WHERE a.organization_id = %(org)s
          AND a.status IN ('held', 'pending', 'confirmed') AND b.status IN ('held', 'pending', 'confirmed')
        """,
    )
    assert overlapping == []
    # Nor any two bookings at all, cancelled ones included: each resource's days are laid out on a grid.
    any_overlap = rows(
        db,
        """
        SELECT count(*) FROM scheduling_booking a JOIN scheduling_booking b
          ON a.resource_id = b.resource_id AND a.id < b.id AND a.session <> b.session
         AND tstzrange(a.blocked_start, a.blocked_end) && tstzrange(b.blocked_start, b.blocked_end)
        WHERE a.organization_id = %(org)s
        """,
    )
    assert any_overlap == [(0,)]


def test_group_sessions_share_start_service_and_resource(db: psycopg.Connection[Any]) -> None:
    sessions = rows(
        db,
        """
        SELECT b.session, count(*), count(DISTINCT (b.start, b.resource_id, b.service_id)),
               count(DISTINCT b.contact_id), max(s.capacity)
        FROM scheduling_booking b JOIN core_service s ON s.id = b.service_id
        WHERE b.organization_id = %(org)s GROUP BY b.session HAVING count(*) > 1
        """,
    )
    assert sessions
    for _, attendees, periods, contacts, capacity in sessions:
        assert periods == 1
        assert contacts == attendees <= capacity


def test_statuses_follow_the_clock(db: psycopg.Connection[Any]) -> None:
    wrong = rows(
        db,
        """
        SELECT status, count(*) FROM scheduling_booking WHERE organization_id = %(org)s AND (
            ("end" <= now() AND status NOT IN ('completed', 'no_show', 'cancelled'))
            OR (start > now() AND status NOT IN ('held', 'pending', 'confirmed', 'cancelled'))
            OR (status = 'held' AND hold_expires_at IS NULL)
            OR (status = 'cancelled' AND cancel_reason = '')
        ) GROUP BY status
        """,
    )
    assert wrong == []
    statuses = dict(rows(db, "SELECT status, count(*) FROM scheduling_booking GROUP BY status"))
    assert statuses["completed"] > statuses["no_show"] > 0
    assert statuses["confirmed"] > 0
    assert statuses["pending"] > 0


def test_every_ledger_transaction_balances(db: psycopg.Connection[Any]) -> None:
    unbalanced = rows(
        db,
        """
        SELECT t.id, count(e.id), coalesce(sum(e.amount), 0) FROM transactions_ledgertransaction t
        LEFT JOIN transactions_ledgerentry e ON e.transaction_id = t.id
        WHERE t.organization_id = %(org)s
        GROUP BY t.id, e.currency HAVING count(e.id) < 2 OR coalesce(sum(e.amount), 0) <> 0
        """,
    )
    assert unbalanced == []
    # The database checked each one at commit too: the generator leaves its trigger on.
    triggers = rows(
        db,
        "SELECT tgname, tgenabled FROM pg_trigger WHERE tgname IN"
        " ('transactions_ledgerentry_balanced', 'transactions_ledgertransaction_balanced') ORDER BY tgname",
    )
    assert triggers == [
        ("transactions_ledgerentry_balanced", "O"),
        ("transactions_ledgertransaction_balanced", "O"),
    ]


def test_payments_and_refunds_agree_with_the_invoices(db: psycopg.Connection[Any]) -> None:
    disagreeing = rows(
        db,
        """
        SELECT i.number, i.status, i.total, i.amount_paid, p.paid, i.amount_refunded, p.refunded
        FROM transactions_invoice i
        LEFT JOIN LATERAL (
            SELECT coalesce(sum(amount), 0) AS paid, coalesce(sum(amount_refunded), 0) AS refunded
            FROM transactions_payment WHERE invoice_id = i.id
        ) p ON true
        WHERE i.organization_id = %(org)s AND (
            i.amount_paid <> p.paid OR i.amount_refunded <> p.refunded
            OR (i.status = 'paid') <> (i.amount_paid = i.total)
            OR (i.status = 'partially_paid') <> (i.amount_paid > 0 AND i.amount_paid < i.total)
            OR (i.status IN ('issued', 'void') AND i.amount_paid <> 0)
            OR i.total <> i.net_total + i.tax_total
        )
        """,
    )
    assert disagreeing == []
    refunds_off = rows(
        db,
        """
        SELECT p.id FROM transactions_payment p
        LEFT JOIN (SELECT payment_id, sum(amount) AS total FROM transactions_refund GROUP BY payment_id) r
          ON r.payment_id = p.id
        WHERE p.organization_id = %(org)s AND p.amount_refunded <> coalesce(r.total, 0)
        """,
    )
    assert refunds_off == []
    lines_off = rows(
        db,
        """
        SELECT i.id FROM transactions_invoice i JOIN transactions_invoiceline l ON l.invoice_id = i.id
        WHERE i.organization_id = %(org)s GROUP BY i.id
        HAVING sum(l.net) <> max(i.net_total) OR sum(l.tax) <> max(i.tax_total)
            OR sum(l.total) <> max(i.total)
        """,
    )
    assert lines_off == []


def test_the_ledger_records_each_movement(db: psycopg.Connection[Any]) -> None:
    """Receivables per contact equal what the invoices still ask for, less nothing else."""
    owed = rows(
        db,
        """
        SELECT a.contact_id, sum(e.amount) FROM transactions_ledgerentry e
        JOIN transactions_ledgeraccount a ON a.id = e.account_id
        WHERE e.organization_id = %(org)s AND a.kind = 'receivables' GROUP BY a.contact_id
        EXCEPT
        SELECT contact_id, coalesce(sum(total - amount_paid) FILTER (WHERE status <> 'void'), 0)
        FROM transactions_invoice
        WHERE organization_id = %(org)s GROUP BY contact_id
        """,
    )
    assert owed == []
    money = rows(
        db,
        """
        SELECT
          (SELECT sum(amount) FROM transactions_payment WHERE organization_id = %(org)s)
            - (SELECT sum(amount) FROM transactions_refund WHERE organization_id = %(org)s),
          (SELECT sum(e.amount) FROM transactions_ledgerentry e JOIN transactions_ledgeraccount a
             ON a.id = e.account_id WHERE e.organization_id = %(org)s AND a.kind IN ('cash', 'bank'))
        """,
    )
    assert money[0][0] == money[0][1]


def test_invoice_numbers_are_gap_free_in_issue_order(db: psycopg.Connection[Any]) -> None:
    numbers = rows(
        db,
        "SELECT sequence, number FROM transactions_invoice WHERE organization_id = %(org)s"
        " ORDER BY issued_at, sequence",
    )
    assert [sequence for sequence, _ in numbers] == list(range(1, len(numbers) + 1))
    assert all(number == f"INV-{sequence:06d}" for sequence, number in numbers)
    following = rows(
        db, "SELECT next_invoice_number FROM transactions_billingsettings WHERE organization_id = %(org)s"
    )
    assert following == [(len(numbers) + 1,)]


def test_a_second_run_of_the_seed_is_recognised(db: psycopg.Connection[Any]) -> None:
    assert seeded(db, OPTIONS)
    assert not seeded(db, Options(seed=8))


def test_no_row_is_stamped_in_the_future(db: psycopg.Connection[Any]) -> None:
    """What has not happened yet leaves no trace: cached analytics wait for every stamp to settle."""
    future = rows(
        db,
        """
        SELECT 'booking', count(*) FROM scheduling_booking WHERE organization_id = %(org)s
            AND (created_at > now() OR updated_at > now())
        UNION ALL SELECT 'invoice', count(*) FROM transactions_invoice WHERE organization_id = %(org)s
            AND (updated_at > now() OR issued_at > now() OR voided_at > now())
        UNION ALL SELECT 'payment', count(*) FROM transactions_payment WHERE organization_id = %(org)s
            AND received_at > now()
        UNION ALL SELECT 'refund', count(*) FROM transactions_refund WHERE organization_id = %(org)s
            AND created_at > now()
        UNION ALL SELECT 'ledger', count(*) FROM transactions_ledgertransaction
            WHERE organization_id = %(org)s
            AND occurred_at > now()
        """,
    )
    assert all(count == 0 for _, count in future), future


def test_personal_data_is_sealed_and_found_as_the_backend_stores_it(db: psycopg.Connection[Any]) -> None:
    """No encrypted column holds a plain value; the models decrypt them; email and phone are found."""
    from apps.core.models import Contact  # noqa: PLC0415 - a model import needs Django set up
    from apps.core.selectors.contacts import contact_list  # noqa: PLC0415
    from apps.identity.models import Organization  # noqa: PLC0415
    from hubkit.encryption.fields import EncryptedTextField  # noqa: PLC0415
    from hubkit.encryption.rotation import encrypted_models  # noqa: PLC0415

    checked = 0
    for model, fields in encrypted_models():
        for f in fields:
            if not isinstance(f, EncryptedTextField) or model._meta.db_table == "events_event":
                continue
            plain = db.execute(
                f"SELECT count(*) FROM {model._meta.db_table} WHERE \"{f.column}\" <> ''"  # noqa: S608
                f" AND \"{f.column}\" NOT LIKE 'v1:%%'",
            ).fetchone()
            assert plain == (0,), f"{model._meta.db_table}.{f.column}"
            checked += 1
    assert checked >= 8
    sealed_notes = rows(
        db, "SELECT count(*) FROM scheduling_booking WHERE organization_id = %(org)s AND notes LIKE 'v1:%%'"
    )
    assert sealed_notes[0][0] > 0

    organization = Organization.objects.get(id=ORG)
    contact = (
        Contact.objects.for_organization(organization).filter(archived_at=None).order_by("created_at").first()
    )
    assert contact is not None
    assert contact.email.endswith("@example.com")
    assert contact.phone.startswith("+4930")
    assert list(contact_list(organization=organization, q=contact.email.upper())) == [contact]
    assert list(contact_list(organization=organization, q=contact.phone)) == [contact]
