import { describe, expect, it } from "vitest";
import {
  amountProblem,
  canBill,
  currencyExponent,
  divideHalfUp,
  formatMinor,
  formatDateTime,
  formatMoney,
  formatScaled,
  IdempotencyKeys,
  invoiceActions,
  invoiceTotals,
  lineAmounts,
  lineProblems,
  parseDecimal,
  toMinor,
  type LineInput,
} from "./invoiceLogic";

const line = (quantity: string, unitPrice: string, taxRate: string): LineInput => ({ quantity, unitPrice, taxRate });

function amounts(input: LineInput, currency: string) {
  const result = lineAmounts(input, currency);
  if (!result) return null;
  return { net: formatMinor(result.net, currency), tax: formatMinor(result.tax, currency), total: formatMinor(result.total, currency) };
}

describe("decimals", () => {
  it("parses plain decimal strings only", () => {
    expect(parseDecimal("12.50")).toEqual({ units: 1250n, scale: 2 });
    expect(parseDecimal("7")).toEqual({ units: 7n, scale: 0 });
    expect(parseDecimal("-0.005")).toEqual({ units: -5n, scale: 3 });
    for (const bad of ["", "1e3", "1,5", "1.", ".5", "abc", "1 000", "NaN", "Infinity"]) {
      expect(parseDecimal(bad)).toBeNull();
    }
  });

  it("rounds halves away from zero", () => {
    expect(divideHalfUp(5n, 10n)).toBe(1n);
    expect(divideHalfUp(15n, 10n)).toBe(2n);
    expect(divideHalfUp(25n, 10n)).toBe(3n); // half-up, not half-even
    expect(divideHalfUp(24n, 10n)).toBe(2n);
    expect(divideHalfUp(-25n, 10n)).toBe(-3n);
    expect(divideHalfUp(-24n, 10n)).toBe(-2n);
    expect(divideHalfUp(0n, 7n)).toBe(0n);
  });

  it("formats scaled integers with the currency's decimals", () => {
    expect(formatScaled(5n, 2)).toBe("0.05");
    expect(formatScaled(-5n, 3)).toBe("-0.005");
    expect(formatScaled(123456n, 0)).toBe("123456");
    expect(formatMinor(1250n, "EUR")).toBe("12.50");
    expect(formatMinor(1250n, "JPY")).toBe("1250");
    expect(formatMinor(1250n, "KWD")).toBe("1.250");
    expect(currencyExponent("EUR")).toBe(2);
    expect(currencyExponent("JPY")).toBe(0);
    expect(currencyExponent("KWD")).toBe(3);
  });

  it("reads amounts in minor units and refuses extra decimals", () => {
    expect(toMinor("12.5", "EUR")).toBe(1250n);
    expect(toMinor("12.505", "EUR")).toBeNull();
    expect(toMinor("100", "JPY")).toBe(100n);
    expect(toMinor("100.5", "JPY")).toBeNull();
    expect(toMinor("1.234", "KWD")).toBe(1234n);
  });

  it("shows an instant on the given zone's clock, not the browser's", () => {
    const instant = "2026-12-01T23:30:00Z";
    expect(formatDateTime(instant, "Europe/Berlin")).toBe("2 Dec 2026, 00:30");
    expect(formatDateTime(instant, "America/New_York")).toBe("1 Dec 2026, 18:30");
    expect(formatDateTime(instant, "UTC")).toBe("1 Dec 2026, 23:30");
    expect(formatDateTime(null, "UTC")).toBe("");
  });

  it("shows money in its own currency's format, exactly, and missing money as asked", () => {
    const money = (amount: string, currency = "EUR") => ({ amount, currency });
    expect(formatMoney(money("1234567.50"))).toBe("€1,234,567.50");
    expect(formatMoney(money("-20.00", "USD"))).toBe("-US$20.00");
    expect(formatMoney(money("1500", "JPY"))).toBe("JP¥1,500");
    expect(formatMoney(money("1.5"))).toBe("€1.50");
    // More digits than a double holds are kept, and so is a price finer than the currency.
    expect(formatMoney(money("90071992547409.93"))).toBe("€90,071,992,547,409.93");
    expect(formatMoney(money("12.3456"))).toBe("€12.3456");
    expect(formatMoney(money("12.50", "XYZ1"))).toBe("12.50 XYZ1");
    expect(formatMoney(null)).toBe("");
    expect(formatMoney(null, "—")).toBe("—");
    expect(formatMoney(money("abc"), "—")).toBe("—");
    expect(formatMoney(money("1234.5"), "", "de-DE")).toBe("1.234,50\u00a0€");
  });
});

