// End to end against the real hub (e2e/hub.py): the built frontend served by `vite preview`,
// proxying to the services on ephemeral ports, driven through Debian's chromium.
import AxeBuilder from "@axe-core/playwright";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { totp } from "./totp.mjs";

const frontend = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const root = resolve(frontend, "..");
const artifacts = join(frontend, "test-artifacts");
const PASSWORD = "dev-insecure-demo-password";
const MFA_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const children = [];
let hub;
let baseUrl;
let browser;

function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

async function waitFor(check, what, timeout = 60_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const result = await check();
    if (result) return result;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeout / 1000}s`);
    await new Promise((done) => setTimeout(done, 250));
  }
}

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  const python = join(root, "backend", ".venv", "bin", "python");
  const hubProcess = spawn(python, [join(frontend, "e2e", "hub.py"), "--frontend-url", baseUrl], {
    cwd: root,
    stdio: ["pipe", "pipe", "inherit"],
  });
  children.push(hubProcess);
  hub = await new Promise((done, fail) => {
    hubProcess.once("exit", (code) => fail(new Error(`the hub exited early (${code})`)));
    createInterface({ input: hubProcess.stdout }).once("line", (line) => done(JSON.parse(line)));
  });
  const vite = join(frontend, "node_modules", ".bin", "vite");
  const preview = spawn(vite, ["preview", "--host", "127.0.0.1", "--port", String(port), "--strictPort"], {
    cwd: frontend,
    env: { ...process.env, BACKEND_URL: hub.backend, IDENTITY_URL: hub.identity },
    stdio: ["ignore", "ignore", "inherit"],
  });
  children.push(preview);
  await waitFor(() => fetch(baseUrl).then((r) => r.ok, () => false), "vite preview");
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox"],
  });
});

after(async () => {
  await browser?.close();
  for (const child of children.reverse()) {
    child.stdin?.end();
    child.kill("SIGTERM");
    await new Promise((done) => (child.exitCode !== null ? done() : child.once("exit", done)));
  }
});

async function newPage() {
  const context = await browser.newContext({ baseURL: baseUrl });
  return context.newPage();
}

async function signIn(page, email, path = "/contacts") {
  await page.goto(path);
  await page.getByTestId("auth-signin-email").fill(email);
  await page.getByTestId("auth-signin-password").fill(PASSWORD);
  await page.getByTestId("auth-signin-submit").click();
}

async function shoot(page, name) {
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
}

async function assertAccessible(page, name) {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(
    bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`),
    [],
    `serious or critical accessibility violations on ${name}`,
  );
}

async function storageIsEmpty(page) {
  return page.evaluate(() => localStorage.length === 0 && sessionStorage.length === 0);
}

// --- dashboard, notifications, audit log and events ------------------------------------------

/** Client-side navigation (a reload would end the in-memory session). */
async function goInApp(page, path) {
  await page.evaluate((to) => {
    window.history.pushState({}, "", to);
    window.dispatchEvent(new PopStateEvent("popstate"));
  }, path);
}

/** The page does not scroll sideways (charts get a moment to follow a resize); names what sticks out. */
async function assertNoSideScroll(page, name) {
  const fits = () => page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth);
  if (await waitFor(fits, "layout", 3_000).catch(() => false)) return;
  const wide = await page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const out = [...document.querySelectorAll("body *")].filter((e) => e.getBoundingClientRect().right > width + 1);
    // The outermost offenders: those whose parent still fits.
    return out
      .filter((e) => !out.includes(e.parentElement))
      .slice(0, 5)
      .map((e) => `${e.tagName.toLowerCase()}[${e.getAttribute("data-testid") ?? e.className}] ends at ${Math.round(e.getBoundingClientRect().right)}`);
  });
  assert.fail(`${name} scrolls sideways: ${wide.join("; ")}`);
}

/** Screenshots at desktop and phone size, each checked for sideways scrolling. */
async function shootBothSizes(page, name) {
  await page.setViewportSize({ width: 1280, height: 800 });
  await assertNoSideScroll(page, name);
  await shoot(page, name);
  await page.setViewportSize({ width: 390, height: 844 });
  await assertNoSideScroll(page, `${name} (phone)`);
  await shoot(page, `${name}-phone`);
  await page.setViewportSize({ width: 1280, height: 800 });
}

test("the owner lands on the dashboard with the demo figures, changes range and interval, downloads CSV", async () => {
  const page = await newPage();
  await signIn(page, "owner@acme.test", "/");
  await page.waitForURL(/\/dashboard$/);
  const bookings = page.getByTestId("dashboard-kpi-bookings");
  await bookings.waitFor();
  assert.ok(Number(await bookings.innerText()) > 0, "bookings in the last 30 days");
  assert.match(await page.getByTestId("dashboard-kpi-revenue-gross").innerText(), /[1-9]/);
  assert.match(await page.getByTestId("dashboard-kpi-utilization").innerText(), /%$/);
  assert.equal(await page.getByTestId("dashboard-range-preset").inputValue(), "last30");
  await page.getByTestId("dashboard-revenue-chart").locator("svg").first().waitFor();
  await page.getByTestId("dashboard-utilization-chart").locator("svg").first().waitFor();
  assert.equal(await page.getByTestId("dashboard-revenue-row").count(), 30);
  await page.getByTestId("dashboard-utilization-table-toggle").click();
  assert.ok((await page.getByTestId("dashboard-utilization-row").count()) > 0);
  await assertAccessible(page, "dashboard");
  await shootBothSizes(page, "dashboard");

  await page.getByTestId("dashboard-range-interval").selectOption("week");
  await page.waitForURL(/interval=week/);
  await waitFor(async () => (await page.getByTestId("dashboard-revenue-row").count()) <= 6, "weekly buckets", 15_000);
  assert.match(await page.getByTestId("dashboard-revenue-summary").innerText(), /weeks?\./);

  const yearSummary = page.waitForResponse((response) => /\/analytics\/summary\?from=\d{4}-01-01&/.test(response.url()));
  await page.getByTestId("dashboard-range-preset").selectOption("thisYear");
  await page.waitForURL(/preset=thisYear/);
  assert.equal((await yearSummary).status(), 200);
  assert.match(await bookings.innerText(), /^\d+$/);
  await page.getByTestId("dashboard-range-from").fill("2020-01-01");
  await page.getByTestId("dashboard-range-to").fill("2020-01-31");
  await page.waitForURL(/from=2020-01-01&to=2020-01-31/);
  await waitFor(async () => (await bookings.innerText()) === "0", "nothing in January 2020", 15_000);
  await page.getByTestId("dashboard-revenue-empty").waitFor();
  await page.getByTestId("dashboard-range-preset").selectOption("last30");

  const download = page.waitForEvent("download");
  await page.getByTestId("dashboard-revenue-csv").click();
  const file = await download;
  assert.match(file.suggestedFilename(), /\.csv$/);
  const csv = readFileSync(await file.path(), "utf8");
  assert.match(csv.split("\n")[0], /^bucket,revenue_gross,refunds,revenue_net,invoiced,currency/);
  assert.ok(csv.trim().split("\n").length > 2, "a row per bucket");
  await page.context().close();
});

