// Which database a test API runs on: in-memory PGlite in the `unit` project; in `unit-postgres` a migrated copy of
// the run's template on PostgreSQL, dropped when the API closes, so that a run leaves no database behind.
import pg from "pg";
import { describe, expect, inject, it } from "vitest";
import { networks } from "./db/schema";
import { createTestApi } from "./testkit";

async function databasesLike(prefix: string): Promise<string[]> {
  const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
  await admin.connect();
  try {
    const found = await admin.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE datname LIKE $1",
      [`${prefix}%`],
    );
    return found.rows.map((row) => row.datname);
  } finally {
    await admin.end();
  }
}

describe("createTestApi", () => {
  it("gives each API a migrated database of its own", async () => {
    const first = await createTestApi();
    const second = await createTestApi();
    try {
      await first.caller.network.create({ name: "only-in-first" });
      expect((await first.db.select().from(networks)).map((n) => n.name)).toEqual(["only-in-first"]);
      expect(await second.db.select().from(networks)).toEqual([]);
    } finally {
      await first.close();
      await second.close();
    }
  });

  const template = inject("postgresTemplate");
  if (template) {
    it("in unit-postgres: a copy of the run's template on PostgreSQL, dropped at close", async () => {
      const api = await createTestApi();
      const client = await api.connect?.("testkit test");
      if (!client) throw new Error("A test API on PostgreSQL gives connections of its own");
      const { rows } = await client.query<{ name: string }>("SELECT current_database() AS name");
      await client.end();
      const name = rows[0]?.name ?? "";
      expect(name.startsWith(`${template}_`)).toBe(true);
      expect(await databasesLike(name)).toEqual([name]);
      await api.close();
      expect(await databasesLike(name)).toEqual([]);
    });
  } else {
    it("in unit: in-memory PGlite", async () => {
      const api = await createTestApi();
      expect(api.connect).toBeUndefined();
      await api.close();
    });
  }
});
