// The signed-in session: tokens live in this object only (memory), never in Web Storage.
// Refreshes are single-flight: every caller that needs a refresh while one is running awaits
// the same promise, so a rotating refresh token is spent exactly once.

export interface Tokens {
  access_token: string;
  refresh_token: string;
  expires_in: number;
}

export type Refresher = (refreshToken: string) => Promise<Tokens>;

/** Refresh this many seconds before the access token expires. */
export const REFRESH_MARGIN_SECONDS = 30;

export class Session {
  private tokens: Tokens | null = null;
  private inflight: Promise<string> | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly refresher: Refresher) {}

  get accessToken(): string | null {
    return this.tokens?.access_token ?? null;
  }

  get signedIn(): boolean {
    return this.tokens !== null;
  }

  set(tokens: Tokens): void {
    this.tokens = tokens;
    this.schedule(tokens.expires_in);
  }

  clear(): void {
    const had = this.tokens !== null;
    this.tokens = null;
    this.inflight = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (had) this.listeners.forEach((listener) => listener());
  }

  /** Called when the session ends by itself (refresh refused). */
  onEnded(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A fresh access token; concurrent calls share one refresh. Rejects (and ends the session)
   * when the refresh is refused. */
  refresh(): Promise<string> {
    if (this.inflight) return this.inflight;
    const current = this.tokens;
    if (!current) return Promise.reject(new Error("not signed in"));
    const attempt = this.refresher(current.refresh_token).then(
      (tokens) => {
        if (this.inflight === attempt) {
          this.inflight = null;
          this.set(tokens);
        }
        return tokens.access_token;
      },
      (error: unknown) => {
        if (this.inflight === attempt) this.clear();
        throw error;
      },
    );
    this.inflight = attempt;
    return attempt;
  }

  private schedule(expiresIn: number): void {
    if (this.timer) clearTimeout(this.timer);
    const delay = Math.max(expiresIn - REFRESH_MARGIN_SECONDS, 1) * 1000;
    this.timer = setTimeout(() => {
      this.refresh().catch(() => undefined);
    }, delay);
  }
}

/** fetch with the bearer token; on a 401 refreshes once (shared) and retries the request once. */
export function authorizedFetch(session: Session, base: typeof fetch = fetch) {
  return async (input: Request): Promise<Response> => {
    const retry = input.clone();
    const token = session.accessToken;
    if (token) input.headers.set("Authorization", `Bearer ${token}`);
    const response = await base(input);
    if (response.status !== 401 || !token) return response;
    let fresh: string;
    try {
      // Another request may have refreshed already while this one was on its way.
      const current = session.accessToken;
      fresh = current && current !== token ? current : await session.refresh();
    } catch {
      return response;
    }
    retry.headers.set("Authorization", `Bearer ${fresh}`);
    return base(retry);
  };
}
