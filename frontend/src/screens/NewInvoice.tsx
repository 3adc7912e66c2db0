import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router";
import { backend, unwrap } from "../api/client";
import { errorOf, type UserError } from "../api/problem";
import { useMe } from "../auth/AuthContext";
import { addDays, localDate } from "./bookingLogic";
import { organizationTimeZone } from "./insightsData";
import { Button, ErrorAlert, SelectField, TextField } from "../ui";
import { ContactPicker } from "./ContactPicker";
import { byId, useContactsById, useServices, type Contact } from "./bookingData";
import {
  MAX_QUANTITY_DECIMALS,
  MAX_UNIT_PRICE_DECIMALS,
  canBill,
  formatMinor,
  formatMoney,
  invoiceTotals,
  lineProblems,
  type LineInput,
  type LineProblem,
} from "./invoiceLogic";
import { failureOf, invoiceKey, useBillingSettings, useIdempotencyKeys, type Invoice } from "./moneyData";

const focus = "focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600";
/** Offered besides the organization's own billing currency. */
const CURRENCIES = ["EUR", "USD", "GBP", "CHF", "SEK", "JPY", "KWD"];

export interface LineDraft extends LineInput {
  key: string;
  description: string;
  serviceId: string;
}

export interface InvoiceDraft {
  contact: Contact | null;
  currency: string;
  dueDate: string;
  notes: string;
  lines: LineDraft[];
}

let lineCounter = 0;
function newLine(taxRate: string): LineDraft {
  lineCounter += 1;
  return { key: `line-${lineCounter}`, description: "", quantity: "1", unitPrice: "", taxRate, serviceId: "" };
}

const PROBLEM_WORDS: Record<LineProblem, (currency: string) => string> = {
  quantity: () => `Enter a quantity above 0, at most 1,000,000 with ${MAX_QUANTITY_DECIMALS} decimals.`,
  unitPrice: () => `Enter a price of 0 or more, below 1,000,000,000, at most ${MAX_UNIT_PRICE_DECIMALS} decimals.`,
  taxRate: () => "Enter a rate from 0 to 100, at most 2 decimals.",
  total: (currency) => `The line's total must stay below ${formatMoney({ amount: "1000000000", currency })}.`,
};

/** A line needs words: its own description, or the service's name. */
function needsDescription(line: LineDraft): boolean {
  return !line.description.trim() && !line.serviceId;
}

/** The request body of a draft (POST /invoices, or PATCH /invoices/{id} without the currency). */
export function draftBody(draft: InvoiceDraft) {
  return {
    contact_id: draft.contact?.id ?? "",
    due_date: draft.dueDate,
    notes: draft.notes,
    lines: draft.lines.map((line) => ({
      description: line.description.trim(),
      quantity: line.quantity.trim(),
      unit_price: line.unitPrice.trim(),
      tax_rate: line.taxRate.trim(),
      service_id: line.serviceId || null,
    })),
  };
}

/** The draft of an existing invoice, to edit it. */
export function draftOf(invoice: Invoice, contact: Contact | null): InvoiceDraft {
  return {
    contact,
    currency: invoice.currency,
    dueDate: invoice.due_date,
    notes: invoice.notes ?? "",
    lines: invoice.lines.map((line) => ({
      ...newLine(line.tax_rate),
      description: line.description,
      quantity: line.quantity,
      unitPrice: line.unit_price.amount,
      serviceId: line.service_id ?? "",
    })),
  };
}

/**
 * The invoice editor: contact, currency, due date, notes and lines, with a live preview of the
 * totals computed by the server's rule. Used for a new draft and for editing one.
 */
