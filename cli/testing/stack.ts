// The whole stack for the CLI's integration tests: a private OVS sandbox, the host agent as its own process
// (with a test prefix, its own bridges and the dummy datapath, so that it runs beside a live `npm run up`), the
// API over HTTP on a free port (the same router Next serves, on a database of its own: PGlite in memory, or
// PostgreSQL when TEST_DATABASE_URL is set) with a real dispatcher, the OpenStack REST API (Keystone, Neutron)
// on another, and the real `netlens` command pointed at it.
// startLabStack: the same over lab hosts (scripts/lab-hosts.sh), an agent process each as `npm run up -- --hosts`
// starts them (its own host, role, tunnel address, host namespace, OVS), the API dialing them all.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pino from "pino";
import { run } from "../../agent/host/exec";
import { freePort, startSandbox } from "../../agent/testing/host";
import { type LabHost, type LabHosts, startLabHosts } from "../../agent/testing/lab-hosts";
import { createAgentClient } from "../../server/agents/client";
import { Dispatcher } from "../../server/agents/dispatcher";
import { Dispatchers } from "../../server/agents/dispatchers";
import { startFailoverCheck } from "../../server/agents/failover";
import { advisoryLeadership } from "../../server/agents/leadership";
import { testDatabase } from "../../server/db/targets";
import { agentDownTime, setAgentDownTime } from "../../server/domain/hosts";
import { shareEvents } from "../../server/events-postgres";
import { Inspection } from "../../server/inspect/service";
import { METADATA_MOUNT, serveMetadata } from "../../server/metadata/service";
import { listenFetch, listenRest } from "../../server/node-fetch.testing";
import { createTestApi } from "../../server/testkit";
import { createTraceAgentClient, createTraceAgents } from "../../server/trace/agent";
import { serveApi } from "./api-server";

const silent = pino({ level: "silent" });
const repo = fileURLToPath(new URL("../..", import.meta.url));
const tsx = join(repo, "node_modules/.bin/tsx");
const netlens = join(repo, "cli/netlens");

export type CliResult = { code: number | null; stdout: string; stderr: string };
export type Stack = Awaited<ReturnType<typeof startStack>>;

export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** What a stack's teardown runs, last pushed first; stop() runs each once, whatever failed before. */
export type Stops = (() => Promise<unknown>)[];

/** A test directory that others may pass (not list): dnsmasq, once it has dropped root, reads its files there. */
async function stackDir(stops: Stops): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "netlens-stack-"));
  await chmod(dir, 0o711);
  stops.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export const teardown = (stops: Stops) => async () => {
  for (const step of stops.splice(0).reverse()) await step().catch(() => undefined);
};

/** An agent the stack dials: where it listens and the arguments it was started with (its host, OVS, prefix). */
type StackAgent = {
  url: string;
  args: string[];
  /** Stops the agent's process (SIGTERM: the dataplane it made stays up, as a dead agent's does). */
  stop: () => Promise<void>;
};

/**
 * Starts agent/main.ts with `args` listening on a free port; its stop (SIGTERM, then `--cleanup` removing what
 * it made) is pushed on `stops`.
 */
async function spawnAgent(args: string[], tokenFile: string, metadataPort: number, stops: Stops) {
  // Removing what the agent made comes after the agent stopped, before its OVS goes.
  stops.push(() => run(tsx, [...args, "--cleanup"]));
  const port = await freePort();
  const child: ChildProcess = spawn(
    tsx,
    [
      ...args,
      "--listen",
      `127.0.0.1:${port}`,
      "--token-file",
      tokenFile,
      "--metadata-url",
      `http://127.0.0.1:${metadataPort}${METADATA_MOUNT}`,
    ],
    { stdio: ["ignore", process.env.NETLENS_STACK_LOG ? process.stderr : "ignore", "inherit"] },
  );
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  };
  stops.push(stop);
  return { url: `http://127.0.0.1:${port}`, args, stop };
}

/** The arguments every stack agent shares: its namespace and chain prefixes, and its log level. */
const commonArgs = (prefix: string, chainPrefix: string) => [
  join(repo, "agent/main.ts"),
  "--prefix",
  prefix,
  "--chain-prefix",
  chainPrefix,
  // NETLENS_STACK_LOG=debug: the agent's log (on our stderr), to see where a test or a bench spends its time.
  "--log-level",
  process.env.NETLENS_STACK_LOG ?? "warn",
];

/**
 * The stack's host: a private OVS sandbox and the agent on it (a test prefix, its own bridges, the dummy
 * datapath), its relay forwarding metadata requests to 127.0.0.1:`metadataPort`; torn down by `stops`.
 */
