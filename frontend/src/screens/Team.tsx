import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { identity, unwrap } from "../api/client";
import type { components } from "../api/generated/identity";
import { errorOf, fieldMessage, type UserError } from "../api/problem";
import { useMe } from "../auth/AuthContext";
import { Button, ConfirmDialog, ErrorAlert, Notice, SelectField, Table, TextField } from "../ui";

type Role = components["schemas"]["Role"];
type Invitation = components["schemas"]["InvitationOut"];
const ROLES: Role[] = ["viewer", "staff", "manager", "admin", "owner"];

function Members({ organizationId }: { organizationId: string }) {
  const members = useQuery({
    queryKey: ["members", organizationId],
    queryFn: async () =>
      unwrap(
        await identity.GET("/api/v1/organizations/{organization_id}/members", {
          params: { path: { organization_id: organizationId }, query: { limit: 200 } },
        }),
      ).items,
  });
  if (members.isPending) return <p role="status" data-testid="team-members-loading">Loading members…</p>;
  if (members.isError) return <ErrorAlert error={errorOf(members.error)} testId="team-members-error" />;
  return (
    <Table caption="Members" head={["Name", "Email", "Role"]} testId="team-members-table">
      {members.data.map((member) => (
        <tr key={member.user.id} data-testid="team-members-row">
          <td className="px-3 py-2 font-medium">{member.user.name}</td>
          <td className="px-3 py-2">{member.user.email}</td>
          <td className="px-3 py-2">{member.role}</td>
        </tr>
      ))}
    </Table>
  );
}

