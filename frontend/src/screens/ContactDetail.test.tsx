import { cleanup, fireEvent, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ContactDetail, NewContact } from "./ContactDetail";
import type { Contact } from "./contactLogic";
import { json, me, polyfillDialog, renderAt } from "./moneyTestkit";

const anna: Contact = {
  id: "c1",
  first_name: "Anna",
  last_name: "Schmidt",
  email: "anna@example.org",
  phone: "+4930123456",
  notes: "Prefers mornings",
  tags: ["vip"],
  archived_at: null,
  erased_at: null,
  created_at: "2026-12-01T10:00:00Z",
  updated_at: "2026-12-01T10:00:00Z",
};
const erased: Contact = { ...anna, first_name: "Erased", last_name: "", email: null, phone: null, notes: "", tags: [], archived_at: "2026-12-02T10:00:00Z", erased_at: "2026-12-02T10:00:00Z" };
const empty = { items: [], next_cursor: null };

/** The backend's GETs for the detail page; the test decides the writes. */
function stubBackend(write: (request: Request) => Promise<Response>) {
  const writes: Request[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: Request) => {
      const { pathname } = new URL(input.url);
      if (input.method !== "GET") {
        writes.push(input);
        return write(input);
      }
      if (pathname === "/api/v1/contacts/c1") return json(anna);
      if (pathname === "/api/v1/contacts/c1/balance") return json(empty);
      if (["/api/v1/bookings", "/api/v1/invoices", "/api/v1/payments", "/api/v1/resources", "/api/v1/services"].includes(pathname)) return json(empty);
      return json({ title: "Not found" }, 404);
    }),
  );
  return writes;
}

describe("ContactDetail", () => {
  beforeEach(polyfillDialog);
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it("erases only after the word is typed, then shows the anonymised contact", async () => {
    const writes = stubBackend(async () => json(erased));
    renderAt("/contacts/c1", "/contacts/:id", <ContactDetail />);
    expect((await screen.findByTestId("contacts-detail-email")).textContent).toBe("anna@example.org");
    fireEvent.click(screen.getByTestId("contacts-detail-erase"));
    const input = screen.getByTestId("contacts-erase-confirm-input");
    fireEvent.click(screen.getByTestId("contacts-erase-dialog-confirm"));
    expect(input.getAttribute("aria-invalid")).toBe("true");
    fireEvent.change(input, { target: { value: "eras" } });
    fireEvent.click(screen.getByTestId("contacts-erase-dialog-confirm"));
    expect(writes).toHaveLength(0);

    fireEvent.change(input, { target: { value: "erase" } });
    fireEvent.click(screen.getByTestId("contacts-erase-dialog-confirm"));
    await waitFor(() => expect(screen.getByTestId("contacts-detail-name").textContent).toBe("Erased"));
    expect(writes.map((request) => `${request.method} ${new URL(request.url).pathname}`)).toEqual(["POST /api/v1/contacts/c1/erase"]);
    expect(screen.getByTestId("contacts-detail-email").textContent).toBe("—");
    expect(screen.getByTestId("contacts-detail-erased")).toBeTruthy();
    expect(screen.queryByTestId("contacts-detail-erase")).toBeNull();
    expect(screen.queryByTestId("contacts-detail-edit")).toBeNull();
  });

  it("cancelling the erase dialog sends nothing and forgets what was typed", async () => {
    const writes = stubBackend(async () => json(erased));
    renderAt("/contacts/c1", "/contacts/:id", <ContactDetail />);
    fireEvent.click(await screen.findByTestId("contacts-detail-erase"));
    fireEvent.change(screen.getByTestId("contacts-erase-confirm-input"), { target: { value: "ERASE" } });
    fireEvent.click(screen.getByTestId("contacts-erase-dialog-cancel"));
    fireEvent.click(screen.getByTestId("contacts-detail-erase"));
    expect((screen.getByTestId("contacts-erase-confirm-input") as HTMLInputElement).value).toBe("");
    expect(writes).toHaveLength(0);
  });

  it("offers no erase to staff, and nothing to change to a viewer", async () => {
    stubBackend(async () => json({}, 500));
    const staff = { ...me, roles: ["staff" as const] };
    renderAt("/contacts/c1", "/contacts/:id", <ContactDetail />, staff);
    await screen.findByTestId("contacts-detail-export");
    expect(screen.queryByTestId("contacts-detail-erase")).toBeNull();
    cleanup();
    renderAt("/contacts/c1", "/contacts/:id", <ContactDetail />, { ...me, roles: ["viewer" as const] });
    await screen.findByTestId("contacts-detail-email");
    for (const action of ["edit", "export", "archive", "erase"]) expect(screen.queryByTestId(`contacts-detail-${action}`)).toBeNull();
  });

  it("edits and shows the API's field errors next to their fields", async () => {
    const writes = stubBackend(async () =>
      json({ title: "Validation failed", detail: "The contact has invalid fields.", errors: [{ field: "phone", message: "Not a valid phone number." }] }, 422),
    );
    renderAt("/contacts/c1", "/contacts/:id", <ContactDetail />);
    fireEvent.click(await screen.findByTestId("contacts-detail-edit"));
    const phone = screen.getByTestId("contacts-edit-phone");
    fireEvent.change(phone, { target: { value: "12" } });
    fireEvent.click(screen.getByTestId("contacts-edit-submit"));
    await waitFor(() => expect(phone.getAttribute("aria-invalid")).toBe("true"));
    const describedBy = phone.getAttribute("aria-describedby") ?? "";
    expect(document.getElementById(describedBy)?.textContent).toBe("Not a valid phone number.");
    expect(await writes[0]!.json()).toEqual({ phone: "12" });
  });
});

describe("NewContact", () => {
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it("asks for a first name before sending, then puts a taken email at the email field", async () => {
    const writes = stubBackend(async () =>
      json({ title: "Email already used by another contact", detail: "Another active contact has this email.", code: "contact_email_taken" }, 409),
    );
    renderAt("/contacts/new", "/contacts/new", <NewContact />);
    fireEvent.click(await screen.findByTestId("contacts-new-submit"));
    expect(screen.getByTestId("contacts-new-first-name").getAttribute("aria-invalid")).toBe("true");
    expect(writes).toHaveLength(0);
    fireEvent.change(screen.getByTestId("contacts-new-first-name"), { target: { value: "Anna" } });
    fireEvent.change(screen.getByTestId("contacts-new-email"), { target: { value: "anna@example.org" } });
    fireEvent.click(screen.getByTestId("contacts-new-submit"));
    const email = screen.getByTestId("contacts-new-email");
    await waitFor(() => expect(email.getAttribute("aria-invalid")).toBe("true"));
    expect(document.getElementById(email.getAttribute("aria-describedby") ?? "")?.textContent).toBe("Another active contact has this email.");
    expect(screen.getByTestId("contacts-new-error").textContent).not.toContain("contact_email_taken");
  });
});
