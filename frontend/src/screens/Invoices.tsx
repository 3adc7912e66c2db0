import { useInfiniteQuery } from "@tanstack/react-query";
import { Link, useSearchParams } from "react-router";
import { backend, unwrap } from "../api/client";
import { errorOf } from "../api/problem";
import { useMe } from "../auth/AuthContext";
import { Button, ErrorAlert, Table } from "../ui";
import { useContactsById } from "./bookingData";
import { contactName } from "./bookingLogic";
import {
  INVOICE_STATUSES,
  INVOICE_STATUS_LABELS,
  canBill,
  formatDate,
  formatMoney,
  invoiceStatusLabel,
  isInvoiceStatus,
  type InvoiceStatus,
} from "./invoiceLogic";

const PAGE_SIZE = 25;
const focus = "focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600";

const BADGE: Record<InvoiceStatus, string> = {
  draft: "bg-slate-100 text-slate-800 ring-slate-300",
  issued: "bg-sky-100 text-sky-900 ring-sky-300",
  partially_paid: "bg-amber-100 text-amber-900 ring-amber-300",
  paid: "bg-green-100 text-green-900 ring-green-300",
  void: "bg-zinc-200 text-zinc-800 ring-zinc-400",
};

export function InvoiceStatusBadge({ status, testId = "invoices-list-status" }: { status: string; testId?: string }) {
  const tone = isInvoiceStatus(status) ? BADGE[status] : BADGE.draft;
  return (
    <span data-testid={testId} className={`inline-block rounded-full px-2 py-0.5 text-xs font-semibold ring-1 ${tone}`}>
      {invoiceStatusLabel(status)}
    </span>
  );
}

export function OverdueBadge({ testId = "invoices-list-overdue" }: { testId?: string }) {
  return (
    <span data-testid={testId} className="ml-1 inline-block rounded-full bg-red-100 px-2 py-0.5 text-xs font-semibold text-red-900 ring-1 ring-red-300">
      Overdue
    </span>
  );
}

