// Security groups and port security: the default group, ports' groups, and each of Neutron's refusals (its
// wording, and that nothing is written).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApi, expectRefused, type TestApi } from "../testkit";

let api: TestApi;
beforeAll(async () => {
  api = await createTestApi();
  await api.caller.project.create({ name: "sg-project", description: "" });
  await api.caller.network.create({ name: "sg-net", project_id: "sg-project" });
  await api.caller.subnet.create({ name: "sg-subnet", network_id: "sg-net", cidr: "10.40.0.0/24" });
});
afterAll(() => api.close());

const rule = (extra: Record<string, unknown>) =>
  api.caller.securityGroupRule.create({ security_group_id: "web", direction: "ingress", ...extra } as never);

describe("the default group", () => {
  it("is made with the project's first port, with Neutron's rules, and the port is in it", async () => {
    expect(await api.caller.securityGroup.list({ project_id: "sg-project" })).toEqual([]);
    const port = await api.caller.port.create({ name: "p1", network_id: "sg-net" });
    const [group, ...others] = await api.caller.securityGroup.list({ project_id: "sg-project" });
    expect(others).toEqual([]);
    expect(group?.name).toBe("default");
    expect(port.security_groups).toEqual([group?.id]);
    expect(port.port_security_enabled).toBe(true);
    expect(group?.security_group_rules.map((r) => [r.direction, r.protocol, r.remote_group_id])).toEqual([
      ["ingress", null, group?.id],
      ["egress", null, null],
    ]);
    // One default per project: a second port joins the same group.
    const second = await api.caller.port.create({ name: "p2", network_id: "sg-net" });
    expect(second.security_groups).toEqual(port.security_groups);
  });

  it("is refused as a name for another group, and cannot be renamed or deleted", async () => {
    const id = (await api.caller.port.show({ id: "p1" })).security_groups[0] ?? "";
    await expectRefused(
      api,
      () => api.caller.securityGroup.create({ name: "default", project_id: "sg-project" }),
      "Default security group already exists.",
    );
    await expectRefused(
      api,
      () => api.caller.securityGroup.update({ id, name: "other" }),
      "Updating default security group not allowed.",
    );
    await expectRefused(
      api,
      () => api.caller.securityGroup.delete({ id }),
      "Removing default security group not allowed.",
    );
  });

  it("is refused stateless: replies would pass that no rule allows", async () => {
    const before = await api.caller.securityGroup.list();
    await expectRefused(
      api,
      () => api.caller.securityGroup.create({ name: "no-conntrack", stateful: false as true }),
      "Stateless security groups are not supported: the firewall tracks connections",
    );
    expect(await api.caller.securityGroup.list()).toEqual(before);
  });

  it("is not given to the network's own ports", async () => {
    await api.caller.router.create({ name: "sg-router", project_id: "sg-project" });
    await api.caller.router.addInterface({ id: "sg-router", subnet_id: "sg-subnet" });
    const [iface] = await api.caller.port.list({ device_owner: "network:router_interface" });
    expect(iface?.security_groups).toEqual([]);
  });
});

