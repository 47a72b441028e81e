// Logging in through the pages. The demo tenant (a member of project "demo") sees that project's topology and
// the external network, and no control that changes anything, anywhere; host and admin pages refuse it. The
// admin sees everything, including what the tenant did not. Starts logged out (the other specs start as admin).
import { expect, type Page, test } from "@playwright/test";
import { node, openTopology, select } from "./helpers";
import { adminToken, apiQuery, E2E_ADMIN_PASSWORD, E2E_DEMO_PASSWORD, readStack } from "./stack";

test.use({ storageState: { cookies: [], origins: [] } });
test.describe.configure({ mode: "serial" });

/** A network of the admin project, made over the API: the tenant must not see it. */
const HIDDEN = "e2e-admins-only-net";

async function logIn(page: Page, username: string, password: string) {
  await page.goto("/login");
  await page.getByLabel("User name").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByTestId("login-submit").click();
  await expect(page.getByTestId("whoami")).toContainText(username);
}

/** Every control that creates, edits or deletes carries one of these words or test ids. */
async function expectNoChangeControls(page: Page) {
  await expect(page.locator('[data-testid^="create-"], [data-testid^="action-"]')).toHaveCount(0);
  // Buttons outside table headers (a sortable column may be called "Gateway").
  const words =
    /^(\+|Edit|Delete|Remove|Add|Allocate|Launch|Associate|Disassociate|Set gateway|Change gateway|Gateway|Extra routes)/;
  await expect(page.locator("button:not(th *)").filter({ hasText: words })).toHaveCount(0);
}

