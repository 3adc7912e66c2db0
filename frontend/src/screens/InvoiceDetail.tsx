import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { backend, unwrap } from "../api/client";
import { errorOf, type UserError } from "../api/problem";
import { useMe } from "../auth/AuthContext";
import { Button, ConfirmDialog, ErrorAlert, Notice, ReasonField, SelectField, Table, TextField } from "../ui";
import { useContactsById } from "./bookingData";
import { contactName } from "./bookingLogic";
import { InvoiceStatusBadge, OverdueBadge } from "./Invoices";
import { EditInvoice } from "./NewInvoice";
import {
  PAYMENT_METHODS,
  PAYMENT_METHOD_LABELS,
  amountProblem,
  canBill,
  currencyExponent,
  formatDate,
  formatDateTime,
  formatMoney,
  invoiceActions,
  paymentMethodLabel,
  type PaymentMethod,
} from "./invoiceLogic";
import { useOrganizationTimeZone } from "./insightsData";
import { failureOf, fetchInvoicePdf, invoiceKey, openBlob, useIdempotencyKeys, useInvoice, type Invoice } from "./moneyData";

const focus = "focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600";

function amountWords(problem: ReturnType<typeof amountProblem>, currency: string, max: string): string | undefined {
  const decimals = currencyExponent(currency);
  switch (problem) {
    case "invalid":
      return decimals ? `Enter an amount with at most ${decimals} decimals.` : `Enter a whole amount (${currency} has no decimals).`;
    case "zero":
      return "Enter an amount above 0.";
    case "too_much":
      return `At most the amount due, ${formatMoney({ amount: max, currency })}.`;
    default:
      return undefined;
  }
}

