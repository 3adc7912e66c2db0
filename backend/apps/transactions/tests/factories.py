"""Money objects made through the services, as the API would make them."""

from __future__ import annotations

from typing import Any

from apps.core.models import Contact
from apps.transactions.models import Invoice, Payment
from apps.transactions.services.invoices import invoice_create, invoice_issue
from apps.transactions.services.payments import payment_create
from tests.factories import make_contact


def make_invoice(*, contact: Contact | None = None, issue: bool = True, **fields: Any) -> Invoice:
    contact = contact or make_contact()
    values: dict[str, Any] = {"lines": [{"description": "Consultation", "unit_price": "100.00"}], **fields}
    invoice = invoice_create(organization=contact.organization, actor=None, contact_id=contact.id, **values)
    return invoice_issue(invoice=invoice, actor=None) if issue else invoice


def make_payment(*, contact: Contact | None = None, amount: str = "50.00", **fields: Any) -> Payment:
    contact = contact or make_contact()
    currency = fields.pop("currency", "EUR")
    return payment_create(
        organization=contact.organization,
        actor=None,
        contact_id=contact.id,
        amount={"amount": amount, "currency": currency},
        method=fields.pop("method", "card"),
        **fields,
    )
