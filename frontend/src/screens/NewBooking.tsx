import { useState } from "react";
import { Link, useSearchParams } from "react-router";
import { errorOf, problemCode, type UserError } from "../api/problem";
import { useMe } from "../auth/AuthContext";
import { organizationTimeZone } from "./insightsData";
import { Button, ErrorAlert, Notice, SelectField, TextField } from "../ui";
import { ContactPicker } from "./ContactPicker";
import { StatusBadge } from "./Bookings";
import {
  byId,
  useAvailability,
  useContactsById,
  useCreateBooking,
  useResources,
  useServices,
  type Booking,
  type Contact,
  type Slot,
} from "./bookingData";
import {
  addDays,
  canBook,
  contactName,
  formatDateLong,
  formatLocalRange,
  isGroupService,
  isIsoDate,
  isSlotTaken,
  localDate,
  slotLabel,
  startOfLocalDay,
} from "./bookingLogic";

const focus = "focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600";

export function NewBooking() {
  const me = useMe();
  const resources = useResources();
  const services = useServices();
  const activeResources = (resources.data ?? []).filter((resource) => resource.is_active);
  const activeServices = (services.data ?? []).filter((service) => service.is_active);
  // `?resource=&date=&contact=` prefill the form (links from the Bookings view and a contact's page).
  const [params] = useSearchParams();
  const [resourceChoice, setResourceId] = useState(params.get("resource") ?? "");
  const [serviceChoice, setServiceId] = useState("");
  const resourceId =
    (activeResources.some((option) => option.id === resourceChoice) ? resourceChoice : "") || activeResources[0]?.id || "";
  const serviceId = serviceChoice || activeServices[0]?.id || "";
  const resource = byId(resources.data).get(resourceId);
  const zone = resource?.timezone ?? organizationTimeZone(me);
  const [dateChoice, setDate] = useState(params.get("date") ?? "");
  const date = isIsoDate(dateChoice) ? dateChoice : localDate(new Date(), zone);
  const [contactChoice, setContact] = useState<Contact | null>(null);
  const prefilledContactId = params.get("contact");
  const prefilled = useContactsById(prefilledContactId ? [prefilledContactId] : []).get(prefilledContactId ?? "");
  const contact = contactChoice ?? (prefilled && prefilled.erased_at === null ? prefilled : null);
  const [error, setError] = useState<UserError | null>(null);
  const [taken, setTaken] = useState(false);
  const [booked, setBooked] = useState<{ booking: Booking; contact: Contact } | null>(null);

  const slots = useAvailability(resourceId, serviceId, startOfLocalDay(date, zone), startOfLocalDay(addDays(date, 1), zone));
  const slotItems = slots.data?.items ?? [];
  const group = isGroupService(activeServices.find((service) => service.id === serviceId));

  const create = useCreateBooking();
  function book(slot: Slot, forContact: Contact) {
    create.mutate(
      { resourceId, serviceId, contactId: forContact.id, start: slot.start },
      {
        onSuccess: (created) => {
          setError(null);
          setTaken(false);
          setBooked({ booking: created, contact: forContact });
        },
        onError: (caught) => {
          setBooked(null);
          const slotTaken = isSlotTaken(problemCode(caught));
          setTaken(slotTaken);
          setError(slotTaken ? null : errorOf(caught));
        },
      },
    );
  }

  function changed() {
    setError(null);
    setTaken(false);
  }

  if (!canBook(me.roles)) {
    return (
      <section aria-labelledby="new-booking-heading" className="flex flex-col gap-4">
        <h1 id="new-booking-heading" className="text-2xl font-semibold">
          New booking
        </h1>
        <p data-testid="bookings-new-forbidden">Only staff and above can book. </p>
        <Link to="/bookings" className={`text-indigo-700 underline ${focus}`} data-testid="bookings-new-back">
          Back to bookings
        </Link>
      </section>
    );
  }

  const bookedResource = booked ? byId(resources.data).get(booked.booking.resource_id) : undefined;
  const bookedService = booked?.booking.service_id ? byId(services.data).get(booked.booking.service_id) : undefined;
  const bookedZone = bookedResource?.timezone ?? zone;
  return (
    <section aria-labelledby="new-booking-heading" className="flex flex-col gap-4">
      <div className="flex flex-wrap items-center gap-3">
        <h1 id="new-booking-heading" className="text-2xl font-semibold">
          New booking
        </h1>
        <Link to="/bookings" className={`ml-auto text-sm text-indigo-700 underline ${focus}`} data-testid="bookings-new-back">
          Back to bookings
        </Link>
      </div>
      {resources.isError && <ErrorAlert error={errorOf(resources.error)} testId="bookings-new-resources-error" />}
      {services.isError && <ErrorAlert error={errorOf(services.error)} testId="bookings-new-services-error" />}

      {booked && (
        <Notice testId="bookings-new-booked">
          <span data-booking-id={booked.booking.id} data-testid="bookings-new-booked-summary">
            Booked {contactName(booked.contact)} with {bookedResource?.name ?? "the resource"}
            {bookedService ? ` for ${bookedService.name}` : ""},{" "}
            {formatLocalRange(new Date(booked.booking.start), new Date(booked.booking.end), bookedZone)}.{" "}
          </span>
          <StatusBadge status={booked.booking.status} />{" "}
          <Link
            to={`/bookings?view=day&date=${localDate(new Date(booked.booking.start), bookedZone)}&resource=${booked.booking.resource_id}`}
            className={`font-semibold underline ${focus}`}
            data-testid="bookings-new-booked-show"
          >
            Show in bookings
          </Link>
        </Notice>
      )}

      <div className="grid gap-4 md:grid-cols-2">
        <div className="flex flex-col gap-3 rounded-lg bg-white p-4 shadow-sm">
          <SelectField
            label="Resource"
            value={resourceId}
            onChange={(event) => {
              changed();
              setResourceId(event.target.value);
            }}
            data-testid="bookings-new-resource"
          >
            {activeResources.map((option) => (
              <option key={option.id} value={option.id}>
                {option.name}
              </option>
            ))}
          </SelectField>
          <SelectField
            label="Service"
            value={serviceId}
            onChange={(event) => {
              changed();
              setServiceId(event.target.value);
            }}
            data-testid="bookings-new-service"
          >
            {activeServices.map((option) => (
              <option key={option.id} value={option.id}>
                {option.name} ({option.duration_minutes} min)
              </option>
            ))}
          </SelectField>
          <TextField
            label="Date"
            type="date"
            value={date}
            hint={`Times in ${zone}`}
            onChange={(event) => {
              changed();
              setDate(event.target.value);
            }}
            data-testid="bookings-new-date"
          />
        </div>
        <div className="rounded-lg bg-white p-4 shadow-sm">
          <ContactPicker
            testIdPrefix="bookings-new-contact"
            name="booking-contact"
            chosenLabel="Booking for"
            chosen={contact}
            onChoose={(chosen) => {
              changed();
              setContact(chosen);
            }}
          />
        </div>
      </div>

      <section aria-labelledby="slots-heading" className="flex flex-col gap-3">
        <h2 id="slots-heading" className="text-lg font-semibold">
          Free times on {formatDateLong(date)}
        </h2>
        {taken && (
          <div role="alert" data-testid="bookings-new-taken" className="rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900">
            Someone else has just booked that time. The free times below are up to date again: please pick another.
          </div>
        )}
        <ErrorAlert error={error} testId="bookings-new-error" />
        {slots.isError && <ErrorAlert error={errorOf(slots.error)} testId="bookings-new-slots-error" />}
        {!contact && <p className="text-sm text-slate-700">Choose a contact to book one of the times.</p>}
        {!resourceId || !serviceId ? (
          <p className="text-sm text-slate-700">Choose a resource and a service.</p>
        ) : slots.isPending ? (
          <p role="status" data-testid="bookings-new-slots-loading" className="text-sm text-slate-700">
            Loading free times…
          </p>
        ) : slotItems.length === 0 && !slots.isError ? (
          <p data-testid="bookings-new-slots-empty" className="text-sm text-slate-700">
            No free times on this day.
          </p>
        ) : (
          <ul className="flex flex-wrap gap-2" data-testid="bookings-new-slots" aria-busy={slots.isFetching}>
            {slotItems.map((slot) => {
              const label = slotLabel(slot);
              const places = group ? `${slot.spaces_left} ${slot.spaces_left === 1 ? "place" : "places"} left` : "";
              return (
                <li key={slot.start}>
                  <Button
                    variant="secondary"
                    disabled={!contact || create.isPending}
                    onClick={() => contact && book(slot, contact)}
                    aria-label={`Book ${label}${places ? `, ${places}` : ""}`}
                    data-testid="bookings-new-slot"
                    data-start={slot.start}
                  >
                    {label}
                    {places && <span className="ml-1 text-xs font-normal text-slate-700">({places})</span>}
                  </Button>
                </li>
              );
            })}
          </ul>
        )}
      </section>
    </section>
  );
}
