// The demo is seeded once, on a database's first start, when NETLENS_SEED_DEMO asks: restarts (the same data
// directory or PostgreSQL database, opened again as the server does) never bring back a demo that the admins
// deleted, and a database first started without the demo never gets one.
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { userByName } from "./auth/access";
import { createDb, type Db } from "./db/client";
import { firstStart, networks, projects } from "./db/schema";
import { testTargets } from "./db/targets";
import { ensureProject } from "./domain/projects";
import { ensureUser } from "./domain/users";
import { parseEnv } from "./env";
import { EventBus } from "./events";
import { openDatabase } from "./services";
import { testServices, testUser } from "./testkit";

const silent = pino({ level: "silent" });
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** A server's configuration over a database of its own: a PGlite data directory, or a PostgreSQL database. */
async function newConfig(setUp: (typeof testTargets)[number]["setUp"], seed: string | undefined) {
  const target = await setUp();
  const dir = await mkdtemp(join(tmpdir(), "netlens-seed-"));
  cleanup.push(
    () => target.drop(),
    () => rm(dir, { recursive: true, force: true }),
  );
  const env = {
    NETLENS_DATA_DIR: join(dir, "data"),
    NETLENS_STATE_DIR: dir,
    NETLENS_ADMIN_PASSWORD: "seed-test-admin",
    NETLENS_DEMO_PASSWORD: "seed-test-demo",
    DATABASE_URL: target.url,
    NETLENS_SEED_DEMO: seed,
  };
  return { dir, env, config: parseEnv(env) };
}

/** Opens the database as a server start does, runs `work` on it, and closes it again (the server stops). */
async function start<T>(config: ReturnType<typeof parseEnv>, work: (db: Db) => Promise<T>): Promise<T> {
  const database = await openDatabase(config, new EventBus(), silent);
  try {
    return await work(database.db);
  } finally {
    await database.close();
  }
}

const networkNames = async (db: Db) => (await db.select().from(networks)).map((n) => n.name).sort();
const projectNames = async (db: Db) => (await db.select().from(projects)).map((p) => p.name).sort();

/** What an admin does to be rid of the demo, through the API. */
async function deleteDemo(db: Db): Promise<void> {
  const { caller } = await testUser(testServices(db), "admin", "admin", "admin");
  await caller.server.delete({ id: "vm1" });
  await caller.server.delete({ id: "vm2" });
  for (const fip of await caller.floatingIp.list()) await caller.floatingIp.delete({ id: fip.id });
  await caller.router.removeInterface({ id: "demo-router", subnet_id: "demo-subnet" });
  await caller.router.delete({ id: "demo-router" });
  await caller.network.delete({ id: "demo-net" });
  await caller.network.delete({ id: "public" });
  expect(await networkNames(db)).toEqual([]);
}

describe("NETLENS_SEED_DEMO", () => {
  it("is a yes or a no, and no when unset", () => {
    expect(parseEnv({}).NETLENS_SEED_DEMO).toBe(false);
    expect(parseEnv({ NETLENS_SEED_DEMO: "1" }).NETLENS_SEED_DEMO).toBe(true);
    expect(parseEnv({ NETLENS_SEED_DEMO: "0" }).NETLENS_SEED_DEMO).toBe(false);
    expect(() => parseEnv({ NETLENS_SEED_DEMO: "please" })).toThrow(
      /Invalid environment:\n {2}NETLENS_SEED_DEMO:/,
    );
  });
});

// A fresh database and real scrypt hashes per start: slow on a busy machine.
describe.each(testTargets)("the demo seed on $name", { timeout: 60_000 }, ({ setUp }) => {
  it("seeds a new database when asked, and a restart after the admins deleted the demo seeds nothing", async () => {
    const { config } = await newConfig(setUp, "1");
    await start(config, async (db) => {
      expect(await networkNames(db)).toEqual(["demo-net", "public"]);
      expect(await userByName(db, "demo")).toBeDefined();
      await deleteDemo(db);
    });
    await start(config, async (db) => {
      expect(await networkNames(db)).toEqual([]);
    });
  });

  it("does not seed a database first started without being asked, nor later when asked", async () => {
    const { env, config } = await newConfig(setUp, undefined);
    await start(config, async (db) => {
      expect(await networkNames(db)).toEqual([]);
      expect(await projectNames(db)).toEqual(["admin"]);
      expect(await userByName(db, "demo")).toBeUndefined();
    });
    await start(parseEnv({ ...env, NETLENS_SEED_DEMO: "1" }), async (db) => {
      expect(await networkNames(db)).toEqual([]);
      expect(await projectNames(db)).toEqual(["admin"]);
    });
  });

  it("takes a database made before the decision was recorded as not new", async () => {
    const { dir, config } = await newConfig(setUp, "1");
    // The database as an earlier version left it: the migrations before first_start and the first accounts
    // made (every start made the first admin's project: that is what the migration's decision reads). Not the
    // demo: today's seed writes columns that later migrations add to its tables (ports' binding), which a
    // database of then does not have; a demo deleted since leaves exactly this behind.
    const migrations = join(dir, "migrations");
    await cp(fileURLToPath(new URL("db/migrations", import.meta.url)), migrations, { recursive: true });
    const journalFile = join(migrations, "meta/_journal.json");
    const journal = JSON.parse(await readFile(journalFile, "utf8")) as { entries: { tag: string }[] };
    journal.entries = journal.entries.filter((e) => e.tag < "0002_first_start");
    await writeFile(journalFile, JSON.stringify(journal));
    const old = await createDb(
      config.DATABASE_URL
        ? { url: config.DATABASE_URL, migrationsFolder: migrations }
        : { dataDir: config.NETLENS_DATA_DIR, migrationsFolder: migrations },
    );
    try {
      // Its first admin, made with the schema of then (today's bootstrap writes columns it did not have).
      const { id: projectId } = await ensureProject(old.db, "admin");
      await ensureUser(old.db, { name: "admin", password: "seed-test-admin", projectId, role: "admin" });
    } finally {
      await old.close();
    }

    await start(config, async (db) => {
      expect(await networkNames(db)).toEqual([]);
      expect(await db.select().from(firstStart)).toMatchObject([
        { decision: "demo", outcome: "existing database" },
      ]);
    });
  });
});
