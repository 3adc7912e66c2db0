import { useInfiniteQuery, useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useSearchParams } from "react-router";
import { backend, unwrap } from "../api/client";
import { errorOf, type UserError } from "../api/problem";
import { useMe } from "../auth/AuthContext";
import { Button, ConfirmDialog, ErrorAlert, Notice, SelectField, Table, TextField } from "../ui";
import { browserZone, byId, useContactsById, useResources, useServices, type Booking } from "./bookingData";
import {
  ACTION_LABELS,
  STATUSES,
  STATUS_LABELS,
  addDays,
  allowedActions,
  canBook,
  contactName,
  formatDateLong,
  formatLocalRange,
  isIsoDate,
  isStatus,
  localDate,
  periodOf,
  statusLabel,
  type BookingAction,
  type BookingStatus,
  type View,
} from "./bookingLogic";

const PAGE_SIZE = 25;
const focus = "focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600";

const BADGE: Record<BookingStatus, string> = {
  held: "bg-amber-100 text-amber-900 ring-amber-300",
  pending: "bg-sky-100 text-sky-900 ring-sky-300",
  confirmed: "bg-green-100 text-green-900 ring-green-300",
  cancelled: "bg-slate-100 text-slate-800 ring-slate-300",
  completed: "bg-indigo-100 text-indigo-900 ring-indigo-300",
  no_show: "bg-red-100 text-red-900 ring-red-300",
};

export function StatusBadge({ status }: { status: string }) {
  const tone = isStatus(status) ? BADGE[status] : BADGE.cancelled;
  return (
    <span data-testid="bookings-list-status" className={`inline-block rounded-full px-2 py-0.5 text-xs font-semibold ring-1 ${tone}`}>
      {statusLabel(status)}
    </span>
  );
}

const DONE_WORDS: Record<BookingAction, string> = {
  confirm: "confirmed",
  cancel: "cancelled",
  complete: "marked completed",
  "no-show": "marked as a no-show",
};

