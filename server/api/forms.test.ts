// The login and logout forms as a browser without JavaScript posts them: a redirect that sets or clears the
// session cookie, errors back on the login page as codes, only to paths of this site, never from another site.
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { digest } from "../auth/secrets";
import { sessions } from "../db/schema";
import { createTestApi, type TestApi, testUser } from "../testkit";
import { cookieOf, ORIGIN, overHttp } from "./http.testing";

let api: TestApi;
let over: ReturnType<typeof overHttp>;
let password: string;
beforeAll(async () => {
  api = await createTestApi({ demo: true, auth: { failureDelayMs: 20 } });
  password = (await testUser(api.services, "lena", "demo", "member")).password;
  over = overHttp(api);
});
afterAll(() => api.close());

/** What a same-origin form post carries (Chromium sends both). */
const ours = { origin: ORIGIN, "sec-fetch-site": "same-origin" };
const fromEvil = { origin: "https://evil.example", "sec-fetch-site": "cross-site" };

async function sessionCount(): Promise<number> {
  return (await api.db.select().from(sessions)).length;
}

describe("POST /api/login", () => {
  it("logs in and redirects (303) to the page asked for, with the session cookie", async () => {
    const res = await over.form("/api/login", { username: "lena", password, next: "/networks?x=1" }, ours);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/networks?x=1");
    const cookie = cookieOf(res.headers.get("set-cookie"));
    expect(cookie).toMatch(/^netlens_session=[\w-]{43}$/);
    const me = await over.http("auth.whoami", { mutation: false, headers: { cookie } });
    expect(me.body.result?.data).toMatchObject({ user: { name: "lena" }, via: "cookie" });
  });

  it("never redirects off the site", async () => {
    for (const next of ["/\\evil.example", "//evil.example", "https://evil.example/"]) {
      const res = await over.form("/api/login", { username: "lena", password, next }, ours);
      expect(res.headers.get("location"), next).toBe("/");
    }
  });

  it("goes back to the form with the error's code and the name typed, and no cookie", async () => {
    const res = await over.form(
      "/api/login",
      { username: "lena", password: "wrong-password", next: "/routers" },
      ours,
    );
    expect(res.status).toBe(303);
    const back = new URL(res.headers.get("location") ?? "", ORIGIN);
    expect(back.pathname).toBe("/login");
    expect(Object.fromEntries(back.searchParams)).toEqual({
      next: "/routers",
      username: "lena",
      error: "UNAUTHORIZED",
    });
    expect(res.headers.get("set-cookie")).toBeNull();
  });

  it("refuses a form on another site (it would log the visitor in to an account of its choosing)", async () => {
    const before = await sessionCount();
    const res = await over.form("/api/login", { username: "lena", password }, fromEvil);
    expect(res.status).toBe(403);
    expect(res.headers.get("set-cookie")).toBeNull();
    expect(await sessionCount()).toBe(before);
  });
});

describe("POST /api/logout", () => {
  it("ends the session, clears the cookie and goes to the login page", async () => {
    const cookie = cookieOf((await over.login("lena", password)).setCookie);
    const res = await over.form("/api/logout", {}, { ...ours, cookie });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/login");
    expect(res.headers.get("set-cookie")).toMatch(/^netlens_session=; .*Max-Age=0/);
    const idHash = digest(cookie.split("=")[1] ?? "");
    expect(await api.db.select().from(sessions).where(eq(sessions.idHash, idHash))).toEqual([]);
  });

  it("from another site changes nothing: the session and its cookie stay", async () => {
    const cookie = cookieOf((await over.login("lena", password)).setCookie);
    const res = await over.form("/api/logout", {}, { ...fromEvil, cookie });
    expect(res.status).toBe(403);
    expect(res.headers.get("set-cookie")).toBeNull();
    expect((await over.http("network.list", { mutation: false, headers: { cookie } })).status).toBe(200);
  });
});
