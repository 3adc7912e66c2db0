import { describe, expect, it } from "vitest";
import {
  addDays,
  allowedActions,
  byLocalDay,
  canBook,
  datesOf,
  formatDateLong,
  formatLocalRange,
  isGroupService,
  isIsoDate,
  isSlotTaken,
  localDate,
  mondayOf,
  needsConfirmation,
  newIdempotencyKey,
  periodOf,
  pickOrFirstActive,
  startOfLocalDay,
  statusLabel,
  wallClock,
} from "./bookingLogic";

describe("allowedActions", () => {
  const now = new Date("2026-12-01T12:00:00Z");
  const later = new Date("2026-12-02T09:00:00Z");
  const earlier = new Date("2026-12-01T09:00:00Z");

  it("lets held and pending bookings be confirmed or cancelled", () => {
    expect(allowedActions("held", later, now)).toEqual(["confirm", "cancel"]);
    expect(allowedActions("pending", earlier, now)).toEqual(["confirm", "cancel"]);
  });

  it("finishes confirmed bookings only once they started", () => {
    expect(allowedActions("confirmed", later, now)).toEqual(["cancel"]);
    expect(allowedActions("confirmed", earlier, now)).toEqual(["complete", "no-show", "cancel"]);
    expect(allowedActions("confirmed", now, now)).toEqual(["complete", "no-show", "cancel"]);
  });

  it("offers nothing for finished bookings or unknown statuses", () => {
    for (const status of ["cancelled", "completed", "no_show", "something_new"]) {
      expect(allowedActions(status, earlier, now)).toEqual([]);
    }
  });
});

describe("canBook", () => {
  it("is staff and above", () => {
    expect(canBook(["viewer"])).toBe(false);
    expect(canBook([])).toBe(false);
    for (const role of ["staff", "manager", "admin", "owner"]) expect(canBook([role])).toBe(true);
  });
});

describe("dates in a time zone", () => {
  it("finds the instant a local day starts, across daylight saving changes", () => {
    expect(startOfLocalDay("2026-12-01", "Europe/Berlin").toISOString()).toBe("2026-11-30T23:00:00.000Z");
    expect(startOfLocalDay("2026-07-01", "Europe/Berlin").toISOString()).toBe("2026-06-30T22:00:00.000Z");
    // The day clocks go forward (29 March 2026) and back (25 October 2026) start at the old offset.
    expect(startOfLocalDay("2026-03-29", "Europe/Berlin").toISOString()).toBe("2026-03-28T23:00:00.000Z");
    expect(startOfLocalDay("2026-03-30", "Europe/Berlin").toISOString()).toBe("2026-03-29T22:00:00.000Z");
    expect(startOfLocalDay("2026-10-25", "Europe/Berlin").toISOString()).toBe("2026-10-24T22:00:00.000Z");
    expect(startOfLocalDay("2026-12-01", "America/New_York").toISOString()).toBe("2026-12-01T05:00:00.000Z");
    expect(startOfLocalDay("2026-12-01", "UTC").toISOString()).toBe("2026-12-01T00:00:00.000Z");
  });

  it("names the local date of an instant", () => {
    expect(localDate(new Date("2026-11-30T23:30:00Z"), "Europe/Berlin")).toBe("2026-12-01");
    expect(localDate(new Date("2026-12-01T03:00:00Z"), "America/New_York")).toBe("2026-11-30");
  });

  it("steps days and weeks", () => {
    expect(addDays("2026-12-31", 1)).toBe("2027-01-01");
    expect(addDays("2026-03-01", -1)).toBe("2026-02-28");
    expect(mondayOf("2026-12-01")).toBe("2026-11-30"); // a Tuesday
    expect(mondayOf("2026-12-06")).toBe("2026-11-30"); // a Sunday
    expect(mondayOf("2026-11-30")).toBe("2026-11-30");
  });

  it("lists a day or the Monday-to-Sunday week as a half-open period", () => {
    const day = periodOf("2026-12-01", "day", "Europe/Berlin");
    expect([day.first, day.last]).toEqual(["2026-12-01", "2026-12-01"]);
    expect([day.start.toISOString(), day.end.toISOString()]).toEqual([
      "2026-11-30T23:00:00.000Z",
      "2026-12-01T23:00:00.000Z",
    ]);
    const week = periodOf("2026-10-28", "week", "Europe/Berlin");
    expect([week.first, week.last]).toEqual(["2026-10-26", "2026-11-01"]);
    expect(week.start.toISOString()).toBe("2026-10-25T23:00:00.000Z");
    // The week of the change back to winter time: 25 October is its Sunday.
    const change = periodOf("2026-10-25", "week", "Europe/Berlin");
    expect(change.end.getTime() - change.start.getTime()).toBe((7 * 24 + 1) * 3600_000);
  });

  it("checks dates", () => {
    expect(isIsoDate("2026-12-01")).toBe(true);
    expect(isIsoDate("2026-02-30")).toBe(false);
    expect(isIsoDate("1.12.2026")).toBe(false);
  });
});

