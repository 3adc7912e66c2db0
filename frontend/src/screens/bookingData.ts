// Server state the Bookings screens share: the organization's resources and services (small
// catalogs, loaded whole) and contacts by id (the booking list carries only their ids).
import { useQueries, useQuery } from "@tanstack/react-query";
import { backend, unwrap } from "../api/client";
import type { components } from "../api/generated/backend";
import { useMe } from "../auth/AuthContext";

export type Booking = components["schemas"]["BookingOut"];
export type Resource = components["schemas"]["ResourceOut"];
export type Service = components["schemas"]["ServiceOut"];
export type Contact = components["schemas"]["ContactOut"];
export type Slot = components["schemas"]["SlotOut"];

const CATALOG_LIMIT = 200;

export function useResources() {
  const me = useMe();
  return useQuery({
    queryKey: ["resources", me.organization_id],
    queryFn: async () =>
      unwrap(await backend.GET("/api/v1/resources", { params: { query: { limit: CATALOG_LIMIT } } })).items,
    staleTime: 5 * 60_000,
  });
}

export function useServices() {
  const me = useMe();
  return useQuery({
    queryKey: ["services", me.organization_id],
    queryFn: async () =>
      unwrap(await backend.GET("/api/v1/services", { params: { query: { limit: CATALOG_LIMIT } } })).items,
    staleTime: 5 * 60_000,
  });
}

/** Contacts by id, each fetched once per organization and kept. */
export function useContactsById(ids: readonly string[]): Map<string, Contact> {
  const me = useMe();
  const unique = [...new Set(ids)];
  const results = useQueries({
    queries: unique.map((id) => ({
      queryKey: ["contact", me.organization_id, id],
      queryFn: async () =>
        unwrap(await backend.GET("/api/v1/contacts/{contact_id}", { params: { path: { contact_id: id } } })),
      staleTime: 5 * 60_000,
    })),
  });
  const byId = new Map<string, Contact>();
  for (const result of results) {
    if (result.data) byId.set(result.data.id, result.data);
  }
  return byId;
}

export function byId<T extends { id: string }>(items: readonly T[] | undefined): Map<string, T> {
  return new Map((items ?? []).map((item) => [item.id, item]));
}

export function browserZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}
