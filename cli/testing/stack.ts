// The whole stack for the CLI's integration tests: a private OVS sandbox, the host agent as its own process
// (with a test prefix, its own bridges and the dummy datapath, so that it runs beside a live `npm run up`), the
// API over HTTP on a free port (the same router Next serves, on an in-memory database) with a real dispatcher,
// the OpenStack REST API (Keystone, Neutron) on another, and the real `netlens` command pointed at it.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pino from "pino";
import { run } from "../../agent/host/exec";
import { freePort, startSandbox } from "../../agent/testing/host";
import { createAgentClient } from "../../server/agents/client";
import { Dispatcher } from "../../server/agents/dispatcher";
import { Inspection } from "../../server/inspect/service";
import { METADATA_MOUNT, serveMetadata } from "../../server/metadata/service";
import { listenFetch, listenRest } from "../../server/node-fetch.testing";
import { createTestApi } from "../../server/testkit";
import { createTraceAgentClient, createTraceAgents } from "../../server/trace/agent";
import { serveApi } from "./api-server";

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

export async function startStack() {
  const tag = randomBytes(2).toString("hex");
  const prefix = `t${tag}-`;
  const agentArgs = [
    join(repo, "agent/main.ts"),
    "--integration-bridge",
    `t${tag}-int`,
    "--bridge-mapping",
    `public:t${tag}-ex`,
    "--datapath-type",
    "dummy",
    "--prefix",
    prefix,
    "--chain-prefix",
    `t${tag}`,
    // NETLENS_STACK_LOG=debug: the agent's log (on our stderr), to see where a test or a bench spends its time.
    "--log-level",
    process.env.NETLENS_STACK_LOG ?? "warn",
  ];
  const dir = await mkdtemp(join(tmpdir(), "netlens-stack-"));
  // Others may pass (not list): dnsmasq, once it has dropped root, reads its files in the agent's state dir here.
  await chmod(dir, 0o711);
  const stops: (() => Promise<unknown>)[] = [() => rm(dir, { recursive: true, force: true })];
  const stop = async () => {
    for (const step of stops.reverse()) await step().catch(() => undefined);
  };

  try {
    const sandbox = await startSandbox("stack");
    stops.push(() => sandbox.stop());
    const stateArgs = ["--ovsdb", sandbox.db, "--state-dir", join(dir, "agent")];
    // Removing what the agent made comes after the agent stopped, before the sandbox goes.
    stops.push(() => run(tsx, [...agentArgs, ...stateArgs, "--cleanup"]));

    const agentPort = await freePort();
    const agentUrl = `http://127.0.0.1:${agentPort}`;
    const tokenFile = join(dir, "agent/token");
    // The metadata service listens there once the database exists (below); the agent's relay forwards to it.
    const metadataPort = await freePort();
    const agentProcess: ChildProcess = spawn(
      tsx,
      [
        ...agentArgs,
        ...stateArgs,
        "--listen",
        `127.0.0.1:${agentPort}`,
        "--token-file",
        tokenFile,
        "--metadata-url",
        `http://127.0.0.1:${metadataPort}${METADATA_MOUNT}`,
      ],
      { stdio: ["ignore", process.env.NETLENS_STACK_LOG ? process.stderr : "ignore", "inherit"] },
    );
    stops.push(async () => {
      if (agentProcess.exitCode !== null) return;
      const exited = new Promise((r) => agentProcess.once("exit", r));
      agentProcess.kill("SIGTERM");
      await exited;
    });
    const agent = createAgentClient({ url: agentUrl, tokenFile });
    await until("the agent", async () => (await readFile(tokenFile, "utf8")) && (await agent.info()));

    const base = await createTestApi();
    stops.push(() => base.close());
    const metadataDeps = {
      db: base.db,
      secrets: async () => [(await readFile(tokenFile, "utf8")).trim()],
      log: pino({ level: "silent" }),
    };
    const metadata = await listenFetch((request) => serveMetadata(metadataDeps, request), metadataPort);
    stops.push(() => metadata.close());
    const dispatcher = new Dispatcher({
      db: base.db,
      bus: base.bus,
      agent,
      url: agentUrl,
      logger: pino({ level: "silent" }),
      retry: { minMs: 50, maxMs: 500 },
    });
    await dispatcher.start();
    stops.push(() => dispatcher.stop());
    // Host inspection as the server runs it: the agent's snapshot stream relayed, drift computed.
    const inspection = new Inspection({
      db: base.db,
      bus: base.bus,
      logger: pino({ level: "silent" }),
      repairer: dispatcher,
      retry: { minMs: 50, maxMs: 500 },
    });
    inspection.addAgent({ url: agentUrl, tokenFile });
    stops.push(async () => inspection.close());
    // Packet tracing reaches this agent with this stack's token file (the server uses its env's).
    const connector = () => createTraceAgentClient({ url: agentUrl, tokenFile });
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

    return {
      prefix,
      chainPrefix: `t${tag}`,
      integrationBridge: `t${tag}-int`,
      /** The agent's --state-dir (its DHCP servers' and metadata proxies' files are under it). */
      agentStateDir: join(dir, "agent"),
      sandbox,
      url,
      restUrl: rest.url,
      api,
      inspection,
      cli,
      cliAs,
      cliJson,
      cliOk,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
