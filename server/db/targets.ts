// The databases tests run against. The unit suite runs twice: the `unit` project on embedded PGlite, the
// `unit-postgres` project on PostgreSQL (TEST_DATABASE_URL, which scripts/with-postgres.sh sets), where each test
// database is a copy of one template migrated once per run (CREATE DATABASE … TEMPLATE takes milliseconds where
// migrating takes a second). testDatabase: the one database of a test that runs on either (the integration stacks).
import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";
import { createDb } from "./client";

declare module "vitest" {
  export interface ProvidedContext {
    /** The unit-postgres project's migrated template database (its globalSetup made it). */
    postgresTemplate?: string;
  }
}

export type Target = { name: string; url?: string; drop(): Promise<void> };

const pglite: Target = { name: "pglite", drop: async () => {} };

/** The template this run's test databases copy: only in a unit-postgres test worker (not a script, a globalSetup). */
const postgresTemplate = (): string | undefined =>
  process.env.VITEST_WORKER_ID ? inject("postgresTemplate") : undefined;

function adminUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url)
    throw new Error("PostgreSQL tests need TEST_DATABASE_URL: run them through scripts/with-postgres.sh");
  return url;
}

/** The project's database: PostgreSQL in unit-postgres (an empty database: the test migrates it), else PGlite. */
export const testTargets: { name: string; setUp(): Promise<Target> }[] = postgresTemplate()
  ? [{ name: "postgres", setUp: () => throwawayDatabase(adminUrl()) }]
  : [{ name: "pglite", setUp: async () => pglite }];

/**
 * A database of its own for a test (an integration stack, a file): a throwaway PostgreSQL database when
 * TEST_DATABASE_URL is set, else PGlite in memory (no `url`). The caller drops it.
 */
export const testDatabase = (): Promise<Target> =>
  process.env.TEST_DATABASE_URL ? throwawayDatabase(process.env.TEST_DATABASE_URL) : Promise.resolve(pglite);

/** A migrated copy of this run's template for a test API in unit-postgres; none (PGlite) elsewhere. */
export async function migratedTestDatabase(): Promise<Target> {
  const template = postgresTemplate();
  return template ? throwawayDatabase(adminUrl(), template) : pglite;
}

/** The unit-postgres project's template: an empty database, migrated; dropped (with every copy) at `drop`. */
export async function migratedTemplate(url: string): Promise<{ name: string; drop(): Promise<string[]> }> {
  const template = await throwawayDatabase(url);
  const name = new URL(template.url ?? "").pathname.slice(1);
  const database = await createDb({ url: template.url });
  await database.close();
  return {
    name,
    // Copies a test left behind are dropped too and named, so that a test that forgets to close is seen.
    drop: () =>
      withAdmin(url, async (admin) => {
        const left = await admin.query<{ datname: string }>(
          "SELECT datname FROM pg_database WHERE datname LIKE $1 ORDER BY datname",
          [`${name}\\_%`],
        );
        for (const { datname } of left.rows)
          await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        return left.rows.map((row) => row.datname);
      }),
  };
}

async function withAdmin<T>(url: string, use: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.end();
  }
}

/** An empty database, or a copy of `template` (named after it, so that leftovers are found). */
async function throwawayDatabase(url: string, template?: string): Promise<Target> {
  const suffix = randomBytes(6).toString("hex");
  const name = template ? `${template}_${suffix}` : `netlens_test_${suffix}`;
  await withAdmin(url, (admin) =>
    admin.query(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ""}`),
  );
  const target = new URL(url);
  target.pathname = `/${name}`;
  return {
    name: "postgres",
    url: target.toString(),
    drop: () =>
      withAdmin(url, (admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => {}),
  };
}
