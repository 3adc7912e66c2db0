// Server state of the dashboard: the analytics summary and series, and their CSV downloads.
import { useQuery } from "@tanstack/react-query";
import { backend, unwrap } from "../api/client";
import { filenameOf } from "../api/download";
import type { components } from "../api/generated/backend";
import { ApiError } from "../api/problem";
import { useMe, type Me } from "../auth/AuthContext";
import type { DateRange, Interval } from "./insightsLogic";

export type Summary = components["schemas"]["SummaryOut"];
type RevenueOut = components["schemas"]["RevenueOut"];
type UtilizationOut = components["schemas"]["UtilizationOut"];

/** A JSON answer of an operation that can also answer CSV (the types allow both; without `format=csv` it is JSON). */
function asJson<T extends object>(data: T | string): T {
  if (typeof data === "string") throw new Error("expected a JSON answer");
  return data;
}

/** The organization's time zone (analytics dates are its local dates), else the browser's. */
export function organizationTimeZone(me: Me): string {
  const membership = me.memberships.find((entry) => entry.organization.id === me.organization_id);
  return membership?.organization.timezone || Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** The signed-in organization's zone, the clock every instant on screen is shown on. */
export function useOrganizationTimeZone(): string {
  return organizationTimeZone(useMe());
}

export function useSummary(range: DateRange) {
  const me = useMe();
  return useQuery({
    queryKey: ["analytics", me.organization_id, "summary", range.from, range.to],
    queryFn: async () =>
      asJson<Summary>(unwrap(await backend.GET("/api/v1/analytics/summary", { params: { query: { from: range.from, to: range.to } } }))),
  });
}

export function useRevenue(range: DateRange, interval: Interval) {
  const me = useMe();
  return useQuery({
    queryKey: ["analytics", me.organization_id, "revenue", range.from, range.to, interval],
    queryFn: async () =>
      asJson<RevenueOut>(
        unwrap(await backend.GET("/api/v1/analytics/revenue", { params: { query: { from: range.from, to: range.to, interval } } })),
      ).items,
  });
}

export function useUtilization(range: DateRange, interval: Interval) {
  const me = useMe();
  return useQuery({
    queryKey: ["analytics", me.organization_id, "utilization", range.from, range.to, interval],
    queryFn: async () =>
      asJson<UtilizationOut>(
        unwrap(await backend.GET("/api/v1/analytics/utilization", { params: { query: { from: range.from, to: range.to, interval } } })),
      ).items,
  });
}

export type CsvSeries = "summary" | "revenue" | "utilization";

/** The file name the server suggests (Content-Disposition), else one made of the series and range. */
export function csvFilename(disposition: string | null, series: CsvSeries, range: DateRange): string {
  return filenameOf(disposition, `${series}-${range.from}-${range.to}.csv`);
}

/** One series as CSV, through the authorized client (bearer token, one refresh on 401). */
export async function fetchAnalyticsCsv(series: CsvSeries, range: DateRange, interval: Interval): Promise<{ blob: Blob; filename: string }> {
  const dates = { from: range.from, to: range.to, format: "csv" as const };
  const result =
    series === "summary"
      ? await backend.GET("/api/v1/analytics/summary", { params: { query: dates }, parseAs: "blob" })
      : series === "revenue"
        ? await backend.GET("/api/v1/analytics/revenue", { params: { query: { ...dates, interval } }, parseAs: "blob" })
        : await backend.GET("/api/v1/analytics/utilization", { params: { query: { ...dates, interval } }, parseAs: "blob" });
  if (!result.response.ok) throw new ApiError(result.response.status, result.error);
  return { blob: result.data as Blob, filename: csvFilename(result.response.headers.get("Content-Disposition"), series, range) };
}

