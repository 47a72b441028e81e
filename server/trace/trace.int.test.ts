// Packet path tracing on a real stack (cli/testing/stack.ts: agent process, OVS sandbox, API over HTTP, CLI):
// the healthy paths, and each named diagnosis built for real — through the API where the API allows it, by hand
// on the host (ovs-vsctl, iptables in our own namespace) where the trap is drift.
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../../agent/host/exec";
import { nsExec } from "../../agent/testing/host";
import { type Stack, startStack } from "../../cli/testing/stack";
import { deviceNames, namespaceNames } from "../../lib/names";
import type { Hop, TraceResult, TraceRunInput } from "../../lib/schemas/trace";
import { agents, ipAllocations } from "../db/schema";
import { testUser } from "../testkit";

let stack: Stack;
const ids: Record<string, string> = {};

async function settled(): Promise<void> {
  const { applied, revision } = await stack.api.caller.host.wait({ timeout_ms: 30_000 });
  if (!applied) throw new Error(`the agent did not apply revision ${revision}`);
}

const trace = (input: TraceRunInput) => stack.api.caller.trace.run(input) as Promise<TraceResult>;

/** The hops' actions, for a compact picture of the path. */
const actions = (hops: Hop[]) => hops.map((h) => h.action);

function explain(result: TraceResult): string {
  return JSON.stringify(result, null, 2);
}

beforeAll(async () => {
  stack = await startStack();
  const c = stack.api.caller;
  const ext = await c.network.create({
    name: "ext",
    "router:external": true,
    "provider:network_type": "flat",
    "provider:physical_network": "public",
  });
  await c.subnet.create({
    name: "extsub",
    network_id: ext.id,
    cidr: "203.0.113.0/24",
    gateway_ip: "203.0.113.1",
    allocation_pools: [{ start: "203.0.113.210", end: "203.0.113.230" }],
    enable_dhcp: false,
  });
  for (const [net, cidr] of [
    ["net1", "10.0.0.0/24"],
    ["net2", "10.0.1.0/24"],
  ] as const) {
    await c.network.create({ name: net });
    await c.subnet.create({ name: `sub${net.slice(3)}`, network_id: net, cidr });
  }
  const r1 = await c.router.create({ name: "r1", external_gateway_info: { network_id: "ext" } });
  ids.r1 = r1.id;
  await c.router.addInterface({ id: "r1", subnet_id: "sub1" });
  await c.router.addInterface({ id: "r1", subnet_id: "sub2" });
  ids.vm1 = (await c.server.create({ name: "vm1", network_id: "net1", fixed_ip_address: "10.0.0.5" })).id;
  ids.vm2 = (await c.server.create({ name: "vm2", network_id: "net1", fixed_ip_address: "10.0.0.6" })).id;
  ids.vm3 = (await c.server.create({ name: "vm3", network_id: "net2", fixed_ip_address: "10.0.1.5" })).id;
  const vm1 = await c.server.show({ id: "vm1" });
  const fip = await c.floatingIp.create({
    floating_network_id: "ext",
    floating_ip_address: "203.0.113.215",
    port_id: vm1.port_id,
  });
  ids.fip = fip.id;
  // The default group lets in only its own members, as Neutron's does: the probes come from outside.
  for (const protocol of ["icmp", "tcp"])
    await c.securityGroupRule.create({ security_group_id: "default", direction: "ingress", protocol });
  await settled();
});

afterAll(async () => {
  await stack?.stop();
});

