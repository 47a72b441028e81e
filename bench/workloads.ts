// `npm run bench:workloads` (root): 100 workloads plugged at once the way Nova plugs VMs, each asking DHCP for its
// address once, timed until every port is ACTIVE and every workload has its lease; beside the floor of the same
// dataplane made by hand in the same run. The stack is cli/testing/stack.ts's (the agent as its own process, the
// API on an in-memory database with a real dispatcher), in its own OVS sandbox, bridges and prefixes.
import { randomBytes, randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import type { IntentDhcp } from "../agent/contract/intent";
import { reloadDaemon, startDaemon, stopDaemon, writeDaemonFiles } from "../agent/host/daemon";
import { run } from "../agent/host/exec";
import { requestLease } from "../agent/host/udhcpc";
import { dhcpPaths, dnsmasqArgs, renderAddnHosts, renderHosts, renderOpts } from "../agent/plan/dhcp";
import { type Stack, startStack } from "../cli/testing/stack";
import { markdownTable, max, median, min } from "./stats";

const tag = randomBytes(2).toString("hex");
/** Ours, not the agent's: the workloads' namespaces and taps, the floor's bridge and DHCP server. */
const names = {
  ns: (i: number) => `w${tag}-vm${i}`,
  tap: (i: number) => `w${tag}t${i}`,
  floorBridge: `w${tag}-fl`,
  serverNs: `w${tag}-dhcp`,
  serverTap: `w${tag}srv`,
};

/** A workload: its namespace and tap, and the port it plugs (MAC, the address DHCP must hand it). */
type Workload = { i: number; ns: string; tap: string; portId: string; mac: string; ip: string };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** The lease's address must be the port's: a lease for another address is no lease for this workload. */
async function lease(w: Workload): Promise<void> {
  const got = await requestLease(w.ns, "eth0");
  if (got.address.split("/")[0] !== w.ip) throw new Error(`${w.ns} leased ${got.address}, not ${w.ip}`);
}

/** Removes the workloads' OVS ports, taps and namespaces (each line may already be gone). */
async function unplug(stack: Stack, list: Workload[]): Promise<void> {
  await run("ovs-vsctl", [
    `--db=${stack.sandbox.db}`,
    ...list.flatMap((w) => ["--", "--if-exists", "del-port", w.tap]),
  ]);
  const lines = list.flatMap((w) => [`link del ${w.tap}`, `netns del ${w.ns}`]);
  await run("ip", ["-force", "-batch", "-"], { input: `${lines.join("\n")}\n`, allowFailure: true });
}

/**
 * The namespace end (eth0, with the port's MAC) is made inside the namespace and up from the start, its peer in
 * the root namespace: made the other way round, the namespace end could not be set up without a process in it.
 */
const vethLines = (w: Workload, mtu: number) => [
  `netns add ${w.ns}`,
  `link add eth0 netns ${w.ns} address ${w.mac} mtu ${mtu} up type veth peer name ${w.tap} mtu ${mtu}`,
  `link set ${w.tap} up`,
];

/**
 * One workload plugged as Nova plugs a VM: its own `ip` for namespace and veth, its own OVS transaction. Returns
 * when that transaction was sent (the agent may see the port in OVSDB before vswitchd has it and ovs-vsctl ends).
 */
async function novaPlug(stack: Stack, w: Workload, bridge: string): Promise<number> {
  await run("ip", ["-batch", "-"], { input: `${vethLines(w, 1450).join("\n")}\n` });
  const sent = performance.now();
  await run("ovs-vsctl", [
    `--db=${stack.sandbox.db}`,
    "--",
    "add-port",
    bridge,
    w.tap,
    "--",
    "set",
    "Interface",
    w.tap,
    `external_ids:iface-id=${w.portId}`,
    "external_ids:iface-status=active",
    `external_ids:attached-mac=${w.mac}`,
  ]);
  return sent;
}

/**
 * The plugging alone, the same way, on the floor's bridge, which no agent binds: how much of the agent's time
 * is the workloads' own plugging (a process or two and an OVS transaction per workload).
 */
async function novaPlugRun(stack: Stack, list: Workload[]): Promise<number> {
  const started = performance.now();
  await Promise.all(list.map((w) => novaPlug(stack, w, names.floorBridge)));
  return performance.now() - started;
}

/** One row of the result: times from the start of the run, in ms. */
/** `lag`: per workload, from its OVS transaction to its port ACTIVE (the agent's binding, the server's record). */
type Times = { plugged: number; active: number; leased: number; lag: number[] };

/**
 * The agent's half: each workload plugged as Nova plugs a VM (its own `ip` for namespace and veth, its own
 * `ovs-vsctl` transaction adding the tap with the port's iface-id, as os-vif does), all 100 at once; each waits
 * for its port to go ACTIVE (Nova starts the guest on the vif-plugged event) and then runs udhcpc once.
 */
async function agentRun(stack: Stack, list: Workload[], bridge: string): Promise<Times> {
  const started = performance.now();
  // When each port went ACTIVE: told by the server's event bus (a port's status event, then its status read),
  // which the model's changes go through, rather than by polling, which would load the one event loop that
  // runs the API, the dispatcher and the host inspection.
  const active = new Map<string, number>();
  const waiting = new Map<string, () => void>();
  const unsubscribe = stack.api.bus.subscribe((event) => {
    if (event.kind !== "port" || event.action !== "status" || active.has(event.id)) return;
    const at = performance.now() - started;
    void stack.api.caller.port.show({ id: event.id }).then((port) => {
      if (port.status !== "ACTIVE" || active.has(port.id)) return;
      active.set(port.id, at);
      waiting.get(port.id)?.();
    });
  });
  const isActive = (w: Workload) =>
    new Promise<void>((resolve, reject) => {
      if (active.has(w.portId)) return resolve();
      const timer = setTimeout(() => reject(new Error(`port ${w.portId} not ACTIVE within 120 s`)), 120_000);
      waiting.set(w.portId, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  const plugged: number[] = [];
  const leased: number[] = [];
  const lag: number[] = [];
  try {
    await Promise.all(
      list.map(async (w) => {
        const sent = (await novaPlug(stack, w, bridge)) - started;
        plugged.push(performance.now() - started);
        await isActive(w);
        lag.push((active.get(w.portId) ?? Number.NaN) - sent);
        await lease(w);
        leased.push(performance.now() - started);
      }),
    );
  } finally {
    unsubscribe();
  }
  return {
    plugged: max(plugged),
    active: max(list.map((w) => active.get(w.portId) ?? Number.NaN)),
    leased: max(leased),
    lag,
  };
}

/** The floor's DHCP server: dnsmasq as the agent runs it, on its own bridge, with files written here. */
type FloorServer = { dhcp: IntentDhcp; paths: ReturnType<typeof dhcpPaths> };

async function startFloorServer(stack: Stack, list: Workload[]): Promise<FloorServer> {
  const db = `--db=${stack.sandbox.db}`;
  const bridge = names.floorBridge;
  await run("ovs-vsctl", [db, "add-br", bridge, "--", "set", "Bridge", bridge, "datapath_type=dummy"]);
  const port = randomUUID();
  const dhcp: IntentDhcp = {
    network_id: randomUUID(),
    port_id: port,
    mac_address: "fa:16:3e:7f:00:02",
    addresses: [{ subnet_id: "floor", ip_address: "10.61.0.2", prefixlen: 24 }],
    subnets: [{ id: "floor", cidr: "10.61.0.0/24", gateway_ip: null, dns_nameservers: [], host_routes: [] }],
    hosts: list.map((w) => ({ mac_address: w.mac, ip_address: floorIp(w), hostname: `host-${w.i}` })),
    mtu: 1450,
    lease_duration: 86_400,
  };
  const paths = dhcpPaths(join(stack.sandbox.dir, "floor-dhcp"), dhcp.network_id);
  const device = "ns-floor";
  await run("ip", ["-batch", "-"], {
    input: [
      `netns add ${names.serverNs}`,
      `link add ${device} netns ${names.serverNs} address ${dhcp.mac_address} mtu 1450 up type veth peer name ${names.serverTap} mtu 1450`,
      `link set ${names.serverTap} up`,
      "",
    ].join("\n"),
  });
  await run("ip", ["-n", names.serverNs, "addr", "add", "10.61.0.2/24", "dev", device]);
  await run("ovs-vsctl", [db, "add-port", bridge, names.serverTap, "tag=1"]);
  await writeDaemonFiles(paths.dir, floorFiles(dhcp, paths, false));
  await startDaemon(names.serverNs, "dnsmasq", dnsmasqArgs(dhcp, paths, device), paths.pid);
  return { dhcp, paths };
}

const floorIp = (w: Workload) => `10.61.0.${w.i + 10}`;

/** The server's files, its hosts file empty (before a run) or full. */
function floorFiles(dhcp: IntentDhcp, paths: FloorServer["paths"], full: boolean): Record<string, string> {
  const shown = full ? dhcp : { ...dhcp, hosts: [] };
  return {
    [paths.host]: renderHosts(shown),
    [paths.addnHosts]: renderAddnHosts(shown),
    [paths.opts]: renderOpts(shown),
  };
}

async function stopFloorServer(stack: Stack, server: FloorServer | null): Promise<void> {
  if (server !== null) await stopDaemon("dnsmasq", server.paths.pid, server.paths.dir).catch(() => undefined);
  await run("ovs-vsctl", [`--db=${stack.sandbox.db}`, "--if-exists", "del-br", names.floorBridge]);
  await run("ip", ["-force", "-batch", "-"], {
    input: `link del ${names.serverTap}\nnetns del ${names.serverNs}\n`,
    allowFailure: true,
  });
}

/**
 * The floor: the same namespaces and veths in one root `ip -batch`, the taps in one OVS transaction (tagged
 * straight away: nothing to bind), the hosts file written and one dnsmasq reload; then the same udhcpc, all at once.
 */
async function floorRun(stack: Stack, server: FloorServer, list: Workload[]): Promise<Times> {
  const floorList = list.map((w) => ({ ...w, ip: floorIp(w) }));
  // Before the clock: the server knows none of them, so that the reload below is a real change.
  await writeDaemonFiles(server.paths.dir, floorFiles(server.dhcp, server.paths, false));
  await reloadDaemon("dnsmasq", server.paths.pid);
  const ovsArgs = floorList.flatMap((w) => [
    "--",
    "add-port",
    names.floorBridge,
    w.tap,
    "tag=1",
    "--",
    "set",
    "Interface",
    w.tap,
    "external_ids:iface-status=active",
    `external_ids:attached-mac=${w.mac}`,
  ]);
  const started = performance.now();
  await Promise.all([
    (async () => {
      await writeDaemonFiles(server.paths.dir, floorFiles(server.dhcp, server.paths, true));
      await reloadDaemon("dnsmasq", server.paths.pid);
    })(),
    (async () => {
      await run("ip", ["-batch", "-"], {
        input: `${floorList.flatMap((w) => vethLines(w, 1450)).join("\n")}\n`,
      });
      await run("ovs-vsctl", [`--db=${stack.sandbox.db}`, ...ovsArgs]);
    })(),
  ]);
  const plugged = performance.now() - started;
  const leased: number[] = [];
  await Promise.all(
    floorList.map(async (w) => {
      await lease(w);
      leased.push(performance.now() - started);
    }),
  );
  return { plugged, active: plugged, leased: max(leased), lag: [] };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { count: { type: "string", default: "100" }, runs: { type: "string", default: "3" } },
  });
  const count = Number(values.count);
  const runs = Number(values.runs);
  if (!Number.isInteger(count) || count < 1 || count > 200)
    throw new Error(`--count takes a whole number from 1 to 200, not ${values.count}`);
  if (!Number.isInteger(runs) || runs < 1)
    throw new Error(`--runs takes a whole number from 1, not ${values.runs}`);

  const stack = await startStack();
  const workloads: Workload[] = [];
  let server: FloorServer | null = null;
  const agentTimes: Times[] = [];
  const floorTimes: Times[] = [];
  const novaTimes: number[] = [];
  try {
    const bridge = `${stack.prefix.slice(0, -1)}-int`;
    const caller = stack.api.caller;
    const network = await caller.network.create({ name: "workloads" });
    await caller.subnet.create({ name: "workloads", network_id: network.id, cidr: "10.60.0.0/24" });
    const dhcpNs = `${stack.prefix}qdhcp-${network.id}`;
    for (let i = 0; i < count; i++) {
      const port = await caller.port.create({
        name: `vm-${i}`,
        network_id: network.id,
        device_owner: "compute:nova",
        device_id: randomUUID(),
      });
      const ip = port.fixed_ips[0]?.ip_address;
      if (ip === undefined) throw new Error(`port ${port.id} has no address`);
      workloads.push({ i, ns: names.ns(i), tap: names.tap(i), portId: port.id, mac: port.mac_address, ip });
    }
    // Nova creates the ports before it plugs: the agent's dnsmasq knows them all before the clock starts.
    await until("the agent's dnsmasq to know every port", async () => {
      const hosts = await dnsmasqHosts(dhcpNs);
      return hosts !== null && workloads.every((w) => hosts.includes(w.mac)) ? true : undefined;
    });
    server = await startFloorServer(stack, workloads);

    for (let r = 0; r < runs; r++) {
      agentTimes.push(await agentRun(stack, workloads, bridge));
      await unplug(stack, workloads);
      await until("every port DOWN again", async () => {
        const ports = await caller.port.list({ network_id: network.id, device_owner: "compute:nova" });
        return ports.every((p) => p.status === "DOWN") ? true : undefined;
      });
      floorTimes.push(await floorRun(stack, server, workloads));
      await unplug(stack, workloads);
      novaTimes.push(await novaPlugRun(stack, workloads));
      await unplug(stack, workloads);
      console.error(
        `run ${r + 1}/${runs}: agent ${agentTimes.at(-1)?.leased.toFixed(0)} ms, floor ${floorTimes.at(-1)?.leased.toFixed(0)} ms`,
      );
    }
  } finally {
    await unplug(stack, workloads).catch(() => undefined);
    await stopFloorServer(stack, server).catch(() => undefined);
    await stack.stop();
  }

  const cell = (xs: number[]) => `${median(xs).toFixed(0)} (${min(xs).toFixed(0)}-${max(xs).toFixed(0)})`;
  const agentLeased = agentTimes.map((t) => t.leased);
  const floorLeased = floorTimes.map((t) => t.leased);
  const ratio = median(agentLeased) / median(floorLeased);
  console.log(
    markdownTable(
      ["measure (ms from the first plug; median (min-max) of runs)", "agent", "floor"],
      [
        [
          `all ${count} plugged (namespace, veth, OVS port)`,
          cell(agentTimes.map((t) => t.plugged)),
          cell(floorTimes.map((t) => t.plugged)),
        ],
        [`all ${count} plugged the same way, on a bridge no agent binds`, cell(novaTimes), "-"],
        [`all ${count} ports ACTIVE`, cell(agentTimes.map((t) => t.active)), "-"],
        [
          "one workload, OVS transaction sent -> ACTIVE (median of each run's median)",
          cell(agentTimes.map((t) => median(t.lag))),
          "-",
        ],
        [
          "one workload, OVS transaction sent -> ACTIVE (each run's slowest)",
          cell(agentTimes.map((t) => max(t.lag))),
          "-",
        ],
        [`all ${count} with their DHCP lease`, cell(agentLeased), cell(floorLeased)],
      ],
    ),
  );
  console.log(`\nratio (all leased, medians): ${ratio.toFixed(2)}x over ${runs} runs of ${count} workloads`);
}

/** The hosts file of the dnsmasq running in `ns` (from its command line), or null while none runs. */
async function dnsmasqHosts(ns: string): Promise<string | null> {
  const { stdout } = await run("ip", ["netns", "pids", ns], { allowFailure: true });
  for (const pid of stdout.split("\n").filter((p) => p.trim() !== "")) {
    const argv = (await readFile(`/proc/${pid.trim()}/cmdline`, "utf8").catch(() => "")).split("\0");
    const file = argv.find((a) => a.startsWith("--dhcp-hostsfile="))?.slice("--dhcp-hostsfile=".length);
    if (file !== undefined) return readFile(file, "utf8").catch(() => null);
  }
  return null;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
