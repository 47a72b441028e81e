// Logging in over HTTP as the browser and the CLI do: the session cookie and its flags, CSRF refusals, API
// tokens, expiry, the slow and vague answer to a wrong password, and the rate limit on repeated failures.
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLIENT_HEADER } from "../../lib/client-header";
import { hashPassword, verifyPassword } from "../auth/password";
import { digest } from "../auth/secrets";
import { LoginThrottle } from "../auth/throttle";
import { apiTokens, sessions, users } from "../db/schema";
import { createTestApi, type TestApi, tableCounts, testUser } from "../testkit";
import { cookieOf, ORIGIN, overHttp, PEER, PROXY, sameOrigin } from "./http.testing";

const DELAY_MS = 300;

let api: TestApi;
let alicePassword: string;
let http: ReturnType<typeof overHttp>["http"];
let login: ReturnType<typeof overHttp>["login"];
beforeAll(async () => {
  api = await createTestApi({
    demo: true,
    auth: {
      failureDelayMs: DELAY_MS,
      throttle: { windowMs: 60_000, perAddress: 3, perUser: 10, perSource: 30, maxKeys: 1000 },
    },
  });
  alicePassword = (await testUser(api.services, "alice", "demo", "member")).password;
  ({ http, login } = overHttp(api));
});
afterAll(() => api.close());

describe("passwords", () => {
  it("are stored as salted scrypt hashes and checked in constant time", async () => {
    const [row] = await api.db.select().from(users).where(eq(users.name, "alice"));
    // OWASP's baseline for scrypt: N=2^17, r=8, p=1.
    expect(row?.passwordHash).toMatch(/^scrypt\$131072\$8\$1\$[\w-]{22}\$[\w-]{86}$/);
    expect(row?.passwordHash).not.toContain(alicePassword);
    const a = await hashPassword("same password");
    const b = await hashPassword("same password");
    expect(a).not.toBe(b);
    expect(await verifyPassword("same password", a)).toBe(true);
    expect(await verifyPassword("same passworD", a)).toBe(false);
  });

  it("made with older parameters are hashed again at the next login", async () => {
    const ivan = await testUser(api.services, "ivan", "demo", "member");
    const old = await hashPassword(ivan.password, { N: 2 ** 15, r: 8, p: 1 });
    await api.db.update(users).set({ passwordHash: old }).where(eq(users.id, ivan.user.id));
    expect((await login("ivan", ivan.password)).status).toBe(200);
    const [row] = await api.db.select().from(users).where(eq(users.id, ivan.user.id));
    expect(row?.passwordHash).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect(row && (await verifyPassword(ivan.password, row.passwordHash))).toBe(true);
  });
});

