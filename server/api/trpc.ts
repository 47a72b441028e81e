// tRPC is built here once: the context (who is calling, from a session cookie or an API token), the error shape
// clients read, and the kinds of procedure. Every procedure is one of them, so every procedure says who may
// call it: `publicProcedure` (anyone; login and the like), `memberProcedure` (logged in with a role on some
// project; queries filter by the caller's projects), `adminProcedure` (admins only; every model change).
import { randomBytes } from "node:crypto";
import { initTRPC, TRPCError } from "@trpc/server";
import { ZodError, z } from "zod";
import { AuditTrail } from "../audit/trail";
import type { Session } from "../auth/access";
import { type CredentialPolicy, defaultCredentialPolicy, sessionFromCookie } from "../auth/credentials";
import { clearedSessionCookie, type RequestFacts } from "../auth/http";
import { defaultThrottle, type LoginThrottle, type ThrottlePolicy } from "../auth/throttle";
import type { TokenChecks } from "../auth/token-checks";
import type { Db } from "../db/client";
import { DomainError, foreignKeyViolation, uniqueViolation } from "../domain/errors";
import type { MtuSettings } from "../domain/mtu";
import type { Actor } from "../domain/tx";
import type { EventBus } from "../events";
import type { Inspection } from "../inspect/service";
import { logger } from "../logger";
import type { TraceAgents } from "../trace/agent";
import { subjectOf } from "./audit";

export type { Session };

export type AuthPolicy = {
  /** A wrong password is answered no sooner than this after the request came in. */
  failureDelayMs: number;
  throttle: ThrottlePolicy;
  credentials: CredentialPolicy;
};
export const defaultAuthPolicy: AuthPolicy = {
  failureDelayMs: 1_000,
  throttle: defaultThrottle,
  credentials: defaultCredentialPolicy,
};

/**
 * What procedures need from the running server, made once per process (server/services.ts) or per test API
 * (server/testkit.ts) and carried by every context. The dispatcher is not among them: procedures talk to it
 * only through db and bus.
 */
export type Services = {
  db: Db;
  bus: EventBus;
  /** Host inspection (the agents' snapshots, drift); null where none runs, and inspect and drift refuse. */
  inspection: Inspection | null;
  /** Failed logins, counted in memory: one per server process, one per test API. */
  loginThrottle: LoginThrottle;
  /** A wrong password is answered no sooner than this after the request came in. */
  loginFailureDelayMs: number;
  /** How long sessions and API tokens last. */
  credentialPolicy: CredentialPolicy;
  /** API tokens checked a moment ago: one per server process, one per test API. */
  tokenChecks: TokenChecks;
  /** How a trace reaches the host's agent. */
  traceAgents: TraceAgents;
  /** The physical networks' MTUs, which bound and derive networks' MTUs. */
  mtu: MtuSettings;
};

export type Context = Services & {
  session: Session | null;
  /** The HTTP request, or null for in-process callers (tests, start-up), which have no cookies or origin. */
  request: RequestFacts | null;
  /** Why credentials that were sent did not authenticate: shown instead of "Log in first". */
  authError?: string;
  /** Looks the caller up again (long subscriptions end when the session or token does). */
  reauthenticate?: () => Promise<Session | null>;
};

/** A context for an in-process caller with a known session (null = anonymous). */
export async function createInnerContext(
  services: Services,
  session: Session | null = null,
  request: RequestFacts | null = null,
): Promise<Context> {
  return { ...services, session, request };
}

/**
 * A context for an HTTP request. An `Authorization: Bearer` token wins over a cookie (scripts never hold one,
 * and a browser never sends a bearer token by itself); credentials that do not check out leave the caller
 * anonymous, with the reason kept for the error.
 */
export async function createRequestContext(services: Services, request: RequestFacts): Promise<Context> {
  const authenticate = async (): Promise<{ session: Session | null; authError?: string }> => {
    if (request.bearer !== undefined) {
      const checked = await services.tokenChecks.check(services.db, request.bearer);
      return checked.session ? checked : { session: null, authError: checked.error };
    }
    if (request.sessionCookie) {
      const session = await sessionFromCookie(services.db, request.sessionCookie, services.credentialPolicy);
      if (session) return { session };
      request.setCookie(clearedSessionCookie(request.secure));
      return { session: null, authError: "Your session has expired; log in again" };
    }
    return { session: null };
  };
  const { session, authError } = await authenticate();
  return {
    ...services,
    session,
    request,
    ...(authError ? { authError } : {}),
    reauthenticate: async () => (await authenticate()).session,
  };
}

/**
 * A fault of ours (a bug, the database refusing what the checks let through) tells the caller nothing of itself:
 * its text can hold SQL, parameters and host paths. The caller gets an id; the log has the detail under it.
 */
