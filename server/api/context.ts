// The context of an HTTP request (Next's route handlers: tRPC, the login and logout forms, the OpenStack REST API): the process's
// services and the caller, from the request's bearer token or session cookie. Login and logout set the cookie
// through the response headers.
import type { FetchCreateContextFnOptions } from "@trpc/server/adapters/fetch";
import { requestFacts } from "../auth/http";
import { env } from "../env";
import { getServices } from "../services";
import { type Context, createRequestContext, type Services } from "./trpc";

/** What procedures may reach of the process's services: not the database handle (its close) nor the dispatcher. */
export async function requestServices(): Promise<Services> {
  const s = await getServices();
  return {
    db: s.db,
    bus: s.bus,
    inspection: s.inspection,
    loginThrottle: s.loginThrottle,
    loginFailureDelayMs: s.loginFailureDelayMs,
    credentialPolicy: s.credentialPolicy,
    tokenChecks: s.tokenChecks,
    traceAgents: s.traceAgents,
    mtu: s.mtu,
  };
}

export async function httpContext(
  req: Request,
  url: URL,
  setCookie: (header: string) => void,
): Promise<Context> {
  const facts = requestFacts(req.headers, url, setCookie, env().NETLENS_TRUSTED_PROXIES);
  return createRequestContext(await requestServices(), facts);
}

export function createContext({ req, resHeaders, info }: FetchCreateContextFnOptions): Promise<Context> {
  return httpContext(req, info.url ?? new URL(req.url), (cookie) => resHeaders.append("set-cookie", cookie));
}
