// The several-host lab end to end, through the `netlens` command: four lab hosts (network1, network2, compute1,
// compute2: each a namespace with its own OVS and tunnel address on an underlay of their own) with an agent
// process each, the API dialing them all. vm1 on compute1 pings vm2 on compute2 with VXLAN on the underlay
// between exactly those two hosts and the network's VNI; the outside reaches vm2's floating IP through the
// network node holding the router; the router moved to the other network node answers there again. Every host
// maps the physical network `public` (compute2 to a bridge of its own name): servers on compute1 and compute2 on a
// vlan and on a flat network reach each other over that wire, tagged with the segment and untagged, not by VXLAN.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../agent/host/exec";
import { startCapture, stopCapture } from "../agent/host/tcpdump";
import { namespacesWithPrefix, pingOnce, pingWithin } from "../agent/testing/host";
import { namespaceNames } from "../lib/names";
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
    await cliOk(
      "network",
      "create",
      "ext",
      "--external",
      "--provider-network-type",
      "flat",
      "--provider-physical-network",
      "public",
    );
    await cliOk(
      "subnet",
      "create",
      "ext-sub",
      "--network",
      "ext",
      "--subnet-range",
      EXT.cidr,
      "--gateway",
      EXT.gateway,
      "--allocation-pool",
      "start=198.51.100.210,end=198.51.100.240",
      "--no-dhcp",
    );
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
