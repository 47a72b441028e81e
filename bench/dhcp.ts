// npm run bench:dhcp (root): how soon a DHCP change made through the API is what dnsmasq answers with (goal
// < 1 s): from the tRPC call (a port created, a subnet's host route added) to the file holding it and dnsmasq
// having re-read that file after its SIGHUP (its log line "read <file>"), on a network with few ports and on one
// with 500. Floor, in the same run: the bare work, with no API, database or agent: the same text written to the
// same file and `kill -HUP` to the same dnsmasq, until the same log line.
//
// The stack is the CLI integration tests' (cli/testing/stack.ts): the agent as its own process with its own OVS
// sandbox (dummy datapath), bridges and namespace prefix, the API on an in-memory database with the real
// dispatcher. Everything made is removed at the end, even on failure.
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { dhcpPaths } from "../agent/plan/dhcp";
import { startStack } from "../cli/testing/stack";
import { waitForApplied, wantedRevision } from "../server/agents/wait";
import { markdownTable, max, median, min } from "./stats";

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const GOAL_MS = 1000;
const POLL_MS = 2;
const TIMEOUT_MS = 10_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** dnsmasq's log lines saying it read `file` (one per start or SIGHUP). */
async function readsOf(log: string, file: string): Promise<number> {
  const text = await readFile(log, "utf8").catch(() => "");
  return text.split("\n").filter((line) => line.includes(`read ${file}`)).length;
}

/** Polls until `file` holds `text` and dnsmasq logged one more read of it than `before`: the time it took. */
async function untilRead(
  started: number,
  paths: { log: string; file: string },
  text: string,
  before: number,
): Promise<number> {
  for (;;) {
    const [content, reads] = await Promise.all([
      readFile(paths.file, "utf8").catch(() => ""),
      readsOf(paths.log, paths.file),
    ]);
    if (content.includes(text) && reads > before) return performance.now() - started;
    if (performance.now() - started > TIMEOUT_MS)
      throw new Error(`dnsmasq did not re-read ${paths.file} with ${text} within ${TIMEOUT_MS} ms`);
    await sleep(POLL_MS);
  }
}

type Row = { case: string; runs: number[]; floor: number[] };

async function main(): Promise<void> {
  const stack = await startStack();
  try {
    const admin = stack.api.admin.caller;
    const { db, bus } = stack.api;
    // The agent idle (every revision applied, the port's binding status included): the floor's hand-written
    // line must not meet an apply rewriting the file.
    const idle = async () => {
      if (!(await waitForApplied({ db, bus }, await wantedRevision(db), TIMEOUT_MS)))
        throw new Error("the agent did not apply the change");
    };
    const rows: Row[] = [];

    for (const [label, ports] of [
      ["few ports", 0],
      ["500 ports", 500],
    ] as const) {
      const net = `bench-${ports}`;
      const network = await admin.network.create({ name: net });
      await admin.subnet.create({ name: `${net}-sub`, network_id: net, cidr: "10.64.0.0/20" });
      for (let i = 0; i < ports; i++) await admin.port.create({ network_id: net });
      const paths = dhcpPaths(join(stack.agentStateDir, "dhcp"), network.id);
      await idle();
      await untilRunning(paths.pid);

      // A port created: its host entry in the hosts file.
      const created: Row = { case: `${label}: port create -> hosts re-read`, runs: [], floor: [] };
      for (let i = 0; i < RUNS; i++) {
        const before = await readsOf(paths.log, paths.host);
        const started = performance.now();
        const port = await admin.port.create({ network_id: net });
        created.runs.push(
          await untilRead(started, { log: paths.log, file: paths.host }, `${port.mac_address},`, before),
        );
        await idle();
        // Floor: the same kind of change written and signalled by hand (a MAC and address no port holds; the
        // agent's next write of the file drops the line).
        const floorIp = `10.64.15.${200 + i}`;
        const line = `fa:16:3e:ff:ff:${i.toString(16).padStart(2, "0")},host-floor-${i}.openstacklocal,${floorIp}\n`;
        created.floor.push(await bareReload(paths, paths.host, line));
      }
      rows.push(created);

      // A host route added to the subnet: option 121 in the options file.
      const routed: Row = { case: `${label}: subnet host route -> opts re-read`, runs: [], floor: [] };
      for (let i = 0; i < RUNS; i++) {
        const destination = `192.168.${i}.0/24`;
        const before = await readsOf(paths.log, paths.opts);
        const started = performance.now();
        await admin.subnet.update({
          id: `${net}-sub`,
          host_routes: [{ destination, nexthop: "10.64.0.254" }],
        });
        routed.runs.push(
          await untilRead(
            started,
            { log: paths.log, file: paths.opts },
            `${destination},10.64.0.254`,
            before,
          ),
        );
        await idle();
        routed.floor.push(await bareReload(paths, paths.opts, `tag:floor-${i},option:mtu,1450\n`));
      }
      rows.push(routed);
    }

    const header = ["case", "agent ms", "min-max ms", "floor ms", "ratio", "goal", "met"];
    console.log(
      markdownTable(
        header,
        rows.map((r) => {
          const agent = median(r.runs);
          const floor = median(r.floor);
          return [
            r.case,
            agent.toFixed(1),
            `${min(r.runs).toFixed(1)}-${max(r.runs).toFixed(1)}`,
            floor.toFixed(1),
            (agent / floor).toFixed(2),
            `< ${GOAL_MS} ms`,
            agent < GOAL_MS ? "yes" : "NO",
          ];
        }),
      ),
    );
  } finally {
    await stack.stop();
  }
}

async function untilRunning(pidFile: string): Promise<void> {
  const deadline = performance.now() + TIMEOUT_MS;
  while (!(await readFile(pidFile, "utf8").catch(() => "")).trim()) {
    if (performance.now() > deadline) throw new Error(`dnsmasq did not start (${pidFile})`);
    await sleep(20);
  }
}

/** The floor: `line` appended to `file` (write, no rename), SIGHUP, until dnsmasq logged reading it. */
async function bareReload(paths: { pid: string; log: string }, file: string, line: string): Promise<number> {
  const pid = Number((await readFile(paths.pid, "utf8")).trim());
  const before = await readsOf(paths.log, file);
  const started = performance.now();
  await writeFile(file, `${await readFile(file, "utf8")}${line}`);
  process.kill(pid, "SIGHUP");
  return untilRead(started, { log: paths.log, file }, line, before);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