function RecordPayment({ invoice, onDone }: { invoice: Invoice; onDone: (message: string) => void }) {
  const me = useMe();
  const queryClient = useQueryClient();
  const keys = useIdempotencyKeys();
  const [amount, setAmount] = useState(invoice.amount_due.amount);
  const [method, setMethod] = useState<PaymentMethod>("transfer");
  const [reference, setReference] = useState("");
  const [tried, setTried] = useState(false);
  const [error, setError] = useState<UserError | null>(null);
  const problem = amountProblem(amount.trim(), invoice.currency, invoice.amount_due.amount);

  const pay = useMutation({
    mutationFn: async () => {
      const body = {
        contact_id: invoice.contact_id,
        invoice_id: invoice.id,
        amount: { amount: amount.trim(), currency: invoice.currency },
        method,
        reference: reference.trim(),
      };
      // The same form submitted again (after a timeout or a lost answer) reuses its key, so the
      // server replays the first answer instead of taking the money twice.
      const key = keys.keyFor(JSON.stringify(body));
      return unwrap(await backend.POST("/api/v1/payments", { params: { header: { "Idempotency-Key": key } }, body }));
    },
    onSuccess: (payment) => {
      keys.reset();
      setError(null);
      void queryClient.invalidateQueries({ queryKey: invoiceKey(me.organization_id, invoice.id) });
      void queryClient.invalidateQueries({ queryKey: ["invoices", me.organization_id] });
      void queryClient.invalidateQueries({ queryKey: ["payments", me.organization_id] });
      void queryClient.invalidateQueries({ queryKey: ["contact-balance", me.organization_id] });
      onDone(`Payment of ${formatMoney(payment.amount)} recorded.`);
    },
    onError: (caught) => {
      keys.failed(...failureOf(caught));
      setError(errorOf(caught));
      void queryClient.invalidateQueries({ queryKey: invoiceKey(me.organization_id, invoice.id) });
    },
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    setTried(true);
    if (problem || pay.isPending) return;
    pay.mutate();
  }

  return (
    <form onSubmit={submit} noValidate aria-labelledby="record-payment-heading" className="flex flex-col gap-3 rounded-lg bg-white p-4 shadow-sm" data-testid="invoices-pay-form">
      <h2 id="record-payment-heading" className="text-lg font-semibold">
        Record payment
      </h2>
      <div className="grid gap-3 md:grid-cols-3">
        <TextField
          label={`Amount (${invoice.currency})`}
          inputMode="decimal"
          value={amount}
          hint={`Amount due: ${formatMoney(invoice.amount_due)}`}
          error={tried ? amountWords(problem, invoice.currency, invoice.amount_due.amount) : undefined}
          onChange={(event) => setAmount(event.target.value)}
          data-testid="invoices-pay-amount"
        />
        <SelectField label="Method" value={method} onChange={(event) => setMethod(event.target.value as PaymentMethod)} data-testid="invoices-pay-method">
          {PAYMENT_METHODS.map((option) => (
            <option key={option} value={option}>
              {PAYMENT_METHOD_LABELS[option]}
            </option>
          ))}
        </SelectField>
        <TextField
          label="Reference"
          value={reference}
          maxLength={200}
          hint="Optional, e.g. the bank transfer's reference"
          onChange={(event) => setReference(event.target.value)}
          data-testid="invoices-pay-reference"
        />
      </div>
      <ErrorAlert error={error} testId="invoices-pay-error" />
      <div>
        <Button type="submit" disabled={pay.isPending} data-testid="invoices-pay-submit">
          {pay.isPending ? "Recording…" : "Record payment"}
        </Button>
      </div>
    </form>
  );
}

function InvoicePayments({ invoice }: { invoice: Invoice }) {
  const zone = useOrganizationTimeZone();
  const me = useMe();
  const payments = useQuery({
    queryKey: ["payments", me.organization_id, "invoice", invoice.id],
    queryFn: async () =>
      unwrap(await backend.GET("/api/v1/payments", { params: { query: { invoice_id: invoice.id, limit: 100 } } })).items,
  });
  return (
    <section aria-labelledby="invoice-payments-heading" className="flex flex-col gap-2">
      <h2 id="invoice-payments-heading" className="text-lg font-semibold">
        Payments
      </h2>
      {payments.isError && <ErrorAlert error={errorOf(payments.error)} testId="invoices-detail-payments-error" />}
      {payments.isPending && (
        <p role="status" data-testid="invoices-detail-payments-loading" className="text-sm text-slate-700">
          Loading payments…
        </p>
      )}
      {payments.data?.length === 0 && (
        <p data-testid="invoices-detail-payments-empty" className="text-sm text-slate-700">
          No payments on this invoice yet.
        </p>
      )}
      {payments.data && payments.data.length > 0 && (
        <Table caption="Payments on this invoice" head={["Received", "Method", "Amount", "Refunded"]} numeric={["Amount", "Refunded"]} testId="invoices-detail-payments">
          {payments.data.map((payment) => (
            <tr key={payment.id} data-testid="invoices-detail-payment">
              <td className="px-3 py-2">{formatDateTime(payment.received_at, zone)}</td>
              <td className="px-3 py-2">{paymentMethodLabel(payment.method)}</td>
              <td className="px-3 py-2 text-right tabular-nums">{formatMoney(payment.amount)}</td>
              <td className="px-3 py-2 text-right tabular-nums">{formatMoney(payment.amount_refunded)}</td>
            </tr>
          ))}
        </Table>
      )}
    </section>
  );
}

type Dialog = "issue" | "delete" | "void" | null;

export function InvoiceDetail() {
  const { id = "" } = useParams();
  const me = useMe();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const invoice = useInvoice(id);
  const contacts = useContactsById(invoice.data ? [invoice.data.contact_id] : []);
  const [editing, setEditing] = useState(false);
  const [paying, setPaying] = useState(false);
  const [dialog, setDialog] = useState<Dialog>(null);
  const [reason, setReason] = useState("");
  const [reasonError, setReasonError] = useState<string | undefined>();
  const [dialogError, setDialogError] = useState<UserError | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [pdfError, setPdfError] = useState<UserError | null>(null);
  const mayBill = canBill(me.roles);

  function closeDialog() {
    setDialog(null);
    setReason("");
    setReasonError(undefined);
    setDialogError(null);
  }

  function refreshLists() {
    void queryClient.invalidateQueries({ queryKey: ["invoices", me.organization_id] });
    void queryClient.invalidateQueries({ queryKey: ["contact-balance", me.organization_id] });
  }

  const act = useMutation({
    mutationFn: async (action: Exclude<Dialog, null>) => {
      const path = { params: { path: { invoice_id: id } } };
      switch (action) {
        case "issue":
          return unwrap(await backend.POST("/api/v1/invoices/{invoice_id}/issue", path));
        case "void":
          return unwrap(await backend.POST("/api/v1/invoices/{invoice_id}/void", { ...path, body: { reason: reason.trim() } }));
        case "delete":
          unwrap(await backend.DELETE("/api/v1/invoices/{invoice_id}", path));
          return null;
      }
    },
    onSuccess: (updated, action) => {
      closeDialog();
      refreshLists();
      if (action === "delete") {
        queryClient.removeQueries({ queryKey: invoiceKey(me.organization_id, id) });
        navigate("/invoices");
        return;
      }
      if (updated) queryClient.setQueryData(invoiceKey(me.organization_id, id), updated);
      setNotice(action === "issue" ? `Invoice issued as ${updated?.number ?? ""}.` : "Invoice voided.");
    },
    onError: (caught) => {
      setDialogError(errorOf(caught));
      void queryClient.invalidateQueries({ queryKey: invoiceKey(me.organization_id, id) });
    },
  });

  const pdf = useMutation({
    mutationFn: () => fetchInvoicePdf(id),
    onSuccess: (blob) => {
      setPdfError(null);
      openBlob(blob, `${invoice.data?.number ?? "invoice"}.pdf`);
    },
    onError: (caught) => setPdfError(errorOf(caught)),
  });

  const back = (
    <Link to="/invoices" className={`ml-auto text-sm text-indigo-700 underline ${focus}`} data-testid="invoices-detail-back">
      Back to invoices
    </Link>
  );

  if (invoice.isPending) {
    return (
      <section aria-labelledby="invoice-heading" className="flex flex-col gap-4">
        <div className="flex flex-wrap items-center gap-3">
          <h1 id="invoice-heading" className="text-2xl font-semibold">
            Invoice
          </h1>
          {back}
        </div>
        <p role="status" data-testid="invoices-detail-loading" className="text-sm text-slate-700">
          Loading the invoice…
        </p>
      </section>
    );
  }
  if (invoice.isError || !invoice.data) {
    return (
      <section aria-labelledby="invoice-heading" className="flex flex-col gap-4">
        <div className="flex flex-wrap items-center gap-3">
          <h1 id="invoice-heading" className="text-2xl font-semibold">
            Invoice
          </h1>
          {back}
        </div>
        <ErrorAlert error={errorOf(invoice.error)} testId="invoices-detail-error" />
      </section>
    );
  }

  const data = invoice.data;
  const name = contactName(contacts.get(data.contact_id));
  const actions = invoiceActions(data.status, data.amount_paid.amount);
  const title = data.number ? `Invoice ${data.number}` : "Draft invoice";

  return (
    <section aria-labelledby="invoice-heading" className="flex flex-col gap-4" data-testid="invoices-detail" data-invoice-id={data.id}>
      <div className="flex flex-wrap items-center gap-3">
        <h1 id="invoice-heading" className="text-2xl font-semibold" data-testid="invoices-detail-title">
          {title}
        </h1>
        <InvoiceStatusBadge status={data.status} testId="invoices-detail-status" />
        {data.overdue && <OverdueBadge testId="invoices-detail-overdue" />}
        {back}
      </div>

      {notice && <Notice testId="invoices-detail-notice">{notice}</Notice>}

      {editing ? (
        <EditInvoice invoice={data} onDone={() => setEditing(false)} />
      ) : (
        <>
          <dl className="grid max-w-2xl grid-cols-[auto_1fr] gap-x-6 gap-y-1 rounded-lg bg-white p-4 text-sm shadow-sm">
            <dt className="font-medium">Contact</dt>
            <dd data-testid="invoices-detail-contact">{name || "…"}</dd>
            <dt className="font-medium">Number</dt>
            <dd data-testid="invoices-detail-number">{data.number ?? "Given when issued"}</dd>
            <dt className="font-medium">Issued</dt>
            <dd>{data.issue_date ? formatDate(data.issue_date) : "Not yet"}</dd>
            <dt className="font-medium">Due</dt>
            <dd data-testid="invoices-detail-due-date">{formatDate(data.due_date)}</dd>
            {data.notes && (
              <>
                <dt className="font-medium">Notes</dt>
                <dd>{data.notes}</dd>
              </>
            )}
            {data.void_reason && (
              <>
                <dt className="font-medium">Void because</dt>
                <dd data-testid="invoices-detail-void-reason">{data.void_reason}</dd>
              </>
            )}
          </dl>

          {data.lines.length === 0 ? (
            <p data-testid="invoices-detail-no-lines" className="text-sm text-slate-700">
              This invoice has no lines yet.
            </p>
          ) : (
            <Table caption={`Lines of ${title}`} head={["Description", "Quantity", "Unit price", "Tax rate", "Net", "Tax", "Total"]} numeric={["Quantity", "Unit price", "Tax rate", "Net", "Tax", "Total"]} testId="invoices-detail-lines">
              {data.lines.map((line) => (
                <tr key={line.id} data-testid="invoices-detail-line">
                  <td className="px-3 py-2">{line.description}</td>
                  <td className="px-3 py-2 text-right tabular-nums">{line.quantity}</td>
                  <td className="px-3 py-2 text-right tabular-nums">{formatMoney(line.unit_price)}</td>
                  <td className="px-3 py-2 text-right tabular-nums">{line.tax_rate}%</td>
                  <td className="px-3 py-2 text-right tabular-nums">{formatMoney(line.net)}</td>
                  <td className="px-3 py-2 text-right tabular-nums">{formatMoney(line.tax)}</td>
                  <td className="px-3 py-2 text-right tabular-nums">{formatMoney(line.total)}</td>
                </tr>
              ))}
            </Table>
          )}

          <dl className="grid max-w-sm grid-cols-2 gap-1 rounded-lg bg-white p-4 text-sm shadow-sm" data-testid="invoices-detail-totals">
            <dt>Net</dt>
            <dd className="text-right tabular-nums" data-testid="invoices-detail-net">
              {formatMoney(data.net_total)}
            </dd>
            <dt>Tax</dt>
            <dd className="text-right tabular-nums" data-testid="invoices-detail-tax">
              {formatMoney(data.tax_total)}
            </dd>
            <dt className="font-semibold">Total</dt>
            <dd className="text-right font-semibold tabular-nums" data-testid="invoices-detail-total">
              {formatMoney(data.total)}
            </dd>
            <dt>Paid</dt>
            <dd className="text-right tabular-nums" data-testid="invoices-detail-paid">
              {formatMoney(data.amount_paid)}
            </dd>
            <dt>Refunded</dt>
            <dd className="text-right tabular-nums" data-testid="invoices-detail-refunded">
              {formatMoney(data.amount_refunded)}
            </dd>
            <dt className="font-semibold">Amount due</dt>
            <dd className="text-right font-semibold tabular-nums" data-testid="invoices-detail-amount-due">
              {formatMoney(data.amount_due)}
            </dd>
          </dl>

          <div className="flex flex-wrap gap-2" role="group" aria-label="Invoice actions">
            {mayBill && actions.includes("edit") && (
              <Button variant="secondary" onClick={() => setEditing(true)} data-testid="invoices-detail-edit">
                Edit
              </Button>
            )}
            {mayBill && actions.includes("issue") && (
              <Button onClick={() => setDialog("issue")} data-testid="invoices-detail-issue">
                Issue
              </Button>
            )}
            {mayBill && actions.includes("delete") && (
              <Button variant="danger" onClick={() => setDialog("delete")} data-testid="invoices-detail-delete">
                Delete
              </Button>
            )}
            {mayBill && actions.includes("pay") && (
              <Button
                variant={paying ? "secondary" : "primary"}
                aria-expanded={paying}
                aria-controls="record-payment"
                onClick={() => {
                  setNotice(null);
                  setPaying(!paying);
                }}
                data-testid="invoices-detail-pay"
              >
                {paying ? "Close payment form" : "Record payment"}
              </Button>
            )}
            {mayBill && actions.includes("void") && (
              <Button variant="danger" onClick={() => setDialog("void")} data-testid="invoices-detail-void">
                Void
              </Button>
            )}
            {actions.includes("pdf") && (
              <Button variant="secondary" disabled={pdf.isPending} onClick={() => pdf.mutate()} data-testid="invoices-detail-pdf">
                {pdf.isPending ? "Preparing PDF…" : "Download PDF"}
              </Button>
            )}
          </div>
          <ErrorAlert error={pdfError} testId="invoices-detail-pdf-error" />

          {paying && mayBill && actions.includes("pay") && (
            <div id="record-payment">
              <RecordPayment
                key={data.amount_due.amount}
                invoice={data}
                onDone={(message) => {
                  setPaying(false);
                  setNotice(message);
                }}
              />
            </div>
          )}

          <InvoicePayments invoice={data} />
        </>
      )}

      <ConfirmDialog
        open={dialog === "issue"}
        title="Issue this invoice?"
        confirmLabel={act.isPending ? "Issuing…" : "Issue invoice"}
        testId="invoices-issue-dialog"
        onCancel={closeDialog}
        onConfirm={() => !act.isPending && act.mutate("issue")}
      >
        <p>It gets the next invoice number and can no longer be edited. Total {formatMoney(data.total)}.</p>
        <ErrorAlert error={dialogError} testId="invoices-issue-error" />
      </ConfirmDialog>
      <ConfirmDialog
        open={dialog === "delete"}
        title="Delete this draft?"
        confirmLabel={act.isPending ? "Deleting…" : "Delete draft"}
        cancelLabel="Keep draft"
        testId="invoices-delete-dialog"
        onCancel={closeDialog}
        onConfirm={() => !act.isPending && act.mutate("delete")}
      >
        <p>The draft and its lines are removed for good.</p>
        <ErrorAlert error={dialogError} testId="invoices-delete-error" />
      </ConfirmDialog>
      <ConfirmDialog
        open={dialog === "void"}
        title="Void this invoice?"
        confirmLabel={act.isPending ? "Voiding…" : "Void invoice"}
        cancelLabel="Keep invoice"
        testId="invoices-void-dialog"
        onCancel={closeDialog}
        onConfirm={() => {
          if (act.isPending) return;
          if (!reason.trim()) {
            setReasonError("Enter why the invoice is voided.");
            return;
          }
          setReasonError(undefined);
          act.mutate("void");
        }}
      >
        <div className="flex flex-col gap-3">
          <p>
            {title} of {formatMoney(data.total)} no longer asks for payment. Its number stays used.
          </p>
          <ErrorAlert error={dialogError} testId="invoices-void-error" />
          <ReasonField
            value={reason}
            error={reasonError}
            onChange={(value) => {
              setReason(value);
              if (value.trim()) setReasonError(undefined);
            }}
            data-testid="invoices-void-reason"
          />
        </div>
      </ConfirmDialog>
    </section>
  );
}