describe("invoice lines", () => {
  it("multiplies quantity by price and adds the tax", () => {
    expect(amounts(line("2", "50.00", "20"), "EUR")).toEqual({ net: "100.00", tax: "20.00", total: "120.00" });
  });

  it("rounds the net half-up to the minor unit", () => {
    // 0.5 × 0.05 = 0.025 → 0.03 (half-even would give 0.02)
    expect(amounts(line("0.5", "0.05", "0"), "EUR")).toEqual({ net: "0.03", tax: "0.00", total: "0.03" });
    // 1.333 × 3.00 = 3.999 → 4.00
    expect(amounts(line("1.333", "3.00", "0"), "EUR")?.net).toBe("4.00");
    // 0.001 × 4.99 = 0.00499 → 0.00
    expect(amounts(line("0.001", "4.99", "0"), "EUR")?.net).toBe("0.00");
  });

  it("rounds the tax half-up on the rounded net", () => {
    // 0.25 × 10% = 0.025 → 0.03
    expect(amounts(line("1", "0.25", "10"), "EUR")).toEqual({ net: "0.25", tax: "0.03", total: "0.28" });
    // 0.5 × 0.05 = 0.025 → net 0.03; tax on 0.03 (not on 0.025) at 50% = 0.015 → 0.02
    expect(amounts(line("0.5", "0.05", "50"), "EUR")).toEqual({ net: "0.03", tax: "0.02", total: "0.05" });
    // 19.99 × 7.75% = 1.549225 → 1.55
    expect(amounts(line("1", "19.99", "7.75"), "EUR")?.tax).toBe("1.55");
  });

  it("has no float errors where binary floating point has them", () => {
    // 1.005 × 1 in floats is 1.00499999…; as decimals it is exactly 1.005 → 1.01 after the tax step
    expect(amounts(line("1.005", "1.00", "0"), "EUR")?.net).toBe("1.01");
    // 0.1 + 0.2 style sums stay exact
    const totals = invoiceTotals([line("1", "0.10", "0"), line("1", "0.20", "0")], "EUR");
    expect(formatMinor(totals.total, "EUR")).toBe("0.30");
    // 3 × 33.335 KWD-style three decimals
    expect(amounts(line("3", "33.335", "0"), "KWD")?.net).toBe("100.005");
  });

  it("uses no decimals for JPY", () => {
    // 1.5 × 333 = 499.5 → 500; tax 10% of 500 = 50
    expect(amounts(line("1.5", "333", "10"), "JPY")).toEqual({ net: "500", tax: "50", total: "550" });
    // 3 × 1001 at 8% = 240.24 → 240
    expect(amounts(line("3", "1001", "8"), "JPY")).toEqual({ net: "3003", tax: "240", total: "3243" });
    // 0.5 × 5 = 2.5 → 3
    expect(amounts(line("0.5", "5", "0"), "JPY")?.net).toBe("3");
    // A price finer than the yen: the line's amounts are rounded, the price is not.
    expect(amounts(line("1", "333.5", "10"), "JPY")).toEqual({ net: "334", tax: "33", total: "367" });
    expect(lineProblems(line("1", "100.12345", "0"), "JPY")).toEqual(["unitPrice"]);
  });

  it("uses three decimals for KWD", () => {
    // 0.333 × 1.5 = 0.4995 → 0.500; 0.500 × 15% = 0.075
    expect(amounts(line("0.333", "1.500", "15"), "KWD")).toEqual({ net: "0.500", tax: "0.075", total: "0.575" });
    // 2 × 12.345 at 5.5% = 24.690 × 0.055 = 1.35795 → 1.358
    expect(amounts(line("2", "12.345", "5.5"), "KWD")).toEqual({ net: "24.690", tax: "1.358", total: "26.048" });
    expect(amounts(line("1", "1.2345", "0"), "KWD")?.net).toBe("1.235");
    expect(lineProblems(line("1", "1.23456", "0"), "KWD")).toEqual(["unitPrice"]);
  });

  it("refuses what the API refuses", () => {
    expect(lineProblems(line("0", "1.00", "0"), "EUR")).toEqual(["quantity"]);
    expect(lineProblems(line("1.2345", "1.00", "0"), "EUR")).toEqual(["quantity"]);
    expect(lineProblems(line("-1", "1.00", "0"), "EUR")).toEqual(["quantity"]);
    expect(lineProblems(line("1", "-1.00", "0"), "EUR")).toEqual(["unitPrice"]);
    expect(lineProblems(line("1", "1.00001", "0"), "EUR")).toEqual(["unitPrice"]);
    expect(lineProblems(line("1", "1000000000", "0"), "EUR")).toEqual(["unitPrice"]);
    expect(lineProblems(line("1000000.001", "1", "0"), "EUR")).toEqual(["quantity"]);
    expect(lineProblems(line("1000000", "1", "0"), "EUR")).toEqual([]);
    // The line's total stays below 1,000,000,000.
    expect(lineProblems(line("999999.999", "999.9999", "19"), "EUR")).toEqual(["total"]);
    expect(lineProblems(line("1", "1", "100.01"), "EUR")).toEqual(["taxRate"]);
    expect(lineProblems(line("1", "1", "7.125"), "EUR")).toEqual(["taxRate"]);
    expect(lineProblems(line("1", "1", "100"), "EUR")).toEqual([]);
    expect(lineProblems(line("", "", ""), "EUR")).toEqual(["quantity", "unitPrice", "taxRate"]);
    expect(lineAmounts(line("x", "1", "0"), "EUR")).toBeNull();
  });
});

