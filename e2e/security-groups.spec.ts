// The Security groups page and an instance's panel, as an admin: a group created, an icmp rule added and shown,
// bad rules refused beside their field with nothing written (a port range on icmp, a duplicate), the rule
// deleted; the group added to vm1 from its panel, then refused deletion while in use (the API's message).
import { expect, type Page, test } from "@playwright/test";
import { fill, gotoSettled, openTopology, select, submit } from "./helpers";
import { readStack } from "./stack";
import { apiMutation, apiQuery } from "./trace-helpers";

type Group = { id: string; name: string; security_group_rules: { id: string; protocol: string | null }[] };

const NAME = "e2e-web";

async function groupNamed(url: string): Promise<Group | undefined> {
  return (await apiQuery<Group[]>(url, "securityGroup.list", {})).find((g) => g.name === NAME);
}

const icmpRules = (g: Group | undefined) =>
  g?.security_group_rules.filter((r) => r.protocol === "icmp") ?? [];

async function addIcmpRule(page: Page, section: ReturnType<Page["getByRole"]>, dstPort = "") {
  await section.getByRole("button", { name: "Add rule" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("Protocol", { exact: true }).selectOption("icmp");
  if (dstPort) await fill(page, "Destination port range", dstPort);
  else {
    await fill(page, "ICMP type", "8");
    await fill(page, "ICMP code", "0");
  }
  await submit(page);
}

test("an admin creates a group, adds and deletes an icmp rule, refuses bad ones, and puts it on vm1", async ({
  page,
}) => {
  const { url } = readStack();
  const vm = await apiQuery<{ id: string; project_id: string; port_id: string }>(url, "server.show", {
    id: "vm1",
  });
  try {
    await gotoSettled(page, "/security-groups");
    await page.getByRole("button", { name: "Create security group" }).click();
    await fill(page, "Name", NAME);
    await fill(page, "Description", "web servers");
    await page.getByRole("dialog").getByLabel("Project", { exact: true }).selectOption(vm.project_id);
    await submit(page);
    await expect(page.getByRole("dialog")).toBeHidden();
    const section = page.getByRole("region", { name: `Security group ${NAME}` });
    await expect(section).toContainText("web servers");

    await addIcmpRule(page, section);
    await expect(page.getByRole("dialog")).toBeHidden();
    const table = section.getByRole("table", { name: `Rules of ${NAME}` });
    const row = table.getByRole("row").filter({ hasText: "type 8 code 0" });
    await expect(row).toContainText("ingress");
    await expect(row).toContainText("icmp");
    await expect(row).toContainText("0.0.0.0/0");
    expect(icmpRules(await groupNamed(url))).toHaveLength(1);

    // A port range on icmp: its first port is no ICMP type (0-255), refused beside the range before sending.
    await addIcmpRule(page, section, "8000:8080");
    await expect(page.getByRole("dialog").getByTestId("error-dst_port")).toContainText(
      "Invalid value for ICMP type (port_range_min) 8000. It must be 0 to 255.",
    );
    await page.getByRole("dialog").getByRole("button", { name: "Cancel" }).click();
    // The same rule again: the API refuses it (Neutron's SecurityGroupRuleExists), shown beside the protocol.
    await addIcmpRule(page, section);
    await expect(page.getByRole("dialog").getByTestId("error-protocol")).toContainText(
      "Security group rule already exists",
    );
    await page.getByRole("dialog").getByRole("button", { name: "Cancel" }).click();
    expect(icmpRules(await groupNamed(url))).toHaveLength(1);

    await section
      .getByRole("button", { name: "Delete rule ingress icmp type 8 code 0 from 0.0.0.0/0" })
      .click();
    await submit(page);
    await expect(row).toHaveCount(0);
    expect(icmpRules(await groupNamed(url))).toEqual([]);

    // vm1's panel: its port's groups, and one added as `openstack server add security group` does.
    await openTopology(page);
    await select(page, "vm1");
    const panel = page.getByTestId("side-panel");
    const groups = panel.getByRole("region", { name: "Security groups" });
    await expect(panel.getByTestId("port-security")).toContainText("enabled");
    await expect(groups.getByTestId("security-group").first()).toBeVisible();
    await expect(groups).not.toContainText(NAME);
    await groups.getByRole("button", { name: "Add security group" }).click();
    await page
      .getByRole("dialog")
      .getByLabel("Security group", { exact: true })
      .selectOption({ label: NAME });
    await submit(page);
    await expect(page.getByRole("dialog")).toBeHidden();
    await expect(groups.getByTestId("security-group").filter({ hasText: NAME })).toBeVisible();
    const group = await groupNamed(url);
    const port = await apiQuery<{ security_groups: string[] }>(url, "port.show", { id: vm.port_id });
    expect(port.security_groups).toContain(group?.id);

    // In use by vm1's port: the delete is refused with the API's message, and the group stays.
    await gotoSettled(page, "/security-groups");
    await page.getByRole("button", { name: `Delete security group ${NAME}` }).click();
    await submit(page);
    await expect(page.getByRole("dialog").getByTestId("form-error")).toContainText(
      `Security Group ${group?.id} in use.`,
    );
    expect(await groupNamed(url)).toBeDefined();
  } finally {
    const group = await groupNamed(url);
    if (group) {
      const port = await apiQuery<{ security_groups: string[] }>(url, "port.show", { id: vm.port_id });
      if (port.security_groups.includes(group.id))
        await apiMutation(url, "server.removeSecurityGroup", { id: vm.id, security_group: group.id });
      await apiMutation(url, "securityGroup.delete", { id: group.id });
    }
  }
});

test("an instance's page refuses port security off while it has groups, and adds and removes an allowed address pair", async ({
  page,
}) => {
  const { url } = readStack();
  const vm = await apiQuery<{ port_id: string }>(url, "server.show", { id: "vm2" });
  const pairs = async () =>
    (
      await apiQuery<{ allowed_address_pairs: { ip_address: string }[] }>(url, "port.show", {
        id: vm.port_id,
      })
    ).allowed_address_pairs;
  const before = await pairs();
  try {
    await gotoSettled(page, "/instances/vm2");
    const security = page.getByTestId("instance-security");
    await expect(security.getByTestId("port-security")).toContainText("enabled");
    await security.getByRole("button", { name: "Disable port security" }).click();
    await expect(
      page.getByText("Port has security group associated. Cannot disable port security").first(),
    ).toBeVisible();
    await expect(security.getByTestId("port-security")).toContainText("enabled");

    await security.getByRole("button", { name: "Add allowed address pair" }).click();
    await fill(page, "IP address or CIDR", "not-an-address");
    await submit(page);
    await expect(page.getByRole("dialog").getByTestId("error-ip_address")).toContainText(
      "is neither an IP address nor a CIDR",
    );
    await fill(page, "IP address or CIDR", "198.51.100.77");
    await submit(page);
    await expect(page.getByRole("dialog")).toBeHidden();
    await expect(security.getByTestId("address-pair").filter({ hasText: "198.51.100.77" })).toBeVisible();
    expect((await pairs()).map((p) => p.ip_address)).toContain("198.51.100.77");

    await security.getByRole("button", { name: "Remove allowed address pair 198.51.100.77" }).click();
    await expect(security.getByTestId("address-pair").filter({ hasText: "198.51.100.77" })).toHaveCount(0);
    expect(await pairs()).toEqual(before);
  } finally {
    if ((await pairs()).length !== before.length)
      await apiMutation(url, "port.update", { id: vm.port_id, allowed_address_pairs: before });
  }
});
