// Pure contact rules the screens share (tested): who may do what, the form's values ↔ the API's
// bodies, the API's field errors placed next to the form's fields, the erase confirmation.
import type { components } from "../api/generated/backend";
import { errorOf, problemCode, type UserError } from "../api/problem";

export type Contact = components["schemas"]["ContactOut"];
export type ContactIn = components["schemas"]["ContactIn"];
export type ContactPatch = components["schemas"]["ContactPatch"];

/** Mirrors the backend's @requires: staff writes and exports contacts, manager erases (irreversible). */
const ROLES_THAT_EDIT = ["owner", "admin", "manager", "staff"];
const ROLES_THAT_ERASE = ["owner", "admin", "manager"];

export function canEditContacts(roles: readonly string[]): boolean {
  return roles.some((role) => ROLES_THAT_EDIT.includes(role));
}

export function canEraseContacts(roles: readonly string[]): boolean {
  return roles.some((role) => ROLES_THAT_ERASE.includes(role));
}

export const CONTACT_FIELDS = ["first_name", "last_name", "email", "phone", "notes", "tags"] as const;
export type ContactField = (typeof CONTACT_FIELDS)[number];

/** What the form holds: every field as typed (tags comma-separated). */
export type ContactValues = Record<ContactField, string>;

export const EMPTY_CONTACT: ContactValues = { first_name: "", last_name: "", email: "", phone: "", notes: "", tags: "" };

export function valuesOf(contact: Contact): ContactValues {
  return {
    first_name: contact.first_name,
    last_name: contact.last_name,
    email: contact.email ?? "",
    phone: contact.phone ?? "",
    notes: contact.notes,
    tags: contact.tags.join(", "),
  };
}

/** "vip, Berlin,, vip " → ["vip", "Berlin"]: trimmed, blanks dropped, each once (the server lowercases). */
export function parseTags(text: string): string[] {
  const seen = new Set<string>();
  const tags: string[] = [];
  for (const raw of text.split(",")) {
    const tag = raw.trim();
    if (!tag || seen.has(tag.toLowerCase())) continue;
    seen.add(tag.toLowerCase());
    tags.push(tag);
  }
  return tags;
}

export function createBody(values: ContactValues): ContactIn {
  return {
    first_name: values.first_name.trim(),
    last_name: values.last_name.trim(),
    email: values.email.trim() || null,
    phone: values.phone.trim() || null,
    notes: values.notes,
    tags: parseTags(values.tags),
  };
}

/** Only what changed against `contact`; a cleared email or phone is sent as null (clears it). */
export function patchBody(contact: Contact, values: ContactValues): ContactPatch {
  const next = createBody(values);
  const before = createBody(valuesOf(contact));
  const patch: ContactPatch = {};
  if (next.first_name !== before.first_name) patch.first_name = next.first_name;
  if (next.last_name !== before.last_name) patch.last_name = next.last_name;
  if (next.email !== before.email) patch.email = next.email;
  if (next.phone !== before.phone) patch.phone = next.phone;
  if (next.notes !== before.notes) patch.notes = next.notes;
  if (JSON.stringify(next.tags) !== JSON.stringify(before.tags)) patch.tags = next.tags;
  return patch;
}

/** What the form can say before asking the server (the server checks everything again). */
export function localProblems(values: ContactValues): Partial<Record<ContactField, string>> {
  const problems: Partial<Record<ContactField, string>> = {};
  if (!values.first_name.trim()) problems.first_name = "Enter a first name.";
  return problems;
}

export interface ContactFormErrors {
  /** Messages to show next to their fields. */
  fields: Partial<Record<ContactField, string>>;
  /** The words for the alert above the form (without the messages already shown at a field). */
  general: UserError | null;
}

function fieldOf(path: string): ContactField | null {
  // "email", "body.email", "tags.3" → the form field it belongs to.
  const parts = path.split(".").filter((part) => part !== "body" && !/^\d+$/.test(part));
  const name = parts[parts.length - 1] ?? "";
  return (CONTACT_FIELDS as readonly string[]).includes(name) ? (name as ContactField) : null;
}

/** A refused save as messages next to the fields (`errors[]`; a taken email is a 409 without one). */
export function contactFormErrors(error: unknown): ContactFormErrors {
  const words = errorOf(error);
  const fields: Partial<Record<ContactField, string>> = {};
  const rest = [];
  for (const entry of words.fields) {
    const field = fieldOf(entry.field);
    if (field) fields[field] = fields[field] ? `${fields[field]} ${entry.message}` : entry.message;
    else rest.push(entry);
  }
  if (problemCode(error) === "contact_email_taken" && !fields.email) {
    fields.email = words.message;
    return { fields, general: { message: "Some fields need attention.", fields: rest } };
  }
  return { fields, general: { message: words.message, fields: rest } };
}

/** The word the erase dialog asks to be typed before it erases. */
export const ERASE_WORD = "ERASE";

export function eraseConfirmed(typed: string): boolean {
  return typed.trim().toUpperCase() === ERASE_WORD;
}

export function exportFilename(contact: Pick<Contact, "id">, today: string): string {
  return `contact-${contact.id}-${today}.json`;
}