test("a notification sent to the owners raises the owner's badge, shows in the inbox and is read", async () => {
  const page = await newPage();
  await signIn(page, "owner@acme.test");
  const count = page.getByTestId("shell-notifications-count");
  await count.waitFor();
  const unreadBefore = Number(await count.innerText());

  // An admin notifies everyone holding the owner role (the hub's real send path).
  const title = `Quarterly figures are ready ${Date.now()}`;
  const sent = await fetch(`${hub.backend}/api/v1/notifications`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${await apiToken("admin@acme.test")}` },
    body: JSON.stringify({ role: "owner", category: "system", title, body: "See the dashboard.", action_url: "/dashboard" }),
  });
  assert.equal(sent.status, 201, await sent.text());
  await waitFor(async () => Number(await count.innerText()) === unreadBefore + 1, "the badge counts it", 40_000);

  await page.getByTestId("shell-notifications-badge").click();
  const item = page.getByTestId("notifications-list-item").filter({ hasText: title });
  await item.waitFor();
  assert.equal(await item.getAttribute("data-unread"), "true");
  await assertAccessible(page, "notifications");
  await shootBothSizes(page, "notifications");

  await page.getByTestId("notifications-filter-unread").click();
  await page.waitForURL(/unread=true/);
  await item.getByTestId("notifications-list-read").click();
  await waitFor(async () => Number(await count.innerText()) === unreadBefore, "the badge goes down", 10_000);
  await item.waitFor({ state: "detached" });
  await page.getByTestId("notifications-filter-unread").click();
  await page.waitForURL((url) => !url.search.includes("unread"));
  await waitFor(async () => (await item.getAttribute("data-unread")) === "false", "read in the full list", 10_000);
  if (unreadBefore > 0) {
    await page.getByTestId("notifications-list-read-all").click();
    await page.getByTestId("notifications-read-all-done").waitFor();
    await waitFor(async () => Number(await count.innerText()) === 0, "all read", 10_000);
  }

  const emailBooking = page.getByTestId("notifications-preferences-booking-email");
  const was = await emailBooking.isChecked();
  await emailBooking.setChecked(!was);
  await page.getByTestId("notifications-preferences-save").click();
  await page.getByTestId("notifications-preferences-saved").waitFor();
  assert.equal(await emailBooking.isChecked(), !was);
  await page.context().close();
});

test("an admin reads the audit log and the events, and redelivery asks first", async () => {
  const page = await newPage();
  await signIn(page, "admin@acme.test");
  await page.getByTestId("shell-nav-audit").click();
  await page.getByTestId("audit-list-table").waitFor();
  assert.ok((await page.getByTestId("audit-list-row").count()) > 0, "the demo data is audited");
  await assertAccessible(page, "audit");
  await shootBothSizes(page, "audit");
  await page.getByTestId("audit-filter-object-type").fill("contact");
  await page.getByTestId("audit-filter-apply").click();
  await page.waitForURL(/object_type=contact/);
  await waitFor(async () => {
    const objects = await page.getByTestId("audit-list-object").allInnerTexts();
    return objects.length > 0 && objects.every((text) => text.startsWith("contact:"));
  }, "only contacts", 15_000);
  await page.getByTestId("audit-list-filter-object").first().click();
  await page.waitForURL(/object_id=/);
  await page.getByTestId("audit-list-row").first().waitFor();

  await page.getByTestId("shell-nav-events").click();
  await page.getByTestId("events-list-table").waitFor();
  assert.ok((await page.getByTestId("events-list-row").count()) > 0, "the demo data published events");
  const ids = await page.getByTestId("events-list-row").evaluateAll((rows) => rows.map((row) => row.getAttribute("data-event-id")));
  assert.equal(new Set(ids).size, ids.length, "no event twice");
  await assertAccessible(page, "events");
  await shootBothSizes(page, "events");
  await page.getByTestId("events-filter-type").fill("booking.created");
  await page.getByTestId("events-filter-apply").click();
  await page.waitForURL(/type=booking.created/);
  await waitFor(async () => {
    const types = await page.getByTestId("events-list-type").allInnerTexts();
    return types.length > 0 && types.every((type) => type === "booking.created");
  }, "only booking.created", 15_000);

  await page.getByTestId("events-list-open").first().click();
  await page.getByTestId("events-detail-deliveries").waitFor();
  assert.equal(await page.getByTestId("events-detail-type").innerText(), "booking.created");
  assert.ok((await page.getByTestId("events-detail-delivery").count()) > 0);
  await assertAccessible(page, "event-detail");
  await shootBothSizes(page, "event-detail");

  await page.getByTestId("events-detail-redeliver").click();
  const dialog = page.getByTestId("events-redeliver-dialog");
  await dialog.waitFor();
  await assertAccessible(page, "event-redeliver-dialog");
  await page.getByTestId("events-redeliver-dialog-cancel").click();
  await dialog.waitFor({ state: "hidden" });
  await page.getByTestId("events-detail-redeliver").click();
  await page.getByTestId("events-redeliver-dialog-confirm").click();
  // The workflow-intelligence delivery is still pending (nothing listens there) and nothing failed:
  // the refusal is said in words.
  const refused = page.getByTestId("events-detail-redeliver-error");
  await refused.waitFor();
  assert.match(await refused.innerText(), /still being delivered/);
  assert.doesNotMatch(await refused.innerText(), /delivery_in_progress/);

  // The backend's worker delivers the event to the real communication-service; sending it again
  // there too is accepted and delivered once more.
  const eventId = (await page.getByTestId("events-detail-id").innerText()).trim();
  const token = await apiToken("admin@acme.test");
  const communication = async () => (await api(token, "GET", `/events/${eventId}`)).body.deliveries.find((d) => d.destination === "communication-service");
  await waitFor(async () => (await communication())?.status === "delivered", "the delivery to communication-service", 120_000);
  await goInApp(page, "/events");
  await goInApp(page, `/events/${eventId}`);
  const row = page.getByTestId("events-detail-delivery").filter({ hasText: "communication" });
  await waitFor(async () => (await row.getByTestId("events-detail-delivery-status").innerText()) === "Delivered", "shown as delivered", 15_000);
  await page.getByTestId("events-detail-redeliver").click();
  await page.getByTestId("events-redeliver-include-delivered").check();
  await page.getByTestId("events-redeliver-dialog-confirm").click();
  const queued = page.getByTestId("events-detail-redelivered");
  await queued.waitFor();
  assert.match(await queued.innerText(), /communication/);
  await waitFor(async () => {
    const delivery = await communication();
    return delivery?.status === "delivered" && delivery.attempts === 1;
  }, "delivered again", 120_000);
  await page.context().close();
});

test("a viewer sees the dashboard but no admin links, and is told so at the admin screens", async () => {
  const page = await newPage();
  await signIn(page, "viewer@acme.test", "/");
  await page.getByTestId("dashboard-kpi-bookings").waitFor();
  await page.getByTestId("shell-nav-dashboard").waitFor();
  assert.equal(await page.getByTestId("shell-nav-audit").count(), 0);
  assert.equal(await page.getByTestId("shell-nav-events").count(), 0);
  await goInApp(page, "/audit");
  await page.getByTestId("audit-forbidden").waitFor();
  await assertAccessible(page, "audit-forbidden");
  await goInApp(page, "/events");
  await page.getByTestId("events-forbidden").waitFor();
  await page.context().close();
});

test("sign in as the owner, list and search contacts, sign out", async () => {
  const page = await newPage();
  await page.goto("/");
  await assertAccessible(page, "sign-in");
  await shoot(page, "sign-in");
  await page.getByTestId("auth-signin-email").fill("owner@acme.test");
  await page.getByTestId("auth-signin-password").fill("not the password");
  await page.getByTestId("auth-signin-submit").click();
  const error = page.getByTestId("auth-signin-error");
  await error.waitFor();
  assert.doesNotMatch(await error.innerText(), /invalid_credentials/);

  await signIn(page, "owner@acme.test");
  await page.getByTestId("contacts-list-table").waitFor();
  assert.equal(await page.getByTestId("contacts-list-row").count(), 10);
  assert.equal(await page.getByTestId("shell-user-email").innerText(), "owner@acme.test");
  assert.match(await page.getByTestId("shell-notifications-badge").innerText(), /\d+/);
  assert.ok(await storageIsEmpty(page), "no tokens in Web Storage");
  await assertAccessible(page, "contacts");
  await shoot(page, "contacts");

  const lastName = (await page.getByTestId("contacts-list-row").first().locator("td").first().innerText()).split(" ").pop();
  await page.getByTestId("contacts-search-input").fill(lastName);
  await waitFor(async () => (await page.getByTestId("contacts-list-row").count()) < 10, "search narrows the list", 10_000);
  for (const row of await page.getByTestId("contacts-list-row").all()) {
    assert.match((await row.innerText()).toLowerCase(), new RegExp(lastName.toLowerCase()));
  }
  await page.getByTestId("contacts-search-input").fill("no such contact zzqx");
  await page.getByTestId("contacts-list-empty").waitFor();

  await page.getByTestId("shell-nav-contacts").focus();
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("data-testid")), "shell-nav-bookings");

  await page.getByTestId("shell-signout-button").click();
  await page.getByTestId("auth-signin-submit").waitFor();
  await page.reload();
  await page.getByTestId("auth-signin-submit").waitFor();
  await page.context().close();
});

test("an access token refused as expired is refreshed once and the screen loads with the new one", async () => {
  // The backend's answer for an expired access token (hubkit's InvalidToken), given here for the
  // token of the sign-in: waiting out the real lifetime (at least 15 minutes plus leeway) is no
  // test. Everything else is real: identity-service rotates the refresh token, the backend checks
  // the new access token.
  const page = await newPage();
  const login = page.waitForResponse((response) => new URL(response.url()).pathname === "/identity/api/v1/auth/login");
  await signIn(page, "owner@acme.test");
  const { access_token: first } = await (await login).json();
  await page.getByTestId("contacts-list-table").waitFor();

  const refreshes = [];
  page.on("request", (request) => {
    if (new URL(request.url()).pathname === "/identity/api/v1/auth/refresh") refreshes.push(request);
  });
  const refused = [];
  await page.route(
    (url) => url.pathname.startsWith("/api/"),
    async (route) => {
      const request = route.request();
      if (request.headers().authorization !== `Bearer ${first}`) return route.continue();
      refused.push(new URL(request.url()).pathname);
      return route.fulfill({
        status: 401,
        contentType: "application/problem+json",
        headers: { "WWW-Authenticate": 'Bearer error="invalid_token"' },
        body: JSON.stringify({ type: "about:blank", title: "Invalid access token", status: 401, detail: "The access token has expired.", code: "invalid_token" }),
      });
    },
  );
  const retried = page.waitForRequest(
    (request) => new URL(request.url()).pathname === "/api/v1/invoices" && request.headers().authorization !== `Bearer ${first}`,
  );

  // Invoices asks for its list with the old token: refused, refreshed once, asked again.
  await goInApp(page, "/invoices");
  await page.getByTestId("invoices-list-table").waitFor();
  await page.getByTestId("invoices-list-row").first().waitFor();
  assert.ok(refused.includes("/api/v1/invoices"), `the old token was refused: ${refused.join(", ")}`);
  assert.equal(refreshes.length, 1, "exactly one refresh");
  const refreshed = await refreshes[0].response();
  assert.equal(refreshed.status(), 200);
  const { access_token: second } = await refreshed.json();
  assert.notEqual(second, first);
  assert.equal((await retried).headers().authorization, `Bearer ${second}`);
  assert.equal(await page.getByTestId("shell-user-email").innerText(), "owner@acme.test");
  await page.context().close();
});

test("sign in with a TOTP code as the MFA user", async () => {
  const page = await newPage();
  await signIn(page, "mfa@acme.test");
  await page.getByTestId("auth-mfa-code").fill("000000" === totp(MFA_SECRET) ? "111111" : "000000");
  await page.getByTestId("auth-mfa-submit").click();
  await page.getByTestId("auth-signin-error").waitFor();
  await page.getByTestId("auth-mfa-code").fill(totp(MFA_SECRET));
  await page.getByTestId("auth-mfa-submit").click();
  await page.getByTestId("contacts-list-table").waitFor();
  assert.equal(await page.getByTestId("shell-user-email").innerText(), "mfa@acme.test");
  await page.context().close();
});

test("switch organization as a member of two", async () => {
  const page = await newPage();
  await signIn(page, "both@hub.test");
  const select = page.getByTestId("shell-org-select");
  await select.waitFor();
  await page.getByTestId("contacts-list-table").waitFor();
  const first = await select.inputValue();
  const firstRows = await page.getByTestId("contacts-list-row").allInnerTexts();
  const other = await select.locator("option").evaluateAll(
    (options, current) => options.map((o) => o.value).find((v) => v !== current),
    first,
  );
  await select.selectOption(other);
  await waitFor(async () => (await select.inputValue()) === other, "the switch");
  await page.getByTestId("contacts-list-table").waitFor();
  await waitFor(
    async () => JSON.stringify(await page.getByTestId("contacts-list-row").allInnerTexts()) !== JSON.stringify(firstRows),
    "the other organization's contacts",
    15_000,
  );
  await page.getByTestId("shell-nav-team").click();
  await page.getByTestId("team-members-list").waitFor();
  await page.context().close();
});

function mailedLink(address) {
  for (const file of readdirSync(hub.mail_dir).filter((name) => name.endsWith(".eml")).sort()) {
    const text = readFileSync(join(hub.mail_dir, file), "utf8").replace(/=\r?\n/g, "").replace(/=3D/g, "=");
    if (!text.toLowerCase().includes(`to: ${address}`)) continue;
    const match = text.match(/https?:\/\/[^\s"<>]+\/invitations\/accept\?token=[A-Za-z0-9_-]+/);
    if (match) return match[0];
  }
  return null;
}

test("invite from Team, revoke another, accept the mailed link with a new account", async () => {
  const page = await newPage();
  await signIn(page, "owner@acme.test");
  await page.getByTestId("shell-nav-team").click();
  await page.getByTestId("team-members-list").waitFor();
  const stamp = Date.now();
  const invitee = `newcomer-${stamp}@example.org`;
  const revoked = `changed-mind-${stamp}@example.org`;
  for (const address of [invitee, revoked]) {
    await page.getByTestId("team-invite-email").fill(address);
    await page.getByTestId("team-invite-role").selectOption("staff");
    await page.getByTestId("team-invite-submit").click();
    await page.getByTestId("team-invite-sent").filter({ hasText: address }).waitFor();
  }
  const rows = page.getByTestId("team-invitations-row");
  await rows.filter({ hasText: revoked }).waitFor();
  await assertAccessible(page, "team");
  await shoot(page, "team");

  // A second invitation to a pending address is refused in words.
  await page.getByTestId("team-invite-email").fill(invitee);
  await page.getByTestId("team-invite-submit").click();
  const refusal = page.getByTestId("team-invite-error");
  await refusal.waitFor();
  assert.doesNotMatch(await refusal.innerText(), /invitation_pending/);

  await rows.filter({ hasText: revoked }).getByTestId("team-invitations-revoke").click();
  const dialog = page.getByTestId("team-revoke-dialog");
  await dialog.waitFor();
  await shoot(page, "team-revoke-dialog");
  await page.getByTestId("team-revoke-dialog-confirm").click();
  await page.getByTestId("team-invitations-notice").waitFor();
  await waitFor(async () => (await rows.filter({ hasText: revoked }).count()) === 0, "the revoked row goes");
  assert.equal(await rows.filter({ hasText: invitee }).count(), 1);

  await page.getByTestId("shell-signout-button").click();
  await page.getByTestId("auth-signin-submit").waitFor();

  const link = await waitFor(() => mailedLink(invitee), `the invitation mail to ${invitee}`);
  assert.ok(link.startsWith(baseUrl), link);
  await page.goto(link);
  await page.getByTestId("invite-accept-summary").waitFor();
  assert.match(await page.getByTestId("invite-accept-summary").innerText(), /Acme/);
  await assertAccessible(page, "invitation-accept");
  await shoot(page, "invitation-accept");
  await page.getByTestId("invite-accept-name").fill("New Comer");
  await page.getByTestId("invite-accept-password").fill("a long passphrase of my own");
  await page.getByTestId("invite-accept-submit").click();
  await page.getByTestId("contacts-list-table").waitFor();
  assert.equal(await page.getByTestId("shell-user-email").innerText(), invitee);
  assert.ok(await storageIsEmpty(page), "no tokens in Web Storage");

  // The link is spent: opening it again says so in words.
  await page.goto(link);
  const spent = page.getByTestId("invite-accept-error");
  await spent.waitFor();
  assert.doesNotMatch(await spent.innerText(), /invitation_invalid/);
  await page.context().close();
});

test("contacts load the next page through next_cursor", async () => {
  const login = await fetch(`${hub.identity}/api/v1/auth/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email: "owner@acme.test", password: PASSWORD }),
  });
  assert.equal(login.status, 200);
  const { access_token: token } = await login.json();
  // The demo data has 10 contacts per organization; 20 more make a second page of 25.
  for (let n = 1; n <= 20; n += 1) {
    const created = await fetch(`${hub.backend}/api/v1/contacts`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
      body: JSON.stringify({ first_name: "Paged", last_name: `Person ${String(n).padStart(2, "0")}` }),
    });
    assert.equal(created.status, 201, await created.text());
  }
  const page = await newPage();
  await signIn(page, "owner@acme.test");
  await page.getByTestId("contacts-list-table").waitFor();
  assert.equal(await page.getByTestId("contacts-list-row").count(), 25);
  await page.getByTestId("contacts-list-load-more").click();
  await waitFor(async () => (await page.getByTestId("contacts-list-row").count()) === 30, "the second page");
  await page.getByTestId("contacts-list-load-more").waitFor({ state: "detached" });
  const names = await page.getByTestId("contacts-list-row").locator("td:first-child").allInnerTexts();
  assert.equal(new Set(names).size, 30, "no contact twice");
  await page.context().close();
});

