// `npm run bench:agent`: the agent's apply times beside the kernel's floor for the same work, measured in the
// same run. Runs in its own OVS sandbox, bridges and namespace prefix (beside a live stack), and cleans up.
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pino from "pino";
import { type Agent, createAgent } from "../agent/agent";
import type { HostIntent, IntentInstance } from "../agent/contract/intent";
import { mapLimit, run } from "../agent/host/exec";
import { renderRestore } from "../agent/plan/iptables";
import { type Sandbox, startSandbox } from "../agent/testing/host";
import { ids, labIntent, labRouter, manyFloatingIps } from "../agent/testing/intent";
import { renderRouterNat } from "../lib/router-nat";
import { AGENT_VS_FLOOR_HEADER, tearDownBenchHost } from "./host";
import { markdownTable, median, time } from "./stats";

const tag = randomBytes(2).toString("hex");
const prefix = `b${tag}-`;
const intBridge = `b${tag}-int`;
const exBridge = `b${tag}-ex`;
const floorNs = `${prefix}floor`;

/** `limit`: the goal as a ratio to the floor, or in ms where there is no floor. */
type Row = { case: string; agent: number; floor: number | null; limit: number; phases?: string };
const rows: Row[] = [];

/**
 * As the server pushes it: `repair: []` (no repair asked), so the agent applies what changed. An intent
 * without `repair` (or "all") asks for a full reconcile: the whole host read, drift put back.
 */
function routerIntent(revision: number, fips: number, extra = 0): HostIntent {
  return { ...labIntent(revision, labRouter({ floating_ips: manyFloatingIps(fips + extra) })), repair: [] };
}

/** The kernel floor of a router with `count` floating IPs: one full iptables-restore + one `ip -batch`. */
async function floorFromEmpty(count: number): Promise<number> {
  await run("ip", ["netns", "add", floorNs]);
  try {
    const router = labRouter({ floating_ips: manyFloatingIps(count) });
    const gateway = router.gateway;
    if (gateway === null) throw new Error("lab router has a gateway");
    const qg = `qg-${gateway.port_id.slice(0, 11)}`;
    await run("ip", ["-n", floorNs, "link", "add", qg, "type", "veth", "peer", "name", "floor-peer"]);
    const nat = renderRouterNat(router, "netlens");
    const restore = renderRestore(nat.chains, [], nat.jumps);
    const addrs = [
      `${gateway.ip_address}/24`,
      ...router.floating_ips.map((f) => `${f.floating_ip_address}/32`),
    ];
    const batch = `${addrs.map((a) => `addr add ${a} dev ${qg}`).join("\n")}\n`;
    return await time(async () => {
      await run("ip", ["netns", "exec", floorNs, "iptables-restore"], { input: restore });
      await run("ip", ["-n", floorNs, "-batch", "-"], { input: batch });
    });
  } finally {
    await run("ip", ["netns", "del", floorNs]);
  }
}

/** The floor of one more floating IP on a router with `count`: its 3 rules with --noflush + one `ip addr add`. */
async function floorAddOne(count: number): Promise<number> {
  await run("ip", ["netns", "add", floorNs]);
  try {
    const router = labRouter({ floating_ips: manyFloatingIps(count) });
    const nat = renderRouterNat(router, "netlens");
    await run("ip", ["-n", floorNs, "link", "add", "qg-floor", "type", "veth", "peer", "name", "floor-peer"]);
    await run("ip", ["netns", "exec", floorNs, "iptables-restore"], {
      input: renderRestore(nat.chains, [], nat.jumps),
    });
    const [fip] = manyFloatingIps(1, count);
    if (fip === undefined) throw new Error("fip");
    const rules = [
      "*nat",
      `-A netlens-PREROUTING -d ${fip.floating_ip_address}/32 -j DNAT --to-destination ${fip.fixed_ip_address}`,
      `-A netlens-OUTPUT -d ${fip.floating_ip_address}/32 -j DNAT --to-destination ${fip.fixed_ip_address}`,
      `-A netlens-float-snat -s ${fip.fixed_ip_address}/32 -j SNAT --to-source ${fip.floating_ip_address}`,
      "COMMIT",
      "",
    ].join("\n");
    return await time(async () => {
      await run("ip", ["netns", "exec", floorNs, "iptables-restore", "--noflush"], { input: rules });
      await run("ip", ["-n", floorNs, "addr", "add", `${fip.floating_ip_address}/32`, "dev", "qg-floor"]);
    });
  } finally {
    await run("ip", ["netns", "del", floorNs]);
  }
}

