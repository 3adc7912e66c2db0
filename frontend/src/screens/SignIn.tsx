import { useState, type FormEvent } from "react";
import { errorOf, fieldMessage, type UserError } from "../api/problem";
import { useAuth } from "../auth/AuthContext";
import { Button, ErrorAlert, TextField } from "../ui";

export function SignIn({ heading = "Sign in to Hub" }: { heading?: string }) {
  const auth = useAuth();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [error, setError] = useState<UserError | null>(null);
  const [busy, setBusy] = useState(false);
  const mfa = auth.state.status === "mfa";

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (mfa) await auth.verifyMfa(code.trim());
      else await auth.signIn(email.trim(), password);
    } catch (caught) {
      setError(errorOf(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="flex min-h-screen items-center justify-center p-4">
      <form onSubmit={submit} noValidate className="flex w-full max-w-sm flex-col gap-4 rounded-lg bg-white p-6 shadow" aria-labelledby="signin-heading">
        <h1 id="signin-heading" className="text-xl font-semibold">
          {mfa ? "Two-step verification" : heading}
        </h1>
        <ErrorAlert error={error} testId="auth-signin-error" />
        {mfa ? (
          <>
            <p className="text-sm text-slate-700">Enter the 6-digit code from your authenticator app.</p>
            <TextField
              label="Authentication code"
              inputMode="numeric"
              autoComplete="one-time-code"
              autoFocus
              value={code}
              onChange={(event) => setCode(event.target.value)}
              error={fieldMessage(error, "code")}
              data-testid="auth-mfa-code"
            />
            <Button type="submit" disabled={busy} data-testid="auth-mfa-submit">
              Verify
            </Button>
            <Button variant="secondary" onClick={() => auth.cancelMfa()} data-testid="auth-mfa-cancel">
              Back
            </Button>
          </>
        ) : (
          <>
            <TextField
              label="Email"
              type="email"
              autoComplete="username"
              required
              value={email}
              onChange={(event) => setEmail(event.target.value)}
              error={fieldMessage(error, "email")}
              data-testid="auth-signin-email"
            />
            <TextField
              label="Password"
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(event) => setPassword(event.target.value)}
              error={fieldMessage(error, "password")}
              data-testid="auth-signin-password"
            />
            <Button type="submit" disabled={busy} data-testid="auth-signin-submit">
              Sign in
            </Button>
          </>
        )}
      </form>
    </main>
  );
}