test.beforeAll(async () => {
  const { url } = readStack();
  // Made once: a retry runs this again.
  const networks = await apiQuery<{ name: string }[]>(url, "network.list", {});
  if (networks.some((n) => n.name === HIDDEN)) return;
  const res = await fetch(`${url}/api/trpc/network.create`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${adminToken()}` },
    body: JSON.stringify({ name: HIDDEN }),
  });
  expect(res.status).toBe(200);
});

test("anonymous visitors are sent to the login page, and a wrong password is refused vaguely", async ({
  page,
}) => {
  await page.goto("/networks");
  await expect(page).toHaveURL(/\/login\?next=%2Fnetworks$/);
  await page.getByLabel("User name").fill("demo");
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByTestId("login-submit").click();
  await expect(page.getByTestId("login-error")).toHaveText("Invalid username or password");
});

test("a tenant sees only its project and the external network, with no controls, and no host or admin page", async ({
  page,
}) => {
  await logIn(page, "demo", E2E_DEMO_PASSWORD);
  await expect(page.getByTestId("whoami")).toHaveAttribute("data-role", "member");
  await openTopology(page);
  await expect(node(page, "router", "demo-router")).toBeVisible();
  await expect(node(page, "external", "public")).toBeVisible();
  await expect(node(page, "instance", "vm1")).toBeVisible();
  await expect(node(page, "network", HIDDEN)).toHaveCount(0);
  await expect(page.getByTestId("project-filter").locator("option")).toHaveText(["All projects", "demo"]);
  await expectNoChangeControls(page);
  for (const name of ["demo-router", "demo-net", "public", "vm1"]) {
    await select(page, name);
    await expectNoChangeControls(page);
  }

  for (const path of ["/networks", "/routers", "/floating-ips", "/instances"]) {
    await page.goto(path);
    await expect(page.getByTestId("table")).toBeVisible();
    await expect(page.getByTestId("table")).not.toContainText(HIDDEN);
    await expectNoChangeControls(page);
  }
  // Its project's default group (made with its first port), the rules as a table, and nothing to change.
  await page.goto("/security-groups");
  const defaultGroup = page.getByRole("region", { name: "Security group default" });
  await expect(defaultGroup.getByRole("table")).toContainText("ingress");
  await expect(defaultGroup.getByRole("table")).toContainText("group default");
  await expect(page.getByRole("main")).not.toContainText(HIDDEN);
  await expectNoChangeControls(page);
  await page.goto("/networks");
  await page.getByRole("link", { name: "demo-net" }).click();
  await expect(page.getByRole("heading", { name: "demo-net" })).toBeVisible();
  await expectNoChangeControls(page);

  await expect(
    page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Hosts" }),
  ).toHaveCount(0);
  await page.goto("/hosts");
  await expect(page.getByTestId("refused")).toContainText("Host pages are for admins");
  await page.goto("/admin");
  await expect(page.getByTestId("refused")).toBeVisible();
});

test("logging out ends the session; opening /logout (a link from anywhere) does not", async ({ page }) => {
  await logIn(page, "demo", E2E_DEMO_PASSWORD);
  await page.goto("/logout");
  await expect(page.getByRole("heading", { name: "Log out of netlens?" })).toBeVisible();
  await page.goto("/networks");
  await expect(page.getByTestId("whoami")).toContainText("demo");

  await page.getByTestId("logout").click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto("/");
  await expect(page).toHaveURL(/\/login\?next=%2F$/);
});

test("after logging in, a next that would leave the site goes to the start page instead", async ({
  page,
}) => {
  await page.goto("/login?next=/%5Cevil.example");
  await page.getByLabel("User name").fill("demo");
  await page.getByLabel("Password").fill(E2E_DEMO_PASSWORD);
  await page.getByTestId("login-submit").click();
  await expect(page.getByTestId("whoami")).toContainText("demo");
  expect(new URL(page.url()).origin).toBe(new URL(readStack().url).origin);
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the login form logs in and goes on to the page asked for; a failure keeps the name typed", async ({
    page,
  }) => {
    await page.goto("/login?next=%2Frouters");
    await page.getByLabel("User name").fill("demo");
    await page.getByLabel("Password").fill("not-the-password");
    await page.getByTestId("login-submit").click();
    await expect(page.getByTestId("login-error")).toHaveText("Invalid username or password");
    await expect(page.getByLabel("User name")).toHaveValue("demo");

    await page.getByLabel("Password").fill(E2E_DEMO_PASSWORD);
    await page.getByTestId("login-submit").click();
    await expect(page).toHaveURL(/\/routers$/);
    await expect(page.getByTestId("whoami")).toContainText("demo");

    await page.getByTestId("logout").click();
    await expect(page).toHaveURL(/\/login$/);
    await page.goto("/");
    await expect(page).toHaveURL(/\/login\?next=%2F$/);
  });

  test("a login's next never leaves the site", async ({ page }) => {
    await page.goto("/login?next=/%5Cevil.example");
    await page.getByLabel("User name").fill("demo");
    await page.getByLabel("Password").fill(E2E_DEMO_PASSWORD);
    await page.getByTestId("login-submit").click();
    await expect(page.getByTestId("whoami")).toContainText("demo");
    expect(new URL(page.url()).origin).toBe(new URL(readStack().url).origin);
  });
});

test("an admin sees everything and may change it, and manages accounts", async ({ page }) => {
  await logIn(page, "admin", E2E_ADMIN_PASSWORD);
  await expect(page.getByTestId("whoami")).toHaveAttribute("data-role", "admin");
  await openTopology(page);
  await expect(node(page, "network", HIDDEN)).toBeVisible();
  await expect(node(page, "router", "demo-router")).toBeVisible();
  await expect(page.getByTestId("create-network")).toBeVisible();
  await select(page, "demo-router");
  await expect(page.getByTestId("action-add-interface")).toBeVisible();

  await page.goto("/hosts");
  await expect(page.getByTestId("refused")).toHaveCount(0);
  await expect(page.getByRole("heading", { name: "Hosts" })).toBeVisible();

  await page.goto("/admin");
  const users = page.getByRole("table", { name: "Users" });
  await expect(users).toContainText("demo");
  const form = page.getByRole("form", { name: "Create user" });
  await form.getByLabel("User name").fill("e2e-tenant");
  await form.getByLabel("Password").fill("e2e-tenant-password");
  await form.getByLabel("Project").selectOption({ label: "demo" });
  await page.getByTestId("create-user").click();
  await expect(users).toContainText("member on demo");
  await expect(page.getByRole("table", { name: "Role assignments" })).toContainText("e2e-tenant");
});
