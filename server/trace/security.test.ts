// A filtered port's verdict on a traced packet: the rule that allows it, blocked with the command that would
// allow it, the reply of an allowed connection, spoofing, and a port whose port security is off.
import { describe, expect, it } from "vitest";
import type { IntentFirewallRule } from "../../agent/contract/intent";
import type { SecurityGroupRuleRow } from "../db/schema";
import { allowCommand, type FilteredPacket, filterVerdict, type PortFilter, ruleAllows } from "./security";

const row = (id: string, fields: Partial<SecurityGroupRuleRow> = {}): SecurityGroupRuleRow => ({
  id,
  securityGroupId: "sg-web",
  projectId: "p1",
  direction: "ingress",
  ethertype: "IPv4",
  protocol: null,
  portRangeMin: null,
  portRangeMax: null,
  remoteIpPrefix: null,
  remoteGroupId: null,
  description: "",
  createdAt: new Date(0),
  updatedAt: new Date(0),
  ...fields,
});

const compiled = (fields: Partial<IntentFirewallRule>): IntentFirewallRule => ({
  direction: "ingress",
  protocol: null,
  port_range_min: null,
  port_range_max: null,
  remote_ip_prefixes: null,
  ...fields,
});

const ssh = {
  row: row("r-ssh", {
    protocol: "tcp",
    portRangeMin: 22,
    portRangeMax: 22,
    remoteIpPrefix: "198.51.100.0/24",
  }),
  group_name: "web",
  compiled: compiled({
    protocol: 6,
    port_range_min: 22,
    port_range_max: 22,
    remote_ip_prefixes: ["198.51.100.0/24"],
  }),
};
const egressAll = {
  row: row("r-out", { direction: "egress" }),
  group_name: "web",
  compiled: compiled({ direction: "egress" }),
};

const filter = (fields: Partial<PortFilter["entry"]> = {}): PortFilter => ({
  entry: {
    port_id: "port-vm",
    network_id: "net",
    mac_address: "fa:16:3e:00:00:05",
    fixed_ips: ["10.0.0.5"],
    allowed_address_pairs: [{ ip_address: "10.0.0.128/25", mac_address: "fa:16:3e:00:00:05" }],
    port_security_enabled: true,
    security_groups: ["sg-web"],
    ...fields,
  },
  groups: [{ id: "sg-web", name: "web" }],
  rules: [ssh, egressAll],
});

const packet = (fields: Partial<FilteredPacket>): FilteredPacket => ({
  src: "198.51.100.7",
  dst: "10.0.0.5",
  protocol: "tcp",
  port: 22,
  reply: false,
  ...fields,
});

describe("filterVerdict", () => {
  it("names the rule that allows a new connection in", () => {
    expect(filterVerdict(filter(), "ingress", packet({}))).toEqual({ kind: "allowed", rule: ssh });
  });

  it("blocks what no rule allows: another port, another remote, another protocol", () => {
    for (const other of [
      packet({ port: 80 }),
      packet({ src: "203.0.113.9" }),
      packet({ protocol: "icmp", port: null }),
    ])
      expect(filterVerdict(filter(), "ingress", other)).toEqual({ kind: "blocked" });
  });

  it("lets the reply of an allowed connection through, whatever the rules", () => {
    const reply = packet({ src: "198.51.100.7", dst: "10.0.0.5", protocol: "icmp", port: null, reply: true });
    expect(filterVerdict(filter(), "ingress", reply)).toEqual({ kind: "reply" });
  });

  it("allows egress by the group's egress rule, and refuses a source the port may not use", () => {
    const out = packet({ src: "10.0.0.5", dst: "198.51.100.7" });
    expect(filterVerdict(filter(), "egress", out)).toEqual({ kind: "allowed", rule: egressAll });
    expect(filterVerdict(filter(), "egress", { ...out, src: "10.0.0.200" })).toMatchObject({
      kind: "allowed",
    });
    expect(filterVerdict(filter(), "egress", { ...out, src: "10.0.0.6" })).toEqual({ kind: "spoof" });
    expect(filterVerdict(filter(), "egress", { ...out, src: "10.0.0.6", reply: true })).toEqual({
      kind: "spoof",
    });
  });

  it("does not filter a port whose port security is disabled", () => {
    const open = filter({ port_security_enabled: false });
    expect(filterVerdict(open, "ingress", packet({ port: 80 }))).toEqual({ kind: "unfiltered" });
    expect(filterVerdict(open, "egress", packet({ src: "10.0.0.6" }))).toEqual({ kind: "unfiltered" });
  });
});

describe("ruleAllows", () => {
  it("matches an icmp rule's type (echo request) and code as the flows do", () => {
    const echo = packet({ protocol: "icmp", port: null });
    expect(ruleAllows(compiled({ protocol: 1 }), "ingress", echo)).toBe(true);
    expect(ruleAllows(compiled({ protocol: 1, port_range_min: 8 }), "ingress", echo)).toBe(true);
    expect(ruleAllows(compiled({ protocol: 1, port_range_min: 8, port_range_max: 0 }), "ingress", echo)).toBe(
      true,
    );
    expect(ruleAllows(compiled({ protocol: 1, port_range_min: 0 }), "ingress", echo)).toBe(false);
    expect(ruleAllows(compiled({ protocol: 1 }), "egress", echo)).toBe(false);
  });

  it("matches a port range and a remote group's members", () => {
    const range = compiled({ protocol: 6, port_range_min: 8000, port_range_max: 8080 });
    expect(ruleAllows(range, "ingress", packet({ port: 8080 }))).toBe(true);
    expect(ruleAllows(range, "ingress", packet({ port: 8081 }))).toBe(false);
    const members = compiled({ remote_ip_prefixes: ["10.0.0.6/32", "10.0.0.7/32"] });
    expect(ruleAllows(members, "ingress", packet({ src: "10.0.0.7" }))).toBe(true);
    expect(ruleAllows(members, "ingress", packet({ src: "10.0.0.8" }))).toBe(false);
  });
});

describe("allowCommand", () => {
  it("says the rule to create: the packet's protocol and port, from its source only", () => {
    expect(
      allowCommand(filter(), "ingress", packet({ protocol: "icmp", port: null, src: "203.0.113.1" })),
    ).toBe("netlens security group rule create --protocol icmp --ingress --remote-ip 203.0.113.1/32 web");
    expect(
      allowCommand(filter(), "egress", packet({ src: "10.0.0.5", dst: "198.51.100.7", port: 443 })),
    ).toBe(
      "netlens security group rule create --protocol tcp --dst-port 443 --egress --remote-ip 198.51.100.7/32 web",
    );
  });

  it("names a default group by its ID, and a port without groups gets one first", () => {
    const byId = { ...filter(), groups: [{ id: "sg-1", name: "default" }] };
    expect(allowCommand(byId, "ingress", packet({}))).toMatch(/--remote-ip 198\.51\.100\.7\/32 sg-1$/);
    const none = { ...filter(), groups: [] };
    expect(allowCommand(none, "ingress", packet({}))).toBe(
      "netlens port set --security-group GROUP port-vm, then netlens security group rule create --protocol tcp --dst-port 22 --ingress --remote-ip 198.51.100.7/32 GROUP",
    );
  });
});
