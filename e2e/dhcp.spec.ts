// DHCP on the real stack of e2e/global-setup.ts: the demo network's subnet has DHCP (the default), so the host
// page shows its qdhcp namespace with dnsmasq running, the DHCP port's address, and vm1 in its hosts file; and
// vm1, a lab probe on that subnet, took its address from it (dnsmasq's log has the exchange). On the graph, each
// network's card shows its DHCP port (address, host serving it) for as long as a subnet of it has DHCP.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { expect, type Page, test } from "@playwright/test";
import { gotoSettled, node, openTopology, select, snap } from "./helpers";
import { apiQuery, readStack } from "./stack";
import { apiMutation } from "./trace-helpers";

const run = promisify(execFile);

test("the host page shows the demo network's DHCP server, which gave vm1 its address", async ({
  page,
}, testInfo) => {
  const { url } = readStack();
  const demoNet = await apiQuery<{ id: string }>(url, "network.show", { id: "demo-net" });
  const vm1 = await apiQuery<{ port_id: string }>(url, "server.show", { id: "vm1" });
  const vm1Port = await apiQuery<{ mac_address: string; fixed_ips: { ip_address: string }[] }>(
    url,
    "port.show",
    { id: vm1.port_id },
  );
  const [dhcpPort] = await apiQuery<{ fixed_ips: { ip_address: string }[] }[]>(url, "port.list", {
    network_id: "demo-net",
    device_owner: "network:dhcp",
  });
  expect(dhcpPort?.fixed_ips[0]?.ip_address).toBe("10.0.0.2");

  const row = page.getByTestId("table").locator("tbody tr").first();
  await expect(async () => {
    await gotoSettled(page, "/hosts");
    await expect(row.getByTestId("host-status")).toHaveAttribute("data-online", "true", { timeout: 5_000 });
  }).toPass({ timeout: 30_000 });
  await row.locator("a").first().click();
  await page.getByTestId("tab-namespaces").click();

  const ns = page.locator(`[data-testid="namespace"][data-namespace$="qdhcp-${demoNet.id}"]`);
  await expect(ns).toBeVisible({ timeout: 15_000 });
  await expect(ns.getByTestId("dhcp-state")).toContainText("running");
  await expect(ns).toContainText("10.0.0.2");
  const server = ns.getByTestId("dhcp-server");
  const vm1Ip = vm1Port.fixed_ips[0]?.ip_address ?? "";
  await expect(server).toContainText(
    `${vm1Port.mac_address},host-${vm1Ip.replaceAll(".", "-")}.openstacklocal,${vm1Ip}`,
  );
  await expect(server).toContainText(`DHCPACK`);
  await expect(server).toContainText(`${vm1Ip} ${vm1Port.mac_address}`);
  await ns.scrollIntoViewIfNeeded();
  await snap(page, testInfo, "dhcp-host-page");
});

/** The host's namespaces named for this network's DHCP server (the stack's prefix + qdhcp-<network id>). */
async function qdhcpNamespaces(prefix: string, networkId: string): Promise<string[]> {
  const { stdout } = await run("ip", ["-json", "netns", "list"]);
  const names = (JSON.parse(stdout || "[]") as { name: string }[]).map((n) => n.name);
  return names.filter((n) => n === `${prefix}qdhcp-${networkId}`);
}

const dhcpLine = (page: Page, network: string) => node(page, "network", network).getByTestId("dhcp-port");

test("the graph shows each network's DHCP port, which goes when its subnet's DHCP is turned off", async ({
  page,
}, testInfo) => {
  const stack = readStack();
  const vm1 = await apiQuery<{ host: string }>(stack.url, "server.show", { id: "vm1" });
  const network = await apiMutation<{ id: string }>(stack.url, "network.create", { name: "dhcp-net" });
  try {
    await apiMutation(stack.url, "subnet.create", {
      name: "dhcp-subnet",
      network_id: network.id,
      cidr: "10.88.0.0/24",
    });
    await openTopology(page);
    await expect(dhcpLine(page, "demo-net")).toContainText(`DHCP 10.0.0.2`);
    await expect(dhcpLine(page, "demo-net")).toContainText(`on ${vm1.host}`);
    const line = dhcpLine(page, "dhcp-net");
    await expect(line).toContainText("DHCP 10.88.0.2");
    await expect(line).toContainText(`on ${vm1.host}`);
    // Served for real: the agent made the network's qdhcp namespace, and the port is ACTIVE once applied.
    await expect.poll(() => qdhcpNamespaces(stack.prefix, network.id)).toHaveLength(1);
    await expect(line).toHaveAttribute("data-state", "active");
    await snap(page, testInfo, "dhcp-graph-1-port");

    // As an admin does it: the network's side panel, its subnet's Edit, DHCP off.
    await select(page, "dhcp-net");
    await page
      .getByTestId("side-panel")
      .getByRole("listitem")
      .filter({ hasText: "10.88.0.0/24" })
      .getByRole("button", { name: "Edit" })
      .click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Enable DHCP").uncheck();
    await dialog.getByTestId("submit").click();
    await expect(dialog).toBeHidden();
    await expect(line).toHaveCount(0);
    await expect(node(page, "network", "dhcp-net")).toContainText("10.88.0.0/24");
    await expect(dhcpLine(page, "demo-net")).toContainText(`DHCP 10.0.0.2`);
    await expect.poll(() => qdhcpNamespaces(stack.prefix, network.id)).toHaveLength(0);
    await snap(page, testInfo, "dhcp-graph-2-off");
  } finally {
    await apiMutation(stack.url, "network.delete", { id: network.id });
  }
});
