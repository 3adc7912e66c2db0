"""Invoice writes: drafts, issuing (numbered, into the ledger) and voiding (reversed in the ledger).

A draft may change freely; an issued invoice never does (it is corrected by voiding it and
issuing a new one). Each write is one transaction holding the change, its audit entries, its
ledger transaction and its event.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from apps.core.models import Contact, Service
from apps.core.money import ISO_4217_CODES, MAX_AMOUNT
from apps.core.selectors.contacts import contact_get
from apps.core.selectors.resources import service_get
from apps.events.types import EventType
from apps.identity.models import Organization, User
from apps.identity.tenancy import refresh_for_update
from apps.scheduling.models import Booking
from apps.scheduling.selectors import booking_get
from apps.transactions.events import invoice_publish
from apps.transactions.exceptions import (
    CurrencyMismatch,
    InvalidInvoiceStatus,
    InvoiceEmpty,
    InvoiceHasPayments,
    InvoiceNotDraft,
)
from apps.transactions.models import (
    AccountKind,
    BillingSettings,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    TransactionKind,
)
from apps.transactions.pricing import Amounts, invoice_amounts, line_amounts
from apps.transactions.selectors import billing_settings_of, organization_today
from apps.transactions.services.ledger import Leg, ledger_record
from hubkit.errors import ValidationFailed

MAX_QUANTITY = Decimal(1_000_000)
UNIT_PRICE_STEP = Decimal("0.0001")
# Due dates further than this from today are a typo, not a plan.
MAX_DUE_DISTANCE = timedelta(days=10 * 366)


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, errors=[{"field": field, "message": message}])


def _currency(currency: str | None, settings: BillingSettings) -> str:
    currency = currency or settings.currency
    if currency not in ISO_4217_CODES:
        raise _invalid("currency", f"{currency!r} is not an ISO 4217 currency code.")
    return currency


def _due_date(due_date: date | None, *, organization: Organization, settings: BillingSettings) -> date:
    today = organization_today(organization)
    if due_date is None:
        return today + timedelta(days=settings.payment_terms_days)
    if abs(due_date - today) > MAX_DUE_DISTANCE:
        raise _invalid("due_date", "Must lie within ten years of today.")
    return due_date


def _booking_line(booking: Booking, *, currency: str, tax_rate: Decimal) -> dict[str, Any]:
    service = booking.service
    if service is None:
        raise _invalid("booking_id", "The booking has no service to invoice: give the lines.")
    local = booking.start.astimezone(ZoneInfo(booking.resource.timezone))
    return {
        "description": f"{service.name}, {local:%Y-%m-%d %H:%M}",
        "service_id": service.id,
        "quantity": "1",
        "tax_rate": str(tax_rate),
        "unit_price": None,
    }


def _line(
    organization: Organization,
    raw: Mapping[str, Any],
    *,
    index: int,
    currency: str,
    settings: BillingSettings,
) -> InvoiceLine:
    field = f"lines[{index}]"
    service: Service | None = None
    if raw.get("service_id") is not None:
        service = service_get(organization=organization, service_id=raw["service_id"])
    description = (raw.get("description") or (service.name if service else "")).strip()
    if not description:
        raise _invalid(f"{field}.description", "A line needs a description (or a service_id).")
    unit_price = raw.get("unit_price")
    if unit_price is None:
        if service is None:
            raise _invalid(f"{field}.unit_price", "A line needs a unit_price (or a service_id).")
        if service.price_currency != currency:
            raise CurrencyMismatch(
                f"The service is priced in {service.price_currency}, the invoice is in {currency}.",
                errors=[{"field": f"{field}.service_id", "message": "Priced in another currency."}],
            )
        unit_price = service.price_amount
    # The schema (InvoiceLineIn, at most 100 of them) admits only decimal strings; their ranges
    # are this service's. A unit price may be finer than the currency (e.g. 0.335 per unit); the
    # line's amounts are not.
    price = Decimal(str(unit_price))
    if not Decimal(0) <= price < MAX_AMOUNT or price != price.quantize(UNIT_PRICE_STEP):
        raise _invalid(f"{field}.unit_price", f"From 0 to below {MAX_AMOUNT}, four decimals at most.")
    quantity = Decimal(str(raw.get("quantity") or "1"))
    if not Decimal(0) < quantity <= MAX_QUANTITY or quantity != quantity.quantize(Decimal("0.001")):
        raise _invalid(f"{field}.quantity", f"Above 0, at most {MAX_QUANTITY}, three decimals at most.")
    given_rate = raw.get("tax_rate")
    tax_rate = settings.default_tax_rate if given_rate is None else Decimal(str(given_rate))
    if not Decimal(0) <= tax_rate <= Decimal(100) or tax_rate != tax_rate.quantize(Decimal("0.01")):
        raise _invalid(f"{field}.tax_rate", "A percentage from 0 to 100, two decimals at most.")
    amounts = line_amounts(quantity=quantity, unit_price=price, tax_rate=tax_rate, currency=currency)
    if amounts.total >= MAX_AMOUNT:
        raise _invalid(f"{field}.quantity", f"The line's total must stay below {MAX_AMOUNT}.")
    return InvoiceLine(
        organization=organization,
        position=index,
        description=description,
        quantity=quantity,
        unit_price=price,
        tax_rate=tax_rate,
        service=service,
        net=amounts.net,
        tax=amounts.tax,
        total=amounts.total,
    )


def _write_lines(invoice: Invoice, lines: Sequence[InvoiceLine]) -> None:
    """Replaces the draft's lines (saved one by one: each is audited) and its totals."""
    for old in InvoiceLine.objects.for_organization(invoice.organization).filter(invoice=invoice):
        old.delete()
    for line in lines:
        line.invoice = invoice
        line.save()
    totals = invoice_amounts((Amounts(line.net, line.tax, line.total) for line in lines), invoice.currency)
    invoice.net_total, invoice.tax_total, invoice.total = totals.net, totals.tax, totals.total


