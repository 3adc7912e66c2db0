// Server state of one contact: the contact itself, its export (a JSON download), its bookings,
// invoices and payments (each list filtered by `contact_id`, loaded page by page).
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { backend, unwrap } from "../api/client";
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
