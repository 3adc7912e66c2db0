"""/invoices, /payments, /transactions, /contacts/{id}/balance and /billing/settings.

Every write moves or promises money: manager and above, with the token introspected (a revoked
token or a demoted member cannot move money). Payments and refunds require an `Idempotency-Key`.
"""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status

from apps.core.schemas import ContactId
from apps.identity.principal import Role, organization_of, principal_of
from apps.transactions.documents import invoice_pdf
from apps.transactions.models import BillingSettings, Invoice, LedgerTransaction, Payment, Refund
from apps.transactions.schemas import (
    BalancesOut,
    BillingSettingsOut,
    BillingSettingsPatch,
    InvoiceFilter,
    InvoiceId,
    InvoiceIn,
    InvoiceOut,
    InvoicePatch,
    PaymentFilter,
    PaymentId,
    PaymentIn,
    PaymentOut,
    RefundIn,
    RefundOut,
    TransactionFilter,
    TransactionOut,
    VoidIn,
)
from apps.transactions.selectors import (
    billing_settings_of,
    contact_balance,
    invoice_get,
    invoice_list,
    payment_get,
    payment_list,
    transaction_list,
)
from apps.transactions.services.invoices import (
    invoice_create,
    invoice_delete,
    invoice_issue,
    invoice_update,
    invoice_void,
)
from apps.transactions.services.payments import payment_create, payment_refund
from apps.transactions.services.settings import billing_settings_update
from edge.permissions import requires
from hubkit.openapi import problem_responses
from hubkit.pagination import KeysetPagination, paginate

invoices_router = Router(tags=["invoices"])
payments_router = Router(tags=["payments"])
ledger_router = Router(tags=["ledger"])
balance_router = Router(tags=["ledger"])
settings_router = Router(tags=["billing settings"])

READ = "transactions:read"
WRITE = "transactions:write"

