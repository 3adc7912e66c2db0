import { describe, expect, it } from "vitest";
import {
  canAdminister,
  dashboardParams,
  dashboardStateFromParams,
  defaultInterval,
  formatRate,
  formatRatio,
  localInputToInstant,
  preferenceChanges,
  presetOf,
  presetRange,
  rangeProblem,
  revenueChartData,
  revenueIsEmpty,
  utilizationByResource,
} from "./insightsLogic";

const money = (amount: string, currency = "EUR") => ({ amount, currency });

describe("date range presets", () => {
  it("covers the days ending today, both ends included", () => {
    expect(presetRange("last7", "2026-12-01")).toEqual({ from: "2026-11-25", to: "2026-12-01" });
    expect(presetRange("last30", "2026-03-01")).toEqual({ from: "2026-01-31", to: "2026-03-01" });
    expect(presetRange("last90", "2026-12-01")).toEqual({ from: "2026-09-03", to: "2026-12-01" });
  });

  it("knows calendar months and years, across year ends and leap days", () => {
    expect(presetRange("thisMonth", "2026-12-17")).toEqual({ from: "2026-12-01", to: "2026-12-17" });
    expect(presetRange("lastMonth", "2026-01-10")).toEqual({ from: "2025-12-01", to: "2025-12-31" });
    expect(presetRange("lastMonth", "2028-03-31")).toEqual({ from: "2028-02-01", to: "2028-02-29" });
    expect(presetRange("thisYear", "2026-12-17")).toEqual({ from: "2026-01-01", to: "2026-12-17" });
  });

  it("recognises a range that is a preset, and says null for a custom one", () => {
    expect(presetOf({ from: "2026-12-01", to: "2026-12-17" }, "2026-12-17")).toBe("thisMonth");
    expect(presetOf({ from: "2026-12-02", to: "2026-12-17" }, "2026-12-17")).toBeNull();
  });

  it("refuses ranges the server would refuse, in words", () => {
    expect(rangeProblem({ from: "2026-12-01", to: "2026-12-01" })).toBeNull();
    expect(rangeProblem({ from: "2026-12-02", to: "2026-12-01" })).toMatch(/on or before/);
    expect(rangeProblem({ from: "", to: "2026-12-01" })).toMatch(/both dates/);
    expect(rangeProblem({ from: "2026-02-30", to: "2026-03-01" })).toMatch(/both dates/);
    expect(rangeProblem({ from: "2020-01-01", to: "2026-01-01" })).toMatch(/three years/);
  });

  it("picks a bucket size that keeps a chart readable", () => {
    expect(defaultInterval({ from: "2026-11-02", to: "2026-12-01" })).toBe("day");
    expect(defaultInterval({ from: "2026-01-01", to: "2026-12-01" })).toBe("week");
    expect(defaultInterval({ from: "2024-01-01", to: "2026-12-01" })).toBe("month");
  });
});

describe("dashboard URL state", () => {
  const today = "2026-12-17";
  const read = (query: string) => dashboardStateFromParams(new URLSearchParams(query), today);

  it("defaults to the last 30 days by day", () => {
    expect(read("")).toEqual({ range: { from: "2026-11-18", to: "2026-12-17" }, preset: "last30", interval: "day" });
  });

  it("keeps a preset by name, so it moves with today", () => {
    expect(read("preset=thisYear").range).toEqual({ from: "2026-01-01", to: "2026-12-17" });
    expect(read("preset=thisYear").interval).toBe("week");
  });

  it("reads a custom range and an interval, and falls back on nonsense", () => {
    expect(read("from=2026-10-01&to=2026-10-31&interval=week")).toEqual({
      range: { from: "2026-10-01", to: "2026-10-31" },
      preset: null,
      interval: "week",
    });
    expect(read("from=2026-10-31&to=2026-10-01&interval=hour")).toEqual({
      range: { from: "2026-11-18", to: "2026-12-17" },
      preset: "last30",
      interval: "day",
    });
    expect(read("preset=forever").preset).toBe("last30");
  });

  it("writes what it reads", () => {
    for (const query of ["preset=lastMonth&interval=month", "from=2026-10-01&to=2026-10-31&interval=day"]) {
      const state = read(query);
      expect(dashboardParams(state).toString()).toBe(query);
    }
    expect(dashboardParams({ range: { from: "2026-10-01", to: "2026-10-31" }, preset: null, interval: null }).toString()).toBe(
      "from=2026-10-01&to=2026-10-31",
    );
  });
});

