// Contacts in bulk: every contact as one CSV download, and a CSV or XLSX file imported in the
// background with its progress and the reason for each rejected row.
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState } from "react";
import { saveBlob } from "../api/download";
import { errorOf, type UserError } from "../api/problem";
import { useMe } from "../auth/AuthContext";
import { Button, ErrorAlert, Table } from "../ui";
import { fetchContactsCsv, startContactImport, useContactImport, type ContactImport } from "./contactData";

/** The import's state in words: "Importing… 1,200 of 10,000 rows". */
export function importProgress(job: ContactImport, locale = "en-GB"): string {
  const n = (value: number) => value.toLocaleString(locale);
  switch (job.status) {
    case "queued":
      return `Waiting to start (${job.filename}).`;
    case "running":
      return `Importing ${job.filename}: ${n(job.rows_done)} of ${n(job.rows_total)} rows.`;
    case "done":
      return `Imported ${job.filename}: ${n(job.created)} created, ${n(job.updated)} updated, ${n(job.rejected)} rejected.`;
    case "failed":
      return `The import of ${job.filename} failed${job.failure_reason ? `: ${job.failure_reason}` : "."}`;
  }
}

export function ContactTransfer() {
  const me = useMe();
  const queryClient = useQueryClient();
  const inputId = useId();
  const input = useRef<HTMLInputElement>(null);
  const [importId, setImportId] = useState<string | null>(null);
  const [busy, setBusy] = useState<"export" | "import" | null>(null);
  const [error, setError] = useState<UserError | null>(null);
  const job = useContactImport(importId);
  const finished = job.data?.status === "done";

  useEffect(() => {
    // New and updated contacts belong in the list as soon as the import has written them.
    if (finished) void queryClient.invalidateQueries({ queryKey: ["contacts", me.organization_id] });
  }, [finished, queryClient, me.organization_id]);

  async function run(kind: "export" | "import", work: () => Promise<void>) {
    setBusy(kind);
    setError(null);
    try {
      await work();
    } catch (caught) {
      setError(errorOf(caught));
    } finally {
      setBusy(null);
    }
  }

  return (
    <div className="flex flex-col gap-3" data-testid="contacts-transfer">
      <div className="flex flex-wrap items-center gap-2">
        <Button
          variant="secondary"
          disabled={busy !== null}
          data-testid="contacts-export-csv"
          onClick={() =>
            run("export", async () => {
              const { blob, filename } = await fetchContactsCsv();
              saveBlob(blob, filename);
            })
          }
        >
          {busy === "export" ? "Preparing…" : "Export CSV"}
        </Button>
        <label
          htmlFor={inputId}
          className={`inline-flex cursor-pointer items-center rounded-md bg-white px-3 py-2 text-sm font-semibold text-slate-900 ring-1 ring-slate-300 hover:bg-slate-50 focus-within:outline-2 focus-within:outline-offset-2 focus-within:outline-indigo-600 ${busy ? "opacity-60" : ""}`}
        >
          {busy === "import" ? "Uploading…" : "Import CSV or XLSX"}
          <input
            id={inputId}
            ref={input}
            type="file"
            accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            className="sr-only"
            disabled={busy !== null}
            data-testid="contacts-import-file"
            onChange={(event) => {
              const file = event.target.files?.[0];
              if (!file) return;
              void run("import", async () => {
                const started = await startContactImport(file);
                queryClient.setQueryData(["contact-import", me.organization_id, started.id], started);
                setImportId(started.id);
              }).finally(() => {
                if (input.current) input.current.value = "";
              });
            }}
          />
        </label>
        <span className="text-xs text-slate-700">Columns: first_name, last_name, email, phone, notes, tags</span>
      </div>
      <ErrorAlert error={error} testId="contacts-transfer-error" />
      {job.isError && <ErrorAlert error={errorOf(job.error)} testId="contacts-import-error" />}
      {job.data && <ImportReport job={job.data} />}
    </div>
  );
}

function ImportReport({ job }: { job: ContactImport }) {
  const running = job.status === "queued" || job.status === "running";
  return (
    <section aria-label="Import" className="flex flex-col gap-2 rounded-md border border-slate-200 bg-white p-3" data-testid="contacts-import-report">
      <p role="status" className="text-sm" data-testid="contacts-import-status">
        {importProgress(job)}
      </p>
      {running && job.rows_total > 0 && (
        <progress className="w-full" max={job.rows_total} value={job.rows_done} aria-label="Rows imported" />
      )}
      {job.errors.length > 0 && (
        <Table caption="Rejected rows" head={["Row", "Field", "Reason"]} testId="contacts-import-errors">
          {job.errors.map((e) => (
            <tr key={`${e.row}:${e.field ?? ""}:${e.message}`} data-testid="contacts-import-error-row">
              <td className="px-3 py-2">{e.row}</td>
              <td className="px-3 py-2">{e.field ?? ""}</td>
              <td className="px-3 py-2">{e.message}</td>
            </tr>
          ))}
        </Table>
      )}
      {job.errors_truncated && (
        <p className="text-xs text-slate-700">
          More rows were rejected than are listed here ({job.rejected.toLocaleString("en-GB")} in all).
        </p>
      )}
    </section>
  );
}
