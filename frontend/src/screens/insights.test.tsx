import { cleanup, fireEvent, screen, waitFor } from "@testing-library/react";
import { useLocation } from "react-router";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Audit } from "./Audit";
import { Dashboard } from "./Dashboard";
import { EventDetail } from "./Events";
import { json, polyfillDialog, renderAt } from "./moneyTestkit";
import { Notifications } from "./Notifications";
import { Shell } from "./Shell";

const money = (amount: string) => ({ amount, currency: "EUR" });
/** The first render pulls in the chart library: give it time on a busy machine. */
const summary = {
  from: "2026-11-01",
  to: "2026-11-30",
  timezone: "Europe/Berlin",
  currency: "EUR",
  bookings: { total: 12, by_status: { confirmed: 7, cancelled: 3, no_show: 2, held: 0 } },
  booked_minutes: 600,
  available_minutes: 2400,
  utilization: "0.2500",
  no_show_rate: null,
  cancellation_rate: "0.2500",
  revenue_gross: money("1250.00"),
  refunds: money("50.00"),
  revenue_net: money("1200.00"),
  invoiced: money("900.00"),
  outstanding: money("300.00"),
};
const revenue = {
  items: [
    { bucket: "2026-11-01", revenue_gross: money("1250.00"), refunds: money("50.00"), revenue_net: money("1200.00"), invoiced: money("900.00") },
  ],
};
const utilization = {
  items: [{ bucket: "2026-11-01", resource_id: "r1", resource_name: "Room A", booked_minutes: 600, available_minutes: 2400, utilization: "0.2500" }],
};

type Handler = (request: Request, url: URL) => Response | Promise<Response> | undefined;

function stub(handler: Handler) {
  const fetchMock = vi.fn(async (request: Request) => {
    const url = new URL(request.url);
    return (await handler(request, url)) ?? json({ title: "Not found", status: 404 }, 404);
  });
  vi.stubGlobal("fetch", fetchMock);
  return fetchMock;
}

function Where() {
  const location = useLocation();
  return <p data-testid="where">{location.search}</p>;
}

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe("Dashboard", { timeout: 30_000 }, () => {
  it("shows the key figures in words, money in its currency and missing rates as a dash", async () => {
    stub((_request, url) => {
      if (url.pathname === "/api/v1/analytics/summary") return json(summary);
      if (url.pathname === "/api/v1/analytics/revenue") return json(revenue);
      if (url.pathname === "/api/v1/analytics/utilization") return json(utilization);
      return undefined;
    });
    renderAt("/dashboard?from=2026-11-01&to=2026-11-30", "/dashboard", <Dashboard />);
    expect((await screen.findByTestId("dashboard-kpi-bookings")).textContent).toBe("12");
    expect(screen.getByTestId("dashboard-kpi-bookings-confirmed").textContent).toBe("Confirmed: 7");
    expect(screen.queryByTestId("dashboard-kpi-bookings-held")).toBeNull();
    expect(screen.getByTestId("dashboard-kpi-utilization").textContent).toBe("25%");
    expect(screen.getByTestId("dashboard-kpi-no-show").textContent).toBe("—");
    expect(screen.getByTestId("dashboard-kpi-revenue-net").textContent).toBe("€1,200.00");
    expect(screen.getByTestId("dashboard-kpi-outstanding").textContent).toBe("€300.00");
    expect(await screen.findByTestId("dashboard-revenue-summary")).toHaveProperty("textContent", "Net revenue €1,200.00 over 1 day.");
    expect((await screen.findAllByTestId("dashboard-utilization-row"))[0]?.textContent).toContain("Room A");
    expect(screen.getAllByTestId("dashboard-revenue-row")).toHaveLength(1);
  });

  it("keeps the range and interval in the URL and asks the server for them", async () => {
    const fetchMock = stub((_request, url) => {
      if (url.pathname === "/api/v1/analytics/summary") return json(summary);
      if (url.pathname === "/api/v1/analytics/revenue") return json({ items: [] });
      if (url.pathname === "/api/v1/analytics/utilization") return json({ items: [] });
      return undefined;
    });
    renderAt("/dashboard?from=2026-11-01&to=2026-11-30", "/dashboard", <><Dashboard /><Where /></>);
    await screen.findByTestId("dashboard-revenue-empty");
    fireEvent.change(screen.getByTestId("dashboard-range-interval"), { target: { value: "week" } });
    await waitFor(() => expect(screen.getByTestId("where").textContent).toBe("?from=2026-11-01&to=2026-11-30&interval=week"));
    await waitFor(() =>
      expect(fetchMock.mock.calls.some(([request]) => request.url.includes("/analytics/revenue?from=2026-11-01&to=2026-11-30&interval=week"))).toBe(true),
    );
    // The utilization chart shows totals per resource: its JSON is asked in month buckets whatever
    // the interval, so a long range of many resources stays within the server's series bound.
    const utilizationAsked = fetchMock.mock.calls
      .map(([request]) => new URL(request.url))
      .filter((url) => url.pathname === "/api/v1/analytics/utilization");
    expect(utilizationAsked.length).toBeGreaterThan(0);
    expect(utilizationAsked.every((url) => url.searchParams.get("interval") === "month")).toBe(true);

    fireEvent.change(screen.getByTestId("dashboard-range-preset"), { target: { value: "thisYear" } });
    await waitFor(() => expect(screen.getByTestId("where").textContent).toBe("?preset=thisYear&interval=week"));
    const year = new Date().getFullYear();
    await waitFor(() =>
      expect(fetchMock.mock.calls.some(([request]) => request.url.includes(`/analytics/summary?from=${year}-01-01`))).toBe(true),
    );

    // A half-typed range stays out of the URL and is explained.
    fireEvent.change(screen.getByTestId("dashboard-range-from"), { target: { value: "2027-12-31" } });
    expect(screen.getByText("The start date must be on or before the end date.")).toBeTruthy();
    expect(screen.getByTestId("where").textContent).toBe("?preset=thisYear&interval=week");
  });

  it("says a refusal in words, never its code", async () => {
    stub(() => json({ title: "Invalid", status: 422, code: "validation_error", detail: "Choose a shorter range.", errors: [] }, 422));
    renderAt("/dashboard", "/dashboard", <Dashboard />);
    expect((await screen.findByTestId("dashboard-summary-error")).textContent).toBe("Choose a shorter range.");
  });

  it("downloads a series as CSV with the bearer token", async () => {
    const fetchMock = stub((_request, url) => {
      if (url.searchParams.get("format") === "csv")
        return new Response("bucket,revenue_net\n2026-11-01,1200.00\n", {
          headers: { "Content-Type": "text/csv", "Content-Disposition": 'attachment; filename="revenue-2026-11-01-2026-11-30.csv"' },
        });
      if (url.pathname === "/api/v1/analytics/summary") return json(summary);
      if (url.pathname === "/api/v1/analytics/revenue") return json(revenue);
      if (url.pathname === "/api/v1/analytics/utilization") return json(utilization);
      return undefined;
    });
    const createObjectURL = vi.fn(() => "blob:csv");
    vi.stubGlobal("URL", Object.assign(URL, { createObjectURL, revokeObjectURL: vi.fn() }));
    const clicked: string[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push(this.download);
    });
    renderAt("/dashboard?from=2026-11-01&to=2026-11-30", "/dashboard", <Dashboard />);
    fireEvent.click(await screen.findByTestId("dashboard-revenue-csv"));
    await waitFor(() => expect(clicked).toEqual(["revenue-2026-11-01-2026-11-30.csv"]));
    const csvCall = fetchMock.mock.calls.find(([request]) => request.url.includes("format=csv"));
    expect(csvCall?.[0].headers.get("Authorization")).toBe("Bearer a1");
    const asked = new URL(csvCall?.[0].url ?? "");
    expect(asked.pathname).toBe("/api/v1/analytics/revenue");
    expect(Object.fromEntries(asked.searchParams)).toEqual({ from: "2026-11-01", to: "2026-11-30", interval: "day", format: "csv" });
  });
});

