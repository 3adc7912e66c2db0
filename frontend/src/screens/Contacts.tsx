import { useInfiniteQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { backend, unwrap } from "../api/client";
import { errorOf } from "../api/problem";
import { useMe } from "../auth/AuthContext";
import { Button, ErrorAlert, Table, TextField } from "../ui";

const PAGE_SIZE = 25;

export function useDebounced(value: string, delay = 250): string {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), delay);
    return () => clearTimeout(timer);
  }, [value, delay]);
  return debounced;
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

  return (
    <section aria-labelledby="contacts-heading" className="flex flex-col gap-4">
      <h1 id="contacts-heading" className="text-2xl font-semibold">
        Contacts
      </h1>
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
          <Table caption="Contacts" head={["Name", "Email", "Phone", "Tags"]} testId="contacts-list-table">
            {items.map((contact) => (
              <tr key={contact.id} data-testid="contacts-list-row">
                <td className="px-3 py-2 font-medium">
                  {[contact.first_name, contact.last_name].filter(Boolean).join(" ")}
                </td>
                <td className="px-3 py-2">{contact.email ?? ""}</td>
                <td className="px-3 py-2">{contact.phone ?? ""}</td>
                <td className="px-3 py-2">{contact.tags.join(", ")}</td>
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
