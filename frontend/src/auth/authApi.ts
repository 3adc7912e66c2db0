import { identity, publicIdentity, unwrap } from "../api/client";
import type { AuthApi } from "./AuthContext";

export const authApi: AuthApi = {
  async login(email, password) {
    const data = unwrap(await publicIdentity.POST("/api/v1/auth/login", { body: { email, password } }));
    if ("mfa_required" in data) return { mfaToken: data.mfa_token };
    return { tokens: data };
  },
  async verifyMfa(mfaToken, code) {
    return unwrap(await publicIdentity.POST("/api/v1/auth/mfa/verify", { body: { mfa_token: mfaToken, code } }));
  },
  async me() {
    return unwrap(await identity.GET("/api/v1/users/me"));
  },
  async switchOrganization(organizationId) {
    return unwrap(
      await identity.POST("/api/v1/auth/switch-organization", { body: { organization_id: organizationId } }),
    );
  },
  async logout() {
    unwrap(await identity.POST("/api/v1/auth/logout"));
  },
};
