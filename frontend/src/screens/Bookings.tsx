// The Bookings screen: one resource's day or week in its own time zone, its bookings in time
// order per day with the actions their status allows, and its free slots for a chosen service
// (a slot opens the booking dialog).
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { Link, useSearchParams } from "react-router";
import { errorOf, type UserError } from "../api/problem";
import { useMe } from "../auth/AuthContext";
import { Button, ConfirmDialog, ErrorAlert, Notice, ReasonField, SelectField, TextField } from "../ui";
import { BookingDialog } from "./BookingDialog";
import {
  byId,
  runBookingAction,
  useAvailability,
  useContactsById,
  usePeriodBookings,
  useResources,
  useServices,
  type Booking,
  type Contact,
  type Slot,
} from "./bookingData";
import {
  ACTION_LABELS,
  STATUSES,
  STATUS_LABELS,
  addDays,
  allowedActions,
  byLocalDay,
  byName,
  canBook,
  contactName,
  datesOf,
  formatDateLong,
  formatDateShort,
  formatLocalRange,
  formatLocalTimes,
  isGroupService,
  isIsoDate,
  isStatus,
  localDate,
  needsConfirmation,
  periodOf,
  pickOrFirstActive,
  slotLabel,
  statusLabel,
  type BookingAction,
  type BookingStatus,
  type View,
} from "./bookingLogic";

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

/** What the confirmation of an action asks and says (confirm acts without asking). */
const ASK: Record<Exclude<BookingAction, "confirm">, { title: string; confirm: string; busy: string; keep: string; words: string }> = {
  cancel: {
    title: "Cancel booking?",
    confirm: "Cancel booking",
    busy: "Cancelling…",
    keep: "Keep booking",
    words: "is cancelled and its time is free again.",
  },
  complete: {
    title: "Mark as completed?",
    confirm: "Mark completed",
    busy: "Saving…",
    keep: "Go back",
    words: "is marked as completed: it took place. This cannot be undone.",
  },
  "no-show": {
    title: "Mark as a no-show?",
    confirm: "Mark no-show",
    busy: "Saving…",
    keep: "Go back",
    words: "is marked as a no-show: the contact did not come. This cannot be undone.",
  },
};

interface Asking {
  booking: Booking;
  action: Exclude<BookingAction, "confirm">;
}

interface Picked {
  slot: Slot;
  date: string;
}

