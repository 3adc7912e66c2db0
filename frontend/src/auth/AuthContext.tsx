import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import type { components } from "../api/generated/identity";
import type { Session, Tokens } from "./session";

export type Me = components["schemas"]["MeOut"];

/** What the auth state needs from identity-service (the real one is in authApi.ts). */
export interface AuthApi {
  login(email: string, password: string): Promise<{ tokens: Tokens } | { mfaToken: string }>;
  verifyMfa(mfaToken: string, code: string): Promise<Tokens>;
  me(): Promise<Me>;
  switchOrganization(organizationId: string): Promise<Tokens>;
  logout(): Promise<void>;
}

export type AuthState =
  | { status: "signed-out" }
  | { status: "mfa"; mfaToken: string }
  | { status: "signed-in"; me: Me };

export interface Auth {
  state: AuthState;
  signIn(email: string, password: string): Promise<void>;
  verifyMfa(code: string): Promise<void>;
  /** Start a session from tokens obtained elsewhere (an accepted invitation). */
  establish(tokens: Tokens): Promise<void>;
  switchOrganization(organizationId: string): Promise<void>;
  signOut(): Promise<void>;
  cancelMfa(): void;
}

const AuthContext = createContext<Auth | null>(null);

export function AuthProvider({ api, session, children }: { api: AuthApi; session: Session; children: ReactNode }) {
  const [state, setState] = useState<AuthState>({ status: "signed-out" });

  useEffect(() => session.onEnded(() => setState({ status: "signed-out" })), [session]);

  const establish = useCallback(
    async (tokens: Tokens) => {
      session.set(tokens);
      try {
        setState({ status: "signed-in", me: await api.me() });
      } catch (error) {
        session.clear();
        setState({ status: "signed-out" });
        throw error;
      }
    },
    [api, session],
  );

  const auth = useMemo<Auth>(
    () => ({
      state,
      establish,
      async signIn(email, password) {
        const result = await api.login(email, password);
        if ("mfaToken" in result) setState({ status: "mfa", mfaToken: result.mfaToken });
        else await establish(result.tokens);
      },
      async verifyMfa(code) {
        if (state.status !== "mfa") throw new Error("no MFA challenge is open");
        await establish(await api.verifyMfa(state.mfaToken, code));
      },
      async switchOrganization(organizationId) {
        await establish(await api.switchOrganization(organizationId));
      },
      async signOut() {
        try {
          if (session.signedIn) await api.logout();
        } finally {
          session.clear();
          setState({ status: "signed-out" });
        }
      },
      cancelMfa() {
        setState({ status: "signed-out" });
      },
    }),
    [api, session, state, establish],
  );

  return <AuthContext.Provider value={auth}>{children}</AuthContext.Provider>;
}

export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error("useAuth needs an AuthProvider");
  return auth;
}

export function useMe(): Me {
  const { state } = useAuth();
  if (state.status !== "signed-in") throw new Error("not signed in");
  return state.me;
}
