// Pure logic of the dashboard and the admin screens: date ranges (presets, URL state), the
// shapes the charts draw, money and percent formatting, and who may see the admin screens.
import { addDays, isIsoDate } from "./bookingLogic";

// --- date ranges ------------------------------------------------------------------------------

export interface DateRange {
  /** First local date, YYYY-MM-DD (included). */
  from: string;
  /** Last local date, YYYY-MM-DD (included). */
  to: string;
}

export type RangePreset = "last7" | "last30" | "last90" | "thisMonth" | "lastMonth" | "thisYear";

export const RANGE_PRESETS: RangePreset[] = ["last7", "last30", "last90", "thisMonth", "lastMonth", "thisYear"];

export const RANGE_PRESET_LABELS: Record<RangePreset, string> = {
  last7: "Last 7 days",
  last30: "Last 30 days",
  last90: "Last 90 days",
  thisMonth: "This month",
  lastMonth: "Last month",
  thisYear: "This year",
};

export const DEFAULT_PRESET: RangePreset = "last30";

/** The server refuses ranges longer than this (three years after `from`). */
const MAX_RANGE_DAYS = 3 * 366;

function firstOfMonth(date: string): string {
  return `${date.slice(0, 7)}-01`;
}

/** The dates a preset covers, ending on (or containing) `today`. */
export function presetRange(preset: RangePreset, today: string): DateRange {
  switch (preset) {
    case "last7":
      return { from: addDays(today, -6), to: today };
    case "last30":
      return { from: addDays(today, -29), to: today };
    case "last90":
      return { from: addDays(today, -89), to: today };
    case "thisMonth":
      return { from: firstOfMonth(today), to: today };
    case "lastMonth": {
      const lastDay = addDays(firstOfMonth(today), -1);
      return { from: firstOfMonth(lastDay), to: lastDay };
    }
    case "thisYear":
      return { from: `${today.slice(0, 4)}-01-01`, to: today };
  }
}

/** The preset a range is, as of `today`, or null for a custom range. */
export function presetOf(range: DateRange, today: string): RangePreset | null {
  return RANGE_PRESETS.find((preset) => {
    const candidate = presetRange(preset, today);
    return candidate.from === range.from && candidate.to === range.to;
  }) ?? null;
}

/** Days in a range, both ends included. */
export function rangeDays(range: DateRange): number {
  return Math.round((Date.parse(`${range.to}T00:00:00Z`) - Date.parse(`${range.from}T00:00:00Z`)) / 86_400_000) + 1;
}

/** Why a range cannot be asked for, in words, or null when it is fine. */
export function rangeProblem(range: DateRange): string | null {
  if (!isIsoDate(range.from) || !isIsoDate(range.to)) return "Enter both dates.";
  if (range.from > range.to) return "The start date must be on or before the end date.";
  if (rangeDays(range) > MAX_RANGE_DAYS) return "Choose a range of at most three years.";
  return null;
}

export type Interval = "day" | "week" | "month";
export const INTERVALS: Interval[] = ["day", "week", "month"];
export const INTERVAL_LABELS: Record<Interval, string> = { day: "Day", week: "Week", month: "Month" };

function isInterval(value: string | null): value is Interval {
  return value !== null && (INTERVALS as string[]).includes(value);
}

/** A bucket size that keeps a chart readable: days up to two months, weeks up to a year. */
export function defaultInterval(range: DateRange): Interval {
  const days = rangeDays(range);
  if (days <= 62) return "day";
  if (days <= 366) return "week";
  return "month";
}

export interface DashboardState {
  range: DateRange;
  /** The preset named in the URL; null for explicit dates. */
  preset: RangePreset | null;
  interval: Interval;
}

/**
 * The dashboard's state from its URL (`?preset=` or `?from=&to=`, `&interval=`). A preset is
 * kept as its name, so a bookmarked "This month" is this month whenever it is opened; dates that
 * are missing or make no valid range fall back to the default preset.
 */
export function dashboardStateFromParams(params: URLSearchParams, today: string): DashboardState {
  const named = params.get("preset");
  let range: DateRange;
  let preset: RangePreset | null;
  if (named && (RANGE_PRESETS as string[]).includes(named)) {
    preset = named as RangePreset;
    range = presetRange(preset, today);
  } else {
    const custom = { from: params.get("from") ?? "", to: params.get("to") ?? "" };
    if (rangeProblem(custom) === null) {
      // Dates stay dates (a shared link shows the same days tomorrow), even when they match a preset today.
      range = custom;
      preset = null;
    } else {
      preset = DEFAULT_PRESET;
      range = presetRange(preset, today);
    }
  }
  const asked = params.get("interval");
  return { range, preset, interval: isInterval(asked) ? asked : defaultInterval(range) };
}

/** The URL parameters of a dashboard state (the inverse of dashboardStateFromParams). */
export function dashboardParams(state: { range: DateRange; preset: RangePreset | null; interval: Interval | null }): URLSearchParams {
  const params = new URLSearchParams();
  if (state.preset) params.set("preset", state.preset);
  else {
    params.set("from", state.range.from);
    params.set("to", state.range.to);
  }
  if (state.interval) params.set("interval", state.interval);
  return params;
}

// --- formatting -------------------------------------------------------------------------------

export const MISSING = "—";

/** A ratio as a decimal string ("0.2500") in percent ("25%", "12.5%"); null: "—". */
export function formatRate(ratio: string | null | undefined, locale = "en-GB"): string {
  if (ratio === null || ratio === undefined || !/^-?\d+(\.\d+)?$/.test(ratio)) return MISSING;
  return new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 }).format(Number(ratio));
}

