import { useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { identity, publicIdentity, unwrap } from "../api/client";
import { ApiError, errorOf, fieldMessage, type UserError } from "../api/problem";
import { useAuth } from "../auth/AuthContext";
import { Button, ErrorAlert, TextField } from "../ui";
import { SignIn } from "./SignIn";

export function AcceptInvitation() {
  const [params] = useSearchParams();
  const token = params.get("token") ?? "";
  const auth = useAuth();
  const navigate = useNavigate();
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<UserError | null>(null);
  const [needsSignIn, setNeedsSignIn] = useState(false);
  const [busy, setBusy] = useState(false);
  const preview = useQuery({
    queryKey: ["invitation-preview", token],
    enabled: token !== "",
    retry: false,
    queryFn: async () => unwrap(await publicIdentity.POST("/api/v1/invitations/preview", { body: { token } })),
  });
  const signedIn = auth.state.status === "signed-in";

  async function accept(event?: FormEvent) {
    event?.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const client = signedIn ? identity : publicIdentity;
      const body = signedIn ? { token } : { token, name: name.trim(), password };
      const accepted = unwrap(await client.POST("/api/v1/invitations/accept", { body }));
      if (accepted.tokens) await auth.establish(accepted.tokens);
      else if (accepted.organization.id) await auth.switchOrganization(accepted.organization.id);
      navigate("/contacts");
    } catch (caught) {
      if (caught instanceof ApiError && caught.userError && caught.status === 409 && !signedIn) setNeedsSignIn(true);
      setError(errorOf(caught));
    } finally {
      setBusy(false);
    }
  }

  if (!token) return <Unusable error={{ message: "This invitation link is incomplete.", fields: [] }} />;
  if (preview.isPending) return <Frame><p role="status">Checking the invitation…</p></Frame>;
  if (preview.isError) return <Unusable error={errorOf(preview.error)} />;
  const invitation = preview.data;
  if (needsSignIn && !signedIn) {
    return <SignIn heading={`Sign in as ${invitation.email} to accept`} />;
  }

  return (
    <Frame>
      <p data-testid="invite-accept-summary" className="text-sm text-slate-700">
        You are invited to join <strong>{invitation.organization.name}</strong> as <strong>{invitation.role}</strong> ({invitation.email}).
      </p>
      <ErrorAlert error={error} testId="invite-accept-error" />
      {signedIn ? (
        <Button onClick={() => accept()} disabled={busy} data-testid="invite-accept-submit">
          Accept invitation
        </Button>
      ) : (
        <form onSubmit={accept} noValidate className="flex flex-col gap-3">
          <TextField label="Your name" autoComplete="name" value={name} onChange={(event) => setName(event.target.value)} error={fieldMessage(error, "name")} data-testid="invite-accept-name" />
          <TextField
            label="Choose a password"
            type="password"
            autoComplete="new-password"
            value={password}
            onChange={(event) => setPassword(event.target.value)}
            error={fieldMessage(error, "password")}
            data-testid="invite-accept-password"
          />
          <Button type="submit" disabled={busy} data-testid="invite-accept-submit">
            Create account and join
          </Button>
          <Button variant="secondary" onClick={() => setNeedsSignIn(true)} data-testid="invite-accept-signin">
            I already have an account: sign in to accept
          </Button>
        </form>
      )}
      <HomeLink />
    </Frame>
  );
}

/** A link that cannot be accepted (incomplete, unknown, expired, revoked or used): why, and what to do. */
function Unusable({ error }: { error: UserError }) {
  return (
    <Frame>
      <ErrorAlert error={error} testId="invite-accept-error" />
      <p data-testid="invite-accept-next" className="text-sm text-slate-700">
        Ask the person who invited you to send a new invitation. If you already belong to the organization, sign in to Hub.
      </p>
      <HomeLink />
    </Frame>
  );
}

function HomeLink() {
  return (
    <Link to="/" className="text-sm text-indigo-800 underline" data-testid="invite-accept-home">
      Go to Hub
    </Link>
  );
}

function Frame({ children }: { children: React.ReactNode }) {
  return (
    <main className="flex min-h-screen items-center justify-center p-4">
      <div className="flex w-full max-w-md flex-col gap-4 rounded-lg bg-white p-6 shadow">
        <h1 className="text-xl font-semibold">Join an organization</h1>
        {children}
      </div>
    </main>
  );
}
