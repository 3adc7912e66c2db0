import { useMemo, useState, type ReactNode } from "react";
import { useSearchParams } from "react-router";
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { errorOf, type UserError } from "../api/problem";
import { useMe } from "../auth/AuthContext";
import { Button, ErrorAlert, SelectField, Table, TextField } from "../ui";
import { localDate, statusLabel } from "./bookingLogic";
import { formatMoney } from "./invoiceLogic";
import { saveBlob } from "../api/download";
import { fetchAnalyticsCsv, organizationTimeZone, useRevenue, useSummary, useUtilization, type CsvSeries, type Summary } from "./insightsData";
import {
  INTERVALS,
  INTERVAL_LABELS,
  MISSING,
  RANGE_PRESETS,
  RANGE_PRESET_LABELS,
  dashboardParams,
  dashboardStateFromParams,
  formatHours,
  formatRate,
  formatRatio,
  presetOf,
  rangeProblem,
  revenueChartData,
  revenueIsEmpty,
  utilizationByResource,
  type DateRange,
  type Interval,
  type RangePreset,
} from "./insightsLogic";

const CUSTOM = "custom";

export function Dashboard() {
  const me = useMe();
  const timeZone = organizationTimeZone(me);
  const today = localDate(new Date(), timeZone);
  const [params, setParams] = useSearchParams();
  const state = dashboardStateFromParams(params, today);
  const { range, preset, interval } = state;
  const intervalChosen = params.has("interval");

  function go(next: { range: DateRange; preset: RangePreset | null; interval: Interval | null }) {
    setParams(dashboardParams(next), { replace: true });
  }

  return (
    <section aria-labelledby="dashboard-heading" className="flex flex-col gap-6">
      <h1 id="dashboard-heading" className="text-2xl font-semibold">
        Dashboard
      </h1>
      <RangeControls
        key={`${range.from}:${range.to}`}
        range={range}
        preset={preset}
        interval={interval}
        timeZone={timeZone}
        today={today}
        onRange={(nextRange, nextPreset) => go({ range: nextRange, preset: nextPreset, interval: intervalChosen ? interval : null })}
        onInterval={(nextInterval) => go({ range, preset, interval: nextInterval })}
      />
      <SummaryCards range={range} />
      <RevenueChart range={range} interval={interval} />
      <UtilizationChart range={range} interval={interval} />
    </section>
  );
}

function RangeControls({
  range,
  preset,
  interval,
  timeZone,
  today,
  onRange,
  onInterval,
}: {
  today: string;
  range: DateRange;
  preset: RangePreset | null;
  interval: Interval;
  timeZone: string;
  onRange: (range: DateRange, preset: RangePreset | null) => void;
  onInterval: (interval: Interval) => void;
}) {
  // Typed dates stay here until they make a valid range; only then do they reach the URL.
  const [draft, setDraft] = useState<DateRange>(range);
  const problem = draft.from === range.from && draft.to === range.to ? null : rangeProblem(draft);

  function editDate(field: keyof DateRange, value: string) {
    const next = { ...draft, [field]: value };
    setDraft(next);
    if (rangeProblem(next) === null) onRange(next, null);
  }

  return (
    <form
      aria-label="Date range"
      className="flex flex-wrap items-end gap-4 rounded-lg bg-white p-4 shadow-sm"
      onSubmit={(event) => event.preventDefault()}
    >
      <SelectField
        label="Range"
        value={preset ?? presetOf(range, today) ?? CUSTOM}
        onChange={(event) => {
          const value = event.target.value;
          if (value !== CUSTOM) onRange(range, value as RangePreset);
        }}
        data-testid="dashboard-range-preset"
      >
        {RANGE_PRESETS.map((name) => (
          <option key={name} value={name}>
            {RANGE_PRESET_LABELS[name]}
          </option>
        ))}
        <option value={CUSTOM} disabled>
          Custom
        </option>
      </SelectField>
      <TextField
        label="From"
        type="date"
        value={draft.from}
        max={draft.to || undefined}
        onChange={(event) => editDate("from", event.target.value)}
        data-testid="dashboard-range-from"
        error={problem && problem.includes("start") ? problem : undefined}
      />
      <TextField
        label="To"
        type="date"
        value={draft.to}
        min={draft.from || undefined}
        onChange={(event) => editDate("to", event.target.value)}
        data-testid="dashboard-range-to"
        error={problem && !problem.includes("start") ? problem : undefined}
      />
      <SelectField
        label="Interval"
        value={interval}
        onChange={(event) => onInterval(event.target.value as Interval)}
        data-testid="dashboard-range-interval"
      >
        {INTERVALS.map((name) => (
          <option key={name} value={name}>
            {INTERVAL_LABELS[name]}
          </option>
        ))}
      </SelectField>
      <p className="pb-2 text-xs text-slate-600">Dates in {timeZone}</p>
    </form>
  );
}