export async function startSandboxAgent(stops: Stops, metadataPort: number) {
  const tag = randomBytes(2).toString("hex");
  const prefix = `t${tag}-`;
  const dir = await stackDir(stops);
  const sandbox = await startSandbox("stack");
  stops.push(() => sandbox.stop());
  const tokenFile = join(dir, "agent/token");
  const agent = await spawnAgent(
    [
      ...commonArgs(prefix, `t${tag}`),
      "--integration-bridge",
      `t${tag}-int`,
      "--bridge-mapping",
      `public:t${tag}-ex`,
      "--datapath-type",
      "dummy",
      "--ovsdb",
      sandbox.db,
      "--state-dir",
      join(dir, "agent"),
    ],
    tokenFile,
    metadataPort,
    stops,
  );
  return {
    agent,
    tokenFile,
    prefix,
    chainPrefix: `t${tag}`,
    integrationBridge: `t${tag}-int`,
    /** The agent's --state-dir (its DHCP servers' and metadata proxies' files are under it). */
    agentStateDir: join(dir, "agent"),
    sandbox,
  };
}

export async function startStack() {
  const stops: Stops = [];
  const stop = teardown(stops);
  try {
    // The metadata service listens there once the database exists; the agent's relay forwards to it.
    const metadataPort = await freePort();
    const { agent, tokenFile, ...host } = await startSandboxAgent(stops, metadataPort);
    const served = await serveStack({ agents: [agent], tokenFile, metadataPort, stops });
    return { ...served, ...host, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export type LabStack = Awaited<ReturnType<typeof startLabStack>>;
/** A lab host of the stack: the lab's host and what its agent was given. */
export type LabStackHost = LabHost & {
  role: "network" | "compute";
  prefix: string;
  url: string;
  stopAgent: StackAgent["stop"];
};

/**
 * The stack over lab hosts `names` (a name starting with `network` is a network node, any other a compute host;
 * each maps `public` to the bridge holding its port on that wire: br-ex, or its own name in `publicBridges`), as
 * `npm run up -- --hosts` runs them, with a short prefix of its own (lab namespaces `l<tag>-<name>`, each host's
 * own `<tag><name initial and number>-`) so that it runs beside a live lab. The API registers the agents in the
 * order given: ties in scheduling go to the first. `agentDownTimeMs`: NETLENS_AGENT_DOWN_TIME's (in ms), for a
 * test that waits for a host to be found dead.
 */
export async function startLabStack(
  names: string[],
  publicBridges: Readonly<Record<string, string>> = {},
  options: { agentDownTimeMs?: number } = {},
) {
  const tag = randomBytes(2).toString("hex");
  const stops: Stops = [];
  const stop = teardown(stops);
  try {
    const dir = await stackDir(stops);
    const lab: LabHosts = await startLabHosts(`l${tag}-`, names, publicBridges);
    stops.push(() => lab.stop());
    // One token for all, made before they start (each would make its own otherwise), as `npm run up` does.
    const tokenFile = join(dir, "agent/token");
    await mkdir(join(dir, "agent"), { recursive: true, mode: 0o711 });
    await writeFile(tokenFile, `${randomBytes(32).toString("hex")}\n`, { mode: 0o600 });
    const metadataPort = await freePort();
    const hosts: LabStackHost[] = [];
    for (const host of lab.hosts) {
      const role = host.name.startsWith("network") ? "network" : "compute";
      const prefix = `t${tag}${host.name[0]}${host.name.replace(/^\D*/, "")}-`;
      const agent = await spawnAgent(
        [
          ...commonArgs(prefix, `t${tag}`),
          "--host",
          host.name,
          "--role",
          role,
          "--local-ip",
          host.localIp,
          "--host-netns",
          host.netns,
          "--ovsdb",
          host.ovsdb,
          "--ovs-rundir",
          host.runDir,
          "--datapath-type",
          "netdev",
          "--integration-bridge",
          "br-int",
          "--bridge-mapping",
          `public:${host.publicBridge}`,
          "--state-dir",
          join(dir, "agent", host.name),
        ],
        tokenFile,
        metadataPort,
        stops,
      );
      hosts.push({ ...host, role, prefix, url: agent.url, stopAgent: agent.stop });
    }
    const served = await serveStack({ agents: hosts, tokenFile, metadataPort, stops, ...options });
    return { ...served, chainPrefix: `t${tag}`, lab, hosts, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * The server's half over agents that are starting: the API on a database of its own, the metadata service, a
 * dispatcher per agent (started in the order given), the failover check, host inspection and tracing, the REST
 * API, and the CLI.
 */
async function serveStack(o: {
  agents: readonly Pick<StackAgent, "url">[];
  tokenFile: string;
  metadataPort: number;
  stops: Stops;
  agentDownTimeMs?: number;
}) {
  const { tokenFile, stops } = o;
  if (o.agentDownTimeMs !== undefined) {
    const before = agentDownTime();
    setAgentDownTime(o.agentDownTimeMs);
    stops.push(async () => setAgentDownTime(before));
  }
  const endpoints = o.agents.map((a) => ({ url: a.url, tokenFile }));
  for (const endpoint of endpoints) {
    const agent = createAgentClient(endpoint);
    await until(
      `the agent at ${endpoint.url}`,
      async () => (await readFile(tokenFile, "utf8")) && (await agent.info()),
    );
  }

  // A database of the stack's own: PostgreSQL when TEST_DATABASE_URL is set (CI), else PGlite in memory.
  const database = await testDatabase();
  stops.push(() => database.drop());
  const base = await createTestApi({ url: database.url });
  stops.push(() => base.close());
  // On PostgreSQL as the server runs there (server/services.ts): its events on the database's channel, and each
  // dispatcher leading its agent through the advisory lock.
  const connect = base.connect;
  if (connect) {
    const shared = await shareEvents(base.bus, connect, silent);
    stops.push(() => shared.close());
  }
  const metadataDeps = {
    db: base.db,
    secrets: async () => [(await readFile(tokenFile, "utf8")).trim()],
    log: silent,
  };
  const metadata = await listenFetch((request) => serveMetadata(metadataDeps, request), o.metadataPort);
  stops.push(() => metadata.close());
  const dispatchers = new Dispatchers(
    endpoints.map(
      (endpoint) =>
        new Dispatcher({
          db: base.db,
          bus: base.bus,
          agent: createAgentClient(endpoint),
          url: endpoint.url,
          logger: silent,
          retry: { minMs: 50, maxMs: 500 },
          // As the server checks in (server/services.ts): three heartbeats within the down time.
          ...(o.agentDownTimeMs === undefined ? {} : { heartbeatMs: o.agentDownTimeMs / 3 }),
          leadership: connect ? advisoryLeadership(connect, silent) : undefined,
        }),
    ),
  );
  // One after the other: the agents' rows, and so the scheduler's ties, in the order given.
  await dispatchers.start();
  stops.push(() => dispatchers.stop());
  // Legacy routers off dead network nodes, as the server moves them.
  const stopFailover = startFailoverCheck({
    deps: { db: base.db, bus: base.bus },
    intervalMs: agentDownTime() / 2,
    logger: silent,
    leadership: connect ? advisoryLeadership(connect, silent) : undefined,
  });
  stops.push(stopFailover);
  // Host inspection as the server runs it: the agents' snapshot streams relayed, drift computed.
  const inspection = new Inspection({
    db: base.db,
    bus: base.bus,
    logger: silent,
    repairer: dispatchers,
    retry: { minMs: 50, maxMs: 500 },
  });
  for (const endpoint of endpoints) inspection.addAgent(endpoint);
  stops.push(async () => inspection.close());
  // Packet tracing reaches the agents with this stack's token file (the server uses its env's).
  const connector = (row: { url: string }) => createTraceAgentClient({ url: row.url, tokenFile });
  const api = await base.with({ inspection, traceAgents: createTraceAgents(connector) });

  // Requests are authenticated as in the server (bearer token or cookie); the CLI runs as the test API's admin
  // through an API token in NETLENS_TOKEN, as a script would.
  const { token } = await api.admin.caller.token.issue({ name: "cli integration test" });
  const server = await serveApi(api.services);
  stops.push(server.close);
  const { url } = server;
  // For the `openstack` command: Keystone under /identity, Neutron under /networking, as Next serves them.
  const rest = await listenRest({ services: api.services, trustedProxies: [] });
  stops.push(() => rest.close());

  /** Runs `netlens ARGS` against this stack with the API token `as` (a member's, say). */
  const cliAs = async (as: string, ...args: string[]): Promise<CliResult> =>
    run(netlens, args, {
      env: { ...process.env, NETLENS_URL: url, NETLENS_TOKEN: as },
      allowFailure: true,
    });
  /** Runs `netlens ARGS` against this stack, as its admin. */
  const cli = (...args: string[]): Promise<CliResult> => cliAs(token, ...args);

  /** Runs `netlens ARGS -f json` and parses its output; a failure throws with what the CLI printed. */
  const cliJson = async <T = Record<string, unknown>>(...args: string[]): Promise<T> => {
    const result = await cli(...args, "-f", "json");
    if (result.code !== 0) throw new Error(`netlens ${args.join(" ")}: ${result.stderr}`);
    return JSON.parse(result.stdout) as T;
  };

  /** Runs `netlens ARGS --wait`, expecting success. */
  const cliOk = async (...args: string[]): Promise<string> => {
    const result = await cli("--wait", ...args);
    if (result.code !== 0) throw new Error(`netlens ${args.join(" ")}: ${result.stderr}`);
    return result.stdout;
  };

  /** An external flat network on `public` and its subnet `<name>-sub` (no DHCP): where floating IPs come from. */
  const externalNetwork = async (
    name: string,
    subnet: { cidr: string; gateway: string; pool: { start: string; end: string } },
  ) => {
    await cliOk(
      "network",
      "create",
      name,
      "--external",
      "--provider-network-type",
      "flat",
      "--provider-physical-network",
      "public",
    );
    await cliOk(
      "subnet",
      "create",
      `${name}-sub`,
      "--network",
      name,
      "--subnet-range",
      subnet.cidr,
      "--gateway",
      subnet.gateway,
      "--allocation-pool",
      `start=${subnet.pool.start},end=${subnet.pool.end}`,
      "--no-dhcp",
    );
  };

  return { url, restUrl: rest.url, api, inspection, cli, cliAs, cliJson, cliOk, externalNetwork };
}
