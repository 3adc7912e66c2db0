import { cleanup, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Bookings } from "./Bookings";
import { json, polyfillDialog, renderAt } from "./moneyTestkit";

// The resource viewed by default (first active by name) is in Auckland, far from any runner's
// zone: its days start at 11:00 or 12:00 UTC of the day before.
const auckland = {
  id: "r-akl",
  name: "Auckland clinic",
  kind: "room",
  timezone: "Pacific/Auckland",
  is_active: true,
  working_hours: [],
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
};
const resources = [
  { ...auckland, id: "r-old", name: "Aardvark room (closed)", timezone: "Europe/Berlin", is_active: false },
  { ...auckland, id: "r-ber", name: "Berlin room", timezone: "Europe/Berlin" },
  auckland,
].sort((a, b) => b.name.localeCompare(a.name)); // the API's order is not the name order
const service = {
  id: "s-consult",
  name: "Consultation",
  duration_minutes: 30,
  price: { amount: "60.00", currency: "EUR" },
  buffer_before_minutes: 0,
  buffer_after_minutes: 0,
  capacity: 1,
  is_active: true,
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
};
const anna = { id: "c1", first_name: "Anna", last_name: "Schmidt", email: "anna@example.test", phone: null, tags: [], erased_at: null };

function booking(id: string, start: string, end: string, status: string) {
  return {
    id,
    resource_id: auckland.id,
    contact_id: anna.id,
    service_id: service.id,
    start,
    end,
    status,
    notes: "",
    cancel_reason: null,
    hold_expires_at: null,
    created_at: "2026-01-01T00:00:00Z",
    updated_at: "2026-01-01T00:00:00Z",
  };
}

/** A slot at a local wall-clock time of Auckland in December (NZDT, +13:00). */
function slot(localDay: string, hhmm: string) {
  const start = new Date(`${localDay}T${hhmm}:00+13:00`);
  const end = new Date(start.getTime() + 30 * 60_000);
  const local = (d: Date) => {
    const shifted = new Date(d.getTime() + 13 * 3_600_000).toISOString().slice(0, 19);
    return `${shifted}+13:00`;
  };
  return { start: start.toISOString().replace(".000", ""), end: end.toISOString().replace(".000", ""), local_start: local(start), local_end: local(end), spaces_left: 1 };
}

interface Stub {
  bookings: ReturnType<typeof booking>[];
  slots: ReturnType<typeof slot>[];
  post?: (request: Request) => Promise<Response>;
}

function stubBackend(stub: Stub) {
  const calls: Request[] = [];
  const fetchMock = vi.fn(async (input: Request) => {
    calls.push(input.clone());
    const { pathname, searchParams } = new URL(input.url);
    if (input.method === "GET") {
      if (pathname === "/api/v1/resources") return json({ items: resources, next_cursor: null });
      if (pathname === "/api/v1/services") return json({ items: [service], next_cursor: null });
      if (pathname === "/api/v1/bookings") {
        const from = Date.parse(searchParams.get("start_after") ?? "");
        const to = Date.parse(searchParams.get("start_before") ?? "");
        const items = stub.bookings.filter((b) => Date.parse(b.start) >= from && Date.parse(b.start) < to);
        return json({ items, next_cursor: null });
      }
      if (pathname === "/api/v1/availability") {
        return json({ resource_id: auckland.id, service_id: service.id, timezone: auckland.timezone, items: stub.slots });
      }
      if (pathname === "/api/v1/contacts/c1") return json(anna);
      if (pathname === "/api/v1/contacts") return json({ items: [anna], next_cursor: null });
    }
    if (input.method === "POST" && stub.post) return stub.post(input);
    return json({ title: "Not found" }, 404);
  });
  vi.stubGlobal("fetch", fetchMock);
  const requests = (method: string, path: string | RegExp) =>
    calls.filter((r) => r.method === method && (typeof path === "string" ? new URL(r.url).pathname === path : path.test(new URL(r.url).pathname)));
  return { requests };
}

const day = (date: string) => screen.getAllByTestId("bookings-calendar-day").find((e) => e.dataset.date === date)!;

