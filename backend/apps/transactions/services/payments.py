"""Payments and refunds: each one transaction with its row locks, ledger transaction, audit and event.

Rules:
- A payment against an invoice may not exceed the invoice's amount due (409 `overpayment`): money
  beyond it is recorded as a separate payment on account. A payment on account (no invoice) is a
  credit: it lowers what the contact owes (its receivables account goes below zero when nothing is owed).
- Refunds of a payment never exceed it (409 `refund_exceeds_payment`), checked on the payment's
  locked row. A refund of an invoice payment gives money back on a sale: it is booked to `refunds`
  (a contra-revenue account) and the invoice stays settled (`amount_refunded` shows it). A refund
  of a payment on account gives the credit back: it is booked to the contact's receivables.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from apps.core.money import InvalidMoney, Money
from apps.core.selectors.contacts import contact_get
from apps.identity.models import Organization, User
from apps.identity.tenancy import refresh_for_update
from apps.transactions.events import payment_publish, refund_publish
from apps.transactions.exceptions import (
    CurrencyMismatch,
    InvalidInvoiceStatus,
    InvoiceNotFound,
    Overpayment,
    RefundExceedsPayment,
)
from apps.transactions.models import (
    OPEN_STATUSES,
    AccountKind,
    Invoice,
    InvoiceStatus,
    Payment,
    Refund,
    TransactionKind,
)
from apps.transactions.services.ledger import Leg, cash_account, ledger_record
from hubkit.errors import ValidationFailed

# A clock a little ahead of ours is not a payment from the future.
CLOCK_SKEW = timedelta(minutes=5)
EARLIEST_RECEIPT = timedelta(days=10 * 366)


def _positive(amount: Mapping[str, str], field: str = "amount") -> Money:
    try:
        money = Money.parse(amount["amount"], amount["currency"])
    except InvalidMoney as exc:
        raise ValidationFailed(
            "Invalid amount.", errors=[{"field": f"{field}.{exc.field}", "message": str(exc)}]
        ) from exc
    if money.amount <= 0:
        raise ValidationFailed(
            "Invalid amount.", errors=[{"field": f"{field}.amount", "message": "Must be above zero."}]
        )
    return money


def _received_at(received_at: datetime | None, now: datetime) -> datetime:
    if received_at is None:
        return now
    if received_at > now + CLOCK_SKEW or received_at < now - EARLIEST_RECEIPT:
        raise ValidationFailed(
            "Invalid receipt time.",
            errors=[{"field": "received_at", "message": "Not in the future, nor more than ten years ago."}],
        )
    return received_at


def _settle(invoice: Invoice, money: Money, contact_id: uuid.UUID) -> None:
    """Applies the payment to the locked invoice, or refuses it."""
    if invoice.contact_id != contact_id:
        raise ValidationFailed(
            "The invoice is another contact's.",
            errors=[{"field": "invoice_id", "message": "Not an invoice of this contact."}],
        )
    if invoice.status not in OPEN_STATUSES:
        raise InvalidInvoiceStatus(
            "Payments are taken on issued invoices that are not settled.", extra={"status": invoice.status}
        )
    if money.currency != invoice.currency:
        raise CurrencyMismatch(
            f"The invoice is in {invoice.currency}.",
            errors=[{"field": "amount.currency", "message": f"Must be {invoice.currency}."}],
        )
    due = invoice.amount_due
    if money.amount > due:
        raise Overpayment(
            "The payment exceeds the invoice's amount due; record the rest as a payment on account.",
            extra={"amount_due": Money(due, invoice.currency).as_dict()},
        )
    invoice.amount_paid += money.amount
    invoice.status = (
        InvoiceStatus.PAID if invoice.amount_paid == invoice.total else InvoiceStatus.PARTIALLY_PAID
    )
    invoice.save(update_fields=["amount_paid", "status", "updated_at"])


def payment_create(
    *,
    organization: Organization,
    actor: User | None,
    contact_id: uuid.UUID,
    amount: Mapping[str, str],
    method: str,
    invoice_id: uuid.UUID | None = None,
    reference: str = "",
    received_at: datetime | None = None,
) -> Payment:
    """Records money received; against an invoice it settles it in part or in full."""
    money = _positive(amount)
    contact = contact_get(organization=organization, contact_id=contact_id)
    now = timezone.now()
    received = _received_at(received_at, now)
    with transaction.atomic():
        invoice = None
        if invoice_id is not None:
            try:
                invoice = (
                    Invoice.objects.for_organization(organization).select_for_update().get(pk=invoice_id)
                )
            except Invoice.DoesNotExist as exc:
                raise InvoiceNotFound("No such invoice.") from exc
            _settle(invoice, money, contact.id)
        payment = Payment(
            organization=organization,
            contact=contact,
            invoice=invoice,
            amount=money.amount,
            currency=money.currency,
            method=method,
            reference=reference.strip(),
            received_at=received,
            created_by=actor,
        )
        payment.save()
        label = f"invoice {invoice.number}" if invoice is not None else "on account"
        ledger_record(
            organization=organization,
            kind=TransactionKind.PAYMENT,
            contact=contact,
            currency=money.currency,
            occurred_at=received,
            description=f"Payment by {method}, {label}",
            payment=payment,
            invoice=invoice,
            legs=[
                Leg(cash_account(method), money.amount),
                Leg(AccountKind.RECEIVABLES, -money.amount, contact=contact),
            ],
        )
        payment_publish(payment, actor=actor)
    return payment


def payment_refund(*, payment: Payment, actor: User | None, amount: Mapping[str, str], reason: str) -> Refund:
    """Gives back part or all of what is left of the payment; never more (checked under its row lock)."""
    money = _positive(amount)
    organization = payment.organization
    with transaction.atomic():
        refresh_for_update(payment)
        if money.currency != payment.currency:
            raise CurrencyMismatch(
                f"The payment is in {payment.currency}.",
                errors=[{"field": "amount.currency", "message": f"Must be {payment.currency}."}],
            )
        if money.amount > payment.refundable:
            raise RefundExceedsPayment(
                "The refund exceeds what is left of the payment.",
                extra={"refundable": Money(payment.refundable, payment.currency).as_dict()},
            )
        payment.amount_refunded += money.amount
        payment.save(update_fields=["amount_refunded"])
        invoice = None
        if payment.invoice_id is not None:
            invoice = (
                Invoice.objects.for_organization(organization).select_for_update().get(pk=payment.invoice_id)
            )
            invoice.amount_refunded += money.amount
            invoice.save(update_fields=["amount_refunded", "updated_at"])
        refund = Refund(
            organization=organization,
            payment=payment,
            amount=money.amount,
            currency=money.currency,
            reason=reason.strip(),
            created_by=actor,
        )
        refund.save()
        # An invoice payment's refund gives money back on a sale; one on account gives the credit back.
        debit = (
            Leg(AccountKind.REFUNDS, money.amount)
            if invoice is not None
            else Leg(AccountKind.RECEIVABLES, money.amount, contact=payment.contact)
        )
        ledger_record(
            organization=organization,
            kind=TransactionKind.REFUND,
            contact=payment.contact,
            currency=money.currency,
            occurred_at=refund.created_at,
            description=f"Refund of a {payment.method} payment"
            + (f", invoice {invoice.number}" if invoice else ""),
            payment=payment,
            refund=refund,
            invoice=invoice,
            legs=[debit, Leg(cash_account(payment.method), -money.amount)],
        )
        refund_publish(refund, payment, actor=actor)
    return refund
