// `npm run bench:network-node`: a network node's cold start (500 routers, each with a tenant network, a gateway on
// one shared external network and 2 floating IPs) beside a floor of the same work by batch commands, measured in
// the same run; then the agent's restart on that host (a fresh agent on the same state dir, until its first apply
// of the same intent is done) while a ping stream crosses a floating IP. Runs in its own OVS sandbox, bridges and
// namespace prefix (beside a live stack), and cleans up.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import pino from "pino";
import { type Agent, createAgent } from "../agent/agent";
import type { HostIntent, IntentNetwork, IntentRouter } from "../agent/contract/intent";
import { ensureBridges } from "../agent/converge/bridges";
import { mapLimit, run } from "../agent/host/exec";
import { listNamespaces } from "../agent/host/netns";
import { Ovs } from "../agent/host/ovs";
import {
  type AgentOptionsInput,
  haDir,
  metadataSettings,
  ovsRunDir,
  parseAgentOptions,
} from "../agent/options";
import type { Action } from "../agent/plan/actions";
import { type HostSettings, planHost } from "../agent/plan/desired";
import { diffHost } from "../agent/plan/diff";
import { renderRestore } from "../agent/plan/iptables";
import { pingWithin, type Sandbox, startSandbox } from "../agent/testing/host";
import { ids, labIntent, labRouter } from "../agent/testing/intent";
import { namespaceNames } from "../lib/names";
import { AGENT_VS_FLOOR_HEADER, tearDownBenchHost } from "./host";
import { markdownTable, median, time } from "./stats";

const tag = randomBytes(2).toString("hex");
const prefix = `n${tag}-`;
const intBridge = `n${tag}-int`;
const exBridge = `n${tag}-ex`;

/** The floating IP the ping stream crosses (router 0's, to the lab instance at 10.0.0.5 behind it). */
const PINGED = "203.0.113.20";
const uplinkNs = namespaceNames.uplink(prefix, ids.external);

const hex12 = (n: number) => n.toString(16).padStart(12, "0");
/** Device names take a port id's first 11 characters: the index goes first. */
const uuid = (kind: string, i: number) =>
  `${kind}${i.toString(16).padStart(6, "0")}-0000-4000-8000-${hex12(i)}`;
const mac = (kind: number, i: number) => {
  const h = i.toString(16).padStart(4, "0");
  return `fa:16:3e:${kind.toString(16).padStart(2, "0")}:${h.slice(0, 2)}:${h.slice(2)}`;
};

/**
 * Router i (from 1) of the node: its own tenant network 10.(1+i/250).(i%250).0/24 (VXLAN), a gateway
 * 10.64.x.y/16 on the shared external network and 2 floating IPs (10.65.x.y, 10.66.x.y) to fixed IPs .5 and .6
 * of its tenant network: private ranges, inside the bench's namespaces only.
 */
function tenantRouter(i: number): { router: IntentRouter; network: IntentNetwork } {
  const network: IntentNetwork = {
    id: uuid("a1", i),
    network_type: "vxlan",
    physical_network: null,
    segmentation_id: 2000 + i,
    mtu: 1450,
  };
  const host = `${Math.floor(i / 250)}.${(i % 250) + 2}`;
  const subnet = `10.${1 + Math.floor(i / 250)}.${i % 250}`;
  const router: IntentRouter = {
    id: uuid("b1", i),
    gateway: {
      port_id: uuid("c5", i),
      network_id: ids.external,
      mac_address: mac(0x10, i),
      ip_address: `10.64.${host}`,
      prefixlen: 16,
      gateway_ip: "10.64.0.1",
      enable_snat: true,
    },
    interfaces: [
      {
        port_id: uuid("c6", i),
        network_id: network.id,
        mac_address: mac(0x20, i),
        ip_address: `${subnet}.1`,
        prefixlen: 24,
      },
    ],
    routes: [],
    floating_ips: [5, 6].map((fixed, k) => ({
      id: `f1000000-0000-4000-8000-${hex12(2 * i + k)}`,
      floating_ip_address: `10.${65 + k}.${host}`,
      fixed_ip_address: `${subnet}.${fixed}`,
    })),
    port_forwardings: [],
  };
  return { router, network };
}

/**
 * The node's intent: the lab's external network with its uplink (203.0.113.1) and instance (10.0.0.5), router 0
 * as the lab's router (gateway 203.0.113.10, floating IPs 203.0.113.20 -> 10.0.0.5 and .21 -> 10.0.0.6), and
 * routers 1..count-1 as tenantRouter makes them. As the server pushes it: `repair: []`.
 */
