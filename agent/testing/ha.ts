// A two-network-node lab for HA routers, shared by the integration test and the bench: one OVS sandbox, two
// in-process agents standing for two network nodes (each its own prefix, integration and physical bridge), their
// physical bridges joined by a patch pair as one physical network would join them. On it: the external flat
// network 203.0.113.0/24 with its outside world (an uplink namespace, 203.0.113.1) and the tenant network
// 10.0.0.0/24 (vlan 101) with one instance, both on node a; the HA network (vlan 199, 169.254.192.0/18); and the
// lab router made HA on both nodes (the same VIPs, each node its own HA port). Everything made is removed by stop.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import { namespaceNames } from "../../lib/names";
import { type Agent, createAgent } from "../agent";
import type { ApplyResult, HostIntent } from "../contract/intent";
import { run } from "../host/exec";
import type { AgentOptionsInput } from "../options";
import { haDir } from "../options";
import { keepalivedPaths } from "../plan/keepalived";
import { namespacesWithPrefix, type Sandbox, startSandbox } from "./host";
import { haNetwork, haRouter, ids, labIntent } from "./intent";

export type HaNode = {
  name: "a" | "b";
  /** Replaced when the node comes back (bringBack). */
  agent: Agent;
  options: AgentOptionsInput;
  logger: Logger;
  prefix: string;
  routerNs: string;
  bridges: string[];
  intent: (revision: number) => HostIntent;
};

export type HaLab = {
  nodes: [HaNode, HaNode];
  uplinkNs: string;
  instanceNs: string;
  /** The instance's floating IP. */
  fip: string;
  stop: () => Promise<void>;
};

/** The floating IP's /32 on qg-, which only the MASTER holds. */
export const FIP = "203.0.113.20";

/**
 * `advertInt`: VRRP's advert interval (s). `datapathType`: dummy by default, which runs beside a live stack.
 */