describe("invoice totals", () => {
  it("sums the rounded lines, not the rounded sum", () => {
    // Each line: 0.005 net → 0.01 (half-up); three lines 0.03, where one line of 0.015 would be 0.02.
    const totals = invoiceTotals([line("1", "0.01", "50"), line("1", "0.01", "50"), line("1", "0.01", "50")], "EUR");
    expect(formatMinor(totals.net, "EUR")).toBe("0.03");
    expect(formatMinor(totals.tax, "EUR")).toBe("0.03");
    expect(formatMinor(totals.total, "EUR")).toBe("0.06");
    expect(totals.complete).toBe(true);
  });

  it("adds many lines exactly", () => {
    const lines = Array.from({ length: 100 }, (_, n) => line(String(n + 1), "0.99", "19"));
    const totals = invoiceTotals(lines, "EUR");
    // Σ n×0.99 for n=1..100 = 0.99 × 5050 = 4999.50 (each line exact in cents)
    expect(formatMinor(totals.net, "EUR")).toBe("4999.50");
    // Per line tax = round(n × 99 × 0.19) cents, summed.
    let tax = 0n;
    for (let n = 1n; n <= 100n; n += 1n) tax += (2n * n * 99n * 19n + 100n) / 200n;
    expect(totals.tax).toBe(tax);
    expect(totals.total).toBe(totals.net + totals.tax);
  });

  it("handles amounts beyond float precision", () => {
    // 999999.999 × 999.9999 = 999999899.0000001 exactly (16 significant digits) → 999999899.00
    const totals = invoiceTotals([line("999999.999", "999.9999", "0"), line("1", "0.01", "0")], "EUR");
    expect(formatMinor(totals.net, "EUR")).toBe("999999899.01");
    // Fractional unit prices: 3 × 0.335 = 1.005 → 1.01
    expect(amounts(line("3", "0.335", "0"), "EUR")?.net).toBe("1.01");
  });

  it("leaves invalid lines out and says so", () => {
    const totals = invoiceTotals([line("2", "10.00", "0"), line("", "5", "0")], "EUR");
    expect(formatMinor(totals.total, "EUR")).toBe("20.00");
    expect(totals.complete).toBe(false);
    expect(totals.lines[1]).toBeNull();
  });

  it("is zero for no lines", () => {
    const totals = invoiceTotals([], "JPY");
    expect(formatMinor(totals.total, "JPY")).toBe("0");
    expect(totals.complete).toBe(true);
  });
});

