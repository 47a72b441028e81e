// The databases tests run against: always embedded PGlite, and PostgreSQL too when TEST_DATABASE_URL is set
// (CI sets it). Each PostgreSQL run gets a throwaway database so that tests never share state.
import { randomBytes } from "node:crypto";
import pg from "pg";

export type Target = { name: string; url?: string; drop(): Promise<void> };

export const testTargets: { name: string; setUp(): Promise<Target> }[] = [
  { name: "pglite", setUp: async () => ({ name: "pglite", drop: async () => {} }) },
  ...(process.env.TEST_DATABASE_URL
    ? [{ name: "postgres", setUp: () => throwawayDatabase(process.env.TEST_DATABASE_URL ?? "") }]
    : []),
];

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
