// Accessibility of every page, light and dark, scanned with axe-core (WCAG 2.1 A and AA rules): no serious or
// critical violation, one level-one heading per page, and no request that ends in a 404 (the favicon).
import AxeBuilder from "@axe-core/playwright";
import { expect, type Page, test } from "@playwright/test";
import { gotoSettled, openTopology, select } from "./helpers";
import { apiQuery, readStack } from "./stack";

type Theme = "light" | "dark";

/** Runs axe on the page as it is now; fails listing each serious or critical violation and where. */
async function expectAccessible(page: Page, what: string) {
  // Next sets the title as the page settles: scanned before, the page would be caught between two states.
  await expect(page, `${what}: a title`).toHaveTitle(/\S/);
  const { violations } = await new AxeBuilder({ page })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"])
    .analyze();
  const bad = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  const report = bad.map(
    (v) =>
      `${v.id} (${v.impact}): ${v.help}\n${v.nodes
        .slice(0, 6)
        .map((n) => `    ${n.target.join(" ")}: ${n.failureSummary?.split("\n").slice(1, 2).join(" ")}`)
        .join("\n")}`,
  );
  expect(report, `${what}:\n${report.join("\n")}`).toEqual([]);
  await expect(page.locator("h1"), `${what}: one level-one heading`).toHaveCount(1);
}

/** Collects every response that ended in 404 while the test ran (the favicon, a missing asset). */
function watch404(page: Page): string[] {
  const missing: string[] = [];
  page.on("response", (r) => {
    if (r.status() === 404) missing.push(r.url());
  });
  return missing;
}

for (const theme of ["light", "dark"] as const satisfies readonly Theme[]) {
  test.describe(`${theme} theme`, () => {
    test.beforeEach(async ({ page }) => {
      await page.emulateMedia({ colorScheme: theme });
    });

    test("login page", async ({ browser, baseURL }) => {
      const context = await browser.newContext({
        baseURL,
        storageState: { cookies: [], origins: [] },
        colorScheme: theme,
      });
      const page = await context.newPage();
      const missing = watch404(page);
      await gotoSettled(page, "/login");
      await expect(page.getByLabel("User name")).toBeVisible();
      await expectAccessible(page, "login");
      expect(missing).toEqual([]);
      await context.close();
    });

    test("topology with a side panel open", async ({ page }) => {
      const missing = watch404(page);
      await openTopology(page);
      await select(page, "vm1");
      await expectAccessible(page, "topology, vm1's panel");
      await select(page, "demo-router");
      await expectAccessible(page, "topology, demo-router's panel");
      expect(missing).toEqual([]);
    });

    test("list and detail pages", async ({ page }) => {
      for (const path of [
        "/networks",
        "/routers",
        "/floating-ips",
        "/instances",
        "/routers/demo-router",
        "/security-groups",
      ]) {
        await gotoSettled(page, path);
        await expect(page.getByTestId("table").first()).toBeVisible();
        await expectAccessible(page, path);
      }
    });

    test("a form dialog showing errors", async ({ page }) => {
      await openTopology(page);
      await select(page, "demo-net");
      await page.getByTestId("action-add-subnet").click();
      await page.getByRole("dialog").getByLabel("CIDR", { exact: true }).fill("10.0.0.0/33");
      await page.getByRole("dialog").getByTestId("submit").click();
      await expect(page.getByRole("dialog").getByTestId("error-cidr")).toBeVisible();
      await expectAccessible(page, "subnet form with errors");
    });

    test("security group dialogs: a new group, a rule refused beside its field", async ({ page }) => {
      await gotoSettled(page, "/security-groups");
      await page.getByRole("button", { name: "Create security group" }).click();
      await expect(page.getByRole("dialog").getByLabel("Name", { exact: true })).toBeVisible();
      await expectAccessible(page, "create security group form");
      await page.getByRole("dialog").getByRole("button", { name: "Cancel" }).click();
      await page.getByRole("button", { name: "Add rule" }).first().click();
      const dialog = page.getByRole("dialog");
      await dialog.getByLabel("Protocol", { exact: true }).selectOption("icmp");
      await dialog.getByLabel("Destination port range", { exact: true }).fill("8000:8080");
      await dialog.getByTestId("submit").click();
      await expect(dialog.getByTestId("error-dst_port")).toBeVisible();
      await expectAccessible(page, "security group rule form with errors");
    });

    test("trace page: suggestions open, then a path traced", async ({ page }) => {
      await gotoSettled(page, "/trace");
      await expect(
        page.getByTestId("trace-graph").locator('[data-testid="node-router"]').first(),
      ).toBeVisible();
      await expectAccessible(page, "trace, empty");
      await page.getByTestId("trace-from").fill("vm1");
      await expectAccessible(page, "trace, suggestions open");
      await page.getByTestId("trace-from").press("Escape");
      const { url } = readStack();
      const outside = await apiQuery<{ gateway_ip: string }>(url, "subnet.show", { id: "public-subnet" });
      await page.getByTestId("trace-to").fill(outside.gateway_ip);
      await page.getByTestId("trace-to").press("Escape");
      await page.getByTestId("trace-explain").click();
      await expect(page.getByTestId("trace-verdict")).toBeVisible();
      await expectAccessible(page, "trace, a path traced");
    });

    test("hosts, a host, admin and audit pages", async ({ page }) => {
      await gotoSettled(page, "/hosts");
      const link = page.getByTestId("table").locator("tbody tr a").first();
      await expect(link).toBeVisible();
      await expectAccessible(page, "/hosts");
      await link.click();
      await expect(page.getByTestId("namespace").first()).toBeVisible();
      await expectAccessible(page, "host page");
      for (const path of ["/admin", "/audit"]) {
        await gotoSettled(page, path);
        await expect(page.getByRole("table").first()).toBeVisible();
        await expectAccessible(page, path);
      }
    });
  });
}
