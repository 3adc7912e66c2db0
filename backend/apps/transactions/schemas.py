"""Edge schemas of the money API: amounts are decimal strings (a JSON number is refused), never floats."""

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Schema
from ninja.params.functions import Path
from pydantic import AfterValidator, Field, StringConstraints

from apps.core.money import Money, currency_exponent, minor_unit
from apps.core.schemas import MoneyIn, MoneyOut
from apps.transactions.models import (
    BillingSettings,
    Invoice,
    InvoiceLine,
    LedgerEntry,
    LedgerTransaction,
    Payment,
    Refund,
)
from apps.transactions.selectors import invoice_is_overdue
from edge.schemas import In, Notes, Patch
from hubkit.fields import Text, UtcDatetime, storable_text

InvoiceId = Annotated[uuid.UUID, Path(description="The invoice's id.")]
PaymentId = Annotated[uuid.UUID, Path(description="The payment's id.")]

_INVOICE_STATUS = "draft|issued|partially_paid|paid|void"
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$"), AfterValidator(storable_text)]
Quantity = Annotated[str, StringConstraints(pattern=r"^\d{1,7}(\.\d{1,3})?$"), AfterValidator(storable_text)]
TaxRate = Annotated[str, StringConstraints(pattern=r"^\d{1,3}(\.\d{1,2})?$"), AfterValidator(storable_text)]
UnitPrice = Annotated[
    str, StringConstraints(pattern=r"^\d{1,12}(\.\d{1,4})?$"), AfterValidator(storable_text)
]
Reason = Annotated[Text, StringConstraints(min_length=1, max_length=500)]


def _money(amount: Decimal, currency: str) -> dict[str, str]:
    return Money(amount, currency).as_dict()


class InvoiceLineIn(In):
    """One line; with `service_id`, a left-out description and unit price come from the catalog service."""

    description: Annotated[Text, StringConstraints(max_length=500)] | None = None
    quantity: Quantity = Field("1", description='A decimal string above 0, e.g. "1" or "2.5".')
    unit_price: UnitPrice | None = Field(
        None, description='In the invoice\'s currency, as a decimal string, e.g. "50.00".'
    )
    tax_rate: TaxRate | None = Field(
        None, description='Percent, e.g. "20"; left out: the billing settings\' default rate.'
    )
    service_id: uuid.UUID | None = None


class InvoiceIn(In):
    """A new draft invoice; with `booking_id` and no lines, one line for the booking's service."""

    contact_id: uuid.UUID
    booking_id: uuid.UUID | None = None
    currency: Currency | None = Field(None, description="ISO 4217; left out: the organization's currency.")
    due_date: date | None = Field(None, description="Left out: today plus the payment terms.")
    notes: Notes = ""
    lines: list[InvoiceLineIn] = Field(default_factory=list, max_length=100)


class InvoicePatch(Patch):
    """Changes to a draft; `lines`, if given, replace all of its lines."""

    contact_id: uuid.UUID | None = None
    due_date: date | None = None
    notes: Notes | None = None
    lines: list[InvoiceLineIn] | None = Field(None, max_length=100)


class VoidIn(In):
    """Why the invoice is voided."""

    reason: Reason


class InvoiceFilter(Schema):
    """Invoice list filters; they combine."""

    status: (
        Annotated[
            str,
            StringConstraints(pattern=rf"^({_INVOICE_STATUS})(,({_INVOICE_STATUS}))*$"),
            AfterValidator(storable_text),
        ]
        | None
    ) = Field(
        None, description="Only invoices in these statuses, comma-separated (e.g. `issued,partially_paid`)."
    )
    contact_id: uuid.UUID | None = Field(None, description="Only this contact's invoices.")
    overdue: bool | None = Field(
        None, description="true: only open invoices past their due date; false: the others."
    )


