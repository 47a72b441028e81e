// One database handle for the whole server: embedded PGlite by default (a data directory on disk, or memory for
// tests), a PostgreSQL server through node-postgres when given a postgres:// URL. Same schema, same migrations.
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import type { ExtractTablesWithRelations } from "drizzle-orm";
import { drizzle as drizzleNodePg } from "drizzle-orm/node-postgres";
import { migrate as migrateNodePg } from "drizzle-orm/node-postgres/migrator";
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import pg from "pg";
import { logger } from "../logger";
import { lockDataDir } from "./lock";
import * as schema from "./schema";

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type DbTx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
/** Either the database or a transaction: what read-only helpers take. */
export type Executor = Db | DbTx;

export type Database = {
  db: Db;
  kind: "pglite" | "postgres";
  /**
   * PostgreSQL only: a connection of its own, outside the pool, for what lives as long as a session (LISTEN,
   * session advisory locks), named after its purpose in pg_stat_activity. The caller ends it.
   */
  connect?: (purpose: string) => Promise<pg.Client>;
  close(): Promise<void>;
};

export type DbOptions = {
  /** postgres://… selects PostgreSQL; otherwise PGlite. */
  url?: string;
  /** PGlite data directory, or "memory" (tests). Ignored with a URL. */
  dataDir?: string;
  migrationsFolder?: string;
};

/**
 * The migrations folder sits beside this module in the repository; when a bundler (Next) moved the module,
 * fall back to the path from the working directory, where `npm run up` starts.
 */
function defaultMigrationsFolder(): string {
  const candidates = [
    join(dirname(fileURLToPath(import.meta.url)), "migrations"),
    resolve("server/db/migrations"),
  ];
  const found = candidates.find((dir) => existsSync(join(dir, "meta", "_journal.json")));
  if (!found) throw new Error(`Database migrations not found (looked in ${candidates.join(", ")})`);
  return found;
}

export async function createDb(options: DbOptions = {}): Promise<Database> {
  const migrationsFolder = options.migrationsFolder ?? defaultMigrationsFolder();
  if (options.url) {
    const pool = new pg.Pool({ connectionString: options.url });
    // An idle connection the server ends (restart, failover, a dropped test database) is an event, not a crash;
    // the pool replaces it on the next query.
    pool.on("error", (error) => logger.warn({ err: error }, "PostgreSQL closed an idle connection"));
    const db = drizzleNodePg(pool, { schema });
    await migrateOrClose(
      () => migrateNodePg(db, { migrationsFolder }),
      () => pool.end(),
    );
    const connect = async (purpose: string) => {
      // Keepalives: a database that became unreachable without a word (a network cut) is noticed in seconds, not
      // hours, and this server stops counting on what the session held (the lead, a LISTEN). When PostgreSQL gives
      // up the session of a server that vanished is its own setting (tcp_keepalives_idle).
      const client = new pg.Client({
        connectionString: options.url,
        application_name: purpose,
        keepAlive: true,
        keepAliveInitialDelayMillis: 10_000,
      });
      await client.connect();
      return client;
    };
    return { db, kind: "postgres", connect, close: once(() => pool.end()) };
  }
  const dataDir = options.dataDir ?? ".netlens/data";
  if (dataDir === "memory") {
    const client = new PGlite();
    const db = drizzlePglite(client, { schema });
    await migrateOrClose(
      () => migratePglite(db, { migrationsFolder }),
      () => client.close(),
    );
    return { db, kind: "pglite", close: once(() => client.close()) };
  }
  mkdirSync(dataDir, { recursive: true });
  const unlock = lockDataDir(dataDir);
  const client = new PGlite(dataDir);
  // Closing shuts PGlite down as PostgreSQL does (a checkpoint: nothing to recover on the next start); only then
  // may another process open the directory.
  const close = once(async () => {
    try {
      await client.close();
    } finally {
      unlock();
    }
  });
  const db = drizzlePglite(client, { schema });
  await migrateOrClose(() => migratePglite(db, { migrationsFolder }), close);
  return { db, kind: "pglite", close };
}

async function migrateOrClose(migrate: () => Promise<void>, close: () => Promise<void>): Promise<void> {
  try {
    await migrate();
  } catch (error) {
    await close();
    throw error;
  }
}

/** A close that a signal handler and the code that owns the database may both call. */
export function once(close: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => {
    closing ??= close();
    return closing;
  };
}
