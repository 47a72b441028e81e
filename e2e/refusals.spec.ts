// Refusals that say what to do: a delete that the server would certainly refuse says so before the click, names
// what holds on (the instance, the floating IP) with the step that clears it, and keeps its button off; the
// router-interface warning is worked out per subnet; pickers show choices bound to fail disabled with the reason;
// one verb per action.
import { expect, test } from "@playwright/test";
import { gotoSettled, openTopology, select } from "./helpers";
import { readStack } from "./stack";
import { apiMutation, apiQuery } from "./trace-helpers";

test.describe.configure({ mode: "serial" });

const dialog = (page: import("@playwright/test").Page) => page.getByRole("dialog");

// A second subnet on the demo router, carrying no floating IP; removed again after.
test.beforeAll(async () => {
  const { url } = readStack();
  const networks = await apiQuery<{ name: string }[]>(url, "network.list", {});
  if (!networks.some((n) => n.name === "ux-net")) {
    await apiMutation(url, "network.create", { name: "ux-net" });
    await apiMutation(url, "subnet.create", {
      name: "ux-subnet",
      network_id: "ux-net",
      cidr: "10.77.0.0/24",
    });
  }
  const router = await apiQuery<{ interfaces: { ip_address: string }[] }>(url, "router.show", {
    id: "demo-router",
  });
  if (!router.interfaces.some((i) => i.ip_address === "10.77.0.1")) {
    await apiMutation(url, "router.addInterface", { id: "demo-router", subnet_id: "ux-subnet" });
  }
});

test.afterAll(async () => {
  const { url } = readStack();
  const router = await apiQuery<{ interfaces: { ip_address: string }[] }>(url, "router.show", {
    id: "demo-router",
  });
  if (router.interfaces.some((i) => i.ip_address === "10.77.0.1")) {
    await apiMutation(url, "router.removeInterface", { id: "demo-router", subnet_id: "ux-subnet" });
  }
  await apiMutation(url, "network.delete", { id: "ux-net" });
});

test("deleting a network still in use says so, names the holders with a way out, and stays off", async ({
  page,
}) => {
  await gotoSettled(page, "/networks");
  await page.getByRole("button", { name: "Delete network demo-net" }).click();
  await expect(dialog(page).getByRole("heading", { name: "Delete network demo-net" })).toBeVisible();
  const blockers = dialog(page).getByTestId("blockers");
  await expect(blockers).toContainText("cannot be deleted yet");
  await expect(
    blockers.getByTestId("blocker").filter({ hasText: /^instance vm1 \(10\.0\.0\.\d+\)/ }),
  ).toBeVisible();
  await expect(
    blockers.getByTestId("blocker").filter({ hasText: "interface 10.0.0.1 of router demo-router" }),
  ).toBeVisible();
  await expect(dialog(page).getByTestId("submit")).toBeDisabled();
  // The way out, right there: it opens the instance's own delete dialog.
  await blockers.getByRole("button", { name: "Delete instance vm1 first" }).click();
  await expect(dialog(page).getByRole("heading", { name: "Delete instance vm1" })).toBeVisible();
  await expect(dialog(page).getByTestId("submit")).toBeEnabled();
  await dialog(page).getByRole("button", { name: "Cancel" }).click();
  await expect(dialog(page)).toHaveCount(0);
});

