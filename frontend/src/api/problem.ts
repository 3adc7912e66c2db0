// Turns an error answer (RFC 9457 problem+json: title, detail, code, errors[{field, message}])
// into words for the user. Codes are for programs; people get the detail and field messages.

export interface FieldMessage {
  field: string;
  message: string;
}

export interface UserError {
  message: string;
  fields: FieldMessage[];
}

const STATUS_WORDS: Record<number, string> = {
  400: "The request was not accepted.",
  401: "Your session has ended. Please sign in again.",
  403: "You are not allowed to do that.",
  404: "That was not found.",
  409: "That conflicts with the current state. Reload and try again.",
  422: "Some fields need attention.",
  429: "Too many attempts. Please wait a moment and try again.",
};

function text(value: unknown): string | null {
  return typeof value === "string" && value.trim() !== "" ? value.trim() : null;
}

export function problemToError(body: unknown, status?: number): UserError {
  const problem = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {};
  const fields: FieldMessage[] = [];
  if (Array.isArray(problem.errors)) {
    for (const entry of problem.errors) {
      if (typeof entry !== "object" || entry === null) continue;
      const item = entry as Record<string, unknown>;
      const message = text(item.message);
      if (message) fields.push({ field: text(item.field) ?? "", message });
    }
  }
  const message =
    text(problem.detail) ??
    text(problem.title) ??
    (status !== undefined ? STATUS_WORDS[status] : undefined) ??
    (status !== undefined && status >= 500
      ? "Something went wrong on our side. Please try again."
      : "Something went wrong. Please try again.");
  return { message, fields };
}

export function fieldMessage(error: UserError | null | undefined, field: string): string | undefined {
  return error?.fields.find((entry) => entry.field === field || entry.field.endsWith(`.${field}`))?.message;
}

/** An error thrown by the API helpers: carries the words to show, and the problem's `code` for
 * programs to branch on (e.g. a booking conflict refreshes the slots); the code is never shown. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string | null;
  readonly userError: UserError;
  constructor(status: number, body: unknown) {
    const userError = problemToError(body, status);
    super(userError.message);
    this.status = status;
    this.code = codeOf(body);
    this.userError = userError;
  }
}

function codeOf(body: unknown): string | null {
  return typeof body === "object" && body !== null ? text((body as Record<string, unknown>).code) : null;
}

/** The problem code of an API error, or null. */
export function problemCode(error: unknown): string | null {
  return error instanceof ApiError ? error.code : null;
}

export function errorOf(error: unknown): UserError {
  if (error instanceof ApiError) return error.userError;
  return { message: "The server could not be reached. Please try again.", fields: [] };
}
