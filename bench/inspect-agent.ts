// `npm run bench:inspect-agent` (root): what host inspection costs the agent on a router with 1,000 floating IPs,
// beside the floor: the same commands run back to back by hand. Runs in its own OVS sandbox, bridges and
// namespace prefix (beside a live stack), and removes all it made, even on failure.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import pino from "pino";
import { type Agent, createAgent } from "../agent/agent";
import { serveAgent } from "../agent/api/http";
import type { SnapshotEvent } from "../agent/contract/snapshot";
import { run } from "../agent/host/exec";
import { Ovs } from "../agent/host/ovs";
import { dhcpDir, haDir } from "../agent/options";
import { showAndListArgs } from "../agent/read/ovs-ports";
import { SnapshotReader } from "../agent/read/snapshot-reader";
import { createAgentTestClient } from "../agent/testing/client";
import { namespacesWithPrefix, startSandbox } from "../agent/testing/host";
import { labIntent, labRouter, manyFloatingIps } from "../agent/testing/intent";
import { tearDownBenchHost } from "./host";
import { markdownTable, median, time } from "./stats";

const tag = randomBytes(2).toString("hex");
const prefix = `n${tag}-`;
const intBridge = `n${tag}-int`;
const exBridge = `n${tag}-ex`;
const FIPS = 1000;
const INTERVAL_MS = 2000;
const IDLE_MS = 20_000;
const REPS = 9;

type Row = {
  case: string;
  agent: number;
  floor: number | null;
  unit: string;
  goal: string;
  met: boolean | null;
};
const rows: Row[] = [];

const ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;

/** CPU ms of this process (process.cpuUsage) and of its reaped children (ip, iptables-save, ovs-vsctl). */
function cpuNow(): { self: number; children: number } {
  const usage = process.cpuUsage();
  // /proc/self/stat: fields after the command name in parentheses; cutime and cstime are the 16th and 17th.
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const children = Number(fields[13]) + Number(fields[14]);
  return { self: (usage.user + usage.system) / 1000, children: (children * 1000) / ticksPerSecond };
}

/** CPU as % of one core over `ms` while the event loop runs whatever was started (polling). */
async function idleCpu(ms: number): Promise<{ self: number; total: number }> {
  const before = cpuNow();
  const start = performance.now();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const elapsed = performance.now() - start;
  const after = cpuNow();
  const self = after.self - before.self;
  const children = after.children - before.children;
  return { self: (self / elapsed) * 100, total: ((self + children) / elapsed) * 100 };
}

/** The floor of one snapshot: the agent's commands, one after another, output read and dropped. */
async function floorSnapshot(db: string, namespaces: string[]): Promise<void> {
  await run("ovs-vsctl", [`--db=${db}`, "--timeout=30", ...showAndListArgs]);
  for (const ns of namespaces) {
    await run("ip", ["-n", ns, "-json", "-batch", "-"], { input: "addr show\nroute show\n" });
    if (ns.startsWith(`${prefix}qrouter-`))
      await run("ip", ["netns", "exec", ns, "iptables-save", "-t", "nat", "-c"]);
  }
}