test("an existing account signs in to accept an invitation", async () => {
  const page = await newPage();
  await signIn(page, "owner@acme.test");
  await page.getByTestId("shell-nav-team").click();
  await page.getByTestId("team-invite-email").fill("owner@globex.test");
  await page.getByTestId("team-invite-role").selectOption("viewer");
  await page.getByTestId("team-invite-submit").click();
  await page.getByTestId("team-invite-sent").waitFor();
  await page.getByTestId("shell-signout-button").click();
  await page.getByTestId("auth-signin-submit").waitFor();

  const link = await waitFor(() => mailedLink("owner@globex.test"), "the invitation mail to owner@globex.test");
  await page.goto(link);
  await page.getByTestId("invite-accept-signin").click();
  await page.getByTestId("auth-signin-email").fill("owner@globex.test");
  await page.getByTestId("auth-signin-password").fill(PASSWORD);
  await page.getByTestId("auth-signin-submit").click();
  await page.getByTestId("invite-accept-submit").click();
  await page.getByTestId("contacts-list-table").waitFor();
  assert.equal(await page.getByTestId("shell-user-email").innerText(), "owner@globex.test");
  const select = page.getByTestId("shell-org-select");
  assert.match(await select.locator("option:checked").innerText(), /Acme/);
  await page.context().close();
});

