import { cleanup, fireEvent, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Payments } from "./Payments";
import { json, polyfillDialog, renderAt } from "./moneyTestkit";

const money = (amount: string) => ({ amount, currency: "EUR" });
const payment = {
  id: "p1",
  contact_id: "c1",
  invoice_id: "inv1",
  amount: money("10.00"),
  amount_refunded: money("0.00"),
  refundable: money("10.00"),
  method: "cash",
  reference: "",
  received_at: "2026-12-01T10:00:00Z",
  refunds: [],
  created_at: "2026-12-01T10:00:00Z",
};
const contact = { id: "c1", first_name: "Anna", last_name: "Schmidt", email: null, phone: null, tags: [] };

/** Answers the list and the contact; a refund POST is answered by `refund`. */
function stubBackend(refund: (request: Request) => Promise<Response>) {
  const posted: Request[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (request: Request) => {
      const { pathname } = new URL(request.url);
      if (request.method === "POST") {
        posted.push(request);
        return refund(request);
      }
      if (pathname === "/api/v1/payments") return json({ items: [payment], next_cursor: null });
      if (pathname === "/api/v1/contacts/c1") return json(contact);
      return json({ items: [], next_cursor: null });
    }),
  );
  return posted;
}

describe("Payments refund", () => {
  beforeEach(polyfillDialog);
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it("asks for a reason before sending anything", async () => {
    const posted = stubBackend(async () => json({}, 201));
    renderAt("/payments", "/payments", <Payments />);
    fireEvent.click(await screen.findByTestId("payments-list-refund-button"));
    fireEvent.change(screen.getByTestId("payments-refund-amount"), { target: { value: "4.00" } });
    fireEvent.click(screen.getByTestId("payments-refund-dialog-confirm"));
    expect((await screen.findByText("Enter why the money is refunded.")).textContent).toBe("Enter why the money is refunded.");
    expect(posted).toHaveLength(0);
  });

  it("shows a problem+json refusal in words, never its code", async () => {
    const posted = stubBackend(async () =>
      json({ type: "about:blank", title: "Conflict", status: 409, code: "refund_window_closed", detail: "Refunds are closed for this payment." }, 409),
    );
    renderAt("/payments", "/payments", <Payments />);
    fireEvent.click(await screen.findByTestId("payments-list-refund-button"));
    fireEvent.change(screen.getByTestId("payments-refund-amount"), { target: { value: "4.00" } });
    fireEvent.change(screen.getByTestId("payments-refund-reason"), { target: { value: "Half the session was cancelled" } });
    fireEvent.click(screen.getByTestId("payments-refund-dialog-confirm"));
    const error = await screen.findByTestId("payments-refund-error");
    await waitFor(() => expect(error.textContent).toContain("Refunds are closed for this payment."));
    expect(error.textContent).not.toContain("refund_window_closed");
    expect(posted).toHaveLength(1);
    expect(await posted[0]!.json()).toEqual({ amount: money("4.00"), reason: "Half the session was cancelled" });
    expect(posted[0]!.headers.get("Idempotency-Key")).toBeTruthy();
  });
});
