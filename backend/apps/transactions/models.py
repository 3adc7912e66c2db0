"""Invoices, payments, refunds and the double-entry ledger every money movement writes.

Amounts are `numeric` with four decimal places (enough for every ISO 4217 exponent) and always
hold a value quantised to their currency's minor unit (`apps.core.money`); there is no float.

The ledger is append-only and balanced by the database itself (migration 0002's triggers):
an UPDATE or DELETE of a `LedgerEntry` or `LedgerTransaction` raises, and at commit every
transaction's entries must number two or more and sum to zero per currency. A mistake is
corrected by a new, reversing transaction, never by editing one.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from auditlog.registry import auditlog
from django.db import models
from django.db.models import F, Q

from apps.core.models import Contact, Service
from apps.identity.models import User
from apps.identity.tenancy import TenantModel
from apps.scheduling.models import Booking
from hubkit.encryption.fields import EncryptedTextField


class BillingSettings(TenantModel):
    """An organization's money defaults and its invoice number sequence (one row, made on first use)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    currency = models.CharField(max_length=3, default="EUR")
    invoice_prefix = models.CharField(max_length=20, default="INV-")
    # The number the next issued invoice takes: read and advanced under this row's lock, in the
    # issuing transaction, so numbers are gap-free and never shared.
    next_invoice_number = models.PositiveIntegerField(default=1)
    payment_terms_days = models.PositiveIntegerField(default=14)
    default_tax_rate = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal(0))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="transactions_settings_one_per_org")
        ]

    def __str__(self) -> str:
        return "Billing settings"


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft"
    ISSUED = "issued"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    VOID = "void"


# Issued and not settled: payments may be recorded against it, and it can become overdue.
OPEN_STATUSES = (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID)


class Invoice(TenantModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="+", db_index=False)
    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    status = models.CharField(max_length=16, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT)
    # Given at issue: prefix + sequence, e.g. INV-000042.
    number = models.CharField(max_length=40, blank=True)
    sequence = models.PositiveIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3)
    issue_date = models.DateField(null=True, blank=True)
    due_date = models.DateField()
    # Free text that may name the contact or their circumstances: encrypted (hubkit.encryption).
    notes = EncryptedTextField(blank=True)
    net_total = models.DecimalField(max_digits=20, decimal_places=4, default=Decimal(0))
    tax_total = models.DecimalField(max_digits=20, decimal_places=4, default=Decimal(0))
    total = models.DecimalField(max_digits=20, decimal_places=4, default=Decimal(0))
    # Sum of the payments recorded against it (refunds are kept apart: see services/payments.py).
    amount_paid = models.DecimalField(max_digits=20, decimal_places=4, default=Decimal(0))
    amount_refunded = models.DecimalField(max_digits=20, decimal_places=4, default=Decimal(0))
    void_reason = EncryptedTextField(blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    # When invoice.overdue was published (once per invoice).
    overdue_notified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "sequence"],
                condition=Q(sequence__isnull=False),
                name="transactions_invoice_number_uniq",
            ),
            models.CheckConstraint(
                condition=Q(status=InvoiceStatus.DRAFT) | (~Q(number="") & Q(issue_date__isnull=False)),
                name="transactions_invoice_issued_numbered",
            ),
            models.CheckConstraint(
                condition=Q(amount_paid__gte=0, amount_paid__lte=F("total")),
                name="transactions_invoice_paid_within_total",
            ),
            models.CheckConstraint(
                condition=Q(amount_refunded__gte=0, amount_refunded__lte=F("amount_paid")),
                name="transactions_invoice_refunded_within_paid",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "created_at", "id"], name="transactions_invoice_org"),
            # What changed since a moment (analytics' freshness and data version), as below.
            models.Index(fields=["organization", "updated_at"], name="transactions_invoice_org_upd"),
            models.Index(fields=["contact", "created_at"], name="transactions_invoice_contact"),
            models.Index(
                fields=["due_date"],
                name="transactions_invoice_open_due",
                condition=Q(status__in=OPEN_STATUSES),
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"Draft invoice {self.id}"

    @property
    def amount_due(self) -> Decimal:
        return self.total - self.amount_paid if self.status in OPEN_STATUSES else Decimal(0)


class InvoiceLine(TenantModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    description = models.CharField(max_length=500)
    quantity = models.DecimalField(max_digits=12, decimal_places=3)
    unit_price = models.DecimalField(max_digits=20, decimal_places=4)
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2)
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    net = models.DecimalField(max_digits=20, decimal_places=4)
    tax = models.DecimalField(max_digits=20, decimal_places=4)
    total = models.DecimalField(max_digits=20, decimal_places=4)

    class Meta:
        ordering = ("position",)
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="transactions_line_position_uniq"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="transactions_line_quantity_positive"),
        ]

    def __str__(self) -> str:
        return self.description