class InvoiceLineOut(Schema):
    """A line with its amounts, computed by the server (see the invoice's rounding rule)."""

    id: uuid.UUID
    description: str
    quantity: str
    unit_price: MoneyOut
    tax_rate: str = Field(description="Percent.")
    service_id: uuid.UUID | None
    net: MoneyOut
    tax: MoneyOut
    total: MoneyOut

    @staticmethod
    def resolve_quantity(obj: InvoiceLine) -> str:
        return f"{obj.quantity.normalize():f}"

    @staticmethod
    def resolve_tax_rate(obj: InvoiceLine) -> str:
        return str(obj.tax_rate)

    @staticmethod
    def resolve_unit_price(obj: InvoiceLine) -> dict[str, str]:
        # At least the currency's decimals, more when the price has them (e.g. "0.335").
        currency = obj.invoice.currency
        price = obj.unit_price.normalize()
        if price.as_tuple().exponent > -currency_exponent(currency):  # type: ignore[operator]
            price = price.quantize(minor_unit(currency))
        return {"amount": f"{price:f}", "currency": currency}

    @staticmethod
    def resolve_net(obj: InvoiceLine) -> dict[str, str]:
        return _money(obj.net, obj.invoice.currency)

    @staticmethod
    def resolve_tax(obj: InvoiceLine) -> dict[str, str]:
        return _money(obj.tax, obj.invoice.currency)

    @staticmethod
    def resolve_total(obj: InvoiceLine) -> dict[str, str]:
        return _money(obj.total, obj.invoice.currency)


class InvoiceOut(Schema):
    """An invoice. Line amounts are rounded half up to the currency's minor unit (net, then tax on
    the rounded net); the invoice's totals are the sums of its lines'. `overdue`: issued, not settled,
    past its due date (in the organization's time zone)."""

    id: uuid.UUID
    number: str | None = Field(description="Given when issued: gap-free per organization.")
    status: Literal["draft", "issued", "partially_paid", "paid", "void"]
    overdue: bool
    contact_id: uuid.UUID
    booking_id: uuid.UUID | None
    currency: str
    issue_date: date | None
    due_date: date
    notes: str
    void_reason: str | None
    lines: list[InvoiceLineOut]
    net_total: MoneyOut
    tax_total: MoneyOut
    total: MoneyOut
    amount_paid: MoneyOut = Field(description="Payments recorded against it.")
    amount_refunded: MoneyOut = Field(description="Refunds of those payments (the invoice stays settled).")
    amount_due: MoneyOut = Field(description="What is left to pay; zero unless issued or partially paid.")
    issued_at: datetime | None
    voided_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_number(obj: Invoice) -> str | None:
        return obj.number or None

    @staticmethod
    def resolve_overdue(obj: Invoice) -> bool:
        return invoice_is_overdue(obj)

    @staticmethod
    def resolve_void_reason(obj: Invoice) -> str | None:
        return obj.void_reason or None

    @staticmethod
    def resolve_lines(obj: Invoice) -> list[InvoiceLine]:
        lines = list(obj.lines.all())
        for line in lines:
            line.invoice = obj  # the resolvers read the currency from it: no query per line
        return lines

    @staticmethod
    def resolve_net_total(obj: Invoice) -> dict[str, str]:
        return _money(obj.net_total, obj.currency)

    @staticmethod
    def resolve_tax_total(obj: Invoice) -> dict[str, str]:
        return _money(obj.tax_total, obj.currency)

    @staticmethod
    def resolve_total(obj: Invoice) -> dict[str, str]:
        return _money(obj.total, obj.currency)

    @staticmethod
    def resolve_amount_paid(obj: Invoice) -> dict[str, str]:
        return _money(obj.amount_paid, obj.currency)

    @staticmethod
    def resolve_amount_refunded(obj: Invoice) -> dict[str, str]:
        return _money(obj.amount_refunded, obj.currency)

    @staticmethod
    def resolve_amount_due(obj: Invoice) -> dict[str, str]:
        return _money(obj.amount_due, obj.currency)


class PaymentIn(In):
    """Money received from a contact, against one of its invoices or on account."""

    contact_id: uuid.UUID
    invoice_id: uuid.UUID | None = Field(
        None, description="The invoice it pays; at most its amount due. Left out: a payment on account."
    )
    amount: MoneyIn
    method: Literal["cash", "card", "transfer", "other"]
    reference: Annotated[Text, StringConstraints(max_length=200)] = Field(
        "", description="E.g. the card slip or bank reference."
    )
    received_at: UtcDatetime | None = Field(None, description="Left out: now. Never in the future.")


class RefundIn(In):
    """Money given back from a payment; all refunds of a payment together never exceed it."""

    amount: MoneyIn
    reason: Reason


class RefundOut(Schema):
    """A refund of a payment."""

    id: uuid.UUID
    payment_id: uuid.UUID
    amount: MoneyOut
    reason: str
    created_at: datetime

    @staticmethod
    def resolve_amount(obj: Refund) -> dict[str, str]:
        return _money(obj.amount, obj.currency)