async function main(): Promise<void> {
  const sandbox = await startSandbox(`inspect-bench-${tag}`);
  let agent: Agent | undefined;
  let http: { url: string; close: () => Promise<void> } | undefined;
  try {
    agent = await createAgent(
      {
        ovsdb: sandbox.db,
        integrationBridge: intBridge,
        bridgeMappings: { public: exBridge },
        datapathType: "dummy",
        prefix,
        stateDir: join(sandbox.dir, "agent"),
        inspectIntervalMs: INTERVAL_MS,
      },
      pino({ level: "silent" }),
    );
    let revision = 1;
    const intent = (extra: number) =>
      labIntent(revision++, labRouter({ floating_ips: manyFloatingIps(FIPS + extra) }));
    const applied = await agent.apply(intent(0));
    if (applied.errors.length > 0) throw new Error(`apply failed: ${JSON.stringify(applied.errors)}`);
    const token = randomBytes(16).toString("hex");
    http = await serveAgent(agent, token, { host: "127.0.0.1", port: 0 });
    const client = createAgentTestClient(http.url, token);
    const namespaces = (await namespacesWithPrefix(prefix)).sort();
    const settings = {
      prefix,
      chainPrefix: agent.options.chainPrefix,
      bridges: [intBridge, exBridge],
      dhcpDir: dhcpDir(agent.options),
      haDir: haDir(agent.options),
      owns: () => true,
    };
    const ovs = new Ovs(sandbox.db, sandbox.dir);

    // Cold: a new reader each time, so every section is parsed and hashed.
    const cold: number[] = [];
    const floor: number[] = [];
    let sizes = "";
    for (let i = 0; i < REPS; i++) {
      let read: Awaited<ReturnType<SnapshotReader["read"]>> | undefined;
      cold.push(
        await time(async () => {
          read = await new SnapshotReader(ovs, settings).read();
        }),
      );
      if (read !== undefined && read.errors.length > 0) throw new Error(read.errors.join("; "));
      floor.push(await time(() => floorSnapshot(sandbox.db, namespaces)));
      if (i === 0 && read !== undefined) {
        const bytes = Object.values(read.sections).reduce((sum, s) => sum + JSON.stringify(s).length, 0);
        sizes = `${Object.keys(read.sections).length} sections, ${(bytes / 1024).toFixed(0)} KiB`;
      }
    }
    const coldMs = median(cold);
    rows.push({
      case: `snapshot, cold (parse all), ${FIPS} FIPs`,
      agent: coldMs,
      floor: median(floor),
      unit: "ms",
      goal: "< 200 ms",
      met: coldMs < 200,
    });

    // Warm: what the CLI's `host inspect` waits for, over HTTP with the token (read, unchanged sections reused).
    const warm: number[] = [];
    const warmFloor: number[] = [];
    for (let i = 0; i < REPS; i++) {
      warm.push(await time(() => client.snapshot.query()));
      warmFloor.push(await time(() => floorSnapshot(sandbox.db, namespaces)));
    }
    const warmMs = median(warm);
    rows.push({
      case: `snapshot query over HTTP, warm, ${FIPS} FIPs`,
      agent: warmMs,
      floor: median(warmFloor),
      unit: "ms",
      goal: "< 200 ms",
      met: warmMs < 200,
    });

    // Idle: one subscriber over SSE, nothing changing, the monitor polling every INTERVAL_MS.
    const events: SnapshotEvent[] = [];
    const subscription = client.snapshots.subscribe(undefined, {
      onData: (tracked) => events.push(tracked.data),
    });
    while (events.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    const agentIdle = await idleCpu(IDLE_MS);
    const deltasAtIdle = events.length - 1;

    // +1 FIP while subscribed: from the apply call to the delta carrying the new nat text.
    const latency: number[] = [];
    const applyOnly: number[] = [];
    for (let extra = 1; extra <= 5; extra++) {
      const [fip] = manyFloatingIps(1, FIPS + extra - 1);
      if (fip === undefined) throw new Error("fip");
      const seen = events.length;
      const start = performance.now();
      applyOnly.push((await agent.apply(intent(extra))).duration_ms);
      for (;;) {
        const hit = events
          .slice(seen)
          .some(
            (e) =>
              e.type === "delta" &&
              Object.values(e.changed).some(
                (s) => s?.kind === "nat" && s.text.includes(`${fip.floating_ip_address}/32`),
              ),
          );
        if (hit) break;
        if (performance.now() - start > 10_000) throw new Error("no delta after apply");
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      latency.push(performance.now() - start);
    }
    subscription.unsubscribe();

    // The floor at idle: the same commands, every INTERVAL_MS, for as long.
    let stop = false;
    const loop = (async () => {
      while (!stop) {
        await floorSnapshot(sandbox.db, namespaces);
        await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS));
      }
    })();
    const floorIdle = await idleCpu(IDLE_MS);
    stop = true;
    await loop;

    rows.push({
      case: `idle CPU, subscribed, poll ${INTERVAL_MS / 1000} s (node + children)`,
      agent: agentIdle.total,
      floor: floorIdle.total,
      unit: "% core",
      goal: "< 5 %",
      met: agentIdle.total < 5,
    });
    rows.push({
      case: "idle CPU, node process only (process.cpuUsage)",
      agent: agentIdle.self,
      floor: floorIdle.self,
      unit: "% core",
      goal: "-",
      met: null,
    });
    rows.push({
      case: "+1 FIP: apply call -> nat delta (floor: apply alone)",
      agent: median(latency),
      // Not a floor: the apply alone, so that the difference is what inspection adds after it.
      floor: median(applyOnly),
      unit: "ms",
      goal: "-",
      met: null,
    });
    console.error(`host: ${sizes}; ${deltasAtIdle} deltas during ${IDLE_MS / 1000} s idle`);
  } finally {
    await http?.close();
    await tearDownBenchHost(agent, prefix, sandbox);
  }

  const header = ["case", "agent", "floor", "unit", "ratio", "goal", "met"];
  const table = rows.map((r) => [
    r.case,
    r.agent.toFixed(r.unit === "ms" ? 1 : 2),
    r.floor === null ? "-" : r.floor.toFixed(r.unit === "ms" ? 1 : 2),
    r.unit,
    r.floor === null || r.floor === 0 ? "-" : (r.agent / r.floor).toFixed(2),
    r.goal,
    r.met === null ? "-" : r.met ? "yes" : "NO",
  ]);
  console.log(markdownTable(header, table));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
