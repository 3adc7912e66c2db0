// Typed clients for the two APIs the browser talks to, both through this origin:
// the backend under /api, identity-service under /identity (see vite.config.ts).
import createClient from "openapi-fetch";
import { Session, type Tokens } from "../auth/session";
import { authorizedFetch } from "../auth/session";
import type { paths as BackendPaths } from "./generated/backend";
import type { paths as IdentityPaths } from "./generated/identity";
import { ApiError } from "./problem";

const origin = typeof window !== "undefined" ? window.location.origin : "http://localhost";
export const IDENTITY_BASE = `${origin}/identity`;

/** Identity calls that need no bearer token (login, MFA, refresh, invitation preview/accept).
 * openapi-fetch would capture `globalThis.fetch` once, at creation; looking it up per call keeps
 * this client on the same fetch as the others (a stubbed one in tests included). */
export const publicIdentity = createClient<IdentityPaths>({ baseUrl: IDENTITY_BASE, fetch: (request) => fetch(request) });

async function refreshTokens(refreshToken: string): Promise<Tokens> {
  const { data, error, response } = await publicIdentity.POST("/api/v1/auth/refresh", {
    body: { refresh_token: refreshToken },
  });
  if (!data) throw new ApiError(response.status, error);
  return data;
}

export const session = new Session(refreshTokens);
const fetchWithAuth = authorizedFetch(session, (request) => fetch(request));

export const identity = createClient<IdentityPaths>({ baseUrl: IDENTITY_BASE, fetch: fetchWithAuth });
export const backend = createClient<BackendPaths>({ baseUrl: origin, fetch: fetchWithAuth });

/** The data of an openapi-fetch answer, or an ApiError with the problem's words. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.response.ok) return result.data as T;
  throw new ApiError(result.response.status, result.error);
}
