// The databases tests run against: always embedded PGlite, and PostgreSQL too when TEST_DATABASE_URL is set
// (CI sets it). Each PostgreSQL run gets a throwaway database so that tests never share state.
// testDatabase: the one database of a test that runs on either (the integration stacks): PostgreSQL when set.
import { randomBytes } from "node:crypto";
import pg from "pg";

export type Target = { name: string; url?: string; drop(): Promise<void> };

const pglite: Target = { name: "pglite", drop: async () => {} };

export const testTargets: { name: string; setUp(): Promise<Target> }[] = [
  { name: "pglite", setUp: async () => pglite },
  ...(process.env.TEST_DATABASE_URL
    ? [{ name: "postgres", setUp: () => throwawayDatabase(process.env.TEST_DATABASE_URL ?? "") }]
    : []),
];

/**
 * A database of its own for a test (an integration stack, a file): a throwaway PostgreSQL database when
 * TEST_DATABASE_URL is set, else PGlite in memory (no `url`). The caller drops it.
 */
export const testDatabase = (): Promise<Target> =>
  process.env.TEST_DATABASE_URL ? throwawayDatabase(process.env.TEST_DATABASE_URL) : Promise.resolve(pglite);

async function throwawayDatabase(url: string): Promise<Target> {
  const name = `netlens_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const target = new URL(url);
  target.pathname = `/${name}`;
  return {
    name: "postgres",
    url: target.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
