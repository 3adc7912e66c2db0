// Pure helpers of the Bookings screens: local dates and times in a resource's time zone, the
// day/week period to list, and which status changes a booking allows.

export type BookingStatus = "held" | "pending" | "confirmed" | "cancelled" | "completed" | "no_show";
export type BookingAction = "confirm" | "cancel" | "complete" | "no-show";

export const STATUSES: BookingStatus[] = ["held", "pending", "confirmed", "cancelled", "completed", "no_show"];

export const STATUS_LABELS: Record<BookingStatus, string> = {
  held: "Held",
  pending: "Pending",
  confirmed: "Confirmed",
  cancelled: "Cancelled",
  completed: "Completed",
  no_show: "No-show",
};

export const ACTION_LABELS: Record<BookingAction, string> = {
  confirm: "Confirm",
  cancel: "Cancel",
  complete: "Complete",
  "no-show": "No-show",
};

export function isStatus(value: string): value is BookingStatus {
  return (STATUSES as string[]).includes(value);
}

export function statusLabel(status: string): string {
  return isStatus(status) ? STATUS_LABELS[status] : status;
}

/**
 * The status changes the API accepts (backend AGENTS.md "Status machine"):
 * held|pending → confirmed; held|pending|confirmed → cancelled; confirmed → completed|no_show
 * once it has started.
 */
export function allowedActions(status: string, start: Date, now: Date = new Date()): BookingAction[] {
  switch (status) {
    case "held":
    case "pending":
      return ["confirm", "cancel"];
    case "confirmed":
      return start.getTime() <= now.getTime() ? ["complete", "no-show", "cancel"] : ["cancel"];
    default:
      return [];
  }
}

const ROLES_THAT_BOOK = ["staff", "manager", "admin", "owner"];

/** Staff and above book and change bookings; viewers only read (the API refuses them anyway). */
export function canBook(roles: readonly string[]): boolean {
  return roles.some((role) => ROLES_THAT_BOOK.includes(role));
}

// --- dates in a time zone -------------------------------------------------------------------

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isIsoDate(value: string): boolean {
  const match = DATE_RE.exec(value);
  if (!match) return false;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return date.toISOString().slice(0, 10) === value;
}

interface WallParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function parts(instant: Date, timeZone: string): WallParts {
  const formatter = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
  const out: WallParts = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const part of formatter.formatToParts(instant)) {
    if (part.type in out) out[part.type as keyof WallParts] = Number(part.value);
  }
  return out;
}

/** The zone's offset from UTC at that instant, in milliseconds (east positive). */
function offsetAt(instant: Date, timeZone: string): number {
  const p = parts(instant, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}

/** The calendar date (YYYY-MM-DD) of an instant in a time zone. */
export function localDate(instant: Date, timeZone: string): string {
  const p = parts(instant, timeZone);
  return `${String(p.year).padStart(4, "0")}-${String(p.month).padStart(2, "0")}-${String(p.day).padStart(2, "0")}`;
}

/** The instant a local calendar date starts in a time zone (DST-correct). */
export function startOfLocalDay(date: string, timeZone: string): Date {
  const match = DATE_RE.exec(date);
  if (!match) throw new Error(`not a date: ${date}`);
  const wall = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  let guess = wall - offsetAt(new Date(wall), timeZone);
  // A second pass settles a guess that crossed an offset change.
  guess = wall - offsetAt(new Date(guess), timeZone);
  return new Date(guess);
}

/** The date n days after (or before, when negative) a YYYY-MM-DD date. */
export function addDays(date: string, days: number): string {
  const match = DATE_RE.exec(date);
  if (!match) throw new Error(`not a date: ${date}`);
  const next = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]) + days));
  return next.toISOString().slice(0, 10);
}

/** The Monday of the week the date lies in. */
export function mondayOf(date: string): string {
  const weekday = new Date(`${date}T00:00:00Z`).getUTCDay(); // 0 = Sunday
  return addDays(date, -((weekday + 6) % 7));
}

export type View = "day" | "week";

/** The period to list, as local dates [first, last] and UTC instants [start, end). */
export function periodOf(date: string, view: View, timeZone: string) {
  const first = view === "week" ? mondayOf(date) : date;
  const next = addDays(first, view === "week" ? 7 : 1);
  return {
    first,
    last: addDays(next, -1),
    start: startOfLocalDay(first, timeZone),
    end: startOfLocalDay(next, timeZone),
  };
}

