// Who may change whose role on Team (pure, tested). Mirrors identity-service's rules so the screen
// offers only what it would accept; identity-service decides (it also refuses the last owner).
import type { components } from "../api/generated/identity";
import { errorOf, problemCode, type UserError } from "../api/problem";

export type Role = components["schemas"]["Role"];
export type Member = components["schemas"]["MemberOut"];
export const ROLES: Role[] = ["viewer", "staff", "manager", "admin", "owner"];
export const ROLE_LABELS: Record<Role, string> = {
  viewer: "Viewer",
  staff: "Staff",
  manager: "Manager",
  admin: "Admin",
  owner: "Owner",
};

export type Invitation = components["schemas"]["InvitationOut"];

export const INVITATION_STATUS_LABELS: Record<Invitation["status"], string> = {
  pending: "Pending",
  accepted: "Accepted",
  revoked: "Revoked",
  expired: "Expired",
};

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * When an invitation's link stops working, in words: "expires in 3 days", "expires in 5 hours",
 * "expired". Counted down to whole units (2.9 days left is "in 2 days"), so it never promises
 * more time than is left; a pending one past its time is expired even before the server says so.
 */
export function invitationExpiry(invitation: Pick<Invitation, "status" | "expires_at">, now: Date = new Date(), locale = "en-GB"): string {
  const left = new Date(invitation.expires_at).getTime() - now.getTime();
  if (invitation.status === "expired" || !(left > 0)) return "expired";
  const relative = new Intl.RelativeTimeFormat(locale, { numeric: "always" });
  if (left >= DAY) return `expires ${relative.format(Math.floor(left / DAY), "day")}`;
  if (left >= HOUR) return `expires ${relative.format(Math.floor(left / HOUR), "hour")}`;
  return `expires ${relative.format(Math.max(1, Math.floor(left / 60_000)), "minute")}`;
}

export function canManageMembers(roles: readonly string[]): boolean {
  return roles.includes("owner") || roles.includes("admin");
}

/** Admins manage everyone but owners; only an owner grants, changes or removes the owner role. */
export function mayTouch(actorRole: string | undefined, memberRole: Role): boolean {
  if (actorRole !== "owner" && actorRole !== "admin") return false;
  return memberRole !== "owner" || actorRole === "owner";
}

/** The roles the actor may give a member (owner only by an owner). */
export function assignableRoles(actorRole: string | undefined): Role[] {
  if (actorRole === "owner") return ROLES;
  if (actorRole === "admin") return ROLES.filter((role) => role !== "owner");
  return [];
}

/** The member is the organization's only owner (identity-service refuses to demote or remove them). */
export function isLastOwner(members: readonly Member[], member: Member): boolean {
  return member.role === "owner" && !members.some((other) => other.role === "owner" && other.user.id !== member.user.id);
}

/** A refused role change or removal in words; the last owner gets what to do instead. */
export function memberChangeError(error: unknown, action: "role" | "remove"): UserError {
  if (problemCode(error) === "last_owner") {
    return {
      message:
        action === "role"
          ? "This is the organization's only owner, so the role cannot be lowered. Make someone else an owner first."
          : "This is the organization's only owner, so they cannot be removed. Make someone else an owner first.",
      fields: [],
    };
  }
  return errorOf(error);
}