async function runAction(booking: Booking, action: BookingAction, reason: string) {
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

export function Bookings() {
  const me = useMe();
  const queryClient = useQueryClient();
  const mayBook = canBook(me.roles);
  const [params, setParams] = useSearchParams();
  const resources = useResources();
  const services = useServices();
  const resourcesById = byId(resources.data);
  const servicesById = byId(services.data);

  const resourceId = params.get("resource") ?? "";
  const statuses = (params.get("status") ?? "").split(",").filter(isStatus);
  const view: View = params.get("view") === "day" ? "day" : "week";
  // Days are the resource's days: the chosen resource's zone, else the first one's (demo
  // organizations keep all resources in the organization's zone), else the browser's.
  const zone = resourcesById.get(resourceId)?.timezone ?? resources.data?.[0]?.timezone ?? browserZone();
  const dateParam = params.get("date") ?? "";
  const date = isIsoDate(dateParam) ? dateParam : localDate(new Date(), zone);
  const period = periodOf(date, view, zone);

  function update(changes: Record<string, string | null>) {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(changes)) {
      if (value) next.set(key, value);
      else next.delete(key);
    }
    setParams(next, { replace: true });
  }

  const statusQuery = statuses.length ? statuses.join(",") : undefined;
  const bookings = useInfiniteQuery({
    queryKey: ["bookings", me.organization_id, resourceId, statusQuery, period.start.toISOString(), period.end.toISOString()],
    enabled: !resources.isPending,
    initialPageParam: null as string | null,
    queryFn: async ({ pageParam }) =>
      unwrap(
        await backend.GET("/api/v1/bookings", {
          params: {
            query: {
              resource_id: resourceId || undefined,
              status: statusQuery,
              start_after: period.start.toISOString(),
              start_before: period.end.toISOString(),
              cursor: pageParam ?? undefined,
              limit: PAGE_SIZE,
            },
          },
        }),
      ),
    getNextPageParam: (page) => page.next_cursor ?? null,
  });
  const items = bookings.data?.pages.flatMap((page) => page.items) ?? [];
  const contacts = useContactsById(items.map((booking) => booking.contact_id));

  const [notice, setNotice] = useState<string | null>(null);
  const [actionError, setActionError] = useState<UserError | null>(null);
  const [cancelling, setCancelling] = useState<Booking | null>(null);
  const [reason, setReason] = useState("");
  const [reasonError, setReasonError] = useState<string | undefined>();
  const [cancelError, setCancelError] = useState<UserError | null>(null);

  const act = useMutation({
    mutationFn: ({ booking, action, reason: why = "" }: { booking: Booking; action: BookingAction; reason?: string }) =>
      runAction(booking, action, why),
    onSuccess: (_booking, { booking, action }) => {
      setActionError(null);
      setNotice(`Booking for ${contactName(contacts.get(booking.contact_id)) || "the contact"} ${DONE_WORDS[action]}.`);
      if (action === "cancel") closeCancel();
      void queryClient.invalidateQueries({ queryKey: ["bookings", me.organization_id] });
    },
    onError: (caught, { action }) => {
      setNotice(null);
      if (action === "cancel") setCancelError(errorOf(caught));
      else setActionError(errorOf(caught));
      void queryClient.invalidateQueries({ queryKey: ["bookings", me.organization_id] });
    },
  });

  function closeCancel() {
    setCancelling(null);
    setReason("");
    setReasonError(undefined);
    setCancelError(null);
  }

  function toggleStatus(status: BookingStatus, on: boolean) {
    const next = on ? [...statuses, status] : statuses.filter((s) => s !== status);
    update({ status: STATUSES.filter((s) => next.includes(s)).join(",") || null });
  }

  // New booking opens on the viewed resource and day (today when the viewed day is past).
  const bookingDay = date < localDate(new Date(), zone) ? null : date;
  const newBookingLink = `/bookings/new?${new URLSearchParams({
    ...(bookingDay ? { date: bookingDay } : {}),
    ...(resourceId ? { resource: resourceId } : {}),
  })}`;
  const periodWords =
    view === "day" ? formatDateLong(period.first) : `${formatDateLong(period.first)} – ${formatDateLong(period.last)}`;
  const cancellingName = cancelling ? contactName(contacts.get(cancelling.contact_id)) : "";

  return (
    <section aria-labelledby="bookings-heading" className="flex flex-col gap-4">
      <div className="flex flex-wrap items-center gap-3">
        <h1 id="bookings-heading" className="text-2xl font-semibold">
          Bookings
        </h1>
        {mayBook && (
          <Link
            to={newBookingLink}
            data-testid="bookings-list-new"
            className={`ml-auto inline-flex items-center rounded-md bg-indigo-700 px-3 py-2 text-sm font-semibold text-white hover:bg-indigo-800 ${focus}`}
          >
            New booking
          </Link>
        )}
      </div>

      <div className="flex flex-wrap items-end gap-3 rounded-lg bg-white p-4 shadow-sm">
        <TextField
          label="Date"
          type="date"
          value={date}
          onChange={(event) => isIsoDate(event.target.value) && update({ date: event.target.value })}
          data-testid="bookings-filter-date"
        />
        <SelectField label="Show" value={view} onChange={(event) => update({ view: event.target.value })} data-testid="bookings-filter-view">
          <option value="day">Day</option>
          <option value="week">Week</option>
        </SelectField>
        <div className="flex gap-2">
          <Button
            variant="secondary"
            onClick={() => update({ date: addDays(date, view === "week" ? -7 : -1) })}
            aria-label={view === "week" ? "Previous week" : "Previous day"}
            data-testid="bookings-filter-previous"
          >
            ‹ Previous
          </Button>
          <Button variant="secondary" onClick={() => update({ date: null })} data-testid="bookings-filter-today">
            Today
          </Button>
          <Button
            variant="secondary"
            onClick={() => update({ date: addDays(date, view === "week" ? 7 : 1) })}
            aria-label={view === "week" ? "Next week" : "Next day"}
            data-testid="bookings-filter-next"
          >
            Next ›
          </Button>
        </div>
        <SelectField
          label="Resource"
          value={resourceId}
          onChange={(event) => update({ resource: event.target.value || null })}
          data-testid="bookings-filter-resource"
        >
          <option value="">All resources</option>
          {(resources.data ?? []).map((resource) => (
            <option key={resource.id} value={resource.id}>
              {resource.name}
            </option>
          ))}
        </SelectField>
        <fieldset className="flex flex-col gap-1">
          <legend className="text-sm font-medium text-slate-800">Status</legend>
          <div className="flex flex-wrap gap-3 py-2">
            {STATUSES.map((status) => (
              <label key={status} className="inline-flex items-center gap-1 text-sm">
                <input
                  type="checkbox"
                  checked={statuses.includes(status)}
                  onChange={(event) => toggleStatus(status, event.target.checked)}
                  data-testid={`bookings-filter-status-${status}`}
                  className={focus}
                />
                {STATUS_LABELS[status]}
              </label>
            ))}
          </div>
        </fieldset>
      </div>

      <p data-testid="bookings-list-period" className="text-sm text-slate-700">
        {periodWords} <span className="text-slate-600">({zone})</span>
      </p>

      {notice && <Notice testId="bookings-list-notice">{notice}</Notice>}
      <ErrorAlert error={actionError} testId="bookings-list-action-error" />
      {resources.isError && <ErrorAlert error={errorOf(resources.error)} testId="bookings-resources-error" />}
      {bookings.isError && <ErrorAlert error={errorOf(bookings.error)} testId="bookings-list-error" />}

      {bookings.isPending ? (
        <p role="status" data-testid="bookings-list-loading" className="text-sm text-slate-700">
          Loading bookings…
        </p>
      ) : items.length === 0 && !bookings.isError ? (
        <p data-testid="bookings-list-empty" className="text-sm text-slate-700">
          No bookings {view === "day" ? "on this day" : "in this week"}
          {resourceId || statuses.length ? " that match the filters" : ""}.
          {mayBook && bookingDay && (
            <>
              {" "}
              <Link to={newBookingLink} className={`text-indigo-700 underline ${focus}`} data-testid="bookings-list-empty-book">
                Book a free time
              </Link>
            </>
          )}
        </p>
      ) : (
        items.length > 0 && (
          <Table
            caption={`Bookings, ${periodWords}`}
            head={mayBook ? ["Time", "Contact", "Resource", "Service", "Status", "Actions"] : ["Time", "Contact", "Resource", "Service", "Status"]}
            testId="bookings-list-table"
          >
            {items.map((booking) => {
              const resource = resourcesById.get(booking.resource_id);
              const name = contactName(contacts.get(booking.contact_id));
              const when = formatLocalRange(new Date(booking.start), new Date(booking.end), resource?.timezone ?? zone);
              const actions = mayBook ? allowedActions(booking.status, new Date(booking.start)) : [];
              return (
                <tr key={booking.id} data-testid="bookings-list-row" data-booking-id={booking.id}>
                  <td className="px-3 py-2 whitespace-nowrap" data-testid="bookings-list-time">
                    {when}
                  </td>
                  <td className="px-3 py-2 font-medium" data-testid="bookings-list-contact">
                    {name || "…"}
                  </td>
                  <td className="px-3 py-2">{resource?.name ?? ""}</td>
                  <td className="px-3 py-2">{booking.service_id ? (servicesById.get(booking.service_id)?.name ?? "") : ""}</td>
                  <td className="px-3 py-2">
                    <StatusBadge status={booking.status} />
                    {booking.cancel_reason && <span className="block text-xs text-slate-600">{booking.cancel_reason}</span>}
                  </td>
                  {mayBook && (
                    <td className="px-3 py-2">
                      <div className="flex flex-wrap gap-2">
                        {actions.map((action) => (
                          <Button
                            key={action}
                            variant={action === "cancel" ? "danger" : "secondary"}
                            disabled={act.isPending}
                            aria-label={`${ACTION_LABELS[action]} booking of ${name || "the contact"}, ${when}`}
                            data-testid={`bookings-list-${action}`}
                            onClick={() => {
                              setNotice(null);
                              setActionError(null);
                              if (action === "cancel") setCancelling(booking);
                              else act.mutate({ booking, action });
                            }}
                          >
                            {ACTION_LABELS[action]}
                          </Button>
                        ))}
                      </div>
                    </td>
                  )}
                </tr>
              );
            })}
          </Table>
        )
      )}
      {bookings.hasNextPage && (
        <div>
          <Button
            variant="secondary"
            disabled={bookings.isFetchingNextPage}
            onClick={() => bookings.fetchNextPage()}
            data-testid="bookings-list-load-more"
          >
            {bookings.isFetchingNextPage ? "Loading…" : "Load more"}
          </Button>
        </div>
      )}

      <ConfirmDialog
        open={cancelling !== null}
        title="Cancel booking?"
        confirmLabel={act.isPending ? "Cancelling…" : "Cancel booking"}
        cancelLabel="Keep booking"
        testId="bookings-cancel-dialog"
        onCancel={closeCancel}
        onConfirm={() => {
          if (!cancelling || act.isPending) return;
          if (!reason.trim()) {
            setReasonError("Enter why the booking is cancelled.");
            return;
          }
          setReasonError(undefined);
          act.mutate({ booking: cancelling, action: "cancel", reason: reason.trim() });
        }}
      >
        <div className="flex flex-col gap-3">
          <p>
            The booking of {cancellingName || "the contact"}
            {cancelling &&
              `, ${formatLocalRange(new Date(cancelling.start), new Date(cancelling.end), resourcesById.get(cancelling.resource_id)?.timezone ?? zone)}`}
            , is cancelled and its time is free again.
          </p>
          <ErrorAlert error={cancelError} testId="bookings-cancel-error" />
          <TextField
            label="Reason"
            required
            maxLength={500}
            value={reason}
            error={reasonError}
            onChange={(event) => {
              setReason(event.target.value);
              if (event.target.value.trim()) setReasonError(undefined);
            }}
            data-testid="bookings-cancel-reason"
          />
        </div>
      </ConfirmDialog>
    </section>
  );
}
