// `npm run bench:agent`: the agent's apply times beside the kernel's floor for the same work, measured in the
// same run. Runs in its own OVS sandbox, bridges and namespace prefix (beside a live stack), and cleans up.
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import pino from "pino";
import { type Agent, createAgent } from "../agent/agent";
import type { HostIntent, IntentInstance } from "../agent/contract/intent";
import { run } from "../agent/host/exec";
import { renderRestore } from "../agent/plan/iptables";
import { namespacesWithPrefix, type Sandbox, startSandbox } from "../agent/testing/host";
import { ids, labIntent, labRouter, manyFloatingIps } from "../agent/testing/intent";
import { renderRouterNat } from "../lib/router-nat";
import { markdownTable, median, time } from "./stats";

const tag = randomBytes(2).toString("hex");
const prefix = `b${tag}-`;
const intBridge = `b${tag}-int`;
const exBridge = `b${tag}-ex`;
const floorNs = `${prefix}floor`;

type Row = { case: string; agent: number; floor: number | null; goal: string; phases?: string };
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

/** The floor of binding `count` ports: one ovs-vsctl transaction adding them (veths made beforehand). */
async function floorOvsPorts(sandbox: Sandbox, count: number): Promise<number> {
  const names = Array.from({ length: count }, (_, i) => `bfl${tag}${i.toString().padStart(4, "0")}`);
  const lines = names.map((n) => `link add ${n} type veth peer name ${n}p`);
  await run("ip", ["-batch", "-"], { input: `${lines.join("\n")}\n` });
  try {
    const args = names.flatMap((n, i) => [
      "--",
      "add-port",
      intBridge,
      n,
      "tag=1",
      "--",
      "set",
      "Interface",
      n,
      `external_ids:iface-id=port-${i}`,
      `external_ids:netlens-prefix=${prefix}floor`,
    ]);
    return await time(() => run("ovs-vsctl", [`--db=${sandbox.db}`, ...args]));
  } finally {
    await run("ovs-vsctl", [
      `--db=${sandbox.db}`,
      ...names.flatMap((n) => ["--", "--if-exists", "del-port", n]),
    ]);
    await run("ip", ["-batch", "-"], { input: `${names.map((n) => `link del ${n}`).join("\n")}\n` });
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

async function main(): Promise<void> {
  const sandbox = await startSandbox(`bench-${tag}`);
  let agent: Agent | undefined;
  let revision = 1;
  const empty = (): HostIntent => ({
    revision: revision++,
    networks: [],
    routers: [],
    instances: [],
    uplinks: [],
    repair: [],
  });
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
    const a = agent;
    for (const count of [10, 100, 1000, 5000]) {
      const reps = count >= 5000 ? 1 : 3;
      const agentTimes: number[] = [];
      const floorTimes: number[] = [];
      for (let i = 0; i < reps; i++) {
        await applyOk(a, empty());
        agentTimes.push(await applyOk(a, routerIntent(revision++, count)));
        floorTimes.push(await floorFromEmpty(count));
      }
      rows.push({
        case: `router with ${count} FIPs, from an empty host`,
        agent: median(agentTimes),
        floor: median(floorTimes),
        goal: "<= 3x",
        phases: lastPhases,
      });
      console.error(`done: ${count} FIPs`);
    }

    await applyOk(a, empty());
    await applyOk(a, routerIntent(revision++, 1000));
    const addAgent: number[] = [];
    const addFloor: number[] = [];
    for (let i = 1; i <= 3; i++) {
      addAgent.push(await applyOk(a, routerIntent(revision++, 1000, i)));
      addFloor.push(await floorAddOne(1000 + i - 1));
    }
    rows.push({
      case: "+1 FIP on a router with 1000",
      agent: median(addAgent),
      floor: median(addFloor),
      goal: "<= 3x",
      phases: lastPhases,
    });

    const same = routerIntent(revision++, 1003);
    await applyOk(a, same);
    const reapply: number[] = [];
    for (let i = 0; i < 5; i++) reapply.push(await applyOk(a, same));
    rows.push({
      case: "re-apply unchanged, 1000 FIPs",
      agent: median(reapply),
      floor: null,
      goal: "< 100 ms",
      phases: lastPhases,
    });
    const full: number[] = [];
    for (let i = 0; i < 5; i++) full.push(await applyOk(a, { ...same, repair: "all" }));
    rows.push({
      case: "full reconcile (repair all), 1000 FIPs",
      agent: median(full),
      floor: null,
      goal: "< 100 ms",
      phases: lastPhases,
    });

    await applyOk(a, empty());
    const bound: number[] = [];
    const ovsFloor: number[] = [];
    let boundPhases = "";
    for (let i = 0; i < 3; i++) {
      const intent = { ...labIntent(revision++, null), repair: [] };
      intent.instances = instances(100);
      intent.uplinks = [];
      bound.push(await applyOk(a, intent));
      boundPhases = lastPhases;
      await applyOk(a, empty());
      ovsFloor.push(await floorOvsPorts(sandbox, 100));
    }
    rows.push({
      case: "100 instance ports in one apply",
      agent: median(bound),
      floor: median(ovsFloor),
      goal: "<= 3x",
      phases: boundPhases,
    });
  } finally {
    if (agent !== undefined) {
      await agent.cleanup();
      await agent.close();
    }
    for (const ns of await namespacesWithPrefix(prefix))
      await run("ip", ["netns", "del", ns], { allowFailure: true });
    await sandbox.stop();
  }

  const header = [
    "case",
    "agent ms",
    "floor ms",
    "ratio",
    "goal",
    "met",
    "agent: observe/plan/execute/verify ms",
  ];
  const table = rows.map((r) => {
    const ratio = r.floor === null ? null : r.agent / r.floor;
    const met = r.floor === null ? r.agent < 100 : ratio !== null && ratio <= 3;
    return [
      r.case,
      r.agent.toFixed(1),
      r.floor?.toFixed(1) ?? "-",
      ratio?.toFixed(2) ?? "-",
      r.goal,
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