describe("Bookings", () => {
  beforeEach(() => {
    polyfillDialog();
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-12-02T00:00:00Z")); // Wednesday 2 December, 13:00 in Auckland
  });
  afterEach(() => {
    cleanup();
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it("shows a day of the first active resource by name in its zone, a DST day of 25 hours included", async () => {
    // 5 April 2026: Auckland leaves daylight saving at 03:00 (+13:00 → +12:00).
    const { requests } = stubBackend({
      bookings: [
        booking("b2", "2026-04-04T16:00:00Z", "2026-04-04T16:30:00Z", "completed"), // 04:00 NZST
        booking("b1", "2026-04-04T12:30:00Z", "2026-04-04T13:00:00Z", "completed"), // 01:30 NZDT
      ],
      slots: [],
    });
    renderAt("/bookings?view=day&date=2026-04-05", "/bookings", <Bookings />);
    await waitFor(() => expect(screen.getAllByTestId("bookings-calendar-booking")).toHaveLength(2));
    expect((screen.getByTestId("bookings-filter-resource") as HTMLSelectElement).value).toBe("r-akl");
    expect(screen.getByTestId("bookings-list-zone").textContent).toBe("Times in Pacific/Auckland.");
    expect(screen.getAllByTestId("bookings-calendar-time").map((e) => e.textContent)).toEqual(["01:30–02:00", "04:00–04:30"]);
    const asked = new URL(requests("GET", "/api/v1/bookings")[0]!.url).searchParams;
    expect(asked.get("resource_id")).toBe("r-akl");
    expect(asked.get("start_after")).toBe("2026-04-04T11:00:00.000Z");
    expect(asked.get("start_before")).toBe("2026-04-05T12:00:00.000Z");
    // A past day offers no free times and asks for none.
    expect(screen.queryByTestId("bookings-calendar-slot")).toBeNull();
    expect(requests("GET", "/api/v1/availability")).toHaveLength(0);
  });

  it("lays a week out by the resource's local days: a Monday morning in Auckland is Sunday in UTC", async () => {
    const { requests } = stubBackend({
      bookings: [booking("b1", "2026-12-06T21:00:00Z", "2026-12-06T21:30:00Z", "pending")],
      slots: [slot("2026-12-07", "09:00"), slot("2026-12-07", "11:30"), slot("2026-12-08", "09:00")],
    });
    renderAt("/bookings?view=week&date=2026-12-09", "/bookings", <Bookings />);
    await waitFor(() => expect(screen.getAllByTestId("bookings-calendar-slot")).toHaveLength(3));
    const days = screen.getAllByTestId("bookings-calendar-day").map((e) => e.dataset.date);
    expect(days).toEqual(["2026-12-07", "2026-12-08", "2026-12-09", "2026-12-10", "2026-12-11", "2026-12-12", "2026-12-13"]);
    const monday = day("2026-12-07");
    expect(within(monday).getByTestId("bookings-calendar-time").textContent).toBe("10:00–10:30");
    expect(within(monday).getAllByTestId("bookings-calendar-slot").map((e) => e.getAttribute("aria-label"))).toEqual([
      "Book 09:00–09:30 on Monday, 7 December 2026",
      "Book 11:30–12:00 on Monday, 7 December 2026",
    ]);
    expect(within(day("2026-12-08")).getAllByTestId("bookings-calendar-slot")).toHaveLength(1);
    expect(within(day("2026-12-13")).getByTestId("bookings-calendar-empty").textContent).toBe("No bookings.");
    expect(within(day("2026-12-13")).getByTestId("bookings-calendar-slots-empty")).toBeTruthy();
    const asked = new URL(requests("GET", "/api/v1/availability")[0]!.url).searchParams;
    expect([asked.get("resource_id"), asked.get("service_id")]).toEqual(["r-akl", "s-consult"]);
    expect(asked.get("from")).toBe("2026-12-06T11:00:00.000Z");
    expect(asked.get("to")).toBe("2026-12-13T11:00:00.000Z");
    // Next week moves the period by seven local days.
    fireEvent.click(screen.getByTestId("bookings-filter-next"));
    await waitFor(() => expect(day("2026-12-14")).toBeTruthy());
  });

  it("books a free slot from its dialog with an Idempotency-Key", async () => {
    const free = slot("2026-12-07", "09:00");
    const stub: Stub = {
      bookings: [],
      slots: [free],
      post: async (request) => {
        const body = await request.json();
        const made = booking("b-new", body.start, new Date(Date.parse(body.start) + 30 * 60_000).toISOString(), "pending");
        stub.bookings = [made];
        stub.slots = [];
        return json(made, 201);
      },
    };
    const { requests } = stubBackend(stub);
    renderAt("/bookings?view=week&date=2026-12-07", "/bookings", <Bookings />);
    fireEvent.click(await screen.findByTestId("bookings-calendar-slot"));
    const dialog = screen.getByTestId("bookings-create-dialog");
    expect(dialog.hasAttribute("open")).toBe(true);
    expect(within(dialog).getByTestId("bookings-create-time").textContent).toContain("Monday, 7 December 2026, 09:00–09:30");
    // Without a contact nothing is sent.
    fireEvent.click(within(dialog).getByTestId("bookings-create-submit"));
    expect(within(dialog).getByText("Choose who the booking is for.")).toBeTruthy();
    fireEvent.click(await within(dialog).findByTestId("bookings-create-contact-option"));
    fireEvent.change(within(dialog).getByTestId("bookings-create-notes"), { target: { value: "First visit" } });
    fireEvent.click(within(dialog).getByTestId("bookings-create-submit"));
    await screen.findByTestId("bookings-list-notice");
    const [post] = requests("POST", "/api/v1/bookings");
    expect(post!.headers.get("Idempotency-Key")).toMatch(/^[0-9a-f-]{36}$/);
    expect(await post!.json()).toEqual({
      resource_id: "r-akl",
      service_id: "s-consult",
      contact_id: "c1",
      start: free.start,
      status: "pending",
      notes: "First visit",
    });
    expect(screen.queryByTestId("bookings-create-dialog")).toBeNull();
    expect(screen.getByTestId("bookings-list-notice").textContent).toContain("Booked Anna Schmidt, Mon 7 Dec, 09:00–09:30");
    await waitFor(() => expect(document.activeElement?.contains(screen.getByTestId("bookings-list-notice"))).toBe(true));
    await waitFor(() => expect(within(day("2026-12-07")).getByTestId("bookings-calendar-time").textContent).toBe("09:00–09:30"));
  });

  it("says inline that the slot was taken, refetches the free times and books another", async () => {
    const taken = slot("2026-12-07", "09:00");
    const other = slot("2026-12-07", "10:00");
    let attempts = 0;
    const stub: Stub = {
      bookings: [],
      slots: [taken, other],
      post: async (request) => {
        attempts += 1;
        const body = await request.json();
        if (body.start === taken.start) {
          stub.slots = [other];
          return json(
            { type: "about:blank", title: "Conflict", status: 409, code: "booking_conflict", detail: "The period is taken.", conflicts: [] },
            409,
          );
        }
        return json(booking("b-new", body.start, other.end, "pending"), 201);
      },
    };
    const { requests } = stubBackend(stub);
    renderAt("/bookings?view=day&date=2026-12-07", "/bookings", <Bookings />);
    await waitFor(() => expect(screen.getAllByTestId("bookings-calendar-slot")).toHaveLength(2));
    const before = requests("GET", "/api/v1/availability").length;
    fireEvent.click(screen.getAllByTestId("bookings-calendar-slot")[0]!);
    const dialog = screen.getByTestId("bookings-create-dialog");
    fireEvent.click(await within(dialog).findByTestId("bookings-create-contact-option"));
    fireEvent.click(within(dialog).getByTestId("bookings-create-submit"));
    const conflict = await within(dialog).findByTestId("bookings-create-taken");
    expect(conflict.getAttribute("role")).toBe("alert");
    expect(conflict.textContent).toContain("09:00–09:30 was booked by someone else meanwhile");
    expect(conflict.textContent).not.toContain("booking_conflict");
    await waitFor(() => expect(requests("GET", "/api/v1/availability").length).toBeGreaterThan(before));
    // The view drops the taken slot; the dialog offers the rest and keeps the contact.
    await waitFor(() => expect(screen.getAllByTestId("bookings-calendar-slot")).toHaveLength(1));
    expect((within(dialog).getByTestId("bookings-create-submit") as HTMLButtonElement).disabled).toBe(true);
    const offered = within(dialog).getAllByTestId("bookings-create-other-slot");
    expect(offered.map((e) => e.dataset.start)).toEqual([other.start]);
    fireEvent.click(offered[0]!);
    expect(within(dialog).queryByTestId("bookings-create-taken")).toBeNull();
    fireEvent.click(within(dialog).getByTestId("bookings-create-submit"));
    await screen.findByTestId("bookings-list-notice");
    expect(attempts).toBe(2);
    const keys = requests("POST", "/api/v1/bookings").map((r) => r.headers.get("Idempotency-Key"));
    expect(new Set(keys).size).toBe(2);
  });

  it("asks before cancel, complete and no-show; confirms at once", async () => {
    const posted: { path: string; body: string }[] = [];
    stubBackend({
      bookings: [
        booking("b-started", "2026-12-01T20:00:00Z", "2026-12-01T20:30:00Z", "confirmed"), // Wed 09:00, started
        booking("b-pending", "2026-12-02T22:00:00Z", "2026-12-02T22:30:00Z", "pending"), // Thu 11:00
      ],
      slots: [],
      post: async (request) => {
        posted.push({ path: new URL(request.url).pathname, body: await request.text() });
        return json(booking("x", "2026-12-01T20:00:00Z", "2026-12-01T20:30:00Z", "completed"));
      },
    });
    renderAt("/bookings?view=week&date=2026-12-02", "/bookings", <Bookings />);
    await waitFor(() => expect(screen.getAllByTestId("bookings-calendar-booking")).toHaveLength(2));
    const started = () => screen.getAllByTestId("bookings-calendar-booking").find((e) => e.dataset.bookingId === "b-started")!;
    const pending = () => screen.getAllByTestId("bookings-calendar-booking").find((e) => e.dataset.bookingId === "b-pending")!;
    expect(within(started()).getAllByRole("button").map((b) => b.textContent)).toEqual(["Complete", "No-show", "Cancel"]);
    expect(within(pending()).getAllByRole("button").map((b) => b.textContent)).toEqual(["Confirm", "Cancel"]);
    await waitFor(() => expect(within(started()).getByTestId("bookings-calendar-contact").textContent).toBe("Anna Schmidt"));

    // No-show: asked, then not done.
    fireEvent.click(within(started()).getByTestId("bookings-calendar-no-show"));
    const noShow = screen.getByTestId("bookings-no-show-dialog");
    expect(noShow.hasAttribute("open")).toBe(true);
    expect(noShow.textContent).toContain("The booking of Anna Schmidt, Wed 2 Dec, 09:00–09:30, is marked as a no-show");
    fireEvent.click(screen.getByTestId("bookings-no-show-dialog-cancel"));
    expect(noShow.hasAttribute("open")).toBe(false);
    expect(posted).toEqual([]);

    // Complete: asked, then done.
    fireEvent.click(within(started()).getByTestId("bookings-calendar-complete"));
    expect(posted).toEqual([]);
    fireEvent.click(screen.getByTestId("bookings-complete-dialog-confirm"));
    await waitFor(() => expect(posted.map((p) => p.path)).toEqual(["/api/v1/bookings/b-started/complete"]));
    expect((await screen.findByTestId("bookings-list-notice")).textContent).toContain("marked completed");

    // Cancel: a reason is required.
    fireEvent.click(within(pending()).getByTestId("bookings-calendar-cancel"));
    fireEvent.click(screen.getByTestId("bookings-cancel-dialog-confirm"));
    expect(screen.getByTestId("bookings-cancel-reason").getAttribute("aria-invalid")).toBe("true");
    expect(posted).toHaveLength(1);
    fireEvent.change(screen.getByTestId("bookings-cancel-reason"), { target: { value: "Asked to move" } });
    fireEvent.click(screen.getByTestId("bookings-cancel-dialog-confirm"));
    await waitFor(() => expect(posted).toHaveLength(2));
    expect(posted[1]).toEqual({ path: "/api/v1/bookings/b-pending/cancel", body: JSON.stringify({ reason: "Asked to move" }) });

    // Confirm: at once.
    fireEvent.click(within(pending()).getByTestId("bookings-calendar-confirm"));
    await waitFor(() => expect(posted.map((p) => p.path)[2]).toBe("/api/v1/bookings/b-pending/confirm"));
  });

  it("shows a viewer the bookings without actions or free times", async () => {
    stubBackend({ bookings: [booking("b1", "2026-12-01T20:00:00Z", "2026-12-01T20:30:00Z", "confirmed")], slots: [slot("2026-12-03", "09:00")] });
    renderAt("/bookings?view=week&date=2026-12-02", "/bookings", <Bookings />, "viewer");
    await screen.findByTestId("bookings-calendar-booking");
    expect(screen.queryByRole("button", { name: /^(Complete|No-show|Cancel|Confirm) / })).toBeNull();
    expect(screen.queryByTestId("bookings-calendar-slot")).toBeNull();
    expect(screen.queryByTestId("bookings-list-new")).toBeNull();
  });
});