describe("trace: healthy paths", () => {
  it("outside -> floating IP -> instance: DNAT with the exact rule, the reply un-NATed by conntrack", async () => {
    const result = await stack.cli("trace", "--from", "203.0.113.1", "--to", "203.0.113.215", "-f", "json");
    expect(result.code, result.stderr).toBe(0);
    const t = JSON.parse(result.stdout) as TraceResult;
    expect(t.verdict, explain(t)).toBe("delivered");
    // Into the instance's port, its security groups decide (the rule added above lets icmp in).
    expect(actions(t.forward)).toEqual([
      "routed",
      "switched",
      "dnat",
      "routed",
      "switched",
      "switched",
      "delivered",
    ]);
    expect(t.forward[5]).toMatchObject({
      decided_by: { kind: "security_group" },
      rule: { kind: "security_group_rule", direction: "ingress", protocol: "icmp" },
    });
    const dnat = t.forward[2];
    expect(dnat?.decided_by.kind).toBe("nat_rule");
    expect(dnat?.decided_by.text).toMatch(
      new RegExp(
        `^\\[\\d+:\\d+\\] -A ${stack.chainPrefix}-PREROUTING -d 203\\.0\\.113\\.215/32 -j DNAT --to-destination 10\\.0\\.0\\.5$`,
      ),
    );
    expect(dnat?.where.node_id).toBe(ids.fip);
    expect(dnat?.packet).toEqual({ src: "203.0.113.1", dst: "10.0.0.5" });
    expect(t.forward.at(-1)?.where.node_id).toBe(ids.vm1);
    // The switched hops name the bridge path and the local VLAN.
    expect(t.forward[1]?.where.bridge).toMatch(/-ex -> .*-int$/);
    expect(t.forward[4]?.vlan).toEqual(expect.any(Number));
    expect(actions(t.reply)).toEqual([
      "routed",
      "switched",
      "switched",
      "routed",
      "snat",
      "switched",
      "delivered",
    ]);
    expect(t.reply[1]?.decided_by.text).toContain("egress: reply of an allowed connection");
    expect(t.reply[4]).toMatchObject({
      decided_by: { kind: "conntrack" },
      packet: { src: "203.0.113.215", dst: "203.0.113.1" },
    });
    expect(t.diagnoses).toEqual([]);
  });

  it("probe mode measures it: the echo reply comes back and every hop saw the packet", async () => {
    const t = await trace({ from: "203.0.113.1", to: "203.0.113.215", probe: true });
    expect(t.probe?.result, explain(t)).toBe("reply");
    expect(t.verdict).toBe("delivered");
    for (const hop of [...t.forward, ...t.reply])
      expect(hop.probe?.seen, explain(hop as unknown as TraceResult)).toBe(true);
    expect(t.forward[2]?.probe?.evidence.join("\n")).toMatch(
      /rule counter \+1: .*DNAT --to-destination 10\.0\.0\.5/,
    );
  });

  it("instance -> outside: SNAT to the router's gateway address", async () => {
    const router = await stack.api.caller.router.show({ id: "r1" });
    const gatewayIp = router.external_gateway_info?.external_fixed_ips[0]?.ip_address;
    const t = await trace({ from: "vm2", to: "203.0.113.1" });
    expect(t.verdict, explain(t)).toBe("delivered");
    expect(actions(t.forward)).toEqual([
      "routed",
      "switched",
      "switched",
      "routed",
      "snat",
      "switched",
      "delivered",
    ]);
    const snat = t.forward[4];
    expect(snat?.decided_by.text).toContain(`-j SNAT --to-source ${gatewayIp}`);
    expect(snat?.packet).toEqual({ src: gatewayIp, dst: "203.0.113.1" });
    expect(actions(t.reply)).toContain("dnat");
    expect(t.reply.at(-1)?.where.node_id).toBe(ids.vm2);
  });

  it("instance -> instance on two networks: routed by the router, no NAT", async () => {
    const t = await trace({ from: "vm1", to: "10.0.1.5", protocol: "tcp", port: 22 });
    expect(t.verdict, explain(t)).toBe("delivered");
    expect(actions(t.forward)).toEqual([
      "routed",
      "switched",
      "switched",
      "routed",
      "switched",
      "switched",
      "delivered",
    ]);
    expect(t.forward[3]?.where.node_id).toBe(ids.r1);
    expect(t.forward.every((h) => h.packet.src === "10.0.0.5" && h.packet.dst === "10.0.1.5")).toBe(true);
    expect([...t.forward, ...t.reply].some((h) => h.action === "dnat" || h.action === "snat")).toBe(false);
  });

  it("instance -> instance on one network: switched only", async () => {
    const t = await trace({ from: "vm1", to: "vm2" });
    expect(t.verdict, explain(t)).toBe("delivered");
    // Out of vm1's port and into vm2's: the default group's egress rule, then its rule for its own members.
    expect(actions(t.forward)).toEqual(["routed", "switched", "switched", "switched", "delivered"]);
    expect(t.forward[3]?.rule).toMatchObject({ direction: "ingress", remote_group_id: expect.any(String) });
    expect(t.forward[0]?.decided_by.text).toMatch(/^10\.0\.0\.6 .*dev eth0/);
    expect(t.forward.some((h) => h.where.node_id === ids.r1)).toBe(false);
  });
});