export function Bookings() {
  const me = useMe();
  const queryClient = useQueryClient();
  const mayBook = canBook(me.roles);
  const [params, setParams] = useSearchParams();
  const resources = useResources();
  const services = useServices();
  const resourceOptions = byName(resources.data ?? []);
  const serviceOptions = byName((services.data ?? []).filter((service) => service.is_active));

  // The viewed resource (`?resource=`, else the first active one by name) decides the days and
  // times shown: its zone's.
  const resource = pickOrFirstActive(resourceOptions, params.get("resource"));
  const service = pickOrFirstActive(serviceOptions, params.get("service"));
  const zone = resource?.timezone ?? "UTC";
  const statuses = (params.get("status") ?? "").split(",").filter(isStatus);
  const view: View = params.get("view") === "day" ? "day" : "week";
  const dateParam = params.get("date") ?? "";
  const today = localDate(new Date(), zone);
  const date = isIsoDate(dateParam) ? dateParam : today;
  const period = periodOf(date, view, zone);
  const days = datesOf(period);

  function update(changes: Record<string, string | null>) {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(changes)) {
      if (value) next.set(key, value);
      else next.delete(key);
    }
    setParams(next, { replace: true });
  }

  const statusQuery = statuses.length ? statuses.join(",") : undefined;
  const bookings = usePeriodBookings(resource?.id ?? "", period.start, period.end, statusQuery);
  const bookingsByDay = byLocalDay(bookings.data ?? [], zone);
  const contacts = useContactsById((bookings.data ?? []).map((booking) => booking.contact_id));
  const servicesById = byId(services.data);
  // Free slots only for days not yet over (the API offers none in the past anyway).
  const showSlots = mayBook && period.last >= today;
  const slots = useAvailability(resource?.id ?? "", service?.id ?? "", period.start, period.end, showSlots);
  const slotsByDay = byLocalDay(slots.data?.items ?? [], zone);
  const group = isGroupService(service);

  const [notice, setNotice] = useState<string | null>(null);
  const [actionError, setActionError] = useState<UserError | null>(null);
  const [asking, setAsking] = useState<Asking | null>(null);
  const [reason, setReason] = useState("");
  const [reasonError, setReasonError] = useState<string | undefined>();
  const [askError, setAskError] = useState<UserError | null>(null);
  const [picked, setPicked] = useState<Picked | null>(null);
  const [pickCount, setPickCount] = useState(0);
  // After a booking from the dialog, focus lands on the words saying so (its slot is gone).
  const noticeRef = useRef<HTMLDivElement>(null);
  const [focusNotice, setFocusNotice] = useState(0);
  useEffect(() => {
    if (focusNotice) noticeRef.current?.focus();
  }, [focusNotice]);

  const nameOf = (booking: Booking) => contactName(contacts.get(booking.contact_id)) || "the contact";
  const whenOf = (booking: Booking) => formatLocalRange(new Date(booking.start), new Date(booking.end), zone);

  const act = useMutation({
    mutationFn: ({ booking, action, reason: why = "" }: { booking: Booking; action: BookingAction; reason?: string }) =>
      runBookingAction(booking, action, why),
    onSuccess: (_booking, { booking, action }) => {
      setActionError(null);
      setNotice(`Booking of ${nameOf(booking)}, ${whenOf(booking)}, ${DONE_WORDS[action]}.`);
      closeAsk();
      void queryClient.invalidateQueries({ queryKey: ["bookings", me.organization_id] });
      if (action === "cancel") void queryClient.invalidateQueries({ queryKey: ["availability", me.organization_id] });
    },
    onError: (caught, { action }) => {
      setNotice(null);
      if (needsConfirmation(action)) setAskError(errorOf(caught));
      else setActionError(errorOf(caught));
      void queryClient.invalidateQueries({ queryKey: ["bookings", me.organization_id] });
    },
  });

  function closeAsk() {
    setAsking(null);
    setReason("");
    setReasonError(undefined);
    setAskError(null);
  }

  function start(booking: Booking, action: BookingAction) {
    setNotice(null);
    setActionError(null);
    if (action === "confirm") act.mutate({ booking, action });
    else setAsking({ booking, action });
  }

  function confirmAsked() {
    if (!asking || act.isPending) return;
    if (asking.action === "cancel" && !reason.trim()) {
      setReasonError("Enter why the booking is cancelled.");
      return;
    }
    setReasonError(undefined);
    act.mutate({ booking: asking.booking, action: asking.action, reason: reason.trim() });
  }

  function pick(slot: Slot, day: string) {
    setNotice(null);
    setActionError(null);
    setPicked({ slot, date: day });
    setPickCount((n) => n + 1);
  }

  function booked(booking: Booking, contact: Contact) {
    setPicked(null);
    setFocusNotice((n) => n + 1);
    setNotice(`Booked ${contactName(contact)}, ${whenOf(booking)}${service ? `, ${service.name}` : ""}.`);
  }

  function toggleStatus(status: BookingStatus, on: boolean) {
    const next = on ? [...statuses, status] : statuses.filter((s) => s !== status);
    update({ status: STATUSES.filter((s) => next.includes(s)).join(",") || null });
  }

  const periodWords =
    view === "day" ? formatDateLong(period.first) : `${formatDateLong(period.first)} – ${formatDateLong(period.last)}`;
  const newBookingLink = `/bookings/new?${new URLSearchParams({
    ...(date >= today ? { date } : {}),
    ...(resource ? { resource: resource.id } : {}),
  })}`;
  const ask = asking ? ASK[asking.action] : null;

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
        <SelectField
          label="Resource"
          value={resource?.id ?? ""}
          onChange={(event) => update({ resource: event.target.value || null })}
          data-testid="bookings-filter-resource"
        >
          {resourceOptions.length === 0 && <option value="">No resources</option>}
          {resourceOptions.map((option) => (
            <option key={option.id} value={option.id}>
              {option.name}
              {option.is_active ? "" : " (inactive)"}
            </option>
          ))}
        </SelectField>
        {mayBook && (
          <SelectField
            label="Free times for"
            value={service?.id ?? ""}
            onChange={(event) => update({ service: event.target.value || null })}
            data-testid="bookings-filter-service"
          >
            {serviceOptions.length === 0 && <option value="">No services</option>}
            {serviceOptions.map((option) => (
              <option key={option.id} value={option.id}>
                {option.name} ({option.duration_minutes} min)
              </option>
            ))}
          </SelectField>
        )}
        <SelectField label="Show" value={view} onChange={(event) => update({ view: event.target.value })} data-testid="bookings-filter-view">
          <option value="day">Day</option>
          <option value="week">Week</option>
        </SelectField>
        <TextField
          label="Date"
          type="date"
          value={date}
          onChange={(event) => isIsoDate(event.target.value) && update({ date: event.target.value })}
          data-testid="bookings-filter-date"
        />
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
        {resource ? <strong className="font-semibold text-slate-900">{resource.name}</strong> : null}
        {resource ? ", " : ""}
        {periodWords}. <span data-testid="bookings-list-zone">Times in {zone}.</span>
      </p>

      <div ref={noticeRef} tabIndex={-1} className="focus:outline-none empty:hidden">
        {notice && <Notice testId="bookings-list-notice">{notice}</Notice>}
      </div>
      <ErrorAlert error={actionError} testId="bookings-list-action-error" />
      {resources.isError && <ErrorAlert error={errorOf(resources.error)} testId="bookings-resources-error" />}
      {services.isError && <ErrorAlert error={errorOf(services.error)} testId="bookings-services-error" />}
      {bookings.isError && <ErrorAlert error={errorOf(bookings.error)} testId="bookings-list-error" />}
      {slots.isError && <ErrorAlert error={errorOf(slots.error)} testId="bookings-slots-error" />}

      {resources.isPending ? (
        <p role="status" data-testid="bookings-list-loading" className="text-sm text-slate-700">
          Loading resources…
        </p>
      ) : !resource ? (
        <p data-testid="bookings-list-no-resources" className="text-sm text-slate-700">
          There are no resources to book yet.
        </p>
      ) : (
        <>
          <p role="status" className="sr-only">
            {bookings.isPending ? "Loading bookings…" : ""}
            {showSlots && service && slots.isPending ? " Loading free times…" : ""}
          </p>
          <ol
            data-testid="bookings-calendar"
            data-view={view}
            aria-label={`${resource.name}, ${periodWords}`}
            className={`grid grid-cols-1 gap-3 ${view === "week" ? "lg:grid-cols-7" : ""}`}
          >
            {days.map((day) => (
              <DayColumn
                key={day}
                day={day}
                isToday={day === today}
                compact={view === "week"}
                bookings={bookingsByDay.get(day) ?? []}
                bookingsLoading={bookings.isPending}
                slots={slotsByDay.get(day) ?? []}
                slotsShown={showSlots && day >= today && Boolean(service)}
                slotsLoading={slots.isPending}
                groupService={group}
                serviceName={service?.name ?? ""}
                mayBook={mayBook}
                busy={act.isPending}
                zone={zone}
                nameOf={(booking) => contactName(contacts.get(booking.contact_id))}
                serviceOf={(booking) => (booking.service_id ? (servicesById.get(booking.service_id)?.name ?? "") : "")}
                onAction={start}
                onPick={pick}
              />
            ))}
          </ol>
        </>
      )}

      {picked && resource && service && (
        <BookingDialog
          key={pickCount}
          resource={resource}
          service={service}
          date={picked.date}
          slot={picked.slot}
          daySlots={slotsByDay.get(picked.date) ?? []}
          slotsLoading={slots.isFetching}
          onClose={() => setPicked(null)}
          onBooked={booked}
        />
      )}

      <ConfirmDialog
        open={asking !== null}
        title={ask?.title ?? ""}
        confirmLabel={act.isPending ? (ask?.busy ?? "") : (ask?.confirm ?? "")}
        cancelLabel={ask?.keep ?? "Go back"}
        testId={asking ? `bookings-${asking.action}-dialog` : "bookings-action-dialog"}
        onCancel={closeAsk}
        onConfirm={confirmAsked}
      >
        <div className="flex flex-col gap-3">
          <p>
            The booking of {asking ? nameOf(asking.booking) : "the contact"}
            {asking && `, ${whenOf(asking.booking)}`}, {ask?.words}
          </p>
          <ErrorAlert error={askError} testId="bookings-action-error" />
          {asking?.action === "cancel" && (
            <ReasonField
              value={reason}
              error={reasonError}
              onChange={(value) => {
                setReason(value);
                if (value.trim()) setReasonError(undefined);
              }}
              data-testid="bookings-cancel-reason"
            />
          )}
        </div>
      </ConfirmDialog>
    </section>
  );
}

