// Trace mode: from the outside world to vm1's floating IP in the demo. Healthy, the path lights up on
// the graph and the hop list names the DNAT rule; both ends can also be picked on the graph (vm1, then the
// external network); with the subnet's gateway off the router (gateway-not-router, made through the API), the
// reply's last hop is red with the reason and the fix. The demo is put back after.
import { expect, test } from "@playwright/test";
import { clickExplain, gotoSettled, snap } from "./helpers";
import { readStack } from "./stack";
import {
  apiQuery,
  breakGateway,
  explainTrace,
  restoreGateway,
  type TraceAnswer,
  trace,
} from "./trace-helpers";

test.describe.configure({ mode: "serial" });

// 3. Put the demo back as seeded, whatever the test got to, so the other specs find it as they expect. An
// afterAll rather than a finally: should this fail too, the test's own failure is still the one reported.
test.afterAll(async () => {
  const { url } = readStack();
  await restoreGateway(url);
  const { outside, fip } = await demoAddresses(url);
  let last: TraceAnswer | undefined;
  await expect(async () => {
    last = await trace(url, outside, fip);
    expect(last.verdict, explainTrace(last)).toBe("delivered");
  }).toPass({ timeout: 60_000 });
});

type Server = { addresses: Record<string, string[]> };
type Subnet = { gateway_ip: string | null };

/** The outside address (public-subnet's gateway), vm1's fixed address and its floating IP. */
async function demoAddresses(url: string) {
  const outside = (await apiQuery<Subnet>(url, "subnet.show", { id: "public-subnet" })).gateway_ip ?? "";
  const fips = await apiQuery<
    { floating_ip_address: string; fixed_ip_address: string | null; port_id: string | null }[]
  >(url, "floatingIp.list", {});
  const vm1 = await apiQuery<Server & { id: string }>(url, "server.show", { id: "vm1" });
  const all = Object.values(vm1.addresses).flat();
  const fip = fips.find((f) => f.fixed_ip_address !== null && all.includes(f.fixed_ip_address));
  if (!fip?.fixed_ip_address) throw new Error("vm1 has no floating IP in the demo");
  return { outside, fixed: fip.fixed_ip_address, fip: fip.floating_ip_address };
}

