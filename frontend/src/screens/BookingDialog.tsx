// The dialog that books a free slot picked in the Bookings view: contact, notes, and the time
// (prefilled). When the time was taken meanwhile it says so and offers the day's free times again.
import { useId, useLayoutEffect, useRef, useState } from "react";
import { errorOf, problemCode, type UserError } from "../api/problem";
import { Button, ErrorAlert, TextAreaField } from "../ui";
import { ContactPicker } from "./ContactPicker";
import { useCreateBooking, type Booking, type Contact, type Resource, type Service, type Slot } from "./bookingData";
import { formatDateLong, isGroupService, isSlotTaken, slotLabel } from "./bookingLogic";

export interface BookingDialogProps {
  resource: Resource;
  service: Service;
  /** The local date (in the resource's zone) of the picked slot. */
  date: string;
  /** The picked slot. */
  slot: Slot;
  /** That day's free slots as the view has them now (refetched after a refusal). */
  daySlots: readonly Slot[];
  slotsLoading: boolean;
  onClose: () => void;
  onBooked: (booking: Booking, contact: Contact) => void;
}

/** Mounted per pick (give it a `key`): opens as a modal at once; Escape or Close ends it. */
export function BookingDialog({ resource, service, date, slot, daySlots, slotsLoading, onClose, onBooked }: BookingDialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const [chosen, setChosen] = useState<Slot>(slot);
  const [contact, setContact] = useState<Contact | null>(null);
  const [notes, setNotes] = useState("");
  const [missingContact, setMissingContact] = useState(false);
  const [taken, setTaken] = useState<Slot | null>(null);
  const [error, setError] = useState<UserError | null>(null);
  const create = useCreateBooking();
  const group = isGroupService(service);

  // Opens on mount; on unmount it closes before it leaves the page, and focus goes back where it
  // was (the slot), or to the content when that is gone. After a booking the view decides.
  const bookedRef = useRef(false);
  useLayoutEffect(() => {
    const dialog = ref.current;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (dialog && !dialog.open) dialog.showModal?.();
    return () => {
      if (dialog?.open) dialog.close();
      const main = document.getElementById("main");
      if (bookedRef.current) return; // the view moves focus to what it says about the booking
      queueMicrotask(() => {
        if (opener?.isConnected) opener.focus();
        else main?.focus();
      });
    };
  }, []);

  function submit(event: React.FormEvent) {
    event.preventDefault();
    if (create.isPending) return;
    if (!contact) {
      setMissingContact(true);
      return;
    }
    setError(null);
    create.mutate(
      { resourceId: resource.id, serviceId: service.id, contactId: contact.id, start: chosen.start, notes: notes.trim() },
      {
        onSuccess: (booking) => {
          bookedRef.current = true;
          onBooked(booking, contact);
        },
        onError: (caught) => {
          if (isSlotTaken(problemCode(caught))) {
            setTaken(chosen);
            setError(null);
          } else {
            setError(errorOf(caught));
          }
        },
      },
    );
  }

  const others = daySlots.filter((free) => free.start !== taken?.start);
  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      data-testid="bookings-create-dialog"
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
      className="m-auto w-[calc(100%-2rem)] max-w-lg rounded-lg p-5 shadow-xl backdrop:bg-slate-900/40 sm:p-6"
    >
      <form onSubmit={submit} noValidate className="flex flex-col gap-4">
        <h2 id={titleId} className="text-lg font-semibold text-slate-900">
          Book {resource.name}
        </h2>
        <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-sm">
          <dt className="font-medium text-slate-700">Service</dt>
          <dd data-testid="bookings-create-service">
            {service.name} ({service.duration_minutes} min)
          </dd>
          <dt className="font-medium text-slate-700">Time</dt>
          <dd data-testid="bookings-create-time" data-start={chosen.start}>
            {formatDateLong(date)}, {slotLabel(chosen)}
            {group && ` (${chosen.spaces_left} ${chosen.spaces_left === 1 ? "place" : "places"} left)`}
            <span className="block text-xs text-slate-600">Times in {resource.timezone}</span>
          </dd>
        </dl>

        {taken && (
          <div role="alert" data-testid="bookings-create-taken" className="rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900">
            <p>
              {slotLabel(taken)} was booked by someone else meanwhile. Choose another free time on {formatDateLong(date)}:
            </p>
            {slotsLoading ? (
              <p className="mt-2">Loading free times…</p>
            ) : others.length === 0 ? (
              <p className="mt-2" data-testid="bookings-create-taken-none">
                No other free times on this day. Close this and pick another day.
              </p>
            ) : (
              <ul className="mt-2 flex flex-wrap gap-2" aria-label="Other free times">
                {others.map((free) => (
                  <li key={free.start}>
                    <Button
                      variant="secondary"
                      aria-pressed={free.start === chosen.start}
                      onClick={() => {
                        setChosen(free);
                        setTaken(null);
                      }}
                      data-testid="bookings-create-other-slot"
                      data-start={free.start}
                    >
                      {slotLabel(free)}
                    </Button>
                  </li>
                ))}
              </ul>
            )}
          </div>
        )}

        <ContactPicker
          testIdPrefix="bookings-create-contact"
          name="booking-dialog-contact"
          chosenLabel="Booking for"
          chosen={contact}
          onChoose={(picked) => {
            setContact(picked);
            setMissingContact(false);
          }}
          missingMessage={missingContact ? "Choose who the booking is for." : undefined}
        />
        <TextAreaField
          label="Notes (optional)"
          rows={2}
          maxLength={5000}
          value={notes}
          onChange={(event) => setNotes(event.target.value)}
          data-testid="bookings-create-notes"
        />
        <ErrorAlert error={error} testId="bookings-create-error" />
        <div className="flex flex-wrap justify-end gap-2">
          <Button variant="secondary" onClick={onClose} data-testid="bookings-create-close">
            Close
          </Button>
          <Button type="submit" disabled={create.isPending || taken !== null} data-testid="bookings-create-submit">
            {create.isPending ? "Booking…" : `Book ${slotLabel(chosen)}`}
          </Button>
        </div>
      </form>
    </dialog>
  );
}