describe("rules", () => {
  beforeAll(async () => {
    await api.caller.securityGroup.create({ name: "web", project_id: "sg-project" });
  });

  it("stores a tcp range, an icmp type/code and a remote group", async () => {
    const ssh = await rule({
      protocol: "tcp",
      port_range_min: 22,
      port_range_max: 22,
      remote_ip_prefix: "198.51.100.7",
    });
    expect(ssh).toMatchObject({
      protocol: "tcp",
      port_range_min: 22,
      port_range_max: 22,
      remote_ip_prefix: "198.51.100.7/32",
    });
    const ping = await rule({ protocol: "icmp", port_range_min: 8, port_range_max: 0 });
    expect(ping).toMatchObject({ protocol: "icmp", port_range_min: 8, port_range_max: 0 });
    const fromDefault = await rule({
      protocol: "udp",
      port_range_min: 53,
      port_range_max: 53,
      remote_group_id: "web",
    });
    expect(fromDefault.remote_group_id).toBe((await api.caller.securityGroup.show({ id: "web" })).id);
    expect((await api.caller.securityGroupRule.list({ security_group_id: "web" })).length).toBe(4);
  });

  it("refuses a port range on icmp beyond type/code, or on any protocol", async () => {
    await expectRefused(
      api,
      () => rule({ protocol: "icmp", port_range_min: 256 }),
      "Invalid value for ICMP type (port_range_min) 256. It must be 0 to 255.",
    );
    await expectRefused(
      api,
      () => rule({ protocol: "icmp", port_range_min: 8, port_range_max: 300 }),
      "Invalid value for ICMP code (port_range_max) 300. It must be 0 to 255.",
    );
    await expectRefused(
      api,
      () => rule({ protocol: "icmp", port_range_max: 3 }),
      "ICMP code (port-range-max) 3 is provided but ICMP type (port-range-min) is missing.",
    );
    await expectRefused(
      api,
      () => rule({ protocol: "any", port_range_min: 80, port_range_max: 80 }),
      "Must also specify protocol if port range is given.",
    );
    await expectRefused(
      api,
      () => rule({ protocol: "47", port_range_min: 80, port_range_max: 80 }),
      "Invalid protocol 47 for port range, only supported for TCP, UDP, UDPLITE, SCTP and DCCP.",
    );
    await expectRefused(
      api,
      () => rule({ protocol: "gopher" }),
      "Security group rule protocol gopher not supported.",
    );
  });

  it("refuses min > max, and a port out of range", async () => {
    await expectRefused(
      api,
      () => rule({ protocol: "tcp", port_range_min: 90, port_range_max: 80 }),
      "For TCP/UDP protocols, port_range_min must be <= port_range_max",
    );
    await expectRefused(
      api,
      () => rule({ protocol: "udp", port_range_min: 1, port_range_max: 70000 }),
      "Invalid value for port 70000",
    );
  });

  it("refuses both a remote prefix and a remote group, and an invalid CIDR", async () => {
    await expectRefused(
      api,
      () => rule({ protocol: "tcp", remote_ip_prefix: "10.0.0.0/8", remote_group_id: "web" }),
      "Only remote_ip_prefix or remote_group_id may be provided.",
    );
    await expectRefused(
      api,
      () => rule({ remote_ip_prefix: "10.0.0.0/33" }),
      "Invalid input for remote_ip_prefix",
    );
    await expectRefused(
      api,
      () => rule({ remote_ip_prefix: "10.0.0.5/24" }),
      "host bits set (did you mean 10.0.0.0/24?)",
    );
  });

  it("refuses a duplicate, naming the rule that exists (a protocol by number is the same protocol)", async () => {
    const first = await rule({ protocol: "tcp", port_range_min: 80, port_range_max: 81 });
    const duplicate = () => rule({ protocol: "6", port_range_min: 80, port_range_max: 81 });
    await expectRefused(api, duplicate, `Security group rule already exists. Rule id is ${first.id}.`);
    await expect(duplicate()).rejects.toMatchObject({ code: "CONFLICT" });
  });

  it("deletes a rule", async () => {
    const added = await rule({ protocol: "tcp", port_range_min: 443, port_range_max: 443 });
    await api.caller.securityGroupRule.delete({ id: added.id });
    await expect(api.caller.securityGroupRule.show({ id: added.id })).rejects.toThrow(
      `Security group rule ${added.id} not found`,
    );
  });
});