describe("admin screens", () => {
  it("tell a manager they are not allowed, without asking the server", async () => {
    const fetchMock = stub(() => undefined);
    renderAt("/audit", "/audit", <Audit />, "manager");
    expect((await screen.findByTestId("audit-forbidden")).textContent).toMatch(/owners and admins/);
    expect(fetchMock.mock.calls.some(([request]) => request.url.includes("/api/v1/audit"))).toBe(false);
  });

  it("show an owner the audit entries with actor, changes and request id, filtered through the URL", async () => {
    const fetchMock = stub((_request, url) => {
      if (url.pathname !== "/api/v1/audit") return undefined;
      return json({
        items: [
          {
            id: 7,
            timestamp: "2026-12-01T10:00:00Z",
            action: "update",
            object_type: "contact",
            object_id: "c1",
            object_repr: "Anna Schmidt",
            actor: { id: "u1", email: "owner@acme.test", name: "Olivia Owner" },
            changes: { email: ["a@old.test", "a@new.test"] },
            request_id: "req-123",
            remote_addr: null,
          },
        ],
        next_cursor: null,
      });
    });
    renderAt("/audit", "/audit", <><Audit /><Where /></>, "owner");
    expect((await screen.findByTestId("audit-list-actor")).textContent).toBe("Olivia Owner");
    expect(screen.getByTestId("audit-list-changes").textContent).toBe("email: a@old.test → a@new.test");
    expect(screen.getByTestId("audit-list-request-id").textContent).toBe("req-123");
    fireEvent.change(screen.getByTestId("audit-filter-object-type"), { target: { value: "contact" } });
    fireEvent.click(screen.getByTestId("audit-filter-apply"));
    await waitFor(() => expect(screen.getByTestId("where").textContent).toBe("?object_type=contact"));
    await waitFor(() => expect(fetchMock.mock.calls.some(([request]) => request.url.includes("/api/v1/audit?object_type=contact"))).toBe(true));
  });
});

