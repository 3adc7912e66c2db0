import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { session } from "../api/client";
import { ApiError } from "../api/problem";
import { AuthProvider, useAuth, type AuthApi } from "../auth/AuthContext";
import { SignIn } from "./SignIn";
import { me, tokens } from "./moneyTestkit";

/** A password that asks for a second step; only the code 123456 passes it. */
function mfaApi(seen: string[]): AuthApi {
  return {
    login: async () => ({ mfaToken: "m1" }),
    verifyMfa: async (mfaToken, code) => {
      seen.push(`${mfaToken}:${code}`);
      if (code !== "123456")
        throw new ApiError(401, { title: "Unauthorized", status: 401, code: "mfa_invalid_code", detail: "That code is not right. Try the newest one." });
      return tokens;
    },
    me: async () => me,
    switchOrganization: async () => tokens,
    logout: async () => undefined,
  };
}

function Status() {
  const auth = useAuth();
  return <p data-testid="test-auth-status">{auth.state.status}</p>;
}

describe("SignIn with a second step", () => {
  afterEach(() => {
    cleanup();
    session.clear();
  });

  it("asks for the code after the password, says a wrong one in words, and signs in with the right one", async () => {
    const seen: string[] = [];
    render(
      <AuthProvider api={mfaApi(seen)} session={session}>
        <SignIn />
        <Status />
      </AuthProvider>,
    );
    expect(screen.queryByTestId("auth-mfa-code")).toBeNull();
    fireEvent.change(screen.getByTestId("auth-signin-email"), { target: { value: "manager@acme.test" } });
    fireEvent.change(screen.getByTestId("auth-signin-password"), { target: { value: "pw" } });
    fireEvent.click(screen.getByTestId("auth-signin-submit"));

    const code = await screen.findByTestId("auth-mfa-code");
    expect(screen.queryByTestId("auth-signin-password")).toBeNull();
    fireEvent.change(code, { target: { value: "000000" } });
    fireEvent.click(screen.getByTestId("auth-mfa-submit"));
    const error = await screen.findByTestId("auth-signin-error");
    expect(error.textContent).toContain("That code is not right.");
    expect(error.textContent).not.toContain("mfa_invalid_code");
    expect(screen.getByTestId("test-auth-status").textContent).toBe("mfa");

    fireEvent.change(screen.getByTestId("auth-mfa-code"), { target: { value: "123456" } });
    fireEvent.click(screen.getByTestId("auth-mfa-submit"));
    await waitFor(() => expect(screen.getByTestId("test-auth-status").textContent).toBe("signed-in"));
    expect(seen).toEqual(["m1:000000", "m1:123456"]);
  });
});
