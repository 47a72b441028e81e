// Network MTUs end to end on a real agent (real OVS, namespaces, dnsmasq, busybox udhcpc): a network created
// with `--mtu 1400` gives 1400 to every device the agent makes on it (probes' eth0, the router's qr-, the DHCP
// port, and their veth peers) and a DHCP client gets 1400 (option 26); `network set --mtu` changes them in place
// (same devices, same dnsmasq); bad MTUs are refused by name and change nothing; an instance whose MTU is changed
// by hand is named by the trace (mtu-mismatch), and the DF probe of the path's MTU really dies there.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../agent/host/exec";
import { requestLease } from "../agent/host/udhcpc";
import { deviceNames, namespaceNames } from "../lib/names";
import type { TraceResult } from "../lib/schemas/trace";
import { type Stack, startStack } from "./testing/stack";

let stack: Stack;

type ServerShow = { id: string; namespace: string; port_id: string; addresses: Record<string, string[]> };
type NetworkShow = { id: string; mtu: number };

/** A device's MTU and ifindex (the same device keeps its ifindex; a re-created one gets a new one). */
type Link = { mtu: number; ifindex: number };

async function link(ns: string | null, dev: string): Promise<Link> {
  const args = [...(ns === null ? [] : ["-n", ns]), "-json", "link", "show", "dev", dev];
  const [shown] = JSON.parse((await run("ip", args)).stdout) as Link[];
  if (shown === undefined) throw new Error(`no device ${dev} in ${ns ?? "the root namespace"}`);
  return { mtu: shown.mtu, ifindex: shown.ifindex };
}

/** Every device the agent made on the network, both ends of each veth: name -> MTU and ifindex. */
async function devices(): Promise<Record<string, Link>> {
  const c = stack.api.caller;
  const network = await c.network.show({ id: "mtu-net" });
  const ports = (await c.port.list(undefined)).filter((p) => p.network_id === network.id);
  const byOwner = (owner: string) => {
    const port = ports.find((p) => p.device_owner === owner);
    if (!port) throw new Error(`no ${owner} port on mtu-net`);
    return port;
  };
  const qr = byOwner("network:router_interface");
  const dhcp = byOwner("network:dhcp");
  const router = await c.router.show({ id: "mtu-router" });
  const found: Record<string, Link> = {};
  for (const vm of ["mtu-vm1", "mtu-vm2"]) {
    const server = await c.server.show({ id: vm });
    found[`${vm} eth0`] = await link(server.namespace ?? "", "eth0");
    found[`${vm} tap`] = await link(null, deviceNames.tap(server.port_id));
  }
  found.qr = await link(namespaceNames.router(stack.prefix, router.id), deviceNames.routerInterface(qr.id));
  found["qr tap"] = await link(null, deviceNames.tap(qr.id));
  found.dhcp = await link(namespaceNames.dhcp(stack.prefix, network.id), deviceNames.dhcpInside(dhcp.id));
  found["dhcp tap"] = await link(null, deviceNames.tap(dhcp.id));
  return found;
}

const mtus = (found: Record<string, Link>) =>
  Object.fromEntries(Object.entries(found).map(([k, v]) => [k, v.mtu]));
const everyDevice = (mtu: number) =>
  Object.fromEntries(
    ["mtu-vm1 eth0", "mtu-vm1 tap", "mtu-vm2 eth0", "mtu-vm2 tap", "qr", "qr tap", "dhcp", "dhcp tap"].map(
      (k) => [k, mtu],
    ),
  );

/** The pids running in the network's DHCP namespace (its dnsmasq). */
async function dhcpPids(): Promise<string> {
  const network = await stack.api.caller.network.show({ id: "mtu-net" });
  return (await run("ip", ["netns", "pids", namespaceNames.dhcp(stack.prefix, network.id)])).stdout.trim();
}

