// Who calls the OpenStack REST API and how the call reaches the model: the token in X-Auth-Token (Keystone's
// header), checked as every API token is, and never a cookie (a browser would attach one to a forged request).
// The context is tRPC's own and calls go through the same procedures: the same validation, tenancy, audit log.
import { createCaller } from "../api/root";
import { type Context, createRequestContext, type Services } from "../api/trpc";
import { publicOrigin, requestFacts } from "../auth/http";
import type { AddressRange } from "../auth/proxies";

export type RestDeps = { services: Services; trustedProxies: readonly AddressRange[] };

export type RestCall = {
  req: Request;
  url: URL;
  /** Where clients reach us: the base of every link we hand out. */
  origin: string;
  ctx: Context;
  caller: ReturnType<typeof createCaller>;
};

export async function restCall(req: Request, deps: RestDeps): Promise<RestCall> {
  const url = new URL(req.url);
  const facts = requestFacts(req.headers, url, () => {}, deps.trustedProxies);
  const token = req.headers.get("x-auth-token")?.trim();
  const ctx = await createRequestContext(deps.services, {
    ...facts,
    bearer: token === undefined || token === "" ? undefined : token,
    sessionCookie: undefined,
  });
  return {
    req,
    url,
    origin: publicOrigin(req.headers, url, deps.trustedProxies),
    ctx,
    caller: createCaller(ctx),
  };
}