_PDF = {
    "responses": {
        200: {
            "description": "The invoice as a printable PDF.",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


@invoices_router.get("", response=list[InvoiceOut], operation_id="list_invoices")
@requires(Role.VIEWER, scope=READ)
@paginate(KeysetPagination, descending=True)
def list_invoices(request: HttpRequest, filters: Query[InvoiceFilter]) -> QuerySet[Invoice]:
    """Invoices, newest first."""
    return invoice_list(
        organization=organization_of(request),
        statuses=filters.status.split(",") if filters.status else None,
        contact_id=filters.contact_id,
        overdue=filters.overdue,
    )


@invoices_router.post("", response={201: InvoiceOut, **problem_responses(404)}, operation_id="create_invoice")
@requires(Role.MANAGER, scope=WRITE, introspect=True, idempotency="optional")
def create_invoice(request: HttpRequest, payload: InvoiceIn) -> Status[Invoice]:
    """A draft invoice; totals are computed here. 404 for an unknown contact, booking or service."""
    invoice = invoice_create(
        organization=organization_of(request), actor=principal_of(request).user, **payload.model_dump()
    )
    return Status(201, invoice)


@invoices_router.get("/{invoice_id}", response=InvoiceOut, operation_id="get_invoice")
@requires(Role.VIEWER, scope=READ)
def get_invoice(request: HttpRequest, invoice_id: InvoiceId) -> Invoice:
    return invoice_get(organization=organization_of(request), invoice_id=invoice_id)


@invoices_router.patch(
    "/{invoice_id}", response={200: InvoiceOut, **problem_responses(409)}, operation_id="update_invoice"
)
@requires(Role.MANAGER, scope=WRITE, introspect=True)
def update_invoice(request: HttpRequest, invoice_id: InvoiceId, payload: InvoicePatch) -> Invoice:
    """Changes a draft; 409 `invoice_not_draft` once issued (void it and issue a new one instead)."""
    invoice = invoice_get(organization=organization_of(request), invoice_id=invoice_id)
    return invoice_update(
        invoice=invoice, actor=principal_of(request).user, data=payload.model_dump(exclude_unset=True)
    )


@invoices_router.delete(
    "/{invoice_id}", response={204: None, **problem_responses(409)}, operation_id="delete_invoice"
)
@requires(Role.MANAGER, scope=WRITE, introspect=True)
def delete_invoice(request: HttpRequest, invoice_id: InvoiceId) -> Status[None]:
    """Deletes a draft; 409 `invoice_not_draft` for an issued invoice."""
    invoice = invoice_get(organization=organization_of(request), invoice_id=invoice_id)
    invoice_delete(invoice=invoice, actor=principal_of(request).user)
    return Status(204, None)


@invoices_router.post(
    "/{invoice_id}/issue", response={200: InvoiceOut, **problem_responses(409)}, operation_id="issue_invoice"
)
@requires(Role.MANAGER, scope=WRITE, introspect=True)
def issue_invoice(request: HttpRequest, invoice_id: InvoiceId) -> Invoice:
    """draft → issued: numbered, booked to the ledger, `invoice.issued` sent.

    422 `invoice_empty` for a zero total; 409 `invoice_not_draft` once issued.
    """
    invoice = invoice_get(organization=organization_of(request), invoice_id=invoice_id)
    return invoice_issue(invoice=invoice, actor=principal_of(request).user)


@invoices_router.post(
    "/{invoice_id}/void", response={200: InvoiceOut, **problem_responses(409)}, operation_id="void_invoice"
)
@requires(Role.MANAGER, scope=WRITE, introspect=True)
def void_invoice(request: HttpRequest, invoice_id: InvoiceId, payload: VoidIn) -> Invoice:
    """issued → void, reversed in the ledger; 409 `invoice_has_payments` once anything was paid."""
    invoice = invoice_get(organization=organization_of(request), invoice_id=invoice_id)
    return invoice_void(invoice=invoice, actor=principal_of(request).user, reason=payload.reason)


@invoices_router.get(
    "/{invoice_id}/pdf",
    response={**problem_responses(409)},
    operation_id="get_invoice_pdf",
    openapi_extra=_PDF,
)
@requires(Role.VIEWER, scope=READ)
def get_invoice_pdf(request: HttpRequest, invoice_id: InvoiceId) -> HttpResponse:
    """The issued invoice as a PDF; 409 `invoice_not_issued` for a draft."""
    invoice = invoice_get(organization=organization_of(request), invoice_id=invoice_id)
    document = invoice_pdf(invoice=invoice)
    response = HttpResponse(document.content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{document.filename}"'
    return response


@payments_router.get("", response=list[PaymentOut], operation_id="list_payments")
@requires(Role.VIEWER, scope=READ)
@paginate(KeysetPagination, keys=("received_at", "id"), descending=True)
def list_payments(request: HttpRequest, filters: Query[PaymentFilter]) -> QuerySet[Payment]:
    """Payments, latest received first."""
    return payment_list(organization=organization_of(request), **filters.model_dump())


@payments_router.post(
    "", response={201: PaymentOut, **problem_responses(404, 409)}, operation_id="create_payment"
)
@requires(Role.MANAGER, scope=WRITE, introspect=True, idempotency="required")
def create_payment(request: HttpRequest, payload: PaymentIn) -> Status[Payment]:
    """Records money received; against an invoice at most its amount due (409 `overpayment`), 409
    `invalid_invoice_status` unless it is issued and unsettled; 422 `currency_mismatch`."""
    payment = payment_create(
        organization=organization_of(request), actor=principal_of(request).user, **payload.model_dump()
    )
    return Status(201, payment)


@payments_router.get("/{payment_id}", response=PaymentOut, operation_id="get_payment")
@requires(Role.VIEWER, scope=READ)
def get_payment(request: HttpRequest, payment_id: PaymentId) -> Payment:
    return payment_get(organization=organization_of(request), payment_id=payment_id)


@payments_router.post(
    "/{payment_id}/refunds",
    response={201: RefundOut, **problem_responses(409)},
    operation_id="refund_payment",
)
@requires(Role.MANAGER, scope=WRITE, introspect=True, idempotency="required")
def refund_payment(request: HttpRequest, payment_id: PaymentId, payload: RefundIn) -> Status[Refund]:
    """Gives money back; all refunds of a payment never exceed it (409 `refund_exceeds_payment`)."""
    payment = payment_get(organization=organization_of(request), payment_id=payment_id)
    refund = payment_refund(
        payment=payment,
        actor=principal_of(request).user,
        amount=payload.amount.model_dump(),
        reason=payload.reason,
    )
    return Status(201, refund)


@ledger_router.get("", response=list[TransactionOut], operation_id="list_transactions")
@requires(Role.VIEWER, scope=READ)
@paginate(KeysetPagination, keys=("occurred_at", "id"), descending=True)
def list_transactions(request: HttpRequest, filters: Query[TransactionFilter]) -> QuerySet[LedgerTransaction]:
    """The append-only ledger, latest first: every money movement with its balanced entries."""
    return transaction_list(organization=organization_of(request), **filters.model_dump())


@balance_router.get(
    "/{contact_id}/balance",
    response={200: BalancesOut, **problem_responses(404)},
    operation_id="get_contact_balance",
)
@requires(Role.VIEWER, scope=READ)
def get_contact_balance(request: HttpRequest, contact_id: ContactId) -> dict[str, Any]:
    """What the contact was invoiced, paid, was refunded and owes, per currency, from the ledger."""
    balances = contact_balance(organization=organization_of(request), contact_id=contact_id)
    return {"items": [balance.as_dict() for balance in balances]}


@settings_router.get("", response=BillingSettingsOut, operation_id="get_billing_settings")
@requires(Role.VIEWER, scope=READ)
def get_billing_settings(request: HttpRequest) -> BillingSettings:
    return billing_settings_of(organization=organization_of(request))


@settings_router.patch("", response=BillingSettingsOut, operation_id="update_billing_settings")
@requires(Role.ADMIN, introspect=True)
def update_billing_settings(request: HttpRequest, payload: BillingSettingsPatch) -> BillingSettings:
    """Currency, invoice prefix, payment terms and default tax rate (the number sequence is kept)."""
    return billing_settings_update(
        organization=organization_of(request), data=payload.model_dump(exclude_unset=True)
    )
