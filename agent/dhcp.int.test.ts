// A network's DHCP server against real OVS, real namespaces and Debian's dnsmasq, asked by a real DHCP client
// (busybox udhcpc) in a namespace plugged by hand on the integration bridge the way Nova plugs a VM (a veth
// whose MAC is the port's, the other end on br-int with the network's local VLAN): it gets the port's address,
// the gateway, the MTU and the host routes; a host route added later reaches the renewed lease while dnsmasq
// keeps running (same pid); a dnsmasq killed by hand is drift that only a repair restarts; DHCP disabled: no
// lease, and the qdhcp namespace and its files gone.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { namespaceNames } from "../lib/names";
import { type Agent, createAgent } from "./agent";
import type { HostIntent, IntentDhcp, IntentInstance } from "./contract/intent";
import { run } from "./host/exec";
import { dhcpPaths } from "./plan/dhcp";
import { dhcpClient, labDhcp } from "./testing/dhcp";
import { namespacesWithPrefix, nsExec, type Sandbox, startSandbox } from "./testing/host";
import { ids } from "./testing/intent";

const tag = randomBytes(2).toString("hex");
const prefix = `h${tag}-`;
const intBridge = `h${tag}-int`;
const dhcpNs = namespaceNames.dhcp(prefix, ids.tenant);
/** The workload: a namespace of the test's, named with its prefix so that the cleanup finds it. */
const clientNs = `${prefix}client`;
const clientTap = `h${tag}c0`;
const datapathType = (process.env.NETLENS_TEST_DATAPATH ?? "dummy") as "dummy" | "netdev";
const logger = pino({ level: process.env.NETLENS_TEST_LOG ?? "silent" });

let sandbox: Sandbox | undefined;
let agent: Agent | undefined;
let stateDir = "";
let leases = "";
let client: ChildProcess | undefined;

function need(): Agent {
  if (agent === undefined) throw new Error("agent not started");
  return agent;
}

let revision = 0;
const next = () => ++revision;

/** A lab probe on the tenant network, on a DHCP subnet: it asks for its address as a VM would. */
const probe: IntentInstance = {
  id: "d0000000-0000-4000-8000-000000000007",
  port_id: "c7000000-0000-4000-8000-000000000007",
  network_id: ids.tenant,
  mac_address: "fa:16:3e:00:00:07",
  ip_address: "10.0.0.7",
  prefixlen: 24,
  gateway_ip: "10.0.0.1",
  host_routes: [{ destination: "192.168.50.0/24", nexthop: "10.0.0.254" }],
  mtu: 1450,
  dhcp: true,
};
const probeNs = namespaceNames.instance(prefix, probe.port_id);

function intent(
  revision: number,
  dhcp: IntentDhcp[],
  repair?: HostIntent["repair"],
  instances: IntentInstance[] = [],
): HostIntent {
  return {
    revision,
    networks: [
      { id: ids.tenant, network_type: "vxlan", physical_network: null, segmentation_id: 1001, mtu: 1450 },
    ],
    routers: [],
    instances,
    uplinks: [],
    dhcp,
    ...(repair === undefined ? {} : { repair }),
  };
}

/** The lab's DHCP server once its subnet has a DNS server and a host route. */
function withRoute(): IntentDhcp {
  const dhcp = labDhcp();
  return {
    ...dhcp,
    subnets: dhcp.subnets.map((s) => ({
      ...s,
      dns_nameservers: ["192.0.2.53"],
      host_routes: [{ destination: "192.168.50.0/24", nexthop: "10.0.0.254" }],
    })),
  };
}