export function InvoiceForm({
  initial,
  currencyFixed,
  defaultTaxRate,
  submitLabel,
  pendingLabel,
  pending,
  error,
  onSubmit,
  onCancel,
}: {
  initial: InvoiceDraft;
  currencyFixed: boolean;
  defaultTaxRate: string;
  submitLabel: string;
  pendingLabel: string;
  pending: boolean;
  error: UserError | null;
  onSubmit: (draft: InvoiceDraft) => void;
  onCancel?: () => void;
}) {
  const services = useServices();
  const activeServices = (services.data ?? []).filter((service) => service.is_active);
  const servicesById = byId(services.data);
  const [draft, setDraft] = useState<InvoiceDraft>(initial);
  const [taxForAll, setTaxForAll] = useState(initial.lines[0]?.taxRate ?? defaultTaxRate);
  const [tried, setTried] = useState(false);
  const totals = invoiceTotals(draft.lines, draft.currency);
  const currencies = [...new Set([initial.currency, ...CURRENCIES])];

  function setLine(key: string, changes: Partial<LineDraft>) {
    setDraft((current) => ({ ...current, lines: current.lines.map((line) => (line.key === key ? { ...line, ...changes } : line)) }));
  }

  function pickService(key: string, serviceId: string) {
    const service = servicesById.get(serviceId);
    const changes: Partial<LineDraft> = { serviceId };
    if (service) {
      changes.description = service.name;
      // The catalog price only fits an invoice in the service's currency.
      if (service.price.currency === draft.currency) changes.unitPrice = service.price.amount;
    }
    setLine(key, changes);
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    setTried(true);
    const invalid =
      !draft.contact ||
      !draft.dueDate ||
      draft.lines.some((line) => lineProblems(line, draft.currency).length > 0 || needsDescription(line));
    if (invalid || pending) return;
    onSubmit(draft);
  }

  return (
    <form onSubmit={submit} noValidate className="flex flex-col gap-4" aria-label="Invoice" data-testid="invoices-form">
      <div className="grid gap-4 md:grid-cols-2">
        <div className="rounded-lg bg-white p-4 shadow-sm">
          <ContactPicker
            testIdPrefix="invoices-form-contact"
            name="invoice-contact"
            chosenLabel="Invoice to"
            missingMessage={tried && !draft.contact ? "Choose who the invoice is for." : undefined}
            chosen={draft.contact}
            onChoose={(contact) => setDraft((current) => ({ ...current, contact }))}
          />
        </div>
        <div className="flex flex-col gap-3 rounded-lg bg-white p-4 shadow-sm">
          {currencyFixed ? (
            <p className="text-sm text-slate-800">
              Currency: <strong data-testid="invoices-form-currency-fixed">{draft.currency}</strong>
            </p>
          ) : (
            <SelectField
              label="Currency"
              value={draft.currency}
              onChange={(event) => setDraft((current) => ({ ...current, currency: event.target.value }))}
              data-testid="invoices-form-currency"
            >
              {currencies.map((code) => (
                <option key={code} value={code}>
                  {code}
                </option>
              ))}
            </SelectField>
          )}
          <TextField
            label="Due date"
            type="date"
            required
            value={draft.dueDate}
            error={tried && !draft.dueDate ? "Enter the date payment is due." : undefined}
            onChange={(event) => setDraft((current) => ({ ...current, dueDate: event.target.value }))}
            data-testid="invoices-form-due-date"
          />
          <div>
            <TextField
              label="Tax rate for all lines (%)"
              inputMode="decimal"
              value={taxForAll}
              hint="Applied to every line; change a line's own rate below."
              onChange={(event) => {
                const rate = event.target.value;
                setTaxForAll(rate);
                setDraft((current) => ({ ...current, lines: current.lines.map((line) => ({ ...line, taxRate: rate })) }));
              }}
              data-testid="invoices-form-tax-rate"
            />
          </div>
          <TextField
            label="Notes"
            value={draft.notes}
            maxLength={2000}
            onChange={(event) => setDraft((current) => ({ ...current, notes: event.target.value }))}
            data-testid="invoices-form-notes"
          />
        </div>
      </div>

      <section aria-labelledby="invoice-lines-heading" className="flex flex-col gap-3 rounded-lg bg-white p-4 shadow-sm">
        <h2 id="invoice-lines-heading" className="text-lg font-semibold">
          Lines
        </h2>
        {services.isError && <ErrorAlert error={errorOf(services.error)} testId="invoices-form-services-error" />}
        {services.isPending && (
          <p role="status" data-testid="invoices-form-services-loading" className="text-sm text-slate-700">
            Loading the service catalog…
          </p>
        )}
        {services.isSuccess && activeServices.length === 0 && (
          <p data-testid="invoices-form-services-empty" className="text-sm text-slate-700">
            No active services in the catalog: describe each line and give its price.
          </p>
        )}
        {draft.lines.length === 0 && (
          <p data-testid="invoices-form-no-lines" className="text-sm text-slate-700">
            No lines yet. A draft may be saved without lines, but it cannot be issued.
          </p>
        )}
        <ol className="flex flex-col gap-3">
          {draft.lines.map((line, index) => {
            const problems = tried ? lineProblems(line, draft.currency) : [];
            const amounts = totals.lines[index];
            const number = index + 1;
            return (
              <li key={line.key} data-testid="invoices-form-line" className="rounded-md border border-slate-200 p-3">
                <fieldset className="flex flex-col gap-2">
                  <legend className="text-sm font-semibold text-slate-800">Line {number}</legend>
                  <div className="grid gap-2 md:grid-cols-[1fr_2fr]">
                    <SelectField
                      label="Service"
                      value={line.serviceId}
                      onChange={(event) => pickService(line.key, event.target.value)}
                      data-testid="invoices-form-line-service"
                    >
                      <option value="">No service</option>
                      {activeServices.map((service) => (
                        <option key={service.id} value={service.id}>
                          {service.name} ({formatMoney(service.price)})
                        </option>
                      ))}
                    </SelectField>
                    <TextField
                      label="Description"
                      value={line.description}
                      maxLength={500}
                      error={tried && needsDescription(line) ? "Enter a description or pick a service." : undefined}
                      onChange={(event) => setLine(line.key, { description: event.target.value })}
                      data-testid="invoices-form-line-description"
                    />
                  </div>
                  <div className="grid grid-cols-2 gap-2 md:grid-cols-4">
                    <TextField
                      label="Quantity"
                      inputMode="decimal"
                      value={line.quantity}
                      error={
                        problems.includes("quantity")
                          ? PROBLEM_WORDS.quantity(draft.currency)
                          : problems.includes("total")
                            ? PROBLEM_WORDS.total(draft.currency)
                            : undefined
                      }
                      onChange={(event) => setLine(line.key, { quantity: event.target.value })}
                      data-testid="invoices-form-line-quantity"
                    />
                    <TextField
                      label={`Unit price (${draft.currency})`}
                      inputMode="decimal"
                      value={line.unitPrice}
                      error={problems.includes("unitPrice") ? PROBLEM_WORDS.unitPrice(draft.currency) : undefined}
                      onChange={(event) => setLine(line.key, { unitPrice: event.target.value })}
                      data-testid="invoices-form-line-price"
                    />
                    <TextField
                      label="Tax rate (%)"
                      inputMode="decimal"
                      value={line.taxRate}
                      error={problems.includes("taxRate") ? PROBLEM_WORDS.taxRate(draft.currency) : undefined}
                      onChange={(event) => setLine(line.key, { taxRate: event.target.value })}
                      data-testid="invoices-form-line-tax-rate"
                    />
                    <div className="flex flex-col gap-1">
                      <span className="text-sm font-medium text-slate-800">Line total</span>
                      <span className="py-2 text-sm tabular-nums" data-testid="invoices-form-line-total">
                        {amounts ? formatMoney({ amount: formatMinor(amounts.total, draft.currency), currency: draft.currency }) : "—"}
                      </span>
                    </div>
                  </div>
                  <div>
                    <Button
                      variant="secondary"
                      aria-label={`Remove line ${number}`}
                      onClick={() => setDraft((current) => ({ ...current, lines: current.lines.filter((other) => other.key !== line.key) }))}
                      data-testid="invoices-form-line-remove"
                    >
                      Remove line
                    </Button>
                  </div>
                </fieldset>
              </li>
            );
          })}
        </ol>
        <div>
          <Button
            variant="secondary"
            onClick={() => setDraft((current) => ({ ...current, lines: [...current.lines, newLine(taxForAll || defaultTaxRate)] }))}
            data-testid="invoices-form-add-line"
          >
            Add line
          </Button>
        </div>
      </section>

      <section aria-labelledby="invoice-preview-heading" className="rounded-lg bg-white p-4 shadow-sm">
        <h2 id="invoice-preview-heading" className="text-lg font-semibold">
          Totals
        </h2>
        <dl className="mt-2 grid max-w-sm grid-cols-2 gap-1 text-sm" aria-live="polite" data-testid="invoices-form-preview">
          <dt>Net</dt>
          <dd className="text-right tabular-nums" data-testid="invoices-form-preview-net">
            {formatMoney({ amount: formatMinor(totals.net, draft.currency), currency: draft.currency })}
          </dd>
          <dt>Tax</dt>
          <dd className="text-right tabular-nums" data-testid="invoices-form-preview-tax">
            {formatMoney({ amount: formatMinor(totals.tax, draft.currency), currency: draft.currency })}
          </dd>
          <dt className="font-semibold">Total</dt>
          <dd className="text-right font-semibold tabular-nums" data-testid="invoices-form-preview-total">
            {formatMoney({ amount: formatMinor(totals.total, draft.currency), currency: draft.currency })}
          </dd>
        </dl>
        {!totals.complete && (
          <p className="mt-2 text-xs text-slate-600" data-testid="invoices-form-preview-incomplete">
            Lines with numbers still to fix are left out of the totals.
          </p>
        )}
      </section>

      <ErrorAlert error={error} testId="invoices-form-error" />
      <div className="flex gap-2">
        <Button type="submit" disabled={pending} data-testid="invoices-form-submit">
          {pending ? pendingLabel : submitLabel}
        </Button>
        {onCancel && (
          <Button variant="secondary" onClick={onCancel} data-testid="invoices-form-cancel">
            Cancel
          </Button>
        )}
      </div>
    </form>
  );
}

