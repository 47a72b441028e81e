// The API over HTTP as `next start` (behind scripts/web.mjs) receives it, without Next: tRPC calls, the login
// and logout forms, cookies and headers, for the tests of logging in, credentials and their limits.
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { requestFacts, SESSION_COOKIE } from "../auth/http";
import { parseTrustedProxies } from "../auth/proxies";
import type { TestApi } from "../testkit";
import { type FormContext, loginForm, logoutForm } from "./forms";
import { appRouter } from "./root";
import { createRequestContext } from "./trpc";

export const ORIGIN = "http://netlens.test";
/** The one proxy these tests trust (NETLENS_TRUSTED_PROXIES). */
export const PROXY = "10.0.0.1";
/** The header scripts/web.mjs sets to the TCP peer's address (written out: tests state the wire format). */
export const PEER = "x-netlens-peer";
/** What our own page's requests carry. */
export const sameOrigin = { origin: ORIGIN, "sec-fetch-site": "same-origin" };

export type Call = {
  status: number;
  body: { result?: { data: unknown }; error?: { message: string; data: { code: string } } };
  setCookie: string | null;
};

export function cookieOf(setCookie: string | null): string {
  const value = /netlens_session=([^;]*)/.exec(setCookie ?? "")?.[1];
  if (!value) throw new Error(`no session cookie in ${setCookie}`);
  return `${SESSION_COOKIE}=${value}`;
}

export function overHttp(api: TestApi) {
  const trusted = parseTrustedProxies(PROXY);
  const contextOf =
    (req: Request): FormContext =>
    (setCookie) =>
      createRequestContext(api.services, requestFacts(req.headers, new URL(req.url), setCookie, trusted));

  /** One tRPC call; a mutation unless `mutation: false`. */
  async function http(
    path: string,
    options: { input?: unknown; headers?: Record<string, string>; mutation?: boolean } = {},
  ): Promise<Call> {
    const mutation = options.mutation ?? true;
    const query =
      !mutation && options.input !== undefined
        ? `?input=${encodeURIComponent(JSON.stringify(options.input))}`
        : "";
    const req = new Request(`${ORIGIN}/api/trpc/${path}${query}`, {
      method: mutation ? "POST" : "GET",
      headers: { host: "netlens.test", "content-type": "application/json", ...options.headers },
      ...(mutation ? { body: JSON.stringify(options.input ?? {}) } : {}),
    });
    const res = await fetchRequestHandler({
      endpoint: "/api/trpc",
      router: appRouter,
      req,
      createContext: ({ req, resHeaders, info }) =>
        createRequestContext(
          api.services,
          requestFacts(req.headers, info.url, (c) => resHeaders.append("set-cookie", c), trusted),
        ),
    });
    return {
      status: res.status,
      body: (await res.json()) as Call["body"],
      setCookie: res.headers.get("set-cookie"),
    };
  }

  /** auth.login from our page, by default from the peer 192.0.2.7 (headers may say otherwise). */
  const login = (username: string, password: string, headers: Record<string, string> = {}) =>
    http("auth.login", {
      input: { username, password },
      headers: { ...sameOrigin, [PEER]: "192.0.2.7", ...headers },
    });

  /** A browser's form post to one of our form routes (`/api/login`, `/api/logout`). */
  async function form(path: "/api/login" | "/api/logout", fields: Record<string, string>, headers = {}) {
    const req = new Request(`${ORIGIN}${path}`, {
      method: "POST",
      headers: { host: "netlens.test", [PEER]: "192.0.2.8", ...headers },
      body: new URLSearchParams(fields),
    });
    return path === "/api/login" ? loginForm(req, contextOf(req)) : logoutForm(contextOf(req));
  }

  return { http, login, form };
}