test("trace from the outside world to vm1's floating IP; then with the gateway off the router", async ({
  page,
}, testInfo) => {
  const { url } = readStack();
  const { outside, fixed, fip } = await demoAddresses(url);
  expect(outside).not.toBe("");
  // Another spec may have left the demo mid-change; wait until the path works before looking at it.
  await expect
    .poll(async () => (await trace(url, outside, fip)).verdict, { timeout: 60_000 })
    .toBe("delivered");

  // 1. Pick both ends by search, Explain.
  await expect(async () => {
    await gotoSettled(page, "/");
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Trace" }).click();
    await expect(page.getByTestId("trace-graph")).toHaveAttribute("data-ready", "true", {
      timeout: 10_000,
    });
  }).toPass({ timeout: 45_000 });
  await page.getByTestId("trace-from").fill(outside);
  await expect(page.getByTestId("trace-from-options").getByTestId("endpoint-option").first()).toContainText(
    "outside",
  );
  await page.getByTestId("trace-from-options").locator(`[data-value="${outside}"]`).click();
  await page.getByTestId("trace-to").fill(fip);
  await page.getByTestId("trace-to-options").locator(`[data-value="${fip}"]`).click();
  await clickExplain(page);
  await expect(page.getByTestId("trace-verdict")).toHaveAttribute("data-verdict", "delivered");
  // The link is shareable.
  await expect(page).toHaveURL(
    new RegExp(`/trace\\?from=${outside.replaceAll(".", "\\.")}&to=${fip.replaceAll(".", "\\.")}`),
  );

  // The hop list names the DNAT rule, and the last forward hop delivers to vm1.
  const forward = page.getByTestId("hops-forward");
  const dnat = forward.locator('[data-testid="hop"][data-action="dnat"]');
  await expect(dnat).toHaveCount(1);
  await expect(dnat.getByTestId("hop-rule")).toContainText(`-j DNAT --to-destination ${fixed}`);
  await expect(forward.getByTestId("hop").last()).toHaveAttribute("data-action", "delivered");
  await expect(page.locator('[data-testid="hop"][data-failing="true"]')).toHaveCount(0);

  // The path is on the graph: forward edges lit, reply edges drawn beside them, vm1 and the router outlined.
  const graph = page.getByTestId("trace-graph");
  await expect(graph.locator('.react-flow__edge[data-trace="forward"]').first()).toBeVisible();
  expect(Number(await graph.getAttribute("data-forward-edges"))).toBeGreaterThanOrEqual(2);
  expect(Number(await graph.getAttribute("data-reply-edges"))).toBeGreaterThanOrEqual(2);
  await expect(graph.locator(".react-flow__edge.trace-reply").first()).toBeAttached();
  await expect(
    graph.locator(".react-flow__node.trace-forward", { has: page.locator('[data-name="vm1"]') }),
  ).toBeVisible();
  await expect(
    graph.locator(".react-flow__node.trace-forward", { has: page.locator('[data-name="demo-router"]') }),
  ).toBeVisible();
  await snap(page, testInfo, "trace-1-delivered");

  // 1b. Pick both ends on the graph instead: vm1 (the source, as the switch says), then the external network
  // (the destination: its outside world), and the link follows.
  await gotoSettled(page, "/trace");
  const picked = page.getByTestId("trace-graph");
  await expect(picked).toHaveAttribute("data-ready", "true");
  await expect(page.getByTestId("trace-pick-from")).toHaveAttribute("aria-pressed", "true");
  // The card's title row: below it vm1 wears its floating IP badge, which a click would pick instead.
  await picked
    .locator('[data-testid="node-instance"][data-name="vm1"]')
    .click({ position: { x: 40, y: 10 } });
  await expect(page.getByTestId("trace-from")).toHaveValue("vm1");
  await expect(page.getByTestId("trace-pick-to")).toHaveAttribute("aria-pressed", "true");
  await picked
    .locator('[data-testid="node-external"][data-name="public"]')
    .click({ position: { x: 40, y: 10 } });
  await expect(page.getByTestId("trace-to")).toHaveValue(outside);
  await expect(page).toHaveURL(new RegExp(`/trace\\?from=vm1&to=${outside.replaceAll(".", "\\.")}$`));
  await expect(page.getByTestId("trace-pick-tag")).toHaveText(["From", "To"]);
  await clickExplain(page);
  await expect(page.getByTestId("trace-verdict")).toHaveAttribute("data-verdict", "delivered");
  await expect(
    page
      .getByTestId("hops-forward")
      .locator('[data-testid="hop"][data-action="snat"]')
      .getByTestId("hop-rule"),
  ).toContainText(`--to-source ${fip}`);
  await snap(page, testInfo, "trace-1b-picked-on-graph");

  // 2. Break the gateway through the API; the shared link explains again on load.
  await breakGateway(url);
  await expect
    .poll(async () => (await trace(url, outside, fip)).diagnoses.map((d) => d.code), { timeout: 60_000 })
    .toContain("gateway-not-router");
  await gotoSettled(page, `/trace?from=${outside}&to=${fip}`);
  await expect(page.getByTestId("trace-verdict")).toHaveAttribute("data-verdict", "dropped");
  const red = page.locator('[data-testid="hop"][data-failing="true"]');
  await expect(red).toHaveCount(1);
  await expect(red).toHaveAttribute("data-direction", "reply");
  await expect(red).toHaveAttribute("data-action", "dropped");
  const diagnosis = red.locator('[data-testid="diagnosis"][data-code="gateway-not-router"]');
  await expect(diagnosis.getByTestId("diagnosis-message")).toContainText("gateway is 10.0.0.1");
  await expect(diagnosis.getByTestId("diagnosis-message")).toContainText("10.0.0.250");
  await expect(diagnosis.getByTestId("diagnosis-fix")).toContainText("demo-router");
  await expect(page.getByTestId("trace-graph").locator(".react-flow__node.trace-failed")).toBeVisible();
  await snap(page, testInfo, "trace-2-gateway-not-router");
});