/** One ping of `size` bytes (IP packet), Don't Fragment set: does it come back? */
async function dfPing(ns: string, address: string, size: number): Promise<boolean> {
  const args = ["netns", "exec", ns, "ping", "-n", "-c", "1", "-W", "2", "-M", "do", "-s", String(size - 28)];
  return (await run("ip", [...args, address], { allowFailure: true })).code === 0;
}

let vm1: ServerShow;
let vm2: ServerShow;

beforeAll(async () => {
  stack = await startStack();
  await stack.cliOk("network", "create", "mtu-net", "--mtu", "1400");
  await stack.cliOk(
    "subnet",
    "create",
    "mtu-subnet",
    "--network",
    "mtu-net",
    "--subnet-range",
    "10.62.0.0/24",
  );
  await stack.cliOk("router", "create", "mtu-router");
  await stack.cliOk("router", "add", "subnet", "mtu-router", "mtu-subnet");
  await stack.cliOk("server", "create", "mtu-vm1", "--network", "mtu-net");
  await stack.cliOk("server", "create", "mtu-vm2", "--network", "mtu-net");
  vm1 = await stack.cliJson<ServerShow>("server", "show", "mtu-vm1");
  vm2 = await stack.cliJson<ServerShow>("server", "show", "mtu-vm2");
}, 120_000);
afterAll(async () => {
  await stack?.stop();
});

describe("network MTU on the host", { timeout: 120_000 }, () => {
  it("gives --mtu 1400 to every device on the network, and DHCP hands out 1400 (option 26)", async () => {
    expect((await stack.cliJson<NetworkShow>("network", "show", "mtu-net")).mtu).toBe(1400);
    expect(mtus(await devices())).toEqual(everyDevice(1400));
    const lease = await requestLease(vm1.namespace, "eth0");
    expect(lease.mtu).toBe(1400);
    expect(lease.address).toBe(`${vm1.addresses["mtu-net"]?.[0]}/24`);
    // A full-size packet crosses, Don't Fragment set; one byte more cannot leave.
    const to = vm2.addresses["mtu-net"]?.[0] ?? "";
    expect(await dfPing(vm1.namespace, to, 1400)).toBe(true);
    expect(await dfPing(vm1.namespace, to, 1401)).toBe(false);
  });

  it("changes them in place when the network's MTU changes: same devices, same dnsmasq, the new MTU leased", async () => {
    const before = await devices();
    const dnsmasq = await dhcpPids();
    expect(dnsmasq).not.toBe("");
    await stack.cliOk("network", "set", "mtu-net", "--mtu", "1300");
    const after = await devices();
    expect(mtus(after)).toEqual(everyDevice(1300));
    for (const [name, dev] of Object.entries(after)) expect(dev.ifindex, name).toBe(before[name]?.ifindex);
    expect(await dhcpPids()).toBe(dnsmasq);
    expect((await requestLease(vm2.namespace, "eth0")).mtu).toBe(1300);
  });

  it("refuses an MTU below 68 or above the network's maximum, by name, changing nothing", async () => {
    const cases: [string[], string][] = [
      [["network", "create", "mtu-bad", "--mtu", "67"], "Requested MTU is too small, minimum is 68"],
      [["network", "create", "mtu-bad", "--mtu", "1451"], "Requested MTU is too big, maximum is 1450"],
      [
        [
          "network",
          "create",
          "mtu-bad",
          "--provider-network-type",
          "flat",
          "--provider-physical-network",
          "public",
          "--mtu",
          "1501",
        ],
        "Requested MTU is too big, maximum is 1500",
      ],
      [["network", "set", "mtu-net", "--mtu", "1451"], "Requested MTU is too big, maximum is 1450"],
      [["network", "set", "mtu-net", "--mtu", "40"], "Requested MTU is too small, minimum is 68"],
    ];
    for (const [args, message] of cases) {
      const result = await stack.cli(...args);
      expect(result.code, args.join(" ")).not.toBe(0);
      expect(result.stderr).toContain(message);
    }
    const names = (await stack.api.caller.network.list(undefined)).map((n) => n.name);
    expect(names).not.toContain("mtu-bad");
    expect((await stack.cliJson<NetworkShow>("network", "show", "mtu-net")).mtu).toBe(1300);
    expect(mtus(await devices())).toEqual(everyDevice(1300));
  });
});