def _contact(organization: Organization, contact_id: uuid.UUID) -> Contact:
    contact = contact_get(organization=organization, contact_id=contact_id)
    if contact.archived_at is not None:
        raise _invalid("contact_id", "Archived contacts are not invoiced.")
    return contact


def invoice_create(
    *,
    organization: Organization,
    actor: User | None,
    contact_id: uuid.UUID,
    lines: Sequence[Mapping[str, Any]] = (),
    booking_id: uuid.UUID | None = None,
    currency: str | None = None,
    due_date: date | None = None,
    notes: str = "",
) -> Invoice:
    """A draft invoice; with a booking and no lines, one line for the booking's service."""
    settings = billing_settings_of(organization=organization)
    currency = _currency(currency, settings)
    contact = _contact(organization, contact_id)
    booking = None
    if booking_id is not None:
        booking = booking_get(organization=organization, booking_id=booking_id)
        if booking.contact_id != contact.id:
            raise _invalid("booking_id", "The booking is another contact's.")
        if not lines:
            lines = [_booking_line(booking, currency=currency, tax_rate=settings.default_tax_rate)]
    cleaned = [
        _line(organization, raw, index=i, currency=currency, settings=settings) for i, raw in enumerate(lines)
    ]
    with transaction.atomic():
        invoice = Invoice(
            organization=organization,
            contact=contact,
            booking=booking,
            currency=currency,
            due_date=_due_date(due_date, organization=organization, settings=settings),
            notes=notes.strip(),
        )
        invoice.save()
        _write_lines(invoice, cleaned)
        invoice.save(update_fields=["net_total", "tax_total", "total", "updated_at"])
    return invoice_reloaded(invoice)


def invoice_update(*, invoice: Invoice, actor: User | None, data: Mapping[str, Any]) -> Invoice:
    """Changes a draft (lines, if given, replace all of them); 409 `invoice_not_draft` once issued."""
    organization = invoice.organization
    settings = billing_settings_of(organization=organization)
    with transaction.atomic():
        refresh_for_update(invoice)
        if invoice.status != InvoiceStatus.DRAFT:
            raise InvoiceNotDraft(extra={"status": invoice.status})
        changed: list[str] = []
        if "contact_id" in data and data["contact_id"] != invoice.contact_id:
            invoice.contact = _contact(organization, data["contact_id"])
            if invoice.booking is not None and invoice.booking.contact_id != invoice.contact_id:
                raise _invalid("contact_id", "The invoice's booking is another contact's.")
            changed.append("contact")
        if "due_date" in data:
            invoice.due_date = _due_date(data["due_date"], organization=organization, settings=settings)
            changed.append("due_date")
        if "notes" in data:
            invoice.notes = data["notes"].strip()
            changed.append("notes")
        if "lines" in data:
            cleaned = [
                _line(organization, raw, index=i, currency=invoice.currency, settings=settings)
                for i, raw in enumerate(data["lines"])
            ]
            _write_lines(invoice, cleaned)
            changed += ["net_total", "tax_total", "total"]
        if changed:
            invoice.save(update_fields=[*changed, "updated_at"])
    return invoice_reloaded(invoice)