class ReportedError extends TRPCError {
  constructor(cause: unknown, path: string | undefined) {
    const errorId = randomBytes(4).toString("hex");
    logger.error({ err: cause, path, errorId }, "procedure failed");
    super({ code: "INTERNAL_SERVER_ERROR", message: `Something went wrong (error id ${errorId})`, cause });
  }
}

/** A validation failure in one line: each issue as `field: message`. */
export const issuesText = (error: ZodError) =>
  error.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; ");

const t = initTRPC.context<Context>().create({
  errorFormatter({ shape, error, path }) {
    if (error.code === "INTERNAL_SERVER_ERROR") {
      // Faults outside any procedure (making the context, a subscription's stream) are reported here.
      const reported = error instanceof ReportedError ? error : new ReportedError(error, path);
      const { stack: _stack, ...data } = shape.data;
      return { ...shape, message: reported.message, data: { ...data, zodError: null } };
    }
    const zodError = error.cause instanceof ZodError ? z.flattenError(error.cause) : null;
    // A readable message for the CLI and curl; the per-field detail stays in data.zodError for forms.
    const message = error.cause instanceof ZodError ? issuesText(error.cause) : shape.message;
    return { ...shape, message, data: { ...shape.data, zodError } };
  },
  sse: { ping: { enabled: true, intervalMs: 15_000 } },
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Domain rules speak in DomainErrors and constraint violations; clients get TRPCErrors with the same words. */
const domainErrors = t.middleware(async ({ next, path }) => {
  const result = await next();
  if (result.ok) return result;
  const cause = result.error.cause;
  if (cause instanceof DomainError) throw new TRPCError({ code: cause.code, message: cause.message, cause });
  if (uniqueViolation(cause) || foreignKeyViolation(cause)) {
    // A concurrent change won a race the domain checks could not see; retrying shows the real reason.
    throw new TRPCError({
      code: "CONFLICT",
      message: "A concurrent change conflicts with this request; retry",
      cause,
    });
  }
  if (result.error.code === "INTERNAL_SERVER_ERROR") throw new ReportedError(result.error, path);
  return result;
});

/**
 * CSRF: a browser attaches the session cookie to requests that other sites make it send. Mutations therefore
 * need proof that our own page or client sent them (see isCrossSite), unless they carry a bearer token, which
 * no browser adds by itself. Queries and subscriptions change nothing and tRPC serves them only as GET.
 */
const sameSiteMutations = t.middleware(({ ctx, type, next }) => {
  if (type === "mutation" && ctx.request?.crossSite && ctx.session?.via !== "token") {
    throw new TRPCError({
      code: "FORBIDDEN",
      message: `Cross-site request refused: send it from the netlens page, or with an API token`,
    });
  }
  return next();
});

/**
 * Every mutation leaves an entry in the audit log (server/audit/trail.ts). Outermost, so that it sees every
 * refusal with the code and words its caller gets. write() records a model change in the change's own
 * transaction; what it did not record is recorded here, right after: failures (their transaction rolled back)
 * and changes made outside a model transaction (tokens, logins, drift). That write failing does not undo a
 * change already made: it is logged instead.
 */
const audited = t.middleware(async ({ ctx, type, path, getRawInput, next }) => {
  if (type !== "mutation") return next();
  const audit = await AuditTrail.open(ctx.db, {
    procedure: path,
    subject: subjectOf(path),
    session: ctx.session,
    request: ctx.request,
    input: await getRawInput().catch(() => undefined),
  });
  const result = await next({ ctx: { audit } });
  try {
    if (!result.ok) await audit.failed(ctx.db, result.error);
    else if (!audit.recorded) await audit.succeeded(ctx.db, result.data);
  } catch (error) {
    logger.error({ err: error, path }, "audit entry not written");
  }
  return result;
});

/**
 * A mutation may revoke a token or change who its caller is (a password, a user, a role): whatever it changed,
 * tokens are checked again from the next request on (server/auth/token-checks.ts).
 */
const freshTokenChecks = t.middleware(async ({ ctx, type, next }) => {
  const result = await next();
  if (type === "mutation") ctx.tokenChecks.forgetAll();
  return result;
});

export const publicProcedure = t.procedure
  .use(audited)
  .use(freshTokenChecks)
  .use(domainErrors)
  .use(sameSiteMutations);

export const memberProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.session) throw new TRPCError({ code: "UNAUTHORIZED", message: ctx.authError ?? "Log in first" });
  const { user, role, projectId, projectIds } = ctx.session;
  const actor: Actor = { user, role, projectId, projectIds };
  return next({ ctx: { ...ctx, session: ctx.session, actor } });
});

export const adminProcedure = memberProcedure.use(({ ctx, next }) => {
  if (ctx.session.role !== "admin") {
    throw new TRPCError({
      code: "FORBIDDEN",
      message: "Only admins change the model; tenants have a read-only view",
    });
  }
  return next();
});
