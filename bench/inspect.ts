// `npm run bench:inspect` (root): how fast host inspection is, both halves.
//
// 1. API change -> browser. The real stack of the e2e tests (OVS sandbox with the dummy datapath, the host agent,
//    the web server over the build in .next-test: e2e/global-setup.ts's startStack, with a record file of its own),
//    the host page (/hosts/<host>, namespaces tab) open in headless Chromium as admin. Each round associates a
//    floating IP with vm2's port through `floatingIp.update` over HTTP (the admin's CLI token) and times, inside
//    the page (a MutationObserver, not Playwright's polling), until the DNAT rule is in the DOM; then
//    disassociates and times until it is gone. Goal: under 500 ms median. The time is split by stage from the
//    server's and agent's debug log lines and from when the page's EventSource got the delta.
// 2. What a snapshot costs the agent on a host with 1,000 floating IPs: bench/inspect-agent.ts, run after the stack
//    is gone (it makes its own sandbox).
//
// Removes all it started, even on failure or Ctrl-C (e2e/global-teardown.ts's stopStack: agent --cleanup,
// sandbox stop).
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type Browser, chromium } from "@playwright/test";
import { freePort } from "../agent/testing/host";
import { chromiumLaunchOptions } from "../e2e/chromium";
import { adminSession, startStack } from "../e2e/global-setup";
import { stopStack } from "../e2e/global-teardown";
import { gotoSettled } from "../e2e/helpers";
import { adminToken, apiQuery, repoRoot, type Stack } from "../e2e/stack";
import { apiMutation } from "../e2e/trace-helpers";
import { markdownTable, max, median, min, quantile } from "./stats";

const { values: args } = parseArgs({
  options: {
    rounds: { type: "string", default: "15" },
    "browser-only": { type: "boolean", default: false },
  },
  strict: true,
});
const ROUNDS = Number(args.rounds);
const GOAL_MS = 500;
const WAIT_MS = 15_000;

const ms = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : "-");

// ---- in the page

type SseMessage = { at: number; seq: number | null; bytes: number; text: string | null };
type Seen = { at: number; frame: number };
type BenchWindow = Window & {
  __benchMarker?: string;
  __benchSse?: SseMessage[];
  __benchWait?: Promise<Seen>;
};

// The two functions below run in the page, serialised by Playwright: tsx (esbuild, keepNames) wraps named
// inner functions and classes in a `__name` helper the page does not have, so neither has any.

/**
 * Before any page script: every EventSource (tRPC's httpSubscriptionLink) also tells us when each message
 * arrived, before tRPC parses it, and which carried the round's marker.
 */
function instrumentEventSource(): void {
  const w = window as BenchWindow;
  const Original = window.EventSource;
  w.__benchSse = [];
  window.EventSource = class extends Original {
    constructor(url: string | URL, init?: EventSourceInit) {
      super(url, init);
      this.addEventListener("message", (event: MessageEvent) => {
        const at = Date.now();
        const data = typeof event.data === "string" ? event.data : "";
        const list = w.__benchSse ?? [];
        const marker = w.__benchMarker;
        const seq = /"seq":(\d+)/.exec(data)?.[1];
        list.push({
          at,
          seq: seq === undefined ? null : Number(seq),
          bytes: data.length,
          text: marker !== undefined && data.includes(marker) ? marker : null,
        });
        if (list.length > 200) list.splice(0, list.length - 200);
      });
    }
  };
}

