import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";
import { Link, useLocation, useNavigate, useParams } from "react-router";
import { backend, unwrap } from "../api/client";
import { saveBlob } from "../api/download";
import { errorOf, type UserError } from "../api/problem";
import { useMe } from "../auth/AuthContext";
import { Button, ConfirmDialog, ErrorAlert, Notice, Table, TextField } from "../ui";
import { StatusBadge } from "./Bookings";
import { ContactBalance } from "./Contacts";
import { ContactForm } from "./ContactForm";
import { InvoiceStatusBadge, OverdueBadge } from "./Invoices";
import { byId, useResources, useServices } from "./bookingData";
import { canBook, contactName, formatLocalRange, localDate } from "./bookingLogic";
import {
  contactKey,
  fetchContactExport,
  useContact,
  useContactBookings,
  useContactInvoices,
  useContactPayments,
} from "./contactData";
import { ERASE_WORD, canEditContacts, canEraseContacts, eraseConfirmed, exportFilename, type Contact } from "./contactLogic";
import { formatDate, formatDateTime, formatMoney, paymentMethodLabel } from "./invoiceLogic";
import { organizationTimeZone, useOrganizationTimeZone } from "./insightsData";

const focus = "focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600";
const linkClass = `text-indigo-700 underline ${focus}`;

function Panel({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <section aria-labelledby={`${id}-heading`} className="flex min-w-0 flex-col gap-3 rounded-lg bg-white p-4 shadow-sm" data-testid={id}>
      <h2 id={`${id}-heading`} className="text-lg font-semibold">
        {title}
      </h2>
      {children}
    </section>
  );
}

function LoadMore({ query, testId }: { query: { hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage: () => unknown }; testId: string }) {
  if (!query.hasNextPage) return null;
  return (
    <div>
      <Button variant="secondary" disabled={query.isFetchingNextPage} onClick={() => query.fetchNextPage()} data-testid={testId}>
        {query.isFetchingNextPage ? "Loading…" : "Load more"}
      </Button>
    </div>
  );
}

function ContactBookings({ contact }: { contact: Contact }) {
  const organizationZone = useOrganizationTimeZone();
  const bookings = useContactBookings(contact.id);
  const resources = useResources();
  const services = useServices();
  const resourcesById = byId(resources.data);
  const servicesById = byId(services.data);
  const items = bookings.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <Panel id="contacts-detail-bookings" title="Bookings">
      {bookings.isError && <ErrorAlert error={errorOf(bookings.error)} testId="contacts-detail-bookings-error" />}
      {bookings.isPending ? (
        <p role="status" className="text-sm text-slate-700">
          Loading bookings…
        </p>
      ) : items.length === 0 && !bookings.isError ? (
        <p data-testid="contacts-detail-bookings-empty" className="text-sm text-slate-700">
          No bookings for {contactName(contact)} yet.
        </p>
      ) : (
        items.length > 0 && (
          <Table caption={`Bookings of ${contactName(contact)}`} head={["Time", "Resource", "Service", "Status"]} testId="contacts-detail-bookings-table">
            {items.map((booking) => {
              const resource = resourcesById.get(booking.resource_id);
              const zone = resource?.timezone ?? organizationZone;
              return (
                <tr key={booking.id} data-testid="contacts-detail-booking" data-booking-id={booking.id}>
                  <td className="px-3 py-2 whitespace-nowrap">
                    <Link
                      to={`/bookings?view=day&date=${localDate(new Date(booking.start), zone)}&resource=${booking.resource_id}`}
                      className={linkClass}
                      data-testid="contacts-detail-booking-open"
                    >
                      {formatLocalRange(new Date(booking.start), new Date(booking.end), zone)}
                    </Link>
                    <span className="block text-xs text-slate-600">{zone}</span>
                  </td>
                  <td className="px-3 py-2">{resource?.name ?? ""}</td>
                  <td className="px-3 py-2">{booking.service_id ? (servicesById.get(booking.service_id)?.name ?? "") : ""}</td>
                  <td className="px-3 py-2">
                    <StatusBadge status={booking.status} />
                  </td>
                </tr>
              );
            })}
          </Table>
        )
      )}
      <LoadMore query={bookings} testId="contacts-detail-bookings-load-more" />
    </Panel>
  );
}

