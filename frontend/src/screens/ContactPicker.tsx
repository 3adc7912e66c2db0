// Search-and-choose of one contact, as the booking and invoice forms use it.
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { backend, unwrap } from "../api/client";
import { errorOf } from "../api/problem";
import { useMe } from "../auth/AuthContext";
import { ErrorAlert, TextField } from "../ui";
import { useDebounced } from "./Contacts";
import type { Contact } from "./bookingData";
import { contactName } from "./bookingLogic";

const CONTACT_MATCHES = 8;
const focus = "focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600";

export interface ContactPickerProps {
  chosen: Contact | null;
  onChoose: (contact: Contact) => void;
  /** Prefix of the test ids (`<prefix>-search`, `-option`, `-chosen`, `-empty`, `-error`). */
  testIdPrefix: string;
  /** Name of the radio group. */
  name: string;
  /** Words before the chosen contact's name, e.g. "Booking for". */
  chosenLabel: string;
  /** Shown (and tied to the group) when the form was sent without a contact. */
  missingMessage?: string;
}

export function ContactPicker({ chosen, onChoose, testIdPrefix, name, chosenLabel, missingMessage }: ContactPickerProps) {
  const me = useMe();
  const [search, setSearch] = useState("");
  const q = useDebounced(search.trim());
  const matches = useQuery({
    queryKey: ["contacts", me.organization_id, "pick", q],
    queryFn: async () =>
      unwrap(await backend.GET("/api/v1/contacts", { params: { query: { q: q || undefined, limit: CONTACT_MATCHES } } }))
        .items,
  });
  const errorId = `${name}-error`;
  return (
    <div className="flex flex-col gap-2">
      <TextField
        label="Find a contact"
        type="search"
        hint="Name, email or phone"
        value={search}
        onChange={(event) => setSearch(event.target.value)}
        data-testid={`${testIdPrefix}-search`}
      />
      {matches.isError && <ErrorAlert error={errorOf(matches.error)} testId={`${testIdPrefix}-error`} />}
      <fieldset aria-describedby={missingMessage ? errorId : undefined}>
        <legend className="text-sm font-medium text-slate-800">Contact</legend>
        {matches.isPending ? (
          <p role="status" className="text-sm text-slate-700">
            Loading contacts…
          </p>
        ) : matches.data && matches.data.length === 0 ? (
          <p data-testid={`${testIdPrefix}-empty`} className="text-sm text-slate-700">
            {q ? `No contacts match “${q}”.` : "No contacts yet."}
          </p>
        ) : (
          <ul className="mt-1 flex flex-col gap-1">
            {(matches.data ?? []).map((contact) => (
              <li key={contact.id}>
                <label className="inline-flex items-center gap-2 text-sm">
                  <input
                    type="radio"
                    name={name}
                    value={contact.id}
                    checked={chosen?.id === contact.id}
                    onChange={() => onChoose(contact)}
                    data-testid={`${testIdPrefix}-option`}
                    className={focus}
                  />
                  <span>
                    {contactName(contact)}
                    {contact.email && <span className="text-slate-600"> · {contact.email}</span>}
                  </span>
                </label>
              </li>
            ))}
          </ul>
        )}
      </fieldset>
      <p data-testid={`${testIdPrefix}-chosen`} className="text-sm text-slate-800">
        {chosen ? (
          <>
            {chosenLabel} <strong>{contactName(chosen)}</strong>
          </>
        ) : (
          "No contact chosen yet."
        )}
      </p>
      {missingMessage && (
        <p id={errorId} className="text-xs text-red-700">
          {missingMessage}
        </p>
      )}
    </div>
  );
}