function Card({ title, value, testId, children }: { title: string; value: string; testId: string; children?: ReactNode }) {
  return (
    <div className="rounded-lg bg-white p-4 shadow-sm ring-1 ring-slate-200">
      <dt className="text-sm font-medium text-slate-700">{title}</dt>
      <dd className="mt-1">
        <span className="block text-2xl font-semibold tabular-nums text-slate-900" data-testid={testId}>
          {value}
        </span>
        {children}
      </dd>
    </div>
  );
}

function SummaryCards({ range }: { range: DateRange }) {
  const summary = useSummary(range);
  return (
    <section aria-labelledby="dashboard-summary-heading" className="flex flex-col gap-3">
      <div className="flex flex-wrap items-center gap-3">
        <h2 id="dashboard-summary-heading" className="text-lg font-semibold">
          Key figures
        </h2>
        <CsvButton series="summary" range={range} interval="day" testId="dashboard-summary-csv" label="Download key figures as CSV" />
      </div>
      {summary.isError && <ErrorAlert error={errorOf(summary.error)} testId="dashboard-summary-error" />}
      {summary.isPending ? (
        <p role="status" data-testid="dashboard-summary-loading" className="text-sm text-slate-700">
          Loading key figures…
        </p>
      ) : (
        summary.data && <SummaryGrid summary={summary.data} />
      )}
    </section>
  );
}

function SummaryGrid({ summary }: { summary: Summary }) {
  const statuses = Object.entries(summary.bookings.by_status).filter(([, count]) => count > 0);
  return (
    <dl className="grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-4" data-testid="dashboard-summary-cards">
      <Card title="Bookings" value={String(summary.bookings.total)} testId="dashboard-kpi-bookings">
        {statuses.length > 0 && (
          <ul className="mt-2 flex flex-wrap gap-x-3 gap-y-1 text-xs text-slate-700" aria-label="Bookings by status">
            {statuses.map(([status, count]) => (
              <li key={status} data-testid={`dashboard-kpi-bookings-${status}`}>
                {statusLabel(status)}: <span className="font-semibold tabular-nums">{count}</span>
              </li>
            ))}
          </ul>
        )}
      </Card>
      <Card title="Utilization" value={formatRate(summary.utilization)} testId="dashboard-kpi-utilization">
        <p className="mt-2 text-xs text-slate-700">
          {formatHours(summary.booked_minutes)} booked of {formatHours(summary.available_minutes)}
        </p>
      </Card>
      <Card title="No-show rate" value={formatRate(summary.no_show_rate)} testId="dashboard-kpi-no-show" />
      <Card title="Cancellation rate" value={formatRate(summary.cancellation_rate)} testId="dashboard-kpi-cancellation" />
      <Card title="Revenue (gross)" value={formatMoney(summary.revenue_gross, MISSING)} testId="dashboard-kpi-revenue-gross" />
      <Card title="Refunds" value={formatMoney(summary.refunds, MISSING)} testId="dashboard-kpi-refunds" />
      <Card title="Revenue (net)" value={formatMoney(summary.revenue_net, MISSING)} testId="dashboard-kpi-revenue-net" />
      <Card title="Invoiced" value={formatMoney(summary.invoiced, MISSING)} testId="dashboard-kpi-invoiced">
        <p className="mt-2 text-xs text-slate-700">
          Outstanding at the end: <span className="font-semibold" data-testid="dashboard-kpi-outstanding">{formatMoney(summary.outstanding, MISSING)}</span>
        </p>
      </Card>
    </dl>
  );
}

function CsvButton({ series, range, interval, testId, label }: { series: CsvSeries; range: DateRange; interval: Interval; testId: string; label: string }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<UserError | null>(null);
  return (
    <span className="ml-auto inline-flex flex-wrap items-center gap-2">
      <Button
        variant="secondary"
        disabled={busy}
        aria-label={label}
        data-testid={testId}
        onClick={async () => {
          setBusy(true);
          setError(null);
          try {
            const { blob, filename } = await fetchAnalyticsCsv(series, range, interval);
            saveBlob(blob, filename);
          } catch (caught) {
            setError(errorOf(caught));
          } finally {
            setBusy(false);
          }
        }}
      >
        {busy ? "Preparing…" : "Download CSV"}
      </Button>
      <ErrorAlert error={error} testId={`${testId}-error`} />
    </span>
  );
}

