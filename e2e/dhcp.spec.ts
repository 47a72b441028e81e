// DHCP on the real stack of e2e/global-setup.ts: the demo network's subnet has DHCP (the default), so the host
// page shows its qdhcp namespace with dnsmasq running, the DHCP port's address, and vm1 in its hosts file; and
// vm1, a lab probe on that subnet, took its address from it (dnsmasq's log has the exchange).
import { expect, test } from "@playwright/test";
import { gotoSettled, snap } from "./helpers";
import { apiQuery, readStack } from "./stack";

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
