// The Audit page: an admin makes a change in the browser and finds it there — by them, from this browser, with
// what it changed — and the filters (a plain GET form) narrow the log to it. Tenants get neither page nor link.
import { expect, test } from "@playwright/test";
import { snap } from "./helpers";
import { E2E_DEMO_PASSWORD } from "./stack";

test("an admin sees the change they just made, who made it, from where and what it changed", async ({
  page,
}, testInfo) => {
  const project = `e2e-audited-${Date.now()}`;
  await page.goto("/admin");
  const form = page.getByRole("form", { name: "Create project" });
  await form.getByLabel("Project name").fill(project);
  await form.getByLabel("Description").fill("made to be audited");
  await page.getByTestId("create-project").click();
  await expect(page.getByRole("table", { name: "Projects" })).toContainText(project);

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Audit" }).click();
  await expect(page).toHaveURL(/\/audit$/);
  const log = page.getByRole("table", { name: "Audit log" });
  const entry = log.locator("tbody tr").filter({ hasText: project });
  await expect(entry).toHaveCount(1);
  await expect(entry).toContainText("project.create");
  await expect(entry).toContainText("admin");
  await expect(entry).toContainText("created");
  // The newest entry comes first.
  await expect(log.locator("tbody tr").first()).toContainText(project);
  await entry.getByText("details").click();
  await expect(entry.locator("pre")).toContainText('"description": "made to be audited"');
  // The browser's own User-Agent, as the server saw it.
  await expect(entry.locator("pre")).toContainText("Chrome/");
  await snap(page, testInfo, "audit-entry");

  // Filter by the resource: the form is a GET form, the address carries the filter.
  await page.getByLabel("Resource", { exact: true }).fill(project);
  await page.getByTestId("audit-filter").click();
  await expect(page).toHaveURL(new RegExp(`/audit\\?.*resource=${project}`));
  await expect(log.locator("tbody tr")).toHaveCount(1);
  await expect(log.locator("tbody tr")).toContainText(project);

  // A filter that matches nothing says so.
  await page.getByLabel("User", { exact: true }).fill("nobody-at-all");
  await page.getByTestId("audit-filter").click();
  await expect(page.getByText("No change matches these filters.")).toBeVisible();
});

test.describe("a tenant", () => {
  test.use({ storageState: { cookies: [], origins: [] } });

  test("has no Audit link and is refused the page", async ({ page }) => {
    await page.goto("/login");
    await page.getByLabel("User name").fill("demo");
    await page.getByLabel("Password").fill(E2E_DEMO_PASSWORD);
    await page.getByTestId("login-submit").click();
    await expect(page.getByTestId("whoami")).toContainText("demo");
    await expect(
      page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Audit" }),
    ).toHaveCount(0);
    await page.goto("/audit");
    await expect(page.getByTestId("refused")).toBeVisible();
  });
});