describe("formatting", () => {
  it("formats ratios as percent, and null as a dash", () => {
    expect(formatRate("0.2500")).toBe("25%");
    expect(formatRate("0.1234")).toBe("12.3%");
    expect(formatRate("1.0000")).toBe("100%");
    expect(formatRate(null)).toBe("—");
    expect(formatRatio(0.4567)).toBe("45.7%");
    expect(formatRatio(null)).toBe("—");
  });

  it("turns a datetime-local value into a UTC instant", () => {
    expect(localInputToInstant("")).toBeUndefined();
    expect(localInputToInstant("not a date")).toBeUndefined();
    expect(localInputToInstant("2026-12-01T10:00")).toBe(new Date(2026, 11, 1, 10, 0).toISOString());
  });
});

describe("chart data", () => {
  it("makes one revenue point per bucket with labels for the interval", () => {
    const items = [
      { bucket: "2026-11-30", revenue_gross: money("120.00"), refunds: money("20.00"), revenue_net: money("100.00"), invoiced: money("0.00") },
      { bucket: "2026-12-07", revenue_gross: money("0.00"), refunds: money("0.00"), revenue_net: money("0.00"), invoiced: money("50.00") },
    ];
    const points = revenueChartData(items, "week");
    expect(points).toEqual([
      { bucket: "2026-11-30", label: "w/c 30 Nov", gross: 120, refunds: 20, net: 100, invoiced: 0 },
      { bucket: "2026-12-07", label: "w/c 7 Dec", gross: 0, refunds: 0, net: 0, invoiced: 50 },
    ]);
    expect(revenueIsEmpty(points)).toBe(false);
    expect(revenueIsEmpty(revenueChartData([{ ...items[1]!, invoiced: money("0.00") }], "month"))).toBe(true);
    expect(revenueChartData(items, "month")[0]?.label).toBe("Nov 2026");
    expect(revenueChartData(items, "day")[0]?.label).toBe("30 Nov");
  });

  it("sums utilization per resource over the buckets (not an average of ratios)", () => {
    const rows = utilizationByResource([
      { bucket: "2026-12-01", resource_id: "r1", resource_name: "Room", booked_minutes: 60, available_minutes: 480 },
      { bucket: "2026-12-01", resource_id: "r2", resource_name: "Closed", booked_minutes: 0, available_minutes: 0 },
      { bucket: "2026-12-02", resource_id: "r1", resource_name: "Room", booked_minutes: 420, available_minutes: 480 },
    ]);
    expect(rows).toEqual([
      { resourceId: "r1", name: "Room", bookedMinutes: 480, availableMinutes: 960, ratio: 0.5, percent: 50 },
      { resourceId: "r2", name: "Closed", bookedMinutes: 0, availableMinutes: 0, ratio: null, percent: 0 },
    ]);
  });
});

describe("gating and preferences", () => {
  it("lets owners and admins administer, nobody else", () => {
    expect(canAdminister(["owner"])).toBe(true);
    expect(canAdminister(["viewer", "admin"])).toBe(true);
    for (const role of ["manager", "staff", "viewer"]) expect(canAdminister([role])).toBe(false);
    expect(canAdminister([])).toBe(false);
  });

  it("sends only the cells that changed, never a mandatory one", () => {
    const cells = [
      { category: "booking", channel: "email", enabled: true, mandatory: false },
      { category: "booking", channel: "sms", enabled: false, mandatory: false },
      { category: "security", channel: "in_app", enabled: true, mandatory: true },
    ];
    const wanted = new Map([
      ["booking:email", true],
      ["booking:sms", true],
      ["security:in_app", false],
    ]);
    expect(preferenceChanges(cells, wanted)).toEqual([{ category: "booking", channel: "sms", enabled: true }]);
  });
});
