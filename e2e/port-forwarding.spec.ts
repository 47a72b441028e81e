// A floating IP's page: its port forwardings listed, one added with the form (the API's own schema and errors, a
// taken external port shown beside that field, nothing written), and deleted.
import { expect, test } from "@playwright/test";
import { fill, gotoSettled, submit } from "./helpers";
import { readStack } from "./stack";
import { apiMutation, apiQuery } from "./trace-helpers";

type Fip = { id: string; floating_ip_address: string };

test("forwards a port of a floating IP from its page, refuses a taken one by its field, and deletes it", async ({
  page,
}) => {
  const { url } = readStack();
  // An instance of its own: the demo's have floating IPs (vm2's from the host page's test), which forbids forwarding.
  const server = await apiMutation<{ id: string }>(url, "server.create", {
    name: "pf-vm",
    project_id: "demo",
    network_id: "demo-net",
  });
  const fip = await apiMutation<Fip>(url, "floatingIp.create", {
    floating_network_id: "public",
    project_id: "demo",
  });
  try {
    const vm = await apiQuery<{ port_id: string; addresses: Record<string, string[]> }>(url, "server.show", {
      id: server.id,
    });
    const fixed = Object.values(vm.addresses)[0]?.[0] ?? "";
    await gotoSettled(page, `/floating-ips/${fip.id}`);
    const table = page.getByRole("table", { name: "Port forwardings" });
    await expect(page.getByText("No port forwardings.")).toBeVisible();

    const add = async () => {
      await page.getByRole("button", { name: "Add port forwarding" }).click();
      const dialog = page.getByRole("dialog");
      await dialog.getByLabel("Instance port", { exact: true }).selectOption(vm.port_id);
      await fill(page, "External port", "9000");
      await fill(page, "Internal port", "8080");
      await submit(page);
    };
    await add();
    await expect(page.getByRole("dialog")).toBeHidden();
    await expect(table.getByRole("row").filter({ hasText: `${fixed}:8080` })).toContainText("9000");

    await add();
    await expect(page.getByRole("dialog").getByTestId("error-external_port")).toContainText(
      "A duplicate port forwarding entry",
    );
    await page.getByRole("dialog").getByRole("button", { name: "Cancel" }).click();
    const listed = await apiQuery<unknown[]>(url, "portForwarding.list", { floatingip_id: fip.id });
    expect(listed).toHaveLength(1);

    await page
      .getByRole("button", {
        name: `Delete port forwarding tcp ${fip.floating_ip_address}:9000 → ${fixed}:8080`,
      })
      .click();
    await submit(page);
    await expect(page.getByText("No port forwardings.")).toBeVisible();
    expect(await apiQuery<unknown[]>(url, "portForwarding.list", { floatingip_id: fip.id })).toEqual([]);
  } finally {
    await apiMutation(url, "floatingIp.delete", { id: fip.id });
    await apiMutation(url, "server.delete", { id: server.id });
  }
});