describe("browser sessions", () => {
  it("logs in with an HttpOnly, SameSite session cookie that the database keeps only as a digest", async () => {
    const res = await login("alice", alicePassword);
    expect(res.status).toBe(200);
    expect(res.body.result?.data).toMatchObject({
      user: { name: "alice" },
      role: "member",
      project: { name: "demo" },
    });
    expect(res.setCookie).toMatch(/^netlens_session=[\w-]{43}; Path=\/; HttpOnly; SameSite=Lax$/);
    const id = cookieOf(res.setCookie).split("=")[1] ?? "";
    const stored = await api.db.select().from(sessions);
    expect(stored.map((s) => s.idHash)).toContain(digest(id));
    expect(stored.map((s) => s.idHash)).not.toContain(id);

    const me = await http("auth.whoami", { mutation: false, headers: { cookie: cookieOf(res.setCookie) } });
    expect(me.body.result?.data).toMatchObject({ user: { name: "alice" }, via: "cookie" });
    const nets = await http("network.list", {
      mutation: false,
      headers: { cookie: cookieOf(res.setCookie) },
    });
    expect(((nets.body.result?.data ?? []) as { name: string }[]).map((n) => n.name).sort()).toEqual([
      "demo-net",
      "public",
    ]);
  });

  it("answers a wrong password slowly and vaguely, the same for an unknown user", async () => {
    for (const [user, password] of [
      ["admin", "not-the-password"],
      ["nobody-by-this-name", "whatever-password"],
    ] as const) {
      const started = Date.now();
      const res = await login(user, password, { [PEER]: "198.51.100.1" });
      expect(Date.now() - started).toBeGreaterThanOrEqual(DELAY_MS - 5);
      expect(res.status).toBe(401);
      expect(res.body.error?.message).toBe("Invalid username or password");
      expect(res.setCookie).toBeNull();
    }
  });

  it("rate-limits repeated failures per user and address with TOO_MANY_REQUESTS, even for the right password", async () => {
    const user = await testUser(api.services, "carol", "demo", "member");
    for (let i = 0; i < 3; i++) expect((await login("carol", "wrong-password")).status).toBe(401);
    const blocked = await login("carol", user.password);
    expect(blocked.status).toBe(429);
    expect(blocked.body.error?.message).toMatch(/^Too many failed logins for carol; try again in \d+ s$/);
    // Another user from the same address is not affected.
    expect((await login("alice", alicePassword)).status).toBe(200);
  });

  it("refuses mutations with the cookie from another site, or without proof of our client", async () => {
    const cookie = cookieOf((await login("admin", api.admin.password)).setCookie);
    const before = await tableCounts(api.db);
    const forged: Record<string, string>[] = [
      { cookie, origin: "https://evil.example", "sec-fetch-site": "cross-site" },
      { cookie, "sec-fetch-site": "same-site" },
      { cookie, origin: "https://evil.example" },
      { cookie },
    ];
    for (const headers of forged) {
      const res = await http("network.create", { input: { name: "csrf" }, headers });
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(res.body.error?.message).toMatch(/^Cross-site request refused/);
    }
    expect(await tableCounts(api.db)).toEqual(before);
    // From our page (Fetch Metadata or Origin), or from our CLI's header, the same cookie works.
    const ours: Record<string, string>[] = [
      { cookie, "sec-fetch-site": "same-origin" },
      { cookie, origin: ORIGIN },
      { cookie, [CLIENT_HEADER]: "cli" },
    ];
    for (const headers of ours) {
      const res = await http("project.create", { input: { name: `p-${Object.keys(headers)[1]}` }, headers });
      expect(res.status, JSON.stringify(headers)).toBe(200);
    }
  });

  it("ends at logout, after 2 hours idle, and 12 hours after the login however busy", async () => {
    const cookie = cookieOf((await login("alice", alicePassword)).setCookie);
    const out = await http("auth.logout", { headers: { cookie, ...sameOrigin } });
    expect(out.setCookie).toMatch(/^netlens_session=; Path=\/; HttpOnly; SameSite=Lax; Max-Age=0$/);
    const after = await http("network.list", { mutation: false, headers: { cookie } });
    expect(after.status).toBe(401);
    expect(after.body.error?.message).toBe("Your session has expired; log in again");

    const idle = cookieOf((await login("alice", alicePassword)).setCookie);
    const idHash = digest(idle.split("=")[1] ?? "");
    await api.db
      .update(sessions)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(sessions.idHash, idHash));
    expect((await http("network.list", { mutation: false, headers: { cookie: idle } })).status).toBe(401);

    // Used a minute ago, so not idle; but logged in 12 hours and a minute ago.
    const busy = cookieOf((await login("alice", alicePassword)).setCookie);
    const busyHash = digest(busy.split("=")[1] ?? "");
    const now = Date.now();
    await api.db
      .update(sessions)
      .set({ createdAt: new Date(now - 12 * 3600_000 - 60_000), lastUsedAt: new Date(now - 60_000) })
      .where(eq(sessions.idHash, busyHash));
    const late = await http("network.list", { mutation: false, headers: { cookie: busy } });
    expect(late.status).toBe(401);
    expect(late.body.error?.message).toBe("Your session has expired; log in again");
  });

  it("marks the cookie Secure behind HTTPS, when a trusted proxy says so", async () => {
    const proxied = await login("alice", alicePassword, { [PEER]: PROXY, "x-forwarded-proto": "https" });
    expect(proxied.setCookie).toMatch(/; Secure$/);
    // A client's own word is not a proxy's.
    const direct = await login("alice", alicePassword, { "x-forwarded-proto": "https" });
    expect(direct.setCookie).not.toMatch(/Secure/);
  });
});

