"""Property: whatever sequence of invoices, payments, refunds and voids runs, the money adds up.

After every step, SQL over the tables themselves (not the code under test) checks that each
ledger transaction balances per currency, that the accounts hold what the invoices, payments and
refunds say, that no payment is over-refunded and no invoice overpaid; and that the balance the
API answers is the sum of the ledger's entries.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from typing import Any

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.core.money import minor_unit
from apps.transactions.models import Invoice, Payment
from apps.transactions.selectors import contact_balance
from apps.transactions.services.invoices import invoice_create, invoice_issue, invoice_void
from apps.transactions.services.payments import payment_create, payment_refund
from hubkit.errors import ApplicationError
from tests.factories import acme, make_contact

CURRENCIES = ("EUR", "JPY", "KWD")
price = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(5000), places=4)
quantity = st.decimals(min_value=Decimal("0.001"), max_value=Decimal(20), places=3)
rate = st.sampled_from([Decimal(0), Decimal("7.5"), Decimal(19), Decimal(20)])
line = st.tuples(price, quantity, rate)
invoice = st.tuples(
    st.just("invoice"), st.integers(0, 2), st.sampled_from(CURRENCIES), st.lists(line, min_size=1, max_size=4)
)
# Fractions of what is due / refundable (above 1: an attempt to pay or refund too much).
pay = st.tuples(
    st.just("pay"),
    st.integers(0, 30),
    st.sampled_from(["0.25", "0.5", "1", "1.2"]),
    st.sampled_from(["cash", "card"]),
)
on_account = st.tuples(st.just("credit"), st.integers(0, 2), st.sampled_from(CURRENCIES), st.integers(1, 900))
refund = st.tuples(
    st.just("refund"), st.integers(0, 30), st.sampled_from(["0.1", "0.5", "1", "1.5"]), st.just("")
)
void = st.tuples(st.just("void"), st.integers(0, 30), st.just(""), st.just(""))
steps = st.lists(st.one_of(invoice, pay, on_account, refund, void), min_size=1, max_size=20)

UNBALANCED = """
    SELECT count(*) FROM (
      SELECT t.id FROM transactions_ledgertransaction t
        LEFT JOIN transactions_ledgerentry e ON e.transaction_id = t.id
       GROUP BY t.id HAVING count(e.id) < 2
      UNION ALL
      SELECT transaction_id FROM transactions_ledgerentry GROUP BY transaction_id, currency
      HAVING sum(amount) <> 0) AS bad
"""
# Per contact and currency: receivables from the ledger vs from the documents.
RECEIVABLES_MISMATCH = """
    WITH ledger AS (
      SELECT a.contact_id, e.currency, sum(e.amount) AS owed
        FROM transactions_ledgerentry e JOIN transactions_ledgeraccount a ON a.id = e.account_id
       WHERE a.kind = 'receivables' GROUP BY a.contact_id, e.currency),
    documents AS (
      SELECT contact_id, currency, sum(amount) AS owed FROM (
        SELECT contact_id, currency, total AS amount FROM transactions_invoice
         WHERE status IN ('issued', 'partially_paid', 'paid')
        UNION ALL SELECT contact_id, currency, -amount FROM transactions_payment
        UNION ALL SELECT p.contact_id, r.currency, r.amount FROM transactions_refund r
          JOIN transactions_payment p ON p.id = r.payment_id WHERE p.invoice_id IS NULL) AS d
       GROUP BY contact_id, currency)
    SELECT count(*) FROM ledger FULL JOIN documents USING (contact_id, currency)
     WHERE coalesce(ledger.owed, 0) <> coalesce(documents.owed, 0)
"""
ACCOUNT_MISMATCH = """
    WITH accounts AS (
      SELECT e.currency,
             sum(e.amount) FILTER (WHERE a.kind IN ('cash', 'bank')) AS money,
             sum(e.amount) FILTER (WHERE a.kind = 'revenue') AS revenue,
             sum(e.amount) FILTER (WHERE a.kind = 'tax') AS tax,
             sum(e.amount) FILTER (WHERE a.kind = 'refunds') AS refunds
        FROM transactions_ledgerentry e JOIN transactions_ledgeraccount a ON a.id = e.account_id
       GROUP BY e.currency)
    SELECT count(*) FROM accounts WHERE
      coalesce(money, 0) <> (SELECT coalesce(sum(amount), 0) FROM transactions_payment p
                              WHERE p.currency = accounts.currency)
        - (SELECT coalesce(sum(amount), 0) FROM transactions_refund r WHERE r.currency = accounts.currency)
      OR coalesce(revenue, 0) <> -(SELECT coalesce(sum(net_total), 0) FROM transactions_invoice i
           WHERE i.currency = accounts.currency AND i.status IN ('issued', 'partially_paid', 'paid'))
      OR coalesce(tax, 0) <> -(SELECT coalesce(sum(tax_total), 0) FROM transactions_invoice i
           WHERE i.currency = accounts.currency AND i.status IN ('issued', 'partially_paid', 'paid'))
      OR coalesce(refunds, 0) <> (SELECT coalesce(sum(r.amount), 0) FROM transactions_refund r
           JOIN transactions_payment p ON p.id = r.payment_id
           WHERE r.currency = accounts.currency AND p.invoice_id IS NOT NULL)