describe("trace: a member's view", () => {
  it("netlens trace with a member's token: the admin's path and verdict, its own rules, no host internals", async () => {
    const member = await testUser(stack.api.services, "trace-tenant", "admin", "member");
    const { token } = await member.caller.token.issue({ name: "trace" });
    const admin = await trace({ from: "203.0.113.1", to: "203.0.113.215" });
    const json = await stack.cliAs(
      token,
      "trace",
      "--from",
      "203.0.113.1",
      "--to",
      "203.0.113.215",
      "-f",
      "json",
    );
    expect(json.code, json.stderr).toBe(0);
    const t = JSON.parse(json.stdout) as TraceResult;
    expect(t.verdict, explain(t)).toBe("delivered");
    expect(actions(t.forward)).toEqual(actions(admin.forward));
    expect(actions(t.reply)).toEqual(actions(admin.reply));
    expect(t.forward.map((h) => h.where.node_id)).toEqual(admin.forward.map((h) => h.where.node_id));
    const fipNat = {
      kind: "floating_ip_nat",
      floating_ip_id: ids.fip,
      floating_ip_address: "203.0.113.215",
      fixed_ip_address: "10.0.0.5",
    };
    expect(t.forward[2]?.rule).toEqual({ ...fipNat, conntrack: false });
    expect(t.forward[2]?.decided_by.text).toBe(
      "floating IP 203.0.113.215: destination 203.0.113.215 -> 10.0.0.5 (DNAT)",
    );
    expect(t.reply[4]?.rule).toEqual({ ...fipNat, conntrack: true });
    // The security group rule of its own instance's port.
    expect(t.forward[5]?.rule).toEqual(admin.forward[5]?.rule);
    expect(t.forward[5]?.decided_by.text).toMatch(
      /^security group default rule \S+ \(ingress icmp from anywhere\)/,
    );
    expect(admin.forward[2]?.rule).toEqual(t.forward[2]?.rule);
    const host = admin.forward[0]?.where.host ?? "";
    expect(json.stdout).not.toContain(JSON.stringify(host));
    for (const word of [stack.prefix, stack.chainPrefix, "qrouter-", "qg-", "qr-", "tap", "-A ", "NORMAL"])
      expect(json.stdout, word).not.toContain(word);

    const table = await stack.cliAs(token, "trace", "--from", "vm2", "--to", "203.0.113.1");
    expect(table.code, table.stderr).toBe(0);
    const gateway = (await stack.api.caller.router.show({ id: "r1" })).external_gateway_info
      ?.external_fixed_ips[0]?.ip_address;
    expect(table.stdout).toContain(`router r1 SNATs the source to its gateway address ${gateway}`);
    expect(table.stdout).toContain(`r1 routes 203.0.113.1 on the link out of gateway port ${gateway}`);
    expect(table.stdout).toContain("verdict: DELIVERED");
    for (const word of [stack.prefix, stack.chainPrefix, "qg-", "qr-", "tap", "-A "])
      expect(table.stdout, word).not.toContain(word);
  });
});