describe("API tokens", () => {
  it("are issued once, work as Bearer without CSRF proof, are listed without their value and revoked", async () => {
    const cookie = cookieOf((await login("admin", api.admin.password)).setCookie);
    const issued = await http("token.issue", { input: { name: "ci" }, headers: { cookie, ...sameOrigin } });
    const { token, id } = (issued.body.result?.data ?? {}) as { token: string; id: string };
    expect(token).toMatch(/^nlt_[\w-]{43}$/);
    const [row] = await api.db.select().from(apiTokens).where(eq(apiTokens.id, id));
    expect(row?.tokenHash).toBe(digest(token));

    const bearer = { authorization: `Bearer ${token}` };
    const created = await http("network.create", { input: { name: "by-token" }, headers: bearer });
    expect(created.status).toBe(200);
    const listed = await http("token.list", { mutation: false, headers: bearer });
    expect(JSON.stringify(listed.body)).not.toContain(token);
    expect(listed.body.result?.data).toEqual(
      expect.arrayContaining([expect.objectContaining({ id, name: "ci", user: "admin", revoked_at: null })]),
    );
    const used = ((listed.body.result?.data ?? []) as { id: string; last_used_at: string | null }[]).find(
      (t) => t.id === id,
    );
    expect(used?.last_used_at).not.toBeNull();

    // `netlens token revoke TOKEN` names it by its value.
    expect((await http("token.revoke", { input: { id: token }, headers: bearer })).status).toBe(200);
    const refused = await http("network.list", { mutation: false, headers: bearer });
    expect(refused.status).toBe(401);
    expect(refused.body.error?.message).toBe("Invalid or revoked API token");
  });

  it("cannot be revoked by another member, who is told it does not exist", async () => {
    const { token } = await api.caller.token.issue({ name: "admin's" });
    const alice = (await testUser(api.services, "alice", "demo", "member")).caller;
    await expect(alice.token.revoke({ id: token })).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(
      (await http("auth.whoami", { mutation: false, headers: { authorization: `Bearer ${token}` } })).body
        .result?.data,
    ).toMatchObject({ role: "admin" });
  });

  it("carry the user's roles as they are now: a role taken away takes effect at once", async () => {
    const dave = await testUser(api.services, "dave", "demo", "admin");
    const { token } = await dave.caller.token.issue({});
    const bearer = { authorization: `Bearer ${token}` };
    expect((await http("project.create", { input: { name: "by-dave" }, headers: bearer })).status).toBe(200);
    await api.caller.role.assign({ user: "dave", project: "demo", role: "member" });
    expect((await http("project.create", { input: { name: "by-dave-2" }, headers: bearer })).status).toBe(
      403,
    );
  });
});