interface DayColumnProps {
  day: string;
  isToday: boolean;
  compact: boolean;
  bookings: Booking[];
  bookingsLoading: boolean;
  slots: Slot[];
  slotsShown: boolean;
  slotsLoading: boolean;
  groupService: boolean;
  serviceName: string;
  mayBook: boolean;
  busy: boolean;
  zone: string;
  nameOf: (booking: Booking) => string;
  serviceOf: (booking: Booking) => string;
  onAction: (booking: Booking, action: BookingAction) => void;
  onPick: (slot: Slot, day: string) => void;
}

/** One local day: its bookings in time order, then its free times as buttons. */
function DayColumn(props: DayColumnProps) {
  const { day, compact, bookings } = props;
  const headingId = `bookings-day-${day}`;
  const longDay = formatDateLong(day);
  return (
    <li className="min-w-0">
      <section
        aria-labelledby={headingId}
        data-testid="bookings-calendar-day"
        data-date={day}
        className={`flex h-full flex-col gap-3 rounded-lg bg-white p-3 shadow-sm ${props.isToday ? "ring-2 ring-indigo-300" : ""}`}
      >
        <h2 id={headingId} className="text-base font-semibold text-slate-900">
          {compact ? <span aria-hidden="true">{formatDateShort(day)}</span> : longDay}
          {compact && <span className="sr-only">{longDay}</span>}
          {props.isToday && <span className="ml-1 text-xs font-normal text-indigo-800">(today)</span>}
        </h2>
        {props.bookingsLoading ? (
          <p className="text-sm text-slate-700" data-testid="bookings-calendar-loading">
            Loading bookings…
          </p>
        ) : bookings.length === 0 ? (
          <p className="text-sm text-slate-700" data-testid="bookings-calendar-empty">
            No bookings.
          </p>
        ) : (
          <ul className="flex flex-col gap-2" aria-label={`Bookings on ${longDay}`}>
            {bookings.map((booking) => (
              <BookingCard key={booking.id} booking={booking} {...props} />
            ))}
          </ul>
        )}
        {props.slotsShown && (
          <div className="flex flex-col gap-2 border-t border-slate-200 pt-2">
            <h3 className="text-sm font-medium text-slate-800">Free times{props.serviceName ? ` for ${props.serviceName}` : ""}</h3>
            {props.slotsLoading ? (
              <p className="text-sm text-slate-700" data-testid="bookings-calendar-slots-loading">
                Loading free times…
              </p>
            ) : props.slots.length === 0 ? (
              <p className="text-sm text-slate-700" data-testid="bookings-calendar-slots-empty">
                No free times.
              </p>
            ) : (
              <ul className="flex flex-wrap gap-1.5" aria-label={`Free times on ${longDay}`}>
                {props.slots.map((slot) => {
                  const label = slotLabel(slot);
                  const places = props.groupService
                    ? `${slot.spaces_left} ${slot.spaces_left === 1 ? "place" : "places"} left`
                    : "";
                  return (
                    <li key={slot.start}>
                      <Button
                        variant="secondary"
                        className="px-2 py-1 tabular-nums"
                        aria-label={`Book ${label} on ${longDay}${places ? `, ${places}` : ""}`}
                        onClick={() => props.onPick(slot, day)}
                        data-testid="bookings-calendar-slot"
                        data-start={slot.start}
                      >
                        {compact ? label.slice(0, 5) : label}
                        {places && !compact && <span className="ml-1 text-xs font-normal text-slate-700">({places})</span>}
                      </Button>
                    </li>
                  );
                })}
              </ul>
            )}
          </div>
        )}
      </section>
    </li>
  );
}