describe("trace: diagnoses", () => {
  it("no-listener: a TCP probe to a closed port is reset (told apart from a timeout)", async () => {
    const t = await trace({
      from: "203.0.113.1",
      to: "203.0.113.215",
      protocol: "tcp",
      port: 8080,
      probe: true,
    });
    expect(t.probe?.result, explain(t)).toBe("reset");
    expect(t.diagnoses.map((d) => d.code)).toContain("no-listener");
    expect(t.forward.at(-1)?.probe?.seen).toBe(true);
  });

  it("nat-rule-missing: the DNAT rule deleted by hand in the router's namespace", async () => {
    const ns = namespaceNames.router(stack.prefix, ids.r1 ?? "");
    const rule = ["-d", "203.0.113.215/32", "-j", "DNAT", "--to-destination", "10.0.0.5"];
    const chain = `${stack.chainPrefix}-PREROUTING`;
    await nsExec(ns, ["iptables", "-t", "nat", "-D", chain, ...rule]);
    try {
      const t = await trace({ from: "203.0.113.1", to: "203.0.113.215" });
      expect(t.verdict, explain(t)).toBe("dropped");
      const d = t.diagnoses.find((x) => x.code === "nat-rule-missing");
      expect(d?.message).toContain(`-A ${chain} -d 203.0.113.215/32 -j DNAT --to-destination 10.0.0.5`);
      // The router itself answers for the floating IP: the packet ends there, not at the instance.
      expect(t.forward.at(-1)).toMatchObject({ action: "delivered", where: { node_id: ids.r1 } });
    } finally {
      await nsExec(ns, ["iptables", "-t", "nat", "-A", chain, ...rule]);
    }
    expect((await trace({ from: "203.0.113.1", to: "203.0.113.215" })).verdict).toBe("delivered");
  });

  it("gateway-port-wrong-bridge: the router's gateway tap with the wrong tag", async () => {
    const router = await stack.api.caller.router.show({ id: "r1" });
    const gwPort = (
      await stack.api.caller.port.list({ device_id: router.id, device_owner: "network:router_gateway" })
    )[0];
    const tap = deviceNames.tap(gwPort?.id ?? "");
    const db = `--db=${stack.sandbox.db}`;
    const tag = (await run("ovs-vsctl", [db, "get", "Port", tap, "tag"])).stdout.trim();
    await run("ovs-vsctl", [db, "set", "Port", tap, "tag=4000"]);
    try {
      const t = await trace({ from: "203.0.113.1", to: "203.0.113.215" });
      expect(t.verdict, explain(t)).toBe("dropped");
      expect(t.forward.at(-1)).toMatchObject({ action: "dropped", decided_by: { kind: "ovs_flow" } });
      const d = t.diagnoses.find((x) => x.code === "gateway-port-wrong-bridge");
      expect(d?.message, explain(t)).toContain(`${tap} is on ${stack.prefix.slice(0, -1)}-int with tag 4000`);
      expect(d?.fix).toContain(`tag=${tag}`);
    } finally {
      await run("ovs-vsctl", [db, "set", "Port", tap, `tag=${tag}`]);
    }
    expect((await trace({ from: "203.0.113.1", to: "203.0.113.215" })).verdict).toBe("delivered");
  });

  it("gateway-not-router: the subnet's gateway is not the router's interface, so replies bypass the router", async () => {
    const c = stack.api.caller;
    await c.network.create({ name: "net4" });
    await c.subnet.create({ name: "sub4", network_id: "net4", cidr: "10.0.4.0/24", gateway_ip: "10.0.4.1" });
    const port = await c.port.create({
      name: "r1-on-sub4",
      network_id: "net4",
      fixed_ips: [{ ip_address: "10.0.4.254" }],
    });
    await c.router.addInterface({ id: "r1", port_id: port.id });
    const vm4 = await c.server.create({ name: "vm4", network_id: "net4", fixed_ip_address: "10.0.4.5" });
    await c.floatingIp.create({
      floating_network_id: "ext",
      floating_ip_address: "203.0.113.216",
      port_id: vm4.port_id,
    });
    await settled();

    const t = await trace({ from: "203.0.113.1", to: "203.0.113.216" });
    expect(t.verdict, explain(t)).toBe("dropped");
    // The request gets in through the router; the reply goes to 10.0.4.1, which no router holds.
    expect(t.forward.at(-1)).toMatchObject({ action: "delivered", where: { node_id: vm4.id } });
    expect(t.reply.at(-1)).toMatchObject({ action: "dropped", decided_by: { kind: "arp" } });
    const d = t.diagnoses.find((x) => x.code === "gateway-not-router");
    expect(d?.hop).toBe(`reply[${t.reply.length - 1}]`);
    expect(d?.message).toContain("gateway is 10.0.4.1");
    expect(d?.message).toContain("10.0.4.254");

    const probed = await trace({ from: "203.0.113.1", to: "203.0.113.216", probe: true });
    expect(probed.probe?.result).toBe("timeout");
    expect(probed.verdict).toBe("dropped");
    expect(probed.forward.at(-1)?.probe?.seen, explain(probed)).toBe(true);
  });

  it("router-no-gateway: an instance behind a router without an external gateway", async () => {
    const c = stack.api.caller;
    await c.network.create({ name: "net5" });
    await c.subnet.create({ name: "sub5", network_id: "net5", cidr: "10.0.5.0/24" });
    await c.router.create({ name: "r2" });
    await c.router.addInterface({ id: "r2", subnet_id: "sub5" });
    await c.server.create({ name: "vm5", network_id: "net5", fixed_ip_address: "10.0.5.5" });
    await settled();
    const t = await trace({ from: "vm5", to: "203.0.113.1" });
    expect(t.verdict, explain(t)).toBe("dropped");
    expect(t.forward.at(-1)).toMatchObject({ action: "dropped", decided_by: { kind: "route" } });
    expect(t.forward.at(-1)?.decided_by.text).toMatch(/unreachable/i);
    expect(t.diagnoses.map((d) => d.code)).toContain("router-no-gateway");
    expect(t.diagnoses.find((d) => d.code === "router-no-gateway")?.fix).toContain(
      "router set r2 --external-gateway",
    );
  });

  it("fip-subnet-not-routed: the router's interface moved off the floating IP's subnet", async () => {
    const c = stack.api.caller;
    await c.network.create({ name: "net6" });
    await c.subnet.create({ name: "sub6", network_id: "net6", cidr: "10.0.6.0/24" });
    await c.subnet.create({ name: "sub6b", network_id: "net6", cidr: "10.0.7.0/24" });
    await c.router.create({ name: "r3", external_gateway_info: { network_id: "ext" } });
    await c.router.addInterface({ id: "r3", subnet_id: "sub6" });
    const vm6 = await c.server.create({ name: "vm6", network_id: "net6", fixed_ip_address: "10.0.6.5" });
    await c.floatingIp.create({
      floating_network_id: "ext",
      floating_ip_address: "203.0.113.217",
      port_id: vm6.port_id,
    });
    // The API refuses to remove an interface a floating IP needs, and to renumber a router's port (earlier
    // versions did not, and a database may still hold what they made): the interface is moved onto another
    // subnet of the same network underneath, and the floating IP's subnet is then attached to no router.
    const [iface] = (await c.router.show({ id: "r3" })).interfaces;
    const sub6b = await c.subnet.show({ id: "sub6b" });
    if (iface === undefined) throw new Error("r3 has no interface");
    await stack.api.db.transaction(async (tx) => {
      await tx
        .update(ipAllocations)
        .set({ subnetId: sub6b.id, ipAddress: "10.0.7.1" })
        .where(eq(ipAllocations.portId, iface.port_id));
      await tx.update(agents).set({ wantedRevision: sql`${agents.wantedRevision} + 1` });
    });
    stack.api.bus.emit({ kind: "router", id: "r3", action: "update" });
    await settled();
    const t = await trace({ from: "203.0.113.1", to: "203.0.113.217" });
    expect(t.verdict, explain(t)).toBe("dropped");
    expect(actions(t.forward)).toContain("dnat");
    const d = t.diagnoses.find((x) => x.code === "fip-subnet-not-routed");
    expect(d?.message, explain(t)).toContain("sub6");
    expect(d?.fix).toBe("netlens router add subnet r3 sub6");
  });
});