export function NewInvoice() {
  const me = useMe();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const settings = useBillingSettings();
  const [error, setError] = useState<UserError | null>(null);
  const keys = useIdempotencyKeys();

  const create = useMutation({
    mutationFn: async (draft: InvoiceDraft) => {
      const body = { ...draftBody(draft), currency: draft.currency };
      // The same form saved again replays the first answer instead of making a second draft.
      const key = keys.keyFor(JSON.stringify(body));
      return unwrap(await backend.POST("/api/v1/invoices", { params: { header: { "Idempotency-Key": key } }, body }));
    },
    onSuccess: (invoice) => {
      queryClient.setQueryData(invoiceKey(me.organization_id, invoice.id), invoice);
      void queryClient.invalidateQueries({ queryKey: ["invoices", me.organization_id] });
      navigate(`/invoices/${invoice.id}`);
    },
    onError: (caught) => {
      keys.failed(...failureOf(caught));
      setError(errorOf(caught));
    },
  });

  const heading = (
    <div className="flex flex-wrap items-center gap-3">
      <h1 id="new-invoice-heading" className="text-2xl font-semibold">
        New invoice
      </h1>
      <Link to="/invoices" className={`ml-auto text-sm text-indigo-700 underline ${focus}`} data-testid="invoices-new-back">
        Back to invoices
      </Link>
    </div>
  );

  if (!canBill(me.roles)) {
    return (
      <section aria-labelledby="new-invoice-heading" className="flex flex-col gap-4">
        {heading}
        <p data-testid="invoices-new-forbidden">Only managers and above can write invoices.</p>
      </section>
    );
  }

  return (
    <section aria-labelledby="new-invoice-heading" className="flex flex-col gap-4">
      {heading}
      {settings.isError && <ErrorAlert error={errorOf(settings.error)} testId="invoices-new-settings-error" />}
      {settings.isPending ? (
        <p role="status" data-testid="invoices-new-loading" className="text-sm text-slate-700">
          Loading billing settings…
        </p>
      ) : (
        settings.data && (
          <InvoiceForm
            initial={{
              contact: null,
              currency: settings.data.currency,
              // Today on the organization's clock, not the browser's.
              dueDate: addDays(localDate(new Date(), organizationTimeZone(me)), settings.data.payment_terms_days),
              notes: "",
              lines: [newLine(settings.data.default_tax_rate)],
            }}
            currencyFixed={false}
            defaultTaxRate={settings.data.default_tax_rate}
            submitLabel="Save draft"
            pendingLabel="Saving…"
            pending={create.isPending}
            error={error}
            onSubmit={(draft) => {
              setError(null);
              create.mutate(draft);
            }}
          />
        )
      )}
    </section>
  );
}

