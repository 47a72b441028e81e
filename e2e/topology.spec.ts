// An admin builds a tenant network to the outside world entirely through the UI, watching the graph at each
// step; then the dataplane proves it: the floating IP answers a ping from the outside world's namespace, and
// stops answering once disassociated in the UI.
import { expect, test } from "@playwright/test";
import { fill, node, openTopology, select, snap, submit } from "./helpers";
import { apiQuery, ping, readStack } from "./stack";

test.describe.configure({ mode: "serial" });

test("network, subnet, router interface, instance and floating IP from the UI; ping through it", async ({
  page,
}, testInfo) => {
  const { url } = readStack();
  await openTopology(page);
  await expect(node(page, "router", "demo-router")).toBeVisible();
  await expect(node(page, "external", "public")).toBeVisible();
  await snap(page, testInfo, "0-demo");

  // 1. Network
  await page.getByTestId("create-network").click();
  await fill(page, "Name", "e2e-net");
  await submit(page);
  await expect(node(page, "network", "e2e-net")).toBeVisible();
  await expect(node(page, "network", "e2e-net")).toHaveAttribute("data-state", "active", { timeout: 30_000 });
  await snap(page, testInfo, "1-network");

  // 2. Subnet, from the network's side panel
  await select(page, "e2e-net");
  await page.getByTestId("action-add-subnet").click();
  await fill(page, "Name", "e2e-subnet");
  await fill(page, "CIDR", "10.42.0.0/24");
  await submit(page);
  await expect(node(page, "network", "e2e-net").getByTestId("subnet-cidr")).toContainText("10.42.0.0/24");
  await snap(page, testInfo, "2-subnet");

  // 3. Attach it to the demo router: a new interface edge labelled with the router's address on it
  await select(page, "demo-router");
  await page.getByTestId("action-add-interface").click();
  const subnetSelect = page.getByRole("dialog").getByLabel("Subnet", { exact: true });
  await subnetSelect.selectOption({
    label: (await subnetSelect.locator("option", { hasText: "10.42.0.0/24" }).textContent()) ?? "",
  });
  await submit(page);
  await expect(page.locator(".react-flow__edge-text", { hasText: "10.42.0.1" })).toBeVisible();
  await expect(node(page, "router", "demo-router")).toHaveAttribute("data-state", "active", {
    timeout: 30_000,
  });
  await snap(page, testInfo, "3-interface");

  // 4. Launch an instance on the new network
  await select(page, "e2e-net");
  await page.getByTestId("action-launch").click();
  await fill(page, "Name", "e2e-vm");
  await submit(page);
  const vm = node(page, "instance", "e2e-vm");
  await expect(vm).toBeVisible();
  await expect(vm).toHaveAttribute("data-state", "active", { timeout: 30_000 });
  await expect(vm).toContainText("10.42.0.");
  await snap(page, testInfo, "4-instance");

  // 5. Allocate a floating IP and associate it with the instance's port
  await select(page, "e2e-vm");
  await page.getByTestId("action-associate-fip").click();
  await expect(page.getByRole("dialog").getByLabel("Instance port", { exact: true })).not.toHaveValue("");
  await submit(page);
  const badge = vm.getByTestId("fip-badge");
  await expect(badge).toBeVisible();
  await expect(badge).toContainText("→ 10.42.0.");
  const fip = (await badge.getAttribute("data-fip")) ?? "";
  expect(fip).toMatch(/^203\.0\.113\.\d+$/);
  // The router that NATs it shows it too, on its gateway side.
  await expect(node(page, "router", "demo-router").locator(`[data-fip="${fip}"]`)).toBeVisible();
  const fipRow = async () => (await apiQuery<{ status: string }>(url, "floatingIp.show", { id: fip })).status;
  await expect.poll(fipRow, { timeout: 30_000 }).toBe("ACTIVE");
  await snap(page, testInfo, "5-floating-ip");

  // 6. The dataplane: the outside world reaches the instance through the floating IP
  const publicNet = await apiQuery<{ uplink_namespace: string | null }>(url, "network.show", {
    id: "public",
  });
  const uplink = publicNet.uplink_namespace;
  expect(uplink, "the public network has an uplink namespace").toBeTruthy();
  await expect.poll(() => ping(uplink ?? "", fip), { timeout: 30_000, intervals: [500, 1000] }).toBe(true);

  // 7. Disassociate in the UI: the badge goes and the ping stops
  await select(page, "e2e-vm");
  await page.getByTestId("action-disassociate").click();
  await expect(badge).toHaveCount(0);
  await expect.poll(fipRow, { timeout: 30_000 }).toBe("DOWN");
  await expect.poll(() => ping(uplink ?? "", fip), { timeout: 30_000, intervals: [500, 1000] }).toBe(false);
  await snap(page, testInfo, "6-disassociated");
});
