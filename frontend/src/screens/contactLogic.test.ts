import { describe, expect, it } from "vitest";
import { ApiError } from "../api/problem";
import {
  EMPTY_CONTACT,
  canEditContacts,
  canEraseContacts,
  contactFormErrors,
  createBody,
  eraseConfirmed,
  parseTags,
  patchBody,
  type Contact,
} from "./contactLogic";

const contact: Contact = {
  id: "c1",
  first_name: "Anna",
  last_name: "Schmidt",
  email: "anna@example.org",
  phone: "+4930123456",
  notes: "",
  tags: ["vip"],
  archived_at: null,
  erased_at: null,
  created_at: "2026-12-01T10:00:00Z",
  updated_at: "2026-12-01T10:00:00Z",
};

describe("contact form ↔ API", () => {
  it("parses tags: trimmed, blanks dropped, each once regardless of case", () => {
    expect(parseTags(" vip, Berlin,, VIP ,newsletter ")).toEqual(["vip", "Berlin", "newsletter"]);
    expect(parseTags("  ,  ")).toEqual([]);
  });

  it("sends blank email and phone as null on create", () => {
    expect(createBody({ ...EMPTY_CONTACT, first_name: " Anna ", tags: "a, b" })).toEqual({
      first_name: "Anna",
      last_name: "",
      email: null,
      phone: null,
      notes: "",
      tags: ["a", "b"],
    });
  });

  it("patches only what changed, and a cleared email as null", () => {
    const same = { first_name: "Anna", last_name: "Schmidt", email: "anna@example.org", phone: "+4930123456", notes: "", tags: "vip" };
    expect(patchBody(contact, same)).toEqual({});
    expect(patchBody(contact, { ...same, email: "  ", tags: "vip, new" })).toEqual({ email: null, tags: ["vip", "new"] });
  });

  it("puts the API's field errors next to their fields, the rest in the alert", () => {
    const error = new ApiError(422, {
      title: "Validation failed",
      detail: "The contact has invalid fields.",
      errors: [
        { field: "email", message: "The email address is not valid." },
        { field: "phone", message: "Not a valid phone number." },
        { field: "tags.0", message: "String should have at most 50 characters" },
        { field: "body", message: "Something about the whole body." },
      ],
    });
    const mapped = contactFormErrors(error);
    expect(mapped.fields).toEqual({
      email: "The email address is not valid.",
      phone: "Not a valid phone number.",
      tags: "String should have at most 50 characters",
    });
    expect(mapped.general).toEqual({
      message: "The contact has invalid fields.",
      fields: [{ field: "body", message: "Something about the whole body." }],
    });
  });

  it("shows a taken email (a 409 without errors[]) at the email field, never its code", () => {
    const error = new ApiError(409, { title: "Email already used by another contact", detail: "Another active contact has this email.", code: "contact_email_taken" });
    const mapped = contactFormErrors(error);
    expect(mapped.fields.email).toBe("Another active contact has this email.");
    expect(JSON.stringify(mapped)).not.toContain("contact_email_taken");
  });

  it("says the server could not be reached when there was no answer", () => {
    expect(contactFormErrors(new TypeError("fetch failed"))).toEqual({
      fields: {},
      general: { message: "The server could not be reached. Please try again.", fields: [] },
    });
  });
});

describe("who may do what", () => {
  it("staff and above edit; manager and above erase", () => {
    expect(canEditContacts(["viewer"])).toBe(false);
    expect(canEditContacts(["staff"])).toBe(true);
    expect(canEraseContacts(["staff"])).toBe(false);
    expect(canEraseContacts(["manager"])).toBe(true);
    expect(canEraseContacts(["owner"])).toBe(true);
  });

  it("erases only once the word is typed", () => {
    expect(eraseConfirmed("")).toBe(false);
    expect(eraseConfirmed("eras")).toBe(false);
    expect(eraseConfirmed(" erase ")).toBe(true);
    expect(eraseConfirmed("ERASE")).toBe(true);
  });
});
