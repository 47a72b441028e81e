// A red trace turns green: tcp/8080 from the outside world to an instance's floating IP, which its security group
// does not let in, is dropped at the instance's port (red on the canvas, the security-group-blocks diagnosis and
// the rule to create); that rule added with the Security groups page's "Add rule" form, the same trace is
// delivered and its hop names the new rule. The NAT hop's conntrack entry: none before any packet, an ICMP probe's
// own (its NAT pair) after a Probe. An instance, group and floating IP of its own (other specs use the demo's), removed
// after.
import { expect, test } from "@playwright/test";
import { clickExplain, fill, gotoSettled, submit } from "./helpers";
import { readStack } from "./stack";
import { apiMutation, apiQuery, explainTrace, type TraceAnswer } from "./trace-helpers";

const GROUP = "e2e-sgtrace-web";
const VM = "e2e-sgtrace-vm";
const PORT = 8080;

type Group = {
  id: string;
  name: string;
  security_group_rules: { id: string; port_range_min: number | null }[];
};

const traceTcp = (url: string, from: string, to: string) =>
  apiMutation<TraceAnswer>(url, "trace.run", { from, to, protocol: "tcp", port: PORT });

test("a trace blocked by the instance's security group turns green once the rule is added in the UI", async ({
  page,
}) => {
  const { url } = readStack();
  const outside = (await apiQuery<{ gateway_ip: string }>(url, "subnet.show", { id: "public-subnet" }))
    .gateway_ip;
  const group = await apiMutation<Group>(url, "securityGroup.create", { name: GROUP, project_id: "demo" });
  const server = await apiMutation<{ id: string; port_id: string }>(url, "server.create", {
    name: VM,
    project_id: "demo",
    network_id: "demo-net",
  });
  let fipId = "";
  try {
    // Only this group on the port (it lets nothing in: a new group has only the egress rule).
    await apiMutation(url, "server.addSecurityGroup", { id: server.id, security_group: group.id });
    const port = await apiQuery<{ security_groups: string[] }>(url, "port.show", { id: server.port_id });
    for (const other of port.security_groups.filter((g) => g !== group.id))
      await apiMutation(url, "server.removeSecurityGroup", { id: server.id, security_group: other });
    const fip = await apiMutation<{ id: string; floating_ip_address: string }>(url, "floatingIp.create", {
      floating_network_id: "public",
      project_id: "demo",
      port_id: server.port_id,
    });
    fipId = fip.id;
    const to = fip.floating_ip_address;
    const vm = await apiQuery<{ addresses: Record<string, string[]> }>(url, "server.show", { id: server.id });
    const fixed = Object.values(vm.addresses)[0]?.[0] ?? "";
    // Once the host has the instance and its floating IP, the path goes as far as the port's filter.
    let blocked: TraceAnswer | undefined;
    await expect(async () => {
      blocked = await traceTcp(url, outside, to);
      expect(
        blocked.diagnoses.map((d) => d.code),
        explainTrace(blocked),
      ).toEqual(["security-group-blocks"]);
    }).toPass({ timeout: 60_000 });

    // 1. Red: the shared link explains on load; the port's hop fails with the diagnosis and its fix.
    await gotoSettled(page, `/trace?from=${outside}&to=${to}&protocol=tcp&port=${PORT}`);
    await expect(page.getByTestId("trace-verdict")).toHaveAttribute("data-verdict", "dropped");
    const red = page.locator('[data-testid="hop"][data-failing="true"]');
    await expect(red).toHaveCount(1);
    await expect(red).toHaveAttribute("data-direction", "forward");
    await expect(red).toHaveAttribute("data-node-id", server.id);
    const diagnosis = red.locator('[data-testid="diagnosis"][data-code="security-group-blocks"]');
    const fix = `netlens security group rule create --protocol tcp --dst-port ${PORT} --ingress --remote-ip ${outside}/32`;
    await expect(diagnosis.getByTestId("diagnosis-fix")).toContainText(fix);
    // No packet of this connection went through the router yet: its NAT hop says conntrack tracks none.
    const dnat = page.getByTestId("hops-forward").locator('[data-testid="hop"][data-action="dnat"]');
    await expect(dnat.getByTestId("hop-conntrack")).toHaveAttribute("data-found", "false");
    await expect(dnat.getByTestId("hop-conntrack")).toContainText("no entry");
    const graph = page.getByTestId("trace-graph");
    await expect(
      graph.locator(".react-flow__node.trace-failed", { has: page.locator(`[data-name="${VM}"]`) }),
    ).toBeVisible();

    // 2. The rule the fix names, added with the group's "Add rule" form.
    await gotoSettled(page, "/security-groups");
    const section = page.getByRole("region", { name: `Security group ${GROUP}` });
    await section.getByRole("button", { name: "Add rule" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Direction", { exact: true }).selectOption("ingress");
    await dialog.getByLabel("Protocol", { exact: true }).selectOption("tcp");
    await fill(page, "Destination port range", String(PORT));
    await fill(page, "Remote IP prefix", `${outside}/32`);
    await submit(page);
    await expect(dialog).toBeHidden();
    await expect(
      section
        .getByRole("table", { name: `Rules of ${GROUP}` })
        .getByRole("row")
        .filter({ hasText: `${outside}/32` }),
    ).toContainText("tcp");
    const added = (
      await apiQuery<Group>(url, "securityGroup.show", { id: group.id })
    ).security_group_rules.find((r) => r.port_range_min === PORT);
    expect(added).toBeDefined();

    // 3. Green: the same trace again, delivered; the port's hop names the new rule.
    await gotoSettled(page, `/trace?from=${outside}&to=${to}&protocol=tcp&port=${PORT}`);
    await expect(async () => {
      await clickExplain(page);
      await expect(page.getByTestId("trace-verdict")).toHaveAttribute("data-verdict", "delivered", {
        timeout: 1_000,
      });
    }).toPass({ timeout: 60_000 });
    await expect(page.locator('[data-testid="hop"][data-failing="true"]')).toHaveCount(0);
    await expect(page.getByTestId("diagnosis")).toHaveCount(0);
    const allowed = page
      .getByTestId("hops-forward")
      .locator(`[data-testid="hop"][data-node-id="${server.id}"]`)
      .getByTestId("hop-resource-rule");
    await expect(allowed.first()).toContainText(`security group ${GROUP} rule ${added?.id}`);
    await expect(allowed.first()).toContainText(`ingress tcp ${PORT} from ${outside}/32`);
    await expect(graph.locator(".react-flow__node.trace-failed")).toHaveCount(0);

    // 4. A real packet (Probe) of ICMP, which the group does not let in: the router DNATed it and tracks it (its
    // entry, with the NAT pair, on the NAT hop), though the port dropped it. (A tcp probe to a port nothing listens
    // on leaves no entry: conntrack forgets a connection answered only by a reset.)
    await page.getByTestId("trace-protocol").selectOption("icmp");
    await page.getByTestId("trace-probe").click();
    await expect(page.getByTestId("trace-probe-outcome")).toBeVisible();
    const entry = dnat.getByTestId("hop-conntrack");
    await expect(entry).toHaveAttribute("data-found", "true");
    await expect(entry).toContainText(`icmp ${outside} > ${to}, reply ${fixed} > ${outside}`);
  } finally {
    if (fipId) await apiMutation(url, "floatingIp.delete", { id: fipId });
    await apiMutation(url, "server.delete", { id: server.id });
    await apiMutation(url, "securityGroup.delete", { id: group.id });
  }
});