function nodeIntent(revision: number, count: number): HostIntent {
  const lab = labIntent(
    revision,
    labRouter({
      floating_ips: [
        {
          id: "f0000000-0000-4000-8000-000000000001",
          floating_ip_address: PINGED,
          fixed_ip_address: "10.0.0.5",
        },
        {
          id: "f0000000-0000-4000-8000-000000000002",
          floating_ip_address: "203.0.113.21",
          fixed_ip_address: "10.0.0.6",
        },
      ],
    }),
  );
  const others = Array.from({ length: count - 1 }, (_, i) => tenantRouter(i + 1));
  return {
    ...lab,
    networks: [...lab.networks, ...others.map((o) => o.network)],
    routers: [...lab.routers, ...others.map((o) => o.router)],
    repair: [],
  };
}

function agentOptions(sandbox: Sandbox): AgentOptionsInput {
  return {
    ovsdb: sandbox.db,
    integrationBridge: intBridge,
    bridgeMappings: { public: exBridge },
    datapathType: "dummy",
    prefix,
    stateDir: join(sandbox.dir, "agent"),
  };
}

/** What the agent would do on an empty host for this intent (its planner, pure): the floor makes the same. */
function planFromEmpty(intent: HostIntent, sandbox: Sandbox): Action[] {
  const settings: HostSettings = {
    prefix,
    chainPrefix: "netlens",
    integrationBridge: intBridge,
    bridgeMappings: { public: exBridge },
    dhcpDir: join(sandbox.dir, "agent", "dhcp"),
    haDir: haDir({ stateDir: join(sandbox.dir, "agent") }),
    ...metadataSettings({ stateDir: join(sandbox.dir, "agent") }),
  };
  const empty = {
    namespaces: new Map(),
    ovsPorts: [],
    tunnelPorts: [],
    flows: new Map(),
    rootLinks: new Map(),
  };
  return diffHost(planHost(intent, settings, new Map()), empty, prefix);
}

type Of<K extends Action["kind"]> = Extract<Action, { kind: K }>;
const ofKind = <K extends Action["kind"]>(actions: Action[], kind: K) =>
  actions.filter((a): a is Of<K> => a.kind === kind);

/** Namespaces a floor configures at once: as many as the agent does (agent/converge/execute.ts). */
const FLOOR_PARALLEL = 4;

/**
 * The floor: the agent's namespaces, veths, OVS ports, addresses, routes, forwarding and iptables, with the
 * fewest processes iproute2, OVS and iptables allow. One root `ip -batch` makes every namespace and veth pair
 * (the namespace end born there with its MAC and MTU, the root end up); then, at once, one `ovs-vsctl`
 * transaction adds every port with its tag and external_ids (waiting for vswitchd), and per namespace (4 at a
 * time) one `ip -n NS -batch` (lo up, devices up, addresses, routes), one `iptables-restore` of its nat and
 * mangle tables together, and one `sysctl` for forwarding (routers), those three at once. Not in the floor: the
 * metadata proxies (haproxy) the agent starts, its flows and its self-check.
 */
