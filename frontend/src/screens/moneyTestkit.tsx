// Rendering a money screen in tests: signed in as a manager of one organization, in a router.
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render } from "@testing-library/react";
import { useEffect, type ReactElement, type ReactNode } from "react";
import { MemoryRouter, Route, Routes } from "react-router";
import { session } from "../api/client";
import { AuthProvider, useAuth, type AuthApi, type Me } from "../auth/AuthContext";
import type { Tokens } from "../auth/session";

export const tokens: Tokens = { access_token: "a1", refresh_token: "r1", expires_in: 300 };
const acme = { id: "acme", name: "Acme", slug: "acme", timezone: "Europe/Berlin" };
export const me: Me = {
  id: "u1",
  email: "manager@acme.test",
  name: "Max Manager",
  phone: null,
  mfa_enabled: false,
  organization_id: "acme",
  roles: ["manager"],
  amr: ["pwd"],
  memberships: [{ organization: acme, role: "manager" }],
};
function authApi(user: Me): AuthApi {
  return {
    login: async () => ({ tokens }),
    verifyMfa: async () => tokens,
    me: async () => user,
    switchOrganization: async () => tokens,
    logout: async () => undefined,
  };
}

export function json(body: unknown, status = 200) {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

function SignedIn({ children, signIn }: { children: ReactNode; signIn: boolean }) {
  const auth = useAuth();
  useEffect(() => {
    if (signIn && auth.state.status === "signed-out") void auth.signIn("manager@acme.test", "pw");
  }, [auth, signIn]);
  return !signIn || auth.state.status === "signed-in" ? <>{children}</> : null;
}

/** Renders `element` at `url` (matched by `path`), with a fresh query cache; any other path renders a placeholder.
 * `as` signs in as that user, or as the manager with that one role (the manager by default); with
 * `null` the screen starts signed out, and signing in on it (any password) signs in as the manager. */
export function renderAt(url: string, path: string, element: ReactElement, as: Me | Me["roles"][number] | null = me) {
  const user = as === null ? me : typeof as === "string" ? { ...me, roles: [as], memberships: [{ organization: acme, role: as }] } : as;
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={queryClient}>
      <AuthProvider api={authApi(user)} session={session}>
        <SignedIn signIn={as !== null}>
          <MemoryRouter initialEntries={[url]}>
            <Routes>
              <Route path={path} element={element} />
              <Route path="*" element={<p data-testid="testkit-elsewhere">elsewhere</p>} />
            </Routes>
          </MemoryRouter>
        </SignedIn>
      </AuthProvider>
    </QueryClientProvider>,
  );
}

/** jsdom has no <dialog> methods. */
export function polyfillDialog() {
  HTMLDialogElement.prototype.showModal ??= function (this: HTMLDialogElement) {
    this.setAttribute("open", "");
  };
  HTMLDialogElement.prototype.close ??= function (this: HTMLDialogElement) {
    this.removeAttribute("open");
  };
}
