import { useInfiniteQuery } from "@tanstack/react-query";
import { useState, type FormEvent, type ReactNode } from "react";
import { useSearchParams } from "react-router";
import { backend, unwrap } from "../api/client";
import type { components } from "../api/generated/backend";
import { errorOf } from "../api/problem";
import { useMe } from "../auth/AuthContext";
import { Button, ErrorAlert, Table, TextField } from "../ui";
import { formatDateTime } from "./invoiceLogic";
import { useOrganizationTimeZone } from "./insightsData";
import { canAdminister, localInputToInstant } from "./insightsLogic";

type AuditEntry = components["schemas"]["AuditEntryOut"];

const PAGE_SIZE = 25;
const FILTERS = ["object_type", "object_id", "actor_id", "from", "to"] as const;
type FilterName = (typeof FILTERS)[number];

/** Owners and admins see `children`; everyone else is told, in words, that they may not. */
export function AdminOnly({ area, children }: { area: string; children: ReactNode }) {
  const me = useMe();
  if (canAdminister(me.roles)) return <>{children}</>;
  return (
    <section aria-labelledby={`${area}-forbidden-heading`} className="flex flex-col gap-2">
      <h1 id={`${area}-forbidden-heading`} className="text-2xl font-semibold">
        Not allowed
      </h1>
      <p role="alert" data-testid={`${area}-forbidden`} className="text-sm text-slate-700">
        Only owners and admins of the organization may see this page.
      </p>
    </section>
  );
}

export function Audit() {
  return (
    <AdminOnly area="audit">
      <AuditLog />
    </AdminOnly>
  );
}

function AuditLog() {
  const me = useMe();
  const [params, setParams] = useSearchParams();
  const filters = Object.fromEntries(FILTERS.map((name) => [name, params.get(name) ?? ""])) as Record<FilterName, string>;
  const [draft, setDraft] = useState(filters);

  const entries = useInfiniteQuery({
    queryKey: ["audit", me.organization_id, filters],
    initialPageParam: null as string | null,
    queryFn: async ({ pageParam }) =>
      unwrap(
        await backend.GET("/api/v1/audit", {
          params: {
            query: {
              object_type: filters.object_type || undefined,
              object_id: filters.object_id || undefined,
              actor_id: filters.actor_id || undefined,
              from: localInputToInstant(filters.from),
              to: localInputToInstant(filters.to),
              cursor: pageParam ?? undefined,
              limit: PAGE_SIZE,
            },
          },
        }),
      ),
    getNextPageParam: (page) => page.next_cursor ?? null,
  });
  const items = entries.data?.pages.flatMap((page) => page.items) ?? [];
  const filtered = FILTERS.some((name) => filters[name]);

  function apply(event: FormEvent) {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const name of FILTERS) if (draft[name].trim()) next.set(name, draft[name].trim());
    setParams(next, { replace: true });
  }

  const field = (name: FilterName, label: string, extra: Record<string, string> = {}) => (
    <TextField
      label={label}
      value={draft[name]}
      onChange={(event) => setDraft({ ...draft, [name]: event.target.value })}
      data-testid={`audit-filter-${name.replace("_", "-")}`}
      {...extra}
    />
  );

  return (
    <section aria-labelledby="audit-heading" className="flex flex-col gap-4">
      <h1 id="audit-heading" className="text-2xl font-semibold">
        Audit log
      </h1>
      <form aria-label="Audit filters" onSubmit={apply} className="flex flex-wrap items-end gap-4 rounded-lg bg-white p-4 shadow-sm">
        {field("object_type", "Object type", { placeholder: "contact" })}
        {field("object_id", "Object id")}
        {field("actor_id", "Actor id")}
        {field("from", "From", { type: "datetime-local" })}
        {field("to", "Before", { type: "datetime-local" })}
        <Button type="submit" data-testid="audit-filter-apply">
          Apply
        </Button>
        {filtered && (
          <Button
            variant="secondary"
            data-testid="audit-filter-clear"
            onClick={() => {
              setDraft(Object.fromEntries(FILTERS.map((name) => [name, ""])) as Record<FilterName, string>);
              setParams(new URLSearchParams(), { replace: true });
            }}
          >
            Clear
          </Button>
        )}
      </form>

      {entries.isError && <ErrorAlert error={errorOf(entries.error)} testId="audit-list-error" />}
      {entries.isPending ? (
        <p role="status" data-testid="audit-list-loading" className="text-sm text-slate-700">
          Loading the audit log…
        </p>
      ) : items.length === 0 && !entries.isError ? (
        <p data-testid="audit-list-empty" className="text-sm text-slate-700">
          {filtered ? "No entries match the filters." : "No audit entries yet."}
        </p>
      ) : (
        items.length > 0 && (
          <Table caption="Audit entries, newest first" head={["When", "Actor", "Action", "Object", "Changes", "Request id"]} testId="audit-list-table">
            {items.map((entry) => (
              <AuditRow key={entry.id} entry={entry} onFilter={(name, value) => setParams(new URLSearchParams({ [name]: value }), { replace: true })} />
            ))}
          </Table>
        )
      )}
      {entries.hasNextPage && (
        <div>
          <Button variant="secondary" disabled={entries.isFetchingNextPage} onClick={() => entries.fetchNextPage()} data-testid="audit-list-load-more">
            {entries.isFetchingNextPage ? "Loading…" : "Load more"}
          </Button>
        </div>
      )}
    </section>
  );
}

