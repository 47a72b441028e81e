// Starts the stack the e2e tests drive: OVS sandbox -> host agent -> the web server (scripts/web.mjs over the
// build in .next-test, which scripts/test.sh has made, as its own unprivileged user: scripts/web-user.sh), all on
// free ports with their own state directory, namespace/chain prefix and bridge names, so that it runs beside a
// live `npm run up`. The same pieces as scripts/up.sh.
// `startStack` / `adminSession` are also used by bench/inspect.ts (with a record file of its own).
import { type ChildProcess, execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "../agent/testing/host";
import { CLIENT_HEADER } from "../lib/client-header";
import {
  adminStorageState,
  agentUp,
  E2E_ADMIN_PASSWORD,
  repoRoot,
  type Stack,
  saveStack,
  spawnAgent,
  spawnWeb,
  stackFile,
  webUp,
} from "./stack";

const run = promisify(execFile);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A detached child's exit as `waitFor` reads it (1 once the process is gone). */
const exitOf = (pid: number) => ({
  get exitCode() {
    return alive(pid) ? null : 1;
  },
});

async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  child: Pick<ChildProcess, "exitCode">,
  ms = 90_000,
) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`${what} exited with ${child.exitCode} (see its log in the stack dir)`);
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${what} did not come up within ${ms / 1000} s`);
}

/** The admin's browser session as Playwright storage state: logs in over HTTP, as the login page does. */
export async function adminSession(url: string) {
  const res = await fetch(`${url}/api/trpc/auth.login`, {
    method: "POST",
    headers: { "content-type": "application/json", [CLIENT_HEADER]: "e2e" },
    body: JSON.stringify({ username: "admin", password: E2E_ADMIN_PASSWORD }),
  });
  if (!res.ok) throw new Error(`admin login failed: ${res.status} ${await res.text()}`);
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith("netlens_session="));
  const value = cookie?.split(";")[0]?.split("=")[1];
  if (!value) throw new Error("admin login set no session cookie");
  const { hostname } = new URL(url);
  return {
    cookies: [
      {
        name: "netlens_session",
        value,
        domain: hostname,
        path: "/",
        expires: -1,
        httpOnly: true,
        secure: false,
        sameSite: "Lax" as const,
      },
    ],
    origins: [],
  };
}

export type StackOptions = {
  /** The web server's port. */
  port: number;
  /** Where the stack's record is written (first, so that `stopStack(file)` can clean up a half-made stack). */
  file: string;
  /** Log level of the agent and the web server (default: the agent's own, `warn` for the web server). */
  logLevel?: string;
};

/** Starts OVS sandbox, agent and the web server; resolves once the web server answers. */
export async function startStack(options: StackOptions): Promise<Stack> {
  const tag = randomBytes(2).toString("hex");
  const dir = mkdtempSync(join(tmpdir(), "netlens-e2e-"));
  const stack: Stack = {
    file: options.file,
    dir,
    url: `http://127.0.0.1:${options.port}`,
    agentPort: await freePort(),
    prefix: `e2e${tag}-`,
    chainPrefix: `e2e${tag}`,
    integrationBridge: `e2i${tag}`,
    externalBridge: `e2x${tag}`,
    pids: [],
    ...(options.logLevel === undefined ? {} : { logLevel: options.logLevel }),
  };
  mkdirSync(dirname(options.file), { recursive: true });
  // Written first, so that teardown can clean up after a setup that failed half-way.
  saveStack(stack);

  await run("bash", [join(repoRoot, "scripts/ovs-sandbox.sh"), "start", join(dir, "ovs")], { cwd: repoRoot });

  // The agent first in `pids`: e2e/inspect.spec.ts stops and restarts it (stopAgent / restartAgent).
  const agentPid = spawnAgent(stack);
  await waitFor("the host agent", () => agentUp(stack), exitOf(agentPid));

  const webUser = join(repoRoot, "scripts/web-user.sh");
  await run("bash", [webUser, "prepare", dir, join(dir, "agent/token")], { cwd: repoRoot });
  // Second in `pids`: e2e/restart.spec.ts stops and restarts it (stopWeb / restartWeb).
  const webPid = spawnWeb(stack);
  await waitFor("the web server", () => webUp(stack), exitOf(webPid));
  return stack;
}

export default async function globalSetup(): Promise<void> {
  const port = Number(process.env.NETLENS_E2E_PORT);
  if (!port) throw new Error("NETLENS_E2E_PORT is not set (playwright.config.ts sets it)");
  const stack = await startStack({ port, file: stackFile });
  // Every spec starts logged in as admin (e2e/auth.spec.ts logs in and out through the pages itself).
  writeFileSync(adminStorageState, JSON.stringify(await adminSession(stack.url), null, 2));
}