function instances(count: number): IntentInstance[] {
  return Array.from({ length: count }, (_, i) => {
    const n = i + 10;
    const hex = n.toString(16).padStart(4, "0");
    return {
      id: `d1${hex}00-0000-4000-8000-${n.toString(16).padStart(12, "0")}`,
      port_id: `c9${hex}00-0000-4000-8000-${n.toString(16).padStart(12, "0")}`,
      network_id: ids.tenant,
      mac_address: `fa:16:3e:01:${hex.slice(0, 2)}:${hex.slice(2)}`,
      ip_address: `10.0.${Math.floor(n / 250)}.${(n % 250) + 1}`,
      prefixlen: 16,
      gateway_ip: null,
      host_routes: [],
      mtu: 1450,
    };
  });
}

/** Namespaces a floor configures at once: as many as the agent does (agent/converge/execute.ts). */
const FLOOR_PARALLEL = 4;

/**
 * The floor of plugging instances from empty: the agent's work, with the fewest processes iproute2 and OVS
 * allow. One root `ip -batch` makes every namespace and veth pair (the namespace end born there with its MAC and
 * MTU); then, at once, one `ovs-vsctl` transaction adds every port with its tag and external_ids (and waits for
 * vswitchd, as the agent's does), and one `ip -batch` per namespace sets lo and eth0 up and eth0's address (an
 * address cannot be set from outside its namespace: RTM_NEWADDR has no target namespace).
 */
async function floorInstances(sandbox: Sandbox, list: IntentInstance[]): Promise<number> {
  const made = list.map((instance, i) => ({
    instance,
    ns: `${floorNs}-${i}`,
    tap: `bfl${tag}${i.toString().padStart(4, "0")}`,
  }));
  const root = [
    ...made.map((m) => `netns add ${m.ns}`),
    ...made.map(
      ({ instance: x, ns, tap }) =>
        `link add ${tap} mtu ${x.mtu} up type veth peer name eth0 netns ${ns} address ${x.mac_address} mtu ${x.mtu}`,
    ),
  ];
  const ovsArgs = made.flatMap(({ instance: x, tap }) => [
    "--",
    "add-port",
    intBridge,
    tap,
    "tag=1",
    "--",
    "set",
    "Interface",
    tap,
    `external_ids:iface-id=${x.port_id}`,
    `external_ids:attached-mac=${x.mac_address}`,
    `external_ids:netlens-prefix=${prefix}floor`,
  ]);
  try {
    return await time(async () => {
      await run("ip", ["-batch", "-"], { input: `${root.join("\n")}\n` });
      await Promise.all([
        run("ovs-vsctl", [`--db=${sandbox.db}`, ...ovsArgs]),
        mapLimit(made, FLOOR_PARALLEL, ({ instance: x, ns }) =>
          run("ip", ["-n", ns, "-batch", "-"], {
            input: `link set lo up\nlink set eth0 up\naddr add ${x.ip_address}/${x.prefixlen} dev eth0\n`,
          }),
        ),
      ]);
    });
  } finally {
    await run("ovs-vsctl", [
      `--db=${sandbox.db}`,
      ...made.flatMap((m) => ["--", "--if-exists", "del-port", m.tap]),
    ]);
    const gone = made.flatMap((m) => [`link del ${m.tap}`, `netns del ${m.ns}`]);
    await run("ip", ["-force", "-batch", "-"], { input: `${gone.join("\n")}\n`, allowFailure: true });
  }
}

/** The last apply's phases: observe / plan / execute / verify, in ms. */
let lastPhases = "";

async function applyOk(agent: Agent, intent: HostIntent): Promise<number> {
  let errors = "";
  // The gratuitous ARPs an apply sends go out after it, in the background: not in its time, nor in the next's.
  await agent.idle();
  const ms = await time(async () => {
    const result = await agent.apply(intent);
    if (result.errors.length > 0) errors = JSON.stringify(result.errors);
    const t = result.timings;
    lastPhases = t
      ? [t.observe_ms, t.plan_ms, t.execute_ms, t.verify_ms].map((v) => v.toFixed(0)).join("/")
      : "";
  });
  if (errors) throw new Error(`apply failed: ${errors}`);
  return ms;
}

/** The bench's agent, and the revision its next intent takes. */
type Bench = { agent: Agent; sandbox: Sandbox; revision: number };

const empty = (b: Bench): HostIntent => ({
  revision: b.revision++,
  networks: [],
  routers: [],
  instances: [],
  uplinks: [],
  repair: [],
});