describe("trace: mtu-mismatch", { timeout: 120_000 }, () => {
  const trace = (probe: boolean) =>
    stack.api.caller.trace.run({ from: "mtu-vm1", to: "mtu-vm2", probe }) as Promise<TraceResult>;

  it("names an instance whose MTU was changed by hand, and the DF probe of the path's MTU dies there", async () => {
    const healthy = await trace(true);
    expect(healthy.verdict, JSON.stringify(healthy, null, 2)).toBe("delivered");
    expect(healthy.probe?.detail).toBe("echo reply (1300 bytes, Don't Fragment)");
    expect(healthy.diagnoses).toEqual([]);

    await run("ip", ["-n", vm2.namespace, "link", "set", "eth0", "mtu", "1200"]);
    try {
      const explained = await trace(false);
      const mismatch = explained.diagnoses.find((d) => d.code === "mtu-mismatch");
      expect(mismatch, JSON.stringify(explained.diagnoses, null, 2)).toMatchObject({
        hop: `forward[${explained.forward.length - 1}]`,
        message: expect.stringMatching(
          /^eth0 of instance mtu-vm2 has MTU 1200, but its network mtu-net has MTU 1300: packets of 1201 to 1300 bytes/,
        ),
        fix: expect.stringContaining(`ip netns exec ${vm2.namespace} ip link set eth0 mtu 1300`),
      });
      expect(mismatch?.fix).toContain("netlens network set mtu-net --mtu 1200");

      const probed = await trace(true);
      expect(probed.verdict).toBe("dropped");
      expect(probed.probe?.result).toBe("timeout");
      expect(probed.diagnoses.map((d) => d.code)).toEqual(["mtu-mismatch", "probe-lost"]);
      // Seen on the bridge side, never inside the instance: the veth dropped it.
      expect(probed.forward.at(-1)?.probe?.seen).toBe(false);
    } finally {
      await run("ip", ["-n", vm2.namespace, "link", "set", "eth0", "mtu", "1300"]);
    }
    expect((await trace(true)).verdict).toBe("delivered");
  });

  it("names a router's qr- device whose MTU was changed by hand", async () => {
    const router = await stack.api.caller.router.show({ id: "mtu-router" });
    const network = await stack.api.caller.network.show({ id: "mtu-net" });
    const qrPort = (await stack.api.caller.port.list(undefined)).find(
      (p) => p.network_id === network.id && p.device_owner === "network:router_interface",
    );
    const ns = namespaceNames.router(stack.prefix, router.id);
    const qr = deviceNames.routerInterface(qrPort?.id ?? "");
    const toRouter = (probe: boolean) =>
      stack.api.caller.trace.run({ from: "mtu-vm1", to: "mtu-router", probe }) as Promise<TraceResult>;
    expect((await toRouter(true)).diagnoses).toEqual([]);
    await run("ip", ["-n", ns, "link", "set", qr, "mtu", "1250"]);
    try {
      const probed = await toRouter(true);
      expect(probed.verdict).toBe("dropped");
      const mismatch = probed.diagnoses.find((d) => d.code === "mtu-mismatch");
      expect(mismatch?.message, JSON.stringify(probed.diagnoses, null, 2)).toMatch(
        new RegExp(`^${qr} of router mtu-router has MTU 1250, but its network mtu-net has MTU 1300`),
      );
      expect(mismatch?.fix).toContain(`ip netns exec ${ns} ip link set ${qr} mtu 1300`);
    } finally {
      await run("ip", ["-n", ns, "link", "set", qr, "mtu", "1300"]);
    }
  });
});
