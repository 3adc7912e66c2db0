import { describe, expect, it } from "vitest";
import { ApiError } from "../api/problem";
import { assignableRoles, invitationExpiry, isLastOwner, mayTouch, memberChangeError, type Member, type Role } from "./teamLogic";

const member = (id: string, role: Role): Member => ({
  user: { id, email: `${id}@acme.test`, name: id, mfa_enabled: false, phone: null },
  role,
  joined_at: "2026-12-01T10:00:00Z",
});

describe("role changes", () => {
  it("lets admins manage everyone but owners, and only owners grant the owner role", () => {
    expect(mayTouch("admin", "manager")).toBe(true);
    expect(mayTouch("admin", "owner")).toBe(false);
    expect(mayTouch("owner", "owner")).toBe(true);
    expect(mayTouch("manager", "viewer")).toBe(false);
    expect(assignableRoles("admin")).not.toContain("owner");
    expect(assignableRoles("owner")).toContain("owner");
    expect(assignableRoles("staff")).toEqual([]);
  });

  it("knows the last owner", () => {
    const owner = member("olivia", "owner");
    const members = [owner, member("adam", "admin")];
    expect(isLastOwner(members, owner)).toBe(true);
    expect(isLastOwner([...members, member("gus", "owner")], owner)).toBe(false);
    expect(isLastOwner(members, members[1]!)).toBe(false);
  });

  it("says in words why the last owner cannot be demoted or removed", () => {
    const refusal = new ApiError(409, { title: "An organization needs an owner", detail: "The last owner cannot be removed or demoted.", code: "last_owner" });
    expect(memberChangeError(refusal, "role").message).toMatch(/only owner.*Make someone else an owner first/);
    expect(memberChangeError(refusal, "remove").message).toMatch(/cannot be removed/);
    expect(memberChangeError(refusal, "role").message).not.toContain("last_owner");
    const other = new ApiError(403, { title: "Forbidden", detail: "Only an owner can grant, change or remove the owner role." });
    expect(memberChangeError(other, "role").message).toBe("Only an owner can grant, change or remove the owner role.");
  });
});

describe("invitationExpiry", () => {
  const now = new Date("2026-12-01T12:00:00Z");
  const pending = (expires_at: string) => ({ status: "pending" as const, expires_at });

  it("says how long a pending invitation still works, in whole units left", () => {
    expect(invitationExpiry(pending("2026-12-04T12:00:00Z"), now)).toBe("expires in 3 days");
    expect(invitationExpiry(pending("2026-12-04T11:00:00Z"), now)).toBe("expires in 2 days");
    expect(invitationExpiry(pending("2026-12-02T11:59:00Z"), now)).toBe("expires in 23 hours");
    expect(invitationExpiry(pending("2026-12-01T12:00:30Z"), now)).toBe("expires in 1 minute");
  });

  it("says expired when the server says so or the time is past", () => {
    expect(invitationExpiry({ status: "expired", expires_at: "2026-12-09T12:00:00Z" }, now)).toBe("expired");
    expect(invitationExpiry(pending("2026-12-01T12:00:00Z"), now)).toBe("expired");
    expect(invitationExpiry(pending("2026-11-01T12:00:00Z"), now)).toBe("expired");
  });
});
