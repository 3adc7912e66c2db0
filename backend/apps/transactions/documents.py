"""The printable invoice: what of an issued invoice goes on its PDF (the layout is `pdf.py`'s)."""

from __future__ import annotations

from dataclasses import dataclass

from apps.core.money import currency_exponent
from apps.transactions.exceptions import InvoiceNotIssued
from apps.transactions.models import Invoice, InvoiceStatus
from apps.transactions.pdf import InvoicePdf, PdfLine, PdfParty, render_invoice_pdf

STATUS_LABELS = {
    InvoiceStatus.ISSUED: "Issued",
    InvoiceStatus.PARTIALLY_PAID: "Partially paid",
    InvoiceStatus.PAID: "Paid",
    InvoiceStatus.VOID: "Void",
}


@dataclass(frozen=True)
class Document:
    filename: str
    content: bytes


def invoice_pdf(*, invoice: Invoice) -> Document:
    """Renders the invoice; 409 `invoice_not_issued` for a draft (it has no number yet)."""
    if invoice.status == InvoiceStatus.DRAFT or not invoice.number or invoice.issue_date is None:
        raise InvoiceNotIssued("A draft has no printable form: issue it first.")
    contact = invoice.contact
    buyer_lines = [value for value in (contact.email, contact.phone) if value]
    document = InvoicePdf(
        seller=PdfParty(name=invoice.organization.name or "Invoice"),
        buyer=PdfParty(name=f"{contact.first_name} {contact.last_name}".strip(), lines=buyer_lines),
        number=invoice.number,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        currency=invoice.currency,
        exponent=currency_exponent(invoice.currency),
        lines=[
            PdfLine(
                description=line.description,
                quantity=line.quantity.normalize(),
                unit_price=line.unit_price,
                tax_rate=line.tax_rate,
                net=line.net,
                tax=line.tax,
                total=line.total,
            )
            for line in invoice.lines.all()
        ],
        net_total=invoice.net_total,
        tax_total=invoice.tax_total,
        total=invoice.total,
        amount_paid=invoice.amount_paid,
        amount_due=invoice.amount_due,
        status_label=STATUS_LABELS.get(InvoiceStatus(invoice.status), invoice.status),
        notes=invoice.notes,
    )
    return Document(filename=f"{invoice.number}.pdf", content=render_invoice_pdf(document))
