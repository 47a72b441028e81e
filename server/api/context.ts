// The context of an HTTP request (Next's route handler): the process's services and the caller, from the
// request's bearer token or session cookie. Login and logout set the cookie through the response headers.
import type { FetchCreateContextFnOptions } from "@trpc/server/adapters/fetch";
import { requestFacts } from "../auth/http";
import { getServices } from "../services";
import { type Context, createRequestContext } from "./trpc";

export async function createContext({
  req,
  resHeaders,
  info,
}: FetchCreateContextFnOptions): Promise<Context> {
  const { db, bus, traceAgents } = await getServices();
  const facts = requestFacts(req.headers, info.url ?? new URL(req.url), (cookie) =>
    resHeaders.append("set-cookie", cookie),
  );
  return createRequestContext({ db, bus, traceAgents }, facts);
}