test("removing a router interface: the floating IP of that subnet blocks it, another subnet's does not", async ({
  page,
}) => {
  const { url } = readStack();
  await openTopology(page);
  await select(page, "demo-router");
  const panel = page.getByTestId("side-panel");

  await panel.getByRole("button", { name: "Remove interface 10.0.0.1 (demo-subnet)" }).click();
  await expect(
    dialog(page).getByRole("heading", { name: "Remove interface 10.0.0.1 (demo-subnet)" }),
  ).toBeVisible();
  await expect(dialog(page)).toContainText("Remove interface 10.0.0.1 (demo-subnet)?");
  // vm1's floating IP (and any other on demo-subnet: another spec may have given vm2 one), each with its way out.
  const blockers = dialog(page).getByTestId("blocker");
  const vm1 = blockers.filter({ hasText: /^floating IP 203\.0\.113\.\d+ → 10\.0\.0\.\d+ \(vm1\)/ });
  await expect(vm1).toHaveCount(1);
  await expect(vm1.getByRole("button", { name: "Disassociate" })).toBeVisible();
  for (const b of await blockers.all())
    await expect(b).toContainText(/^floating IP 203\.0\.113\.\d+ → 10\.0\.0\./);
  await expect(dialog(page).getByTestId("submit")).toBeDisabled();
  await expect(dialog(page).getByTestId("submit")).toHaveText("Remove");
  await dialog(page).getByRole("button", { name: "Cancel" }).click();

  await panel.getByRole("button", { name: "Remove interface 10.77.0.1 (ux-subnet)" }).click();
  await expect(dialog(page).getByTestId("blockers")).toHaveCount(0);
  // The demo's floating IPs are NATed through demo-subnet, not this one: no word of them here.
  await expect(dialog(page)).not.toContainText("203.0.113.");
  await expect(dialog(page).getByTestId("submit")).toBeEnabled();
  await dialog(page).getByTestId("submit").click();
  await expect(dialog(page)).toHaveCount(0);
  await expect
    .poll(async () =>
      (
        await apiQuery<{ interfaces: { ip_address: string }[] }>(url, "router.show", { id: "demo-router" })
      ).interfaces.map((i) => i.ip_address),
    )
    .not.toContain("10.77.0.1");
});

test("pickers show the choices bound to fail disabled, with the reason", async ({ page }) => {
  const { url } = readStack();
  await openTopology(page);
  await select(page, "demo-router");
  await page.getByTestId("action-add-interface").click();
  const subnet = dialog(page).getByLabel("Subnet", { exact: true });
  await expect(subnet.locator("option", { hasText: "demo-subnet" })).toBeDisabled();
  await expect(subnet.locator("option", { hasText: "demo-subnet" })).toContainText(
    "already an interface of this router",
  );
  await expect(subnet.locator("option", { hasText: "ux-subnet" })).toBeEnabled();
  await dialog(page).getByRole("button", { name: "Cancel" }).click();

  // An unassociated floating IP: vm1 already has one on public, so it is offered disabled.
  const fip = await apiMutation<{ id: string; floating_ip_address: string }>(url, "floatingIp.create", {
    floating_network_id: "public",
  });
  try {
    await gotoSettled(page, `/floating-ips/${fip.id}`);
    await page.getByRole("button", { name: "Associate" }).click();
    const port = dialog(page).getByLabel("Instance port", { exact: true });
    await expect(port.locator("option", { hasText: /^vm1 / })).toBeDisabled();
    await expect(port.locator("option", { hasText: /^vm1 / })).toContainText(
      "already has floating IP 203.0.113.",
    );
    await dialog(page).getByRole("button", { name: "Cancel" }).click();
    // One verb: the button says Release, and so does the dialog it opens.
    await page.getByRole("button", { name: `Release floating IP ${fip.floating_ip_address}` }).click();
    await expect(
      dialog(page).getByRole("heading", { name: `Release floating IP ${fip.floating_ip_address}` }),
    ).toBeVisible();
    await expect(dialog(page).getByTestId("submit")).toHaveText("Release");
    await dialog(page).getByTestId("submit").click();
    await expect(dialog(page)).toHaveCount(0);
  } finally {
    const left = await apiQuery<{ id: string }[]>(url, "floatingIp.list", {});
    if (left.some((f) => f.id === fip.id)) await apiMutation(url, "floatingIp.delete", { id: fip.id });
  }
});

test("a network's panel names each delete by what it deletes", async ({ page }) => {
  await openTopology(page);
  await select(page, "demo-net");
  const panel = page.getByTestId("side-panel");
  await expect(panel.getByRole("button", { name: "Delete network demo-net" })).toBeVisible();
  await expect(panel.getByRole("button", { name: "Delete subnet demo-subnet" })).toBeVisible();
});
