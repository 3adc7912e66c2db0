import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link, useParams, useSearchParams } from "react-router";
import { backend, unwrap } from "../api/client";
import type { components } from "../api/generated/backend";
import { errorOf } from "../api/problem";
import { useMe } from "../auth/AuthContext";
import { Button, ConfirmDialog, ErrorAlert, Notice, SelectField, Table, TextField } from "../ui";
import { AdminOnly } from "./Audit";
import { formatDateTime } from "./invoiceLogic";
import { useOrganizationTimeZone } from "./insightsData";

type Delivery = components["schemas"]["DeliveryOut"];
type DeliveryStatus = Delivery["status"];

const PAGE_SIZE = 50;
const focus = "focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600";

const DELIVERY_STATUSES: DeliveryStatus[] = ["pending", "delivered", "failed", "dead", "refused_too_large"];
const DELIVERY_LABELS: Record<DeliveryStatus, string> = {
  pending: "Pending",
  delivered: "Delivered",
  failed: "Failed",
  dead: "Dead (retries used up)",
  refused_too_large: "Refused: too large",
};
const DELIVERY_TONE: Record<DeliveryStatus, string> = {
  pending: "bg-sky-100 text-sky-900 ring-sky-300",
  delivered: "bg-green-100 text-green-900 ring-green-300",
  failed: "bg-red-100 text-red-900 ring-red-300",
  dead: "bg-red-100 text-red-900 ring-red-300",
  refused_too_large: "bg-amber-100 text-amber-900 ring-amber-300",
};

function isDeliveryStatus(value: string): value is DeliveryStatus {
  return (DELIVERY_STATUSES as string[]).includes(value);
}

export function Events() {
  return (
    <AdminOnly area="events">
      <EventList />
    </AdminOnly>
  );
}

export function EventDetail() {
  return (
    <AdminOnly area="events">
      <EventDetailView />
    </AdminOnly>
  );
}

function EventList() {
  const zone = useOrganizationTimeZone();
  const me = useMe();
  const [params, setParams] = useSearchParams();
  const type = params.get("type") ?? "";
  const subjectId = params.get("subject_id") ?? "";
  const asked = params.get("status") ?? "";
  const status = isDeliveryStatus(asked) ? asked : undefined;
  const [draft, setDraft] = useState({ type, subjectId });

  const events = useInfiniteQuery({
    queryKey: ["events", me.organization_id, type, status, subjectId],
    initialPageParam: null as string | null,
    queryFn: async ({ pageParam }) =>
      unwrap(
        await backend.GET("/api/v1/events", {
          params: {
            query: { type: type || undefined, status, subject_id: subjectId || undefined, cursor: pageParam ?? undefined, limit: PAGE_SIZE },
          },
        }),
      ),
    getNextPageParam: (page) => page.next_cursor ?? null,
  });
  const items = events.data?.pages.flatMap((page) => page.items) ?? [];
  const filtered = Boolean(type || status || subjectId);

  function update(changes: Record<string, string>) {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(changes)) {
      if (value) next.set(key, value);
      else next.delete(key);
    }
    setParams(next, { replace: true });
  }

  function apply(event: FormEvent) {
    event.preventDefault();
    update({ type: draft.type.trim(), subject_id: draft.subjectId.trim() });
  }

  return (
    <section aria-labelledby="events-heading" className="flex flex-col gap-4">
      <h1 id="events-heading" className="text-2xl font-semibold">
        Events
      </h1>
      <form aria-label="Event filters" onSubmit={apply} className="flex flex-wrap items-end gap-4 rounded-lg bg-white p-4 shadow-sm">
        <TextField label="Type" placeholder="booking.created" value={draft.type} onChange={(event) => setDraft({ ...draft, type: event.target.value })} data-testid="events-filter-type" />
        <TextField label="Subject id" value={draft.subjectId} onChange={(event) => setDraft({ ...draft, subjectId: event.target.value })} data-testid="events-filter-subject" />
        <SelectField label="Delivery status" value={status ?? ""} onChange={(event) => update({ status: event.target.value })} data-testid="events-filter-status">
          <option value="">Any</option>
          {DELIVERY_STATUSES.map((name) => (
            <option key={name} value={name}>
              {DELIVERY_LABELS[name]}
            </option>
          ))}
        </SelectField>
        <Button type="submit" data-testid="events-filter-apply">
          Apply
        </Button>
      </form>

      {events.isError && <ErrorAlert error={errorOf(events.error)} testId="events-list-error" />}
      {events.isPending ? (
        <p role="status" data-testid="events-list-loading" className="text-sm text-slate-700">
          Loading events…
        </p>
      ) : items.length === 0 && !events.isError ? (
        <p data-testid="events-list-empty" className="text-sm text-slate-700">
          {filtered ? "No events match the filters." : "No events yet."}
        </p>
      ) : (
        items.length > 0 && (
          <Table caption="Events, newest first" head={["When", "Type", "Subject", "Actor"]} testId="events-list-table">
            {items.map((event) => (
              <tr key={event.id} data-testid="events-list-row" data-event-id={event.id}>
                <td className="px-3 py-2 whitespace-nowrap">
                  <Link to={`/events/${event.id}`} data-testid="events-list-open" className={`text-indigo-700 underline ${focus}`} aria-label={`${event.type} at ${formatDateTime(event.occurred_at, zone)}`}>
                    {formatDateTime(event.occurred_at, zone)}
                  </Link>
                </td>
                <td className="px-3 py-2 font-mono text-xs" data-testid="events-list-type">
                  {event.type}
                </td>
                <td className="px-3 py-2 text-xs break-all">
                  {event.subject.type} {event.subject.id}
                </td>
                <td className="px-3 py-2 text-xs break-all">
                  {event.actor.type} {event.actor.id}
                </td>
              </tr>
            ))}
          </Table>
        )
      )}
      {events.hasNextPage && (
        <div>
          <Button variant="secondary" disabled={events.isFetchingNextPage} onClick={() => events.fetchNextPage()} data-testid="events-list-load-more">
            {events.isFetchingNextPage ? "Loading…" : "Load more"}
          </Button>
        </div>
      )}
    </section>
  );
}

