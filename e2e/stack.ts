// The e2e stack's whereabouts, shared by global setup, teardown and the tests: where its state lives and how to
// reach its API and dataplane. bench/inspect.ts starts the same stack with a record file of its own.
import { execFile, spawn } from "node:child_process";
import { openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

export const repoRoot = join(import.meta.dirname, "..");
/** Written by global setup; read by teardown and tests. */
export const stackFile = join(repoRoot, "test-results", ".e2e-stack.json");

export type Stack = {
  /** Where this record is kept (`stackFile` for the e2e run). */
  file: string;
  dir: string;
  url: string;
  agentPort: number;
  prefix: string;
  chainPrefix: string;
  integrationBridge: string;
  externalBridge: string;
  pids: number[];
  /** The agent's and web server's log level (default: the agent's own, `warn` for the web server). */
  logLevel?: string;
};

/** The stack's accounts (global setup gives them to the server through NETLENS_ADMIN/DEMO_PASSWORD). */
export const E2E_ADMIN_PASSWORD = "e2e-admin-password";
export const E2E_DEMO_PASSWORD = "e2e-demo-password";
/** The admin's browser session, made by global setup: every spec starts logged in as admin (playwright.config). */
export const adminStorageState = join(repoRoot, "test-results", ".e2e-admin-state.json");

/** The web server's own directory (its user's): database, first-start secrets, its copy of the agent token. */
export const webDir = (s: Stack) => join(s.dir, "web");

/** The API token the server wrote for the CLI on its first start. */
export function adminToken(s: Stack = readStack()): string {
  return readFileSync(join(webDir(s), "cli-token"), "utf8").trim();
}

export function readStack(file = stackFile): Stack {
  return JSON.parse(readFileSync(file, "utf8")) as Stack;
}

export function saveStack(s: Stack): void {
  writeFileSync(s.file, JSON.stringify(s, null, 2));
}

export function agentArgs(s: Stack): string[] {
  return [
    "agent/main.ts",
    "--listen",
    `127.0.0.1:${s.agentPort}`,
    "--ovsdb",
    `unix:${s.dir}/ovs/db.sock`,
    "--integration-bridge",
    s.integrationBridge,
    "--bridge-mapping",
    `public:${s.externalBridge}`,
    // The dummy datapath forwards like netdev but makes no root-namespace taps: safe beside a live stack.
    "--datapath-type",
    "dummy",
    "--prefix",
    s.prefix,
    "--chain-prefix",
    s.chainPrefix,
    "--state-dir",
    `${s.dir}/agent`,
    "--token-file",
    `${s.dir}/agent/token`,
    "--metadata-url",
    `${s.url}/api/metadata`,
    ...(s.logLevel === undefined ? [] : ["--log-level", s.logLevel]),
  ];
}

/**
 * Starts the host agent of the stack as its own process group (so that teardown, or `stopAgent`, takes tsx's
 * child with it), logging to `<dir>/agent.log`, and records its pid in the stack file.
 */
export function spawnAgent(s: Stack): number {
  const log = openSync(join(s.dir, "agent.log"), "a");
  const agent = spawn(join(repoRoot, "node_modules/.bin/tsx"), agentArgs(s), {
    cwd: repoRoot,
    stdio: ["ignore", log, log],
    detached: true,
  });
  const pid = agent.pid ?? 0;
  s.pids.push(pid);
  saveStack(s);
  agent.unref();
  return pid;
}

export async function agentUp(s: Stack): Promise<boolean> {
  return (await fetch(`http://127.0.0.1:${s.agentPort}/`).catch(() => null)) !== null;
}

/** Stops a member of the stack by its place in `pids` (its whole process group) and forgets its pid. */
async function stopMember(s: Stack, index: 0 | 1, up: (s: Stack) => Promise<boolean>): Promise<void> {
  const pid = s.pids[index];
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGTERM");
  } catch {
    // already gone
  }
  for (let i = 0; i < 100 && (await up(s)); i++) await new Promise((r) => setTimeout(r, 100));
  s.pids[index] = 0;
  saveStack(s);
}

