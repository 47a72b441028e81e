// The running server's parts, made once per process: database (with the demo seed and the first accounts), event
// bus, a dispatcher per agent, host inspection, the trace's agent clients, the login throttle; stopped and the database closed
// on SIGTERM and SIGINT.
// Next.js route handlers call getServices(); tests build their own parts (see testkit.ts).
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import type { Logger } from "pino";
import { createAgentClient } from "./agents/client";
import { Dispatcher, HEARTBEAT_MS } from "./agents/dispatcher";
import { Dispatchers } from "./agents/dispatchers";
import { startFailoverCheck } from "./agents/failover";
import { advisoryLeadership } from "./agents/leadership";
import { type AuthPolicy, defaultAuthPolicy, type Services } from "./api/trpc";
import { bootstrapAccounts, renewCliToken } from "./auth/bootstrap";
import { LoginThrottle } from "./auth/throttle";
import { TokenChecks } from "./auth/token-checks";
import { createDb, type Database } from "./db/client";
import { knownAgents, setAgentDownTime } from "./domain/hosts";
import type { MtuSettings } from "./domain/mtu";
import { agentEndpoints, type Env, env } from "./env";
import { EventBus } from "./events";
import { shareEvents } from "./events-postgres";
import { Inspection } from "./inspect/service";
import { logger } from "./logger";
import { demoDecided, seedDemoOnFirstStart } from "./seed";
import { closeOnSignals } from "./shutdown";
import { createTraceAgentClient, createTraceAgents } from "./trace/agent";

/** What the API's contexts carry (Services), and what only the process holds: database handle, dispatcher. */
export type RunningServices = Services & {
  database: Database;
  dispatchers: Dispatchers;
  inspection: Inspection;
  /** What signs metadata requests: the tokens this server shares with its agents (read when asked: they change). */
  metadataSecrets: () => Promise<string[]>;
};

/** The physical networks' MTUs as configured (Neutron's global_physnet_mtu and physical_network_mtus). */
const mtuSettingsOf = (config: Env): MtuSettings => ({
  globalPhysnetMtu: config.NETLENS_GLOBAL_PHYSNET_MTU,
  physicalNetworkMtus: config.NETLENS_PHYSICAL_NETWORK_MTUS,
});

/** The configured lifetimes of sessions and tokens, over the built-in login throttle. */
function authPolicyOf(config: Env): AuthPolicy {
  return {
    ...defaultAuthPolicy,
    credentials: {
      sessionIdleMs: config.NETLENS_SESSION_IDLE_TIMEOUT * 1000,
      sessionLifetimeMs: config.NETLENS_SESSION_LIFETIME * 1000,
      tokenLifetimeMs: config.NETLENS_TOKEN_EXPIRATION * 1000,
    },
  };
}

const stateDirOf = (config: Env) => config.NETLENS_STATE_DIR ?? dirname(resolve(config.NETLENS_DATA_DIR));

/**
 * The database as every start leaves it: migrated, the demo seeded if this is its first start and
 * NETLENS_SEED_DEMO asks, and the first accounts made (after the seed, so that the demo project exists for its
 * tenant user).
 */
export async function openDatabase(config: Env, bus: EventBus, log: Logger = logger): Promise<Database> {
  const database = await createDb(
    config.DATABASE_URL ? { url: config.DATABASE_URL } : { dataDir: config.NETLENS_DATA_DIR },
  );
  await seedAndBootstrap(database, config, bus, log);
  return database;
}

async function seedAndBootstrap(database: Database, config: Env, bus: EventBus, log: Logger): Promise<void> {
  if (
    await seedDemoOnFirstStart({ db: database.db, bus, mtu: mtuSettingsOf(config) }, config.NETLENS_SEED_DEMO)
  ) {
    log.info("seeded the demo topology");
  }
  await bootstrapAccounts(database.db, {
    stateDir: stateDirOf(config),
    adminPassword: config.NETLENS_ADMIN_PASSWORD,
    demoPassword: config.NETLENS_DEMO_PASSWORD,
    credentials: authPolicyOf(config).credentials,
    logger: log.child({ part: "accounts" }),
  });
}

/** How long a start waits for its agents to say who they are before it seeds the demo anyway. */
const INTRODUCTIONS_MS = 20_000;

