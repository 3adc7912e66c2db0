import { cleanup, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Me } from "../auth/AuthContext";
import { Team } from "./Team";
import { json, me, polyfillDialog, renderAt } from "./moneyTestkit";

const owner: Me = { ...me, id: "olivia", email: "owner@acme.test", roles: ["owner"], memberships: [{ ...me.memberships[0]!, role: "owner" }] };
const admin: Me = { ...owner, id: "adam", email: "admin@acme.test", roles: ["admin"], memberships: [{ ...me.memberships[0]!, role: "admin" }] };
const person = (id: string, role: string) => ({
  user: { id, email: `${id}@acme.test`, name: id[0]!.toUpperCase() + id.slice(1), mfa_enabled: false },
  role,
  joined_at: "2026-12-01T10:00:00Z",
});

function stubIdentity(write: (request: Request) => Promise<Response>, invitations: unknown[] = []) {
  const members = [person("olivia", "owner"), person("adam", "admin"), person("vera", "viewer")];
  const writes: Request[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: Request) => {
      const { pathname } = new URL(input.url);
      if (input.method !== "GET") {
        writes.push(input);
        return write(input);
      }
      if (pathname.endsWith("/members")) return json({ items: members, next_cursor: null });
      if (pathname.endsWith("/invitations")) return json({ items: invitations, next_cursor: null });
      return json({ title: "Not found" }, 404);
    }),
  );
  return writes;
}

const row = (id: string) => document.querySelector(`[data-testid="team-members-row"][data-user-id="${id}"]`) as HTMLElement;

describe("Team members", () => {
  beforeEach(polyfillDialog);
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it("changes a member's role with a PATCH of the new role", async () => {
    const writes = stubIdentity(async () => json(person("vera", "staff")));
    renderAt("/team", "/team", <Team />, owner);
    await screen.findByTestId("team-members-list");
    const vera = within(row("vera"));
    const save = vera.getByTestId("team-members-role-save");
    expect(save).toHaveProperty("disabled", true);
    fireEvent.change(vera.getByTestId("team-members-role-select"), { target: { value: "staff" } });
    fireEvent.click(save);
    expect((await screen.findByTestId("team-members-notice")).textContent).toBe("Vera is now staff.");
    expect(writes.map((request) => `${request.method} ${new URL(request.url).pathname}`)).toEqual([
      "PATCH /identity/api/v1/organizations/acme/members/vera",
    ]);
    expect(await writes[0]!.json()).toEqual({ role: "staff" });
  });

  it("shows the last-owner refusal in words and puts the select back", async () => {
    stubIdentity(async () =>
      json({ title: "An organization needs an owner", detail: "The last owner cannot be removed or demoted.", code: "last_owner" }, 409),
    );
    renderAt("/team", "/team", <Team />, owner);
    await screen.findByTestId("team-members-list");
    const olivia = within(row("olivia"));
    expect(olivia.getByText("Only owner")).toBeTruthy();
    const select = olivia.getByTestId("team-members-role-select") as HTMLSelectElement;
    fireEvent.change(select, { target: { value: "admin" } });
    fireEvent.click(olivia.getByTestId("team-members-role-save"));
    const refusal = await screen.findByTestId("team-members-change-error");
    expect(refusal.textContent).toMatch(/only owner/);
    expect(refusal.textContent).not.toContain("last_owner");
    await waitFor(() => expect(select.value).toBe("owner"));
    // One cannot remove oneself from here.
    expect(olivia.queryByTestId("team-members-remove")).toBeNull();
  });

  it("removes a member only after the confirmation", async () => {
    const writes = stubIdentity(async () => new Response(null, { status: 204 }));
    renderAt("/team", "/team", <Team />, owner);
    await screen.findByTestId("team-members-list");
    fireEvent.click(within(row("vera")).getByTestId("team-members-remove"));
    expect(writes).toHaveLength(0);
    const dialogs = screen.getAllByTestId("team-remove-dialog").filter((dialog) => dialog.hasAttribute("open"));
    expect(dialogs).toHaveLength(1);
    fireEvent.click(within(dialogs[0]!).getByTestId("team-remove-dialog-confirm"));
    expect((await screen.findByTestId("team-members-notice")).textContent).toBe("Vera was removed from the organization.");
    expect(writes.map((request) => `${request.method} ${new URL(request.url).pathname}`)).toEqual([
      "DELETE /identity/api/v1/organizations/acme/members/vera",
    ]);
  });

  it("lets an admin change neither owners nor anyone into an owner", async () => {
    stubIdentity(async () => json({}, 500));
    renderAt("/team", "/team", <Team />, admin);
    await screen.findByTestId("team-members-list");
    expect(within(row("olivia")).queryByTestId("team-members-role-select")).toBeNull();
    const options = [...(within(row("vera")).getByTestId("team-members-role-select") as HTMLSelectElement).options].map((o) => o.value);
    expect(options).toEqual(["viewer", "staff", "manager", "admin"]);
  });

  it("shows a viewer the members without any change controls", async () => {
    stubIdentity(async () => json({}, 500));
    renderAt("/team", "/team", <Team />, { ...me, roles: ["viewer"], memberships: [{ ...me.memberships[0]!, role: "viewer" }] });
    await screen.findByTestId("team-members-list");
    expect(screen.queryAllByTestId("team-members-role-select")).toHaveLength(0);
    expect(screen.getByTestId("team-manage-hint")).toBeTruthy();
  });

  it("lists pending invitations in words: role, when invited, when the link expires", async () => {
    const soon = new Date(Date.now() + 3 * 24 * 3_600_000 + 60_000).toISOString();
    const invitation = (id: string, status: string, expires_at: string) => ({
      id,
      email: `${id}@acme.test`,
      role: "manager",
      status,
      created_at: "2026-12-01T23:30:00Z",
      expires_at,
    });
    stubIdentity(async () => json({}), [invitation("nina", "pending", soon), invitation("olaf", "expired", "2026-11-01T00:00:00Z")]);
    renderAt("/team", "/team", <Team />, owner);
    const rows = await screen.findAllByTestId("team-invitations-row");
    expect(rows).toHaveLength(2);
    const [nina, olaf] = rows.map((element) => within(element));
    expect(nina!.getByTestId("team-invitations-role").textContent).toBe("Manager");
    expect(nina!.getByTestId("team-invitations-status").textContent).toBe("Pending, expires in 3 days");
    expect(olaf!.getByTestId("team-invitations-status").textContent).toBe("Expired: resend it for a new link");
    // On the organization's clock (Europe/Berlin in the testkit), whatever the browser's zone.
    expect(nina!.getByTestId("team-invitations-invited").textContent).toBe("2 Dec 2026, 00:30");
  });
});