function ChartSection({
  id,
  title,
  csv,
  children,
}: {
  id: string;
  title: string;
  csv: ReactNode;
  children: ReactNode;
}) {
  return (
    <section aria-labelledby={`${id}-heading`} className="flex flex-col gap-3 rounded-lg bg-white p-4 shadow-sm ring-1 ring-slate-200">
      <div className="flex flex-wrap items-center gap-3">
        <h2 id={`${id}-heading`} className="text-lg font-semibold">
          {title}
        </h2>
        {csv}
      </div>
      {children}
    </section>
  );
}

const COLORS = { gross: "#4338ca", refunds: "#b91c1c", net: "#047857", invoiced: "#a16207" };

function RevenueChart({ range, interval }: { range: DateRange; interval: Interval }) {
  const revenue = useRevenue(range, interval);
  const points = useMemo(() => revenueChartData(revenue.data ?? [], interval), [revenue.data, interval]);
  const currency = revenue.data?.[0]?.revenue_net.currency ?? "EUR";
  const money = (value: number) => formatMoney({ amount: value.toFixed(2), currency }, MISSING);
  const total = revenue.data?.reduce((sum, item) => sum + Number(item.revenue_net.amount), 0) ?? 0;
  return (
    <ChartSection
      id="dashboard-revenue"
      title={`Revenue per ${interval}`}
      csv={<CsvButton series="revenue" range={range} interval={interval} testId="dashboard-revenue-csv" label="Download revenue as CSV" />}
    >
      {revenue.isError && <ErrorAlert error={errorOf(revenue.error)} testId="dashboard-revenue-error" />}
      {revenue.isPending ? (
        <p role="status" data-testid="dashboard-revenue-loading" className="text-sm text-slate-700">
          Loading revenue…
        </p>
      ) : revenue.data && revenueIsEmpty(points) ? (
        <p data-testid="dashboard-revenue-empty" className="text-sm text-slate-700">
          No payments, refunds or invoices in this range.
        </p>
      ) : (
        revenue.data && (
          <>
            <p id="dashboard-revenue-summary" className="text-sm text-slate-700" data-testid="dashboard-revenue-summary">
              Net revenue {money(total)} over {points.length} {points.length === 1 ? interval : `${interval}s`}.
            </p>
            <div role="img" aria-labelledby="dashboard-revenue-heading dashboard-revenue-summary" className="h-72 w-full overflow-hidden" data-testid="dashboard-revenue-chart">
              <ResponsiveContainer width="100%" height="100%">
                <LineChart data={points} margin={{ top: 8, right: 16, bottom: 8, left: 8 }} accessibilityLayer={false}>
                  <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
                  <XAxis dataKey="label" tick={{ fontSize: 12, fill: "#334155" }} minTickGap={16} />
                  <YAxis tick={{ fontSize: 12, fill: "#334155" }} width={72} tickFormatter={(value: number) => money(value)} />
                  <Tooltip formatter={(value) => money(Number(value))} />
                  <Legend />
                  <Line type="linear" dataKey="gross" name="Gross" stroke={COLORS.gross} dot={false} strokeWidth={2} isAnimationActive={false} />
                  <Line type="linear" dataKey="refunds" name="Refunds" stroke={COLORS.refunds} dot={false} strokeWidth={2} isAnimationActive={false} />
                  <Line type="linear" dataKey="net" name="Net" stroke={COLORS.net} dot={false} strokeWidth={2} isAnimationActive={false} />
                  <Line type="linear" dataKey="invoiced" name="Invoiced" stroke={COLORS.invoiced} dot={false} strokeDasharray="4 3" isAnimationActive={false} />
                </LineChart>
              </ResponsiveContainer>
            </div>
            <details className="text-sm">
              <summary className="cursor-pointer font-medium text-indigo-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600" data-testid="dashboard-revenue-table-toggle">
                Revenue as a table
              </summary>
              <div className="mt-2">
                <Table caption={`Revenue per ${interval}`} head={[INTERVAL_LABELS[interval], "Gross", "Refunds", "Net", "Invoiced"]} numeric={["Gross", "Refunds", "Net", "Invoiced"]} testId="dashboard-revenue-table">
                  {(revenue.data ?? []).map((item, index) => (
                    <tr key={item.bucket} data-testid="dashboard-revenue-row">
                      <td className="px-3 py-1 whitespace-nowrap">{points[index]?.label}</td>
                      <td className="px-3 py-1 text-right tabular-nums">{formatMoney(item.revenue_gross, MISSING)}</td>
                      <td className="px-3 py-1 text-right tabular-nums">{formatMoney(item.refunds, MISSING)}</td>
                      <td className="px-3 py-1 text-right tabular-nums">{formatMoney(item.revenue_net, MISSING)}</td>
                      <td className="px-3 py-1 text-right tabular-nums">{formatMoney(item.invoiced, MISSING)}</td>
                    </tr>
                  ))}
                </Table>
              </div>
            </details>
          </>
        )
      )}
    </ChartSection>
  );
}

