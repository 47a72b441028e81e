// npm run bench:ha (root): how long an HA router's floating IP stays unreachable when its active node fails
// (goal < 3 s), from a bounded ping stream (one every 0.1 s) from the outside world: the longest time between two
// replies. Two network nodes as in the integration test (agent/testing/ha.ts: two agents on one OVS sandbox,
// dummy datapath, prefixes of their own), VRRP adverts at the agent's default interval. Case: the active node goes
// down (its agent stopped, its router's ports cut, its keepalived killed: the other node hears no advert). After
// each run the node comes back as standby (its agent started again), so that the runs are consecutive failovers
// back and forth, each printed. Floor: what VRRP itself takes to notice (RFC 5798's Master_Down_Interval: 3
// adverts and the skew), computed from the same settings.
import pino from "pino";
import type { ApplyResult } from "../agent/contract/intent";
import { DEFAULT_ADVERT_INT, DEFAULT_PRIORITY } from "../agent/plan/keepalived";
import {
  bringBack,
  FIP,
  type HaLab,
  type HaNode,
  holdersOf,
  pingGap,
  startHaLab,
  takeDown,
  waitForOneHolder,
} from "../agent/testing/ha";
import { markdownTable, max, median, min } from "./stats";

const RUNS = Number(process.env.BENCH_RUNS ?? 4);
const ADVERT_INT = DEFAULT_ADVERT_INT;
const GOAL_S = 3;
const SKEW_S = ((256 - DEFAULT_PRIORITY) * ADVERT_INT) / 256;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `recover`: how the failed node comes back (its agent started again, or still running). */
type Case = {
  label: string;
  fail: (node: HaNode) => Promise<void>;
  recover: (node: HaNode, revision: number) => Promise<ApplyResult>;
  floorS: number;
};

async function activeNode(lab: HaLab): Promise<HaNode> {
  const node = await waitForOneHolder(lab, FIP, 10_000);
  if (node === null) {
    const holding = (await holdersOf(lab, FIP)).map((n) => n.name);
    throw new Error(`not one node holds the floating IP, but [${holding.join(", ")}]`);
  }
  return node;
}

async function main(): Promise<void> {
  const lab = await startHaLab("bh", pino({ level: process.env.NETLENS_BENCH_LOG ?? "silent" }), ADVERT_INT);
  let revision = 1;
  try {
    for (const node of lab.nodes) {
      const result = await node.agent.apply(node.intent(revision));
      if (result.errors.length > 0) throw new Error(JSON.stringify(result.errors));
    }
    await activeNode(lab);

    const cases: Case[] = [
      {
        label: "active node down (agent stopped, ports cut, keepalived killed)",
        fail: takeDown,
        recover: bringBack,
        floorS: 3 * ADVERT_INT + SKEW_S,
      },
    ];
    const rows: string[][] = [];
    for (const c of cases) {
      const gaps: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const active = await activeNode(lab);
        const stream = await pingGap(lab.uplinkNs, FIP, { intervalS: 0.1, durationS: 6 }, async () => {
          await sleep(1000);
          await c.fail(active);
        });
        gaps.push(stream.gapS);
        console.log(
          `failover ${i + 1}: node ${active.name} down, floating IP unreachable ${stream.gapS.toFixed(2)} s ` +
            `(${stream.received}/${stream.sent} answered)`,
        );
        // The failed node comes back, as standby.
        revision++;
        for (const node of lab.nodes) {
          const result = await (node === active
            ? c.recover(node, revision)
            : node.agent.apply(node.intent(revision)));
          if (result.errors.length > 0) throw new Error(JSON.stringify(result.errors));
        }
        await sleep(1500);
      }
      const gap = median(gaps);
      rows.push([
        c.label,
        gap.toFixed(2),
        `${min(gaps).toFixed(2)}-${max(gaps).toFixed(2)}`,
        gaps.map((g) => g.toFixed(2)).join(", "),
        c.floorS.toFixed(2),
        (gap / c.floorS).toFixed(2),
        `< ${GOAL_S} s`,
        max(gaps) < GOAL_S ? "yes" : "NO",
      ]);
    }
    console.log(`advert_int ${ADVERT_INT} s, ${RUNS} runs per case, ping every 0.1 s`);
    console.log(
      markdownTable(
        ["case", "gap s (median)", "min-max s", "each s", "VRRP floor s", "ratio", "goal", "met"],
        rows,
      ),
    );
  } finally {
    await lab.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