/** Starts a member again in its place in `pids`, and waits until it answers. */
async function restartMember(
  s: Stack,
  index: 0 | 1,
  spawnIt: (s: Stack) => number,
  up: (s: Stack) => Promise<boolean>,
) {
  spawnIt(s);
  const pid = s.pids.pop() ?? 0;
  s.pids[index] = pid;
  saveStack(s);
  for (let i = 0; i < 300 && !(await up(s)); i++) await new Promise((r) => setTimeout(r, 100));
}

/** Stops the stack's agent (the dataplane stays, as on a real host). */
export const stopAgent = (s: Stack) => stopMember(s, 0, agentUp);
/** Starts the agent again (first in the pid list, where global setup puts it). */
export const restartAgent = (s: Stack) => restartMember(s, 0, spawnAgent, agentUp);
/** Stops the web server (second in the pid list); the database stays. */
export const stopWeb = (s: Stack) => stopMember(s, 1, webUp);
/** Starts the web server again over the same database. */
export const restartWeb = (s: Stack) => restartMember(s, 1, spawnWeb, webUp);

export async function webUp(s: Stack): Promise<boolean> {
  return (await fetch(`${s.url}/api/health`).catch(() => null))?.ok === true;
}

/**
 * Starts the web server (scripts/web.mjs over the build in .next-test) as its own unprivileged user
 * (scripts/web-user.sh, prepared by global setup) and process group, logging to `<dir>/web.log`; records its pid.
 */
export function spawnWeb(s: Stack): number {
  const log = openSync(join(s.dir, "web.log"), "a");
  const port = new URL(s.url).port;
  const web = spawn(
    "bash",
    [
      join(repoRoot, "scripts/web-user.sh"),
      "run",
      s.dir,
      "node",
      "scripts/web.mjs",
      "--hostname",
      "127.0.0.1",
      "--port",
      port,
    ],
    {
      cwd: repoRoot,
      stdio: ["ignore", log, log],
      detached: true,
      env: {
        ...process.env,
        NETLENS_DIST_DIR: process.env.NETLENS_DIST_DIR ?? ".next-test",
        NETLENS_DATA_DIR: join(webDir(s), "data"),
        NETLENS_STATE_DIR: webDir(s),
        NETLENS_AGENT_URL: `http://127.0.0.1:${s.agentPort}`,
        NETLENS_AGENT_TOKEN_FILE: join(webDir(s), "agent-token"),
        NETLENS_SEED_DEMO: "1",
        // The MTU of the one physical network the agent maps (--bridge-mapping public:…).
        NETLENS_PHYSICAL_NETWORK_MTUS: "public:1500",
        NETLENS_ADMIN_PASSWORD: E2E_ADMIN_PASSWORD,
        NETLENS_DEMO_PASSWORD: E2E_DEMO_PASSWORD,
        LOG_LEVEL: s.logLevel ?? "warn",
      },
    },
  );
  const pid = web.pid ?? 0;
  s.pids.push(pid);
  saveStack(s);
  web.unref();
  return pid;
}

/**
 * A query of the API over plain HTTP (tRPC's GET form), for assertions that should not go through the UI.
 * With the e2e stack's admin token unless given another.
 */
export async function apiQuery<T>(url: string, path: string, input: unknown, token?: string): Promise<T> {
  const res = await fetch(`${url}/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`, {
    headers: { authorization: `Bearer ${token ?? adminToken()}` },
  });
  const body = (await res.json()) as { result?: { data: T }; error?: { message: string } };
  if (!body.result) throw new Error(`${path}: ${body.error?.message ?? res.status}`);
  return body.result.data;
}

const run = promisify(execFile);

/** One ping from a namespace; true when it was answered. */
export async function ping(namespace: string, address: string): Promise<boolean> {
  try {
    await run("ip", ["netns", "exec", namespace, "ping", "-c1", "-W2", address]);
    return true;
  } catch {
    return false;
  }
}
