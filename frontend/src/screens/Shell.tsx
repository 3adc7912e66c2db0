import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { NavLink, Outlet, useLocation } from "react-router";
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

/**
 * The navigation's fold at phone width (below `md`; wider, the Menu button is hidden and the
 * panel always shown). Opening moves focus to the first link; Escape closes and gives focus back
 * to the button; following a link closes it and puts focus on the new screen's content.
 */
export function usePhoneMenu() {
  const { pathname } = useLocation();
  // The screen the menu was opened on: it is open only while that screen is shown, so any other
  // way to a new screen (back, a link in the content) folds it too. Derived, not an effect that
  // closes it: a mount effect still pending when the first click came would close it again.
  const [openOn, setOpenOn] = useState<string | null>(null);
  // Left behind on another screen: forget it (state adjusted while rendering, React's way for
  // state that follows a changed input), so coming back to that screen does not reopen it.
  if (openOn !== null && openOn !== pathname) setOpenOn(null);
  const open = openOn === pathname;
  const setOpen = (value: boolean) => setOpenOn(value ? pathname : null);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const panelRef = useRef<HTMLDivElement>(null);
  const mainRef = useRef<HTMLElement>(null);

  // Set by a link followed from the open menu. The focus moves in the effect, not in the click
  // handler: the effect that focused the first link on opening may still be pending when a fast
  // click follows, and it would run after the handler and take the focus back into the panel.
  const focusMainOnClose = useRef(false);

  useEffect(() => {
    if (!open) {
      if (focusMainOnClose.current) mainRef.current?.focus();
      focusMainOnClose.current = false;
      return;
    }
    panelRef.current?.querySelector<HTMLElement>("a[href], button, select")?.focus();
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.key !== "Escape") return;
      setOpen(false);
      buttonRef.current?.focus();
    };
    document.addEventListener("keydown", onKeyDown);
    return () => document.removeEventListener("keydown", onKeyDown);
  }, [open]);

  /** A link followed from the open menu: fold it and continue on the content (the link is hidden now). */
  function onPanelClick(event: React.MouseEvent) {
    if (!open || !(event.target instanceof Element) || !event.target.closest("a[href]")) return;
    focusMainOnClose.current = true;
    setOpen(false);
  }

  return { open, toggle: () => setOpen(!open), onPanelClick, buttonRef, panelRef, mainRef };
}

export function Shell() {
  const auth = useAuth();
  const me = useMe();
  const queryClient = useQueryClient();
  const menu = usePhoneMenu();
  return (
    <div className="min-h-screen">
      <a
        href="#main"
        className="sr-only z-50 rounded-md focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:bg-white focus:p-2 focus:text-slate-900 focus-visible:outline-2 focus-visible:outline-indigo-600"
        data-testid="shell-skip-link"
      >
        Skip to content
      </a>
      <header className="bg-slate-800 text-white">
        <div className="mx-auto flex max-w-6xl flex-wrap items-center gap-x-4 gap-y-2 px-4 py-3">
          <span className="text-lg font-bold">Hub</span>
          <button
            type="button"
            className="ml-auto rounded-md px-3 py-2 text-sm font-semibold text-white ring-1 ring-slate-500 hover:bg-slate-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-amber-300 md:hidden"
            ref={menu.buttonRef}
            aria-expanded={menu.open}
            aria-controls="shell-menu"
            onClick={menu.toggle}
            data-testid="shell-menu-button"
          >
            {menu.open ? "Close menu" : "Menu"}
          </button>
          <div
            id="shell-menu"
            ref={menu.panelRef}
            onClick={menu.onPanelClick}
            className={`${menu.open ? "flex" : "hidden"} w-full flex-col gap-3 md:flex md:w-auto md:grow md:flex-row md:flex-wrap md:items-center md:gap-4`}
            data-testid="shell-menu-panel"
          >
            <nav aria-label="Main">
              <ul className="flex flex-col gap-1 md:flex-row md:flex-wrap">
                {[...navItems, ...(canAdminister(me.roles) ? adminNavItems : [])].map((item) => (
                  <li key={item.to}>
                    <NavLink
                      to={item.to}
                      data-testid={item.testId}
                      className={({ isActive }) =>
                        `block rounded-md px-3 py-2 text-sm font-medium focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-amber-300 ${isActive ? "bg-slate-950 text-white" : "text-slate-200 hover:bg-slate-700"}`
                      }
                    >
                      {item.label}
                    </NavLink>
                  </li>
                ))}
              </ul>
            </nav>
            <div className="flex min-w-0 flex-wrap items-center gap-4 md:ml-auto">
              <NotificationsLink />
              <OrganizationSwitch />
              <span data-testid="shell-user-email" className="min-w-0 text-sm break-all text-slate-200">
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
        </div>
      </header>
      <main id="main" ref={menu.mainRef} tabIndex={-1} className="mx-auto max-w-6xl px-4 py-6 focus:outline-none">
        <Outlet />
      </main>
    </div>
  );
}
