import { describe, expect, it } from "vitest";
import { ApiError, errorOf, fieldMessage, problemCode, problemToError } from "./problem";

describe("problemToError", () => {
  it("uses the detail and the field messages, never the code", () => {
    const error = problemToError(
      {
        type: "about:blank",
        title: "Unprocessable",
        status: 422,
        code: "validation_error",
        detail: "Some fields are not valid.",
        errors: [{ field: "body.email", message: "Enter a valid email address." }],
      },
      422,
    );
    expect(error.message).toBe("Some fields are not valid.");
    expect(error.fields).toEqual([{ field: "body.email", message: "Enter a valid email address." }]);
    expect(JSON.stringify(error)).not.toContain("validation_error");
    expect(fieldMessage(error, "email")).toBe("Enter a valid email address.");
    expect(fieldMessage(error, "password")).toBeUndefined();
  });

  it("falls back to the title, then to words for the status", () => {
    expect(problemToError({ title: "Not allowed", code: "forbidden" }, 403).message).toBe("Not allowed");
    expect(problemToError({ code: "too_many_attempts" }, 429).message).toMatch(/Too many attempts/);
    expect(problemToError("<html>bad gateway</html>", 502).message).toMatch(/on our side/);
    expect(problemToError(undefined).message).toMatch(/Something went wrong/);
  });

  it("ignores malformed field entries", () => {
    const error = problemToError({ detail: "x", errors: [null, { field: "a" }, { field: "b", message: "B is wrong" }] });
    expect(error.fields).toEqual([{ field: "b", message: "B is wrong" }]);
  });
});

describe("errorOf", () => {
  it("keeps an ApiError's words and names network failures", () => {
    expect(errorOf(new ApiError(409, { detail: "Already a member." })).message).toBe("Already a member.");
    expect(errorOf(new TypeError("Failed to fetch")).message).toMatch(/could not be reached/);
  });
});

describe("problemCode", () => {
  it("keeps the code for programs, out of the words", () => {
    const error = new ApiError(409, { title: "The resource is already booked then", code: "booking_conflict" });
    expect(problemCode(error)).toBe("booking_conflict");
    expect(error.userError.message).toBe("The resource is already booked then");
    expect(JSON.stringify(error.userError)).not.toContain("booking_conflict");
    expect(problemCode(new ApiError(500, "oops"))).toBeNull();
    expect(problemCode(new TypeError("Failed to fetch"))).toBeNull();
  });
});