def invoice_delete(*, invoice: Invoice, actor: User | None) -> None:
    with transaction.atomic():
        refresh_for_update(invoice)
        if invoice.status != InvoiceStatus.DRAFT:
            raise InvoiceNotDraft(
                "Only a draft can be deleted: void an issued invoice.", extra={"status": invoice.status}
            )
        for line in InvoiceLine.objects.for_organization(invoice.organization).filter(invoice=invoice):
            line.delete()
        invoice.delete()


def _next_number(organization: Organization) -> tuple[int, str]:
    """Takes the organization's next invoice number under its settings row lock (held until commit)."""
    settings: BillingSettings
    settings, _ = BillingSettings.objects.for_organization(organization).get_or_create()
    refresh_for_update(settings)
    sequence = settings.next_invoice_number
    settings.next_invoice_number = sequence + 1
    settings.save(update_fields=["next_invoice_number", "updated_at"])
    return sequence, f"{settings.invoice_prefix}{sequence:06d}"


def invoice_issue(*, invoice: Invoice, actor: User | None, issue_date: date | None = None) -> Invoice:
    """Numbers the draft (gap-free per organization) and books it: receivables against revenue and tax."""
    organization = invoice.organization
    with transaction.atomic():
        refresh_for_update(invoice)
        if invoice.status != InvoiceStatus.DRAFT:
            raise InvoiceNotDraft("The invoice was issued already.", extra={"status": invoice.status})
        if invoice.total <= 0:
            raise InvoiceEmpty("An invoice needs at least one line and a total above zero.")
        invoice.sequence, invoice.number = _next_number(organization)
        now = timezone.now()
        invoice.status = InvoiceStatus.ISSUED
        invoice.issue_date = issue_date or organization_today(organization)
        invoice.issued_at = now
        invoice.save(update_fields=["sequence", "number", "status", "issue_date", "issued_at", "updated_at"])
        ledger_record(
            organization=organization,
            kind=TransactionKind.INVOICE_ISSUED,
            contact=invoice.contact,
            currency=invoice.currency,
            occurred_at=now,
            description=f"Invoice {invoice.number} issued",
            invoice=invoice,
            legs=[
                Leg(AccountKind.RECEIVABLES, invoice.total, contact=invoice.contact),
                Leg(AccountKind.REVENUE, -invoice.net_total),
                Leg(AccountKind.TAX, -invoice.tax_total),
            ],
        )
        invoice_publish(invoice, EventType.INVOICE_ISSUED, actor=actor)
    return invoice_reloaded(invoice)


def invoice_void(*, invoice: Invoice, actor: User | None, reason: str) -> Invoice:
    """Cancels an issued invoice nothing was paid on; the ledger gets the reversing transaction."""
    organization = invoice.organization
    with transaction.atomic():
        refresh_for_update(invoice)
        if invoice.status in (InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.PAID) or invoice.amount_paid > 0:
            raise InvoiceHasPayments(
                "Payments were recorded against the invoice: refund them instead of voiding it.",
                extra={"status": invoice.status},
            )
        if invoice.status != InvoiceStatus.ISSUED:
            raise InvalidInvoiceStatus(
                "Only an issued invoice can be voided (delete a draft instead).",
                extra={"status": invoice.status},
            )
        now = timezone.now()
        invoice.status = InvoiceStatus.VOID
        invoice.voided_at = now
        invoice.void_reason = reason.strip()
        invoice.save(update_fields=["status", "voided_at", "void_reason", "updated_at"])
        ledger_record(
            organization=organization,
            kind=TransactionKind.INVOICE_VOIDED,
            contact=invoice.contact,
            currency=invoice.currency,
            occurred_at=now,
            description=f"Invoice {invoice.number} voided",
            invoice=invoice,
            legs=[
                Leg(AccountKind.RECEIVABLES, -invoice.total, contact=invoice.contact),
                Leg(AccountKind.REVENUE, invoice.net_total),
                Leg(AccountKind.TAX, invoice.tax_total),
            ],
        )
        invoice_publish(invoice, EventType.INVOICE_VOIDED, actor=actor)
    return invoice_reloaded(invoice)


def invoice_reloaded(invoice: Invoice) -> Invoice:
    """The invoice with its lines, as the API answers it."""
    reloaded: Invoice = (
        Invoice.objects.for_organization(invoice.organization).prefetch_related("lines").get(pk=invoice.pk)
    )
    return reloaded
