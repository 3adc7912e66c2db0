"""The contact's invoices, payments and refunds in their GDPR export. Erasure keeps money records
(legal retention): the contact row itself is anonymised by core; nothing here is removed."""

from __future__ import annotations

from typing import Any

from apps.core.gdpr import register_export_section
from apps.core.models import Contact
from apps.core.money import Money
from apps.transactions.models import Invoice, Payment


def _invoices_section(contact: Contact) -> list[dict[str, Any]]:
    invoices = (
        Invoice.objects.for_organization(contact.organization)
        .filter(contact=contact)
        .prefetch_related("lines")
        .order_by("created_at", "id")
    )
    return [
        {
            "id": str(invoice.id),
            "number": invoice.number,
            "status": invoice.status,
            "issue_date": invoice.issue_date,
            "due_date": invoice.due_date,
            "total": Money(invoice.total, invoice.currency).as_dict(),
            "amount_paid": Money(invoice.amount_paid, invoice.currency).as_dict(),
            "notes": invoice.notes,
            "lines": [
                {
                    "description": line.description,
                    "quantity": str(line.quantity),
                    "total": Money(line.total, invoice.currency).as_dict(),
                }
                for line in invoice.lines.all()
            ],
        }
        for invoice in invoices
    ]


def _payments_section(contact: Contact) -> list[dict[str, Any]]:
    payments = (
        Payment.objects.for_organization(contact.organization)
        .filter(contact=contact)
        .prefetch_related("refunds")
        .order_by("received_at", "id")
    )
    return [
        {
            "id": str(payment.id),
            "invoice_id": str(payment.invoice_id) if payment.invoice_id else None,
            "amount": Money(payment.amount, payment.currency).as_dict(),
            "method": payment.method,
            "reference": payment.reference,
            "received_at": payment.received_at,
            "refunds": [
                {
                    "amount": Money(refund.amount, refund.currency).as_dict(),
                    "reason": refund.reason,
                    "created_at": refund.created_at,
                }
                for refund in payment.refunds.all()
            ],
        }
        for payment in payments
    ]


register_export_section("invoices", _invoices_section)
register_export_section("payments", _payments_section)
