import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useSearchParams } from "react-router";
import { backend, unwrap } from "../api/client";
import type { components } from "../api/generated/backend";
import { errorOf } from "../api/problem";
import { useMe } from "../auth/AuthContext";
import { Button, ErrorAlert, Notice } from "../ui";
import { formatDateTime } from "./invoiceLogic";
import { useOrganizationTimeZone } from "./insightsData";
import { CATEGORY_LABELS, CHANNEL_LABELS, cellKey, preferenceChanges } from "./insightsLogic";

type Notification = components["schemas"]["NotificationOut"];
type Preferences = components["schemas"]["PreferencesOut"];

const PAGE_SIZE = 25;
const focus = "focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600";

const SEVERITY: Record<string, string> = {
  info: "bg-sky-100 text-sky-900 ring-sky-300",
  warning: "bg-amber-100 text-amber-900 ring-amber-300",
  critical: "bg-red-100 text-red-900 ring-red-300",
};

/** Every notification query of the organization: the inbox pages and the Shell's unread count. */
export function notificationsKey(organizationId: string | null | undefined) {
  return ["notifications", organizationId];
}

export function Notifications() {
  const me = useMe();
  const queryClient = useQueryClient();
  const [params, setParams] = useSearchParams();
  const unreadOnly = params.get("unread") === "true";

  const inbox = useInfiniteQuery({
    queryKey: [...notificationsKey(me.organization_id), "list", unreadOnly],
    initialPageParam: null as string | null,
    queryFn: async ({ pageParam }) =>
      unwrap(
        await backend.GET("/api/v1/notifications", {
          params: { query: { unread: unreadOnly ? true : undefined, cursor: pageParam ?? undefined, limit: PAGE_SIZE } },
        }),
      ),
    getNextPageParam: (page) => page.next_cursor ?? null,
  });
  const items = inbox.data?.pages.flatMap((page) => page.items) ?? [];

  const refresh = () => queryClient.invalidateQueries({ queryKey: notificationsKey(me.organization_id) });
  const markRead = useMutation({
    mutationFn: async (id: string) =>
      unwrap(await backend.POST("/api/v1/notifications/{notification_id}/read", { params: { path: { notification_id: id } } })),
    onSettled: refresh,
  });
  const markAll = useMutation({
    mutationFn: async () => unwrap(await backend.POST("/api/v1/notifications/read-all")),
    onSettled: refresh,
  });
  const anyUnread = items.some((item) => !item.read_at);

  return (
    <section aria-labelledby="notifications-heading" className="flex flex-col gap-6">
      <div className="flex flex-wrap items-center gap-3">
        <h1 id="notifications-heading" className="text-2xl font-semibold">
          Notifications
        </h1>
        <label className="ml-auto inline-flex items-center gap-2 text-sm">
          <input
            type="checkbox"
            checked={unreadOnly}
            onChange={(event) => setParams(event.target.checked ? { unread: "true" } : {}, { replace: true })}
            data-testid="notifications-filter-unread"
            className={focus}
          />
          Unread only
        </label>
        <Button
          variant="secondary"
          disabled={markAll.isPending || !anyUnread}
          onClick={() => markAll.mutate()}
          data-testid="notifications-list-read-all"
        >
          {markAll.isPending ? "Marking…" : "Mark all as read"}
        </Button>
      </div>

      {inbox.isError && <ErrorAlert error={errorOf(inbox.error)} testId="notifications-list-error" />}
      {markRead.isError && <ErrorAlert error={errorOf(markRead.error)} testId="notifications-read-error" />}
      {markAll.isError && <ErrorAlert error={errorOf(markAll.error)} testId="notifications-read-all-error" />}
      {markAll.isSuccess && (
        <Notice testId="notifications-read-all-done">
          {markAll.data.updated === 1 ? "1 notification marked as read." : `${markAll.data.updated} notifications marked as read.`}
        </Notice>
      )}

      {inbox.isPending ? (
        <p role="status" data-testid="notifications-list-loading" className="text-sm text-slate-700">
          Loading notifications…
        </p>
      ) : items.length === 0 && !inbox.isError ? (
        <p data-testid="notifications-list-empty" className="text-sm text-slate-700">
          {unreadOnly ? "No unread notifications." : "No notifications yet."}
        </p>
      ) : (
        <ul className="flex flex-col gap-2" aria-label="Notifications" data-testid="notifications-list">
          {items.map((item) => (
            <NotificationItem
              key={item.id}
              item={item}
              busy={markRead.isPending && markRead.variables === item.id}
              onRead={() => markRead.mutate(item.id)}
            />
          ))}
        </ul>
      )}
      {inbox.hasNextPage && (
        <div>
          <Button variant="secondary" disabled={inbox.isFetchingNextPage} onClick={() => inbox.fetchNextPage()} data-testid="notifications-list-load-more">
            {inbox.isFetchingNextPage ? "Loading…" : "Load more"}
          </Button>
        </div>
      )}

      <PreferencesEditor />
    </section>
  );
}