async function apiToken(email) {
  const login = await fetch(`${hub.identity}/api/v1/auth/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  assert.equal(login.status, 200);
  return (await login.json()).access_token;
}

async function api(token, method, path, body) {
  const response = await fetch(`${hub.backend}/api/v1${path}`, {
    method,
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** A weekday at least two days ahead (demo resources work Monday to Friday), as YYYY-MM-DD. */
function comingWeekday() {
  const day = new Date(Date.now() + 2 * 86_400_000);
  while (day.getUTCDay() === 0 || day.getUTCDay() === 6) day.setUTCDate(day.getUTCDate() + 1);
  return day.toISOString().slice(0, 10);
}

/** The date seven days before a YYYY-MM-DD date, as YYYY-MM-DD. */
const weekBefore = (day) => new Date(Date.parse(`${day}T00:00:00Z`) - 7 * 86_400_000).toISOString().slice(0, 10);

const bookingCard = (page, id) => page.locator(`[data-testid="bookings-calendar-booking"][data-booking-id="${id}"]`);
const dayColumn = (page, date) => page.locator(`[data-testid="bookings-calendar-day"][data-date="${date}"]`);
const slotAt = (page, start) => page.locator(`[data-testid="bookings-calendar-slot"][data-start="${start}"]`);
// The demo's first active resource by name, which the Bookings view opens on, works in New York.
const FIRST_RESOURCE_ZONE = "America/New_York";

async function contactNamesShown(page) {
  const contacts = page.getByTestId("bookings-calendar-contact");
  await waitFor(async () => !(await contacts.allInnerTexts()).includes("…"), "the contacts' names", 10_000);
}

async function openLastWeek(page) {
  await page.getByTestId("shell-nav-bookings").click();
  await page.getByTestId("bookings-calendar-day").first().waitFor();
  // Last week is all past: every demo resource had two bookings on each of its weekdays.
  const shown = await page.getByTestId("bookings-calendar-day").first().getAttribute("data-date");
  await page.getByTestId("bookings-filter-previous").click();
  // Its first day's column before any card: this week's cards may still be on the page just after the click.
  await dayColumn(page, weekBefore(shown)).waitFor();
  await page.getByTestId("bookings-calendar-booking").first().waitFor();
  await contactNamesShown(page);
}

/** The viewed date through the date field (the URL follows), and the day columns redrawn for it. */
async function showDate(page, date) {
  await page.getByTestId("bookings-filter-date").fill(date);
  await page.waitForURL(new RegExp(`date=${date}`));
  await dayColumn(page, date).waitFor();
}

/** Picks a free slot's contact in the open booking dialog by a search. */
async function chooseContact(page, search) {
  const dialog = page.getByTestId("bookings-create-dialog");
  await dialog.getByTestId("bookings-create-contact-search").fill(search);
  const options = dialog.getByTestId("bookings-create-contact-option");
  await waitFor(async () => (await options.count()) === 1, `the contact search for ${search}`);
  await options.first().check();
}

test("staff books a free slot from the Bookings view; the same slot again is refused inline", async () => {
  const page = await newPage();
  await signIn(page, "staff@acme.test");
  await page.getByTestId("contacts-list-table").waitFor();
  await openLastWeek(page);
  assert.equal(await page.getByTestId("bookings-list-zone").innerText(), `Times in ${FIRST_RESOURCE_ZONE}.`);
  assert.equal(await page.getByTestId("bookings-calendar-day").count(), 7);
  // The demo's past bookings started at 09:00, 11:00 or 14:30 in their resource's zone.
  const times = await page.getByTestId("bookings-calendar-time").allInnerTexts();
  assert.ok(times.length >= 10, `last week's bookings: ${times.length}`);
  for (const time of times) assert.match(time, /^(09:00|11:00|14:30)–\d{2}:\d{2}$/);
  assert.ok((await page.getByTestId("bookings-list-status").allInnerTexts()).some((s) => s === "Completed"));
  assert.equal(await page.getByTestId("bookings-calendar-slot").count(), 0, "no free times in the past");
  await assertAccessible(page, "bookings-week-past");

  // The coming week's free times of a one-person service.
  const date = comingWeekday();
  await showDate(page, date);
  await page.getByTestId("bookings-filter-service").selectOption({ label: "Consultation (30 min)" });
  await page.waitForURL(/service=/);
  const slots = dayColumn(page, date).getByTestId("bookings-calendar-slot");
  await slots.first().waitFor();
  await contactNamesShown(page);
  await assertAccessible(page, "bookings-week");
  await shootBothSizes(page, "bookings-week");
  await page.getByTestId("bookings-filter-view").selectOption("day");
  await waitFor(async () => (await page.getByTestId("bookings-calendar-day").count()) === 1, "the day view");
  await slots.first().waitFor();
  await assertAccessible(page, "bookings-day");
  await shootBothSizes(page, "bookings-day");

  // By keyboard: a slot is a button; its dialog takes focus and Escape closes it onto the slot.
  const taken = await slots.first().getAttribute("data-start");
  await slotAt(page, taken).focus();
  await page.keyboard.press("Enter");
  const dialog = page.getByTestId("bookings-create-dialog");
  await dialog.waitFor();
  assert.ok(await dialog.evaluate((element) => element.contains(document.activeElement)), "focus in the dialog");
  await page.keyboard.press("Escape");
  await dialog.waitFor({ state: "detached" });
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("data-start")), taken);

  // A colleague's tab shows the same day and has the same slot's dialog open, not yet sent.
  const other = await newPage();
  await signIn(other, "staff@acme.test");
  await other.getByTestId("contacts-list-table").waitFor();
  await goInApp(other, new URL(page.url()).pathname + new URL(page.url()).search);
  await slotAt(other, taken).click();
  await chooseContact(other, "Fischer");

  // Here it is booked first.
  await slotAt(page, taken).click();
  await chooseContact(page, "Schmidt");
  await dialog.getByTestId("bookings-create-notes").fill("First visit");
  await assertAccessible(page, "bookings-create-dialog");
  await shootBothSizes(page, "bookings-create-dialog");
  await dialog.getByTestId("bookings-create-submit").click();
  const notice = page.getByTestId("bookings-list-notice");
  await notice.waitFor();
  assert.match(await notice.innerText(), /^Booked Anna Schmidt, \w{3} \d{1,2} \w{3}, \d{2}:\d{2}–\d{2}:\d{2}, Consultation\.$/);
  await dialog.waitFor({ state: "detached" });
  assert.ok(await notice.evaluate((element) => element.parentElement === document.activeElement), "focus on the notice");
  await waitFor(async () => (await slotAt(page, taken).count()) === 0, "the booked slot no longer free");
  const mine = page.locator(`[data-testid="bookings-calendar-booking"][data-start="${taken}"]`);
  await mine.waitFor();
  assert.equal(await mine.getByTestId("bookings-list-status").innerText(), "Pending");
  assert.match(await mine.getByTestId("bookings-calendar-contact").innerText(), /Anna Schmidt/);
  const bookingId = await mine.getAttribute("data-booking-id");

  // The colleague's attempt at the same slot is refused in words, in the dialog, and the free
  // times are refreshed without it; another one books.
  const otherDialog = other.getByTestId("bookings-create-dialog");
  await otherDialog.getByTestId("bookings-create-submit").click();
  const conflict = otherDialog.getByTestId("bookings-create-taken");
  await conflict.waitFor();
  assert.match(await conflict.innerText(), /was booked by someone else meanwhile/);
  assert.doesNotMatch(await conflict.innerText(), /booking_conflict|409/);
  await waitFor(async () => (await slotAt(other, taken).count()) === 0, "the other tab's refreshed slots");
  const offered = otherDialog.getByTestId("bookings-create-other-slot");
  await offered.first().waitFor();
  assert.notEqual(await offered.first().getAttribute("data-start"), taken);
  await assertAccessible(other, "bookings-create-taken");
  await shoot(other, "bookings-create-taken");
  await offered.first().click();
  await otherDialog.getByTestId("bookings-create-submit").click();
  await other.getByTestId("bookings-list-notice").waitFor();
  assert.match(await other.getByTestId("bookings-list-notice").innerText(), /^Booked Ben Fischer/);
  await other.context().close();

  // Confirm acts at once; cancel asks for a reason first.
  const card = bookingCard(page, bookingId);
  await card.getByTestId("bookings-calendar-confirm").click();
  await waitFor(async () => (await card.getByTestId("bookings-list-status").innerText()) === "Confirmed", "the confirmation");
  assert.equal(await card.getByTestId("bookings-calendar-confirm").count(), 0);
  await card.getByTestId("bookings-calendar-cancel").click();
  const cancel = page.getByTestId("bookings-cancel-dialog");
  await cancel.waitFor();
  await page.getByTestId("bookings-cancel-dialog-confirm").click();
  assert.equal(await page.getByTestId("bookings-cancel-reason").getAttribute("aria-invalid"), "true");
  await page.getByTestId("bookings-cancel-reason").fill("Asked to move to next week");
  await shoot(page, "bookings-cancel-dialog");
  await page.getByTestId("bookings-cancel-dialog-confirm").click();
  await cancel.waitFor({ state: "hidden" });
  await waitFor(async () => (await card.getByTestId("bookings-list-status").innerText()) === "Cancelled", "the cancellation");
  assert.match(await card.innerText(), /Asked to move to next week/);
  // Its time is free again.
  await slotAt(page, taken).waitFor();
  const token = await apiToken("staff@acme.test");
  const cancelled = await api(token, "GET", `/bookings/${bookingId}`);
  assert.equal(cancelled.body.cancel_reason, "Asked to move to next week");
  await page.context().close();
});

/** Moves a booking a week back: the API books only from now on, and only a started booking is
 * completed or marked a no-show. (Past confirmed rows block nothing new: they lie before now.) */
function moveWeekBack(bookingId) {
  const shift = "interval '7 days'";
  const statement =
    `UPDATE scheduling_booking SET start = start - ${shift}, "end" = "end" - ${shift}, ` +
    `blocked_start = blocked_start - ${shift}, blocked_end = blocked_end - ${shift} WHERE id = '${bookingId}'`;
  const result = spawnSync("psql", [hub.backend_database, "-v", "ON_ERROR_STOP=1", "-qc", statement], { encoding: "utf8" });
  assert.equal(result.status, 0, result.stderr);
}