/** Minutes as hours ("12.5 h"). */
export function formatHours(minutes: number, locale = "en-GB"): string {
  return `${new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }).format(minutes / 60)} h`;
}

/** A bucket's label: "1 Dec" (day), "w/c 30 Nov" (week), "Dec 2026" (month). */
export function bucketLabel(bucket: string, interval: Interval, locale = "en-GB"): string {
  const date = new Date(`${bucket.slice(0, 10)}T00:00:00Z`);
  if (Number.isNaN(date.getTime())) return bucket;
  if (interval === "month") return new Intl.DateTimeFormat(locale, { timeZone: "UTC", month: "short", year: "numeric" }).format(date);
  const dayMonth = new Intl.DateTimeFormat(locale, { timeZone: "UTC", day: "numeric", month: "short" }).format(date);
  return interval === "week" ? `w/c ${dayMonth}` : dayMonth;
}

// --- chart data -------------------------------------------------------------------------------

interface Money {
  amount: string;
  currency: string;
}

export interface RevenueItem {
  bucket: string;
  revenue_gross: Money;
  refunds: Money;
  revenue_net: Money;
  invoiced: Money;
}

export interface RevenuePoint {
  bucket: string;
  label: string;
  gross: number;
  refunds: number;
  net: number;
  invoiced: number;
}

/** Revenue items as chart points. Numbers are for drawing only; every shown figure comes from the strings. */
export function revenueChartData(items: readonly RevenueItem[], interval: Interval, locale = "en-GB"): RevenuePoint[] {
  return items.map((item) => ({
    bucket: item.bucket,
    label: bucketLabel(item.bucket, interval, locale),
    gross: Number(item.revenue_gross.amount),
    refunds: Number(item.refunds.amount),
    net: Number(item.revenue_net.amount),
    invoiced: Number(item.invoiced.amount),
  }));
}

/** True when every bucket is zero (the chart would be a flat line: say so instead). */
export function revenueIsEmpty(points: readonly RevenuePoint[]): boolean {
  return points.every((point) => point.gross === 0 && point.refunds === 0 && point.net === 0 && point.invoiced === 0);
}

export interface UtilizationItem {
  bucket: string;
  resource_id: string;
  resource_name: string;
  booked_minutes: number;
  available_minutes: number;
}

export interface ResourceUtilization {
  resourceId: string;
  name: string;
  bookedMinutes: number;
  availableMinutes: number;
  /** booked ÷ available over the whole range; null when the resource had no working time. */
  ratio: number | null;
  /** The ratio in percent, rounded to one decimal, for the bar (0 when there is no ratio). */
  percent: number;
}

/** The range's utilization per resource (summed over its buckets), in the order the server lists them. */
export function utilizationByResource(items: readonly UtilizationItem[]): ResourceUtilization[] {
  const byId = new Map<string, ResourceUtilization>();
  for (const item of items) {
    let row = byId.get(item.resource_id);
    if (!row) {
      row = { resourceId: item.resource_id, name: item.resource_name, bookedMinutes: 0, availableMinutes: 0, ratio: null, percent: 0 };
      byId.set(item.resource_id, row);
    }
    row.bookedMinutes += item.booked_minutes;
    row.availableMinutes += item.available_minutes;
  }
  return [...byId.values()].map((row) => {
    const ratio = row.availableMinutes > 0 ? row.bookedMinutes / row.availableMinutes : null;
    return { ...row, ratio, percent: ratio === null ? 0 : Math.round(ratio * 1000) / 10 };
  });
}

/** A ratio as a number in percent words ("42.5%"); null: "—". */
export function formatRatio(ratio: number | null, locale = "en-GB"): string {
  return ratio === null ? MISSING : formatRate(ratio.toFixed(4), locale);
}

// --- who sees what ----------------------------------------------------------------------------

const ADMIN_ROLES = ["owner", "admin"];

/** Audit log and events are for owners and admins (the API refuses everyone else too). */
export function canAdminister(roles: readonly string[]): boolean {
  return roles.some((role) => ADMIN_ROLES.includes(role));
}

// --- notifications ----------------------------------------------------------------------------

export const CATEGORY_LABELS: Record<string, string> = {
  booking: "Bookings",
  payment: "Payments",
  system: "System",
  security: "Security",
  workflow: "Workflow",
};

export const CHANNEL_LABELS: Record<string, string> = { in_app: "In the app", email: "Email", sms: "SMS" };

export interface PreferenceCell {
  category: string;
  channel: string;
  enabled: boolean;
  mandatory: boolean;
}

/** The cells whose wanted value differs from the server's: what a save sends. */
export function preferenceChanges(
  cells: readonly PreferenceCell[],
  wanted: ReadonlyMap<string, boolean>,
): { category: string; channel: string; enabled: boolean }[] {
  return cells.flatMap((cell) => {
    const value = wanted.get(cellKey(cell));
    return value !== undefined && value !== cell.enabled && !cell.mandatory
      ? [{ category: cell.category, channel: cell.channel, enabled: value }]
      : [];
  });
}

export function cellKey(cell: { category: string; channel: string }): string {
  return `${cell.category}:${cell.channel}`;
}

// --- admin filters ----------------------------------------------------------------------------

/** A `datetime-local` value (the browser's wall clock) as a UTC instant; empty or invalid: undefined. */
export function localInputToInstant(value: string): string | undefined {
  if (!value) return undefined;
  const parsed = new Date(value);
  return Number.isNaN(parsed.getTime()) ? undefined : parsed.toISOString();
}
