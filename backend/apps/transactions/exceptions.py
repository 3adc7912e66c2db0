from hubkit.errors import Conflict, NotFound, ValidationFailed


class InvoiceNotFound(NotFound):
    title = "Invoice not found"


class PaymentNotFound(NotFound):
    title = "Payment not found"


class InvoiceNotDraft(Conflict):
    """Only a draft can be changed or deleted; an issued invoice is corrected by voiding it."""

    code = "invoice_not_draft"
    title = "The invoice is no longer a draft"


class InvoiceNotIssued(Conflict):
    code = "invoice_not_issued"
    title = "The invoice has not been issued"


class InvalidInvoiceStatus(Conflict):
    code = "invalid_invoice_status"
    title = "The invoice's status does not allow this"


class InvoiceHasPayments(Conflict):
    code = "invoice_has_payments"
    title = "The invoice has payments"


class InvoiceEmpty(ValidationFailed):
    code = "invoice_empty"
    title = "The invoice has nothing to charge"


class Overpayment(Conflict):
    """More than the invoice's amount due: `amount_due` says what is left to pay."""

    code = "overpayment"
    title = "The payment exceeds the amount due"


class RefundExceedsPayment(Conflict):
    """More than what is left of the payment: `refundable` says how much can still be refunded."""

    code = "refund_exceeds_payment"
    title = "The refund exceeds the payment"


class CurrencyMismatch(ValidationFailed):
    code = "currency_mismatch"
    title = "The currency does not match"
