// Every procedure of the app router (enumerated from the router itself, so a new one is fuzzed too), called as an
// admin and as a member with inputs generated from its own zod schema (fuzz.testing.ts): good, good with one
// field spoilt, and hostile. Whatever the input, the API answers a TRPCError of the caller's making, never
// INTERNAL_SERVER_ERROR; no message outside the domain's and zod's own carries SQL; and a refused call writes
// nothing (every table's rows and contents compared with the world's). Each call runs in a transaction rolled
// back afterwards, so that every run finds the same world and a failure replays from its seed alone:
// FUZZ_SEED=<seed> (printed on failure, with the counterexample); FUZZ_RUNS=<runs per procedure> searches longer.
// On PGlite, and on PostgreSQL too when TEST_DATABASE_URL is set.
import { TRPCError } from "@trpc/server";
import { getTableName, is, sql } from "drizzle-orm";
import { PgTable } from "drizzle-orm/pg-core";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZodError, type z } from "zod";
import type { Db } from "../db/client";
import * as schema from "../db/schema";
import { type Target, testTargets } from "../db/targets";
import { DomainError } from "../domain/errors";
import { createTestApi, type TestApi, testServices } from "../testkit";
import { buildFixture, type Fixture } from "./fixture.testing";
import { inputArbitrary, type World } from "./fuzz.testing";
import { appRouter, createCaller } from "./root";
import { createInnerContext } from "./trpc";

const SEED = Number(process.env.FUZZ_SEED ?? 1009);
const RUNS = Number(process.env.FUZZ_RUNS ?? 40);
/** Procedures that hash a password (scrypt is made to be slow) get fewer runs. */
const SLOW: Record<string, number> = { "auth.login": 10, "user.create": 15, "user.setPassword": 15 };

/** Words of SQL and of PostgreSQL's errors. */
const SQL_TEXT = /\b(select|insert|update|delete|violates|constraint|relation|syntax)\b|params:/i;

type Procedure = { _def: { type: string; inputs: z.ZodType[] } };
// At run time `_def.procedures` is flat, keyed by the dotted path ("network.create").
const procedures = appRouter._def.procedures as unknown as Record<string, Procedure>;

// The audit log records refused calls on purpose: it is the one table a refusal writes to.
const tables = (Object.values(schema) as unknown[]).filter(
  (t): t is PgTable => is(t, PgTable) && getTableName(t as PgTable) !== "audit_log",
);

/** Every table's row count and a digest of its contents, in one query. */
const contentsQuery = sql.join(
  tables.map(
    (table) =>
      sql`select ${getTableName(table)} as name, count(*)::int as rows, md5(coalesce(string_agg(t::text, ',' order by t::text), '')) as digest from ${table} t`,
  ),
  sql` union all `,
);

async function contents(db: Db): Promise<Record<string, string>> {
  const { rows } = (await db.execute(contentsQuery)) as unknown as {
    rows: { name: string; rows: number; digest: string }[];
  };
  return Object.fromEntries(rows.map((r) => [r.name, `${r.rows} rows, ${r.digest}`]));
}

/** The messages of an error and its causes: what the log would hold. */
function detail(error: unknown): string {
  const texts: string[] = [];
  for (let e = error; e instanceof Error; e = e.cause) texts.push(`${e.name}: ${e.message}`);
  return texts.join("\n  caused by ");
}

/** What the fixture holds, by the kind of value a field takes. */
async function worldOf(api: TestApi, fixture: Fixture): Promise<World> {
  const admin = api.caller;
  const named = (rows: { id: string; name: string }[]) =>
    rows.flatMap((r) => [r.id, r.name]).filter((ref) => ref !== "");
  const ports = await admin.port.list();
  const subnets = await admin.subnet.list();
  const fips = await admin.floatingIp.list();
  return {
    projects: named(await admin.project.list()),
    networks: named(await admin.network.list()),
    subnets: named(subnets),
    ports: named(ports),
    routers: named(await admin.router.list()),
    servers: named(await admin.server.list()),
    floatingIps: fips.flatMap((f) => [f.id, f.floating_ip_address]),
    users: named(await admin.user.list()),
    tokens: [fixture.aliceToken],
    addresses: [
      ...ports.flatMap((p) => p.fixed_ips.map((f) => f.ip_address)),
      ...fips.map((f) => f.floating_ip_address),
      ...subnets.flatMap((s) => (s.gateway_ip ? [s.gateway_ip] : [])),
      // Free ones, in and out of the world's subnets and pools.
      "10.1.0.77",
      "10.3.0.200",
      "10.8.0.9",
      "203.0.113.150",
      "203.0.113.250",
      "192.0.2.1",
    ],
    cidrs: [
      ...subnets.map((s) => s.cidr),
      "10.50.0.0/24",
      "10.1.0.0/16",
      "10.1.0.128/25",
      "203.0.113.0/25",
      "192.168.0.0/30",
      "10.9.0.0/24",
    ],
    passwords: [fixture.alicePassword, "wrong-password", "a-new-password"],
  };
}

