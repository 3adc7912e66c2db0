import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { identity, unwrap } from "../api/client";
import { errorOf, fieldMessage, type UserError } from "../api/problem";
import { useAuth, useMe } from "../auth/AuthContext";
import { Button, ConfirmDialog, ErrorAlert, Notice, SelectField, Table, TextField } from "../ui";
import {
  ROLES,
  INVITATION_STATUS_LABELS,
  ROLE_LABELS,
  assignableRoles,
  canManageMembers,
  invitationExpiry,
  isLastOwner,
  mayTouch,
  memberChangeError,
  type Invitation,
  type Member,
  type Role,
} from "./teamLogic";
import { formatDateTime } from "./invoiceLogic";
import { useOrganizationTimeZone } from "./insightsData";

const focus = "focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600";

function MemberRow({
  member,
  members,
  organizationId,
  onResult,
}: {
  member: Member;
  members: Member[];
  organizationId: string;
  onResult: (result: { notice?: string; error?: UserError }) => void;
}) {
  const me = useMe();
  const auth = useAuth();
  const queryClient = useQueryClient();
  const actorRole = me.memberships.find((membership) => membership.organization.id === organizationId)?.role;
  const [role, setRole] = useState<Role>(member.role);
  const [removing, setRemoving] = useState(false);
  const self = member.user.id === me.id;
  const editable = mayTouch(actorRole, member.role);
  const lastOwner = isLastOwner(members, member);
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["members", organizationId] });

  const change = useMutation({
    mutationFn: async (next: Role) =>
      unwrap(
        await identity.PATCH("/api/v1/organizations/{organization_id}/members/{user_id}", {
          params: { path: { organization_id: organizationId, user_id: member.user.id } },
          body: { role: next },
        }),
      ),
    onSuccess: async (changed) => {
      onResult({ notice: `${changed.user.name} is now ${ROLE_LABELS[changed.role].toLowerCase()}.` });
      await refresh();
      // One's own role lives in the token: fetch one that says the new role.
      if (self) await auth.switchOrganization(organizationId).catch(() => undefined);
    },
    onError: (caught) => {
      setRole(member.role);
      onResult({ error: memberChangeError(caught, "role") });
      void refresh();
    },
  });
  const remove = useMutation({
    mutationFn: async () =>
      unwrap(
        await identity.DELETE("/api/v1/organizations/{organization_id}/members/{user_id}", {
          params: { path: { organization_id: organizationId, user_id: member.user.id } },
        }),
      ),
    onSuccess: () => {
      onResult({ notice: `${member.user.name} was removed from the organization.` });
      void refresh();
    },
    onError: (caught) => {
      onResult({ error: memberChangeError(caught, "remove") });
      void refresh();
    },
  });

  const name = member.user.name || member.user.email;
  const options = assignableRoles(actorRole);
  // A card that wraps (name and email, role, controls): at phone width it stacks instead of
  // scrolling sideways; from `md` up the cards line up as rows with the same columns.
  return (
    <li
      data-testid="team-members-row"
      data-user-id={member.user.id}
      data-email={member.user.email}
      className="grid gap-2 px-3 py-3 md:grid-cols-[minmax(0,1fr)_8rem_20rem] md:items-center md:gap-4"
    >
      <div className="min-w-0">
        <p className="font-medium break-words">
          {member.user.name}
          {self && <span className="ml-1 text-xs font-normal text-slate-600">(you)</span>}
        </p>
        <p className="text-sm break-all text-slate-700">{member.user.email}</p>
      </div>
      <p className="text-sm" data-testid="team-members-role">
        {ROLE_LABELS[member.role]}
        {lastOwner && <span className="block text-xs text-slate-600">Only owner</span>}
      </p>
      {options.length > 0 &&
        (editable ? (
          <div className="flex flex-wrap items-center gap-2">
            <select
              aria-label={`New role of ${name}`}
              value={role}
              onChange={(event) => setRole(event.target.value as Role)}
              data-testid="team-members-role-select"
              className={`rounded-md border border-slate-400 bg-white px-2 py-1.5 text-sm ${focus}`}
            >
              {options.map((option) => (
                <option key={option} value={option}>
                  {ROLE_LABELS[option]}
                </option>
              ))}
            </select>
            <Button
              variant="secondary"
              disabled={role === member.role || change.isPending}
              onClick={() => change.mutate(role)}
              aria-label={`Change the role of ${name}`}
              data-testid="team-members-role-save"
            >
              {change.isPending ? "Changing…" : "Change role"}
            </Button>
            {!self && (
              <Button
                variant="danger"
                disabled={remove.isPending}
                onClick={() => setRemoving(true)}
                aria-label={`Remove ${name}`}
                data-testid="team-members-remove"
              >
                Remove
              </Button>
            )}
            <ConfirmDialog
              open={removing}
              title={`Remove ${name}?`}
              confirmLabel="Remove"
              testId="team-remove-dialog"
              onCancel={() => setRemoving(false)}
              onConfirm={() => {
                setRemoving(false);
                remove.mutate();
              }}
            >
              {name} loses access to this organization at once and is signed out of it. They can be invited again.
            </ConfirmDialog>
          </div>
        ) : (
          <p className="text-xs text-slate-600">Only an owner changes an owner.</p>
        ))}
    </li>
  );
}

function Members({ organizationId }: { organizationId: string }) {
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<UserError | null>(null);
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
    <section aria-labelledby="team-members-heading" className="flex flex-col gap-3">
      <h2 id="team-members-heading" className="text-lg font-semibold">
        Members ({members.data.length})
      </h2>
      {notice && <Notice testId="team-members-notice">{notice}</Notice>}
      <ErrorAlert error={error} testId="team-members-change-error" />
      <ul aria-labelledby="team-members-heading" data-testid="team-members-list" className="divide-y divide-slate-100 rounded-md bg-white ring-1 ring-slate-200">
        {members.data.map((member) => (
          <MemberRow
            key={member.user.id}
            member={member}
            members={members.data}
            organizationId={organizationId}
            onResult={(result) => {
              setNotice(result.notice ?? null);
              setError(result.error ?? null);
            }}
          />
        ))}
      </ul>
    </section>
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
        <div className="min-w-0 grow basis-64">
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
  const zone = useOrganizationTimeZone();
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
        <Table caption="Pending invitations" head={["Email", "Role", "Invited", "Status", "Actions"]} testId="team-invitations-table">
          {invitations.data.map((invitation) => (
            <tr key={invitation.id} data-testid="team-invitations-row">
              <td className="px-3 py-2 break-all">{invitation.email}</td>
              <td className="px-3 py-2" data-testid="team-invitations-role">
                {ROLE_LABELS[invitation.role]}
              </td>
              <td className="px-3 py-2 whitespace-nowrap" data-testid="team-invitations-invited">
                <time dateTime={invitation.created_at}>{formatDateTime(invitation.created_at, zone)}</time>
              </td>
              <td className="px-3 py-2" data-testid="team-invitations-status">
                {invitationExpiry(invitation) === "expired" ? (
                  "Expired: resend it for a new link"
                ) : (
                  <>
                    {INVITATION_STATUS_LABELS[invitation.status]},{" "}
                    <time dateTime={invitation.expires_at} title={formatDateTime(invitation.expires_at, zone)}>
                      {invitationExpiry(invitation)}
                    </time>
                  </>
                )}
              </td>
              <td className="px-3 py-2">
                <div className="flex flex-wrap gap-2">
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
                </div>
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
  const canManage = canManageMembers(me.roles);
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
          Only owners and admins can invite people and change roles.
        </p>
      )}
    </section>
  );
}
