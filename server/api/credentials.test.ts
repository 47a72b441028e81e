// How long credentials last, over HTTP: API tokens expire; a password change ends the user's sessions and
// tokens (but not the one that made it); a long subscription ends once its caller no longer authenticates.
import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { requestFacts } from "../auth/http";
import { apiTokens } from "../db/schema";
import type { InspectEvent, Inspection } from "../inspect/service";
import { createTestApi, type TestApi, testUser } from "../testkit";
import { cookieOf, overHttp, sameOrigin } from "./http.testing";
import { createCaller } from "./root";
import { createRequestContext } from "./trpc";

let api: TestApi;
let over: ReturnType<typeof overHttp>;
beforeAll(async () => {
  api = await createTestApi({ demo: true });
  over = overHttp(api);
});
afterAll(() => api.close());
afterEach(() => {
  vi.useRealTimers();
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const whoami = async (headers: Record<string, string>) =>
  (await over.http("network.list", { mutation: false, headers })).status;

describe("API tokens", () => {
  it("expire 12 hours after they are issued (NETLENS_TOKEN_EXPIRATION), and say so when refused", async () => {
    const before = Date.now();
    const issued = await api.caller.token.issue({ name: "expiring" });
    const expires = Date.parse(issued.expires_at);
    expect(expires - before).toBeGreaterThanOrEqual(12 * 3600_000 - 1000);
    expect(expires - before).toBeLessThanOrEqual(12 * 3600_000 + 60_000);
    expect((await api.caller.token.list()).find((t) => t.id === issued.id)?.expires_at).toBe(
      issued.expires_at,
    );
    expect(await whoami(bearer(issued.token))).toBe(200);

    await api.db
      .update(apiTokens)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(apiTokens.id, issued.id));
    // Expired by hand, not by the clock: a check remembered a moment ago would still hold for a few seconds.
    api.services.tokenChecks.forgetAll();
    const refused = await over.http("network.list", { mutation: false, headers: bearer(issued.token) });
    expect(refused.status).toBe(401);
    expect(refused.body.error?.message).toMatch(/^API token expired at \S+; issue a new one/);
  });
});

describe("a password change", () => {
  it("ends the user's sessions and revokes their tokens; the new password works", async () => {
    const judy = await testUser(api.services, "judy", "demo", "member");
    const cookie = cookieOf((await over.login("judy", judy.password)).setCookie);
    const { token } = await judy.caller.token.issue({ name: "judy's" });
    expect(await whoami({ cookie })).toBe(200);
    expect(await whoami(bearer(token))).toBe(200);

    await api.caller.user.setPassword({ id: "judy", password: "judy-new-password" });
    expect(await whoami({ cookie })).toBe(401);
    const revoked = await over.http("network.list", { mutation: false, headers: bearer(token) });
    expect(revoked.status).toBe(401);
    expect(revoked.body.error?.message).toBe("Invalid or revoked API token");
    expect((await over.login("judy", judy.password)).status).toBe(401);
    expect((await over.login("judy", "judy-new-password")).status).toBe(200);
  });

  it("of one's own keeps the session it was made in, and ends the others", async () => {
    const karl = await testUser(api.services, "karl", "admin", "admin");
    const here = cookieOf((await over.login("karl", karl.password)).setCookie);
    const elsewhere = cookieOf((await over.login("karl", karl.password)).setCookie);
    const changed = await over.http("user.setPassword", {
      input: { id: "karl", password: "karl-new-password" },
      headers: { cookie: here, ...sameOrigin },
    });
    expect(changed.status).toBe(200);
    expect(await whoami({ cookie: here })).toBe(200);
    expect(await whoami({ cookie: elsewhere })).toBe(401);
  });
});

/** An inspection that streams what the test pushes (the test API runs none). */
function fakeInspection() {
  const queue: InspectEvent[] = [];
  let wake: (() => void) | undefined;
  const inspection = {
    async *stream(_host: string | undefined, signal?: AbortSignal): AsyncGenerator<InspectEvent> {
      while (!signal?.aborted) {
        const event = queue.shift();
        if (event) yield event;
        else await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
  const push = (event: InspectEvent) => {
    queue.push(event);
    wake?.();
  };
  return { inspection: inspection as unknown as Inspection, push };
}

describe("inspect.stream", () => {
  it("ends once its caller's token is revoked: no host state after that", async () => {
    const { inspection, push } = fakeInspection();
    const services = { ...api.services, inspection };
    const { token, id } = await api.caller.token.issue({ name: "watcher" });
    const ctx = await createRequestContext(
      services,
      requestFacts(new Headers(bearer(token)), null, () => {}),
    );
    const controller = new AbortController();
    const stream = await createCaller(ctx, { signal: controller.signal }).inspect.stream();
    const events = stream[Symbol.asyncIterator]();
    const drift: InspectEvent = { type: "drift", host: null, items: [] };
    try {
      push(drift);
      expect((await events.next()).value).toEqual(drift);

      await api.caller.token.revoke({ id });
      vi.useFakeTimers({ toFake: ["Date"] });
      vi.setSystemTime(Date.now() + 60_000);
      push(drift);
      expect(await events.next()).toMatchObject({ done: true });
    } finally {
      controller.abort();
    }
  });
});