function EventDetailView() {
  const zone = useOrganizationTimeZone();
  const me = useMe();
  const { id = "" } = useParams();
  const queryClient = useQueryClient();
  const key = ["event", me.organization_id, id];
  const event = useQuery({
    queryKey: key,
    queryFn: async () => unwrap(await backend.GET("/api/v1/events/{event_id}", { params: { path: { event_id: id } } })),
  });
  const [confirming, setConfirming] = useState(false);
  const [includeDelivered, setIncludeDelivered] = useState(false);
  const redeliver = useMutation({
    mutationFn: async () =>
      unwrap(
        await backend.POST("/api/v1/events/{event_id}/redeliver", {
          params: { path: { event_id: id }, query: { include_delivered: includeDelivered || undefined } },
        }),
      ),
    onSettled: () => queryClient.invalidateQueries({ queryKey: key }),
  });

  if (event.isPending) {
    return (
      <p role="status" data-testid="events-detail-loading" className="text-sm text-slate-700">
        Loading the event…
      </p>
    );
  }
  if (event.isError) {
    return (
      <section className="flex flex-col gap-3">
        <Link to="/events" className={`text-sm text-indigo-700 underline ${focus}`} data-testid="events-detail-back">
          Back to events
        </Link>
        <ErrorAlert error={errorOf(event.error)} testId="events-detail-error" />
      </section>
    );
  }
  const data = event.data;
  return (
    <section aria-labelledby="events-detail-heading" className="flex flex-col gap-4">
      <Link to="/events" className={`self-start text-sm text-indigo-700 underline ${focus}`} data-testid="events-detail-back">
        Back to events
      </Link>
      <div className="flex flex-wrap items-center gap-3">
        <h1 id="events-detail-heading" className="font-mono text-xl font-semibold break-all" data-testid="events-detail-type">
          {data.type}
        </h1>
        <Button
          variant="secondary"
          className="ml-auto"
          disabled={redeliver.isPending}
          onClick={() => {
            redeliver.reset();
            setConfirming(true);
          }}
          data-testid="events-detail-redeliver"
        >
          {redeliver.isPending ? "Redelivering…" : "Redeliver"}
        </Button>
      </div>
      <dl className="grid grid-cols-1 gap-x-6 gap-y-2 rounded-lg bg-white p-4 text-sm shadow-sm sm:grid-cols-[max-content_1fr]">
        <dt className="font-medium text-slate-700">Event id</dt>
        <dd className="font-mono text-xs break-all" data-testid="events-detail-id">{data.id}</dd>
        <dt className="font-medium text-slate-700">Occurred</dt>
        <dd>{formatDateTime(data.occurred_at, zone)}</dd>
        <dt className="font-medium text-slate-700">Subject</dt>
        <dd className="break-all">
          {data.subject.type} {data.subject.id}
        </dd>
        <dt className="font-medium text-slate-700">Actor</dt>
        <dd className="break-all">
          {data.actor.type} {data.actor.id}
        </dd>
        <dt className="font-medium text-slate-700">Correlation id</dt>
        <dd className="font-mono text-xs break-all">{data.correlation_id ?? "—"}</dd>
      </dl>

      {redeliver.isError && <ErrorAlert error={errorOf(redeliver.error)} testId="events-detail-redeliver-error" />}
      {redeliver.isSuccess && (
        <Notice testId="events-detail-redelivered">
          {redeliver.data.redelivered.length === 0
            ? "Nothing needed sending again."
            : `Queued again for ${redeliver.data.redelivered.map((delivery) => delivery.destination).join(", ")}.`}
        </Notice>
      )}

      <h2 className="text-lg font-semibold">Deliveries</h2>
      {data.deliveries.length === 0 ? (
        <p data-testid="events-detail-no-deliveries" className="text-sm text-slate-700">
          No subscriber receives this type.
        </p>
      ) : (
        <Table caption="Deliveries" head={["Destination", "Status", "Attempts", "Last answer", "Next attempt"]} testId="events-detail-deliveries">
          {data.deliveries.map((delivery) => (
            <tr key={delivery.destination} data-testid="events-detail-delivery" className="align-top">
              <td className="px-3 py-2 font-medium">{delivery.destination}</td>
              <td className="px-3 py-2">
                <span data-testid="events-detail-delivery-status" className={`inline-block rounded-full px-2 py-0.5 text-xs font-semibold ring-1 ${DELIVERY_TONE[delivery.status]}`}>
                  {DELIVERY_LABELS[delivery.status]}
                </span>
              </td>
              <td className="px-3 py-2 tabular-nums" data-testid="events-detail-delivery-attempts">
                {delivery.attempts}
              </td>
              <td className="px-3 py-2 text-xs break-words">
                {delivery.last_status_code !== null && <span className="font-semibold">HTTP {delivery.last_status_code} </span>}
                {delivery.last_error || (delivery.last_status_code === null ? "—" : "")}
              </td>
              <td className="px-3 py-2 whitespace-nowrap">
                {delivery.next_attempt_at ? formatDateTime(delivery.next_attempt_at, zone) : delivery.delivered_at ? `Delivered ${formatDateTime(delivery.delivered_at, zone)}` : "—"}
              </td>
            </tr>
          ))}
        </Table>
      )}

      <details className="text-sm">
        <summary className={`cursor-pointer font-medium text-indigo-700 ${focus}`} data-testid="events-detail-data-toggle">
          Event data
        </summary>
        <pre className="mt-2 overflow-x-auto rounded-md bg-slate-900 p-3 text-xs text-slate-100" data-testid="events-detail-data">
          {JSON.stringify(data.data, null, 2)}
        </pre>
      </details>

      <ConfirmDialog
        open={confirming}
        title="Send this event again?"
        confirmLabel="Redeliver"
        onCancel={() => setConfirming(false)}
        onConfirm={() => {
          setConfirming(false);
          redeliver.mutate();
        }}
        testId="events-redeliver-dialog"
      >
        <p>Subscribers whose delivery failed get the event again; receivers drop copies they already have.</p>
        <label className="mt-3 inline-flex items-center gap-2">
          <input
            type="checkbox"
            checked={includeDelivered}
            onChange={(changeEvent) => setIncludeDelivered(changeEvent.target.checked)}
            data-testid="events-redeliver-include-delivered"
            className={focus}
          />
          Also to subscribers that already received it
        </label>
      </ConfirmDialog>
    </section>
  );
}