function BookingCard({ booking, ...props }: DayColumnProps & { booking: Booking }) {
  const { zone } = props;
  const start = new Date(booking.start);
  const end = new Date(booking.end);
  const sameDay = localDate(start, zone) === localDate(end, zone);
  const when = sameDay ? formatLocalTimes(start, end, zone) : formatLocalRange(start, end, zone);
  const name = props.nameOf(booking);
  const serviceName = props.serviceOf(booking);
  const actions = props.mayBook ? allowedActions(booking.status, start) : [];
  return (
    <li
      data-testid="bookings-calendar-booking"
      data-booking-id={booking.id}
      data-start={booking.start}
      className="flex flex-col gap-1 rounded-md border border-slate-200 p-2 text-sm"
    >
      <span className="font-semibold tabular-nums" data-testid="bookings-calendar-time">
        {when}
      </span>
      <span className="font-medium break-words" data-testid="bookings-calendar-contact">
        {name || "…"}
      </span>
      {serviceName && <span className="text-xs text-slate-700">{serviceName}</span>}
      <span>
        <StatusBadge status={booking.status} />
      </span>
      {booking.cancel_reason && <span className="text-xs break-words text-slate-600">{booking.cancel_reason}</span>}
      {actions.length > 0 && (
        <div className="mt-1 flex flex-wrap gap-1.5">
          {actions.map((action) => (
            <Button
              key={action}
              variant={action === "cancel" ? "danger" : "secondary"}
              className="px-2 py-1"
              disabled={props.busy}
              aria-label={`${ACTION_LABELS[action]} booking of ${name || "the contact"}, ${formatLocalRange(start, end, zone)}`}
              data-testid={`bookings-calendar-${action}`}
              onClick={() => props.onAction(booking, action)}
            >
              {ACTION_LABELS[action]}
            </Button>
          ))}
        </div>
      )}
    </li>
  );
}
