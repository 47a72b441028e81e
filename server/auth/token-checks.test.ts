// Remembered token checks: a token's caller is found once and then from memory; a revocation (or any mutation) on
// this server is seen at once, another server's once the entry's time is up; nothing outlives the token's expiry.
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "../api/root";
import { createInnerContext } from "../api/trpc";
import { apiTokens } from "../db/schema";
import { createTestApi, type TestApi } from "../testkit";
import { issueToken } from "./credentials";
import { TokenChecks } from "./token-checks";

let api: TestApi;
beforeAll(async () => {
  api = await createTestApi();
});
afterAll(() => api.close());

/** A cache over a fake clock (from now), and a token of admin's lasting `lifetimeMs`. */
async function setup(lifetimeMs = 3600_000) {
  const clock = { now: Date.now() };
  const checks = new TokenChecks({ ttlMs: 5_000, maxEntries: 2 }, () => clock.now);
  const who = { userId: api.admin.user.id, projectId: api.ctx.session?.projectId ?? null };
  const { token, row } = await issueToken(
    api.db,
    who,
    "t",
    { tokenLifetimeMs: lifetimeMs },
    new Date(clock.now),
  );
  return { clock, checks, token, row };
}

/** Another server's revocation: straight in the database, unseen by this process's cache. */
const revokeElsewhere = (id: string) =>
  api.db.update(apiTokens).set({ revokedAt: new Date() }).where(eq(apiTokens.id, id));

describe("TokenChecks", () => {
  it("answers a token checked within its time from memory, and another server's revocation after it", async () => {
    const { clock, checks, token, row } = await setup();
    expect((await checks.check(api.db, token)).session?.user).toBe("admin");
    await revokeElsewhere(row.id);
    clock.now += 4_000;
    expect((await checks.check(api.db, token)).session?.user).toBe("admin");
    clock.now += 1_001;
    expect(await checks.check(api.db, token)).toEqual({
      session: null,
      error: "Invalid or revoked API token",
    });
  });

  it("sees a revocation made through this server at once (any mutation forgets every check)", async () => {
    const { checks, token, row } = await setup();
    const ctx = await createInnerContext({ ...api.services, tokenChecks: checks }, api.ctx.session ?? null);
    expect((await checks.check(api.db, token)).session).not.toBeNull();
    await createCaller(ctx).token.revoke({ id: row.id });
    expect((await checks.check(api.db, token)).session).toBeNull();
  });

  it("keeps no check read before a forgetAll: it may predate the change", async () => {
    const { checks, token, row } = await setup();
    const checking = checks.check(api.db, token);
    checks.forgetAll();
    await revokeElsewhere(row.id);
    expect((await checking).session).not.toBeNull();
    expect((await checks.check(api.db, token)).session).toBeNull();
  });

  it("never answers from memory past the token's expiry, and keeps at most maxEntries", async () => {
    const { clock, checks, token } = await setup(2_000);
    expect((await checks.check(api.db, token)).session).not.toBeNull();
    clock.now += 2_000;
    expect((await checks.check(api.db, token)).session).toBeNull();

    const tokens = await Promise.all([setup(), setup(), setup()]);
    const shared = new TokenChecks({ ttlMs: 5_000, maxEntries: 2 });
    for (const t of tokens) await shared.check(api.db, t.token);
    // The oldest was forgotten: revoked elsewhere, it is seen at once; the newest is still remembered.
    await revokeElsewhere(tokens[0]?.row.id ?? "");
    await revokeElsewhere(tokens[2]?.row.id ?? "");
    expect((await shared.check(api.db, tokens[0]?.token ?? "")).session).toBeNull();
    expect((await shared.check(api.db, tokens[2]?.token ?? "")).session).not.toBeNull();
  });
});