class PaymentFilter(Schema):
    """Payment list filters; they combine."""

    contact_id: uuid.UUID | None = Field(None, description="Only this contact's payments.")
    invoice_id: uuid.UUID | None = Field(None, description="Only payments of this invoice.")


class PaymentOut(Schema):
    """A payment with its refunds."""

    id: uuid.UUID
    contact_id: uuid.UUID
    invoice_id: uuid.UUID | None
    amount: MoneyOut
    method: Literal["cash", "card", "transfer", "other"]
    reference: str
    received_at: datetime
    amount_refunded: MoneyOut
    refundable: MoneyOut = Field(description="What can still be refunded.")
    refunds: list[RefundOut]
    created_at: datetime

    @staticmethod
    def resolve_amount(obj: Payment) -> dict[str, str]:
        return _money(obj.amount, obj.currency)

    @staticmethod
    def resolve_amount_refunded(obj: Payment) -> dict[str, str]:
        return _money(obj.amount_refunded, obj.currency)

    @staticmethod
    def resolve_refundable(obj: Payment) -> dict[str, str]:
        return _money(obj.refundable, obj.currency)

    @staticmethod
    def resolve_refunds(obj: Payment) -> list[Refund]:
        return list(obj.refunds.all())


class TransactionFilter(Schema):
    """Ledger filters; they combine."""

    contact_id: uuid.UUID | None = Field(None, description="Only this contact's money movements.")
    kind: Literal["invoice_issued", "invoice_voided", "payment", "refund"] | None = Field(
        None, description="Only movements of this kind."
    )


class LedgerEntryOut(Schema):
    """A signed amount on one account: positive is a debit, negative a credit."""

    account: Literal["receivables", "cash", "bank", "revenue", "tax", "refunds"]
    contact_id: uuid.UUID | None = Field(description="The contact whose receivables account it is.")
    amount: MoneyOut

    @staticmethod
    def resolve_account(obj: LedgerEntry) -> str:
        return obj.account.kind

    @staticmethod
    def resolve_contact_id(obj: LedgerEntry) -> uuid.UUID | None:
        return obj.account.contact_id

    @staticmethod
    def resolve_amount(obj: LedgerEntry) -> dict[str, str]:
        return _money(obj.amount, obj.currency)


class TransactionOut(Schema):
    """One money movement of the append-only ledger: its entries sum to zero per currency."""

    id: uuid.UUID
    occurred_at: datetime
    kind: Literal["invoice_issued", "invoice_voided", "payment", "refund"]
    description: str
    contact_id: uuid.UUID
    invoice_id: uuid.UUID | None
    payment_id: uuid.UUID | None
    refund_id: uuid.UUID | None
    entries: list[LedgerEntryOut]

    @staticmethod
    def resolve_entries(obj: LedgerTransaction) -> list[LedgerEntry]:
        return list(obj.entries.all())


class BalanceOut(Schema):
    """A contact's money in one currency, derived from the ledger."""

    currency: str
    invoiced: MoneyOut = Field(description="Issued invoices, voided ones taken back.")
    paid: MoneyOut = Field(description="Payments received, against invoices or on account.")
    refunded: MoneyOut = Field(description="Money given back.")
    outstanding: MoneyOut = Field(description="What the contact owes now; negative: a credit.")
    overdue: MoneyOut = Field(description="The part of it on invoices past their due date.")


class BalancesOut(Schema):
    """One item per currency the contact has moved money in."""

    items: list[BalanceOut]


class BillingSettingsOut(Schema):
    """The organization's money defaults and invoice numbering."""

    currency: str
    invoice_prefix: str
    next_invoice_number: int = Field(description="The number the next issued invoice takes.")
    payment_terms_days: int
    default_tax_rate: str = Field(description="Percent.")

    @staticmethod
    def resolve_default_tax_rate(obj: BillingSettings) -> str:
        # Two decimals, as stored: the unsaved defaults and a PATCH's answer hold other exponents.
        return str(obj.default_tax_rate.quantize(Decimal("0.01")))


class BillingSettingsPatch(Patch):
    """The billing settings to change."""

    currency: Currency | None = None
    invoice_prefix: Annotated[Text, StringConstraints(max_length=20)] | None = None
    payment_terms_days: Annotated[int, Field(ge=0, le=365)] | None = None
    default_tax_rate: TaxRate | None = None