function ContactInvoices({ contact }: { contact: Contact }) {
  const invoices = useContactInvoices(contact.id);
  const items = invoices.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <Panel id="contacts-detail-invoices" title="Invoices">
      {invoices.isError && <ErrorAlert error={errorOf(invoices.error)} testId="contacts-detail-invoices-error" />}
      {invoices.isPending ? (
        <p role="status" className="text-sm text-slate-700">
          Loading invoices…
        </p>
      ) : items.length === 0 && !invoices.isError ? (
        <p data-testid="contacts-detail-invoices-empty" className="text-sm text-slate-700">
          No invoices for {contactName(contact)} yet.
        </p>
      ) : (
        items.length > 0 && (
          <Table caption={`Invoices of ${contactName(contact)}`} head={["Number", "Status", "Total", "Due", "Due date"]} numeric={["Total", "Due"]} testId="contacts-detail-invoices-table">
            {items.map((invoice) => (
              <tr key={invoice.id} data-testid="contacts-detail-invoice" data-invoice-id={invoice.id}>
                <td className="px-3 py-2 font-medium whitespace-nowrap">
                  <Link to={`/invoices/${invoice.id}`} className={linkClass} data-testid="contacts-detail-invoice-open">
                    {invoice.number ?? "Draft"}
                  </Link>
                </td>
                <td className="px-3 py-2 whitespace-nowrap">
                  <InvoiceStatusBadge status={invoice.status} testId="contacts-detail-invoice-status" />
                  {invoice.overdue && <OverdueBadge testId="contacts-detail-invoice-overdue" />}
                </td>
                <td className="px-3 py-2 text-right whitespace-nowrap tabular-nums">{formatMoney(invoice.total)}</td>
                <td className="px-3 py-2 text-right whitespace-nowrap tabular-nums">{formatMoney(invoice.amount_due)}</td>
                <td className="px-3 py-2 whitespace-nowrap">{formatDate(invoice.due_date)}</td>
              </tr>
            ))}
          </Table>
        )
      )}
      <LoadMore query={invoices} testId="contacts-detail-invoices-load-more" />
    </Panel>
  );
}

function ContactPayments({ contact }: { contact: Contact }) {
  const zone = useOrganizationTimeZone();
  const payments = useContactPayments(contact.id);
  const items = payments.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <Panel id="contacts-detail-payments" title="Payments">
      {payments.isError && <ErrorAlert error={errorOf(payments.error)} testId="contacts-detail-payments-error" />}
      {payments.isPending ? (
        <p role="status" className="text-sm text-slate-700">
          Loading payments…
        </p>
      ) : items.length === 0 && !payments.isError ? (
        <p data-testid="contacts-detail-payments-empty" className="text-sm text-slate-700">
          No payments from {contactName(contact)} yet.
        </p>
      ) : (
        items.length > 0 && (
          <Table caption={`Payments of ${contactName(contact)}`} head={["Received", "Amount", "Refunded", "Method"]} numeric={["Amount", "Refunded"]} testId="contacts-detail-payments-table">
            {items.map((payment) => (
              <tr key={payment.id} data-testid="contacts-detail-payment" data-payment-id={payment.id}>
                <td className="px-3 py-2 whitespace-nowrap">{formatDateTime(payment.received_at, zone)}</td>
                <td className="px-3 py-2 text-right whitespace-nowrap tabular-nums">{formatMoney(payment.amount)}</td>
                <td className="px-3 py-2 text-right whitespace-nowrap tabular-nums">{formatMoney(payment.amount_refunded)}</td>
                <td className="px-3 py-2">{paymentMethodLabel(payment.method)}</td>
              </tr>
            ))}
          </Table>
        )
      )}
      <LoadMore query={payments} testId="contacts-detail-payments-load-more" />
    </Panel>
  );
}

function Field({ label, children, testId, className = "" }: { label: string; children: ReactNode; testId: string; className?: string }) {
  return (
    <div className={`flex min-w-0 flex-col gap-0.5 ${className}`}>
      <dt className="text-xs font-semibold text-slate-600 uppercase">{label}</dt>
      <dd className="break-words text-sm text-slate-900" data-testid={testId}>
        {children}
      </dd>
    </div>
  );
}

