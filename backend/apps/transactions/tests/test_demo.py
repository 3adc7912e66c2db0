from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from apps.identity.demo import demo_identities
from apps.identity.models import Organization
from apps.transactions.models import Invoice, InvoiceStatus, Payment, Refund
from apps.transactions.selectors import invoice_list

pytestmark = pytest.mark.django_db


def test_every_demo_organization_gets_invoices_in_every_status_payments_and_refunds_once() -> None:
    call_command("seed_demo", stdout=StringIO())
    organizations = [Organization.objects.get(id=org["id"]) for org in demo_identities()["organizations"]]
    first = {org.id: Invoice.objects.for_organization(org).count() for org in organizations}
    for organization in organizations:
        invoices = Invoice.objects.for_organization(organization)
        assert set(invoices.values_list("status", flat=True)) == set(InvoiceStatus.values)
        assert invoice_list(organization=organization, overdue=True).exists()
        assert Payment.objects.for_organization(organization).filter(invoice__isnull=True).exists()
        assert Payment.objects.for_organization(organization).filter(invoice__isnull=False).exists()
        assert Refund.objects.for_organization(organization).count() >= 2
    call_command("seed_demo", stdout=StringIO())
    assert {org.id: Invoice.objects.for_organization(org).count() for org in organizations} == first
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the ledger's balance check, as at commit
        cursor.execute(
            "SELECT count(*) FROM (SELECT transaction_id FROM transactions_ledgerentry"
            " GROUP BY transaction_id, currency HAVING sum(amount) <> 0) AS unbalanced"
        )
        assert cursor.fetchone() == (0,)
        # Issued numbers are 1..n per organization, without a gap.
        cursor.execute(
            "SELECT organization_id, count(*), max(sequence) FROM transactions_invoice"
            " WHERE sequence IS NOT NULL GROUP BY organization_id"
        )
        for _, count, highest in cursor.fetchall():
            assert count == highest