test("started confirmed bookings are completed or marked no-show, each after asking", async () => {
  const token = await apiToken("staff@acme.test");
  const resources = (await api(token, "GET", "/resources?limit=200")).body.items;
  const resource = resources.filter((r) => r.is_active).sort((a, b) => a.name.localeCompare(b.name, "en"))[0];
  assert.equal(resource.timezone, FIRST_RESOURCE_ZONE);
  const service = (await api(token, "GET", "/services?limit=200")).body.items.find((s) => s.name === "Follow-up check");
  const contacts = (await api(token, "GET", "/contacts?q=Weber")).body.items;
  const from = new Date(Date.now() + 5 * 86_400_000);
  const free = await api(
    token,
    "GET",
    `/availability?resource_id=${resource.id}&service_id=${service.id}&from=${from.toISOString()}&to=${new Date(from.getTime() + 5 * 86_400_000).toISOString()}`,
  );
  // Two slots of one local day, both shown by the day view: the first two free slots straddle
  // midnight when the search starts near the end of the resource's working day.
  const perDay = new Map();
  for (const slot of free.body.items) {
    const local = slot.local_start.slice(0, 10);
    perDay.set(local, [...(perDay.get(local) ?? []), slot]);
  }
  const [first, second] = [...perDay.values()].find((slots) => slots.length >= 2) ?? [];
  assert.ok(second, `two free slots on one day: ${JSON.stringify(free.body)}`);
  const made = [];
  for (const slot of [first, second]) {
    const created = await api(token, "POST", "/bookings", { resource_id: resource.id, service_id: service.id, contact_id: contacts[0].id, start: slot.start });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((await api(token, "POST", `/bookings/${created.body.id}/confirm`)).status, 200);
    moveWeekBack(created.body.id);
    made.push(created.body.id);
  }
  const day = first.local_start.slice(0, 10);
  const shownDay = weekBefore(day);

  const page = await newPage();
  await signIn(page, "staff@acme.test");
  await page.getByTestId("contacts-list-table").waitFor();
  await page.getByTestId("shell-nav-bookings").click();
  await page.getByTestId("bookings-calendar-day").first().waitFor();
  await page.getByTestId("bookings-filter-view").selectOption("day");
  await showDate(page, shownDay);
  const [noShow, completed] = made.map((id) => bookingCard(page, id));
  await noShow.waitFor();
  await contactNamesShown(page);
  assert.deepEqual(await noShow.getByRole("button").allInnerTexts(), ["Complete", "No-show", "Cancel"]);

  // No-show asks; going back leaves the booking as it was.
  await noShow.getByTestId("bookings-calendar-no-show").click();
  const noShowDialog = page.getByTestId("bookings-no-show-dialog");
  await noShowDialog.waitFor();
  assert.match(await noShowDialog.innerText(), /Clara Weber/);
  await shoot(page, "bookings-no-show-dialog");
  await page.getByTestId("bookings-no-show-dialog-cancel").click();
  await noShowDialog.waitFor({ state: "hidden" });
  assert.equal((await api(token, "GET", `/bookings/${made[0]}`)).body.status, "confirmed");
  await noShow.getByTestId("bookings-calendar-no-show").click();
  await page.getByTestId("bookings-no-show-dialog-confirm").click();
  await waitFor(async () => (await noShow.getByTestId("bookings-list-status").innerText()) === "No-show", "the no-show");
  assert.equal(await noShow.getByRole("button").count(), 0);

  await completed.getByTestId("bookings-calendar-complete").click();
  await page.getByTestId("bookings-complete-dialog").waitFor();
  await page.getByTestId("bookings-complete-dialog-confirm").click();
  await waitFor(async () => (await completed.getByTestId("bookings-list-status").innerText()) === "Completed", "the completion");
  assert.match(await page.getByTestId("bookings-list-notice").innerText(), /marked completed/);
  assert.equal((await api(token, "GET", `/bookings/${made[0]}`)).body.status, "no_show");
  assert.equal((await api(token, "GET", `/bookings/${made[1]}`)).body.status, "completed");
  await page.context().close();
});

test("a viewer sees bookings without actions", async () => {
  const page = await newPage();
  await signIn(page, "viewer@acme.test");
  await page.getByTestId("contacts-list-table").waitFor();
  await openLastWeek(page);
  assert.ok((await page.getByTestId("bookings-calendar-booking").count()) > 0);
  assert.equal(await page.getByTestId("bookings-list-new").count(), 0);
  assert.equal(await page.getByTestId("bookings-filter-service").count(), 0);
  // The coming week, where staff see free times: a viewer sees none (nor any actions).
  await showDate(page, comingWeekday());
  await page.getByTestId("bookings-calendar-empty").or(page.getByTestId("bookings-calendar-booking")).first().waitFor();
  assert.equal(await page.getByTestId("bookings-calendar-slot").count(), 0);
  for (const action of ["confirm", "cancel", "complete", "no-show"]) {
    assert.equal(await page.getByTestId(`bookings-calendar-${action}`).count(), 0, action);
  }
  await page.context().close();
});

// --- money: invoices, payments, refunds -----------------------------------------------------

/** "€1,234.50" (as shown) or "1234.50" (an amount field) → 123450n (minor units), so sums are exact. */
function minorOf(text) {
  const match = text.trim().match(/^(-?)\D*?([\d,]+)(?:\.(\d+))?$/);
  assert.ok(match, `not money: ${text}`);
  return BigInt(match[1] + match[2].replace(/,/g, "") + (match[3] ?? ""));
}

/** Every POST the page sends to a money-taking endpoint, with its Idempotency-Key. */
function recordMoneyPosts(page) {
  const posts = [];
  page.on("request", (request) => {
    const path = new URL(request.url()).pathname;
    if (request.method() === "POST" && /^\/api\/v1\/payments(\/[^/]+\/refunds)?$/.test(path)) {
      posts.push({ path, key: request.headers()["idempotency-key"] });
    }
  });
  return posts;
}