/** A booking's time in its resource's zone: "Tue 1 Dec, 09:00–09:30". */
export function formatLocalRange(start: Date, end: Date, timeZone: string, locale = "en-GB"): string {
  const day = new Intl.DateTimeFormat(locale, { timeZone, weekday: "short", day: "numeric", month: "short" });
  const time = new Intl.DateTimeFormat(locale, { timeZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  const sameDay = localDate(start, timeZone) === localDate(end, timeZone);
  const endText = sameDay ? time.format(end) : `${day.format(end)}, ${time.format(end)}`;
  return `${day.format(start)}, ${time.format(start)}–${endText}`;
}

/** "Tuesday, 1 December 2026" for a YYYY-MM-DD date. */
export function formatDateLong(date: string, locale = "en-GB"): string {
  return new Intl.DateTimeFormat(locale, {
    timeZone: "UTC",
    weekday: "long",
    day: "numeric",
    month: "long",
    year: "numeric",
  }).format(new Date(`${date}T00:00:00Z`));
}

/** The wall-clock "HH:MM" of an ISO 8601 local time with its offset ("2026-12-02T09:15:00+01:00"). */
export function wallClock(localIso: string): string {
  const match = /T(\d{2}):(\d{2})/.exec(localIso);
  return match ? `${match[1]}:${match[2]}` : localIso;
}

/** Group services (more than one place per session) show the places left on each slot. */
export function isGroupService(service: { capacity: number } | undefined): boolean {
  return (service?.capacity ?? 1) > 1;
}

export function contactName(contact: { first_name: string; last_name: string } | undefined): string {
  if (!contact) return "";
  return [contact.first_name, contact.last_name].filter(Boolean).join(" ");
}

/** A fresh Idempotency-Key for one booking attempt (a random UUID v4). */
export function newIdempotencyKey(random: Crypto = globalThis.crypto): string {
  if (typeof random.randomUUID === "function") return random.randomUUID();
  const bytes = random.getRandomValues(new Uint8Array(16));
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Problem codes after which the slots shown are out of date: someone else took the time. */
export const SLOT_TAKEN_CODES = ["booking_conflict", "session_full", "outside_availability"];

/** Whether a refusal means the time is no longer free (the slots shown are out of date). */
export function isSlotTaken(code: string | null | undefined): boolean {
  return SLOT_TAKEN_CODES.includes(code ?? "");
}

/** Cancel, complete and no-show cannot be undone: they ask first. Confirm acts at once. */
export function needsConfirmation(action: BookingAction): boolean {
  return action !== "confirm";
}

/** The local dates of a period, first to last. */
export function datesOf(period: { first: string; last: string }): string[] {
  const out: string[] = [];
  for (let day = period.first; day <= period.last; day = addDays(day, 1)) out.push(day);
  return out;
}

/** Items grouped by their local start date in the zone, each day's in start order. */
export function byLocalDay<T extends { start: string }>(items: readonly T[], timeZone: string): Map<string, T[]> {
  const days = new Map<string, T[]>();
  for (const item of items) {
    const day = localDate(new Date(item.start), timeZone);
    const list = days.get(day) ?? [];
    list.push(item);
    days.set(day, list);
  }
  for (const list of days.values()) list.sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
  return days;
}

/** Sorted by name (the order the pickers show); the default pick is the first active one. */
export function byName<T extends { name: string }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => a.name.localeCompare(b.name, "en"));
}

/** The item with that id if it is there, else the first active one by name. */
export function pickOrFirstActive<T extends { id: string; name: string; is_active: boolean }>(
  items: readonly T[],
  id: string | null,
): T | undefined {
  return items.find((item) => item.id === id) ?? byName(items.filter((item) => item.is_active))[0];
}

/** "Tue 1 Dec" for a YYYY-MM-DD date. */
export function formatDateShort(date: string, locale = "en-GB"): string {
  return new Intl.DateTimeFormat(locale, { timeZone: "UTC", weekday: "short", day: "numeric", month: "short" }).format(
    new Date(`${date}T00:00:00Z`),
  );
}

/** A booking's wall-clock time in its zone on its own day: "09:00–09:30". */
export function formatLocalTimes(start: Date, end: Date, timeZone: string, locale = "en-GB"): string {
  const time = new Intl.DateTimeFormat(locale, { timeZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  return `${time.format(start)}–${time.format(end)}`;
}

/** A slot's wall-clock range as the API gives it in the resource's zone: "09:00–09:30". */
export function slotLabel(slot: { local_start: string; local_end: string }): string {
  return `${wallClock(slot.local_start)}–${wallClock(slot.local_end)}`;
}