async function floor(sandbox: Sandbox, actions: Action[]): Promise<number> {
  const root = [
    ...ofKind(actions, "netns-add").map((a) => `netns add ${a.ns}`),
    ...ofKind(actions, "veth-add").map(
      (a) =>
        `link add ${a.peer} mtu ${a.mtu} up type veth peer name ${a.dev} netns ${a.ns}` +
        `${a.mac === null ? "" : ` address ${a.mac}`} mtu ${a.mtu}`,
    ),
  ];
  const ports = ofKind(actions, "ovs-port-set");
  const ovsArgs = ports.flatMap((p) => [
    "--",
    "add-port",
    p.bridge,
    p.port,
    ...(p.tag === null ? [] : [`tag=${p.tag}`]),
    "--",
    "set",
    "Interface",
    p.port,
    ...Object.entries(p.externalIds).map(([k, v]) => `external_ids:${k}=${v}`),
  ]);
  const byNs = new Map<string, { ip: string[]; iptables: string[]; forwarding: boolean }>();
  const of = (ns: string) => {
    const entry = byNs.get(ns) ?? { ip: [], iptables: [], forwarding: false };
    byNs.set(ns, entry);
    return entry;
  };
  for (const a of actions) {
    switch (a.kind) {
      case "lo-up":
        of(a.ns).ip.push("link set lo up");
        break;
      case "link-set":
        of(a.ns).ip.push(`link set ${a.dev} up`);
        break;
      case "addr-add":
        of(a.ns).ip.push(`addr add ${a.address} dev ${a.dev}`);
        break;
      case "route-set":
        of(a.ns).ip.push(`route replace ${a.destination} via ${a.via} proto static`);
        break;
      case "forwarding":
        of(a.ns).forwarding = true;
        break;
      case "nat-chains":
        of(a.ns).iptables.push(renderRestore(a.chains, a.deleteJumps, a.addJumps, a.edits, a.table));
        break;
      default:
        break;
    }
  }
  try {
    return await time(async () => {
      await run("ip", ["-batch", "-"], { input: `${root.join("\n")}\n` });
      await Promise.all([
        run("ovs-vsctl", [`--db=${sandbox.db}`, ...ovsArgs]),
        mapLimit([...byNs], FLOOR_PARALLEL, ([ns, work]) =>
          Promise.all([
            work.ip.length > 0
              ? run("ip", ["-n", ns, "-batch", "-"], { input: `${work.ip.join("\n")}\n` })
              : null,
            work.iptables.length > 0
              ? run("ip", ["netns", "exec", ns, "iptables-restore"], { input: work.iptables.join("") })
              : null,
            work.forwarding
              ? run("ip", ["netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"])
              : null,
          ]),
        ),
      ]);
    });
  } finally {
    await run("ovs-vsctl", [
      `--db=${sandbox.db}`,
      ...ports.flatMap((p) => ["--", "--if-exists", "del-port", p.port]),
    ]);
    const gone = [
      ...ofKind(actions, "veth-add").map((a) => `link del ${a.peer}`),
      ...ofKind(actions, "netns-add").map((a) => `netns del ${a.ns}`),
    ];
    await run("ip", ["-force", "-batch", "-"], { input: `${gone.join("\n")}\n`, allowFailure: true });
  }
}

/** The last "applied" log line of the agent: its per-step execute times. */
let lastSteps: Record<string, number>[] = [];

function benchLogger() {
  const level = process.env.NETLENS_BENCH_LOG;
  return pino(
    { level: level ?? "info" },
    {
      write(line: string) {
        if (level !== undefined) process.stderr.write(line);
        const entry = JSON.parse(line) as { msg?: string; steps?: Record<string, number>[] };
        if (entry.msg === "applied" && entry.steps !== undefined) lastSteps = entry.steps;
      },
    },
  );
}

/** One apply that must succeed; its phases observe/plan/execute/verify in ms. */
async function applyOk(agent: Agent, intent: HostIntent): Promise<string> {
  const result = await agent.apply(intent);
  if (result.errors.length > 0) throw new Error(`apply failed: ${JSON.stringify(result.errors.slice(0, 5))}`);
  const t = result.timings;
  return t ? [t.observe_ms, t.plan_ms, t.execute_ms, t.verify_ms].map((v) => v.toFixed(0)).join("/") : "";
}

/** Packets a ping stream sends in a second: the tail it leaves uncounted, still on its way when it is stopped. */
const PINGS_PER_SECOND = 20;

/**
 * A ping stream (every 50 ms, at most 400) from the uplink to a floating IP, until stopped. `stop` lets it run
 * one more second, then counts as lost the packets never answered but those of that last second (packets go
 * out at most every 50 ms, so the last 20 sent include every one of it).
 */
