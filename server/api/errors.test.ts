// What callers learn when a call fails. Faults of ours (the database refusing a query, a bug) answer a generic
// message with an error id and log the detail under it: their text holds SQL, parameters and host paths.
// Bad input answers why, and text with control characters is bad input wherever people name things.
import { TRPCError } from "@trpc/server";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { Db } from "../db/client";
import { agents } from "../db/schema";
import { logger } from "../logger";
import { createTestApi, expectRefused, type TestApi, testUser } from "../testkit";
import { createTraceAgents } from "../trace/agent";
import { appRouter, createCaller } from "./root";
import type { Context } from "./trpc";

let api: TestApi;
beforeAll(async () => {
  api = await createTestApi({ demo: true });
});
afterAll(() => api.close());
afterEach(() => vi.restoreAllMocks());

const GENERIC = /^Something went wrong \(error id ([0-9a-f]{8})\)$/;
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

/**
 * Runs `work` against a database whose `users` table is gone: every query of users fails in PostgreSQL itself,
 * with its own words and the query's text and parameters.
 */
function withoutUsersTable(work: (db: Db) => Promise<void>): Promise<void> {
  return rolledBack(async (db) => {
    await db.execute(sql`alter table users rename to users_elsewhere`);
    await work(db);
  });
}

const post = (path: string, input: unknown, createContext: () => Promise<Context>) =>
  fetchRequestHandler({
    endpoint: "/api/trpc",
    router: appRouter,
    req: new Request(`http://test/api/trpc/${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(input),
    }),
    createContext,
  }).then(async (res) => ({ status: res.status, body: await res.json() }));

/** The messages of an error and of its causes. */
function messages(error: unknown): string {
  const texts: string[] = [];
  for (let e = error; e instanceof Error; e = e.cause) texts.push(e.message);
  return texts.join("\n");
}

/** The error ids logged so far, with the detail each was logged with. */
function loggedErrors() {
  const error = vi.spyOn(logger, "error");
  return () =>
    error.mock.calls.map(([fields]) => {
      const { errorId, err } = fields as { errorId: string; err: unknown };
      return { errorId, detail: messages(err) };
    });
}

describe("a fault of ours", () => {
  it("answers HTTP callers a generic message with an error id, and logs the detail under that id", async () => {
    const logged = loggedErrors();
    await withoutUsersTable(async (db) => {
      const { status, body } = await post(
        "auth.login",
        { username: "secret-name", password: "x" },
        async () => ({ ...api.ctx, db }),
      );
      expect(status).toBe(500);
      expect(body.error.message).toMatch(GENERIC);
      expect(body.error.data.code).toBe("INTERNAL_SERVER_ERROR");
      // Nothing of the query, its parameters, the database's words or the server's files.
      const text = JSON.stringify(body);
      for (const leak of ["select", "users", "secret-name", "relation", "stack", ".ts"])
        expect(text).not.toContain(leak);
      const errorId = GENERIC.exec(body.error.message)?.[1];
      const entry = logged().find((e) => e.errorId === errorId);
      expect(entry?.detail).toContain("secret-name");
      expect(entry?.detail).toMatch(/relation "users" does not exist/);
    });
  });

  it("answers in-process callers the same", async () => {
    await withoutUsersTable(async (db) => {
      const caller = createCaller({ ...api.ctx, db });
      const error = await caller.user.list().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TRPCError);
      expect(error).toMatchObject({ code: "INTERNAL_SERVER_ERROR", message: expect.stringMatching(GENERIC) });
    });
  });

  it("hides a fault in finding who the caller is (before any procedure runs)", async () => {
    const logged = loggedErrors();
    const { status, body } = await post("auth.logout", {}, async () => {
      throw new Error('Failed query: select "user_id" from "sessions" where "id_hash" = $1\nparams: abc');
    });
    expect(status).toBe(500);
    expect(body.error.message).toMatch(GENERIC);
    expect(JSON.stringify(body)).not.toMatch(/sessions|params|select/);
    const errorId = GENERIC.exec(body.error.message)?.[1];
    expect(logged().find((e) => e.errorId === errorId)?.detail).toContain("sessions");
  });

  it("is not a host agent that is down: an admin's trace says so in the agent's words", async () => {
    const down = async (): Promise<never> => {
      throw new Error("connect ECONNREFUSED 127.0.0.1:9797");
    };
    const traced = await api.with({ traceAgents: createTraceAgents(() => ({ ask: down, probe: down })) });
    await rolledBack(async (db) => {
      await db.insert(agents).values({ url: "http://127.0.0.1:9797", host: "node-1", prefix: "t-" });
      const caller = createCaller({ ...traced.ctx, db });
      await expect(caller.trace.run({ from: "vm1", to: "203.0.113.1" })).rejects.toMatchObject({
        code: "CONFLICT",
        message: "The host agent of node-1 could not answer the trace: connect ECONNREFUSED 127.0.0.1:9797",
      });
    });
  });

  it("is not a host agent that is down: a member's trace says so without the host's words", async () => {
    const down = async (): Promise<never> => {
      throw new Error("connect ECONNREFUSED 127.0.0.1:9797 (t-qrouter-1234 qg-5678)");
    };
    const traced = await api.with({ traceAgents: createTraceAgents(() => ({ ask: down, probe: down })) });
    const member = await testUser(traced.services, "tracing-tenant", "demo", "member");
    await rolledBack(async (db) => {
      await db.insert(agents).values({ url: "http://127.0.0.1:9797", host: "node-1", prefix: "t-" });
      const caller = createCaller({ ...member.ctx, db });
      await expect(caller.trace.run({ from: "vm1", to: "203.0.113.1" })).rejects.toMatchObject({
        code: "CONFLICT",
        message: "The host could not answer this trace; an admin can see why",
      });
    });
  });

  it("leaves domain errors and bad input their own clear words", async () => {
    const domain = await post("router.delete", { id: "demo-router" }, async () => api.ctx);
    expect(domain).toMatchObject({
      status: 409,
      body: { error: { message: "Router demo-router still has ports" } },
    });
    const input = await post("network.create", { name: "/slash" }, async () => api.ctx);
    expect(input.status).toBe(400);
    expect(input.body.error.message).toBe("name: Name must not contain '/' or start with a space");
  });
});

describe("a token named by something that only looks like an ID", () => {
  it("is not found, as any other unknown token (PostgreSQL failed to read it as a UUID)", async () => {
    for (const id of ["a".repeat(36), "-".repeat(36), "aa--a-a0000-0a-a0a---0aaaa00a--0-0a-"]) {
      await expect(api.caller.token.revoke({ id })).rejects.toMatchObject({ code: "NOT_FOUND" });
    }
  });
});

describe("control characters", () => {
  // NUL reached PostgreSQL (which cannot store it) and came back as SQL; ESC drives a terminal.
  const nul = "a\u0000b";
  const esc = "red\u001b[31m";
  const c1 = "csi\u009b2J";

  it("are refused in every name, with a clear error and nothing written", async () => {
    const caller = api.caller;
    for (const bad of [nul, esc, c1, "del\u007f"]) {
      await expectRefused(
        api,
        () => caller.network.create({ name: bad }),
        "Name must not contain control characters",
      );
      await expectRefused(
        api,
        () => caller.project.create({ name: bad }),
        "Name must not contain control characters",
      );
      await expectRefused(
        api,
        () => caller.router.update({ id: "demo-router", name: bad }),
        "Name must not contain control characters",
      );
      await expectRefused(
        api,
        () => caller.project.create({ name: "p", description: bad }),
        "Description must not contain control characters",
      );
      await expectRefused(
        api,
        () => caller.floatingIp.create({ floating_network_id: "public", description: bad }),
        "Description must not contain control characters",
      );
      await expectRefused(
        api,
        () => caller.token.issue({ name: bad }),
        "A token name must not contain control characters",
      );
      await expectRefused(
        api,
        () => caller.user.create({ name: bad, password: "long-enough" }),
        "User names are",
      );
    }
  });

  it("are refused where a resource is named, and at login, instead of reaching the database", async () => {
    const member = (await testUser(api.services, "carol", "demo", "member")).caller;
    for (const [i, call] of [
      () => api.caller.network.show({ id: nul }),
      () => member.port.list({ network_id: nul }),
      () => member.port.list({ device_id: nul }),
      () => api.caller.router.addInterface({ id: "demo-router", subnet_id: esc }),
      () => api.caller.floatingIp.update({ id: nul, port_id: null }),
    ].entries()) {
      await expect(call(), `call ${i}`).rejects.toMatchObject({
        code: "BAD_REQUEST",
        message: /control characters/,
      });
    }
    const anonymous = createCaller({ ...api.ctx, session: null });
    await expect(anonymous.auth.login({ username: nul, password: "x" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("A user name must not contain control characters"),
    });
  });

  it("and half a surrogate pair are refused too: PGlite failed on it, node-postgres stored U+FFFD", async () => {
    const half = " \ud800שלום עולם\udc00 ";
    for (const call of [
      () => api.caller.network.list({ project_id: half }),
      () => api.caller.token.issue({ name: half }),
      () => api.caller.network.create({ name: "\ud800" }),
    ]) {
      await expect(call()).rejects.toMatchObject({ code: "BAD_REQUEST", message: /must be valid Unicode/ });
    }
    // A whole pair is a character like any other.
    expect((await api.caller.network.create({ name: "\ud800\udc00" })).name).toBe("𐀀");
  });

  it("are allowed as any other text where no one is named: unicode, spaces inside, quotes", async () => {
    for (const name of ["ネット", "שלום", "café\u0301", "🙂 net", 'it\'s "quoted"', "a;$(reboot)"]) {
      expect((await api.caller.network.create({ name })).name).toBe(name);
    }
  });
});
