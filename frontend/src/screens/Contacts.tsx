import { useInfiniteQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { Link } from "react-router";
import { backend, unwrap } from "../api/client";
import { errorOf } from "../api/problem";
import { useMe } from "../auth/AuthContext";
import { Button, ErrorAlert, Table, TextField } from "../ui";
import type { Contact } from "./bookingData";
import { contactName } from "./bookingLogic";
import { formatMoney } from "./invoiceLogic";
import { canEditContacts } from "./contactLogic";
import { ContactTransfer } from "./ContactTransfer";
import { useContactBalance } from "./moneyData";

const focus = "focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600";

const PAGE_SIZE = 25;

export function useDebounced(value: string, delay = 250): string {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), delay);
    return () => clearTimeout(timer);
  }, [value, delay]);
  return debounced;
}

/** A contact's money per currency: invoiced, paid, refunded, outstanding and overdue. */
export function ContactBalance({ contact, onClose }: { contact: Contact; onClose?: () => void }) {
  const balance = useContactBalance(contact.id);
  const name = contactName(contact);
  return (
    <section
      id="contact-balance"
      aria-labelledby="contact-balance-heading"
      className="flex flex-col gap-3 rounded-lg bg-white p-4 shadow-sm"
      data-testid="contacts-balance"
      data-contact-id={contact.id}
    >
      <div className="flex flex-wrap items-center gap-3">
        <h2 id="contact-balance-heading" className="text-lg font-semibold">
          Balance of {name}
        </h2>
        {onClose && (
          <Button variant="secondary" className="ml-auto" onClick={onClose} data-testid="contacts-balance-close">
            Close
          </Button>
        )}
      </div>
      {balance.isError && <ErrorAlert error={errorOf(balance.error)} testId="contacts-balance-error" />}
      {balance.isPending ? (
        <p role="status" data-testid="contacts-balance-loading" className="text-sm text-slate-700">
          Loading the balance…
        </p>
      ) : balance.data && balance.data.length === 0 ? (
        <p data-testid="contacts-balance-empty" className="text-sm text-slate-700">
          No invoices or payments for {name} yet.
        </p>
      ) : (
        balance.data && (
          <Table
            caption={`Balance of ${name} per currency`}
            head={["Currency", "Invoiced", "Paid", "Refunded", "Outstanding", "Overdue"]} numeric={["Invoiced", "Paid", "Refunded", "Outstanding", "Overdue"]}
            testId="contacts-balance-table"
          >
            {balance.data.map((item) => (
              <tr key={item.currency} data-testid="contacts-balance-row" data-currency={item.currency}>
                <th scope="row" className="px-3 py-2 text-left font-semibold">
                  {item.currency}
                </th>
                <td className="px-3 py-2 text-right tabular-nums" data-testid="contacts-balance-invoiced">
                  {formatMoney(item.invoiced)}
                </td>
                <td className="px-3 py-2 text-right tabular-nums" data-testid="contacts-balance-paid">
                  {formatMoney(item.paid)}
                </td>
                <td className="px-3 py-2 text-right tabular-nums" data-testid="contacts-balance-refunded">
                  {formatMoney(item.refunded)}
                </td>
                <td className="px-3 py-2 text-right tabular-nums" data-testid="contacts-balance-outstanding">
                  {formatMoney(item.outstanding)}
                </td>
                <td className="px-3 py-2 text-right tabular-nums" data-testid="contacts-balance-overdue">
                  {formatMoney(item.overdue)}
                </td>
              </tr>
            ))}
          </Table>
        )
      )}
    </section>
  );
}

export function Contacts() {
  const me = useMe();
  const [search, setSearch] = useState("");
  const q = useDebounced(search.trim());
  const contacts = useInfiniteQuery({
    queryKey: ["contacts", me.organization_id, q],
    initialPageParam: null as string | null,
    queryFn: async ({ pageParam }) =>
      unwrap(
        await backend.GET("/api/v1/contacts", {
          params: { query: { q: q || undefined, cursor: pageParam ?? undefined, limit: PAGE_SIZE } },
        }),
      ),
    getNextPageParam: (page) => page.next_cursor ?? null,
  });
  const items = contacts.data?.pages.flatMap((page) => page.items) ?? [];
  const [shown, setShown] = useState<Contact | null>(null);

  return (
    <section aria-labelledby="contacts-heading" className="flex flex-col gap-4">
      <div className="flex flex-wrap items-center gap-3">
        <h1 id="contacts-heading" className="text-2xl font-semibold">
          Contacts
        </h1>
        {canEditContacts(me.roles) && (
          <Link
            to="/contacts/new"
            data-testid="contacts-list-new"
            className={`ml-auto inline-flex items-center rounded-md bg-indigo-700 px-3 py-2 text-sm font-semibold text-white hover:bg-indigo-800 ${focus}`}
          >
            New contact
          </Link>
        )}
      </div>
      <div className="max-w-sm">
        <TextField
          label="Search contacts"
          type="search"
          hint="Name, email or phone"
          value={search}
          onChange={(event) => setSearch(event.target.value)}
          data-testid="contacts-search-input"
        />
      </div>
      {canEditContacts(me.roles) && <ContactTransfer />}
      {shown && <ContactBalance key={shown.id} contact={shown} onClose={() => setShown(null)} />}
      {contacts.isError && <ErrorAlert error={errorOf(contacts.error)} testId="contacts-list-error" />}
      {contacts.isPending ? (
        <p role="status" data-testid="contacts-list-loading" className="text-sm text-slate-700">
          Loading contacts…
        </p>
      ) : items.length === 0 && !contacts.isError ? (
        <p data-testid="contacts-list-empty" className="text-sm text-slate-700">
          {q ? `No contacts match “${q}”.` : "No contacts yet."}
        </p>
      ) : (
        items.length > 0 && (
          <Table caption="Contacts" head={["Name", "Email", "Phone", "Tags", "Money"]} testId="contacts-list-table">
            {items.map((contact) => (
              <tr key={contact.id} data-testid="contacts-list-row" data-contact-id={contact.id}>
                <td className="px-3 py-2 font-medium">
                  <Link to={`/contacts/${contact.id}`} className={`text-indigo-700 underline ${focus}`} data-testid="contacts-list-open">
                    {[contact.first_name, contact.last_name].filter(Boolean).join(" ")}
                  </Link>
                </td>
                <td className="px-3 py-2">{contact.email ?? ""}</td>
                <td className="px-3 py-2">{contact.phone ?? ""}</td>
                <td className="px-3 py-2">{contact.tags.join(", ")}</td>
                <td className="px-3 py-2">
                  <Button
                    variant="secondary"
                    aria-label={`Balance of ${contactName(contact)}`}
                    aria-expanded={shown?.id === contact.id}
                    aria-controls={shown?.id === contact.id ? "contact-balance" : undefined}
                    onClick={() => setShown(shown?.id === contact.id ? null : contact)}
                    data-testid="contacts-list-balance"
                  >
                    Balance
                  </Button>
                </td>
              </tr>
            ))}
          </Table>
        )
      )}
      {contacts.hasNextPage && (
        <div>
          <Button
            variant="secondary"
            disabled={contacts.isFetchingNextPage}
            onClick={() => contacts.fetchNextPage()}
            data-testid="contacts-list-load-more"
          >
            {contacts.isFetchingNextPage ? "Loading…" : "Load more"}
          </Button>
        </div>
      )}
    </section>
  );
}
