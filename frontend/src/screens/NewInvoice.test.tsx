import { cleanup, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { NewInvoice } from "./NewInvoice";
import { json, renderAt } from "./moneyTestkit";

const settings = { currency: "JPY", invoice_prefix: "INV-", next_invoice_number: 1, payment_terms_days: 14, default_tax_rate: "10" };
const service = {
  id: "s1",
  name: "Massage",
  duration_minutes: 60,
  price: { amount: "5000", currency: "JPY" },
  buffer_before_minutes: 0,
  buffer_after_minutes: 0,
  capacity: 1,
  is_active: true,
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
};
const contact = { id: "c1", first_name: "Anna", last_name: "Schmidt", email: null, phone: null, tags: [] };

function stubBackend(services: Promise<unknown[]> | unknown[] = [service]) {
  const posted: { body: unknown; key: string | null }[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (request: Request) => {
      const { pathname } = new URL(request.url);
      if (pathname === "/api/v1/billing/settings") return json(settings);
      if (pathname === "/api/v1/services") return json({ items: await services, next_cursor: null });
      if (pathname === "/api/v1/contacts") return json({ items: [contact], next_cursor: null });
      if (request.method === "POST" && pathname === "/api/v1/invoices") {
        posted.push({ body: await request.json(), key: request.headers.get("Idempotency-Key") });
        return json({ id: "inv9" }, 201);
      }
      return json({ title: "Not found" }, 404);
    }),
  );
  return posted;
}

describe("NewInvoice", () => {
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it("previews the totals in the billing currency and saves the lines as typed", async () => {
    const posted = stubBackend();
    renderAt("/invoices/new", "/invoices/new", <NewInvoice />);
    const currency = (await screen.findByTestId("invoices-form-currency")) as HTMLSelectElement;
    expect(currency.value).toBe("JPY");
    expect((screen.getByTestId("invoices-form-line-tax-rate") as HTMLInputElement).value).toBe("10");

    fireEvent.click(await screen.findByTestId("invoices-form-contact-option"));
    const first = screen.getAllByTestId("invoices-form-line")[0]!;
    const serviceSelect = within(first).getByTestId("invoices-form-line-service");
    await waitFor(() => expect(within(serviceSelect).getAllByRole("option")).toHaveLength(2));
    expect(screen.queryByTestId("invoices-form-services-loading")).toBeNull();
    expect(screen.queryByTestId("invoices-form-services-empty")).toBeNull();
    fireEvent.change(serviceSelect, { target: { value: "s1" } });
    expect((within(first).getByTestId("invoices-form-line-description") as HTMLInputElement).value).toBe("Massage");
    expect((within(first).getByTestId("invoices-form-line-price") as HTMLInputElement).value).toBe("5000");
    fireEvent.change(within(first).getByTestId("invoices-form-line-quantity"), { target: { value: "1.5" } });
    expect(within(first).getByTestId("invoices-form-line-total").textContent).toBe("JP¥8,250");

    fireEvent.click(screen.getByTestId("invoices-form-add-line"));
    const second = screen.getAllByTestId("invoices-form-line")[1]!;
    fireEvent.change(within(second).getByTestId("invoices-form-line-description"), { target: { value: "Oil" } });
    fireEvent.change(within(second).getByTestId("invoices-form-line-price"), { target: { value: "333.12345" } });
    expect(screen.getByTestId("invoices-form-preview-incomplete")).toBeTruthy();
    fireEvent.click(screen.getByTestId("invoices-form-submit"));
    expect(await within(second).findByText(/at most 4 decimals/)).toBeTruthy();
    expect(posted).toHaveLength(0);

    fireEvent.change(within(second).getByTestId("invoices-form-line-price"), { target: { value: "333" } });
    // 1.5 × 5000 = 7500 (+750 tax); 333 (+33.3 → 33 tax)
    expect(screen.getByTestId("invoices-form-preview-net").textContent).toBe("JP¥7,833");
    expect(screen.getByTestId("invoices-form-preview-tax").textContent).toBe("JP¥783");
    expect(screen.getByTestId("invoices-form-preview-total").textContent).toBe("JP¥8,616");

    fireEvent.click(screen.getAllByTestId("invoices-form-line-remove")[1]!);
    expect(screen.getAllByTestId("invoices-form-line")).toHaveLength(1);
    expect(screen.getByTestId("invoices-form-preview-total").textContent).toBe("JP¥8,250");
    fireEvent.click(screen.getByTestId("invoices-form-submit"));
    await screen.findByTestId("testkit-elsewhere");
    expect(posted).toHaveLength(1);
    expect(posted[0]!.key).toMatch(/^[0-9a-f-]{36}$/);
    expect(posted[0]!.body).toMatchObject({
      contact_id: "c1",
      currency: "JPY",
      lines: [{ description: "Massage", quantity: "1.5", unit_price: "5000", tax_rate: "10", service_id: "s1" }],
    });
  });

  it("says the catalog is loading, then that it has no active service", async () => {
    let answer: (items: unknown[]) => void = () => undefined;
    stubBackend(new Promise((resolve) => (answer = resolve)));
    renderAt("/invoices/new", "/invoices/new", <NewInvoice />);
    expect((await screen.findByTestId("invoices-form-services-loading")).textContent).toMatch(/Loading/);
    expect(screen.queryByTestId("invoices-form-services-empty")).toBeNull();
    answer([{ ...service, is_active: false }]);
    expect((await screen.findByTestId("invoices-form-services-empty")).textContent).toMatch(/No active services/);
    expect(screen.queryByTestId("invoices-form-services-loading")).toBeNull();
  });
});
