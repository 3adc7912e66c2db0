import { useInfiniteQuery, useMutation, useQueries, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { backend, unwrap } from "../api/client";
import { errorOf, problemCode, type UserError } from "../api/problem";
import { useMe } from "../auth/AuthContext";
import { Button, ConfirmDialog, ErrorAlert, Notice, ReasonField, Table, TextField } from "../ui";
import { useContactsById } from "./bookingData";
import { contactName } from "./bookingLogic";
import { amountProblem, canBill, currencyExponent, formatDateTime, formatMoney, paymentMethodLabel, toMinor } from "./invoiceLogic";
import { useOrganizationTimeZone } from "./insightsData";
import { failureOf, invoiceKey, useIdempotencyKeys, type Invoice, type Payment } from "./moneyData";

const PAGE_SIZE = 25;
const focus = "focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600";

/** Invoices by id (a payment carries only its invoice's id), shared with the detail's cache. */
function useInvoicesById(ids: readonly string[]): Map<string, Invoice> {
  const me = useMe();
  const results = useQueries({
    queries: [...new Set(ids)].map((id) => ({
      queryKey: invoiceKey(me.organization_id, id),
      queryFn: async () =>
        unwrap(await backend.GET("/api/v1/invoices/{invoice_id}", { params: { path: { invoice_id: id } } })),
      staleTime: 60_000,
    })),
  });
  const byId = new Map<string, Invoice>();
  for (const result of results) if (result.data) byId.set(result.data.id, result.data);
  return byId;
}

function hasRefundable(payment: Payment): boolean {
  const minor = toMinor(payment.refundable.amount, payment.refundable.currency);
  return minor !== null && minor > 0n;
}

function RefundDialog({ payment, name, onClose, onDone }: { payment: Payment | null; name: string; onClose: () => void; onDone: (message: string) => void }) {
  const zone = useOrganizationTimeZone();
  const me = useMe();
  const queryClient = useQueryClient();
  const keys = useIdempotencyKeys();
  const [amount, setAmount] = useState("");
  const [reason, setReason] = useState("");
  const [tried, setTried] = useState(false);
  const [error, setError] = useState<UserError | null>(null);
  const [exceeds, setExceeds] = useState(false);
  const currency = payment?.amount.currency ?? "";
  const refundable = payment?.refundable.amount ?? "0";
  const problem = payment ? amountProblem(amount.trim(), currency, refundable) : null;

  function reset() {
    setAmount("");
    setReason("");
    setTried(false);
    setError(null);
    setExceeds(false);
  }

  const refund = useMutation({
    mutationFn: async (forPayment: Payment) => {
      const body = { amount: { amount: amount.trim(), currency }, reason: reason.trim() };
      const key = keys.keyFor(JSON.stringify([forPayment.id, body]));
      return unwrap(
        await backend.POST("/api/v1/payments/{payment_id}/refunds", {
          params: { path: { payment_id: forPayment.id }, header: { "Idempotency-Key": key } },
          body,
        }),
      );
    },
    onSuccess: (created) => {
      keys.reset();
      reset();
      void queryClient.invalidateQueries({ queryKey: ["payments", me.organization_id] });
      void queryClient.invalidateQueries({ queryKey: ["invoice", me.organization_id] });
      void queryClient.invalidateQueries({ queryKey: ["invoices", me.organization_id] });
      void queryClient.invalidateQueries({ queryKey: ["contact-balance", me.organization_id] });
      onDone(`Refund of ${formatMoney(created.amount)} to ${name || "the contact"} recorded.`);
    },
    onError: (caught) => {
      keys.failed(...failureOf(caught));
      setExceeds(problemCode(caught) === "refund_exceeds_payment");
      setError(errorOf(caught));
      // What is left to refund may have changed meanwhile.
      void queryClient.invalidateQueries({ queryKey: ["payments", me.organization_id] });
    },
  });

  const decimals = currencyExponent(currency);
  const amountError = !tried
    ? undefined
    : problem === "invalid"
      ? decimals
        ? `Enter an amount with at most ${decimals} decimals.`
        : `Enter a whole amount (${currency} has no decimals).`
      : problem === "zero"
        ? "Enter an amount above 0."
        : problem === "too_much"
          ? `At most what is left to refund, ${formatMoney(payment?.refundable)}.`
          : undefined;

  return (
    <ConfirmDialog
      open={payment !== null}
      title="Refund payment"
      confirmLabel={refund.isPending ? "Refunding…" : "Refund"}
      testId="payments-refund-dialog"
      onCancel={() => {
        reset();
        onClose();
      }}
      onConfirm={() => {
        if (!payment || refund.isPending) return;
        setTried(true);
        if (problem || !reason.trim()) return;
        refund.mutate(payment);
      }}
    >
      {payment && (
        <div className="flex flex-col gap-3">
          <p>
            Payment of {formatMoney(payment.amount)} from {name || "the contact"}, received {formatDateTime(payment.received_at, zone)}.{" "}
            <span data-testid="payments-refund-refundable">Left to refund: {formatMoney(payment.refundable)}.</span>
          </p>
          {exceeds && (
            <div role="alert" data-testid="payments-refund-exceeds" className="rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900">
              A refund cannot be more than what is left of the payment. Refunds already made count too: enter at most{" "}
              {formatMoney(payment.refundable)}.
            </div>
          )}
          <ErrorAlert error={error} testId="payments-refund-error" />
          <TextField
            label={`Amount (${currency})`}
            inputMode="decimal"
            required
            value={amount}
            error={amountError}
            onChange={(event) => setAmount(event.target.value)}
            data-testid="payments-refund-amount"
          />
          <ReasonField
            value={reason}
            error={tried && !reason.trim() ? "Enter why the money is refunded." : undefined}
            onChange={setReason}
            data-testid="payments-refund-reason"
          />
        </div>
      )}
    </ConfirmDialog>
  );
}

export function Payments() {
  const zone = useOrganizationTimeZone();
  const me = useMe();
  const mayBill = canBill(me.roles);
  const payments = useInfiniteQuery({
    queryKey: ["payments", me.organization_id, "list"],
    initialPageParam: null as string | null,
    queryFn: async ({ pageParam }) =>
      unwrap(await backend.GET("/api/v1/payments", { params: { query: { cursor: pageParam ?? undefined, limit: PAGE_SIZE } } })),
    getNextPageParam: (page) => page.next_cursor ?? null,
  });
  const items = payments.data?.pages.flatMap((page) => page.items) ?? [];
  const contacts = useContactsById(items.map((payment) => payment.contact_id));
  const invoices = useInvoicesById(items.flatMap((payment) => (payment.invoice_id ? [payment.invoice_id] : [])));
  // The id only: the payment shown is the list's latest copy (what is left to refund changes).
  const [refundingId, setRefundingId] = useState<string | null>(null);
  const refunding = items.find((payment) => payment.id === refundingId) ?? null;
  const [notice, setNotice] = useState<string | null>(null);
  const head = ["Received", "Contact", "Invoice", "Method", "Amount", "Refunded", ...(mayBill ? ["Actions"] : [])];

  return (
    <section aria-labelledby="payments-heading" className="flex flex-col gap-4">
      <h1 id="payments-heading" className="text-2xl font-semibold">
        Payments
      </h1>
      {notice && <Notice testId="payments-list-notice">{notice}</Notice>}
      {payments.isError && <ErrorAlert error={errorOf(payments.error)} testId="payments-list-error" />}
      {payments.isPending ? (
        <p role="status" data-testid="payments-list-loading" className="text-sm text-slate-700">
          Loading payments…
        </p>
      ) : items.length === 0 && !payments.isError ? (
        <p data-testid="payments-list-empty" className="text-sm text-slate-700">
          No payments yet.
        </p>
      ) : (
        items.length > 0 && (
          <Table caption="Payments" head={head} numeric={["Amount", "Refunded"]} testId="payments-list-table">
            {items.map((payment) => {
              const name = contactName(contacts.get(payment.contact_id));
              const invoice = payment.invoice_id ? invoices.get(payment.invoice_id) : undefined;
              return (
                <tr key={payment.id} data-testid="payments-list-row" data-payment-id={payment.id}>
                  <td className="px-3 py-2 whitespace-nowrap">{formatDateTime(payment.received_at, zone)}</td>
                  <td className="px-3 py-2 font-medium" data-testid="payments-list-contact">
                    {name || "…"}
                  </td>
                  <td className="px-3 py-2 whitespace-nowrap">
                    {payment.invoice_id ? (
                      <Link to={`/invoices/${payment.invoice_id}`} className={`text-indigo-700 underline ${focus}`} data-testid="payments-list-invoice">
                        {invoice?.number ?? "Invoice"}
                      </Link>
                    ) : (
                      <span className="text-slate-700">On account</span>
                    )}
                  </td>
                  <td className="px-3 py-2">{paymentMethodLabel(payment.method)}</td>
                  <td className="px-3 py-2 text-right whitespace-nowrap tabular-nums" data-testid="payments-list-amount">
                    {formatMoney(payment.amount)}
                  </td>
                  <td className="px-3 py-2 text-right tabular-nums" data-testid="payments-list-refunded">
                    <span className="whitespace-nowrap">{formatMoney(payment.amount_refunded)}</span>
                    {payment.refunds.length > 0 && (
                      <ul className="mt-1 text-left text-xs text-slate-700" aria-label="Refunds">
                        {payment.refunds.map((refund) => (
                          <li key={refund.id} data-testid="payments-list-refund">
                            {formatMoney(refund.amount)}: {refund.reason}
                          </li>
                        ))}
                      </ul>
                    )}
                  </td>
                  {mayBill && (
                    <td className="px-3 py-2">
                      {hasRefundable(payment) && (
                        <Button
                          variant="secondary"
                          aria-label={`Refund payment of ${formatMoney(payment.amount)} from ${name || "the contact"}`}
                          onClick={() => {
                            setNotice(null);
                            setRefundingId(payment.id);
                          }}
                          data-testid="payments-list-refund-button"
                        >
                          Refund
                        </Button>
                      )}
                    </td>
                  )}
                </tr>
              );
            })}
          </Table>
        )
      )}
      {payments.hasNextPage && (
        <div>
          <Button
            variant="secondary"
            disabled={payments.isFetchingNextPage}
            onClick={() => payments.fetchNextPage()}
            data-testid="payments-list-load-more"
          >
            {payments.isFetchingNextPage ? "Loading…" : "Load more"}
          </Button>
        </div>
      )}
      <RefundDialog
        payment={refunding}
        name={refunding ? contactName(contacts.get(refunding.contact_id)) : ""}
        onClose={() => setRefundingId(null)}
        onDone={(message) => {
          setRefundingId(null);
          setNotice(message);
        }}
      />
    </section>
  );
}