/** Erase asks for the word to be typed: it cannot be undone. */
export function EraseDialog({
  contact,
  open,
  onClose,
  onErased,
}: {
  contact: Contact;
  open: boolean;
  onClose: () => void;
  onErased: (contact: Contact) => void;
}) {
  const [typed, setTyped] = useState("");
  const [typedError, setTypedError] = useState<string | undefined>();
  const [error, setError] = useState<UserError | null>(null);
  const erase = useMutation({
    mutationFn: async () =>
      unwrap(await backend.POST("/api/v1/contacts/{contact_id}/erase", { params: { path: { contact_id: contact.id } } })),
    onSuccess: (erased) => {
      close();
      onErased(erased);
    },
    onError: (caught) => setError(errorOf(caught)),
  });
  function close() {
    setTyped("");
    setTypedError(undefined);
    setError(null);
    onClose();
  }
  return (
    <ConfirmDialog
      open={open}
      title={`Erase ${contactName(contact)}?`}
      confirmLabel={erase.isPending ? "Erasing…" : "Erase for good"}
      cancelLabel="Keep contact"
      testId="contacts-erase-dialog"
      onCancel={close}
      onConfirm={() => {
        if (erase.isPending) return;
        if (!eraseConfirmed(typed)) {
          setTypedError(`Type ${ERASE_WORD} to confirm.`);
          return;
        }
        setTypedError(undefined);
        erase.mutate();
      }}
    >
      <div className="flex flex-col gap-3">
        <p>
          The name, email, phone, notes and tags of {contactName(contact)} are removed everywhere, also from the history. This
          cannot be undone. Bookings, invoices and payments are kept without the personal data.
        </p>
        <ErrorAlert error={error} testId="contacts-erase-error" />
        <TextField
          label={`Type ${ERASE_WORD} to confirm`}
          autoComplete="off"
          value={typed}
          error={typedError}
          onChange={(event) => {
            setTyped(event.target.value);
            if (eraseConfirmed(event.target.value)) setTypedError(undefined);
          }}
          data-testid="contacts-erase-confirm-input"
        />
      </div>
    </ConfirmDialog>
  );
}

function Actions({ contact, onEdit, onNotice }: { contact: Contact; onEdit: () => void; onNotice: (words: string) => void }) {
  const me = useMe();
  const queryClient = useQueryClient();
  const [error, setError] = useState<UserError | null>(null);
  const [archiving, setArchiving] = useState(false);
  const [erasing, setErasing] = useState(false);
  const mayEdit = canEditContacts(me.roles);
  const erased = contact.erased_at !== null;
  const name = contactName(contact);

  function refreshLists() {
    void queryClient.invalidateQueries({ queryKey: ["contacts", me.organization_id] });
  }

  const exporting = useMutation({
    mutationFn: () => fetchContactExport(contact.id),
    onSuccess: (blob) => {
      setError(null);
      saveBlob(blob, exportFilename(contact, localDate(new Date(), organizationTimeZone(me))));
      onNotice(`The data held on ${name} was downloaded.`);
    },
    onError: (caught) => setError(errorOf(caught)),
  });
  const archive = useMutation({
    mutationFn: async () =>
      unwrap(await backend.DELETE("/api/v1/contacts/{contact_id}", { params: { path: { contact_id: contact.id } } })),
    onSuccess: () => {
      setError(null);
      onNotice(`${name} was archived: hidden from the contact list, nothing deleted.`);
      void queryClient.invalidateQueries({ queryKey: contactKey(me.organization_id, contact.id) });
      refreshLists();
    },
    onError: (caught) => setError(errorOf(caught)),
  });

  if (!mayEdit) return null;
  return (
    <div className="flex flex-col gap-3">
      <div className="flex flex-wrap gap-2">
        {!erased && (
          <Button variant="secondary" onClick={onEdit} data-testid="contacts-detail-edit">
            Edit
          </Button>
        )}
        {!erased && canBook(me.roles) && (
          <Link
            to={`/bookings/new?contact=${contact.id}`}
            className={`inline-flex items-center rounded-md bg-white px-3 py-2 text-sm font-semibold text-slate-900 ring-1 ring-slate-300 hover:bg-slate-50 ${focus}`}
            data-testid="contacts-detail-book"
          >
            New booking
          </Link>
        )}
        <Button variant="secondary" disabled={exporting.isPending} onClick={() => exporting.mutate()} data-testid="contacts-detail-export">
          {exporting.isPending ? "Exporting…" : "Export data"}
        </Button>
        {!contact.archived_at && (
          <Button variant="secondary" onClick={() => setArchiving(true)} data-testid="contacts-detail-archive">
            Archive
          </Button>
        )}
        {!erased && canEraseContacts(me.roles) && (
          <Button variant="danger" onClick={() => setErasing(true)} data-testid="contacts-detail-erase">
            Erase…
          </Button>
        )}
      </div>
      <ErrorAlert error={error} testId="contacts-detail-action-error" />
      <ConfirmDialog
        open={archiving}
        title={`Archive ${name}?`}
        confirmLabel="Archive"
        testId="contacts-archive-dialog"
        onCancel={() => setArchiving(false)}
        onConfirm={() => {
          setArchiving(false);
          archive.mutate();
        }}
      >
        {name} is hidden from the contact list. Bookings, invoices and payments stay as they are.
      </ConfirmDialog>
      <EraseDialog
        contact={contact}
        open={erasing}
        onClose={() => setErasing(false)}
        onErased={(erasedContact) => {
          queryClient.setQueryData(contactKey(me.organization_id, contact.id), erasedContact);
          refreshLists();
          onNotice("The contact was erased: the personal fields are anonymised.");
        }}
      />
    </div>
  );
}

