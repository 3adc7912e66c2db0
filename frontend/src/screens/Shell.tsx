import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { NavLink, Outlet } from "react-router";
import { backend, unwrap } from "../api/client";
import { errorOf, type UserError } from "../api/problem";
import { useAuth, useMe } from "../auth/AuthContext";
import { Button, ErrorAlert } from "../ui";
import { canAdminister } from "./insightsLogic";
import { notificationsKey } from "./Notifications";

const navItems = [
  { to: "/dashboard", label: "Dashboard", testId: "shell-nav-dashboard" },
  { to: "/contacts", label: "Contacts", testId: "shell-nav-contacts" },
  { to: "/bookings", label: "Bookings", testId: "shell-nav-bookings" },
  { to: "/invoices", label: "Invoices", testId: "shell-nav-invoices" },
  { to: "/payments", label: "Payments", testId: "shell-nav-payments" },
  { to: "/team", label: "Team", testId: "shell-nav-team" },
];
const adminNavItems = [
  { to: "/audit", label: "Audit log", testId: "shell-nav-audit" },
  { to: "/events", label: "Events", testId: "shell-nav-events" },
];
const navLinkClass = ({ isActive }: { isActive: boolean }) =>
  `inline-flex items-center gap-1 rounded-md px-3 py-2 text-sm font-medium focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-amber-300 ${isActive ? "bg-slate-950 text-white" : "text-slate-200 hover:bg-slate-700"}`;

/** The Notifications link with the unread count (polled; the inbox invalidates it after a read). */
function NotificationsLink() {
  const me = useMe();
  const unread = useQuery({
    queryKey: [...notificationsKey(me.organization_id), "unread-count"],
    queryFn: async () => unwrap(await backend.GET("/api/v1/notifications/unread-count")).count,
    refetchInterval: 15_000,
  });
  const count = unread.data ?? 0;
  return (
    <NavLink to="/notifications" data-testid="shell-notifications-badge" className={navLinkClass}>
      Notifications
      <span
        data-testid="shell-notifications-count"
        aria-label={`(${count} unread)`}
        className={`min-w-6 rounded-full px-2 py-0.5 text-center text-xs font-semibold ${count ? "bg-amber-300 text-slate-900" : "bg-slate-600 text-white"}`}
      >
        {count}
      </span>
    </NavLink>
  );
}

function OrganizationSwitch() {
  const auth = useAuth();
  const me = useMe();
  const queryClient = useQueryClient();
  const [error, setError] = useState<UserError | null>(null);
  const current = me.memberships.find((membership) => membership.organization.id === me.organization_id);
  if (me.memberships.length < 2) {
    return <span data-testid="shell-org-name" className="text-sm text-slate-200">{current?.organization.name ?? "No organization"}</span>;
  }
  return (
    <div className="flex items-center gap-2">
      <label htmlFor="org-switch" className="text-sm text-slate-200">
        Organization
      </label>
      <select
        id="org-switch"
        data-testid="shell-org-select"
        value={me.organization_id ?? ""}
        onChange={async (event) => {
          setError(null);
          try {
            await auth.switchOrganization(event.target.value);
            queryClient.clear();
          } catch (caught) {
            setError(errorOf(caught));
          }
        }}
        className="rounded-md bg-white px-2 py-1 text-sm text-slate-900 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-amber-300"
      >
        {me.memberships.map((membership) => (
          <option key={membership.organization.id} value={membership.organization.id}>
            {membership.organization.name} ({membership.role})
          </option>
        ))}
      </select>
      <ErrorAlert error={error} testId="shell-org-error" />
    </div>
  );
}

export function Shell() {
  const auth = useAuth();
  const me = useMe();
  const queryClient = useQueryClient();
  return (
    <div className="min-h-screen">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:bg-white focus:p-2" data-testid="shell-skip-link">
        Skip to content
      </a>
      <header className="bg-slate-800 text-white">
        <div className="mx-auto flex max-w-6xl flex-wrap items-center gap-4 px-4 py-3">
          <span className="text-lg font-bold">Hub</span>
          <nav aria-label="Main">
            <ul className="flex flex-wrap gap-1">
              {[...navItems, ...(canAdminister(me.roles) ? adminNavItems : [])].map((item) => (
                <li key={item.to}>
                  <NavLink to={item.to} data-testid={item.testId} className={navLinkClass}>
                    {item.label}
                  </NavLink>
                </li>
              ))}
            </ul>
          </nav>
          <div className="ml-auto flex flex-wrap items-center gap-4">
            <NotificationsLink />
            <OrganizationSwitch />
            <span data-testid="shell-user-email" className="text-sm text-slate-200">
              {me.email}
            </span>
            <Button
              variant="secondary"
              data-testid="shell-signout-button"
              onClick={async () => {
                await auth.signOut().catch(() => undefined);
                queryClient.clear();
              }}
            >
              Sign out
            </Button>
          </div>
        </div>
      </header>
      <main id="main" className="mx-auto max-w-6xl px-4 py-6">
        <Outlet />
      </main>
    </div>
  );
}