const who = fc.oneof({ weight: 3, arbitrary: fc.constant("admin" as const) }, fc.constant("member" as const));

describe.each(testTargets)(`every procedure, fuzzed on $name (seed ${SEED})`, ({ setUp }) => {
  let target: Target;
  let api: TestApi;
  let fixture: Fixture;
  let world: World;
  /** Every run starts from this (the runs before it were rolled back). */
  let start: Record<string, string>;

  beforeAll(async () => {
    target = await setUp();
    api = await createTestApi({ url: target.url });
    fixture = await buildFixture(api);
    world = await worldOf(api, fixture);
    start = await contents(api.db);
  }, 180_000);
  afterAll(async () => {
    await api?.close();
    await target?.drop();
  });

  const rollback = new Error("rollback");

  /** Runs `work` in a transaction that is rolled back: procedures' own transactions become savepoints in it. */
  async function rolledBack(work: (db: Db) => Promise<void>): Promise<void> {
    await api.db
      .transaction(async (tx) => {
        await work(tx as unknown as Db);
        throw rollback;
      })
      .catch((error: unknown) => {
        if (error !== rollback) throw error;
      });
  }

  /** Calls `path` as `caller`; a subscription is opened and closed again at once. Returns the error, if any. */
  async function call(db: Db, caller: "admin" | "member", path: string, input: unknown): Promise<unknown> {
    // Services of their own (login throttle, event bus): no run depends on the runs before it.
    const session = caller === "admin" ? api.admin.session : fixture.alice.session;
    const ctx = await createInnerContext(testServices(db), session);
    const controller = new AbortController();
    let target: unknown = createCaller(ctx, { signal: controller.signal });
    for (const part of path.split(".")) target = (target as Record<string, unknown>)[part];
    try {
      await (target as (input: unknown) => Promise<unknown>)(input);
      return undefined;
    } catch (error) {
      return error;
    } finally {
      controller.abort();
    }
  }

  async function check(caller: "admin" | "member", path: string, input: unknown): Promise<void> {
    await rolledBack(async (db) => {
      const error = await call(db, caller, path, input);
      if (error === undefined) return;
      expect(error, detail(error)).toBeInstanceOf(TRPCError);
      const { code, message, cause } = error as TRPCError;
      expect(code, detail(error)).not.toBe("INTERNAL_SERVER_ERROR");
      // The domain's messages and zod's repeat what the caller sent, which may be anything.
      if (!(cause instanceof DomainError) && !(cause instanceof ZodError))
        expect(message).not.toMatch(SQL_TEXT);
      expect(await contents(db), `${path} refused (${message}) but wrote`).toEqual(start);
    });
  }

  it("covers procedures of every kind", () => {
    const kinds = new Set(Object.values(procedures).map((p) => p._def.type));
    expect([...kinds].sort()).toEqual(["mutation", "query", "subscription"]);
  });

  for (const [path, procedure] of Object.entries(procedures)) {
    it(path, async () => {
      await fc.assert(
        fc.asyncProperty(who, inputArbitrary(path, procedure._def.inputs[0], world), (caller, input) =>
          check(caller, path, input),
        ),
        { seed: SEED, numRuns: SLOW[path] ?? RUNS },
      );
    });
  }

  it("wrote nothing past its runs' transactions: the world is as it was", async () => {
    expect(await contents(api.db)).toEqual(start);
  });
});