// Some tests here start a second database (migrations, a scrypt or two): slow on a busy machine.
describe("accounts", { timeout: 30_000 }, () => {
  it("keeps at least one admin", async () => {
    await expect(api.caller.user.delete({ id: "admin" })).rejects.toThrow("is the caller");
    const only = await createTestApi();
    try {
      await expect(only.caller.role.unassign({ user: "admin", project: "admin" })).rejects.toThrow(
        "would leave no admin",
      );
      await expect(
        only.caller.role.assign({ user: "admin", project: "admin", role: "member" }),
      ).rejects.toThrow("would leave no admin");
    } finally {
      await only.close();
    }
  });

  it("creates users with a role, never storing the password, and lets them log in", async () => {
    const created = await api.caller.user.create({
      name: "erin",
      password: "erin-password",
      project: "demo",
      role: "member",
    });
    expect(created.roles).toEqual([{ project: "demo", project_id: expect.any(String), role: "member" }]);
    expect(JSON.stringify(await api.caller.user.list())).not.toContain("erin-password");
    expect((await login("erin", "erin-password", { [PEER]: "192.0.2.99" })).status).toBe(200);
    await expect(api.caller.user.create({ name: "erin", password: "whatever-pw" })).rejects.toMatchObject({
      code: "CONFLICT",
    });
  });
});

describe("the login throttle", () => {
  it("keys on the connection's peer: a client's own X-Forwarded-For does not reset its count", async () => {
    const frank = await testUser(api.services, "frank", "demo", "member");
    const peer = { [PEER]: "203.0.113.50" };
    for (const forged of ["198.51.100.1", "198.51.100.2", "198.51.100.3"]) {
      const res = await login("frank", "wrong-password", { ...peer, "x-forwarded-for": forged });
      expect(res.status).toBe(401);
    }
    const blocked = await login("frank", frank.password, { ...peer, "x-forwarded-for": "198.51.100.4" });
    expect(blocked.status).toBe(429);
    // Through the trusted proxy, X-Forwarded-For names the client: another address, not blocked.
    const proxied = await login("frank", frank.password, {
      [PEER]: PROXY,
      "x-forwarded-for": "203.0.113.50, 198.51.100.5",
    });
    expect(proxied.status).toBe(200);
    // ...read from the right, so the blocked client cannot prepend someone else's address either.
    const prepended = await login("frank", frank.password, {
      [PEER]: PROXY,
      "x-forwarded-for": "198.51.100.6, 203.0.113.50",
    });
    expect(prepended.status).toBe(429);
  });

  it("counts an attempt before the slow password check: parallel guesses get no more than the limit", async () => {
    await testUser(api.services, "grace", "demo", "member");
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => login("grace", "wrong-password", { [PEER]: "203.0.113.51" })),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([401, 401, 401, 429, 429, 429, 429, 429]);
  });

  it("forgets failures once the window has passed", () => {
    let now = 0;
    const throttle = new LoginThrottle(
      { windowMs: 1000, perAddress: 2, perUser: 5, perSource: 10, maxKeys: 100 },
      () => now,
    );
    expect(throttle.begin("u", "a")).toBe(0);
    expect(throttle.begin("u", "a")).toBe(0);
    expect(throttle.begin("u", "a")).toBe(1000);
    expect(throttle.begin("u", "b")).toBe(0);
    now = 1001;
    expect(throttle.begin("u", "a")).toBe(0);
  });

  it("forgives a right password its own attempt, and stops one address trying many names", () => {
    const throttle = new LoginThrottle({
      windowMs: 1000,
      perAddress: 2,
      perUser: 5,
      perSource: 3,
      maxKeys: 100,
    });
    for (let i = 0; i < 5; i++) {
      expect(throttle.begin("u", "a")).toBe(0);
      throttle.succeeded("u", "a");
    }
    for (const user of ["v", "w", "x"]) expect(throttle.begin(user, "a")).toBe(0);
    expect(throttle.begin("y", "a")).toBeGreaterThan(0);
    expect(throttle.begin("y", "b")).toBe(0);
  });

  it("holds no more keys than its bound, however many names and addresses fail", () => {
    const throttle = new LoginThrottle({
      windowMs: 60_000,
      perAddress: 5,
      perUser: 50,
      perSource: 100,
      maxKeys: 500,
    });
    for (let i = 0; i < 5000; i++) throttle.begin(`user-${i}`, `198.51.${i >> 8}.${i & 255}`);
    expect(throttle.size).toBeLessThanOrEqual(500);
  });
});
