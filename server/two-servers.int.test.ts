// Two real netlens servers (processes: server/serve.testing.ts, the parts `npm run up` builds and Next's API route
// handlers) on one PostgreSQL, both dialing one agent on a private OVS sandbox. A browser's events subscription on
// B hears a change made through A; then the server leading the agent is killed (SIGKILL: no goodbye), B takes
// the lead at its next heartbeat, a router made through B is applied on the host, B's subscriber hears it, and
// B's API answers throughout. Needs TEST_DATABASE_URL (scripts/with-postgres.sh sets it for `npm test`).
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { createTRPCClient, httpLink, httpSubscriptionLink, splitLink } from "@trpc/client";
import { EventSource } from "eventsource";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { run } from "../agent/host/exec";
import { freePort, namespacesWithPrefix, nsExec } from "../agent/testing/host";
import { type Stops, startSandboxAgent, teardown, until } from "../cli/testing/stack";
import { CLIENT_HEADER } from "../lib/client-header";
import { HEARTBEAT_MS } from "./agents/dispatcher";
import { LOCK_SPACE } from "./agents/leadership";
import type { AppRouter } from "./api/root";
import { type Target, testDatabase } from "./db/targets";

const repo = fileURLToPath(new URL("..", import.meta.url));
const postgres = process.env.TEST_DATABASE_URL !== undefined;
const skipped = postgres ? "" : " (skipped: TEST_DATABASE_URL is not set; scripts/with-postgres.sh sets it)";
if (!postgres) process.stderr.write(`two-servers.int.test.ts${skipped}\n`);

type Server = {
  name: string;
  url: string;
  child: ChildProcess;
  /** Its log (pino's JSON lines on stdout), as they come. */
  log: { time: number; msg: string }[];
  exited: Promise<unknown>;
};

/**
 * A netlens server process on `port`, configured by `env` as `npm run up` configures one; `stops` ends it with
 * `signal` unless it has ended.
 */
async function startServer(
  name: string,
  port: number,
  env: Record<string, string>,
  stops: Stops,
  signal: NodeJS.Signals,
): Promise<Server> {
  // Only what this test gives: the caller's own NETLENS_* and DATABASE_URL must not leak in (undefined: unset).
  const unset = Object.fromEntries(
    Object.keys(process.env)
      .filter((k) => k.startsWith("NETLENS_") || k === "DATABASE_URL")
      .map((k) => [k, undefined]),
  );
  // Node itself (not the tsx command, which runs node as a child): the signal the test sends is the server's.
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(repo, "server/serve.testing.ts"), "--port", String(port)],
    {
      cwd: repo,
      env: { ...process.env, ...unset, ...env, LOG_LEVEL: "info" },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const exited = new Promise((resolve) => child.once("exit", resolve));
  stops.push(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    await exited;
  });
  const log: Server["log"] = [];
  if (child.stdout)
    createInterface({ input: child.stdout }).on("line", (line) => {
      try {
        log.push(JSON.parse(line));
      } catch {
        log.push({ time: Date.now(), msg: line });
      }
    });
  const url = `http://127.0.0.1:${port}`;
  const died = exited.then(() => {
    throw new Error(`server ${name} exited on start: ${JSON.stringify(log.slice(-5))}`);
  });
  await Promise.race([
    died,
    until(
      `server ${name} answering at ${url}`,
      async () => (await fetch(`${url}/api/health`)).ok || undefined,
      60_000,
    ),
  ]);
  died.catch(() => undefined);
  return { name, url, child, log, exited };
}

/** When the server said its dispatcher took the lead, the last time. */
const ledAt = (server: Server) =>
  server.log.findLast((l) => l.msg === "this server's dispatcher leads")?.time;

/** A browser's tRPC client (a session cookie, queries and mutations over HTTP, the subscription over SSE). */
function browserClient(url: string, cookie: string) {
  const endpoint = `${url}/api/trpc`;
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        true: httpSubscriptionLink({
          url: endpoint,
          EventSource,
          eventSourceOptions: {
            fetch: (input, init) => fetch(input, { ...init, headers: { ...init.headers, cookie } }),
          },
        }),
        false: httpLink({ url: endpoint, headers: { cookie, [CLIENT_HEADER]: "web" } }),
      }),
    ],
  });
}