describe("ports", () => {
  it("take the groups given, none with --no-security-group, and no default without port security", async () => {
    const web = await api.caller.securityGroup.show({ id: "web" });
    const given = await api.caller.port.create({
      name: "p-web",
      network_id: "sg-net",
      security_groups: ["web"],
    });
    expect(given.security_groups).toEqual([web.id]);
    const none = await api.caller.port.create({ name: "p-none", network_id: "sg-net", security_groups: [] });
    expect(none.security_groups).toEqual([]);
    const open = await api.caller.port.create({
      name: "p-open",
      network_id: "sg-net",
      port_security_enabled: false,
    });
    expect(open).toMatchObject({ security_groups: [], port_security_enabled: false });
  });

  it("refuse to delete a group in use by a port", async () => {
    const web = await api.caller.securityGroup.show({ id: "web" });
    await expectRefused(
      api,
      () => api.caller.securityGroup.delete({ id: "web" }),
      `Security Group ${web.id} in use.`,
    );
  });

  it("refuse to disable port security while they have groups, and groups without port security", async () => {
    await expectRefused(
      api,
      () => api.caller.port.update({ id: "p-web", port_security_enabled: false }),
      "Port has security group associated. Cannot disable port security or ip address until security group is removed",
    );
    await expectRefused(
      api,
      () =>
        api.caller.port.create({
          name: "x",
          network_id: "sg-net",
          port_security_enabled: false,
          security_groups: ["web"],
        }),
      "Port security must be enabled and port must have an IP address in order to use security groups.",
    );
    // Removing the groups in the same request is what Neutron accepts.
    const off = await api.caller.port.update({
      id: "p-web",
      port_security_enabled: false,
      security_groups: [],
    });
    expect(off).toMatchObject({ port_security_enabled: false, security_groups: [] });
    await api.caller.securityGroup.delete({ id: "web" });
  });

  it("take allowed address pairs only with port security, and no duplicate", async () => {
    await expectRefused(
      api,
      () => api.caller.port.update({ id: "p-open", allowed_address_pairs: [{ ip_address: "10.40.0.250" }] }),
      "Port Security must be enabled in order to have allowed address pairs on a port.",
    );
    const vip = await api.caller.port.update({
      id: "p-none",
      allowed_address_pairs: [
        { ip_address: "10.40.0.250" },
        { ip_address: "10.40.0.128/28", mac_address: "fa:16:3e:00:00:01" },
      ],
    });
    expect(vip.allowed_address_pairs).toEqual([
      { ip_address: "10.40.0.250", mac_address: vip.mac_address },
      { ip_address: "10.40.0.128/28", mac_address: "fa:16:3e:00:00:01" },
    ]);
    await expectRefused(
      api,
      () =>
        api.caller.port.update({
          id: "p-none",
          allowed_address_pairs: [{ ip_address: "10.40.0.9" }, { ip_address: "10.40.0.9" }],
        }),
      "Request contains duplicate address pair",
    );
    await expectRefused(
      api,
      () => api.caller.port.update({ id: "p-none", allowed_address_pairs: [{ ip_address: "10.40.0.300" }] }),
      "Invalid input for ip_address. Reason: '10.40.0.300' is neither an IP address nor a CIDR",
    );
  });

  it("follow server add/remove security group", async () => {
    await api.caller.securityGroup.create({ name: "ssh", project_id: "sg-project" });
    await api.caller.server.create({ name: "sg-vm", project_id: "sg-project", network_id: "sg-net" });
    const added = await api.caller.server.addSecurityGroup({ id: "sg-vm", security_group: "ssh" });
    expect(added.security_groups).toEqual([{ name: "default" }, { name: "ssh" }]);
    await expectRefused(
      api,
      () => api.caller.server.addSecurityGroup({ id: "sg-vm", security_group: "ssh" }),
      "Security group ssh is already associated with the instance sg-vm",
    );
    const removed = await api.caller.server.removeSecurityGroup({ id: "sg-vm", security_group: "default" });
    expect(removed.security_groups).toEqual([{ name: "ssh" }]);
    await expectRefused(
      api,
      () => api.caller.server.removeSecurityGroup({ id: "sg-vm", security_group: "default" }),
      "Security group default not associated with the instance sg-vm",
    );
  });
});
