// The several-host lab end to end, through the `netlens` command: four lab hosts (network1, network2, compute1,
// compute2: each a namespace with its own OVS and tunnel address on an underlay of their own) with an agent
// process each, the API dialing them all. vm1 on compute1 pings vm2 on compute2 with VXLAN on the underlay
// between exactly those two hosts and the network's VNI; the outside reaches vm2's floating IP through the
// network node holding the router; `netlens trace` follows both across the hosts (each host's hops, the VXLAN hop
// with the network's VNI and the two tunnel addresses) and names a hand-deleted tunnel port; the router moved to
// the other network node answers there again, and the trace follows the flat network's wire from network1's outside
// world to it. Every host maps the physical network `public` (compute2 to a bridge of its own name): servers on
// compute1 and compute2 on a vlan and on a flat network reach each other over that wire, tagged with the segment
// and untagged, not by VXLAN; the trace crosses that wire too, naming the segment.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../agent/host/exec";
import { startCapture, stopCapture } from "../agent/host/tcpdump";
import { namespacesWithPrefix, pingOnce, pingWithin } from "../agent/testing/host";
import { namespaceNames, tunnelPortName } from "../lib/names";
import type { Hop, TraceResult } from "../lib/schemas/trace";
import { testUser } from "../server/testkit";
import { type LabStack, type LabStackHost, startLabStack, until } from "./testing/stack";

const EXT = { cidr: "198.51.100.0/24", gateway: "198.51.100.1", fip: "198.51.100.230" } as const;

let stack: LabStack;
let routerId = "";
let vni = 0;
let uplinkNs = "";
const vm: Record<"vm1" | "vm2", { namespace: string; ip: string }> = {
  vm1: { namespace: "", ip: "" },
  vm2: { namespace: "", ip: "" },
};

function host(name: string): LabStackHost {
  const found = stack.hosts.find((h) => h.name === name);
  if (found === undefined) throw new Error(`no lab host ${name}`);
  return found;
}

beforeAll(async () => {
  // As `npm run up -- --hosts` lists them, compute hosts first: ties among network nodes go to network1.
  // compute2 names its bridge for `public` its own way (Neutron's bridge_mappings are per host).
  stack = await startLabStack(["compute1", "compute2", "network1", "network2"], { compute2: "br-prov" });
});
afterAll(async () => {
  const prefixes = stack
    ? [...stack.hosts.map((h) => h.prefix), `${stack.lab.underlay.replace(/underlay$/, "")}`]
    : [];
  await stack?.stop();
  // Nothing of the lab's or its agents' is left on the machine.
  for (const prefix of prefixes) expect(await namespacesWithPrefix(prefix)).toEqual([]);
});

type HostRow = { host: string; roles: string[]; local_ip: string | null; online: boolean };