describe("status rules", () => {
  it("allows by status what the API allows", () => {
    expect(invoiceActions("draft")).toEqual(["edit", "issue", "delete"]);
    expect(invoiceActions("issued", "0.00")).toEqual(["pay", "void", "pdf"]);
    expect(invoiceActions("issued", "5.00")).toEqual(["pay", "pdf"]);
    expect(invoiceActions("partially_paid", "5.00")).toEqual(["pay", "pdf"]);
    expect(invoiceActions("paid")).toEqual(["pdf"]);
    expect(invoiceActions("void")).toEqual(["pdf"]);
    expect(invoiceActions("unknown")).toEqual([]);
  });

  it("lets managers and above bill", () => {
    expect(canBill(["manager"])).toBe(true);
    expect(canBill(["owner"])).toBe(true);
    expect(canBill(["staff"])).toBe(false);
    expect(canBill(["viewer"])).toBe(false);
  });

  it("checks payment and refund amounts", () => {
    expect(amountProblem("10.00", "EUR", "10.00")).toBeNull();
    expect(amountProblem("10.01", "EUR", "10.00")).toBe("too_much");
    expect(amountProblem("0", "EUR")).toBe("zero");
    expect(amountProblem("1.5", "JPY")).toBe("invalid");
    expect(amountProblem("abc", "EUR")).toBe("invalid");
    expect(amountProblem("-1", "EUR")).toBe("invalid");
    expect(amountProblem("0.001", "KWD", "0.001")).toBeNull();
  });
});

describe("idempotency keys", () => {
  it("reuses the key for a retried submit and makes a new one for changed content", () => {
    let n = 0;
    const keys = new IdempotencyKeys(() => `key-${(n += 1)}`);
    expect(keys.keyFor('{"amount":"10.00"}')).toBe("key-1");
    expect(keys.keyFor('{"amount":"10.00"}')).toBe("key-1");
    expect(keys.keyFor('{"amount":"5.00"}')).toBe("key-2");
    keys.reset();
    expect(keys.keyFor('{"amount":"5.00"}')).toBe("key-3");
  });

  it("keeps the key while the outcome is unknown and drops it after a refusal", () => {
    let n = 0;
    const keys = new IdempotencyKeys(() => `key-${(n += 1)}`);
    const body = '{"amount":"10.00"}';
    expect(keys.keyFor(body)).toBe("key-1");
    keys.failed(null, null); // no answer
    expect(keys.keyFor(body)).toBe("key-1");
    keys.failed(502, null);
    expect(keys.keyFor(body)).toBe("key-1");
    keys.failed(409, "idempotency_key_in_use");
    expect(keys.keyFor(body)).toBe("key-1");
    keys.failed(409, "overpayment");
    expect(keys.keyFor(body)).toBe("key-2");
  });
});