async function logIn(url: string, password: string): Promise<string> {
  const res = await fetch(`${url}/api/trpc/auth.login`, {
    method: "POST",
    headers: { "content-type": "application/json", [CLIENT_HEADER]: "web" },
    body: JSON.stringify({ username: "admin", password }),
  });
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith("netlens_session="));
  if (!res.ok || !cookie) throw new Error(`login at ${url}: ${res.status} ${await res.text()}`);
  return cookie.split(";")[0] ?? "";
}

/** The process whose TCP connection from `port` (a client port PostgreSQL sees) this is. */
async function processOfClientPort(port: number): Promise<number | undefined> {
  const { stdout } = await run("ss", ["-Htnp", "state", "established", `( sport = :${port} )`]);
  const pid = /pid=(\d+)/.exec(stdout)?.[1];
  return pid === undefined ? undefined : Number(pid);
}

describe.skipIf(!postgres)(`two server processes on one PostgreSQL, one killed${skipped}`, () => {
  const stops: Stops = [];
  const stop = teardown(stops);
  let target: Target;
  let admin: pg.Client;
  let host: Awaited<ReturnType<typeof startSandboxAgent>>;
  let a: Server;
  let b: Server;
  let onB: ReturnType<typeof browserClient>;
  let viaA: ReturnType<typeof browserClient>;
  /** What B's subscriber heard, with when. */
  const heard: { kind: string; id: string; action: string; at: number }[] = [];
  /** B's answers to a query every 200 ms from before the kill to the end: failures and the slowest. */
  const polls = { ok: 0, failed: [] as string[], slowestMs: 0 };
  let polling = true;
  let poller: Promise<void> | undefined;

  /** The server process holding the agent's lock, as PostgreSQL has it (the session's client port -> process). */
  const lockHolder = async (agentUrl: string): Promise<number | undefined> => {
    const { rows } = await admin.query<{ port: number | null }>(
      `SELECT a.client_port AS port FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
         JOIN agents g ON g.id = l.objid
        WHERE l.locktype = 'advisory' AND l.classid = $1 AND l.objsubid = 2 AND l.granted AND g.url = $2
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      [LOCK_SPACE, agentUrl],
    );
    const port = rows[0]?.port;
    return port === null || port === undefined ? undefined : processOfClientPort(port);
  };

  beforeAll(async () => {
    target = await testDatabase();
    stops.push(() => target.drop());
    admin = new pg.Client({ connectionString: target.url });
    await admin.connect();
    stops.push(() => admin.end());
    const [portA, portB] = [await freePort(), await freePort()];
    // The agent's metadata relay forwards to B, the server that stays.
    host = await startSandboxAgent(stops, portB);
    const password = randomBytes(12).toString("base64url");
    const env = (name: string) => ({
      DATABASE_URL: target.url ?? "",
      NETLENS_AGENT_URL: host.agent.url,
      NETLENS_AGENT_TOKEN_FILE: host.tokenFile,
      NETLENS_STATE_DIR: join(host.agentStateDir, "..", name),
      NETLENS_ADMIN_PASSWORD: password,
    });
    for (const name of ["a", "b"]) await mkdir(env(name).NETLENS_STATE_DIR, { recursive: true });
    // A first: the first server to start leads its agent.
    a = await startServer("A", portA, env("a"), stops, "SIGKILL");
    // B stops as a server is stopped (`npm run up`'s Ctrl-C, systemd): SIGTERM, its parts closed.
    b = await startServer("B", portB, env("b"), stops, "SIGTERM");
    const cookie = await logIn(b.url, password);
    onB = browserClient(b.url, cookie);
    viaA = browserClient(a.url, cookie);
    const subscription = onB.events.subscribe(undefined, {
      onData: (e) => heard.push({ ...e, at: Date.now() }),
    });
    stops.push(async () => subscription.unsubscribe());
    poller = (async () => {
      while (polling) {
        const started = Date.now();
        try {
          await onB.network.list.query({});
          polls.ok++;
        } catch (error) {
          polls.failed.push(`${new Date().toISOString()} ${(error as Error).message}`);
        }
        polls.slowestMs = Math.max(polls.slowestMs, Date.now() - started);
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
  }, 120_000);

  afterAll(async () => {
    polling = false;
    await poller;
    await stop();
  });

  it("has B's subscriber hear, live, a network created through A", async () => {
    // The subscription is open once it hears a change made through B itself (B's own bus): A's change would
    // otherwise race its opening.
    await vi.waitFor(
      async () => {
        const own = await onB.network.create.mutate({ name: `opening-${heard.length}` });
        await new Promise((r) => setTimeout(r, 100));
        expect(heard).toContainEqual(expect.objectContaining({ id: own.id }));
      },
      { timeout: 10_000, interval: 400 },
    );
    const asked = Date.now();
    const made = await viaA.network.create.mutate({ name: "made-on-a" });
    await vi.waitFor(
      () => expect(heard).toContainEqual(expect.objectContaining({ id: made.id, action: "create" })),
      {
        timeout: 5_000,
        interval: 20,
      },
    );
    const at = heard.find((e) => e.id === made.id)?.at ?? 0;
    process.stderr.write(
      `two-servers: A's network reached B's subscriber ${at - asked} ms after it was asked of A\n`,
    );
  });

  it("has B take the lead within a heartbeat once the leading server is killed", async () => {
    // A leads (it started first); B does not.
    expect(ledAt(a)).toBeDefined();
    expect(ledAt(b)).toBeUndefined();
    expect(await lockHolder(host.agent.url)).toBe(a.child.pid);
    const killed = Date.now();
    a.child.kill("SIGKILL");
    await a.exited;
    const holder = await until(
      "B to hold the agent's lock",
      async () => ((await lockHolder(host.agent.url)) === b.child.pid ? true : undefined),
      HEARTBEAT_MS + 5_000,
    );
    const tookMs = Date.now() - killed;
    process.stderr.write(
      `two-servers: B took the lead ${tookMs} ms after A was killed (its heartbeat: every ${HEARTBEAT_MS} ms)\n`,
    );
    expect(holder).toBe(true);
    expect(ledAt(b)).toBeGreaterThanOrEqual(killed);
  });

  it("applies a router made through B on the host, and B's subscriber hears it", async () => {
    const since = Date.now();
    const net = await onB.network.create.mutate({ name: "net-b" });
    const subnet = await onB.subnet.create.mutate({
      name: "sub-b",
      network_id: net.id,
      cidr: "10.77.0.0/24",
      enable_dhcp: false,
    });
    const router = await onB.router.create.mutate({ name: "router-b" });
    await onB.router.addInterface.mutate({ id: router.id, subnet_id: subnet.id });
    await until(
      "router-b ACTIVE",
      async () => ((await onB.router.show.query({ id: router.id })).status === "ACTIVE" ? true : undefined),
      30_000,
    );
    const ns = `${host.prefix}qrouter-${router.id}`;
    expect(await namespacesWithPrefix(ns)).toEqual([ns]);
    const { stdout: addresses } = await nsExec(ns, ["ip", "-o", "-4", "addr", "show"]);
    const qr = /\d+: (qr-[\w-]+)\s+inet 10\.77\.0\.1\/24/.exec(addresses)?.[1];
    expect(qr, addresses).toBeDefined();
    // Its veth peer on the integration bridge (lib/names.ts: both end in the port id's first 11), tagged with
    // the network's local VLAN.
    const tap = qr?.replace(/^qr-/, "tap") ?? "";
    const ovs = (...args: string[]) => run("ovs-vsctl", [`--db=${host.sandbox.db}`, ...args]);
    expect((await ovs("list-ports", host.integrationBridge)).stdout.split("\n")).toContain(tap);
    expect((await ovs("get", "Port", tap, "tag")).stdout.trim()).toMatch(/^[1-9]\d*$/);
    const heardSince = heard.filter((e) => e.at >= since);
    expect(heardSince).toContainEqual(
      expect.objectContaining({ kind: "router", id: router.id, action: "create" }),
    );
    expect(heardSince).toContainEqual(
      expect.objectContaining({ kind: "router", id: router.id, action: "status" }),
    );
  });

  it("kept B's API answering throughout, and leaves no process, namespace or database behind", async () => {
    polling = false;
    await poller;
    process.stderr.write(
      `two-servers: B answered ${polls.ok} queries, the slowest in ${polls.slowestMs} ms\n`,
    );
    expect(polls.failed).toEqual([]);
    expect(polls.ok).toBeGreaterThan(20);
    const name = new URL(target.url ?? "").pathname.slice(1);
    await stop();
    // Killed, and ended by its own shutdown (128 + SIGTERM).
    expect([a.child.signalCode, b.child.exitCode]).toEqual(["SIGKILL", 143]);
    expect(await namespacesWithPrefix(host.prefix)).toEqual([]);
    const check = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await check.connect();
    try {
      const { rows } = await check.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
      expect(rows).toEqual([]);
    } finally {
      await check.end();
    }
  });
});
