// The running server's parts, made once per process: database, event bus, dispatcher, demo seed, first accounts.
// Next.js route handlers call getServices(); tests build their own parts (see testkit.ts).
import { dirname, resolve } from "node:path";
import { createAgentClient } from "./agents/client";
import { Dispatcher } from "./agents/dispatcher";
import { bootstrapAccounts } from "./auth/bootstrap";
import { createDb, type Database } from "./db/client";
import { env } from "./env";
import { EventBus } from "./events";
import { Inspection, registerInspection } from "./inspect/service";
import { logger } from "./logger";
import { seedDemo } from "./seed";
import { createTraceAgentClient, createTraceAgents, type TraceAgents } from "./trace/agent";

export type RunningServices = {
  database: Database;
  db: Database["db"];
  bus: EventBus;
  dispatcher: Dispatcher;
  inspection: Inspection;
  traceAgents: TraceAgents;
};

async function startServices(): Promise<RunningServices> {
  const config = env();
  const database = await createDb(
    config.DATABASE_URL ? { url: config.DATABASE_URL } : { dataDir: config.NETLENS_DATA_DIR },
  );
  const bus = new EventBus();
  if (await seedDemo({ db: database.db, bus })) logger.info("seeded the demo topology");
  // After the seed, so that the demo project exists for its tenant user.
  await bootstrapAccounts(database.db, {
    stateDir: config.NETLENS_STATE_DIR ?? dirname(resolve(config.NETLENS_DATA_DIR)),
    adminPassword: config.NETLENS_ADMIN_PASSWORD,
    demoPassword: config.NETLENS_DEMO_PASSWORD,
    logger: logger.child({ part: "accounts" }),
  });
  const dispatcher = new Dispatcher({
    db: database.db,
    bus,
    url: config.NETLENS_AGENT_URL,
    agent: createAgentClient({ url: config.NETLENS_AGENT_URL, tokenFile: config.NETLENS_AGENT_TOKEN_FILE }),
    logger: logger.child({ part: "dispatcher" }),
  });
  await dispatcher.start();
  const inspection = new Inspection({
    db: database.db,
    bus,
    logger: logger.child({ part: "inspect" }),
    repairer: dispatcher,
  });
  registerInspection(bus, inspection);
  inspection.addAgent({ url: config.NETLENS_AGENT_URL, tokenFile: config.NETLENS_AGENT_TOKEN_FILE });
  logger.info({ database: database.kind, agent: config.NETLENS_AGENT_URL }, "netlens server started");
  const traceAgents = createTraceAgents((row) =>
    createTraceAgentClient({ url: row.url, tokenFile: config.NETLENS_AGENT_TOKEN_FILE }),
  );
  return { database, db: database.db, bus, dispatcher, inspection, traceAgents };
}

// On globalThis: Next's dev server re-evaluates modules on change, and a second PGlite on the same data
// directory would corrupt it.
const holder = globalThis as { netlensServices?: Promise<RunningServices> };

export function getServices(): Promise<RunningServices> {
  holder.netlensServices ??= startServices().catch((error) => {
    holder.netlensServices = undefined;
    throw error;
  });
  return holder.netlensServices;
}
