// Names, not ids: the router's interfaces by subnet, structured fields as small tables, a floating IP's port as
// its instance, the header's user, project and role labelled, another project's network said to be one; and a
// detail page of something that does not exist shows the error, not an endless "Loading…".
import { expect, test } from "@playwright/test";
import { gotoSettled, node, openTopology } from "./helpers";
import { apiQuery, E2E_DEMO_PASSWORD, readStack } from "./stack";

test("an unknown network's page shows the error and nothing waiting", async ({ page }) => {
  await gotoSettled(page, "/networks/no-such-network");
  await expect(page.getByTestId("detail-error")).toContainText(/not found/i);
  await expect(page.locator("h1")).toHaveCount(1);
  await page.waitForTimeout(500);
  await expect(page.getByText("Loading…")).toHaveCount(0);
  await expect(page.getByTestId("table")).toHaveCount(0);
});

test("the router's interfaces by subnet name, its gateway's fixed IPs as a table", async ({ page }) => {
  await gotoSettled(page, "/routers/demo-router");
  const interfaces = page.getByRole("table", { name: "Interfaces" });
  await expect(interfaces.getByRole("cell", { name: "demo-subnet 10.0.0.0/24" })).toBeVisible();
  const gateway = page.locator('[data-field="external_gateway_info"]');
  await expect(gateway.getByRole("columnheader", { name: "ip_address" })).toBeVisible();
  await expect(gateway.getByRole("cell", { name: /^203\.0\.113\.\d+$/ })).toBeVisible();
  await expect(gateway).not.toContainText("external_fixed_ips='");
});

test("an instance's addresses are a table of network and address", async ({ page }) => {
  await gotoSettled(page, "/instances/vm1");
  const addresses = page.locator('[data-field="addresses"]');
  await expect(addresses.getByRole("rowheader", { name: "demo-net" })).toBeVisible();
  await expect(addresses.getByRole("cell", { name: /^10\.0\.0\.\d+ 203\.0\.113\.\d+$/ })).toBeVisible();
  await expect(addresses).not.toContainText("{");
});

test("a floating IP's port is named after its instance", async ({ page }) => {
  await gotoSettled(page, "/floating-ips");
  const row = page
    .getByTestId("table")
    .locator("tbody tr")
    .filter({ hasText: /10\.0\.0\.\d+/ })
    .first();
  await expect(row.locator("td").nth(2)).toHaveText(/^vm\d$/);
});

test("the header labels user, project and role", async ({ page }) => {
  await gotoSettled(page, "/networks");
  await expect(page.getByTestId("whoami")).toHaveText("User admin · Project admin · Role admin");
});

test("a tenant sees another project's network as such, not as a UUID", async ({ browser, baseURL }) => {
  const context = await browser.newContext({ baseURL, storageState: { cookies: [], origins: [] } });
  const page = await context.newPage();
  await gotoSettled(page, "/login");
  await page.getByLabel("User name").fill("demo");
  await page.getByLabel("Password").fill(E2E_DEMO_PASSWORD);
  await page.getByTestId("login-submit").click();
  await expect(page.getByTestId("whoami")).toContainText("demo");
  await gotoSettled(page, "/networks");
  const publicRow = page.getByTestId("table").locator("tbody tr").filter({ hasText: "public" });
  await expect(publicRow).toContainText("another project");
  await expect(publicRow).not.toContainText(/[0-9a-f]{8}-[0-9a-f]{4}-/);
  await context.close();
});