"""
DOCUMENTS_MISMATCH = """
    SELECT (SELECT count(*) FROM transactions_invoice i WHERE i.amount_paid <> (
              SELECT coalesce(sum(amount), 0) FROM transactions_payment p WHERE p.invoice_id = i.id)
              OR i.amount_paid > i.total
              OR (i.status = 'paid')
                 <> (i.status NOT IN ('draft', 'void') AND i.amount_paid = i.total)
              OR (i.status = 'void' AND i.amount_paid <> 0))
         + (SELECT count(*) FROM transactions_payment p WHERE p.amount_refunded <> (
              SELECT coalesce(sum(amount), 0) FROM transactions_refund r WHERE r.payment_id = p.id)
              OR p.amount_refunded > p.amount)
         + (SELECT count(*) FROM (
              SELECT i.id FROM transactions_invoice i JOIN transactions_invoiceline l ON l.invoice_id = i.id
               GROUP BY i.id, i.total HAVING sum(l.total) <> i.total) AS off)
"""
LEDGER_BALANCES = """
    SELECT e.currency, sum(e.amount) FROM transactions_ledgerentry e
      JOIN transactions_ledgeraccount a ON a.id = e.account_id
     WHERE a.kind = 'receivables' AND a.contact_id = %s GROUP BY e.currency
"""


def _scalar(sql: str, *params: Any) -> Any:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def _in_currency(value: Decimal, currency: str) -> Decimal:
    return max(value.quantize(minor_unit(currency), rounding=ROUND_DOWN), minor_unit(currency))


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps)
def test_no_sequence_of_money_movements_leaves_the_books_wrong(steps: list[tuple[Any, ...]]) -> None:
    organization = acme()
    contacts = [make_contact() for _ in range(3)]
    invoices: list[Invoice] = []
    payments: list[Payment] = []
    for action, a, b, c in steps:
        try:
            with transaction.atomic():
                if action == "invoice":
                    lines = [
                        {"description": "x", "unit_price": str(p), "quantity": str(q), "tax_rate": str(r)}
                        for p, q, r in c
                    ]
                    draft = invoice_create(
                        organization=organization,
                        actor=None,
                        contact_id=contacts[a].id,
                        currency=b,
                        lines=lines,
                    )
                    invoices.append(invoice_issue(invoice=draft, actor=None))
                elif action == "pay" and invoices:
                    target = Invoice.objects.for_organization(organization).get(
                        pk=invoices[a % len(invoices)].pk
                    )
                    amount = _in_currency(target.amount_due * Decimal(b), target.currency)
                    payments.append(
                        payment_create(
                            organization=organization,
                            actor=None,
                            contact_id=target.contact_id,
                            invoice_id=target.id,
                            amount={"amount": str(amount), "currency": target.currency},
                            method=c,
                        )
                    )
                elif action == "credit":
                    payments.append(
                        payment_create(
                            organization=organization,
                            actor=None,
                            contact_id=contacts[a].id,
                            amount={"amount": str(c), "currency": b},
                            method="transfer",
                        )
                    )
                elif action == "refund" and payments:
                    payment = Payment.objects.for_organization(organization).get(
                        pk=payments[a % len(payments)].pk
                    )
                    amount = _in_currency(payment.amount * Decimal(b), payment.currency)
                    payment_refund(
                        payment=payment,
                        actor=None,
                        amount={"amount": str(amount), "currency": payment.currency},
                        reason="test",
                    )
                elif action == "void" and invoices:
                    target = Invoice.objects.for_organization(organization).get(
                        pk=invoices[a % len(invoices)].pk
                    )
                    invoice_void(invoice=target, actor=None, reason="test")
        except ApplicationError:
            pass  # a refused step (overpayment, over-refund, voiding a paid invoice) must change nothing
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the ledger's commit-time check, now
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        assert _scalar(UNBALANCED) == 0
        assert _scalar(RECEIVABLES_MISMATCH) == 0
        assert _scalar(ACCOUNT_MISMATCH) == 0
        assert _scalar(DOCUMENTS_MISMATCH) == 0
    for contact in contacts:
        with connection.cursor() as cursor:
            cursor.execute(LEDGER_BALANCES, [contact.id])
            from_sql = dict(cursor.fetchall())
        answered = {
            b.currency: b.outstanding.amount
            for b in contact_balance(organization=organization, contact_id=contact.id)
        }
        assert answered == from_sql
