"""The ledger's database guarantees, the overdue job, numbering per organization and the GDPR export."""

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from apps.core.gdpr import export_sections
from apps.events.models import Event
from apps.identity.models import Organization
from apps.transactions.models import (
    AccountKind,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    TransactionKind,
)
from apps.transactions.selectors import invoice_get
from apps.transactions.services.jobs import invoice_flag_overdue
from apps.transactions.services.ledger import Leg, ledger_record
from apps.transactions.services.payments import payment_refund
from apps.transactions.tasks import flag_overdue_invoices
from apps.transactions.tests.factories import make_invoice, make_payment
from tests.factories import acme, globex, make_contact

pytestmark = pytest.mark.django_db


def _check_now() -> None:
    """Runs the deferred ledger checks now, as COMMIT would (tests never commit)."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_ledger_entries_cannot_be_updated_or_deleted_by_the_orm_or_sql() -> None:
    make_payment()
    entry = LedgerEntry.objects.for_organization(acme()).first()
    assert entry is not None
    attempts: list[Callable[[], object]] = [
        lambda: LedgerEntry.objects.for_organization(acme()).filter(pk=entry.pk).update(amount=Decimal(1)),
        lambda: LedgerEntry.objects.for_organization(acme()).filter(pk=entry.pk).delete(),
        lambda: LedgerTransaction.objects.for_organization(acme()).update(description="edited"),
    ]
    for attempt in attempts:
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            attempt()
    for sql in (
        "UPDATE transactions_ledgerentry SET amount = amount * 2",
        "DELETE FROM transactions_ledgerentry",
        "DELETE FROM transactions_ledgertransaction",
    ):
        with (
            pytest.raises(IntegrityError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    entry.refresh_from_db()
    assert entry.amount in (Decimal("50.00"), Decimal("-50.00"))


def _raw_transaction(organization: Organization, *amounts: str) -> None:
    contact = make_contact()
    accounts = [
        LedgerAccount.objects.for_organization(organization).get_or_create(kind=kind, contact=c)[0]
        for kind, c in ((AccountKind.CASH, None), (AccountKind.RECEIVABLES, contact))
    ]
    movement = LedgerTransaction.objects.for_organization(organization).create(
        kind=TransactionKind.PAYMENT, occurred_at=timezone.now(), description="by hand", contact=contact
    )
    for i, amount in enumerate(amounts):
        LedgerEntry.objects.for_organization(organization).create(
            transaction=movement, account=accounts[i % 2], currency="EUR", amount=Decimal(amount)
        )


@pytest.mark.parametrize(
    "amounts",
    [("10.00", "-9.99"), ("10.00",), ()],
    ids=["unbalanced", "one entry", "no entries"],
)
def test_the_database_refuses_a_ledger_transaction_that_does_not_balance(amounts: tuple[str, ...]) -> None:
    with pytest.raises(IntegrityError, match="ledger transaction"):
        _commit_raw(acme(), *amounts)


def _commit_raw(organization: Organization, *amounts: str) -> None:
    with transaction.atomic():
        _raw_transaction(organization, *amounts)
        _check_now()


def test_a_balanced_transaction_written_by_hand_passes_the_check() -> None:
    _commit_raw(acme(), "10.00", "-10.00")
    assert LedgerEntry.objects.for_organization(acme()).count() == 2


def test_mixing_currencies_must_balance_in_each() -> None:
    contact = make_contact()
    cash = LedgerAccount.objects.for_organization(acme()).create(kind=AccountKind.CASH)

    def write() -> None:
        with transaction.atomic():
            movement = LedgerTransaction.objects.for_organization(acme()).create(
                kind=TransactionKind.PAYMENT, occurred_at=timezone.now(), description="fx", contact=contact
            )
            for currency, amount in (("EUR", "10.00"), ("USD", "-10.00")):
                LedgerEntry.objects.for_organization(acme()).create(
                    transaction=movement, account=cash, currency=currency, amount=Decimal(amount)
                )
            _check_now()

    with pytest.raises(IntegrityError, match="does not balance"):
        write()


def test_invoice_numbers_are_per_organization() -> None:
    ours = [make_invoice().number for _ in range(2)]
    theirs = make_invoice(contact=make_contact(organization=globex())).number
    assert ours == ["INV-000001", "INV-000002"]
    assert theirs == "INV-000001"


def test_overdue_is_published_once_per_invoice_after_the_local_due_date() -> None:
    organization = acme()
    organization.timezone = "Pacific/Kiritimati"  # UTC+14: its dates run ahead of UTC
    organization.save()
    today_there = timezone.now().astimezone(timezone.get_fixed_timezone(14 * 60)).date()
    late = make_invoice(due_date=today_there - timedelta(days=1))
    due_today = make_invoice(due_date=today_there)
    paid = make_invoice(due_date=today_there - timedelta(days=5))
    make_payment(contact=paid.contact, invoice_id=paid.id, amount="100.00")
    assert invoice_flag_overdue() == 1
    assert invoice_flag_overdue() == 0
    overdue = Event.all_tenants.filter(type="invoice.overdue")
    assert list(overdue.values_list("subject_id", flat=True)) == [str(late.id)]
    assert overdue.get().data["invoice"]["amount_due"] == {"amount": "100.00", "currency": "EUR"}
    assert invoice_get(organization=organization, invoice_id=due_today.id).overdue_notified_at is None


def test_the_contacts_export_holds_its_invoices_payments_and_refunds() -> None:
    contact = make_contact()
    invoice = make_invoice(contact=contact, notes="Thanks")
    payment = make_payment(contact=contact, invoice_id=invoice.id, amount="100.00", reference="slip 7")
    payment_refund(
        payment=payment, actor=None, amount={"amount": "5.00", "currency": "EUR"}, reason="Late start"
    )
    sections = export_sections()
    [exported_invoice] = sections["invoices"](contact)
    [exported_payment] = sections["payments"](contact)
    assert (exported_invoice["number"], exported_invoice["notes"]) == ("INV-000001", "Thanks")
    assert exported_payment["reference"] == "slip 7"
    assert exported_payment["refunds"][0]["reason"] == "Late start"
    assert sections["invoices"](make_contact()) == []


@pytest.mark.parametrize(
    "amounts",
    [("10.00", "-9.99"), ("10.00", "0"), ()],
    ids=["unbalanced", "one leg left after the zero one", "no legs"],
)
def test_the_ledger_service_refuses_legs_that_do_not_balance_before_writing(amounts: tuple[str, ...]) -> None:
    contact = make_contact()
    kinds = (AccountKind.CASH, AccountKind.RECEIVABLES)
    legs = [
        Leg(kinds[i % 2], Decimal(amount), contact=contact if i % 2 else None)
        for i, amount in enumerate(amounts)
    ]
    with pytest.raises(ValueError, match="unbalanced payment transaction"):
        ledger_record(
            organization=acme(),
            kind=TransactionKind.PAYMENT,
            contact=contact,
            currency="EUR",
            occurred_at=timezone.now(),
            description="by hand",
            legs=legs,
        )
    assert LedgerTransaction.objects.for_organization(acme()).count() == 0


def test_overdue_waits_for_the_due_date_to_pass_where_the_organization_is_behind_utc() -> None:
    organization = acme()
    organization.timezone = "Pacific/Pago_Pago"  # UTC-11: its dates run behind UTC
    organization.save()
    late = make_invoice(due_date=date(2026, 6, 8))
    due_there_today = make_invoice(due_date=date(2026, 6, 9))
    # 05:00 UTC on 10 June is 18:00 on 9 June in Pago Pago: only the invoice due on the 8th is late.
    assert invoice_flag_overdue(now=datetime(2026, 6, 10, 5, tzinfo=UTC)) == 1
    overdue = Event.all_tenants.filter(type="invoice.overdue")
    assert list(overdue.values_list("subject_id", flat=True)) == [str(late.id)]
    assert invoice_get(organization=organization, invoice_id=due_there_today.id).overdue_notified_at is None
    # At 11:00 UTC it is 10 June there too.
    assert invoice_flag_overdue(now=datetime(2026, 6, 10, 11, tzinfo=UTC)) == 1
    assert set(overdue.values_list("subject_id", flat=True)) == {str(late.id), str(due_there_today.id)}


def test_the_periodic_overdue_job_logs_what_it_published(caplog: pytest.LogCaptureFixture) -> None:
    make_invoice(due_date=timezone.localdate() - timedelta(days=2))
    make_invoice(due_date=timezone.localdate() + timedelta(days=2))
    with caplog.at_level(logging.INFO, logger="apps.transactions.tasks"):
        flag_overdue_invoices(timestamp=0)
        flag_overdue_invoices(timestamp=0)
    assert [record.getMessage() for record in caplog.records if record.name == "apps.transactions.tasks"] == [
        "published invoice.overdue for 1 invoice(s)"
    ]
    assert Event.all_tenants.filter(type="invoice.overdue").count() == 1