const paths = () => dhcpPaths(join(stateDir, "dhcp"), ids.tenant);
const dnsmasqPid = async () => Number((await readFile(paths().pid, "utf8")).trim());
/** Running: a dnsmasq killed stays a zombie until whoever adopted it reaps it, which is no DHCP server. */
async function alive(pid: number): Promise<boolean> {
  try {
    return !/^\d+ \(.*\) [ZX]/.test(await readFile(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

/** udhcpc's script: the lease's address on eth0 (renewals are unicast from it), its variables to `<event>`. */
const script = `#!/bin/sh
# What udhcpc learned, kept for the test; the address is set so that a renewal can be sent from it.
case "$1" in
  bound|renew) ip addr replace "$ip/$mask" dev "$interface" ;;
  deconfig) ip addr flush dev "$interface" ;;
esac
env > "$LEASE_DIR/$1.tmp" && mv "$LEASE_DIR/$1.tmp" "$LEASE_DIR/$1"
`;

const clientArgs = [
  "busybox",
  "udhcpc",
  "-i",
  "eth0",
  "-s",
  "",
  "-O",
  "mtu",
  "-O",
  "staticroutes",
  "-T",
  "1",
];

function withScript(args: string[]): string[] {
  return args.map((a, i) => (args[i - 1] === "-s" ? join(leases, "script") : a));
}

/** The lease's variables as udhcpc handed them to the script for `event`, once it has. */
async function lease(event: "bound" | "renew", timeoutMs = 10_000): Promise<Record<string, string>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const text = await readFile(join(leases, event), "utf8");
      return Object.fromEntries(
        text
          .split("\n")
          .map((line) => /^([a-z_]+)=(.*)$/.exec(line))
          .flatMap((m) => (m?.[1] !== undefined ? [[m[1], m[2] ?? ""]] : [])),
      );
    } catch {
      if (Date.now() > deadline) throw new Error(`no DHCP ${event} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

async function dhcpTag(): Promise<string> {
  if (sandbox === undefined) throw new Error("no sandbox");
  const tap = `tap${labDhcp().port_id.slice(0, 11)}`;
  return (await run("ovs-vsctl", [`--db=${sandbox.db}`, "get", "Port", tap, "tag"])).stdout.trim();
}

afterAll(async () => {
  client?.kill("SIGKILL");
  try {
    if (agent !== undefined) {
      expect((await agent.cleanup()).errors).toEqual([]);
      await agent.close();
    }
  } finally {
    for (const ns of await namespacesWithPrefix(prefix))
      await run("ip", ["netns", "del", ns], { allowFailure: true });
    await sandbox?.stop();
  }
});

beforeAll(async () => {
  sandbox = await startSandbox(`dhcp-${tag}`);
  stateDir = join(sandbox.dir, "agent");
  leases = join(sandbox.dir, "leases");
  await mkdir(leases);
  await writeFile(join(leases, "script"), script, { mode: 0o755 });
  agent = await createAgent(
    { ovsdb: sandbox.db, integrationBridge: intBridge, datapathType, prefix, stateDir },
    logger,
  );
});

describe("DHCP on a real host", () => {
  it("makes the qdhcp namespace with the port's address and dnsmasq running as the DHCP agent runs it", async () => {
    const result = await need().apply(intent(next(), [labDhcp()]));
    expect(result.errors).toEqual([]);
    const { stdout } = await nsExec(dhcpNs, ["ip", "-json", "addr", "show", "dev", "ns-c5000000-00"]);
    const [link] = JSON.parse(stdout) as { address: string; mtu: number; addr_info: { local: string }[] }[];
    expect(link?.address).toBe("fa:16:3e:00:00:06");
    expect(link?.mtu).toBe(1450);
    expect(link?.addr_info.map((a) => a.local)).toContain("10.0.0.2");
    const cmdline = (await readFile(`/proc/${await dnsmasqPid()}/cmdline`, "utf8")).split("\0");
    expect(cmdline).toContain("--interface=ns-c5000000-00");
    expect(cmdline).toContain("--leasefile-ro");
    expect(await readFile(paths().host, "utf8")).toContain(
      "fa:16:3e:00:00:05,host-10-0-0-5.openstacklocal,10.0.0.5",
    );
    // Applied again: nothing to do, the same dnsmasq.
    const pid = await dnsmasqPid();
    expect((await need().apply(intent(next(), [labDhcp()]))).changes).toBe(0);
    expect(await dnsmasqPid()).toBe(pid);
  });

  it("gives a workload plugged by hand its address, gateway, MTU and hostname", async () => {
    // As Nova plugs a VM: a veth whose MAC is the port's, its other end on br-int with the network's VLAN.
    await run("ip", ["netns", "add", clientNs]);
    await run("ip", ["link", "add", clientTap, "type", "veth", "peer", "name", "eth0", "netns", clientNs]);
    await nsExec(clientNs, ["ip", "link", "set", "eth0", "address", dhcpClient.mac_address, "up"]);
    await run("ip", ["link", "set", clientTap, "up"]);
    if (sandbox === undefined) throw new Error("no sandbox");
    await run("ovs-vsctl", [
      `--db=${sandbox.db}`,
      "add-port",
      intBridge,
      clientTap,
      `tag=${await dhcpTag()}`,
    ]);

    client = spawn("ip", ["netns", "exec", clientNs, ...withScript(clientArgs), "-f", "-t", "10"], {
      env: { ...process.env, LEASE_DIR: leases },
      stdio: "ignore",
    });
    const bound = await lease("bound");
    expect(bound).toMatchObject({
      ip: "10.0.0.5",
      mask: "24",
      router: "10.0.0.1",
      mtu: "1450",
      serverid: "10.0.0.2",
      hostname: "host-10-0-0-5",
      domain: "openstacklocal",
      lease: "86400",
    });
    expect(bound.staticroutes).toBeUndefined();
  });

  it("hands a host route and DNS servers added later to the renewed lease, reloading dnsmasq (same pid)", async () => {
    const pid = await dnsmasqPid();
    const result = await need().apply(intent(next(), [withRoute()]));
    expect(result.errors).toEqual([]);
    expect(await dnsmasqPid()).toBe(pid);
    expect(await alive(pid)).toBe(true);
    // SIGUSR1: udhcpc renews now rather than at half the lease.
    client?.kill("SIGUSR1");
    const renewed = await lease("renew");
    expect(renewed).toMatchObject({ ip: "10.0.0.5", router: "10.0.0.1", dns: "192.0.2.53", mtu: "1450" });
    expect(renewed.staticroutes).toBe("192.168.50.0/24 10.0.0.254 0.0.0.0/0 10.0.0.1");
    expect(await dnsmasqPid()).toBe(pid);
    // Inspection shows the server: running with that pid, its files, the renewal in its log.
    const section = (await need().monitor.snapshot()).sections[`netns/${dhcpNs}/dhcp`];
    expect(section).toMatchObject({ kind: "dhcp", network_id: ids.tenant, running: true, pid });
    if (section?.kind !== "dhcp") throw new Error("no dhcp section");
    expect(section.opts).toContain(
      "option:classless-static-route,192.168.50.0/24,10.0.0.254,0.0.0.0/0,10.0.0.1",
    );
    expect(section.hosts).toContain("fa:16:3e:00:00:05,host-10-0-0-5.openstacklocal,10.0.0.5");
    expect(section.log.join("\n")).toContain(
      "DHCPACK(ns-c5000000-00) 10.0.0.5 fa:16:3e:00:00:05 host-10-0-0-5",
    );
  });

  it("leases the address of a port that went to the next port given it (another MAC), as a VM reusing it", async () => {
    // The workload's port is deleted and its address given to a new port: dnsmasq still holds the old lease.
    client?.kill("SIGKILL");
    await rm(join(leases, "bound"), { force: true });
    const reused = { ...dhcpClient, mac_address: "fa:16:3e:00:00:55" };
    const hosts = withRoute().hosts.map((h) => (h.ip_address === dhcpClient.ip_address ? reused : h));
    expect((await need().apply(intent(next(), [{ ...withRoute(), hosts }]))).errors).toEqual([]);
    await nsExec(clientNs, ["ip", "addr", "flush", "dev", "eth0"]);
    await nsExec(clientNs, ["ip", "link", "set", "eth0", "address", reused.mac_address]);
    client = spawn("ip", ["netns", "exec", clientNs, ...withScript(clientArgs), "-f", "-t", "10"], {
      env: { ...process.env, LEASE_DIR: leases },
      stdio: "ignore",
    });
    expect(await lease("bound")).toMatchObject({ ip: dhcpClient.ip_address, hostname: "host-10-0-0-5" });
    // Back as the tests after this one have it.
    client?.kill("SIGKILL");
    expect((await need().apply(intent(next(), [withRoute()]))).errors).toEqual([]);
  });

  it("shows a dnsmasq killed by hand as drift, and a repair starts it again", async () => {
    const pid = await dnsmasqPid();
    process.kill(pid, "SIGKILL");
    while (await alive(pid)) await new Promise((resolve) => setTimeout(resolve, 20));
    const seen = (await need().monitor.snapshot()).sections[`netns/${dhcpNs}/dhcp`];
    expect(seen).toMatchObject({ running: false, pid: null });
    // As the server pushes with nothing asked of it: left for inspection to show, not put back.
    expect(await need().apply(intent(next(), [withRoute()], []))).toMatchObject({ changes: 0, errors: [] });
    expect(await alive(pid)).toBe(false);
    const repaired = await need().apply(intent(next(), [withRoute()], [ids.tenant]));
    expect(repaired.errors).toEqual([]);
    const again = await dnsmasqPid();
    expect(again).not.toBe(pid);
    expect(await alive(again)).toBe(true);
  });

  it("gives a lab probe on a DHCP subnet its address and routes by DHCP, as a VM gets them", async () => {
    const server = withRoute();
    const hosts = [
      ...server.hosts,
      { mac_address: probe.mac_address, ip_address: "10.0.0.7", hostname: "host-10-0-0-7" },
    ];
    const result = await need().apply(intent(next(), [{ ...server, hosts }], undefined, [probe]));
    expect(result.errors).toEqual([]);
    const { stdout } = await nsExec(probeNs, ["ip", "-4", "-o", "addr", "show", "dev", "eth0"]);
    expect(stdout).toContain("inet 10.0.0.7/24");
    const routes = (await nsExec(probeNs, ["ip", "route"])).stdout;
    expect(routes).toContain("default via 10.0.0.1");
    expect(routes).toContain("192.168.50.0/24 via 10.0.0.254");
    // It came from dnsmasq: its log has the probe's exchange.
    expect(await readFile(paths().log, "utf8")).toContain(
      "DHCPACK(ns-c5000000-00) 10.0.0.7 fa:16:3e:00:00:07",
    );
    // Applied again: it holds its lease, nothing to do.
    expect(await need().apply(intent(next(), [{ ...server, hosts }], undefined, [probe]))).toMatchObject({
      changes: 0,
      errors: [],
    });
    // Without a DHCP server answering for it, the probe gets no address, and says so.
    const alone = await need().apply(
      intent(next(), [server], "all", [
        { ...probe, port_id: "c8000000-0000-4000-8000-000000000008", mac_address: "fa:16:3e:00:00:08" },
      ]),
    );
    expect(alone.errors).toEqual([
      { resource_id: probe.id, message: expect.stringContaining("no DHCP lease for eth0") },
    ]);
  });

  it("answers no more once DHCP is off: dnsmasq stopped, its namespace and files gone", async () => {
    client?.kill("SIGTERM");
    const pid = await dnsmasqPid();
    const result = await need().apply(intent(next(), []));
    expect(result.errors).toEqual([]);
    expect(await alive(pid)).toBe(false);
    expect(await namespacesWithPrefix(prefix)).toEqual([clientNs]);
    await expect(stat(paths().dir)).rejects.toThrow("ENOENT");
    const once = await run(
      "ip",
      ["netns", "exec", clientNs, ...withScript(clientArgs), "-n", "-q", "-t", "2"],
      {
        env: { ...process.env, LEASE_DIR: leases },
        allowFailure: true,
      },
    );
    expect(once.code).not.toBe(0);
  });
});