function pingStream(): { stop: () => Promise<{ sent: number; lost: number[] }> } {
  const child: ChildProcess = spawn("ip", [
    "netns",
    "exec",
    uplinkNs,
    "ping",
    "-n",
    "-i",
    String(1 / PINGS_PER_SECOND),
    "-c",
    "400",
    PINGED,
  ]);
  let out = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.on("close", () => resolve()));
  return {
    stop: async () => {
      await sleep(1000);
      child.kill("SIGINT");
      await exited;
      const transmitted = Number(/(\d+) packets transmitted/.exec(out)?.[1] ?? Number.NaN);
      const answered = new Set([...out.matchAll(/icmp_seq=(\d+) /g)].map((m) => Number(m[1])));
      const sent = transmitted - PINGS_PER_SECOND;
      const lost: number[] = [];
      for (let seq = 1; seq <= sent; seq++) if (!answered.has(seq)) lost.push(seq);
      return { sent, lost };
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitNamespacesGone(): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (!(await listNamespaces()).some((n) => n.startsWith(prefix))) return;
    await sleep(100);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { routers: { type: "string", default: "500" }, runs: { type: "string", default: "1" } },
  });
  const count = Number(values.routers);
  if (!Number.isInteger(count) || count < 1 || count > 2000)
    throw new Error(`--routers takes a whole number from 1 to 2000, not ${values.routers}`);
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1)
    throw new Error(`--runs takes a whole number from 1, not ${values.runs}`);

  const sandbox = await startSandbox(`nnode-${tag}`);
  const rows: string[][] = [];
  const stepsShown: string[] = [];
  let agent: Agent | undefined;
  let revision = 1;
  try {
    const intent = nodeIntent(revision, count);
    const actions = planFromEmpty(intent, sandbox);
    // The bridges, as the agent makes them at start-up (the floor needs them first).
    const options = parseAgentOptions(agentOptions(sandbox));
    await ensureBridges(new Ovs(options.ovsdb, ovsRunDir(options)), options, pino({ level: "silent" }));
    const agentMs: number[] = [];
    const floorMs: number[] = [];
    const restartMs: number[] = [];
    let coldPhases = "";
    let restartPhases = "";
    let pings = "";
    let lostTotal = 0;
    for (let r = 0; r < runs; r++) {
      // The floor first, on the empty host, then removed; the agent next, from the same empty host.
      floorMs.push(await floor(sandbox, actions));
      await waitNamespacesGone();
      console.error(`run ${r + 1}: floor ${floorMs.at(-1)?.toFixed(0)} ms`);

      agent = await createAgent(agentOptions(sandbox), benchLogger());
      const cold = nodeIntent(revision++, count);
      const started = performance.now();
      coldPhases = await applyOk(agent, cold);
      agentMs.push(performance.now() - started);
      stepsShown.push(`cold start, run ${r + 1}: ${JSON.stringify(lastSteps)}`);
      console.error(`run ${r + 1}: agent ${agentMs.at(-1)?.toFixed(0)} ms`);
      if (!(await pingWithin(uplinkNs, PINGED, 10)))
        throw new Error(`${PINGED} does not answer after the cold start`);
      // The gateway's gratuitous ARPs go out after the apply: not in the restart's time, nor its ping stream.
      await agent.idle();

      const stream = pingStream();
      await sleep(500);
      await agent.close();
      agent = undefined;
      const restartStarted = performance.now();
      agent = await createAgent(agentOptions(sandbox), benchLogger());
      restartPhases = await applyOk(agent, { ...cold, revision: revision++ });
      restartMs.push(performance.now() - restartStarted);
      stepsShown.push(`restart, run ${r + 1}: ${JSON.stringify(lastSteps)}`);
      await sleep(500);
      const { sent, lost } = await stream.stop();
      lostTotal += lost.length;
      pings += `${pings ? "; " : ""}${lost.length}/${sent}${lost.length > 0 ? ` (seq ${lost.join(",")})` : ""}`;
      console.error(
        `run ${r + 1}: restart ${restartMs.at(-1)?.toFixed(0)} ms, lost ${lost.length} of ${sent}`,
      );

      await agent.cleanup();
      await agent.close();
      agent = undefined;
      await waitNamespacesGone();
    }
    const a = median(agentMs);
    const f = median(floorMs);
    rows.push([
      `cold start: ${count} routers x (1 network, 2 FIPs)`,
      a.toFixed(0),
      f.toFixed(0),
      (a / f).toFixed(2),
      "<= 3x",
      a / f <= 3 ? "yes" : "NO",
      coldPhases,
    ]);
    const rs = median(restartMs);
    rows.push([
      "agent restart: createAgent -> first apply done",
      rs.toFixed(0),
      "-",
      "-",
      "< 2000 ms",
      rs < 2000 ? "yes" : "NO",
      restartPhases,
    ]);
    rows.push([
      `pings lost during the restart (lost/sent)`,
      pings,
      "-",
      "-",
      "0",
      lostTotal === 0 ? "yes" : "NO",
      "",
    ]);
  } finally {
    await tearDownBenchHost(agent, prefix, sandbox);
  }
  const header = AGENT_VS_FLOOR_HEADER;
  console.log(markdownTable(header, rows));
  console.log(`\nruns: ${runs}, medians; agent execute steps (ms):\n${stepsShown.join("\n")}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