const focusRing = "focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600";
const linkButton = `text-left text-indigo-700 underline ${focusRing}`;
/** A create lists every field: more than this many changes fold away behind their names. */
const SHOWN_CHANGES = 3;

function AuditRow({ entry, onFilter }: { entry: AuditEntry; onFilter: (name: FilterName, value: string) => void }) {
  const zone = useOrganizationTimeZone();
  const changes = Object.entries(entry.changes);
  return (
    <tr data-testid="audit-list-row" className="align-top">
      <td className="px-3 py-2 whitespace-nowrap">
        <time dateTime={entry.timestamp}>{formatDateTime(entry.timestamp, zone)}</time>
      </td>
      <td className="px-3 py-2" data-testid="audit-list-actor">
        {entry.actor ? (
          <button type="button" className={linkButton} onClick={() => onFilter("actor_id", entry.actor?.id ?? "")} data-testid="audit-list-filter-actor" title="Only this actor's changes">
            {entry.actor.name || entry.actor.email}
          </button>
        ) : (
          <span className="text-slate-600">System</span>
        )}
      </td>
      <td className="px-3 py-2" data-testid="audit-list-action">
        {entry.action}
      </td>
      <td className="px-3 py-2" data-testid="audit-list-object">
        <button type="button" className={linkButton} onClick={() => onFilter("object_id", entry.object_id)} data-testid="audit-list-filter-object" title="Only this object's changes">
          {entry.object_type}: {entry.object_repr || entry.object_id}
        </button>
      </td>
      <td className="px-3 py-2" data-testid="audit-list-changes">
        {changes.length === 0 ? (
          <span className="text-slate-600">—</span>
        ) : changes.length <= SHOWN_CHANGES ? (
          <ChangeList changes={changes} />
        ) : (
          <details className="text-xs">
            <summary className={`cursor-pointer text-indigo-700 ${focusRing}`} data-testid="audit-list-changes-toggle">
              {changes.length} fields: {changes.slice(0, SHOWN_CHANGES).map(([name]) => name).join(", ")}…
            </summary>
            <ChangeList changes={changes} />
          </details>
        )}
      </td>
      <td className="px-3 py-2 font-mono text-xs break-all" data-testid="audit-list-request-id">
        {entry.request_id ?? "—"}
      </td>
    </tr>
  );
}

function ChangeList({ changes }: { changes: [string, unknown][] }) {
  return (
    <ul className="flex max-w-md flex-col gap-0.5 text-xs">
      {changes.map(([name, change]) => (
        <li key={name} className="break-words">
          <span className="font-semibold">{name}</span>: {describeChange(change)}
        </li>
      ))}
    </ul>
  );
}

/** django-auditlog stores a change as [old, new]; anything else is shown as it is. */
function describeChange(change: unknown): string {
  const text = (value: unknown) => (value === null || value === undefined || value === "None" ? "—" : typeof value === "string" ? value : JSON.stringify(value));
  if (Array.isArray(change) && change.length === 2) return `${text(change[0])} → ${text(change[1])}`;
  return text(change);
}
