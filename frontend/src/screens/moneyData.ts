// Server state the money screens share: billing settings, one invoice, a contact's balance,
// the PDF download, and a hook for the Idempotency-Key of a payment or refund form.
import { useQuery } from "@tanstack/react-query";
import { useRef } from "react";
import { backend, unwrap } from "../api/client";
import type { components } from "../api/generated/backend";
import { ApiError, problemCode } from "../api/problem";
import { useMe } from "../auth/AuthContext";
import { newIdempotencyKey } from "./bookingLogic";
import { IdempotencyKeys } from "./invoiceLogic";
import { saveBlob } from "../api/download";

export type Invoice = components["schemas"]["InvoiceOut"];
export type InvoiceLine = Invoice["lines"][number];
export type Payment = components["schemas"]["PaymentOut"];
export type Refund = components["schemas"]["RefundOut"];
export type Money = components["schemas"]["MoneyOut"];
export type BillingSettings = components["schemas"]["BillingSettingsOut"];

export function useBillingSettings() {
  const me = useMe();
  return useQuery({
    queryKey: ["billing-settings", me.organization_id],
    queryFn: async () => unwrap(await backend.GET("/api/v1/billing/settings")),
    staleTime: 5 * 60_000,
  });
}

export function invoiceKey(organizationId: string | null | undefined, id: string) {
  return ["invoice", organizationId, id];
}

export function useInvoice(id: string) {
  const me = useMe();
  return useQuery({
    queryKey: invoiceKey(me.organization_id, id),
    queryFn: async () =>
      unwrap(await backend.GET("/api/v1/invoices/{invoice_id}", { params: { path: { invoice_id: id } } })),
  });
}

export function useContactBalance(contactId: string | null) {
  const me = useMe();
  return useQuery({
    queryKey: ["contact-balance", me.organization_id, contactId],
    enabled: Boolean(contactId),
    queryFn: async () =>
      unwrap(
        await backend.GET("/api/v1/contacts/{contact_id}/balance", { params: { path: { contact_id: contactId ?? "" } } }),
      ).items,
  });
}

/** The invoice's PDF through the authorized client (bearer token, one refresh on 401), as a blob. */
export async function fetchInvoicePdf(id: string): Promise<Blob> {
  const result = await backend.GET("/api/v1/invoices/{invoice_id}/pdf", {
    params: { path: { invoice_id: id } },
    parseAs: "blob",
  });
  if (!result.response.ok) throw new ApiError(result.response.status, result.error);
  return result.data as Blob;
}

/** Opens a blob in a new tab (or downloads it when pop-ups are blocked). */
export function openBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  // Same-origin blob: URL, so no opener to guard against (and "noopener" would make open() return null).
  const opened = window.open(url, "_blank");
  if (!opened) saveBlob(blob, filename);
  // Long enough for the new tab to have read it.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** What IdempotencyKeys.failed needs to know of an error: the HTTP status (null: no answer) and code. */
export function failureOf(error: unknown): [number | null, string | null] {
  return [error instanceof ApiError ? error.status : null, problemCode(error)];
}

/** One Idempotency-Key per submitted form content (see IdempotencyKeys). */
export function useIdempotencyKeys(): IdempotencyKeys {
  const ref = useRef<IdempotencyKeys | null>(null);
  if (!ref.current) ref.current = new IdempotencyKeys(() => newIdempotencyKey());
  return ref.current;
}