/** Edits a draft's contact, due date, notes and lines (PATCH replaces all lines). */
export function EditInvoice({ invoice, onDone }: { invoice: Invoice; onDone: () => void }) {
  const me = useMe();
  const queryClient = useQueryClient();
  const settings = useBillingSettings();
  const contacts = useContactsById([invoice.contact_id]);
  const contact = contacts.get(invoice.contact_id) ?? null;
  const [error, setError] = useState<UserError | null>(null);
  const save = useMutation({
    mutationFn: async (draft: InvoiceDraft) =>
      unwrap(
        await backend.PATCH("/api/v1/invoices/{invoice_id}", {
          params: { path: { invoice_id: invoice.id } },
          body: draftBody(draft),
        }),
      ),
    onSuccess: (saved) => {
      queryClient.setQueryData(invoiceKey(me.organization_id, saved.id), saved);
      void queryClient.invalidateQueries({ queryKey: ["invoices", me.organization_id] });
      onDone();
    },
    onError: (caught) => setError(errorOf(caught)),
  });
  if (!contact) {
    return (
      <p role="status" className="text-sm text-slate-700">
        Loading…
      </p>
    );
  }
  return (
    <InvoiceForm
      initial={draftOf(invoice, contact)}
      currencyFixed
      defaultTaxRate={settings.data?.default_tax_rate ?? "0"}
      submitLabel="Save changes"
      pendingLabel="Saving…"
      pending={save.isPending}
      error={error}
      onSubmit={(draft) => {
        setError(null);
        save.mutate(draft);
      }}
      onCancel={onDone}
    />
  );
}