/** Ticks or unticks a filter box; the URL holds the filters, so the box follows once it changed. */
async function setBox(box, on) {
  if ((await box.isChecked()) !== on) await box.click();
  await waitFor(async () => (await box.isChecked()) === on, "the filter box", 10_000);
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test("a manager invoices a contact, takes two payments and refunds part", async () => {
  const page = await newPage();
  const posts = recordMoneyPosts(page);
  await signIn(page, "manager@acme.test");
  await page.getByTestId("contacts-list-table").waitFor();
  await page.getByTestId("shell-nav-invoices").click();
  await page.getByTestId("invoices-list-table").waitFor();
  await assertAccessible(page, "invoices");
  await shoot(page, "invoices");
  // The demo data has invoices in every status: each filter shows some, and only those.
  const shownStatuses = async () => {
    if (await page.getByTestId("invoices-list-loading").count()) return [];
    return page.getByTestId("invoices-list-status").allInnerTexts();
  };
  for (const [status, label] of [["draft", "Draft"], ["issued", "Issued"], ["partially_paid", "Partially paid"], ["paid", "Paid"], ["void", "Void"]]) {
    await setBox(page.getByTestId(`invoices-filter-status-${status}`), true);
    await waitFor(async () => {
      const shown = await shownStatuses();
      return shown.length > 0 && shown.every((s) => s === label);
    }, `the ${status} filter`, 10_000);
    await setBox(page.getByTestId(`invoices-filter-status-${status}`), false);
  }
  await setBox(page.getByTestId("invoices-filter-overdue"), true);
  await waitFor(
    async () => {
      const rows = page.getByTestId("invoices-list-row");
      const count = await rows.count();
      return count > 0 && (await page.getByTestId("invoices-list-overdue").count()) === count;
    },
    "the overdue filter",
    10_000,
  );
  await setBox(page.getByTestId("invoices-filter-overdue"), false);

  // A new draft with two lines: a catalog service twice, and half an hour of something at 12.25
  // (0.5 × 12.25 = 6.125 → 6.13 half-up; its 20% tax 1.226 → 1.23).
  await page.getByTestId("invoices-list-new").click();
  await page.getByTestId("invoices-form").waitFor();
  await page.getByTestId("invoices-form-contact-search").fill("Schmidt");
  const options = page.getByTestId("invoices-form-contact-option");
  await waitFor(async () => (await options.count()) === 1, "the contact search");
  await options.first().check();
  await page.getByTestId("invoices-form-tax-rate").fill("20");
  const lines = page.getByTestId("invoices-form-line");
  const first = lines.nth(0);
  const service = first.getByTestId("invoices-form-line-service");
  await waitFor(async () => (await service.locator("option").count()) > 1, "the services");
  const serviceOption = service.locator("option").nth(1);
  await service.selectOption((await serviceOption.getAttribute("value")) ?? "");
  assert.notEqual(await first.getByTestId("invoices-form-line-description").inputValue(), "");
  assert.match(await first.getByTestId("invoices-form-line-price").inputValue(), /^\d+\.\d{2}$/);
  await first.getByTestId("invoices-form-line-quantity").fill("2");
  await page.getByTestId("invoices-form-add-line").click();
  const second = lines.nth(1);
  await second.getByTestId("invoices-form-line-description").fill("Consultation, half hour");
  await second.getByTestId("invoices-form-line-quantity").fill("0.5");
  await second.getByTestId("invoices-form-line-price").fill("12.25");
  assert.equal(await second.getByTestId("invoices-form-line-total").innerText(), "€7.36");
  const previewTotal = await page.getByTestId("invoices-form-preview-total").innerText();
  await assertAccessible(page, "new-invoice");
  await shoot(page, "new-invoice");
  await page.getByTestId("invoices-form-submit").click();

  const detail = page.getByTestId("invoices-detail");
  await detail.waitFor();
  const invoiceId = await detail.getAttribute("data-invoice-id");
  assert.equal(await page.getByTestId("invoices-detail-status").innerText(), "Draft");
  assert.equal(await page.getByTestId("invoices-detail-total").innerText(), previewTotal, "the preview matches the server");
  assert.equal(await page.getByTestId("invoices-detail-line").count(), 2);
  await assertAccessible(page, "draft-invoice");

  // Edit the draft: the half hour becomes one and a half (1.5 × 12.25 = 18.375 → 18.38).
  await page.getByTestId("invoices-detail-edit").click();
  await page.getByTestId("invoices-form").waitFor();
  assert.match(await page.getByTestId("invoices-form-contact-chosen").innerText(), /Anna Schmidt/);
  assert.equal(await page.getByTestId("invoices-form-currency-fixed").innerText(), "EUR");
  await lines.nth(1).getByTestId("invoices-form-line-quantity").fill("1.5");
  assert.equal(await lines.nth(1).getByTestId("invoices-form-line-total").innerText(), "€22.06");
  const editedTotal = await page.getByTestId("invoices-form-preview-total").innerText();
  assert.notEqual(editedTotal, previewTotal);
  await page.getByTestId("invoices-form-submit").click();
  await waitFor(async () => (await page.getByTestId("invoices-detail-total").count()) === 1, "the saved draft");
  assert.equal(await page.getByTestId("invoices-detail-total").innerText(), editedTotal, "the edited preview matches the server");
  const total = minorOf(editedTotal);

  await page.getByTestId("invoices-detail-issue").click();
  await page.getByTestId("invoices-issue-dialog").waitFor();
  await page.getByTestId("invoices-issue-dialog-confirm").click();
  await waitFor(async () => (await page.getByTestId("invoices-detail-status").innerText()) === "Issued", "the issue");
  const number = await page.getByTestId("invoices-detail-number").innerText();
  assert.match(number, /\d+$/);
  assert.match(await page.getByTestId("invoices-detail-title").innerText(), new RegExp(number));
  await assertAccessible(page, "invoice-detail");
  await shoot(page, "invoice-detail");

  // The PDF comes through the authorized client.
  const pdfResponse = page.waitForResponse((r) => r.url().endsWith(`/api/v1/invoices/${invoiceId}/pdf`));
  const popup = page.context().waitForEvent("page");
  await page.getByTestId("invoices-detail-pdf").click();
  const pdf = await pdfResponse;
  assert.equal(pdf.status(), 200);
  assert.match(pdf.headers()["content-type"] ?? "", /application\/pdf/);
  const tab = await popup;
  assert.ok(tab.url().startsWith("blob:"), tab.url());
  await tab.close();

  // A partial payment: the amount offered is the amount due.
  await page.getByTestId("invoices-detail-pay").click();
  const amount = page.getByTestId("invoices-pay-amount");
  assert.equal(minorOf(await amount.inputValue()), total);
  await amount.fill("10.00");
  await page.getByTestId("invoices-pay-method").selectOption("card");
  await assertAccessible(page, "record-payment");
  await page.getByTestId("invoices-pay-submit").click();
  await page.getByTestId("invoices-detail-notice").waitFor();
  await waitFor(async () => (await page.getByTestId("invoices-detail-status").innerText()) === "Partially paid", "the partial payment");
  assert.equal(minorOf(await page.getByTestId("invoices-detail-paid").innerText()), 1000n);
  assert.equal(minorOf(await page.getByTestId("invoices-detail-amount-due").innerText()), total - 1000n);
  assert.equal(await page.getByTestId("invoices-detail-void").count(), 0, "no void once paid");

  // The rest.
  await page.getByTestId("invoices-detail-pay").click();
  assert.equal(minorOf(await amount.inputValue()), total - 1000n);
  await page.getByTestId("invoices-pay-submit").click();
  await waitFor(async () => (await page.getByTestId("invoices-detail-status").innerText()) === "Paid", "the full payment");
  assert.equal(minorOf(await page.getByTestId("invoices-detail-amount-due").innerText()), 0n);
  assert.equal(await page.getByTestId("invoices-detail-pay").count(), 0);
  assert.equal(await page.getByTestId("invoices-detail-payment").count(), 2);

  // Refund part of the 10.00 on the Payments screen.
  await page.getByTestId("shell-nav-payments").click();
  await page.getByTestId("payments-list-table").waitFor();
  const token = await apiToken("manager@acme.test");
  const mine = (await api(token, "GET", `/payments?invoice_id=${invoiceId}`)).body.items;
  const ten = mine.find((payment) => payment.amount.amount === "10.00");
  assert.ok(ten, JSON.stringify(mine));
  const row = page.locator(`[data-testid="payments-list-row"][data-payment-id="${ten.id}"]`);
  await row.waitFor();
  assert.match(await row.getByTestId("payments-list-contact").innerText(), /Anna Schmidt/);
  assert.equal(await row.getByTestId("payments-list-invoice").innerText(), number);
  await assertAccessible(page, "payments");
  await shoot(page, "payments");
  await row.getByTestId("payments-list-refund-button").click();
  const dialog = page.getByTestId("payments-refund-dialog");
  await dialog.waitFor();
  await page.getByTestId("payments-refund-amount").fill("4.00");
  await page.getByTestId("payments-refund-reason").fill("Half the session was cancelled");
  await assertAccessible(page, "refund-dialog");
  await shoot(page, "refund-dialog");
  await page.getByTestId("payments-refund-dialog-confirm").click();
  await dialog.waitFor({ state: "hidden" });
  await page.getByTestId("payments-list-notice").waitFor();
  await waitFor(async () => minorOf(await row.getByTestId("payments-list-refunded").locator("span").first().innerText()) === 400n, "the refund");
  assert.match(await row.getByTestId("payments-list-refund").first().innerText(), /€4\.00: Half the session was cancelled/);

  // Someone else refunds meanwhile: what this form asks is now too much, and it says so.
  await row.getByTestId("payments-list-refund-button").click();
  await dialog.waitFor();
  await page.getByTestId("payments-refund-amount").fill("6.00");
  await page.getByTestId("payments-refund-reason").fill("The rest");
  const other = await fetch(`${hub.backend}/api/v1/payments/${ten.id}/refunds`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}`, "Idempotency-Key": crypto.randomUUID() },
    body: JSON.stringify({ amount: { amount: "1.00", currency: "EUR" }, reason: "Goodwill" }),
  });
  assert.equal(other.status, 201, await other.text());
  await page.getByTestId("payments-refund-dialog-confirm").click();
  const exceeds = page.getByTestId("payments-refund-exceeds");
  await exceeds.waitFor();
  assert.doesNotMatch(await page.getByTestId("payments-refund-dialog").innerText(), /refund_exceeds_payment/);
  // It says what is left now: 10.00 − 4.00 − 1.00.
  await waitFor(async () => /at most €5\.00/.test(await exceeds.innerText()), "what is left to refund, refreshed", 10_000);
  assert.match(await page.getByTestId("payments-refund-refundable").innerText(), /€5\.00/);
  await shoot(page, "refund-exceeds");
  await page.keyboard.press("Escape");
  await dialog.waitFor({ state: "hidden" });

  // Every money POST carried an Idempotency-Key (a UUID), a fresh one per form.
  assert.equal(posts.length, 4, JSON.stringify(posts));
  for (const post of posts) assert.match(post.key ?? "", UUID_RE, post.path);
  assert.equal(new Set(posts.map((post) => post.key)).size, 4);

  // The contact's balance on Contacts matches the API.
  await page.getByTestId("shell-nav-contacts").click();
  await page.getByTestId("contacts-search-input").fill("Schmidt");
  await waitFor(async () => (await page.getByTestId("contacts-list-row").count()) === 1, "the search");
  await page.getByTestId("contacts-list-balance").click();
  const balanceRow = page.locator('[data-testid="contacts-balance-row"][data-currency="EUR"]');
  await balanceRow.waitFor();
  const balance = (await api(token, "GET", `/contacts/${ten.contact_id}/balance`)).body.items.find((item) => item.currency === "EUR");
  for (const field of ["invoiced", "paid", "refunded", "outstanding", "overdue"]) {
    assert.equal(minorOf(await balanceRow.getByTestId(`contacts-balance-${field}`).innerText()), minorOf(balance[field].amount), field);
  }
  await assertAccessible(page, "contact-balance");
  await shoot(page, "contact-balance");
  await page.context().close();
});

test("voiding an invoice with payments is refused in words; a viewer reads invoices without actions", async () => {
  const token = await apiToken("manager@acme.test");
  const contact = (await api(token, "GET", "/contacts?q=Schmidt")).body.items[0];
  const created = await api(token, "POST", "/invoices", {
    contact_id: contact.id,
    lines: [{ description: "Check-up", quantity: "1", unit_price: "40.00", tax_rate: "0" }],
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const invoice = created.body;
  assert.equal((await api(token, "POST", `/invoices/${invoice.id}/issue`)).status, 200);

  const page = await newPage();
  await signIn(page, "manager@acme.test");
  await page.getByTestId("contacts-list-table").waitFor();
  await page.getByTestId("shell-nav-invoices").click();
  await page.locator(`[data-testid="invoices-list-row"][data-invoice-id="${invoice.id}"]`).getByTestId("invoices-list-open").click();
  await page.getByTestId("invoices-detail-void").waitFor();
  // A payment arrives meanwhile (the screen still offers Void).
  const paid = await fetch(`${hub.backend}/api/v1/payments`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}`, "Idempotency-Key": crypto.randomUUID() },
    body: JSON.stringify({ contact_id: contact.id, invoice_id: invoice.id, amount: { amount: "5.00", currency: "EUR" }, method: "cash" }),
  });
  assert.equal(paid.status, 201, await paid.text());
  await page.getByTestId("invoices-detail-void").click();
  await page.getByTestId("invoices-void-dialog-confirm").click();
  assert.equal(await page.getByTestId("invoices-void-reason").getAttribute("aria-invalid"), "true");
  await page.getByTestId("invoices-void-reason").fill("Issued by mistake");
  await page.getByTestId("invoices-void-dialog-confirm").click();
  const refusal = page.getByTestId("invoices-void-error");
  await refusal.waitFor();
  assert.doesNotMatch(await refusal.innerText(), /invoice_has_payments/);
  await assertAccessible(page, "void-dialog");
  await shoot(page, "void-refused");
  await page.getByTestId("invoices-void-dialog-cancel").click();
  await waitFor(async () => (await page.getByTestId("invoices-detail-status").innerText()) === "Partially paid", "the fresh status");
  await page.context().close();

  // A draft is deleted from its page.
  const draft = await api(token, "POST", "/invoices", { contact_id: contact.id, lines: [] });
  assert.equal(draft.status, 201, JSON.stringify(draft.body));
  const again = await newPage();
  await signIn(again, "manager@acme.test");
  await again.getByTestId("shell-nav-invoices").click();
  const draftRow = again.locator(`[data-testid="invoices-list-row"][data-invoice-id="${draft.body.id}"]`);
  await draftRow.getByTestId("invoices-list-open").click();
  await again.getByTestId("invoices-detail-no-lines").waitFor();
  await again.getByTestId("invoices-detail-delete").click();
  await again.getByTestId("invoices-delete-dialog-confirm").click();
  await again.getByTestId("invoices-list-table").waitFor();
  await draftRow.waitFor({ state: "detached" });
  assert.equal((await api(token, "GET", `/invoices/${draft.body.id}`)).status, 404);
  await again.context().close();

  const viewer = await newPage();
  await signIn(viewer, "viewer@acme.test");
  await viewer.getByTestId("contacts-list-table").waitFor();
  await viewer.getByTestId("shell-nav-invoices").click();
  await viewer.getByTestId("invoices-list-table").waitFor();
  assert.equal(await viewer.getByTestId("invoices-list-new").count(), 0);
  // By keyboard: the invoice's link, then Enter.
  await viewer.locator(`[data-testid="invoices-list-row"][data-invoice-id="${invoice.id}"]`).getByTestId("invoices-list-open").focus();
  await viewer.keyboard.press("Enter");
  await viewer.getByTestId("invoices-detail-total").waitFor();
  for (const action of ["edit", "issue", "delete", "pay", "void"]) {
    assert.equal(await viewer.getByTestId(`invoices-detail-${action}`).count(), 0, action);
  }
  assert.equal(await viewer.getByTestId("invoices-detail-pdf").count(), 1);
  await viewer.getByTestId("shell-nav-payments").click();
  await viewer.getByTestId("payments-list-table").waitFor();
  assert.equal(await viewer.getByTestId("payments-list-refund-button").count(), 0);
  await viewer.context().close();
});