describe("formatting", () => {
  it("shows a booking in its resource's zone", () => {
    const start = new Date("2026-12-01T08:00:00Z");
    const end = new Date("2026-12-01T08:30:00Z");
    expect(formatLocalRange(start, end, "Europe/Berlin")).toBe("Tue 1 Dec, 09:00–09:30");
    expect(formatLocalRange(start, end, "America/New_York")).toBe("Tue 1 Dec, 03:00–03:30");
    expect(formatLocalRange(new Date("2026-12-01T22:30:00Z"), new Date("2026-12-01T23:30:00Z"), "Europe/Berlin")).toBe(
      "Tue 1 Dec, 23:30–Wed 2 Dec, 00:30",
    );
  });

  it("reads the wall clock of a local ISO time as sent", () => {
    expect(wallClock("2026-12-02T09:15:00+01:00")).toBe("09:15");
    expect(wallClock("2026-03-29T03:00:00+02:00")).toBe("03:00");
  });

  it("names dates and statuses in words", () => {
    expect(formatDateLong("2026-12-01")).toBe("Tuesday, 1 December 2026");
    expect(statusLabel("no_show")).toBe("No-show");
    expect(statusLabel("pending")).toBe("Pending");
  });

  it("knows a group service by its capacity", () => {
    expect(isGroupService({ capacity: 1 })).toBe(false);
    expect(isGroupService({ capacity: 6 })).toBe(true);
    expect(isGroupService(undefined)).toBe(false);
  });
});

describe("newIdempotencyKey", () => {
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  it("is a new random UUID per attempt", () => {
    const first = newIdempotencyKey();
    expect(first).toMatch(uuid);
    expect(newIdempotencyKey()).not.toBe(first);
  });
  it("falls back to random bytes without randomUUID", () => {
    const fallback = { getRandomValues: (array: Uint8Array) => array.fill(255) } as unknown as Crypto;
    expect(newIdempotencyKey(fallback)).toBe("ffffffff-ffff-4fff-bfff-ffffffffffff");
  });
});

describe("calendar helpers", () => {
  it("lists a week's local dates, across a month end", () => {
    expect(datesOf(periodOf("2026-12-31", "week", "Pacific/Auckland"))).toEqual([
      "2026-12-28",
      "2026-12-29",
      "2026-12-30",
      "2026-12-31",
      "2027-01-01",
      "2027-01-02",
      "2027-01-03",
    ]);
  });

  it("groups by the local start date in the zone, each day in start order", () => {
    const items = [
      { id: "late", start: "2026-12-07T03:00:00Z" }, // Mon 16:00 in Auckland
      { id: "early", start: "2026-12-06T20:00:00Z" }, // Mon 09:00 in Auckland, Sunday in UTC
      { id: "tue", start: "2026-12-07T20:00:00Z" },
    ];
    const days = byLocalDay(items, "Pacific/Auckland");
    expect([...days.keys()].sort()).toEqual(["2026-12-07", "2026-12-08"]);
    expect(days.get("2026-12-07")?.map((item) => item.id)).toEqual(["early", "late"]);
    expect(byLocalDay(items, "UTC").get("2026-12-06")?.map((item) => item.id)).toEqual(["early"]);
  });

  it("picks the asked item, else the first active one by name", () => {
    const items = [
      { id: "z", name: "Zeta", is_active: true },
      { id: "a", name: "Alpha", is_active: false },
      { id: "b", name: "beta", is_active: true },
    ];
    expect(pickOrFirstActive(items, null)?.id).toBe("b");
    expect(pickOrFirstActive(items, "a")?.id).toBe("a");
    expect(pickOrFirstActive(items, "gone")?.id).toBe("b");
    expect(pickOrFirstActive([], null)).toBeUndefined();
  });

  it("knows which refusals mean the time was taken and which actions ask first", () => {
    expect(["booking_conflict", "session_full", "outside_availability"].every((code) => isSlotTaken(code))).toBe(true);
    expect(isSlotTaken("invalid_transition")).toBe(false);
    expect(isSlotTaken(null)).toBe(false);
    expect(needsConfirmation("confirm")).toBe(false);
    expect(["cancel", "complete", "no-show"].every((action) => needsConfirmation(action as "cancel"))).toBe(true);
  });
});
