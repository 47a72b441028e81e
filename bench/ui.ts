// `npm run bench:ui`: time to the first complete topology graph (data + layout + render) and the frame rate while
// panning, in headless Chromium, for 20 routers / 200 networks / 2,000 instances beside 200 instances.
// Goals: under 1.5 s to the full graph; at least 30 fps while panning.
// Runs `next start` of an existing build (NETLENS_DIST_DIR, default .next) on a free port, with a database of
// its own in a temporary directory (never the live stack's) and no agent; the bench page draws generated data,
// but pages need a login, so the bench logs in as that database's first admin.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "@playwright/test";
import { freePort } from "../agent/testing/host";
import type { BenchResult } from "../components/topology/bench-probe";
import { chromiumLaunchOptions } from "../e2e/chromium";
import { CLIENT_HEADER } from "../lib/client-header";
import { type CloudSize, seedCloud } from "./cloud";
import { markdownTable, median } from "./stats";

const root = join(import.meta.dirname, "..");
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const PAN_MS = 3000;
const ADMIN_PASSWORD = "bench-ui-admin-password";

async function startNext(port: number, dir: string): Promise<ChildProcess> {
  const child = spawn(
    join(root, "node_modules/.bin/next"),
    ["start", "-H", "127.0.0.1", "-p", String(port)],
    {
      cwd: root,
      stdio: "ignore",
      detached: true,
      env: {
        ...process.env,
        LOG_LEVEL: "warn",
        NETLENS_DATA_DIR: join(dir, "data"),
        NETLENS_STATE_DIR: dir,
        NETLENS_ADMIN_PASSWORD: ADMIN_PASSWORD,
        // No agent: a port nobody listens on, and a token file that does not exist.
        NETLENS_AGENT_URL: `http://127.0.0.1:${await freePort()}`,
        NETLENS_AGENT_TOKEN_FILE: join(dir, "agent-token"),
      },
    },
  );
  for (let i = 0; i < 120; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/api/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return child;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error("next start did not come up (is there a build? run `next build` first)");
}

/** The session cookie of the bench database's admin, logged in over HTTP as the login page does. */
async function login(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/api/trpc/auth.login`, {
    method: "POST",
    headers: { "content-type": "application/json", [CLIENT_HEADER]: "bench" },
    body: JSON.stringify({ username: "admin", password: ADMIN_PASSWORD }),
  });
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith("netlens_session="));
  const value = cookie?.split(";")[0]?.split("=")[1];
  if (!res.ok || !value) throw new Error(`bench login failed: ${res.status} ${await res.text()}`);
  return value;
}

/** `median (min-max)`, rounded to `digits`. */
function spread(xs: number[], digits = 0): string {
  const f = (x: number) => x.toFixed(digits);
  return xs.length < 2 ? f(median(xs)) : `${f(median(xs))} (${f(Math.min(...xs))}-${f(Math.max(...xs))})`;
}

/** A generated topology on the bench page, or the cloud seeded in the database on the topology page itself. */
type Size = { label: string; path: string; cloud: boolean };

const CLOUD: CloudSize = { routers: 100, networks: 1000, instances: 10_000, hosts: 20 };
const generated = (routers: number, networks: number, instances: number, expand = false): Size => ({
  label: `${routers} routers / ${networks} networks / ${instances.toLocaleString("en")} instances, generated${expand ? " (all expanded)" : ""}`,
  path: `/bench?routers=${routers}&networks=${networks}&instances=${instances}${expand ? "&expand=1" : ""}`,
  cloud: false,
});
const SIZES: Size[] = [
  generated(20, 200, 200),
  generated(20, 200, 2000),
  generated(20, 200, 2000, true),
  {
    label: `cloud: ${CLOUD.routers} routers / ${CLOUD.networks.toLocaleString("en")} networks / ${CLOUD.instances.toLocaleString("en")} instances on ${CLOUD.hosts} hosts, topology page + API`,
    path: "/?bench=1",
    cloud: true,
  },
];

async function main() {
  // `--only cloud` / `--only generated`: one half.
  const only = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1] : undefined;
  const sizes = SIZES.filter((s) => only === undefined || (only === "cloud") === s.cloud);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "netlens-bench-ui-"));
  if (sizes.some((s) => s.cloud)) {
    const started = performance.now();
    await seedCloud(join(dir, "data"), CLOUD);
    console.error(`seeded the cloud in ${Math.round(performance.now() - started)} ms (not measured)`);
  }
  const next = await startNext(port, dir);
  const session = await login(port);
  const browser = await chromium.launch({
    headless: true,
    ...chromiumLaunchOptions,
  });
  const rows: string[][] = [];
  try {
    for (const size of sizes) {
      const complete: number[] = [];
      const layout: number[] = [];
      const fps: number[] = [];
      const longest: number[] = [];
      const zoomed: number[] = [];
      const zoomedFps: number[] = [];
      let result: BenchResult | undefined;
      for (let run = 0; run < RUNS; run++) {
        const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
        await page
          .context()
          .addCookies([{ name: "netlens_session", value: session, domain: "127.0.0.1", path: "/" }]);
        await page.goto(`http://127.0.0.1:${port}${size.path}`);
        await page.waitForFunction(() => window.__netlensBench !== undefined, undefined, { timeout: 60_000 });
        result = await page.evaluate(() => window.__netlensBench);
        if (!result) throw new Error("no bench result");
        complete.push(result.completeMs);
        layout.push(result.layoutMs);
        const pan = await page.evaluate((ms) => window.__netlensPan?.(ms), PAN_MS);
        if (!pan) throw new Error("no pan result");
        fps.push(pan.fps);
        longest.push(pan.longestFrameMs);
        // Then zoomed in to 100 % on the middle network, where cards are read: time to draw, and panning.
        const zoomMs = await page.evaluate(() => window.__netlensZoom?.(1));
        const panZoomed = await page.evaluate((ms) => window.__netlensPan?.(ms), PAN_MS);
        if (zoomMs === undefined || !panZoomed) throw new Error("no zoomed result");
        zoomed.push(zoomMs);
        zoomedFps.push(panZoomed.fps);
        await page.close();
      }
      rows.push([
        size.label,
        String(result?.nodes ?? 0),
        `${result?.renderedNodes ?? 0} / ${result?.drawnInstances ?? 0}`,
        spread(layout, 1),
        spread(complete),
        median(complete) < 1500 ? "yes" : "NO",
        spread(fps),
        String(Math.round(median(longest))),
        median(fps) >= 30 ? "yes" : "NO",
        spread(zoomed),
        spread(zoomedFps),
      ]);
    }
  } finally {
    await browser.close();
    if (next.pid && next.exitCode === null) {
      const exited = new Promise((resolve) => next.once("exit", resolve));
      process.kill(-next.pid, "SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    }
    rmSync(dir, { recursive: true, force: true });
  }
  const head = [
    "topology",
    "nodes",
    "drawn at fit: nodes / instances",
    "graph + layout ms",
    "first complete graph ms",
    "< 1.5 s",
    "panning fps at fit",
    "longest frame ms",
    ">= 30 fps",
    "zoom 100 %: drawn in ms",
    "panning fps at 100 %",
  ];
  const table = markdownTable(head, rows);
  console.log(
    `\nUI bench, headless Chromium 1280x720, ${RUNS} runs: median (min-max); times from navigation start\n`,
  );
  console.log(table);
  mkdirSync(join(root, "bench/results"), { recursive: true });
  writeFileSync(join(root, "bench/results/ui.md"), `${table}\n`);
}

await main();
