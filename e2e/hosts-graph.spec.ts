// The graph grouped by host: an admin toggles "Group by host" on the demo and finds a lane labelled with the
// host the demo's instances run on, holding them and the router; the router's card and the panels name that
// host. A member of the demo project sees neither the toggle nor the host's name on cards and panels.
import { expect, test } from "@playwright/test";
import { node, openTopology, select, snap } from "./helpers";
import { apiQuery, E2E_DEMO_PASSWORD, readStack } from "./stack";

test("an admin groups the demo by host; a member sees no host", async ({ page }, testInfo) => {
  const { url } = readStack();
  const vm1 = await apiQuery<{ host: string | null }>(url, "server.show", { id: "vm1" });
  const host = vm1.host;
  if (!host) throw new Error("vm1 is not scheduled in the demo");
  await openTopology(page);
  await expect(node(page, "router", "demo-router").getByTestId("node-host")).toHaveText(`on ${host}`);
  await expect(page.getByTestId("host-lane")).toHaveCount(0);

  await page.getByTestId("group-by-host").check();
  const lane = page.locator(`[data-testid="host-lane"][data-host="${host}"]`);
  await expect(lane).toBeVisible();
  await expect(lane).toContainText(host);
  // The lane's box holds vm1's card and the router's.
  const laneBox = await lane.boundingBox();
  for (const card of [node(page, "instance", "vm1"), node(page, "router", "demo-router")]) {
    await expect(card).toBeVisible();
    const box = await card.boundingBox();
    if (!laneBox || !box) throw new Error("no box");
    expect(box.x).toBeGreaterThanOrEqual(laneBox.x);
    expect(box.y).toBeGreaterThanOrEqual(laneBox.y);
    expect(box.x + box.width).toBeLessThanOrEqual(laneBox.x + laneBox.width);
    expect(box.y + box.height).toBeLessThanOrEqual(laneBox.y + laneBox.height);
  }
  await snap(page, testInfo, "hosts-1-lanes");
  await select(page, "vm1");
  await expect(page.getByTestId("panel-host")).toHaveText(`Host ${host}`);

  await page.getByTestId("group-by-host").uncheck();
  await expect(page.getByTestId("host-lane")).toHaveCount(0);

  // The demo tenant: the same graph, no grouping offered and no host named anywhere on the page.
  await page.context().clearCookies();
  await page.goto("/login");
  await page.getByLabel("User name").fill("demo");
  await page.getByLabel("Password").fill(E2E_DEMO_PASSWORD);
  await page.getByTestId("login-submit").click();
  await expect(page.getByTestId("whoami")).toHaveAttribute("data-role", "member");
  await openTopology(page);
  await expect(node(page, "instance", "vm1")).toBeVisible();
  await expect(node(page, "router", "demo-router")).toBeVisible();
  await expect(page.getByTestId("group-by-host")).toHaveCount(0);
  await expect(page.getByTestId("node-host")).toHaveCount(0);
  // Bound, but where is for admins (the host here is "vm": a plain search of the page would match "vm1").
  await expect(node(page, "instance", "vm1")).toContainText("· bound");
  await expect(node(page, "instance", "vm1")).not.toContainText(`on ${host}`);
  await select(page, "vm1");
  await expect(page.getByTestId("panel-host")).toHaveCount(0);
  await snap(page, testInfo, "hosts-2-member");
});