export async function startHaLab(
  label: string,
  logger: Logger,
  advertInt: number,
  datapathType: "dummy" | "netdev" = "dummy",
): Promise<HaLab> {
  const base = `${label}${Math.random().toString(16).slice(2, 6)}`;
  const sandbox = await startSandbox(`ha-${base}`);
  const made: HaNode[] = [];
  const stop = () => stopLab(sandbox, made, base);
  try {
    for (const name of ["a", "b"] as const) {
      const prefix = `${base}${name}-`;
      const bridges = [`${base}${name}i`, `${base}${name}e`];
      const [integrationBridge = "", external = ""] = bridges;
      const options: AgentOptionsInput = {
        ovsdb: sandbox.db,
        integrationBridge,
        bridgeMappings: { public: external },
        datapathType,
        prefix,
        stateDir: join(sandbox.dir, `agent-${name}`),
        host: `network-${name}`,
        roles: ["network"],
      };
      const agent = await createAgent(options, logger);
      const node = name === "a" ? 1 : 2;
      made.push({
        name,
        agent,
        options,
        logger,
        prefix,
        routerNs: namespaceNames.router(prefix, ids.router),
        bridges,
        intent: (revision) => nodeIntent(revision, node, advertInt),
      });
    }
    const [a, b] = made;
    if (a === undefined || b === undefined) throw new Error("two nodes");
    // One physical network between the two nodes: a patch pair between their physical bridges.
    const [ea = "", eb = ""] = [a.bridges[1], b.bridges[1]];
    await run("ovs-vsctl", [
      `--db=${sandbox.db}`,
      "add-port",
      ea,
      `${base}pa`,
      "--",
      "set",
      "Interface",
      `${base}pa`,
      "type=patch",
      `options:peer=${base}pb`,
      "--",
      "add-port",
      eb,
      `${base}pb`,
      "--",
      "set",
      "Interface",
      `${base}pb`,
      "type=patch",
      `options:peer=${base}pa`,
    ]);
    return {
      nodes: [a, b],
      uplinkNs: namespaceNames.uplink(a.prefix, ids.external),
      instanceNs: namespaceNames.instance(a.prefix, ids.instancePort),
      fip: FIP,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function stopLab(sandbox: Sandbox, nodes: HaNode[], base: string): Promise<void> {
  try {
    for (const node of nodes) {
      await node.agent.cleanup();
      await node.agent.close();
    }
  } finally {
    for (const ns of await namespacesWithPrefix(base))
      await run("ip", ["netns", "del", ns], { allowFailure: true });
    await sandbox.stop();
  }
}

/**
 * The id node b's copy of a router port has here. On two real hosts both copies are the same port; here both
 * nodes share one root namespace, where a port's tap is named after its id (`tap<id[0:11]>`), so node b's copies
 * take other ids. Their MACs and addresses stay the same: those are what VRRP hands from one node to the other.
 */
export const twinPortId = (id: string) => `${id.slice(0, 7)}b${id.slice(8)}`;

/** Node 1 (a) also holds the instance and the uplink; node 2 (b) only its copy of the router. */
function nodeIntent(revision: number, node: 1 | 2, advertInt: number): HostIntent {
  const base = haRouter(node);
  const router =
    node === 1 || base.gateway === null
      ? base
      : {
          ...base,
          gateway: { ...base.gateway, port_id: twinPortId(base.gateway.port_id) },
          interfaces: base.interfaces.map((i) => ({ ...i, port_id: twinPortId(i.port_id) })),
        };
  if (router.ha !== undefined) router.ha.advert_int = advertInt;
  const lab = labIntent(revision, router);
  const tenant = {
    id: ids.tenant,
    network_type: "vlan",
    physical_network: "public",
    segmentation_id: 101,
    mtu: 1500,
  } as const;
  return {
    ...lab,
    networks: [...lab.networks.filter((n) => n.id !== ids.tenant), tenant, haNetwork],
    instances: node === 1 ? lab.instances.map((i) => ({ ...i, mtu: 1500 })) : [],
    uplinks: node === 1 ? lab.uplinks : [],
  };
}

/** The node whose keepalived holds the router's addresses now (the floating IP on qg-), or none. */
export async function holdersOf(lab: HaLab, address: string): Promise<HaNode[]> {
  const holding: HaNode[] = [];
  for (const node of lab.nodes) {
    const { stdout } = await run("ip", ["-n", node.routerNs, "-o", "-4", "addr", "show"], {
      allowFailure: true,
    });
    if (stdout.includes(` ${address}/`)) holding.push(node);
  }
  return holding;
}

/** Polls until exactly one node holds `address`; that node, or null after `timeoutMs`. */
export async function waitForOneHolder(
  lab: HaLab,
  address: string,
  timeoutMs: number,
): Promise<HaNode | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const holding = await holdersOf(lab, address);
    if (holding.length === 1 && holding[0] !== undefined) return holding[0];
    if (Date.now() > deadline) return null;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * The node goes down as a host does: its agent stops, its keepalived dies without a word and its router's ports
 * are cut (their veths deleted: nothing it held answers any more). keepalived goes first: cutting a device it
 * watches while it runs makes it send a priority-0 advert (seen on the HA network), a graceful handover that a
 * host that fails does not give.
 */
export async function takeDown(node: HaNode): Promise<void> {
  await node.agent.close();
  await killKeepalived(node);
  const { stdout } = await run("ip", ["-n", node.routerNs, "-o", "link", "show"]);
  const devices = [...stdout.matchAll(/^\d+: ((?:qg|qr|ha)-[0-9a-f-]+)@/gm)].map((m) => m[1] ?? "");
  await run("ip", ["-n", node.routerNs, "-batch", "-"], {
    input: `${devices.map((dev) => `link del ${dev}`).join("\n")}\n`,
  });
}

/**
 * The node's keepalived dies without a word (SIGKILL, the VRRP child first, else its parent would start it
 * again; no priority-0 advert). Its pids, as they were.
 */
export async function killKeepalived(node: HaNode): Promise<number[]> {
  const paths = keepalivedPaths(haDir(node.agent.options), ids.router);
  const pids: number[] = [];
  for (const pidFile of [paths.vrrpPid, paths.pid]) {
    const pid = Number.parseInt((await readFile(pidFile, "utf8")).trim(), 10);
    process.kill(pid, "SIGKILL");
    pids.push(pid);
  }
  return pids;
}

/** The pid of the node's keepalived (its parent) as its pid file has it; null without one. */
export async function keepalivedPid(node: HaNode): Promise<number | null> {
  const paths = keepalivedPaths(haDir(node.agent.options), ids.router);
  const text = await readFile(paths.pid, "utf8").catch(() => "");
  const pid = Number.parseInt(text.trim(), 10);
  return Number.isInteger(pid) ? pid : null;
}

/** The node taken down comes back: its agent starts again and applies `revision`. */
export async function bringBack(node: HaNode, revision: number): Promise<ApplyResult> {
  node.agent = await createAgent(node.options, node.logger);
  return node.agent.apply(node.intent(revision));
}

/**
 * A bounded ping stream from `ns` to `address` (one every `intervalS`, for `durationS`) while `during` runs; the
 * longest time without a reply (between two replies, or the stream's start or end and a reply): how long the
 * address was unreachable, to the interval.
 */
export async function pingGap(
  ns: string,
  address: string,
  options: { intervalS: number; durationS: number },
  during: () => Promise<void>,
): Promise<{ gapS: number; sent: number; received: number }> {
  const started = Date.now() / 1000;
  const ping = run(
    "ip",
    [
      "netns",
      "exec",
      ns,
      "ping",
      "-n",
      "-D",
      "-i",
      String(options.intervalS),
      "-w",
      String(options.durationS),
      address,
    ],
    { allowFailure: true, timeoutMs: (options.durationS + 5) * 1000 },
  );
  await during();
  const { stdout } = await ping;
  // From the start to the end of the stream: an address that never answered, or stopped for good, is one gap.
  const replies = [...stdout.matchAll(/^\[(\d+\.\d+)\] \d+ bytes from/gm)].map((m) => Number(m[1]));
  const times = [started, ...replies, Date.now() / 1000];
  let gap = 0;
  for (let i = 1; i < times.length; i++) gap = Math.max(gap, (times[i] ?? 0) - (times[i - 1] ?? 0));
  const [, sent = "0", received = "0"] = /(\d+) packets transmitted, (\d+) received/.exec(stdout) ?? [];
  return { gapS: Math.round(gap * 100) / 100, sent: Number(sent), received: Number(received) };
}
