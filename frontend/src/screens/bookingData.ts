// Server state the Bookings screens share: the organization's resources and services (small
// catalogs, loaded whole), contacts by id (the booking list carries only their ids), a resource's
// bookings and free slots in a period, creating a booking and changing its status.
import { useMutation, useQueries, useQuery, useQueryClient } from "@tanstack/react-query";
import { backend, unwrap } from "../api/client";
import type { components } from "../api/generated/backend";
import { problemCode } from "../api/problem";
import { useMe } from "../auth/AuthContext";
import { isSlotTaken, newIdempotencyKey, type BookingAction } from "./bookingLogic";

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

const BOOKINGS_PAGE = 200;
const BOOKINGS_MAX_PAGES = 10;

/** All bookings of a resource starting in [start, end) (every page: a calendar shows them all). */
export function usePeriodBookings(resourceId: string, start: Date, end: Date, status?: string) {
  const me = useMe();
  return useQuery({
    queryKey: ["bookings", me.organization_id, resourceId, status, start.toISOString(), end.toISOString()],
    enabled: Boolean(resourceId),
    queryFn: async () => {
      const items: Booking[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < BOOKINGS_MAX_PAGES; page += 1) {
        const answer = unwrap(
          await backend.GET("/api/v1/bookings", {
            params: {
              query: {
                resource_id: resourceId,
                status,
                start_after: start.toISOString(),
                start_before: end.toISOString(),
                limit: BOOKINGS_PAGE,
                cursor,
              },
            },
          }),
        );
        items.push(...answer.items);
        if (!answer.next_cursor) break;
        cursor = answer.next_cursor;
      }
      return items;
    },
  });
}

export const availabilityKey = (organizationId: string | null) => ["availability", organizationId];

/** Free slots of a service on a resource starting in [from, to). */
export function useAvailability(resourceId: string, serviceId: string, from: Date, to: Date, enabled = true) {
  const me = useMe();
  return useQuery({
    queryKey: [...availabilityKey(me.organization_id), resourceId, serviceId, from.toISOString(), to.toISOString()],
    enabled: enabled && Boolean(resourceId && serviceId),
    queryFn: async () =>
      unwrap(
        await backend.GET("/api/v1/availability", {
          params: {
            query: { resource_id: resourceId, service_id: serviceId, from: from.toISOString(), to: to.toISOString() },
          },
        }),
      ),
  });
}

export interface NewBookingInput {
  resourceId: string;
  serviceId: string;
  contactId: string;
  start: string;
  notes?: string;
}

/**
 * POST /bookings with a fresh Idempotency-Key per attempt (a retried request replays its answer
 * instead of booking twice). Afterwards the bookings and free slots are refetched; after a refusal
 * that says the time was taken (`isSlotTaken`), the free slots are.
 */
export function useCreateBooking() {
  const me = useMe();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (input: NewBookingInput) =>
      unwrap(
        await backend.POST("/api/v1/bookings", {
          params: { header: { "Idempotency-Key": newIdempotencyKey() } },
          body: {
            resource_id: input.resourceId,
            service_id: input.serviceId,
            contact_id: input.contactId,
            start: input.start,
            status: "pending",
            notes: input.notes ?? "",
          },
        }),
      ),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ["bookings", me.organization_id] });
      void queryClient.invalidateQueries({ queryKey: availabilityKey(me.organization_id) });
    },
    onError: (caught) => {
      if (isSlotTaken(problemCode(caught))) {
        void queryClient.invalidateQueries({ queryKey: availabilityKey(me.organization_id) });
      }
    },
  });
}

/** POST /bookings/{id}/confirm|cancel|complete|no-show (cancel with its reason). */
export async function runBookingAction(booking: Booking, action: BookingAction, reason = "") {
  const path = { params: { path: { booking_id: booking.id } } };
  switch (action) {
    case "confirm":
      return unwrap(await backend.POST("/api/v1/bookings/{booking_id}/confirm", path));
    case "cancel":
      return unwrap(await backend.POST("/api/v1/bookings/{booking_id}/cancel", { ...path, body: { reason } }));
    case "complete":
      return unwrap(await backend.POST("/api/v1/bookings/{booking_id}/complete", path));
    case "no-show":
      return unwrap(await backend.POST("/api/v1/bookings/{booking_id}/no-show", path));
  }
}
