// Pure helpers of the money screens: decimal strings as scaled integers (BigInt, never floating
// point), the invoice totals by the server's rule, invoice statuses and what each allows.

// --- decimals as scaled integers -----------------------------------------------------------

/** Minor-unit decimals per ISO 4217 code; 2 unless listed (the backend's apps/core/money.py table). */
const EXPONENTS: Record<string, number> = {};
for (const [exponent, codes] of [
  [0, "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"],
  [3, "BHD IQD JOD KWD LYD OMR TND"],
  [4, "CLF UYW"],
] as const) {
  for (const code of codes.split(" ")) EXPONENTS[code] = exponent;
}

export function currencyExponent(currency: string): number {
  return EXPONENTS[currency] ?? 2;
}

/** A decimal number as an integer and the count of its decimals: "12.50" is {units: 1250n, scale: 2}. */
export interface Scaled {
  units: bigint;
  scale: number;
}

const DECIMAL_RE = /^(-?)(\d+)(?:\.(\d+))?$/;

/** Parses a plain decimal string ("12", "12.5", "-0.25"); null for anything else (no exponents,
 * no spaces, no thousands separators). */
export function parseDecimal(text: string): Scaled | null {
  const match = DECIMAL_RE.exec(text.trim());
  if (!match) return null;
  const [, sign = "", whole = "0", fraction = ""] = match;
  const units = BigInt(whole + fraction);
  return { units: sign ? -units : units, scale: fraction.length };
}

const TEN = 10n;

function pow10(exponent: number): bigint {
  return TEN ** BigInt(exponent);
}

/** numerator / denominator rounded half-up (halves away from zero, as Python's ROUND_HALF_UP). */
export function divideHalfUp(numerator: bigint, denominator: bigint): bigint {
  if (denominator === 0n) throw new RangeError("division by zero");
  if (denominator < 0n) return divideHalfUp(-numerator, -denominator);
  const negative = numerator < 0n;
  const magnitude = negative ? -numerator : numerator;
  const rounded = (2n * magnitude + denominator) / (2n * denominator);
  return negative ? -rounded : rounded;
}

/** A scaled value re-expressed with `scale` decimals, rounding half-up when decimals are dropped. */
export function rescale(value: Scaled, scale: number): bigint {
  if (scale >= value.scale) return value.units * pow10(scale - value.scale);
  return divideHalfUp(value.units, pow10(value.scale - scale));
}

/** Integer units with `scale` decimals as a string: (125n, 2) → "1.25", (-5n, 3) → "-0.005". */
export function formatScaled(units: bigint, scale: number): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, "0");
  const whole = scale ? digits.slice(0, -scale) : digits;
  const fraction = scale ? `.${digits.slice(-scale)}` : "";
  return `${negative ? "-" : ""}${whole}${fraction}`;
}

/** Minor units of a currency as the API's amount string ("12.50" for EUR, "1250" for JPY). */
export function formatMinor(minor: bigint, currency: string): string {
  return formatScaled(minor, currencyExponent(currency));
}

/** An amount string in minor units of its currency, or null when it is not a decimal or has more
 * decimals than the currency. */
export function toMinor(amount: string, currency: string): bigint | null {
  const value = parseDecimal(amount);
  const exponent = currencyExponent(currency);
  if (!value || value.scale > exponent) return null;
  return rescale(value, exponent);
}

/** "1234567.5" → "1,234,567.5": thousands separators on the whole part, digits untouched. */
export function groupThousands(amount: string): string {
  const match = /^(-?)(\d+)(\.\d+)?$/.exec(amount);
  if (!match) return amount;
  const [, sign = "", whole = "", fraction = ""] = match;
  return `${sign}${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",")}${fraction}`;
}

// One formatter per currency, locale and digit count: building an Intl.NumberFormat is costly
// and a list formats hundreds of amounts.
const moneyFormats = new Map<string, Intl.NumberFormat | null>();

function moneyFormat(currency: string, locale: string, fractionDigits: number): Intl.NumberFormat | null {
  const key = `${currency}|${locale}|${fractionDigits}`;
  let format = moneyFormats.get(key);
  if (format === undefined) {
    try {
      const base = new Intl.NumberFormat(locale, { style: "currency", currency });
      const own = base.resolvedOptions().maximumFractionDigits ?? 2;
      format = new Intl.NumberFormat(locale, { style: "currency", currency, maximumFractionDigits: Math.max(own, fractionDigits) });
    } catch {
      format = null; // not a currency Intl knows: shown as digits and code
    }
    moneyFormats.set(key, format);
  }
  return format;
}

/**
 * A Money object in its currency's own format ("€1,234.50", "JP¥1,500"), the one money formatter
 * of the app. Digits finer than the currency (a unit price "12.3456") are kept, never rounded
 * away. `missing` is shown for null or an unparsable amount.
 */