export function Invoices() {
  const me = useMe();
  const [params, setParams] = useSearchParams();
  const statuses = (params.get("status") ?? "").split(",").filter(isInvoiceStatus);
  const overdue = params.get("overdue") === "true";
  const statusQuery = statuses.length ? statuses.join(",") : undefined;

  function update(changes: Record<string, string | null>) {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(changes)) {
      if (value) next.set(key, value);
      else next.delete(key);
    }
    setParams(next, { replace: true });
  }

  function toggleStatus(status: InvoiceStatus, on: boolean) {
    const next = on ? [...statuses, status] : statuses.filter((s) => s !== status);
    update({ status: INVOICE_STATUSES.filter((s) => next.includes(s)).join(",") || null });
  }

  const invoices = useInfiniteQuery({
    queryKey: ["invoices", me.organization_id, statusQuery, overdue],
    initialPageParam: null as string | null,
    queryFn: async ({ pageParam }) =>
      unwrap(
        await backend.GET("/api/v1/invoices", {
          params: {
            query: {
              status: statusQuery,
              overdue: overdue ? true : undefined,
              cursor: pageParam ?? undefined,
              limit: PAGE_SIZE,
            },
          },
        }),
      ),
    getNextPageParam: (page) => page.next_cursor ?? null,
  });
  const items = invoices.data?.pages.flatMap((page) => page.items) ?? [];
  const contacts = useContactsById(items.map((invoice) => invoice.contact_id));
  const filtered = statuses.length > 0 || overdue;

  return (
    <section aria-labelledby="invoices-heading" className="flex flex-col gap-4">
      <div className="flex flex-wrap items-center gap-3">
        <h1 id="invoices-heading" className="text-2xl font-semibold">
          Invoices
        </h1>
        {canBill(me.roles) && (
          <Link
            to="/invoices/new"
            data-testid="invoices-list-new"
            className={`ml-auto inline-flex items-center rounded-md bg-indigo-700 px-3 py-2 text-sm font-semibold text-white hover:bg-indigo-800 ${focus}`}
          >
            New invoice
          </Link>
        )}
      </div>

      <div className="flex flex-wrap items-end gap-6 rounded-lg bg-white p-4 shadow-sm">
        <fieldset className="flex flex-col gap-1">
          <legend className="text-sm font-medium text-slate-800">Status</legend>
          <div className="flex flex-wrap gap-3 py-2">
            {INVOICE_STATUSES.map((status) => (
              <label key={status} className="inline-flex items-center gap-1 text-sm">
                <input
                  type="checkbox"
                  checked={statuses.includes(status)}
                  onChange={(event) => toggleStatus(status, event.target.checked)}
                  data-testid={`invoices-filter-status-${status}`}
                  className={focus}
                />
                {INVOICE_STATUS_LABELS[status]}
              </label>
            ))}
          </div>
        </fieldset>
        <label className="inline-flex items-center gap-1 py-2 text-sm">
          <input
            type="checkbox"
            checked={overdue}
            onChange={(event) => update({ overdue: event.target.checked ? "true" : null })}
            data-testid="invoices-filter-overdue"
            className={focus}
          />
          Overdue only
        </label>
      </div>

      {invoices.isError && <ErrorAlert error={errorOf(invoices.error)} testId="invoices-list-error" />}

      {invoices.isPending ? (
        <p role="status" data-testid="invoices-list-loading" className="text-sm text-slate-700">
          Loading invoices…
        </p>
      ) : items.length === 0 && !invoices.isError ? (
        <p data-testid="invoices-list-empty" className="text-sm text-slate-700">
          {filtered ? "No invoices match the filters." : "No invoices yet."}
        </p>
      ) : (
        items.length > 0 && (
          <Table caption="Invoices" head={["Number", "Contact", "Status", "Total", "Amount due", "Due date"]} numeric={["Total", "Amount due"]} testId="invoices-list-table">
            {items.map((invoice) => {
              const name = contactName(contacts.get(invoice.contact_id));
              return (
                <tr key={invoice.id} data-testid="invoices-list-row" data-invoice-id={invoice.id}>
                  <td className="px-3 py-2 font-medium whitespace-nowrap">
                    <Link
                      to={`/invoices/${invoice.id}`}
                      data-testid="invoices-list-open"
                      className={`text-indigo-700 underline ${focus}`}
                      aria-label={invoice.number ? `Invoice ${invoice.number}` : `Draft invoice for ${name || "the contact"}`}
                    >
                      {invoice.number ?? "Draft"}
                    </Link>
                  </td>
                  <td className="px-3 py-2" data-testid="invoices-list-contact">
                    {name || "…"}
                  </td>
                  <td className="px-3 py-2 whitespace-nowrap">
                    <InvoiceStatusBadge status={invoice.status} />
                    {invoice.overdue && <OverdueBadge />}
                  </td>
                  <td className="px-3 py-2 text-right whitespace-nowrap tabular-nums" data-testid="invoices-list-total">
                    {formatMoney(invoice.total)}
                  </td>
                  <td className="px-3 py-2 text-right whitespace-nowrap tabular-nums" data-testid="invoices-list-due">
                    {formatMoney(invoice.amount_due)}
                  </td>
                  <td className="px-3 py-2 whitespace-nowrap">{formatDate(invoice.due_date)}</td>
                </tr>
              );
            })}
          </Table>
        )
      )}
      {invoices.hasNextPage && (
        <div>
          <Button
            variant="secondary"
            disabled={invoices.isFetchingNextPage}
            onClick={() => invoices.fetchNextPage()}
            data-testid="invoices-list-load-more"
          >
            {invoices.isFetchingNextPage ? "Loading…" : "Load more"}
          </Button>
        </div>
      )}
    </section>
  );
}