async function routerCases(b: Bench): Promise<void> {
  const a = b.agent;
  for (const count of [10, 100, 1000, 5000]) {
    const reps = count >= 5000 ? 1 : 3;
    const agentTimes: number[] = [];
    const floorTimes: number[] = [];
    for (let i = 0; i < reps; i++) {
      await applyOk(a, empty(b));
      agentTimes.push(await applyOk(a, routerIntent(b.revision++, count)));
      floorTimes.push(await floorFromEmpty(count));
    }
    rows.push({
      case: `router with ${count} FIPs, from an empty host`,
      agent: median(agentTimes),
      floor: median(floorTimes),
      limit: 3,
      phases: lastPhases,
    });
    console.error(`done: ${count} FIPs`);
  }

  await applyOk(a, empty(b));
  await applyOk(a, routerIntent(b.revision++, 1000));
  const addAgent: number[] = [];
  const addFloor: number[] = [];
  for (let i = 1; i <= 3; i++) {
    addAgent.push(await applyOk(a, routerIntent(b.revision++, 1000, i)));
    addFloor.push(await floorAddOne(1000 + i - 1));
  }
  rows.push({
    case: "+1 FIP on a router with 1000",
    agent: median(addAgent),
    floor: median(addFloor),
    limit: 3,
    phases: lastPhases,
  });

  const same = routerIntent(b.revision++, 1003);
  await applyOk(a, same);
  const reapply: number[] = [];
  for (let i = 0; i < 5; i++) reapply.push(await applyOk(a, same));
  rows.push({
    case: "re-apply unchanged, 1000 FIPs",
    agent: median(reapply),
    floor: null,
    limit: 100,
    phases: lastPhases,
  });
  const full: number[] = [];
  for (let i = 0; i < 5; i++) full.push(await applyOk(a, { ...same, repair: "all" }));
  rows.push({
    case: "full reconcile (repair all), 1000 FIPs",
    agent: median(full),
    floor: null,
    limit: 100,
    phases: lastPhases,
  });
}

async function instanceCase(b: Bench, runs: number): Promise<void> {
  const a = b.agent;
  await applyOk(a, empty(b));
  const bound: number[] = [];
  const floor: number[] = [];
  let boundPhases = "";
  for (let i = 0; i < runs; i++) {
    const intent = { ...labIntent(b.revision++, null), repair: [] };
    intent.instances = instances(100);
    intent.uplinks = [];
    bound.push(await applyOk(a, intent));
    boundPhases = lastPhases;
    await applyOk(a, empty(b));
    floor.push(await floorInstances(b.sandbox, instances(100)));
  }
  rows.push({
    case: "100 instance ports in one apply",
    agent: median(bound),
    floor: median(floor),
    limit: 2,
    phases: boundPhases,
  });
}

async function main(): Promise<void> {
  // --only instances: the 100-instance case alone (--runs N of it, 3 by default); --only routers: the others.
  const { values } = parseArgs({
    options: { only: { type: "string" }, runs: { type: "string", default: "3" } },
  });
  const only = values.only;
  if (only !== undefined && only !== "routers" && only !== "instances")
    throw new Error(`--only takes routers or instances, not ${only}`);
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1)
    throw new Error(`--runs takes a whole number from 1, not ${values.runs}`);
  const sandbox = await startSandbox(`bench-${tag}`);
  let agent: Agent | undefined;
  try {
    agent = await createAgent(
      {
        ovsdb: sandbox.db,
        integrationBridge: intBridge,
        bridgeMappings: { public: exBridge },
        datapathType: "dummy",
        prefix,
        stateDir: join(sandbox.dir, "agent"),
      },
      // NETLENS_BENCH_LOG=debug: each apply's log line (mode, scope, steps) on stderr.
      pino({ level: process.env.NETLENS_BENCH_LOG ?? "silent" }, pino.destination(2)),
    );
    const b: Bench = { agent, sandbox, revision: 1 };
    if (only !== "instances") await routerCases(b);
    if (only !== "routers") await instanceCase(b, runs);
  } finally {
    await tearDownBenchHost(agent, prefix, sandbox);
  }

  const header = AGENT_VS_FLOOR_HEADER;
  const table = rows.map((r) => {
    const ratio = r.floor === null ? null : r.agent / r.floor;
    const met = ratio === null ? r.agent < r.limit : ratio <= r.limit;
    return [
      r.case,
      r.agent.toFixed(1),
      r.floor?.toFixed(1) ?? "-",
      ratio?.toFixed(2) ?? "-",
      ratio === null ? `< ${r.limit} ms` : `<= ${r.limit}x`,
      met ? "yes" : "NO",
      r.phases ?? "",
    ];
  });
  console.log(markdownTable(header, table));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
