import { afterEach, describe, expect, it, vi } from "vitest";
import { authorizedFetch, REFRESH_MARGIN_SECONDS, Session, type Tokens } from "./session";

const tokens = (n: number, expiresIn = 300): Tokens => ({
  access_token: `access-${n}`,
  refresh_token: `refresh-${n}`,
  expires_in: expiresIn,
});

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}

afterEach(() => vi.useRealTimers());

describe("Session.refresh", () => {
  it("shares one refresh between concurrent callers and spends the refresh token once", async () => {
    const pending = deferred<Tokens>();
    const refresher = vi.fn(() => pending.promise);
    const session = new Session(refresher);
    session.set(tokens(1));
    const calls = [session.refresh(), session.refresh(), session.refresh()];
    pending.resolve(tokens(2));
    expect(await Promise.all(calls)).toEqual(["access-2", "access-2", "access-2"]);
    expect(refresher).toHaveBeenCalledTimes(1);
    expect(refresher).toHaveBeenCalledWith("refresh-1");
    expect(session.accessToken).toBe("access-2");
    await session.refresh();
    expect(refresher).toHaveBeenLastCalledWith("refresh-2");
  });

  it("ends the session when the refresh is refused", async () => {
    const session = new Session(() => Promise.reject(new Error("refresh_token_reused")));
    const ended = vi.fn();
    session.onEnded(ended);
    session.set(tokens(1));
    await expect(session.refresh()).rejects.toThrow("refresh_token_reused");
    expect(session.signedIn).toBe(false);
    expect(ended).toHaveBeenCalledTimes(1);
  });

  it("refreshes before the access token expires", async () => {
    vi.useFakeTimers();
    const refresher = vi.fn(async () => tokens(2));
    const session = new Session(refresher);
    session.set(tokens(1, 120));
    await vi.advanceTimersByTimeAsync((120 - REFRESH_MARGIN_SECONDS - 1) * 1000);
    expect(refresher).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1000);
    expect(refresher).toHaveBeenCalledTimes(1);
    expect(session.accessToken).toBe("access-2");
    session.clear();
  });
});

describe("authorizedFetch", () => {
  const request = () => new Request("http://hub.test/api/v1/contacts");

  it("sends the bearer token and retries a 401 once with the refreshed one", async () => {
    const session = new Session(async () => tokens(2));
    session.set(tokens(1));
    const seen: (string | null)[] = [];
    const base = vi.fn(async (input: Request) => {
      seen.push(input.headers.get("Authorization"));
      return new Response(null, { status: seen.length === 1 ? 401 : 200 });
    });
    const response = await authorizedFetch(session, base as unknown as typeof fetch)(request());
    expect(response.status).toBe(200);
    expect(seen).toEqual(["Bearer access-1", "Bearer access-2"]);
    session.clear();
  });

  it("concurrent 401s cause a single refresh", async () => {
    const refresher = vi.fn(async () => tokens(2));
    const session = new Session(refresher);
    session.set(tokens(1));
    const base = async (input: Request) =>
      new Response(null, { status: input.headers.get("Authorization") === "Bearer access-1" ? 401 : 200 });
    const send = authorizedFetch(session, base as unknown as typeof fetch);
    const responses = await Promise.all([send(request()), send(request()), send(request())]);
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(refresher).toHaveBeenCalledTimes(1);
    session.clear();
  });

  it("does not retry twice: a second 401 is returned as it is", async () => {
    const session = new Session(async () => tokens(2));
    session.set(tokens(1));
    const base = vi.fn(async () => new Response(null, { status: 401 }));
    const response = await authorizedFetch(session, base as unknown as typeof fetch)(request());
    expect(response.status).toBe(401);
    expect(base).toHaveBeenCalledTimes(2);
    session.clear();
  });

  it("returns the 401 when the refresh fails, and the session is over", async () => {
    const session = new Session(() => Promise.reject(new Error("expired")));
    session.set(tokens(1));
    const base = vi.fn(async () => new Response(null, { status: 401 }));
    const response = await authorizedFetch(session, base as unknown as typeof fetch)(request());
    expect(response.status).toBe(401);
    expect(base).toHaveBeenCalledTimes(1);
    expect(session.signedIn).toBe(false);
  });
});