/** Until `count` agents have told their host (the scheduler places among those), or `timeoutMs` passed. */
async function agentsIntroduced(db: Database["db"], count: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await knownAgents(db)).length < count && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function startServices(): Promise<RunningServices> {
  const config = env();
  const auth = authPolicyOf(config);
  const bus = new EventBus();
  const database = await createDb(
    config.DATABASE_URL ? { url: config.DATABASE_URL } : { dataDir: config.NETLENS_DATA_DIR },
  );
  // PostgreSQL may have other servers on it: they hear each other's events and take turns at each agent.
  const connect = database.connect;
  const shared = connect ? await shareEvents(bus, connect, logger.child({ part: "events" })) : undefined;
  const endpoints = agentEndpoints(config);
  const downTimeMs = config.NETLENS_AGENT_DOWN_TIME * 1000;
  setAgentDownTime(downTimeMs);
  // How every client of an agent reaches it: its token, and the CA of its certificate over https://.
  const caFile = config.NETLENS_AGENT_CA_FILE;
  // One dispatcher per agent (one leadership too: each holds its agent's lock on a connection of its own).
  const dispatchers = new Dispatchers(
    endpoints.map(
      (endpoint) =>
        new Dispatcher({
          db: database.db,
          bus,
          url: endpoint.url,
          agent: createAgentClient({ ...endpoint, caFile }),
          logger: logger.child({ part: "dispatcher", agent: endpoint.url }),
          // Three heartbeats within the down time: one lost does not make the agent dead.
          heartbeatMs: Math.min(HEARTBEAT_MS, downTimeMs / 3),
          leadership: connect
            ? advisoryLeadership(connect, logger.child({ part: "dispatcher", agent: endpoint.url }))
            : undefined,
        }),
    ),
  );
  await dispatchers.start();
  const stopFailover = startFailoverCheck({
    deps: { db: database.db, bus },
    intervalMs: downTimeMs / 2,
    logger: logger.child({ part: "failover" }),
    leadership: connect ? advisoryLeadership(connect, logger.child({ part: "failover" })) : undefined,
  });
  // The demo's routers and instances are spread over the hosts by the scheduler: let the hosts be known first.
  if (config.NETLENS_SEED_DEMO && !(await demoDecided(database.db)))
    await agentsIntroduced(database.db, endpoints.length, INTRODUCTIONS_MS);
  await seedAndBootstrap(database, config, bus, logger);
  const renewal = {
    stateDir: stateDirOf(config),
    credentials: auth.credentials,
    logger: logger.child({ part: "accounts" }),
  };
  const renew = () =>
    renewCliToken(database.db, renewal).catch((err: unknown) =>
      logger.error({ err }, "renewing the CLI's API token failed"),
    );
  await renew();
  setInterval(renew, Math.min(auth.credentials.tokenLifetimeMs / 4, 3600_000)).unref();
  const inspection = new Inspection({
    db: database.db,
    bus,
    logger: logger.child({ part: "inspect" }),
    repairer: dispatchers,
  });
  for (const endpoint of endpoints) inspection.addAgent({ ...endpoint, caFile });
  const tokenFileOf = (url: string) =>
    endpoints.find((e) => e.url === url)?.tokenFile ?? config.NETLENS_AGENT_TOKEN_FILE;
  const traceAgents = createTraceAgents((row) =>
    createTraceAgentClient({ url: row.url, tokenFile: tokenFileOf(row.url), caFile }),
  );
  closeOnSignals(async () => {
    await dispatchers.stop();
    await stopFailover();
    inspection.close();
    await shared?.close();
    await database.close();
  });
  logger.info({ database: database.kind, agents: endpoints.map((e) => e.url) }, "netlens server started");
  return {
    database,
    db: database.db,
    bus,
    dispatchers,
    inspection,
    loginThrottle: new LoginThrottle(auth.throttle),
    loginFailureDelayMs: auth.failureDelayMs,
    credentialPolicy: auth.credentials,
    tokenChecks: new TokenChecks(),
    traceAgents,
    mtu: mtuSettingsOf(config),
    metadataSecrets: async () => {
      const files = [...new Set(endpoints.map((e) => e.tokenFile))];
      const read = await Promise.allSettled(files.map((file) => readFile(file, "utf8")));
      return read.flatMap((r) => (r.status === "fulfilled" ? [r.value.trim()] : []));
    },
  };
}

// On globalThis: Next's dev server re-evaluates modules on change, and a second PGlite on the same data
// directory is refused (server/db/lock.ts).
const holder = globalThis as { netlensServices?: Promise<RunningServices> };

export function getServices(): Promise<RunningServices> {
  holder.netlensServices ??= startServices().catch((error) => {
    holder.netlensServices = undefined;
    throw error;
  });
  return holder.netlensServices;
}
