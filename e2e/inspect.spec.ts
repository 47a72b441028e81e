// Host inspection in the browser, against the real stack of e2e/global-setup.ts: the host page shows a floating
// IP's DNAT rule within 2 s of associating it in the UI, its `ovs-vsctl show` tab the instance's port with its
// tag; a rule deleted by hand is marked as drift on the graph and repaired from the UI; stopping the agent turns
// the host offline, starting it again brings it back.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { expect, type Page, test } from "@playwright/test";
import { gotoSettled, node, openTopology, select, snap, submit } from "./helpers";
import { adminStorageState, apiQuery, readStack, restartAgent, stopAgent } from "./stack";

const run = promisify(execFile);

test.describe.configure({ mode: "serial" });

let hostName = "";
let fip = "";

async function openHost(page: Page) {
  const row = page.getByTestId("table").locator("tbody tr").first();
  await expect(async () => {
    await gotoSettled(page, "/hosts");
    await expect(row.getByTestId("host-status")).toHaveAttribute("data-online", "true", { timeout: 5_000 });
  }).toPass({ timeout: 30_000 });
  hostName = (await row.locator("a").first().textContent()) ?? "";
  await row.locator("a").first().click();
  await expect(page.getByTestId("host-page")).toBeVisible();
  await expect(page.getByTestId("namespace").first()).toBeVisible();
}

test("the host page shows the floating IP's DNAT rule within 2 s of associating it in the UI", async ({
  page,
  browser,
}, testInfo) => {
  // The host page in a window of its own (the admin's too), watching while the topology page makes the change.
  const watcher = await (
    await browser.newContext({ baseURL: testInfo.project.use.baseURL, storageState: adminStorageState })
  ).newPage();
  await openHost(watcher);
  await watcher.getByTestId("tab-namespaces").click();

  await openTopology(page);
  await select(page, "vm2");
  await page.getByTestId("action-associate-fip").click();
  await expect(page.getByRole("dialog").getByLabel("Instance port", { exact: true })).not.toHaveValue("");
  const started = Date.now();
  await submit(page);
  const badge = node(page, "instance", "vm2").getByTestId("fip-badge");
  await expect(badge).toBeVisible();
  fip = (await badge.getAttribute("data-fip")) ?? "";
  expect(fip).toMatch(/^203\.0\.113\.\d+$/);

  const rule = watcher.locator(`[data-testid="nat-rule"][data-rule*="-PREROUTING -d ${fip}/32 -j DNAT"]`);
  await expect(rule).toBeVisible({ timeout: Math.max(100, 2_000 - (Date.now() - started)) });
  const elapsed = Date.now() - started;
  process.stdout.write(`DNAT rule of ${fip} on the host page ${elapsed} ms after Associate\n`);
  expect(elapsed).toBeLessThan(2_000);
  // Just appeared: highlighted.
  await expect(rule).toHaveAttribute("data-new", "true");
  await snap(watcher, testInfo, "inspect-1-nat");

  // The ovs-vsctl show tab: the instance's port with its local VLAN tag.
  const { url } = readStack();
  const vm2 = await apiQuery<{ port_id: string }>(url, "server.show", { id: "vm2" });
  await watcher.getByTestId("tab-ovs").click();
  await expect(watcher.getByTestId("ovs-show")).toHaveText(
    new RegExp(`Port tap${vm2.port_id.slice(0, 11)}\\s+tag: \\d+`),
  );
  await snap(watcher, testInfo, "inspect-2-ovs");
  await watcher.context().close();
});

test("a DNAT rule deleted by hand is marked as drift on the graph and repaired from the UI", async ({
  page,
}, testInfo) => {
  const stack = readStack();
  const router = await apiQuery<{ id: string }>(stack.url, "router.show", { id: "demo-router" });
  const vm2 = await apiQuery<{ fixed_ips: { ip_address: string }[] }>(stack.url, "port.show", {
    id: (await apiQuery<{ port_id: string }>(stack.url, "server.show", { id: "vm2" })).port_id,
  });
  const fixed = vm2.fixed_ips[0]?.ip_address ?? "";
  const dnat = `-A ${stack.chainPrefix}-PREROUTING -d ${fip}/32 -j DNAT --to-destination ${fixed}`;
  await openTopology(page);
  await run("ip", [
    "netns",
    "exec",
    `${stack.prefix}qrouter-${router.id}`,
    "iptables",
    "-t",
    "nat",
    ...dnat.replace(/^-A /, "-D ").split(" "),
  ]);
  const vmNode = node(page, "instance", "vm2");
  await expect(vmNode.getByTestId("drift-badge")).toBeVisible({ timeout: 10_000 });
  await expect(node(page, "router", "demo-router").getByTestId("drift-badge")).toBeVisible();
  await snap(page, testInfo, "inspect-3-drift");

  // The router's panel shows the rule as missing, and repairs it.
  await select(page, "demo-router");
  const panel = page.getByTestId("host-panel");
  await expect(panel.locator(`[data-testid="nat-rule-missing"][data-rule="${dnat}"]`)).toBeVisible();
  await panel.getByTestId("repair").click();
  await expect(panel.locator(`[data-testid="nat-rule"][data-rule="${dnat}"]`)).toBeVisible({
    timeout: 10_000,
  });
  await expect(vmNode.getByTestId("drift-badge")).toHaveCount(0, { timeout: 10_000 });
  await snap(page, testInfo, "inspect-4-repaired");
});

test("stopping the agent turns the host offline in the UI; starting it again clears it", async ({ page }) => {
  const stack = readStack();
  const hostUrl = `/hosts/${encodeURIComponent(hostName)}`;
  await gotoSettled(page, hostUrl);
  const status = page.getByTestId("host-status");
  await expect(status).toHaveAttribute("data-online", "true");
  const stopped = Date.now();
  await stopAgent(stack);
  try {
    // The open page hears it from the stream.
    await expect(status).toHaveAttribute("data-online", "false", { timeout: 10_000 });
    await expect(status).toContainText("OFFLINE · last seen");
    process.stdout.write(`host shown offline ${Date.now() - stopped} ms after the agent was stopped\n`);
    await expect(async () => {
      await gotoSettled(page, "/hosts");
      await expect(page.getByTestId("host-status").first()).toHaveAttribute("data-online", "false", {
        timeout: 2_000,
      });
    }).toPass({ timeout: 15_000 });
  } finally {
    // Whatever happened above, the specs after this one need their agent.
    await restartAgent(stack);
  }
  const started = Date.now();
  // The list, left open, turns online by itself.
  await expect(page.getByTestId("host-status").first()).toHaveAttribute("data-online", "true", {
    timeout: 15_000,
  });
  process.stdout.write(`host shown online ${Date.now() - started} ms after the agent answered again\n`);
  await expect(async () => {
    await gotoSettled(page, hostUrl);
    await expect(page.getByTestId("host-status")).toHaveAttribute("data-online", "true", { timeout: 3_000 });
    await expect(page.getByTestId("namespace").first()).toBeVisible({ timeout: 3_000 });
  }).toPass({ timeout: 20_000 });
});
