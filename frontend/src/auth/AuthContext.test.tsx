import { act, renderHook, waitFor } from "@testing-library/react";
import type { ReactNode } from "react";
import { describe, expect, it, vi } from "vitest";
import { AuthProvider, useAuth, type AuthApi, type Me } from "./AuthContext";
import { Session, type Tokens } from "./session";

const tokens: Tokens = { access_token: "a1", refresh_token: "r1", expires_in: 300 };
const acme = { id: "acme", name: "Acme", slug: "acme", timezone: "Europe/Berlin" };
const globex = { id: "globex", name: "Globex", slug: "globex", timezone: "UTC" };
const me = (organization: string): Me => ({
  id: "u1",
  email: "both@hub.test",
  name: "Bo Both",
  phone: null,
  mfa_enabled: false,
  organization_id: organization,
  roles: ["staff"],
  amr: ["pwd"],
  memberships: [
    { organization: acme, role: "staff" },
    { organization: globex, role: "manager" },
  ],
});

function setup(overrides: Partial<AuthApi> = {}) {
  const session = new Session(async () => tokens);
  let organization = "acme";
  const api: AuthApi = {
    login: vi.fn(async () => ({ tokens })),
    verifyMfa: vi.fn(async () => tokens),
    me: vi.fn(async () => me(organization)),
    switchOrganization: vi.fn(async (id: string) => {
      organization = id;
      return { ...tokens, access_token: `a-${id}` };
    }),
    logout: vi.fn(async () => undefined),
    ...overrides,
  };
  const wrapper = ({ children }: { children: ReactNode }) => (
    <AuthProvider api={api} session={session}>
      {children}
    </AuthProvider>
  );
  const hook = renderHook(() => useAuth(), { wrapper });
  return { api, session, hook };
}

describe("useAuth", () => {
  it("signs in, switches organization and signs out", async () => {
    const { api, session, hook } = setup();
    expect(hook.result.current.state.status).toBe("signed-out");
    await act(() => hook.result.current.signIn("both@hub.test", "pw"));
    expect(hook.result.current.state).toMatchObject({ status: "signed-in", me: { organization_id: "acme" } });
    expect(session.accessToken).toBe("a1");

    await act(() => hook.result.current.switchOrganization("globex"));
    expect(api.switchOrganization).toHaveBeenCalledWith("globex");
    expect(hook.result.current.state).toMatchObject({ me: { organization_id: "globex" } });
    expect(session.accessToken).toBe("a-globex");

    await act(() => hook.result.current.signOut());
    expect(api.logout).toHaveBeenCalledTimes(1);
    expect(hook.result.current.state.status).toBe("signed-out");
    expect(session.signedIn).toBe(false);
  });

  it("asks for the MFA code, then completes with it", async () => {
    const { api, hook } = setup({ login: vi.fn(async () => ({ mfaToken: "challenge" })) });
    await act(() => hook.result.current.signIn("mfa@acme.test", "pw"));
    expect(hook.result.current.state).toEqual({ status: "mfa", mfaToken: "challenge" });
    await act(() => hook.result.current.verifyMfa("123456"));
    expect(api.verifyMfa).toHaveBeenCalledWith("challenge", "123456");
    expect(hook.result.current.state.status).toBe("signed-in");
  });

  it("stays signed out when the login is refused", async () => {
    const { session, hook } = setup({ login: vi.fn(async () => Promise.reject(new Error("invalid"))) });
    await expect(act(() => hook.result.current.signIn("x@y.z", "bad"))).rejects.toThrow("invalid");
    expect(hook.result.current.state.status).toBe("signed-out");
    expect(session.signedIn).toBe(false);
  });

  it("signs out locally even when the logout call fails", async () => {
    const { hook, session } = setup({ logout: vi.fn(async () => Promise.reject(new Error("offline"))) });
    await act(() => hook.result.current.signIn("both@hub.test", "pw"));
    await act(() => hook.result.current.signOut().catch(() => undefined));
    expect(hook.result.current.state.status).toBe("signed-out");
    expect(session.signedIn).toBe(false);
  });

  it("falls back to signed out when the session ends by itself", async () => {
    const { hook, session } = setup();
    await act(() => hook.result.current.signIn("both@hub.test", "pw"));
    act(() => session.clear());
    await waitFor(() => expect(hook.result.current.state.status).toBe("signed-out"));
  });
});