class PaymentMethod(models.TextChoices):
    CASH = "cash"
    CARD = "card"
    TRANSFER = "transfer"
    OTHER = "other"


class Payment(TenantModel):
    """Money received from a contact: against one invoice, or on account (a credit)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="+", db_index=False)
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="payments", null=True, blank=True
    )
    amount = models.DecimalField(max_digits=20, decimal_places=4)
    currency = models.CharField(max_length=3)
    method = models.CharField(max_length=16, choices=PaymentMethod.choices)
    reference = EncryptedTextField(blank=True)
    received_at = models.DateTimeField()
    # Sum of its refunds: advanced under the payment's row lock, never past `amount`.
    amount_refunded = models.DecimalField(max_digits=20, decimal_places=4, default=Decimal(0))
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="transactions_payment_positive"),
            models.CheckConstraint(
                condition=Q(amount_refunded__gte=0, amount_refunded__lte=F("amount")),
                name="transactions_payment_refunds_within_amount",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "received_at", "id"], name="transactions_payment_org"),
            models.Index(fields=["organization", "created_at"], name="transactions_payment_org_new"),
            models.Index(fields=["contact", "received_at"], name="transactions_payment_contact"),
        ]

    def __str__(self) -> str:
        return f"Payment {self.id}"

    @property
    def refundable(self) -> Decimal:
        return self.amount - self.amount_refunded


class Refund(TenantModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(max_digits=20, decimal_places=4)
    currency = models.CharField(max_length=3)
    reason = EncryptedTextField()
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("created_at", "id")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="transactions_refund_positive")]
        indexes = [models.Index(fields=["organization", "created_at"], name="transactions_refund_org_new")]

    def __str__(self) -> str:
        return f"Refund {self.id}"


class AccountKind(models.TextChoices):
    RECEIVABLES = "receivables"  # what each contact owes (one account per contact; negative: a credit)
    CASH = "cash"
    BANK = "bank"  # card, transfer and other payments land here
    REVENUE = "revenue"
    TAX = "tax"  # tax collected on invoices, owed to the tax authority
    REFUNDS = "refunds"  # money given back on invoiced sales (a contra-revenue account)


class LedgerAccount(TenantModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    kind = models.CharField(max_length=16, choices=AccountKind.choices)
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="+", null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kind", "contact"],
                nulls_distinct=False,
                name="transactions_account_uniq",
            ),
            models.CheckConstraint(
                condition=Q(kind=AccountKind.RECEIVABLES, contact__isnull=False)
                | (~Q(kind=AccountKind.RECEIVABLES) & Q(contact__isnull=True)),
                name="transactions_account_contact_only_receivables",
            ),
        ]

    def __str__(self) -> str:
        return self.kind


class TransactionKind(models.TextChoices):
    INVOICE_ISSUED = "invoice_issued"
    INVOICE_VOIDED = "invoice_voided"
    PAYMENT = "payment"
    REFUND = "refund"


class LedgerTransaction(TenantModel):
    """One money movement: its entries (two or more) sum to zero per currency."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    kind = models.CharField(max_length=16, choices=TransactionKind.choices)
    occurred_at = models.DateTimeField()
    description = models.CharField(max_length=200)
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="+", db_index=False)
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    refund = models.ForeignKey(Refund, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "occurred_at", "id"], name="transactions_ledger_org"),
            models.Index(fields=["organization", "created_at"], name="transactions_ledger_org_new"),
            models.Index(fields=["contact", "occurred_at"], name="transactions_ledger_contact"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.id}"


class LedgerEntry(TenantModel):
    """A signed amount on one account: positive is a debit, negative a credit."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    transaction = models.ForeignKey(LedgerTransaction, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="entries")
    currency = models.CharField(max_length=3)
    amount = models.DecimalField(max_digits=20, decimal_places=4)

    class Meta:
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="transactions_entry_nonzero")]
        indexes = [models.Index(fields=["account", "currency"], name="transactions_entry_account")]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


# The ledger (accounts, transactions, entries) is itself the record of every money movement and
# cannot change; the invoices, payments and refunds that cause its rows are audited.
auditlog.register(BillingSettings, exclude_fields=["updated_at"])
auditlog.register(
    Invoice,
    exclude_fields=["updated_at", "overdue_notified_at"],
    mask_fields=["notes", "void_reason"],
    mask_callable="apps.audit.masking.mask_value",
)
auditlog.register(InvoiceLine)
auditlog.register(Payment, mask_fields=["reference"], mask_callable="apps.audit.masking.mask_value")
auditlog.register(Refund, mask_fields=["reason"], mask_callable="apps.audit.masking.mask_value")
