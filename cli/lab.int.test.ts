// The several-host lab end to end, through the `netlens` command: four lab hosts (network1, network2, compute1,
// compute2: each a namespace with its own OVS and tunnel address on an underlay of their own) with an agent
// process each, the API dialing them all. vm1 on compute1 pings vm2 on compute2 with VXLAN on the underlay
// between exactly those two hosts and the network's VNI; the outside reaches vm2's floating IP through the
// network node holding the router; the router moved to the other network node answers there again.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
  stack = await startLabStack(["compute1", "compute2", "network1", "network2"]);
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