function NotificationItem({ item, busy, onRead }: { item: Notification; busy: boolean; onRead: () => void }) {
  const zone = useOrganizationTimeZone();
  const unread = !item.read_at;
  return (
    <li
      data-testid="notifications-list-item"
      data-notification-id={item.id}
      data-unread={unread ? "true" : "false"}
      className={`flex flex-wrap items-start gap-3 rounded-lg p-4 shadow-sm ring-1 ${unread ? "bg-white ring-indigo-300" : "bg-slate-50 ring-slate-200"}`}
    >
      <div className="flex min-w-0 flex-1 flex-col gap-1">
        <div className="flex flex-wrap items-center gap-2">
          {unread && (
            <span className="rounded-full bg-indigo-700 px-2 py-0.5 text-xs font-semibold text-white" data-testid="notifications-list-unread">
              Unread
            </span>
          )}
          <span className={`rounded-full px-2 py-0.5 text-xs font-semibold ring-1 ${SEVERITY[item.severity] ?? SEVERITY.info}`}>
            {CATEGORY_LABELS[item.category] ?? item.category}
          </span>
          <time dateTime={item.created_at} className="text-xs text-slate-600">
            {formatDateTime(item.created_at, zone)}
          </time>
        </div>
        <h2 className={`break-words text-base ${unread ? "font-semibold" : "font-medium"}`} data-testid="notifications-list-title">
          {item.title}
        </h2>
        {item.body && <p className="whitespace-pre-line break-words text-sm text-slate-700">{item.body}</p>}
        {item.action_url?.startsWith("/") && (
          <Link to={item.action_url} className={`self-start text-sm text-indigo-700 underline ${focus}`} data-testid="notifications-list-open">
            Open
          </Link>
        )}
      </div>
      {unread && (
        <Button variant="secondary" disabled={busy} onClick={onRead} data-testid="notifications-list-read" aria-label={`Mark “${item.title}” as read`}>
          Mark as read
        </Button>
      )}
    </li>
  );
}

function PreferencesEditor() {
  const me = useMe();
  const queryClient = useQueryClient();
  const key = ["notification-preferences", me.organization_id];
  const preferences = useQuery({
    queryKey: key,
    queryFn: async () => unwrap(await backend.GET("/api/v1/notifications/preferences")),
  });
  const [wanted, setWanted] = useState<Map<string, boolean>>(new Map());
  const save = useMutation({
    mutationFn: async (items: ReturnType<typeof preferenceChanges>) =>
      unwrap(await backend.PUT("/api/v1/notifications/preferences", { body: { items: items as Preferences["items"] } })),
    onSuccess: (data) => {
      queryClient.setQueryData(key, data);
      setWanted(new Map());
    },
  });
  const data = preferences.data;
  const changes = data ? preferenceChanges(data.items, wanted) : [];

  return (
    <section aria-labelledby="notifications-preferences-heading" className="flex flex-col gap-3 rounded-lg bg-white p-4 shadow-sm ring-1 ring-slate-200">
      <h2 id="notifications-preferences-heading" className="text-lg font-semibold">
        How you are notified
      </h2>
      {preferences.isError && <ErrorAlert error={errorOf(preferences.error)} testId="notifications-preferences-error" />}
      {preferences.isPending ? (
        <p role="status" data-testid="notifications-preferences-loading" className="text-sm text-slate-700">
          Loading preferences…
        </p>
      ) : (
        data && (
          <form
            className="flex flex-col gap-3"
            onSubmit={(event) => {
              event.preventDefault();
              save.mutate(changes);
            }}
          >
            <div className="overflow-x-auto">
              <table className="min-w-full text-left text-sm" data-testid="notifications-preferences-table">
                <caption className="sr-only">Notification preferences: one row per category, one column per channel</caption>
                <thead>
                  <tr>
                    <th scope="col" className="px-3 py-2 font-semibold">
                      Category
                    </th>
                    {data.channels.map((channel) => (
                      <th key={channel} scope="col" className="px-3 py-2 text-center font-semibold">
                        {CHANNEL_LABELS[channel] ?? channel}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody className="divide-y divide-slate-100">
                  {data.categories.map((category) => (
                    <tr key={category}>
                      <th scope="row" className="px-3 py-2 font-medium">
                        {CATEGORY_LABELS[category] ?? category}
                      </th>
                      {data.channels.map((channel) => {
                        const cell = data.items.find((entry) => entry.category === category && entry.channel === channel);
                        if (!cell) return <td key={channel} />;
                        const checked = wanted.get(cellKey(cell)) ?? cell.enabled;
                        const label = `${CATEGORY_LABELS[category] ?? category} by ${(CHANNEL_LABELS[channel] ?? channel).toLowerCase()}`;
                        return (
                          <td key={channel} className="px-3 py-2 text-center">
                            <input
                              type="checkbox"
                              checked={checked}
                              disabled={cell.mandatory}
                              aria-label={cell.mandatory ? `${label} (always on)` : label}
                              onChange={(event) => setWanted(new Map(wanted).set(cellKey(cell), event.target.checked))}
                              data-testid={`notifications-preferences-${category}-${channel}`}
                              className={`h-4 w-4 ${focus}`}
                            />
                          </td>
                        );
                      })}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            {data.mandatory_categories.length > 0 && (
              <p className="text-xs text-slate-600">
                {data.mandatory_categories.map((category) => CATEGORY_LABELS[category] ?? category).join(", ")} notifications always appear in the app.
              </p>
            )}
            <ErrorAlert error={save.isError ? errorOf(save.error) : null} testId="notifications-preferences-save-error" />
            {save.isSuccess && changes.length === 0 && <Notice testId="notifications-preferences-saved">Preferences saved.</Notice>}
            <div>
              <Button type="submit" disabled={save.isPending || changes.length === 0} data-testid="notifications-preferences-save">
                {save.isPending ? "Saving…" : "Save preferences"}
              </Button>
            </div>
          </form>
        )
      )}
    </section>
  );
}