function UtilizationChart({ range, interval }: { range: DateRange; interval: Interval }) {
  // The chart shows each resource's total over the range, the same whatever the buckets: month
  // buckets keep the JSON series smallest (the server refuses one of more than 20,000 cells).
  // The CSV keeps the chosen interval; it streams and is not bounded.
  const utilization = useUtilization(range, "month");
  const rows = useMemo(() => utilizationByResource(utilization.data ?? []), [utilization.data]);
  const busiest = rows.reduce<(typeof rows)[number] | null>((best, row) => (best === null || (row.ratio ?? -1) > (best.ratio ?? -1) ? row : best), null);
  return (
    <ChartSection
      id="dashboard-utilization"
      title="Utilization per resource"
      csv={<CsvButton series="utilization" range={range} interval={interval} testId="dashboard-utilization-csv" label="Download utilization as CSV" />}
    >
      {utilization.isError && <ErrorAlert error={errorOf(utilization.error)} testId="dashboard-utilization-error" />}
      {utilization.isPending ? (
        <p role="status" data-testid="dashboard-utilization-loading" className="text-sm text-slate-700">
          Loading utilization…
        </p>
      ) : utilization.data && rows.length === 0 ? (
        <p data-testid="dashboard-utilization-empty" className="text-sm text-slate-700">
          No active resources in this range.
        </p>
      ) : (
        utilization.data && (
          <>
            <p id="dashboard-utilization-summary" className="text-sm text-slate-700" data-testid="dashboard-utilization-summary">
              {rows.length} {rows.length === 1 ? "resource" : "resources"}
              {busiest && busiest.ratio !== null ? `; the busiest is ${busiest.name} at ${formatRatio(busiest.ratio)}.` : "."}
            </p>
            <div
              role="img"
              aria-labelledby="dashboard-utilization-heading dashboard-utilization-summary"
              className="w-full overflow-hidden"
              style={{ height: Math.max(160, rows.length * 44 + 40) }}
              data-testid="dashboard-utilization-chart"
            >
              <ResponsiveContainer width="100%" height="100%">
                <BarChart data={rows} layout="vertical" margin={{ top: 8, right: 24, bottom: 8, left: 8 }} accessibilityLayer={false}>
                  <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" horizontal={false} />
                  <XAxis type="number" domain={[0, 100]} unit="%" tick={{ fontSize: 12, fill: "#334155" }} />
                  <YAxis type="category" dataKey="name" width={120} tick={{ fontSize: 12, fill: "#334155" }} />
                  <Tooltip formatter={(value) => `${Number(value)}%`} />
                  <Bar dataKey="percent" name="Utilization" fill={COLORS.gross} isAnimationActive={false} />
                </BarChart>
              </ResponsiveContainer>
            </div>
            <details className="text-sm">
              <summary className="cursor-pointer font-medium text-indigo-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600" data-testid="dashboard-utilization-table-toggle">
                Utilization as a table
              </summary>
              <div className="mt-2">
                <Table caption="Utilization per resource" head={["Resource", "Booked", "Available", "Utilization"]} numeric={["Booked", "Available", "Utilization"]} testId="dashboard-utilization-table">
                  {rows.map((row) => (
                    <tr key={row.resourceId} data-testid="dashboard-utilization-row">
                      <td className="px-3 py-1">{row.name}</td>
                      <td className="px-3 py-1 text-right tabular-nums">{formatHours(row.bookedMinutes)}</td>
                      <td className="px-3 py-1 text-right tabular-nums">{formatHours(row.availableMinutes)}</td>
                      <td className="px-3 py-1 text-right tabular-nums">{formatRatio(row.ratio)}</td>
                    </tr>
                  ))}
                </Table>
              </div>
            </details>
          </>
        )
      )}
    </ChartSection>
  );
}
