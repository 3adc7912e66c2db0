// Server state of one contact: the contact itself, its export (a JSON download), its bookings,
// invoices and payments (each list filtered by `contact_id`, loaded page by page).
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { backend, unwrap } from "../api/client";
import { filenameOf } from "../api/download";
import type { components } from "../api/generated/backend";
import { ApiError } from "../api/problem";
import { useMe } from "../auth/AuthContext";

const PAGE_SIZE = 25;

export function contactKey(organizationId: string | null | undefined, id: string) {
  // The same key as useContactsById, so the lists and the detail share one copy.
  return ["contact", organizationId, id];
}

export function useContact(id: string) {
  const me = useMe();
  return useQuery({
    queryKey: contactKey(me.organization_id, id),
    queryFn: async () =>
      unwrap(await backend.GET("/api/v1/contacts/{contact_id}", { params: { path: { contact_id: id } } })),
  });
}

export function useContactBookings(contactId: string) {
  const me = useMe();
  return useInfiniteQuery({
    queryKey: ["bookings", me.organization_id, "contact", contactId],
    initialPageParam: null as string | null,
    queryFn: async ({ pageParam }) =>
      unwrap(
        await backend.GET("/api/v1/bookings", {
          params: { query: { contact_id: contactId, cursor: pageParam ?? undefined, limit: PAGE_SIZE } },
        }),
      ),
    getNextPageParam: (page) => page.next_cursor ?? null,
  });
}

export function useContactInvoices(contactId: string) {
  const me = useMe();
  return useInfiniteQuery({
    queryKey: ["invoices", me.organization_id, "contact", contactId],
    initialPageParam: null as string | null,
    queryFn: async ({ pageParam }) =>
      unwrap(
        await backend.GET("/api/v1/invoices", {
          params: { query: { contact_id: contactId, cursor: pageParam ?? undefined, limit: PAGE_SIZE } },
        }),
      ),
    getNextPageParam: (page) => page.next_cursor ?? null,
  });
}

export function useContactPayments(contactId: string) {
  const me = useMe();
  return useInfiniteQuery({
    queryKey: ["payments", me.organization_id, "contact", contactId],
    initialPageParam: null as string | null,
    queryFn: async ({ pageParam }) =>
      unwrap(
        await backend.GET("/api/v1/payments", {
          params: { query: { contact_id: contactId, cursor: pageParam ?? undefined, limit: PAGE_SIZE } },
        }),
      ),
    getNextPageParam: (page) => page.next_cursor ?? null,
  });
}

/** Everything held on the contact (GDPR access), through the authorized client, as a JSON blob. */
export async function fetchContactExport(id: string): Promise<Blob> {
  const result = await backend.GET("/api/v1/contacts/{contact_id}/export", {
    params: { path: { contact_id: id } },
    parseAs: "blob",
  });
  if (!result.response.ok) throw new ApiError(result.response.status, result.error);
  return new Blob([result.data as Blob], { type: "application/json" });
}

export type ContactImport = components["schemas"]["ContactImportOut"];

/** Every contact as CSV (staff and above), through the authorized client, with the server's file name. */
export async function fetchContactsCsv(): Promise<{ blob: Blob; filename: string }> {
  const result = await backend.GET("/api/v1/contacts/export", { params: { query: { format: "csv" } }, parseAs: "blob" });
  if (!result.response.ok) throw new ApiError(result.response.status, result.error);
  return { blob: result.data as Blob, filename: filenameOf(result.response.headers.get("Content-Disposition"), "contacts.csv") };
}

/** Uploads a CSV or XLSX file; the server answers the import (the first one, for a file sent before). */
export async function startContactImport(file: File): Promise<ContactImport> {
  const form = new FormData();
  form.append("file", file, file.name);
  return unwrap(
    await backend.POST("/api/v1/contacts/import", {
      // The generated type says `string` for the binary part; the body is the form as it is.
      body: form as unknown as { file: string },
      bodySerializer: (body) => body as unknown as FormData,
    }),
  );
}

/** An import's progress, asked again every second while it is queued or running. */
export function useContactImport(id: string | null) {
  const me = useMe();
  return useQuery({
    queryKey: ["contact-import", me.organization_id, id],
    enabled: id !== null,
    queryFn: async () =>
      unwrap(await backend.GET("/api/v1/contacts/imports/{import_id}", { params: { path: { import_id: id ?? "" } } })),
    refetchInterval: (query) => {
      const status = query.state.data?.status;
      return status === "done" || status === "failed" ? false : 1000;
    },
  });
}
