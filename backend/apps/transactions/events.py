"""The `data` of the invoice.*, payment.succeeded and refund.created events, and their publishing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from apps.core.money import Money
from apps.events.services import publish
from apps.events.types import EventType
from apps.identity.models import User
from apps.transactions.models import Invoice, Payment, Refund


def _money(amount: Decimal, currency: str) -> dict[str, str]:
    return Money(amount, currency).as_dict()


def invoice_publish(invoice: Invoice, type_: EventType, *, actor: User | None) -> None:
    data = {
        "invoice": {
            "id": invoice.id,
            "number": invoice.number or "",
            "status": invoice.status,
            "contact_id": invoice.contact_id,
            "booking_id": invoice.booking_id,
            "currency": invoice.currency,
            "total": _money(invoice.total, invoice.currency),
            "amount_paid": _money(invoice.amount_paid, invoice.currency),
            "amount_due": _money(invoice.amount_due, invoice.currency),
            "due_date": invoice.due_date,
        }
    }
    publish(
        organization=invoice.organization,
        type=type_,
        subject_type="invoice",
        subject_id=invoice.id,
        data=data,
        actor=actor,
    )


def payment_publish(payment: Payment, *, actor: User | None) -> None:
    data: dict[str, Any] = {
        "payment": {
            "id": payment.id,
            "contact_id": payment.contact_id,
            "invoice_id": payment.invoice_id,
            "amount": _money(payment.amount, payment.currency),
            "method": payment.method,
            "received_at": payment.received_at,
        }
    }
    publish(
        organization=payment.organization,
        type=EventType.PAYMENT_SUCCEEDED,
        subject_type="payment",
        subject_id=payment.id,
        data=data,
        actor=actor,
    )


def refund_publish(refund: Refund, payment: Payment, *, actor: User | None) -> None:
    data: dict[str, Any] = {
        "refund": {
            "id": refund.id,
            "payment_id": payment.id,
            "contact_id": payment.contact_id,
            "amount": _money(refund.amount, refund.currency),
            "reason": refund.reason,
        }
    }
    publish(
        organization=payment.organization,
        type=EventType.REFUND_CREATED,
        subject_type="payment",
        subject_id=payment.id,
        data=data,
        actor=actor,
    )