export function ContactDetail() {
  const zone = useOrganizationTimeZone();
  const { id = "" } = useParams();
  const contact = useContact(id);
  const [editing, setEditing] = useState(false);
  const location = useLocation();
  const arrived = (location.state as { notice?: unknown } | null)?.notice;
  const [notice, setNotice] = useState<string | null>(typeof arrived === "string" ? arrived : null);

  if (contact.isPending) {
    return (
      <p role="status" data-testid="contacts-detail-loading" className="text-sm text-slate-700">
        Loading the contact…
      </p>
    );
  }
  if (contact.isError) {
    return (
      <section aria-labelledby="contact-heading" className="flex flex-col gap-4">
        <h1 id="contact-heading" className="text-2xl font-semibold">
          Contact
        </h1>
        <ErrorAlert error={errorOf(contact.error)} testId="contacts-detail-error" />
        <Link to="/contacts" className={linkClass} data-testid="contacts-detail-back">
          Back to contacts
        </Link>
      </section>
    );
  }
  const data = contact.data;
  const name = contactName(data);
  return (
    <section aria-labelledby="contact-heading" className="flex flex-col gap-4" data-testid="contacts-detail" data-contact-id={data.id}>
      <div className="flex flex-wrap items-center gap-3">
        <h1 id="contact-heading" className="min-w-0 text-2xl font-semibold break-words" data-testid="contacts-detail-name">
          {name}
        </h1>
        {data.erased_at ? (
          <span data-testid="contacts-detail-erased" className="rounded-full bg-red-100 px-2 py-0.5 text-xs font-semibold text-red-900 ring-1 ring-red-300">
            Erased {formatDateTime(data.erased_at, zone)}
          </span>
        ) : (
          data.archived_at && (
            <span data-testid="contacts-detail-archived" className="rounded-full bg-slate-100 px-2 py-0.5 text-xs font-semibold text-slate-800 ring-1 ring-slate-300">
              Archived
            </span>
          )
        )}
        <Link to="/contacts" className={`ml-auto text-sm ${linkClass}`} data-testid="contacts-detail-back">
          Back to contacts
        </Link>
      </div>
      {notice && <Notice testId="contacts-detail-notice">{notice}</Notice>}
      {editing ? (
        <ContactForm
          contact={data}
          onSaved={() => {
            setEditing(false);
            setNotice("Changes saved.");
          }}
          onCancel={() => setEditing(false)}
        />
      ) : (
        <div className="flex flex-col gap-4 rounded-lg bg-white p-4 shadow-sm">
          <dl className="grid gap-3 sm:grid-cols-2">
            <Field label="Email" testId="contacts-detail-email">
              {data.email ?? "—"}
            </Field>
            <Field label="Phone" testId="contacts-detail-phone">
              {data.phone ?? "—"}
            </Field>
            <Field label="Tags" testId="contacts-detail-tags">
              {data.tags.length ? data.tags.join(", ") : "—"}
            </Field>
            <Field label="Added" testId="contacts-detail-created">
              {formatDateTime(data.created_at, zone)}
            </Field>
            <Field label="Notes" testId="contacts-detail-notes" className="sm:col-span-2">
              <span className="whitespace-pre-wrap">{data.notes || "—"}</span>
            </Field>
          </dl>
          <Actions
            contact={data}
            onEdit={() => {
              setNotice(null);
              setEditing(true);
            }}
            onNotice={setNotice}
          />
        </div>
      )}
      <ContactBalance contact={data} />
      <ContactBookings contact={data} />
      <ContactInvoices contact={data} />
      <ContactPayments contact={data} />
    </section>
  );
}

export function NewContact() {
  const me = useMe();
  const navigate = useNavigate();
  return (
    <section aria-labelledby="new-contact-heading" className="flex flex-col gap-4">
      <div className="flex flex-wrap items-center gap-3">
        <h1 id="new-contact-heading" className="text-2xl font-semibold">
          New contact
        </h1>
        <Link to="/contacts" className={`ml-auto text-sm ${linkClass}`} data-testid="contacts-new-back">
          Back to contacts
        </Link>
      </div>
      {canEditContacts(me.roles) ? (
        <ContactForm
          onSaved={(created) => navigate(`/contacts/${created.id}`, { state: { notice: `${contactName(created)} was added.` } })}
          onCancel={() => navigate("/contacts")}
        />
      ) : (
        <p data-testid="contacts-new-forbidden">Only staff and above can add contacts.</p>
      )}
    </section>
  );
}