// --- people: a contact's page (export, archive, erase), Team roles, phone width -------------

const ACME_ID = "0a0e0000-0000-4000-8000-000000000001";

async function identityApi(token, method, path, body) {
  const response = await fetch(`${hub.identity}/api/v1${path}`, {
    method,
    headers: { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

test("a manager creates a contact, books it, exports, archives and erases it", async () => {
  const page = await newPage();
  await signIn(page, "manager@acme.test");
  await page.getByTestId("contacts-list-table").waitFor();
  await page.getByTestId("contacts-list-new").click();
  const stamp = Date.now();
  const email = `lena.vogel.${stamp}@example.org`;
  await page.getByTestId("contacts-new-first-name").fill("Lena");
  await page.getByTestId("contacts-new-last-name").fill(`Vogel ${stamp}`);
  await page.getByTestId("contacts-new-email").fill(email);
  await page.getByTestId("contacts-new-phone").fill("12");
  await page.getByTestId("contacts-new-tags").fill("vip, newsletter");
  await page.getByTestId("contacts-new-notes").fill("Prefers mornings");
  await page.getByTestId("contacts-new-submit").click();
  // The API refuses the phone: its message sits at the field, in words.
  const phone = page.getByTestId("contacts-new-phone");
  await waitFor(async () => (await phone.getAttribute("aria-invalid")) === "true", "the phone's error");
  const phoneError = await page.locator(`[id="${await phone.getAttribute("aria-describedby")}"]`).innerText();
  assert.match(phoneError, /phone/i);
  await assertAccessible(page, "contact-new");
  await shootBothSizes(page, "contact-new");
  await phone.fill("+49 30 1234567");
  await page.getByTestId("contacts-new-submit").click();

  const detail = page.getByTestId("contacts-detail");
  await detail.waitFor();
  const contactId = await detail.getAttribute("data-contact-id");
  assert.match(contactId, UUID_RE);
  assert.equal(await page.getByTestId("contacts-detail-name").innerText(), `Lena Vogel ${stamp}`);
  assert.equal(await page.getByTestId("contacts-detail-email").innerText(), email);
  assert.equal(await page.getByTestId("contacts-detail-phone").innerText(), "+49301234567");
  assert.equal(await page.getByTestId("contacts-detail-tags").innerText(), "vip, newsletter");
  await page.getByTestId("contacts-detail-notice").waitFor();

  // From the list: the row links to the page.
  await page.getByTestId("contacts-detail-back").click();
  await page.getByTestId("contacts-search-input").fill(String(stamp));
  await waitFor(async () => (await page.getByTestId("contacts-list-row").count()) === 1, "the search");
  await page.getByTestId("contacts-list-open").click();
  await detail.waitFor();

  // Edit: a note changes, the rest stays.
  await page.getByTestId("contacts-detail-edit").click();
  await page.getByTestId("contacts-edit-notes").fill("Prefers afternoons");
  await page.getByTestId("contacts-edit-submit").click();
  await waitFor(async () => (await page.getByTestId("contacts-detail-notes").innerText()) === "Prefers afternoons", "the edit");

  // New booking opens with the contact chosen; the booking shows on the contact's page.
  await page.getByTestId("contacts-detail-bookings-empty").waitFor();
  await page.getByTestId("contacts-detail-book").click();
  await page.getByTestId("bookings-new-contact-chosen").filter({ hasText: `Lena Vogel ${stamp}` }).waitFor();
  await page.getByTestId("bookings-new-date").fill(comingWeekday());
  const slots = page.getByTestId("bookings-new-slot");
  await slots.first().waitFor();
  await waitFor(async () => slots.first().isEnabled(), "slots ready to book");
  const start = await slots.first().getAttribute("data-start");
  await slots.first().click();
  await page.getByTestId("bookings-new-booked-summary").waitFor();
  await page.goBack();
  const booking = page.getByTestId("contacts-detail-booking");
  await booking.waitFor();
  const resourceZone = await booking.locator("td").first().locator("span").innerText();
  assert.equal(resourceZone, "Europe/Berlin");
  const wall = new Intl.DateTimeFormat("en-GB", { timeZone: resourceZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(new Date(start));
  assert.match(await booking.getByTestId("contacts-detail-booking-open").innerText(), new RegExp(`, ${wall}–`));
  await assertAccessible(page, "contact-detail");
  await shootBothSizes(page, "contact-detail");

  // Export: a JSON file with the contact's data, fetched with the bearer token.
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("contacts-detail-export").click()]);
  assert.match(download.suggestedFilename(), new RegExp(`^contact-${contactId}-\\d{4}-\\d{2}-\\d{2}\\.json$`));
  const exported = JSON.parse(readFileSync(await download.path(), "utf8"));
  assert.equal(exported.sections.contact.id, contactId);
  assert.equal(exported.sections.contact.email, email);
  assert.equal(exported.sections.contact.notes, "Prefers afternoons");
  assert.equal(exported.sections.bookings.length, 1, JSON.stringify(exported.sections.bookings));

  // Archive, confirmed.
  await page.getByTestId("contacts-detail-archive").click();
  await page.getByTestId("contacts-archive-dialog-confirm").click();
  await page.getByTestId("contacts-detail-archived").waitFor();
  await page.getByTestId("contacts-detail-archive").waitFor({ state: "detached" });

  // Erase asks for the word first.
  await page.getByTestId("contacts-detail-erase").click();
  await page.getByTestId("contacts-erase-dialog").waitFor();
  await page.getByTestId("contacts-erase-dialog-confirm").click();
  assert.equal(await page.getByTestId("contacts-erase-confirm-input").getAttribute("aria-invalid"), "true");
  await page.getByTestId("contacts-erase-confirm-input").fill("ERASE");
  await assertAccessible(page, "contact-erase-dialog");
  await shoot(page, "contact-erase-dialog");
  await page.getByTestId("contacts-erase-dialog-confirm").click();
  await page.getByTestId("contacts-erase-dialog").waitFor({ state: "hidden" });
  await waitFor(async () => (await page.getByTestId("contacts-detail-name").innerText()) === "Erased", "the erasure");
  for (const field of ["email", "phone", "tags", "notes"]) {
    assert.equal(await page.getByTestId(`contacts-detail-${field}`).innerText(), "—", field);
  }
  await page.getByTestId("contacts-detail-erased").waitFor();
  assert.equal(await page.getByTestId("contacts-detail-erase").count(), 0);
  await shoot(page, "contact-erased");
  const token = await apiToken("manager@acme.test");
  const after = (await api(token, "GET", `/contacts/${contactId}`)).body;
  assert.deepEqual(
    { first_name: after.first_name, last_name: after.last_name, email: after.email, phone: after.phone, notes: after.notes, tags: after.tags },
    { first_name: "Erased", last_name: "", email: null, phone: null, notes: "", tags: [] },
  );
  assert.ok(after.erased_at);
  await page.context().close();
});

test("an owner changes a member's role, removes one, and cannot demote the last owner", async () => {
  // Someone joins Acme as a viewer: invited and accepted through the APIs.
  const ownerToken = await apiToken("owner@acme.test");
  const joiner = `joiner-${Date.now()}@example.org`;
  const invited = await identityApi(ownerToken, "POST", `/organizations/${ACME_ID}/invitations`, { email: joiner, role: "viewer" });
  assert.equal(invited.status, 201, JSON.stringify(invited.body));
  const link = await waitFor(() => mailedLink(joiner), `the invitation mail to ${joiner}`);
  const accepted = await identityApi(null, "POST", "/invitations/accept", {
    token: new URL(link).searchParams.get("token"),
    name: "Jo Joiner",
    password: "a long passphrase of my own",
  });
  assert.equal(accepted.status, 200, JSON.stringify(accepted.body));

  const page = await newPage();
  await signIn(page, "owner@acme.test");
  await page.getByTestId("contacts-list-table").waitFor();
  await page.getByTestId("shell-nav-team").click();
  await page.getByTestId("team-members-list").waitFor();
  const row = (email) => page.locator(`[data-testid="team-members-row"][data-email="${email}"]`);
  await row(joiner).waitFor();
  await assertAccessible(page, "team-members");
  await shootBothSizes(page, "team-members");

  await row(joiner).getByTestId("team-members-role-select").selectOption("manager");
  await row(joiner).getByTestId("team-members-role-save").click();
  await page.getByTestId("team-members-notice").filter({ hasText: "Jo Joiner is now manager." }).waitFor();
  await waitFor(async () => (await row(joiner).getByTestId("team-members-role").innerText()).startsWith("Manager"), "the new role");
  const members = (await identityApi(ownerToken, "GET", `/organizations/${ACME_ID}/members?limit=200`)).body.items;
  assert.equal(members.find((member) => member.user.email === joiner).role, "manager");

  // Removing is confirmed first.
  await row(joiner).getByTestId("team-members-remove").click();
  const dialog = row(joiner).getByTestId("team-remove-dialog");
  await dialog.waitFor();
  await shoot(page, "team-remove-member-dialog");
  await dialog.getByTestId("team-remove-dialog-confirm").click();
  await page.getByTestId("team-members-notice").filter({ hasText: "Jo Joiner was removed" }).waitFor();
  await row(joiner).waitFor({ state: "detached" });
  const left = (await identityApi(ownerToken, "GET", `/organizations/${ACME_ID}/members?limit=200`)).body.items;
  assert.equal(left.filter((member) => member.user.email === joiner).length, 0);

  // The only owner demoting themselves: refused, in words, and the role stays.
  const me = row("owner@acme.test");
  await me.getByText("Only owner").waitFor();
  await me.getByTestId("team-members-role-select").selectOption("admin");
  await me.getByTestId("team-members-role-save").click();
  const refusal = page.getByTestId("team-members-change-error");
  await refusal.waitFor();
  assert.match(await refusal.innerText(), /only owner/);
  assert.doesNotMatch(await refusal.innerText(), /last_owner/);
  assert.equal(await me.getByTestId("team-members-role-select").inputValue(), "owner");
  await assertAccessible(page, "team-last-owner");
  await shootBothSizes(page, "team-last-owner");
  await page.context().close();
});

test("at phone width every screen fits, the menu opens and closes, the skip link leads to the content", async () => {
  const context = await browser.newContext({ baseURL: baseUrl, viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
  const page = await context.newPage();
  const fits = (name) => assertNoSideScroll(page, name);
  await page.goto("/");
  await page.getByTestId("auth-signin-submit").waitFor();
  await fits("sign-in");
  await signIn(page, "owner@acme.test");
  await page.getByTestId("contacts-list-table").waitFor();

  // The skip link is the first stop and moves focus to the content.
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("data-testid")), "shell-skip-link");
  assert.ok(await page.getByTestId("shell-skip-link").isVisible());
  await page.keyboard.press("Enter");
  await waitFor(async () => (await page.evaluate(() => document.activeElement?.id)) === "main", "focus on the content");

  const menu = page.getByTestId("shell-menu-button");
  const go = async (nav) => {
    assert.equal(await page.getByTestId(nav).isVisible(), false, `${nav} folded away`);
    await menu.click();
    assert.equal(await menu.getAttribute("aria-expanded"), "true");
    await page.getByTestId(nav).click();
    await waitFor(async () => (await menu.getAttribute("aria-expanded")) === "false", "the menu closes");
  };

  await fits("contacts");
  // By keyboard: the button opens the menu on its first link; Escape folds it, back on the button.
  await menu.focus();
  await page.keyboard.press("Enter");
  await page.getByTestId("shell-nav-team").waitFor();
  await waitFor(async () => (await page.evaluate(() => document.activeElement?.getAttribute("data-testid"))) === "shell-nav-dashboard", "focus on the first link");
  await assertAccessible(page, "phone-menu");
  await fits("phone-menu");
  await shoot(page, "phone-menu");
  await page.keyboard.press("Escape");
  await page.getByTestId("shell-nav-team").waitFor({ state: "hidden" });
  assert.equal(await menu.getAttribute("aria-expanded"), "false");
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("data-testid")), "shell-menu-button");
  // A link followed from the menu folds it and leaves focus on the content.
  await menu.click();
  await page.getByTestId("shell-nav-contacts").click();
  await waitFor(async () => (await menu.getAttribute("aria-expanded")) === "false", "the menu folds");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "main");
  await shoot(page, "phone-contacts");

  await page.getByTestId("contacts-list-open").first().click();
  await page.getByTestId("contacts-detail").waitFor();
  await page.getByTestId("contacts-balance").waitFor();
  await fits("contact-detail");
  await shoot(page, "phone-contact-detail");
  await page.getByTestId("contacts-detail-back").click();
  await page.getByTestId("contacts-list-new").click();
  await page.getByTestId("contacts-new-form").waitFor();
  await fits("contact-new");

  await go("shell-nav-bookings");
  await page.getByTestId("bookings-calendar-day").first().waitFor();
  await page.getByTestId("bookings-filter-previous").click();
  await page.getByTestId("bookings-calendar-booking").first().waitFor();
  await fits("bookings");
  await shoot(page, "phone-bookings");
  await page.getByTestId("bookings-list-new").click();
  await page.getByTestId("bookings-new-date").fill(comingWeekday());
  await page.getByTestId("bookings-new-slot").first().waitFor();
  await fits("new-booking");
  await shoot(page, "phone-new-booking");

  await go("shell-nav-invoices");
  await page.getByTestId("invoices-list-table").waitFor();
  await fits("invoices");
  await shoot(page, "phone-invoices");
  await page.getByTestId("invoices-list-open").first().click();
  await page.getByTestId("invoices-detail-total").waitFor();
  await fits("invoice-detail");
  await shoot(page, "phone-invoice-detail");

  await go("shell-nav-payments");
  await page.getByTestId("payments-list-table").waitFor();
  await fits("payments");

  await go("shell-nav-team");
  await page.getByTestId("team-members-list").waitFor();
  await page.getByTestId("team-members-role-select").first().waitFor();
  await page.getByTestId("team-invitations-empty").or(page.getByTestId("team-invitations-table")).waitFor();
  await fits("team");
  await shoot(page, "phone-team");

  await go("shell-nav-dashboard");
  await page.getByTestId("dashboard-kpi-bookings").waitFor();
  await fits("dashboard");
  await go("shell-notifications-badge");
  await page.getByTestId("notifications-preferences-save").waitFor();
  await fits("notifications");
  await go("shell-nav-audit");
  await page.getByTestId("audit-list-table").waitFor();
  await fits("audit");
  await go("shell-nav-events");
  await page.getByTestId("events-list-table").waitFor();
  await fits("events");
  await context.close();
});