describe("a lab of four hosts through the CLI", () => {
  it("lists the four hosts with their roles and tunnel addresses", async () => {
    const hosts = await until("the four agents to say who they are", async () => {
      const rows = await stack.cliJson<HostRow[]>("host", "list");
      return rows.length === 4 && rows.every((r) => r.online) ? rows : undefined;
    });
    expect(hosts.map((h) => [h.host, h.roles, h.local_ip])).toEqual(
      stack.hosts.map((h) => [h.name, [h.role], h.localIp]),
    );
  });

  it("builds an external network, a vxlan network, a router and two servers on two compute hosts", async () => {
    const { cliOk, cliJson } = stack;
    await stack.externalNetwork("ext", {
      cidr: EXT.cidr,
      gateway: EXT.gateway,
      pool: { start: "198.51.100.210", end: "198.51.100.240" },
    });
    await cliOk("network", "create", "tenant", "--provider-network-type", "vxlan");
    await cliOk("subnet", "create", "tenant-sub", "--network", "tenant", "--subnet-range", "10.7.0.0/24");
    await cliOk("router", "create", "r");
    await cliOk("router", "set", "r", "--external-gateway", "ext");
    await cliOk("router", "add", "subnet", "r", "tenant-sub");
    await cliOk("server", "create", "vm1", "--network", "tenant", "--host", "compute1");
    await cliOk("server", "create", "vm2", "--network", "tenant", "--host", "compute2");
    await cliOk("floating", "ip", "create", "ext", "--floating-ip-address", EXT.fip);
    await cliOk("server", "add", "floating", "ip", "vm2", EXT.fip);
    // The default group lets in only its own members, as Neutron's does: open what the outside sends.
    await cliOk("security", "group", "rule", "create", "--protocol", "icmp", "default");

    const router = await cliJson<{ id: string; host: string; status: string }>("router", "show", "r");
    expect(router).toMatchObject({ host: "network1", status: "ACTIVE" });
    routerId = router.id;
    for (const name of ["vm1", "vm2"] as const) {
      const server = await cliJson<{
        host: string;
        status: string;
        namespace: string;
        addresses: Record<string, string[]>;
      }>("server", "show", name);
      expect(server).toMatchObject({ host: name === "vm1" ? "compute1" : "compute2", status: "ACTIVE" });
      // Each instance's namespace carries its own host's prefix.
      expect(server.namespace.startsWith(host(server.host).prefix)).toBe(true);
      vm[name] = { namespace: server.namespace, ip: server.addresses.tenant?.[0] ?? "" };
    }
    const tenant = await cliJson<{ "provider:segmentation_id": number }>("network", "show", "tenant");
    vni = tenant["provider:segmentation_id"];
    expect(vni).toBeGreaterThan(0);
    const ext = await cliJson<{ id: string; uplink_namespace: string }>("network", "show", "ext");
    // The outside world lives on the first network node mapping `public`, in its agent's namespaces.
    expect(ext.uplink_namespace).toBe(namespaceNames.uplink(host("network1").prefix, ext.id));
    uplinkNs = ext.uplink_namespace;
  });

  it("pings vm1 -> vm2 across hosts, seen on the underlay as VXLAN between exactly compute1 and compute2", async () => {
    expect(await pingWithin(vm.vm1.namespace, vm.vm2.ip, 5)).toBe(true);
    // On every port of the underlay (a Linux bridge hands forwarded frames to none of its own device's taps).
    const capture = await startCapture(stack.lab.underlay, "any", ["udp", "port", "4789"]);
    expect(capture.error).toBeUndefined();
    expect(await pingOnce(vm.vm1.namespace, vm.vm2.ip)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await stopCapture(capture);
    const vxlan = capture.lines
      .map((line) => /IP (\S+)\.\d+ > (\S+)\.4789: VXLAN.* vni (\d+)/.exec(line))
      .filter((m) => m !== null)
      .map((m) => `${m[1]} > ${m[2]} vni ${m[3]}`);
    const [c1, c2] = [host("compute1").localIp, host("compute2").localIp];
    // The echo request and its reply, each way encapsulated with the network's VNI, and nothing the compute hosts
    // sent went to a network node. (The router's own broadcasts, from network1 to both, may cross meanwhile.)
    const fromComputes = vxlan.filter((line) => line.startsWith(`${c1} `) || line.startsWith(`${c2} `));
    expect(new Set(fromComputes)).toEqual(new Set([`${c1} > ${c2} vni ${vni}`, `${c2} > ${c1} vni ${vni}`]));
  });

  it("reaches vm2's floating IP from the outside through network1", async () => {
    expect(await pingWithin(uplinkNs, EXT.fip, 5)).toBe(true);
    expect(await namespacesWithPrefix(host("network1").prefix)).toContain(
      namespaceNames.router(host("network1").prefix, routerId),
    );
  });

  it("traces vm1 -> vm2 through compute1's br-int and br-tun, VXLAN with the network's VNI, compute2's br-tun to vm2, and back", async () => {
    const trace = await stack.cliJson<TraceResult>("trace", "--from", "vm1", "--to", "vm2");
    expect(trace.verdict, JSON.stringify(trace.diagnoses)).toBe("delivered");
    expect(trace.diagnoses).toEqual([]);
    const [c1, c2] = [host("compute1").localIp, host("compute2").localIp];
    expectCrossing(trace.forward, { from: "compute1", to: "compute2", remote: c2, local: c1 });
    expect(trace.forward[0]?.where).toMatchObject({ host: "compute1", namespace: vm.vm1.namespace });
    expect(trace.forward.at(-1)).toMatchObject({
      action: "delivered",
      where: { host: "compute2", namespace: vm.vm2.namespace },
    });
    // The reply the other way: from compute2's br-tun into the tunnel towards compute1.
    expectCrossing(trace.reply, { from: "compute2", to: "compute1", remote: c1, local: c2 });
    expect(trace.reply.at(-1)).toMatchObject({
      action: "delivered",
      where: { host: "compute1", namespace: vm.vm1.namespace },
    });
    // As printed: each hop with its host (both have a br-int and a br-tun).
    const printed = await stack.cliOk("trace", "--from", "vm1", "--to", "vm2");
    expect(printed).toMatch(
      new RegExp(`at compute2: br-tun -> br-int[^\n]* \\(in ${tunnelPortName(c1)}[,)]`),
    );
    expect(printed).toContain(`at compute1: ${vm.vm1.namespace} eth0`);
    expect(printed).toContain("verdict: DELIVERED");
  });

  it("traces the outside to vm2's floating IP through network1's router, then VXLAN to compute2", async () => {
    const trace = await stack.cliJson<TraceResult>("trace", "--from", EXT.gateway, "--to", EXT.fip);
    expect(trace.verdict, JSON.stringify(trace.diagnoses)).toBe("delivered");
    const routerNs = namespaceNames.router(host("network1").prefix, routerId);
    const dnat = trace.forward.find((h) => h.action === "dnat");
    expect(dnat?.where).toMatchObject({ host: "network1", namespace: routerNs });
    const [n1, c2] = [host("network1").localIp, host("compute2").localIp];
    expectCrossing(trace.forward, { from: "network1", to: "compute2", remote: c2, local: n1 });
    expect(trace.forward.at(-1)).toMatchObject({
      action: "delivered",
      where: { host: "compute2", namespace: vm.vm2.namespace },
    });
    // Back through the same router, un-NATed there, to the outside world on network1.
    expectCrossing(trace.reply, { from: "compute2", to: "network1", remote: n1, local: c2 });
    expect(trace.reply.some((h) => h.where.namespace === routerNs && h.where.host === "network1")).toBe(true);
    expect(trace.reply.at(-1)).toMatchObject({
      action: "delivered",
      where: { host: "network1", namespace: uplinkNs },
    });
  });

  it("traces vm1 on compute1 to the outside through network1's router, which SNATs it there, and back", async () => {
    const trace = await stack.cliJson<TraceResult>("trace", "--from", "vm1", "--to", EXT.gateway);
    expect(trace.verdict, JSON.stringify(trace.diagnoses)).toBe("delivered");
    expect(trace.diagnoses).toEqual([]);
    const routerNs = namespaceNames.router(host("network1").prefix, routerId);
    const snat = trace.forward.find((h) => h.action === "snat");
    expect(snat?.where).toMatchObject({ host: "network1", namespace: routerNs });
    const [c1, n1] = [host("compute1").localIp, host("network1").localIp];
    expectCrossing(trace.forward, { from: "compute1", to: "network1", remote: n1, local: c1 });
    expect(trace.forward.at(-1)).toMatchObject({
      action: "delivered",
      where: { host: "network1", namespace: uplinkNs },
    });
    expectCrossing(trace.reply, { from: "network1", to: "compute1", remote: c1, local: n1 });
    expect(trace.reply.at(-1)).toMatchObject({
      action: "delivered",
      where: { host: "compute1", namespace: vm.vm1.namespace },
    });
  });

  it("shows a member the same path across hosts, without hosts, tunnel addresses or VNIs", async () => {
    const admin = await stack.cliJson<TraceResult>("trace", "--from", "vm1", "--to", "vm2");
    const member = await memberTrace("vm1", "vm2");
    expect(member.code, member.stderr).toBe(0);
    const trace = JSON.parse(member.stdout) as TraceResult;
    expect(trace.verdict).toBe("delivered");
    expect(trace.forward.map((h) => h.action)).toEqual(admin.forward.map((h) => h.action));
    expect(trace.reply.map((h) => h.action)).toEqual(admin.reply.map((h) => h.action));
    expectHidden(member.stdout);
  });

  it("refuses a probe across hosts with a clear error rather than a wrong answer", async () => {
    const result = await stack.cli("trace", "--from", "vm1", "--to", "vm2", "--probe");
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("probes across hosts are not supported yet");
  });

  it("names tunnel-missing when compute1's VXLAN port towards compute2 is deleted by hand, until drift repair puts it back", async () => {
    const [c1, c2] = [host("compute1"), host("compute2")];
    const port = tunnelPortName(c2.localIp);
    await run("ovs-vsctl", [`--db=${c1.ovsdb}`, "del-port", "br-tun", port]);
    const dropped = await stack.cli("trace", "--from", "vm1", "--to", "vm2", "-f", "json");
    // As ping: a trace that is not delivered exits 3.
    expect(dropped.code, dropped.stderr).toBe(3);
    const trace = JSON.parse(dropped.stdout) as TraceResult;
    expect(trace.verdict).toBe("dropped");
    const missing = trace.diagnoses.find((d) => d.code === "tunnel-missing");
    expect(missing?.message).toContain(
      `host compute1 sends nothing into a VXLAN tunnel towards compute2 (${c2.localIp})`,
    );
    expect(missing?.fix).toContain("netlens drift repair --all");
    // The frame stops on compute1: compute2 never shows in the path.
    expect(trace.forward.map((h) => h.where.host)).not.toContain("compute2");
    // A member reads the same diagnosis in its own words.
    const member = await memberTrace("vm1", "vm2");
    expect(member.code).toBe(3);
    expect((JSON.parse(member.stdout) as TraceResult).diagnoses.map((d) => d.code)).toContain(
      "tunnel-missing",
    );
    expectHidden(member.stdout);

    await stack.cliOk("drift", "repair", "--all");
    await until("compute1's tunnel port towards compute2 to be back", async () => {
      const { stdout } = await run("ovs-vsctl", [`--db=${c1.ovsdb}`, "list-ports", "br-tun"]);
      return stdout.split("\n").includes(port) ? true : undefined;
    });
    const again = await stack.cliJson<TraceResult>("trace", "--from", "vm1", "--to", "vm2");
    expect(again.verdict, JSON.stringify(again.diagnoses)).toBe("delivered");
  });

  it("moves the router to network2 (router set --host), where the floating IP answers again", async () => {
    await stack.cliOk("router", "set", "r", "--host", "network2");
    expect(await stack.cliJson<{ host: string; status: string }>("router", "show", "r")).toMatchObject({
      host: "network2",
      status: "ACTIVE",
    });
    const [n1, n2] = [host("network1").prefix, host("network2").prefix];
    expect(await namespacesWithPrefix(n1)).not.toContain(namespaceNames.router(n1, routerId));
    expect(await namespacesWithPrefix(n2)).toContain(namespaceNames.router(n2, routerId));
    expect(await pingWithin(uplinkNs, EXT.fip, 10)).toBe(true);
    expect(await pingWithin(vm.vm1.namespace, EXT.gateway, 5)).toBe(true);
    // The path now crosses the flat external network between network1's outside world and network2's router:
    // out of network1's br-ex by its uplink onto the wire, untagged, into network2's br-ex by its own.
    const flat = await stack.cliJson<TraceResult>("trace", "--from", EXT.gateway, "--to", EXT.fip);
    expect(flat.verdict, JSON.stringify(flat.diagnoses)).toBe("delivered");
    expectWire(flat.forward, { from: "network1", to: "network2", tag: "untagged (flat)" });
    // The reply's receiver is the outside world's own port, on network1's br-ex itself.
    expectWire(flat.reply, {
      from: "network2",
      to: "network1",
      tag: "untagged (flat)",
      intoIntegration: false,
    });
    expect(flat.forward.some((h) => h.where.namespace === namespaceNames.router(n2, routerId))).toBe(true);
  });
});

describe("provider networks across compute hosts, each through its own bridge mapping", () => {
  const SEGMENT = 2101;
  type Probe = { namespace: string; ip: string };
  type ServerRow = { host: string; status: string; namespace: string; addresses: Record<string, string[]> };

  /** Servers `names` on `network`, the first on compute1, the second on compute2, each ACTIVE there. */
  async function serversAcross(network: string, names: [string, string]): Promise<[Probe, Probe]> {
    const probes: Probe[] = [];
    for (const [i, name] of names.entries()) {
      const on = i === 0 ? "compute1" : "compute2";
      await stack.cliOk("server", "create", name, "--network", network, "--host", on);
      const server = await stack.cliJson<ServerRow>("server", "show", name);
      expect(server).toMatchObject({ host: on, status: "ACTIVE" });
      probes.push({ namespace: server.namespace, ip: server.addresses[network]?.[0] ?? "" });
    }
    const [a, b] = probes;
    if (a === undefined || b === undefined) throw new Error("two servers were made");
    return [a, b];
  }

  /** `ovs-ofctl dump-flows` of our cookie on a lab host's bridge, port names unquoted. */
  async function flows(name: string, bridge: string): Promise<string> {
    const mgmt = `unix:${host(name).runDir}/${bridge}.mgmt`;
    const args = ["--names", "--no-stats", "dump-flows", mgmt, "cookie=0x4e4c/-1"];
    return (await run("ovs-ofctl", args)).stdout.replaceAll('"', "");
  }

  /**
   * One ping from `from` to `to` while capturing, in the underlay, each compute host's port on the `public` wire
   * (`p-<host>`, with link-level headers) and VXLAN anywhere: what each saw.
   */
  async function pingCaptured(from: Probe, to: Probe) {
    const wire = await Promise.all(
      ["compute1", "compute2"].map((name) =>
        startCapture(stack.lab.underlay, `p-${name}`, ["-e", "icmp", "or", "(vlan", "and", "icmp)"]),
      ),
    );
    const vxlan = await startCapture(stack.lab.underlay, "any", ["udp", "port", "4789"]);
    for (const capture of [...wire, vxlan]) expect(capture.error).toBeUndefined();
    expect(await pingOnce(from.namespace, to.ip)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const capture of [...wire, vxlan]) await stopCapture(capture);
    return { wire: wire.map((c) => c.lines), vxlan: vxlan.lines };
  }

  /** VXLAN packets a compute host sent (the outer source is its tunnel address; `-i any` names the device first). */
  const fromComputes = (lines: string[]) => {
    const computes = new Set([host("compute1").localIp, host("compute2").localIp]);
    return lines.filter((line) => {
      const outer = /IP (\S+)\.\d+ > \S+\.4789: VXLAN/.exec(line);
      return outer !== null && computes.has(outer[1] ?? "");
    });
  };

  it("registers every host's own bridge for `public`: br-prov on compute2, br-ex elsewhere", async () => {
    const rows = await stack.cliJson<{ host: string; bridge_mappings: Record<string, string> }[]>(
      "host",
      "list",
    );
    expect(Object.fromEntries(rows.map((r) => [r.host, r.bridge_mappings]))).toEqual({
      compute1: { public: "br-ex" },
      compute2: { public: "br-prov" },
      network1: { public: "br-ex" },
      network2: { public: "br-ex" },
    });
  });

  it("pings across compute hosts on a vlan network: 802.1Q with its segment on the wire, no VXLAN", async () => {
    await stack.cliOk(
      "network",
      "create",
      "prov-vlan",
      "--provider-network-type",
      "vlan",
      "--provider-physical-network",
      "public",
      "--provider-segment",
      String(SEGMENT),
    );
    await stack.cliOk(
      "subnet",
      "create",
      "prov-vlan-sub",
      "--network",
      "prov-vlan",
      "--subnet-range",
      "10.21.0.0/24",
    );
    // Both took their address by DHCP, from the server on a network node across the same wire.
    const [a, b] = await serversAcross("prov-vlan", ["pv1", "pv2"]);
    expect(await pingWithin(a.namespace, b.ip, 10)).toBe(true);

    // Each host translates its own local VLAN to the segment, on its own bridge for `public`.
    expect(await flows("compute1", "br-ex")).toMatch(
      new RegExp(`in_port=phy-br-ex,dl_vlan=\\d+ actions=mod_vlan_vid:${SEGMENT},NORMAL`),
    );
    expect(await flows("compute2", "br-prov")).toMatch(
      new RegExp(`in_port=phy-br-prov,dl_vlan=\\d+ actions=mod_vlan_vid:${SEGMENT},NORMAL`),
    );
    expect(await flows("compute2", "br-int")).toMatch(
      new RegExp(`in_port=int-br-prov,dl_vlan=${SEGMENT} actions=mod_vlan_vid:\\d+`),
    );

    const seen = await pingCaptured(a, b);
    const tagged = (lines: string[], src: string, dst: string, what: string) =>
      lines.some((l) => l.includes(`vlan ${SEGMENT},`) && l.includes(`${src} > ${dst}: ICMP echo ${what}`));
    // The request and its reply, tagged with the segment, on both compute hosts' ports of the wire.
    for (const lines of seen.wire) {
      expect(tagged(lines, a.ip, b.ip, "request"), lines.join("\n")).toBe(true);
      expect(tagged(lines, b.ip, a.ip, "reply"), lines.join("\n")).toBe(true);
    }
    expect(fromComputes(seen.vxlan)).toEqual([]);
    expect(seen.vxlan.join("\n")).not.toContain(a.ip);

    // The same captures see the vxlan network's ping between the same hosts as VXLAN, and not on the wire.
    const tunnelled = await pingCaptured(vm.vm1, vm.vm2);
    expect(fromComputes(tunnelled.vxlan).length).toBeGreaterThanOrEqual(2);
    expect(tunnelled.wire.flat().join("\n")).not.toContain(vm.vm1.ip);
  });

  it("traces pv1 -> pv2 across the wire: each host's hops, the segment named where the frame crosses", async () => {
    const trace = await stack.cliJson<TraceResult>("trace", "--from", "pv1", "--to", "pv2");
    expect(trace.verdict, JSON.stringify(trace.diagnoses)).toBe("delivered");
    expectWire(trace.forward, { from: "compute1", to: "compute2", tag: `VLAN ${SEGMENT}` });
    expectWire(trace.reply, { from: "compute2", to: "compute1", tag: `VLAN ${SEGMENT}` });
    expect(trace.forward.find((h) => h.decided_by.text.startsWith("onto physical network"))?.vlan).toBe(
      SEGMENT,
    );
    const member = await memberTrace("pv1", "pv2");
    expect(member.code, member.stderr).toBe(0);
    expect((JSON.parse(member.stdout) as TraceResult).verdict).toBe("delivered");
    expectHidden(member.stdout);
    for (const word of ["br-ex", "br-prov", "public0", "VLAN", String(SEGMENT)])
      expect(member.stdout, word).not.toContain(word);
  });

  it("pings across compute hosts on the flat network: untagged on the wire, no VXLAN", async () => {
    const [a, b] = await serversAcross("ext", ["pf1", "pf2"]);
    expect(await pingWithin(a.namespace, b.ip, 10)).toBe(true);
    const seen = await pingCaptured(a, b);
    const untagged = (lines: string[], src: string, dst: string, what: string) =>
      lines.some(
        (l) =>
          /ethertype IPv4 \(0x0800\)/.test(l) &&
          !l.includes("802.1Q") &&
          l.includes(`${src} > ${dst}: ICMP echo ${what}`),
      );
    for (const lines of seen.wire) {
      expect(untagged(lines, a.ip, b.ip, "request"), lines.join("\n")).toBe(true);
      expect(untagged(lines, b.ip, a.ip, "reply"), lines.join("\n")).toBe(true);
    }
    expect(fromComputes(seen.vxlan)).toEqual([]);
  });
});

/**
 * The VXLAN hop of a trace across hosts: the last hop on `from` leaves its br-tun by the port towards `remote`
 * with the network's VNI, and the next, on `to`, comes in by `to`'s port towards `local`.
 */
function expectCrossing(hops: Hop[], o: { from: string; to: string; remote: string; local: string }) {
  const at = hops.findIndex((h) => h.decided_by.text.startsWith("VXLAN to"));
  expect(at, JSON.stringify(hops.map((h) => [h.where.host, h.action]))).toBeGreaterThan(0);
  const tunnel = hops[at];
  expect(tunnel?.where).toMatchObject({
    host: o.from,
    bridge: "br-tun",
    interface: tunnelPortName(o.remote),
  });
  expect(tunnel?.decided_by.text).toContain(
    `VXLAN to ${o.remote} (VNI ${vni}) from ${o.local}: host ${o.from} -> host ${o.to}`,
  );
  // Before it, the sender's frame into `from`'s br-int (ofproto/trace lists the bridges a flood visits too);
  // after it, `to`'s br-tun from its tunnel port into its br-int.
  expect(hops[at - 1]?.where.host).toBe(o.from);
  expect(hops[at - 1]?.where.bridge).toMatch(/^br-int\b/);
  const into = hops[at + 1];
  expect(into).toMatchObject({
    action: "switched",
    where: { host: o.to, interface: tunnelPortName(o.local) },
  });
  expect(into?.where.bridge).toMatch(/^br-tun -> br-int\b/);
  // Every hop before is on `from`, every one after on `to` (until the path leaves it again).
  expect(hops.slice(0, at + 1).every((h) => h.where.host === o.from)).toBe(true);
}

/**
 * The wire hop of a trace across hosts over a provider network: it leaves `from`'s bridge for `public` by its
 * uplink with `tag`; the next hop, on `to`, comes in by `to`'s uplink into its own bridge for `public`, then
 * its br-int (unless `intoIntegration` is false: a receiver on the bridge for `public` itself).
 */
function expectWire(hops: Hop[], o: { from: string; to: string; tag: string; intoIntegration?: boolean }) {
  const at = hops.findIndex((h) => h.decided_by.text.startsWith("onto physical network"));
  expect(at, JSON.stringify(hops.map((h) => [h.where.host, h.action, h.decided_by.text]))).toBeGreaterThan(0);
  expect(hops[at]?.where).toMatchObject({
    host: o.from,
    bridge: host(o.from).publicBridge,
    interface: "public0",
  });
  expect(hops[at]?.decided_by.text).toBe(
    `onto physical network public, ${o.tag}: host ${o.from} -> host ${o.to}`,
  );
  expect(hops[at + 1]).toMatchObject({ action: "switched", where: { host: o.to, interface: "public0" } });
  const into = host(o.to).publicBridge;
  expect(hops[at + 1]?.where.bridge).toMatch(
    new RegExp(o.intoIntegration === false ? `^${into}$` : `^${into} -> br-int\\b`),
  );
  // Before it, the frame into `from`'s bridges from the sender's OVS port.
  expect(hops[at - 1]?.where.host).toBe(o.from);
}

let memberToken: string | undefined;

/** `netlens trace --from FROM --to TO -f json` with the token of a member of the project the lab was built in. */
async function memberTrace(from: string, to: string) {
  if (memberToken === undefined) {
    const member = await testUser(stack.api.services, "lab-tenant", "admin", "member");
    memberToken = (await member.caller.token.issue({ name: "lab trace" })).token;
  }
  return stack.cliAs(memberToken, "trace", "--from", from, "--to", to, "-f", "json");
}

/** What a member's trace never shows of the hosts it crosses. */
function expectHidden(printed: string) {
  const words = [
    ...stack.hosts.flatMap((h) => [h.name, h.localIp, h.prefix]),
    "vxlan-",
    "VNI",
    "br-tun",
    "br-int",
    "drift repair",
  ];
  for (const word of words) expect(printed, word).not.toContain(word);
}
