"""Money reads: invoices, payments, the ledger, a contact's balance and the billing settings."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from apps.core.money import Money
from apps.core.selectors.contacts import contact_get
from apps.identity.models import Organization
from apps.transactions.exceptions import InvoiceNotFound, PaymentNotFound
from apps.transactions.models import (
    OPEN_STATUSES,
    AccountKind,
    BillingSettings,
    Invoice,
    LedgerEntry,
    LedgerTransaction,
    Payment,
    Refund,
    TransactionKind,
)


def billing_settings_of(*, organization: Organization) -> BillingSettings:
    """The organization's settings; the defaults (unsaved) when it never changed them."""
    found = BillingSettings.objects.for_organization(organization).first()
    return found if found is not None else BillingSettings(organization=organization)


def organization_today(organization: Organization) -> date:
    """Today's date where the organization is: due dates are local dates."""
    return timezone.now().astimezone(ZoneInfo(organization.timezone)).date()


def invoice_is_overdue(invoice: Invoice, *, today: date | None = None) -> bool:
    if invoice.status not in OPEN_STATUSES:
        return False
    return invoice.due_date < (today or organization_today(invoice.organization))


def invoice_get(*, organization: Organization, invoice_id: uuid.UUID) -> Invoice:
    try:
        invoice: Invoice = (
            Invoice.objects.for_organization(organization).prefetch_related("lines").get(pk=invoice_id)
        )
    except Invoice.DoesNotExist as exc:
        raise InvoiceNotFound("No such invoice.") from exc
    return invoice


def invoice_list(
    *,
    organization: Organization,
    statuses: Sequence[str] | None = None,
    contact_id: uuid.UUID | None = None,
    overdue: bool | None = None,
) -> QuerySet[Invoice]:
    invoices = Invoice.objects.for_organization(organization).prefetch_related("lines")
    if statuses:
        invoices = invoices.filter(status__in=statuses)
    if contact_id is not None:
        invoices = invoices.filter(contact_id=contact_id)
    if overdue is not None:
        late = Q(status__in=OPEN_STATUSES, due_date__lt=organization_today(organization))
        invoices = invoices.filter(late if overdue else ~late)
    return invoices


def payment_get(*, organization: Organization, payment_id: uuid.UUID) -> Payment:
    try:
        payment: Payment = (
            Payment.objects.for_organization(organization).prefetch_related("refunds").get(pk=payment_id)
        )
    except Payment.DoesNotExist as exc:
        raise PaymentNotFound("No such payment.") from exc
    return payment


def payment_list(
    *,
    organization: Organization,
    contact_id: uuid.UUID | None = None,
    invoice_id: uuid.UUID | None = None,
) -> QuerySet[Payment]:
    payments = Payment.objects.for_organization(organization).prefetch_related(
        Prefetch("refunds", queryset=Refund.all_tenants.order_by("created_at", "id"))
    )
    if contact_id is not None:
        payments = payments.filter(contact_id=contact_id)
    if invoice_id is not None:
        payments = payments.filter(invoice_id=invoice_id)
    return payments


def transaction_list(
    *, organization: Organization, contact_id: uuid.UUID | None = None, kind: str | None = None
) -> QuerySet[LedgerTransaction]:
    transactions = LedgerTransaction.objects.for_organization(organization).prefetch_related(
        Prefetch(
            "entries", queryset=LedgerEntry.all_tenants.select_related("account").order_by("amount", "id")
        )
    )
    if contact_id is not None:
        transactions = transactions.filter(contact_id=contact_id)
    if kind is not None:
        transactions = transactions.filter(kind=kind)
    return transactions


@dataclass(frozen=True)
class Balance:
    """A contact's money in one currency, from the ledger (`overdue` from its open invoices)."""

    currency: str
    invoiced: Money  # issued invoices, voided ones taken back
    paid: Money  # payments received, on account or against invoices
    refunded: Money  # money given back
    outstanding: Money  # what the contact owes now (its receivables account; negative: a credit)
    overdue: Money  # the part of the amount due on invoices past their due date

    def as_dict(self) -> dict[str, object]:
        return {
            "currency": self.currency,
            **{
                name: getattr(self, name).as_dict()
                for name in ("invoiced", "paid", "refunded", "outstanding", "overdue")
            },
        }


def contact_balance(*, organization: Organization, contact_id: uuid.UUID) -> list[Balance]:
    """One `Balance` per currency the contact has moved money in; derived from ledger entries."""
    contact = contact_get(organization=organization, contact_id=contact_id)
    entries = LedgerEntry.objects.for_organization(organization).filter(transaction__contact=contact)
    receivable = Q(account__kind=AccountKind.RECEIVABLES)
    sums = (
        entries.values("currency")
        .annotate(
            invoiced=Sum(
                "amount",
                filter=receivable
                & Q(transaction__kind__in=[TransactionKind.INVOICE_ISSUED, TransactionKind.INVOICE_VOIDED]),
                default=Decimal(0),
            ),
            paid=Sum(
                "amount", filter=receivable & Q(transaction__kind=TransactionKind.PAYMENT), default=Decimal(0)
            ),
            refunded=Sum(
                "amount",
                filter=Q(account__kind__in=[AccountKind.CASH, AccountKind.BANK])
                & Q(transaction__kind=TransactionKind.REFUND),
                default=Decimal(0),
            ),
            outstanding=Sum("amount", filter=receivable, default=Decimal(0)),
        )
        .order_by("currency")
    )
    overdue_by_currency: dict[str, Decimal] = {}
    today = organization_today(organization)
    late = Invoice.objects.for_organization(organization).filter(
        contact=contact, status__in=OPEN_STATUSES, due_date__lt=today
    )
    for invoice in late:
        overdue_by_currency[invoice.currency] = overdue_by_currency.get(invoice.currency, Decimal(0)) + (
            invoice.amount_due
        )
    balances = []
    for row in sums:
        currency = row["currency"]
        balances.append(
            Balance(
                currency=currency,
                invoiced=Money(row["invoiced"], currency),
                # Payments credit receivables and refunds credit cash/bank: both show as positive sums.
                paid=Money(-row["paid"], currency),
                refunded=Money(-row["refunded"], currency),
                outstanding=Money(row["outstanding"], currency),
                overdue=Money(overdue_by_currency.get(currency, Decimal(0)), currency),
            )
        )
    return balances