export function formatMoney(money: { amount: string; currency: string } | null | undefined, missing = "", locale = "en-GB"): string {
  if (!money) return missing;
  const match = /^-?\d+(?:\.(\d+))?$/.exec(money.amount);
  if (!match) return missing;
  const format = moneyFormat(money.currency, locale, match[1]?.length ?? 0);
  if (!format) return `${groupThousands(money.amount)} ${money.currency}`;
  // A decimal string keeps every digit (Intl formats strings exactly, numbers as doubles).
  return format.format(money.amount as unknown as number);
}

// --- invoice totals (the server's rule) ----------------------------------------------------

export interface LineInput {
  /** Decimal string above 0, at most 1,000,000, up to 3 decimals. */
  quantity: string;
  /** Decimal string in the invoice currency, >= 0, up to 4 decimals (finer than the currency is
   * fine: the line's amounts are rounded, the price is not). */
  unitPrice: string;
  /** Percent as a decimal string, 0..100, up to 2 decimals. */
  taxRate: string;
}

export interface LineAmounts {
  net: bigint;
  tax: bigint;
  total: bigint;
}

export type LineProblem = "quantity" | "unitPrice" | "taxRate" | "total";

export const MAX_QUANTITY_DECIMALS = 3;
export const MAX_UNIT_PRICE_DECIMALS = 4;
export const MAX_TAX_RATE_DECIMALS = 2;
const MAX_QUANTITY = 1_000_000n;
/** Amounts stay below 1,000,000,000 in the currency (the backend's MAX_AMOUNT). */
const MAX_AMOUNT = 1_000_000_000n;

function computeLine(line: LineInput, currency: string): LineAmounts | null {
  const quantity = parseDecimal(line.quantity);
  const price = parseDecimal(line.unitPrice);
  const rate = parseDecimal(line.taxRate);
  if (!quantity || !price || !rate) return null;
  const exponent = currencyExponent(currency);
  const net = rescale({ units: quantity.units * price.units, scale: quantity.scale + price.scale }, exponent);
  // net (minor units) × rate / 100, the rate carrying `rate.scale` decimals.
  const tax = divideHalfUp(net * rate.units, 100n * pow10(rate.scale));
  return { net, tax, total: net + tax };
}

/** Which fields of a line the API would refuse (empty when it is fine). */
export function lineProblems(line: LineInput, currency: string): LineProblem[] {
  const problems: LineProblem[] = [];
  const quantity = parseDecimal(line.quantity);
  if (!quantity || quantity.units <= 0n || quantity.scale > MAX_QUANTITY_DECIMALS || quantity.units > MAX_QUANTITY * pow10(quantity.scale)) {
    problems.push("quantity");
  }
  const price = parseDecimal(line.unitPrice);
  if (!price || price.units < 0n || price.scale > MAX_UNIT_PRICE_DECIMALS || price.units >= MAX_AMOUNT * pow10(price.scale)) {
    problems.push("unitPrice");
  }
  const rate = parseDecimal(line.taxRate);
  if (!rate || rate.units < 0n || rate.scale > MAX_TAX_RATE_DECIMALS || rate.units > 100n * pow10(rate.scale)) {
    problems.push("taxRate");
  }
  if (problems.length === 0) {
    const amounts = computeLine(line, currency);
    if (amounts && amounts.total >= MAX_AMOUNT * pow10(currencyExponent(currency))) problems.push("total");
  }
  return problems;
}

/**
 * One line in minor units of the currency: net = quantity × unit price rounded half-up to the
 * minor unit; tax = net × rate / 100 rounded half-up; total = net + tax (the backend's
 * apps/transactions/pricing.py). Null when a field is not a valid number for the API.
 */
export function lineAmounts(line: LineInput, currency: string): LineAmounts | null {
  if (lineProblems(line, currency).length) return null;
  return computeLine(line, currency);
}

export interface InvoiceTotals {
  lines: (LineAmounts | null)[];
  net: bigint;
  tax: bigint;
  total: bigint;
  /** False when some line is not valid yet (its amounts are left out of the sums). */
  complete: boolean;
}

/** The invoice totals: the sums of its lines' net, tax and total. */
export function invoiceTotals(lines: readonly LineInput[], currency: string): InvoiceTotals {
  const amounts = lines.map((line) => lineAmounts(line, currency));
  let net = 0n;
  let tax = 0n;
  for (const line of amounts) {
    if (!line) continue;
    net += line.net;
    tax += line.tax;
  }
  return { lines: amounts, net, tax, total: net + tax, complete: amounts.every(Boolean) };
}

// --- invoices and payments -----------------------------------------------------------------

export type InvoiceStatus = "draft" | "issued" | "partially_paid" | "paid" | "void";

export const INVOICE_STATUSES: InvoiceStatus[] = ["draft", "issued", "partially_paid", "paid", "void"];

export const INVOICE_STATUS_LABELS: Record<InvoiceStatus, string> = {
  draft: "Draft",
  issued: "Issued",
  partially_paid: "Partially paid",
  paid: "Paid",
  void: "Void",
};