test("topology search lights up matches while typing; Enter on a floating IP picks the instance holding it", async ({
  page,
}) => {
  const { url } = readStack();
  await openTopology(page);
  await page.getByTestId("search").fill("vm");
  await expect(page.locator(".react-flow__node.search-match")).not.toHaveCount(0);
  await expect(
    page.locator(".react-flow__node.search-match").filter({ has: node(page, "instance", "vm1") }),
  ).toHaveCount(1);
  await expect(
    page.locator(".react-flow__node.search-match").filter({ has: node(page, "router", "demo-router") }),
  ).toHaveCount(0);
  await page.getByTestId("search").fill("");
  await expect(page.locator(".react-flow__node.search-match")).toHaveCount(0);

  const vm1 = await apiQuery<{ addresses: Record<string, string[]> }>(url, "server.show", { id: "vm1" });
  const fixed = Object.values(vm1.addresses).flat();
  const fips = await apiQuery<{ floating_ip_address: string; fixed_ip_address: string | null }[]>(
    url,
    "floatingIp.list",
    {},
  );
  const fip = fips.find((f) => f.fixed_ip_address !== null && fixed.includes(f.fixed_ip_address));
  expect(fip, "vm1 has a floating IP in the demo").toBeDefined();
  await page.getByTestId("search").fill(fip?.floating_ip_address ?? "");
  await page.getByTestId("search").press("Enter");
  await expect(page.getByTestId("side-panel").getByRole("heading", { name: "vm1" })).toBeVisible();
});

test("the host page's filter narrows every section; namespaces and ports carry their owners' names", async ({
  page,
}) => {
  const { url } = readStack();
  const fips = await apiQuery<{ floating_ip_address: string; fixed_ip_address: string | null }[]>(
    url,
    "floatingIp.list",
    {},
  );
  const fip = fips.find((f) => f.fixed_ip_address !== null)?.floating_ip_address ?? "";
  expect(fip).not.toBe("");
  await gotoSettled(page, "/hosts");
  await page.getByTestId("table").locator("tbody tr a").first().click();
  await expect(page.getByTestId("namespace").first()).toBeVisible();
  const all = await page.getByTestId("namespace").count();
  await expect(
    page.locator('[data-testid="namespace"][data-namespace*="qrouter-"]').getByTestId("namespace-owner"),
  ).toHaveText("router demo-router");

  await page.getByTestId("host-filter").fill(fip);
  const shown = page.getByTestId("namespace");
  await expect(shown).toHaveCount(1);
  expect(all).toBeGreaterThan(1);
  await expect(shown.getByTestId("namespace-owner")).toHaveText("router demo-router");
  const rules = shown.getByTestId("nat-rule");
  await expect(rules.first()).toBeVisible();
  for (const rule of await rules.all()) await expect(rule).toContainText(fip);

  await page.getByTestId("host-filter").fill("vm1");
  await page.getByTestId("tab-ovs").click();
  await expect(page.getByTestId("ovs-show")).toContainText("# instance vm1");
  await expect(page.getByTestId("ovs-show")).not.toContainText("# instance vm2");
});

test("a trace's OVS hops show their outcome, the raw flows behind details, and say which VLAN is whose", async ({
  page,
}) => {
  const { url } = readStack();
  const outside = (await apiQuery<{ gateway_ip: string }>(url, "subnet.show", { id: "public-subnet" }))
    .gateway_ip;
  await gotoSettled(page, `/trace?from=vm1&to=${outside}`);
  await page.getByTestId("trace-explain").click();
  await expect(page.getByTestId("trace-verdict")).toBeVisible();
  // The first hop OVS switched (a security group's verdict is a switched hop too, without flows).
  const flowHop = page
    .locator('[data-testid="hop"][data-action="switched"]')
    .filter({ has: page.getByTestId("hop-flows") })
    .first();
  await expect(flowHop.getByTestId("hop-outcome")).toContainText(/^out: /);
  await expect(flowHop.getByTestId("hop-flows")).not.toHaveAttribute("open", "");
  await expect(flowHop.getByTestId("hop-local-tag")).toHaveText(/^local tag \d+$/);
  // The node's name in full: public, not "pu…".
  await expect(page.getByTestId("hop").filter({ hasText: "public" }).first()).toBeVisible();
});