/** Arms a MutationObserver: resolves `__benchWait` when `selector` matches (present) or stops matching. */
function arm({
  selector,
  present,
  timeoutMs,
}: {
  selector: string;
  present: boolean;
  timeoutMs: number;
}): void {
  const w = window as BenchWindow;
  w.__benchWait = new Promise<Seen>((resolve, reject) => {
    if ((document.querySelector(selector) !== null) === present) {
      reject(new Error(`${selector} is already ${present ? "present" : "absent"}`));
      return;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const observer = new MutationObserver(() => {
      if ((document.querySelector(selector) !== null) !== present) return;
      const at = Date.now();
      observer.disconnect();
      clearTimeout(timer);
      // The frame that paints it starts with this callback.
      requestAnimationFrame(() => resolve({ at, frame: Date.now() }));
    });
    observer.observe(document.body, { childList: true, subtree: true, attributes: true });
    timer = setTimeout(() => {
      observer.disconnect();
      reject(new Error(`${selector} not ${present ? "shown" : "gone"} within ${timeoutMs} ms`));
    }, timeoutMs);
  });
}

// ---- logs of the server and the agent (pino JSON lines; `time` is Date.now() when logged)

type LogLine = { time: number; msg: string; [key: string]: unknown };

function readLog(path: string): LogLine[] {
  const lines: LogLine[] = [];
  for (const text of readFileSync(path, "utf8").split("\n")) {
    if (!text.startsWith("{")) continue; // Next's own banner lines
    try {
      const line = JSON.parse(text) as LogLine;
      if (typeof line.time === "number" && typeof line.msg === "string") lines.push(line);
    } catch {
      // a line cut by the process stopping
    }
  }
  return lines;
}

type Timings = { observe_ms: number; plan_ms: number; execute_ms: number; verify_ms: number };

/** The stages of one association, from the logs and the page; NaN where a log line was not found. */
function stagesOf(
  round: { t0: number; dom: number; received: SseMessage | undefined },
  web: LogLine[],
  agent: LogLine[],
): Record<string, number> {
  const push = web.find((l) => l.msg === "pushing intent" && l.time >= round.t0);
  const applied = agent.find(
    (l) => l.msg === "applied" && push !== undefined && l.revision === push.revision,
  );
  const seq = round.received?.seq ?? null;
  const changed = agent.find((l) => l.msg === "host changed" && l.seq === seq && l.time >= round.t0);
  const relayed = web.find((l) => l.msg === "snapshot event" && l.seq === seq && l.time >= round.t0);
  const t = applied?.timings as Timings | undefined;
  const applyMs = t === undefined ? Number.NaN : t.observe_ms + t.plan_ms + t.execute_ms + t.verify_ms;
  const readMs = changed === undefined ? Number.NaN : Number(changed.read_ms);
  const time = (line: LogLine | undefined) => line?.time ?? Number.NaN;
  const received = round.received?.at ?? Number.NaN;
  return {
    api: time(push) - round.t0,
    toAgent: time(applied) - applyMs - time(push),
    apply: applyMs,
    toRead: time(changed) - readMs - time(applied),
    read: readMs,
    toServer: time(relayed) - time(changed),
    toBrowser: received - time(relayed),
    render: round.dom - received,
  };
}

const STAGES: [string, string][] = [
  ["api", "API call -> intent push starts (server: check, commit, compile the intent)"],
  ["toAgent", "push -> agent starts the apply (HTTP, parse)"],
  ["apply", "agent apply (observe / plan / execute / verify)"],
  ["toRead", "apply done -> host read starts (< 0: a poll read already under way caught it)"],
  ["read", "host read (ovs-vsctl, ip -json, iptables-save)"],
  ["toServer", "read done -> server relay has the delta (SSE agent -> server)"],
  ["toBrowser", "server -> page's EventSource has it (SSE server -> browser)"],
  ["render", "message -> rule in the DOM (tRPC, React)"],
];

// ---- the run

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type HostRow = { host: string | null; online: boolean; applied_revision: number; wanted_revision: number };

async function browserHalf(stack: Stack, browserRef: { browser?: Browser }): Promise<void> {
  const token = adminToken(stack);
  const url = stack.url;
  const query = <T>(path: string, input: unknown) => apiQuery<T>(url, path, input, token);
  const mutate = <T>(path: string, input: unknown) => apiMutation<T>(url, path, input, token);

  // The seeded demo applied on the host, its agent's stream up.
  let host: HostRow | undefined;
  for (let i = 0; i < 120; i++) {
    await query("host.wait", { timeout_ms: 30_000 });
    host = (await query<HostRow[]>("host.list", {}))[0];
    if (host?.online && host.host && host.applied_revision >= host.wanted_revision) break;
    await sleep(250);
  }
  if (!host?.online || !host.host) throw new Error(`the host did not come online: ${JSON.stringify(host)}`);
  const vm2 = await query<{ port_id: string }>("server.show", { id: "vm2" });
  const fip = await mutate<{ id: string; floating_ip_address: string }>("floatingIp.create", {
    floating_network_id: "public",
    project_id: "demo",
  });
  const rule = `-d ${fip.floating_ip_address}/32 -j DNAT`;
  const selector = `[data-testid="nat-rule"][data-rule*="${rule}"]`;

  const browser = await chromium.launch({
    headless: true,
    // Playwright's own handlers would exit this process on Ctrl-C before the stack is stopped: ours close it.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
    ...chromiumLaunchOptions,
  });
  browserRef.browser = browser;
  const context = await browser.newContext({
    storageState: await adminSession(url),
    viewport: { width: 1280, height: 720 },
  });
  await context.addInitScript(instrumentEventSource);
  const page = await context.newPage();
  await gotoSettled(page, `${url}/hosts/${encodeURIComponent(host.host)}`);
  await page.getByTestId("tab-namespaces").click();
  // vm1's seeded floating IP: the router's nat rules are on the page.
  await page.locator('[data-testid="nat-rule"]').first().waitFor({ timeout: 30_000 });
  await page.evaluate((marker) => {
    (window as BenchWindow).__benchMarker = marker;
  }, rule);

  type Round = { t0: number; returned: number; dom: number; frame: number; received: SseMessage | undefined };
  const shown: Round[] = [];
  const gone: number[] = [];
  const reconnects: number[] = [];
  for (let round = 0; round <= ROUNDS; round++) {
    // Round 0 warms up (first compile of the pages' code paths, first nat delta) and is not counted.
    await page.evaluate(arm, { selector, present: true, timeoutMs: WAIT_MS });
    const t0 = Date.now();
    await mutate("floatingIp.update", { id: fip.id, port_id: vm2.port_id });
    const returned = Date.now();
    const seen = await page.evaluate(() => (window as BenchWindow).__benchWait);
    if (!seen) throw new Error("no wait armed in the page");
    const messages = await page.evaluate(() => (window as BenchWindow).__benchSse ?? []);
    const received = messages.find((m) => m.at >= t0 && m.text !== null);
    if (round > 0) {
      shown.push({ t0, returned, dom: seen.at, frame: seen.frame, received });
      // A full snapshot (a reconnected stream) instead of a delta: worth knowing when reading an outlier.
      if (received && received.bytes > 50_000) reconnects.push(round);
    }
    await sleep(400 + Math.random() * 600);

    await page.evaluate(arm, { selector, present: false, timeoutMs: WAIT_MS });
    const t1 = Date.now();
    await mutate("floatingIp.update", { id: fip.id, port_id: null });
    const away = await page.evaluate(() => (window as BenchWindow).__benchWait);
    if (!away) throw new Error("no wait armed in the page");
    if (round > 0) gone.push(away.at - t1);
    // Off the 2 s poll's beat, so that rounds do not all meet (or all miss) a poll read.
    await sleep(400 + Math.random() * 600);
  }
  await context.close();

  const web = readLog(join(stack.dir, "web.log"));
  const agent = readLog(join(stack.dir, "agent.log"));
  const split = shown.map((r) => stagesOf(r, web, agent));

  const total = shown.map((r) => r.dom - r.t0);
  const frame = shown.map((r) => r.frame - r.t0);
  const returned = shown.map((r) => r.returned - r.t0);
  const row = (name: string, xs: number[], goal = "-", met = "-") => [
    name,
    ms(median(xs)),
    ms(quantile(xs, 0.9)),
    ms(min(xs)),
    ms(max(xs)),
    goal,
    met,
  ];
  const medianMs = median(total);
  console.log(
    `\nAPI change -> host page (headless Chromium), ${shown.length} rounds after 1 warm-up, ms` +
      ` (host ${host.host}, floating IP ${fip.floating_ip_address} on vm2)\n`,
  );
  console.log(
    markdownTable(
      ["measure", "median", "p90", "min", "max", "goal", "met"],
      [
        row(
          "floatingIp.update (associate) -> DNAT rule in the page",
          total,
          `< ${GOAL_MS} median`,
          medianMs < GOAL_MS ? "yes" : "NO",
        ),
        row("  ... to the next animation frame (painted)", frame),
        row("  ... floatingIp.update answered", returned),
        row("floatingIp.update (disassociate) -> rule gone", gone),
      ],
    ),
  );
  console.log("\nWhere the time goes (associate; from the server's and agent's log lines and the page):\n");
  console.log(
    markdownTable(
      ["stage", "median", "p90", "min", "max", "rounds"],
      STAGES.map(([key, label]) => {
        const xs = split.map((s) => s[key] ?? Number.NaN).filter(Number.isFinite);
        return [label, ms(median(xs)), ms(quantile(xs, 0.9)), ms(min(xs)), ms(max(xs)), String(xs.length)];
      }),
    ),
  );
  if (reconnects.length > 0)
    console.log(`\nrounds whose rule came in a full snapshot (stream reconnected): ${reconnects.join(", ")}`);
  console.log(`\nmedian ${ms(medianMs)} ms, goal < ${GOAL_MS} ms: met ${medianMs < GOAL_MS ? "yes" : "NO"}`);
}

function runAgentHalf(): Promise<void> {
  console.log("\nSnapshot cost on a host with 1,000 floating IPs (bench/inspect-agent.ts)\n");
  return new Promise((resolve, reject) => {
    const child = spawn(join(repoRoot, "node_modules/.bin/tsx"), [join(repoRoot, "bench/inspect-agent.ts")], {
      cwd: repoRoot,
      stdio: "inherit",
    });
    child.once("error", reject);
    child.once("exit", (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`bench/inspect-agent.ts exited with ${code ?? signal}`)),
    );
  });
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0)
    throw new Error("run as root: the stack makes namespaces, OVS ports and chains");
  if (!Number.isInteger(ROUNDS) || ROUNDS < 1)
    throw new Error(`--rounds: a positive integer, not ${args.rounds}`);
  // Not test-results/: an e2e run beside us owns (and empties) that folder.
  const file = join(tmpdir(), `netlens-bench-inspect-${process.pid}.json`);
  const browserRef: { browser?: Browser } = {};
  let cleaning: Promise<void> | undefined;
  const cleanup = () => {
    cleaning ??= (async () => {
      await browserRef.browser?.close().catch(() => undefined);
      await stopStack(file);
    })();
    return cleaning;
  };
  const interrupted = (signal: NodeJS.Signals) => {
    console.error(`\n${signal}: stopping the stack`);
    cleanup().finally(() => process.exit(130));
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  process.once("SIGHUP", interrupted);
  try {
    const stack = await startStack({ port: await freePort(), file, logLevel: "debug" });
    await browserHalf(stack, browserRef);
  } finally {
    await cleanup();
  }
  if (!args["browser-only"]) await runAgentHalf();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