export function isInvoiceStatus(value: string): value is InvoiceStatus {
  return (INVOICE_STATUSES as string[]).includes(value);
}

export function invoiceStatusLabel(status: string): string {
  return isInvoiceStatus(status) ? INVOICE_STATUS_LABELS[status] : status;
}

export type InvoiceAction = "edit" | "issue" | "delete" | "pay" | "void" | "pdf";

/**
 * What an invoice allows (the API refuses the rest): a draft is edited, issued or deleted; an
 * issued or partially paid one takes payments; only an issued one with nothing paid is voided
 * (the API says no when payments exist); every issued invoice has a PDF.
 */
export function invoiceActions(status: string, amountPaid?: string): InvoiceAction[] {
  switch (status) {
    case "draft":
      return ["edit", "issue", "delete"];
    case "issued": {
      const paid = amountPaid === undefined ? null : parseDecimal(amountPaid);
      return paid && paid.units > 0n ? ["pay", "pdf"] : ["pay", "void", "pdf"];
    }
    case "partially_paid":
      return ["pay", "pdf"];
    case "paid":
    case "void":
      return ["pdf"];
    default:
      return [];
  }
}

export const PAYMENT_METHODS = ["cash", "card", "transfer", "other"] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];
export const PAYMENT_METHOD_LABELS: Record<PaymentMethod, string> = {
  cash: "Cash",
  card: "Card",
  transfer: "Bank transfer",
  other: "Other",
};

export function paymentMethodLabel(method: string): string {
  return (PAYMENT_METHODS as readonly string[]).includes(method) ? PAYMENT_METHOD_LABELS[method as PaymentMethod] : method;
}

const ROLES_THAT_BILL = ["manager", "admin", "owner"];

/** Managers and above write invoices, payments and refunds; others only read (the API refuses them). */
export function canBill(roles: readonly string[]): boolean {
  return roles.some((role) => ROLES_THAT_BILL.includes(role));
}

export type AmountProblem = "invalid" | "zero" | "too_much";

/**
 * Checks an amount typed for a payment or a refund: a positive decimal with at most the
 * currency's decimals and not more than `max` (the amount due or the refundable amount).
 */
export function amountProblem(amount: string, currency: string, max?: string): AmountProblem | null {
  const minor = toMinor(amount, currency);
  if (minor === null || minor < 0n) return "invalid";
  if (minor === 0n) return "zero";
  if (max !== undefined) {
    const limit = toMinor(max, currency);
    if (limit !== null && minor > limit) return "too_much";
  }
  return null;
}

/** "1 Dec 2026" for a YYYY-MM-DD date. */
export function formatDate(date: string | null | undefined, locale = "en-GB"): string {
  if (!date) return "";
  const parsed = new Date(`${date.slice(0, 10)}T00:00:00Z`);
  if (Number.isNaN(parsed.getTime())) return date;
  return new Intl.DateTimeFormat(locale, { timeZone: "UTC", day: "numeric", month: "short", year: "numeric" }).format(parsed);
}

const dateTimeFormats = new Map<string, Intl.DateTimeFormat>();

/**
 * "1 Dec 2026, 14:05" for an ISO instant on the given zone's clock (the organization's, see
 * `useOrganizationTimeZone`; a booking's resource's for its times). The zone is required: left
 * out, Intl would silently use the browser's, which is not the organization's.
 */
export function formatDateTime(instant: string | null | undefined, timeZone: string, locale = "en-GB"): string {
  if (!instant) return "";
  const parsed = new Date(instant);
  if (Number.isNaN(parsed.getTime())) return instant;
  const key = `${timeZone}|${locale}`;
  let format = dateTimeFormats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, { timeZone, day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    dateTimeFormats.set(key, format);
  }
  return format.format(parsed);
}

/**
 * Idempotency keys for a form that POSTs money: one key per submitted content, so a retried
 * submit of the same form (a timeout, a lost answer, a 5xx) reuses the key and the server replays
 * its first answer instead of taking the payment twice, while a changed form gets a fresh key
 * (the server refuses a key reused with another body).
 */
export class IdempotencyKeys {
  private content: string | null = null;
  private key = "";
  constructor(private readonly make: () => string) {}

  /** The key for this content: the previous one when the content is unchanged. */
  keyFor(content: string): string {
    if (content !== this.content) {
      this.content = content;
      this.key = this.make();
    }
    return this.key;
  }

  /** Forget the key (after the server took the request): the next submit is a new one. */
  reset(): void {
    this.content = null;
    this.key = "";
  }

  /**
   * After a failed submit: keep the key while the outcome is unknown (no answer, a 5xx, or the
   * first request still running), so the retry cannot act twice; drop it after a refusal (a 4xx
   * did nothing, and the server would replay that refusal to the same key even once the cause is
   * gone).
   */
  failed(status: number | null, code: string | null): void {
    if (status !== null && status < 500 && code !== "idempotency_key_in_use") this.reset();
  }
}