describe("Shell", () => {
  it("links the admin screens for owners and admins only, and shows the unread count", async () => {
    stub((_request, url) => (url.pathname === "/api/v1/notifications/unread-count" ? json({ count: 3 }) : undefined));
    for (const [role, admin] of [["owner", true], ["admin", true], ["manager", false], ["viewer", false]] as const) {
      renderAt("/dashboard", "/dashboard", <Shell />, role);
      await waitFor(() => expect(screen.getByTestId("shell-notifications-count").textContent).toBe("3"));
      expect(screen.getByTestId("shell-nav-dashboard")).toBeTruthy();
      expect(screen.queryByTestId("shell-nav-audit") !== null).toBe(admin);
      expect(screen.queryByTestId("shell-nav-events") !== null).toBe(admin);
      cleanup();
    }
  });
});

describe("EventDetail", () => {
  beforeEach(polyfillDialog);

  it("redelivers only after confirmation and shows a refusal in words", async () => {
    const posts: string[] = [];
    stub((request, url) => {
      if (request.method === "GET" && url.pathname === "/api/v1/events/e1")
        return json({
          id: "e1",
          type: "booking.created",
          version: 1,
          occurred_at: "2026-12-01T10:00:00Z",
          organization_id: "acme",
          actor: { type: "user", id: "u1" },
          subject: { type: "booking", id: "b1" },
          data: {},
          correlation_id: null,
          deliveries: [
            { destination: "workflow", status: "dead", attempts: 10, last_status_code: 503, last_error: "unavailable", next_attempt_at: null, delivered_at: null },
          ],
        });
      if (request.method === "POST" && url.pathname === "/api/v1/events/e1/redeliver") {
        posts.push(url.search);
        return json({ title: "Conflict", status: 409, code: "delivery_in_progress", detail: "The event is still being delivered.", errors: [] }, 409);
      }
      return undefined;
    });
    renderAt("/events/e1", "/events/:id", <EventDetail />, "admin");
    expect((await screen.findByTestId("events-detail-delivery-status")).textContent).toBe("Dead (retries used up)");
    fireEvent.click(screen.getByTestId("events-detail-redeliver"));
    fireEvent.click(screen.getByTestId("events-redeliver-dialog-cancel"));
    expect(posts).toEqual([]);
    fireEvent.click(screen.getByTestId("events-detail-redeliver"));
    fireEvent.click(screen.getByTestId("events-redeliver-include-delivered"));
    fireEvent.click(screen.getByTestId("events-redeliver-dialog-confirm"));
    expect((await screen.findByTestId("events-detail-redeliver-error")).textContent).toBe("The event is still being delivered.");
    expect(posts).toEqual(["?include_delivered=true"]);
  });
});

describe("Notifications", () => {
  it("marks one read and refetches the inbox", async () => {
    let read = false;
    const fetchMock = stub((request, url) => {
      if (url.pathname === "/api/v1/notifications" && request.method === "GET")
        return json({
          items: [
            {
              id: "n1",
              recipient_id: "u1",
              category: "booking",
              severity: "info",
              title: "A booking was cancelled",
              body: "",
              data: {},
              action_url: "/bookings",
              dedupe_key: null,
              seen_at: null,
              read_at: read ? "2026-12-01T10:00:00Z" : null,
              archived_at: null,
              created_at: "2026-12-01T09:00:00Z",
            },
          ],
          next_cursor: null,
        });
      if (url.pathname === "/api/v1/notifications/n1/read" && request.method === "POST") {
        read = true;
        return json({});
      }
      if (url.pathname === "/api/v1/notifications/preferences")
        return json({
          categories: ["booking", "security"],
          channels: ["in_app", "email"],
          mandatory_categories: ["security"],
          items: [
            { category: "booking", channel: "in_app", enabled: true, mandatory: false, organization_default: true, source: "default" },
            { category: "booking", channel: "email", enabled: false, mandatory: false, organization_default: false, source: "default" },
            { category: "security", channel: "in_app", enabled: true, mandatory: true, organization_default: true, source: "mandatory" },
            { category: "security", channel: "email", enabled: true, mandatory: false, organization_default: true, source: "default" },
          ],
        });
      return undefined;
    });
    renderAt("/notifications", "/notifications", <Notifications />, "viewer");
    const item = await screen.findByTestId("notifications-list-item");
    expect(item.getAttribute("data-unread")).toBe("true");
    fireEvent.click(screen.getByTestId("notifications-list-read"));
    await waitFor(() => expect(screen.getByTestId("notifications-list-item").getAttribute("data-unread")).toBe("false"));
    expect(fetchMock.mock.calls.filter(([request]) => request.url.endsWith("/api/v1/notifications?limit=25")).length).toBeGreaterThanOrEqual(2);

    expect((screen.getByTestId("notifications-preferences-security-in_app") as HTMLInputElement).disabled).toBe(true);
    const save = screen.getByTestId("notifications-preferences-save") as HTMLButtonElement;
    expect(save.disabled).toBe(true);
    fireEvent.click(screen.getByTestId("notifications-preferences-booking-email"));
    expect(save.disabled).toBe(false);
  });
});
