import { cleanup, fireEvent, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ContactImport } from "./contactData";
import { Contacts } from "./Contacts";
import { ContactTransfer, importProgress } from "./ContactTransfer";
import { json, renderAt } from "./moneyTestkit";

const queued: ContactImport = {
  id: "i1",
  filename: "people.csv",
  format: "csv",
  status: "queued",
  rows_total: 0,
  rows_done: 0,
  created: 0,
  updated: 0,
  rejected: 0,
  errors: [],
  errors_truncated: false,
  failure_reason: "",
  created_at: "2026-12-02T10:00:00Z",
  started_at: null,
  finished_at: null,
};
const done: ContactImport = {
  ...queued,
  status: "done",
  rows_total: 3,
  rows_done: 3,
  created: 1,
  updated: 1,
  rejected: 1,
  errors: [{ row: 3, field: "email", message: "Not a valid email address." }],
  started_at: "2026-12-02T10:00:01Z",
  finished_at: "2026-12-02T10:00:02Z",
};

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe("importProgress", () => {
  it("says where an import stands in words", () => {
    expect(importProgress(queued)).toBe("Waiting to start (people.csv).");
    expect(importProgress({ ...queued, status: "running", rows_total: 10_000, rows_done: 1200 })).toBe(
      "Importing people.csv: 1,200 of 10,000 rows.",
    );
    expect(importProgress(done)).toBe("Imported people.csv: 1 created, 1 updated, 1 rejected.");
    expect(importProgress({ ...queued, status: "failed", failure_reason: "The file is not UTF-8." })).toBe(
      "The import of people.csv failed: The file is not UTF-8.",
    );
  });
});

describe("ContactTransfer", () => {
  it("uploads the chosen file as multipart form data and follows the import until it is done", async () => {
    const uploads: Request[] = [];
    let polls = 0;
    vi.stubGlobal(
      "fetch",
      vi.fn(async (request: Request) => {
        const { pathname } = new URL(request.url);
        if (pathname === "/api/v1/contacts/import" && request.method === "POST") {
          uploads.push(request.clone());
          return json(queued, 202);
        }
        if (pathname === "/api/v1/contacts/imports/i1") return json(++polls < 2 ? { ...queued, status: "running", rows_total: 3, rows_done: 1 } : done);
        return json({ detail: "unexpected" }, 404);
      }),
    );
    const appended = vi.spyOn(FormData.prototype, "append");
    renderAt("/contacts", "/contacts", <ContactTransfer />);
    const input = (await screen.findByTestId("contacts-import-file")) as HTMLInputElement;
    const file = new File(["first_name,email\nAnna,anna@example.org\n"], "people.csv", { type: "text/csv" });
    fireEvent.change(input, { target: { files: [file] } });

    await waitFor(() => expect(screen.getByTestId("contacts-import-status").textContent).toBe(importProgress(done)));
    expect(uploads).toHaveLength(1);
    const [upload] = uploads as [Request];
    expect(upload.headers.get("Authorization")).toBe("Bearer a1");
    expect(upload.headers.get("Content-Type")).toMatch(/^multipart\/form-data; boundary=/);
    // jsdom's File does not survive Node's Request (its bytes arrive empty), so the form is
    // checked as it was built: the chosen file itself, under its name, in the `file` part.
    expect(appended.mock.calls).toEqual([["file", file, "people.csv"]]);
    const rows = screen.getAllByTestId("contacts-import-error-row").map((row) => row.textContent);
    expect(rows).toEqual(["3emailNot a valid email address."]);
  });

  it("says a refused file in words", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(async () =>
        json({ title: "Unsupported", status: 415, code: "import_unsupported_type", detail: "Upload a CSV or XLSX file.", errors: [] }, 415),
      ),
    );
    renderAt("/contacts", "/contacts", <ContactTransfer />);
    const input = await screen.findByTestId("contacts-import-file");
    fireEvent.change(input, { target: { files: [new File(["x"], "notes.txt", { type: "text/plain" })] } });
    expect((await screen.findByTestId("contacts-transfer-error")).textContent).toBe("Upload a CSV or XLSX file.");
    expect(screen.queryByTestId("contacts-import-report")).toBeNull();
  });

  it("downloads every contact as CSV under the server's file name", async () => {
    const asked: Request[] = [];
    vi.stubGlobal(
      "fetch",
      vi.fn(async (request: Request) => {
        asked.push(request);
        return new Response("id,first_name\nc1,Anna\n", {
          headers: { "Content-Type": "text/csv", "Content-Disposition": 'attachment; filename="contacts-2026-12-02.csv"' },
        });
      }),
    );
    vi.stubGlobal("URL", Object.assign(URL, { createObjectURL: vi.fn(() => "blob:csv"), revokeObjectURL: vi.fn() }));
    const clicked: string[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push(this.download);
    });
    renderAt("/contacts", "/contacts", <ContactTransfer />);
    fireEvent.click(await screen.findByTestId("contacts-export-csv"));
    await waitFor(() => expect(clicked).toEqual(["contacts-2026-12-02.csv"]));
    const url = new URL((asked as [Request])[0].url);
    expect([url.pathname, url.search]).toEqual(["/api/v1/contacts/export", "?format=csv"]);
  });

  it("is offered to staff and above, not to viewers", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => json({ items: [], next_cursor: null })));
    renderAt("/contacts", "/contacts", <Contacts />, "viewer");
    await screen.findByTestId("contacts-list-empty");
    expect(screen.queryByTestId("contacts-transfer")).toBeNull();
    cleanup();
    renderAt("/contacts", "/contacts", <Contacts />, "staff");
    expect(await screen.findByTestId("contacts-transfer")).toBeTruthy();
  });
});
