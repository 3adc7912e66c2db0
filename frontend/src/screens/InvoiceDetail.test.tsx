import { cleanup, fireEvent, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { InvoiceDetail } from "./InvoiceDetail";
import type { Invoice } from "./moneyData";
import { json, polyfillDialog, renderAt } from "./moneyTestkit";

const money = (amount: string) => ({ amount, currency: "EUR" });
const invoice = {
  id: "inv1",
  number: "INV-000007",
  status: "issued",
  overdue: false,
  contact_id: "c1",
  booking_id: null,
  currency: "EUR",
  issue_date: "2026-12-01",
  due_date: "2026-12-15",
  notes: "",
  void_reason: null,
  lines: [
    {
      id: "l1",
      description: "Massage",
      quantity: "2",
      unit_price: money("50.00"),
      tax_rate: "20",
      service_id: null,
      net: money("100.00"),
      tax: money("20.00"),
      total: money("120.00"),
    },
  ],
  net_total: money("100.00"),
  tax_total: money("20.00"),
  total: money("120.00"),
  amount_paid: money("0.00"),
  amount_refunded: money("0.00"),
  amount_due: money("120.00"),
  issued_at: "2026-12-01T10:00:00Z",
  voided_at: null,
  created_at: "2026-12-01T09:00:00Z",
  updated_at: "2026-12-01T10:00:00Z",
} as unknown as Invoice;
const contact = { id: "c1", first_name: "Anna", last_name: "Schmidt", email: null, phone: null, tags: [] };

/** Answers the backend's GETs; POST /payments is the test's `pay`. */
function stubBackend(pay: (request: Request) => Promise<Response>) {
  const fetchMock = vi.fn(async (input: Request) => {
    const { pathname } = new URL(input.url);
    if (input.method === "GET" && pathname === "/api/v1/invoices/inv1") return json(invoice);
    if (input.method === "GET" && pathname === "/api/v1/contacts/c1") return json(contact);
    if (input.method === "GET" && pathname === "/api/v1/payments") return json({ items: [], next_cursor: null });
    if (input.method === "POST" && pathname === "/api/v1/payments") return pay(input);
    return json({ title: "Not found" }, 404);
  });
  vi.stubGlobal("fetch", fetchMock);
  return fetchMock;
}

function renderDetail() {
  renderAt("/invoices/inv1", "/invoices/:id", <InvoiceDetail />);
}

describe("InvoiceDetail", () => {
  beforeEach(polyfillDialog);
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it("shows the lines and totals, and the actions of an issued invoice", async () => {
    stubBackend(async () => json({ title: "unused" }, 500));
    renderDetail();
    expect(await screen.findByTestId("invoices-detail-title")).toHaveProperty("textContent", "Invoice INV-000007");
    expect(screen.getByTestId("invoices-detail-total").textContent).toBe("€120.00");
    expect(screen.getByTestId("invoices-detail-amount-due").textContent).toBe("€120.00");
    expect(screen.getByTestId("invoices-detail-status").textContent).toBe("Issued");
    expect(screen.getAllByTestId("invoices-detail-line")).toHaveLength(1);
    // The payments list says it is loading, then that there are none, instead of vanishing.
    expect((await screen.findByTestId("invoices-detail-payments-empty")).textContent).toMatch(/No payments/);
    expect(screen.queryByTestId("invoices-detail-payments-loading")).toBeNull();
    await waitFor(() => expect(screen.getByTestId("invoices-detail-contact").textContent).toBe("Anna Schmidt"));
    for (const action of ["pay", "void", "pdf"]) expect(screen.queryByTestId(`invoices-detail-${action}`)).not.toBeNull();
    for (const action of ["edit", "issue", "delete"]) expect(screen.queryByTestId(`invoices-detail-${action}`)).toBeNull();
  });

  it("reuses the Idempotency-Key when the same payment is submitted again, and not for another amount", async () => {
    const keys: (string | null)[] = [];
    const bodies: unknown[] = [];
    stubBackend(async (request) => {
      keys.push(request.headers.get("Idempotency-Key"));
      bodies.push(await request.json());
      throw new TypeError("network down");
    });
    renderDetail();
    fireEvent.click(await screen.findByTestId("invoices-detail-pay"));
    const amount = screen.getByTestId("invoices-pay-amount") as HTMLInputElement;
    expect(amount.value).toBe("120.00");
    fireEvent.change(amount, { target: { value: "20.00" } });
    const submit = screen.getByTestId("invoices-pay-submit");
    fireEvent.click(submit);
    await screen.findByTestId("invoices-pay-error");
    await waitFor(() => expect(submit).toHaveProperty("disabled", false));
    fireEvent.click(submit);
    await waitFor(() => expect(keys).toHaveLength(2));
    await waitFor(() => expect(submit).toHaveProperty("disabled", false));
    fireEvent.change(amount, { target: { value: "25.00" } });
    fireEvent.click(submit);
    await waitFor(() => expect(keys).toHaveLength(3));

    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(keys[1]).toBe(keys[0]);
    expect(keys[2]).not.toBe(keys[0]);
    expect(bodies[0]).toMatchObject({ contact_id: "c1", invoice_id: "inv1", amount: money("20.00"), method: "transfer" });
  });

  it("makes a new key after a refusal, which did nothing", async () => {
    const keys: (string | null)[] = [];
    stubBackend(async (request) => {
      keys.push(request.headers.get("Idempotency-Key"));
      return json({ title: "Overpayment", detail: "The payment is more than the amount due.", code: "overpayment" }, 409);
    });
    renderDetail();
    fireEvent.click(await screen.findByTestId("invoices-detail-pay"));
    const submit = screen.getByTestId("invoices-pay-submit");
    fireEvent.click(submit);
    expect((await screen.findByTestId("invoices-pay-error")).textContent).toContain("more than the amount due");
    await waitFor(() => expect(submit).toHaveProperty("disabled", false));
    fireEvent.click(submit);
    await waitFor(() => expect(keys).toHaveLength(2));
    expect(keys[1]).not.toBe(keys[0]);
  });

  it("checks the amount before sending: not above the amount due", async () => {
    const pay = vi.fn(async () => json({}, 201));
    stubBackend(pay);
    renderDetail();
    fireEvent.click(await screen.findByTestId("invoices-detail-pay"));
    fireEvent.change(screen.getByTestId("invoices-pay-amount"), { target: { value: "120.01" } });
    fireEvent.click(screen.getByTestId("invoices-pay-submit"));
    expect((await screen.findByText(/At most the amount due/)).textContent).toContain("€120.00");
    expect(screen.getByTestId("invoices-pay-amount").getAttribute("aria-invalid")).toBe("true");
    expect(pay).not.toHaveBeenCalled();
  });
});
