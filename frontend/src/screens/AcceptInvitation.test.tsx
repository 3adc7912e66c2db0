import { cleanup, fireEvent, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { session } from "../api/client";
import { AcceptInvitation } from "./AcceptInvitation";
import { json, me, renderAt } from "./moneyTestkit";

const acme = me.memberships[0]!.organization;
const preview = { email: "nina@acme.test", role: "staff", organization: acme, expires_at: "2026-12-06T10:00:00Z" };
const problem = (status: number, body: Record<string, unknown>) =>
  new Response(JSON.stringify({ status, ...body }), { status, headers: { "Content-Type": "application/problem+json" } });

/** identity-service's invitation endpoints: the preview as given, the accept as `accept` answers. */
function stubInvitations(previewAnswer: () => Response, accept: (request: Request) => Response) {
  const accepts: Request[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: Request) => {
      const { pathname } = new URL(input.url);
      if (input.method === "POST" && pathname === "/identity/api/v1/invitations/preview") {
        expect(await input.json()).toEqual({ token: "tok-1" });
        return previewAnswer();
      }
      if (input.method === "POST" && pathname === "/identity/api/v1/invitations/accept") {
        accepts.push(input.clone());
        return accept(input);
      }
      return json({ title: "Not found" }, 404);
    }),
  );
  return accepts;
}

const url = "/invitations/accept?token=tok-1";
const path = "/invitations/accept";

describe("AcceptInvitation", () => {
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
    session.clear();
  });

  it("creates the new account with the name and password, and lands signed in", async () => {
    const accepts = stubInvitations(
      () => json(preview),
      () => json({ organization: acme, role: "staff", tokens: { access_token: "n1", refresh_token: "nr1", expires_in: 300 } }),
    );
    renderAt(url, path, <AcceptInvitation />, null);
    expect((await screen.findByTestId("invite-accept-summary")).textContent).toBe("You are invited to join Acme as staff (nina@acme.test).");
    fireEvent.change(screen.getByTestId("invite-accept-name"), { target: { value: "  Nina New " } });
    fireEvent.change(screen.getByTestId("invite-accept-password"), { target: { value: "a long password" } });
    fireEvent.click(screen.getByTestId("invite-accept-submit"));

    await screen.findByTestId("testkit-elsewhere");
    expect(accepts).toHaveLength(1);
    expect(accepts[0]!.headers.get("Authorization")).toBeNull();
    expect(await accepts[0]!.json()).toEqual({ token: "tok-1", name: "Nina New", password: "a long password" });
    expect(session.accessToken).toBe("n1");
  });

  it("sends an existing account to sign in, then accepts with its bearer token only", async () => {
    const accepts = stubInvitations(
      () => json(preview),
      (request) =>
        request.headers.get("Authorization")
          ? json({ organization: acme, role: "staff", tokens: null })
          : problem(409, { title: "Sign in to accept", detail: "An account exists for this address: sign in with it, then accept.", code: "sign_in_to_accept" }),
    );
    renderAt(url, path, <AcceptInvitation />, null);
    await screen.findByTestId("invite-accept-summary");
    fireEvent.change(screen.getByTestId("invite-accept-name"), { target: { value: "Nina" } });
    fireEvent.change(screen.getByTestId("invite-accept-password"), { target: { value: "a long password" } });
    fireEvent.click(screen.getByTestId("invite-accept-submit"));

    expect((await screen.findByRole("heading", { name: "Sign in as nina@acme.test to accept" })).tagName).toBe("H1");
    fireEvent.change(screen.getByTestId("auth-signin-email"), { target: { value: "nina@acme.test" } });
    fireEvent.change(screen.getByTestId("auth-signin-password"), { target: { value: "her password" } });
    fireEvent.click(screen.getByTestId("auth-signin-submit"));

    // Signed in, the screen offers the accept itself: no name or password any more.
    const accept = await screen.findByRole("button", { name: "Accept invitation" });
    expect(screen.queryByTestId("invite-accept-password")).toBeNull();
    fireEvent.click(accept);
    await screen.findByTestId("testkit-elsewhere");
    expect(accepts).toHaveLength(2);
    expect(accepts[1]!.headers.get("Authorization")).toBe("Bearer a1");
    expect(await accepts[1]!.json()).toEqual({ token: "tok-1" });
  });

  it("says in words that an expired invitation cannot be used, and what to do instead", async () => {
    const accepts = stubInvitations(
      () => problem(410, { title: "Invitation not valid", detail: "This invitation link is not valid (unknown, expired, revoked or used).", code: "invitation_invalid" }),
      () => json({}),
    );
    renderAt(url, path, <AcceptInvitation />, null);
    const error = await screen.findByTestId("invite-accept-error");
    expect(error.textContent).toContain("This invitation link is not valid (unknown, expired, revoked or used).");
    expect(error.textContent).not.toMatch(/invitation_invalid|410/);
    expect(screen.getByTestId("invite-accept-next").textContent).toContain("send a new invitation");
    expect(screen.getByTestId("invite-accept-home").getAttribute("href")).toBe("/");
    expect(screen.queryByTestId("invite-accept-submit")).toBeNull();
    expect(accepts).toHaveLength(0);
  });

  it("says an invitation link without its token is incomplete", async () => {
    stubInvitations(() => json(preview), () => json({}));
    renderAt(path, path, <AcceptInvitation />, null);
    expect((await screen.findByTestId("invite-accept-error")).textContent).toContain("This invitation link is incomplete.");
    expect(screen.getByTestId("invite-accept-home").getAttribute("href")).toBe("/");
    expect(fetch).not.toHaveBeenCalled();
  });
});
