// `npm run bench:ui`: time to the first complete topology graph (data + layout + render) and the frame rate while
// panning, in headless Chromium, for 20 routers / 200 networks / 2,000 instances beside 200 instances.
// Goals (issue 3): under 1.5 s to the full graph; at least 30 fps while panning.
// Runs `next start` of an existing build (NETLENS_DIST_DIR, default .next) on a free port; no API, no agent.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { chromium } from "@playwright/test";

const root = join(import.meta.dirname, "..");
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const PAN_MS = 3000;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => resolve(typeof a === "object" && a ? a.port : 0));
    });
  });
}

async function startNext(port: number): Promise<ChildProcess> {
  const child = spawn(
    join(root, "node_modules/.bin/next"),
    ["start", "-H", "127.0.0.1", "-p", String(port)],
    {
      cwd: root,
      stdio: "ignore",
      detached: true,
      env: { ...process.env, LOG_LEVEL: "warn" },
    },
  );
  for (let i = 0; i < 120; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/bench?instances=0`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return child;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error("next start did not come up (is there a build? run `next build` first)");
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

async function main() {
  const port = await freePort();
  const next = await startNext(port);
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  const sizes: { label: string; routers: number; networks: number; instances: number; expand?: boolean }[] = [
    { label: "20 routers / 200 networks / 200 instances", routers: 20, networks: 200, instances: 200 },
    {
      label: "20 routers / 200 networks / 2,000 instances (collapsed)",
      routers: 20,
      networks: 200,
      instances: 2000,
    },
    {
      label: "20 routers / 200 networks / 2,000 instances (all expanded)",
      routers: 20,
      networks: 200,
      instances: 2000,
      expand: true,
    },
  ];
  const rows: Record<string, string | number>[] = [];
  try {
    for (const size of sizes) {
      const complete: number[] = [];
      const layout: number[] = [];
      const fps: number[] = [];
      const longest: number[] = [];
      let nodes = 0;
      let rendered = 0;
      for (let run = 0; run < RUNS; run++) {
        const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
        await page.goto(
          `http://127.0.0.1:${port}/bench?routers=${size.routers}&networks=${size.networks}&instances=${size.instances}${size.expand ? "&expand=1" : ""}`,
        );
        await page.waitForFunction(() => window.__netlensBench !== undefined, undefined, { timeout: 60_000 });
        const r = await page.evaluate(() => window.__netlensBench);
        if (!r) throw new Error("no bench result");
        complete.push(r.completeMs);
        layout.push(r.layoutMs);
        nodes = r.nodes;
        rendered = r.renderedNodes;
        const pan = await page.evaluate((ms) => window.__netlensPan?.(ms), PAN_MS);
        if (pan) {
          fps.push(pan.fps);
          longest.push(pan.longestFrameMs);
        }
        await page.close();
      }
      rows.push({
        topology: size.label,
        nodes,
        "rendered at fit": rendered,
        "elk (skeleton) ms": Math.round(median(layout)),
        "first complete graph ms": Math.round(median(complete)),
        "goal < 1500": median(complete) < 1500 ? "yes" : "NO",
        "panning fps": Math.round(median(fps)),
        "longest frame ms": Math.round(median(longest)),
        "goal >= 30": median(fps) >= 30 ? "yes" : "NO",
      });
    }
  } finally {
    await browser.close();
    if (next.pid) process.kill(-next.pid, "SIGTERM");
  }
  console.log(
    `\nUI bench, headless Chromium 1280x720, median of ${RUNS} runs (time from navigation start)\n`,
  );
  console.table(rows);
  mkdirSync(join(root, "bench/results"), { recursive: true });
  writeFileSync(join(root, "bench/results/ui.json"), `${JSON.stringify(rows, null, 2)}\n`);
}

await main();