function InviteForm({ organizationId }: { organizationId: string }) {
  const queryClient = useQueryClient();
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("staff");
  const [error, setError] = useState<UserError | null>(null);
  const [sent, setSent] = useState<string | null>(null);
  const invite = useMutation({
    mutationFn: async () =>
      unwrap(
        await identity.POST("/api/v1/organizations/{organization_id}/invitations", {
          params: { path: { organization_id: organizationId } },
          body: { email: email.trim(), role },
        }),
      ),
    onSuccess: (invitation) => {
      setSent(invitation.email);
      setEmail("");
      setError(null);
      void queryClient.invalidateQueries({ queryKey: ["invitations", organizationId] });
    },
    onError: (caught) => {
      setSent(null);
      setError(errorOf(caught));
    },
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    invite.mutate();
  }
  return (
    <form onSubmit={submit} noValidate className="flex flex-col gap-3 rounded-lg bg-white p-4 shadow-sm" aria-labelledby="invite-heading">
      <h2 id="invite-heading" className="text-lg font-semibold">
        Invite someone
      </h2>
      <ErrorAlert error={error} testId="team-invite-error" />
      {sent && <Notice testId="team-invite-sent">Invitation sent to {sent}.</Notice>}
      <div className="flex flex-wrap items-end gap-3">
        <div className="min-w-64 grow">
          <TextField
            label="Email"
            type="email"
            required
            value={email}
            onChange={(event) => setEmail(event.target.value)}
            error={fieldMessage(error, "email")}
            data-testid="team-invite-email"
          />
        </div>
        <SelectField label="Role" value={role} onChange={(event) => setRole(event.target.value as Role)} data-testid="team-invite-role">
          {ROLES.map((option) => (
            <option key={option} value={option}>
              {option}
            </option>
          ))}
        </SelectField>
        <Button type="submit" disabled={invite.isPending} data-testid="team-invite-submit">
          Send invitation
        </Button>
      </div>
    </form>
  );
}

function Invitations({ organizationId }: { organizationId: string }) {
  const queryClient = useQueryClient();
  const [revoking, setRevoking] = useState<Invitation | null>(null);
  const [error, setError] = useState<UserError | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const invitations = useQuery({
    queryKey: ["invitations", organizationId],
    queryFn: async () =>
      unwrap(
        await identity.GET("/api/v1/organizations/{organization_id}/invitations", {
          params: { path: { organization_id: organizationId }, query: { limit: 200 } },
        }),
      ).items.filter((invitation) => invitation.status === "pending" || invitation.status === "expired"),
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["invitations", organizationId] });
  const resend = useMutation({
    mutationFn: async (invitation: Invitation) =>
      unwrap(
        await identity.POST("/api/v1/organizations/{organization_id}/invitations/{invitation_id}/resend", {
          params: { path: { organization_id: organizationId, invitation_id: invitation.id } },
        }),
      ),
    onSuccess: (invitation) => {
      setError(null);
      setNotice(`Invitation sent again to ${invitation.email}.`);
      void refresh();
    },
    onError: (caught) => setError(errorOf(caught)),
  });
  const revoke = useMutation({
    mutationFn: async (invitation: Invitation) =>
      unwrap(
        await identity.DELETE("/api/v1/organizations/{organization_id}/invitations/{invitation_id}", {
          params: { path: { organization_id: organizationId, invitation_id: invitation.id } },
        }),
      ),
    onSuccess: () => {
      setError(null);
      setNotice("Invitation revoked.");
      void refresh();
    },
    onError: (caught) => setError(errorOf(caught)),
  });

  return (
    <section aria-labelledby="invitations-heading" className="flex flex-col gap-3">
      <h2 id="invitations-heading" className="text-lg font-semibold">
        Pending invitations
      </h2>
      <ErrorAlert error={error} testId="team-invitations-error" />
      {notice && <Notice testId="team-invitations-notice">{notice}</Notice>}
      {invitations.isPending ? (
        <p role="status">Loading invitations…</p>
      ) : invitations.isError ? (
        <ErrorAlert error={errorOf(invitations.error)} testId="team-invitations-load-error" />
      ) : invitations.data.length === 0 ? (
        <p data-testid="team-invitations-empty" className="text-sm text-slate-700">
          No pending invitations.
        </p>
      ) : (
        <Table caption="Pending invitations" head={["Email", "Role", "Status", "Actions"]} testId="team-invitations-table">
          {invitations.data.map((invitation) => (
            <tr key={invitation.id} data-testid="team-invitations-row">
              <td className="px-3 py-2">{invitation.email}</td>
              <td className="px-3 py-2">{invitation.role}</td>
              <td className="px-3 py-2">{invitation.status}</td>
              <td className="flex gap-2 px-3 py-2">
                <Button
                  variant="secondary"
                  onClick={() => resend.mutate(invitation)}
                  aria-label={`Resend invitation to ${invitation.email}`}
                  data-testid="team-invitations-resend"
                >
                  Resend
                </Button>
                <Button
                  variant="danger"
                  onClick={() => setRevoking(invitation)}
                  aria-label={`Revoke invitation to ${invitation.email}`}
                  data-testid="team-invitations-revoke"
                >
                  Revoke
                </Button>
              </td>
            </tr>
          ))}
        </Table>
      )}
      <ConfirmDialog
        open={revoking !== null}
        title="Revoke invitation?"
        confirmLabel="Revoke"
        testId="team-revoke-dialog"
        onCancel={() => setRevoking(null)}
        onConfirm={() => {
          if (revoking) revoke.mutate(revoking);
          setRevoking(null);
        }}
      >
        The link sent to {revoking?.email} will stop working.
      </ConfirmDialog>
    </section>
  );
}

export function Team() {
  const me = useMe();
  const organizationId = me.organization_id;
  const canManage = me.roles.includes("owner") || me.roles.includes("admin");
  if (!organizationId) return <p>You are not a member of any organization.</p>;
  return (
    <section aria-labelledby="team-heading" className="flex flex-col gap-6">
      <h1 id="team-heading" className="text-2xl font-semibold">
        Team
      </h1>
      <Members organizationId={organizationId} />
      {canManage ? (
        <>
          <InviteForm organizationId={organizationId} />
          <Invitations organizationId={organizationId} />
        </>
      ) : (
        <p data-testid="team-manage-hint" className="text-sm text-slate-700">
          Only owners and admins can invite people.
        </p>
      )}
    </section>
  );
}
