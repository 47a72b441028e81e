// The agent's tRPC API, every procedure behind the bearer token: `info`, `applyIntent`, host inspection
// (`snapshot` now, `snapshots` streamed over SSE) and the trace's questions. The server holds the token; the
// browser and the CLI reach the agent only through the server. Exports AgentRouter, the type the server's
// client is built on. Not `apply`: tRPC 11 reserves `then`, `call` and `apply` as procedure names (its client
// is a function proxy, so `client.apply` would be Function.prototype.apply).
import { timingSafeEqual } from "node:crypto";
import { initTRPC, TRPCError, tracked } from "@trpc/server";
import { z } from "zod";
import type { Agent } from "../agent";
import { intentEnvelope } from "../contract/intent";
import { traceProbe, traceQuestions } from "../contract/trace";
import { IntentRefusedError } from "../converge/admit";
import { RevisionConflictError } from "../converge/loop";
import { TraceRequestError } from "../trace/tracer";

export type AgentContext = { authorized: boolean };

const t = initTRPC.context<AgentContext>().create({
  // Never ship stack traces: the agent runs as root and answers whoever reaches its port, token or not.
  isDev: false,
  sse: {
    // A comment line every 10 s keeps idle proxies from closing a quiet stream; a client that hears nothing
    // (not even that) for 30 s reconnects, resuming from its last event id.
    ping: { enabled: true, intervalMs: 10_000 },
    client: { reconnectAfterInactivityMs: 30_000 },
  },
});

const authorized = t.procedure.use(({ ctx, next }) => {
  if (!ctx.authorized)
    throw new TRPCError({ code: "UNAUTHORIZED", message: "A valid bearer token is required" });
  return next();
});

/** tRPC's client sends the last `tracked()` id it saw when it reconnects. */
const resumeInput = z.object({ lastEventId: z.string().max(64).nullish() }).nullish();

/** A question about something that is not ours is the caller's mistake. */
async function badRequestOnRefusal<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof TraceRequestError)
      throw new TRPCError({ code: "BAD_REQUEST", message: error.message, cause: error });
    throw error;
  }
}

export function createAgentRouter(agent: Pick<Agent, "info" | "apply" | "monitor" | "tracer">) {
  return t.router({
    info: authorized.query(() => agent.info()),
    // Only the envelope here: the agent takes the resources one by one, so that one bad one is reported and
    // the rest applies.
    applyIntent: authorized.input(intentEnvelope).mutation(async ({ input }) => {
      try {
        return await agent.apply(input);
      } catch (error) {
        if (error instanceof RevisionConflictError) {
          throw new TRPCError({ code: "CONFLICT", message: error.message, cause: error });
        }
        if (error instanceof IntentRefusedError)
          throw new TRPCError({ code: "BAD_REQUEST", message: error.message, cause: error });
        throw error;
      }
    }),
    /** The whole host as it is now (`netlens host inspect`): a `HostSnapshot`. */
    snapshot: authorized.query(() => agent.monitor.snapshot()),
    /** A `SnapshotEvent` stream: the full snapshot, then only the sections that changed. */
    snapshots: authorized.input(resumeInput).subscription(async function* ({ input, signal }) {
      for await (const { id, event } of agent.monitor.events(input?.lastEventId ?? null, signal)) {
        yield tracked(id, event);
      }
    }),
    /** Packet path tracing: the host's own answers (route get, nat rules, ofproto/trace) to the server's questions. */
    trace: authorized
      .input(traceQuestions)
      .query(({ input }) => badRequestOnRefusal(() => agent.tracer.answer(input))),
    /** Sends a real packet and reports where it was seen. A mutation: it puts traffic on the wire. */
    traceProbe: authorized
      .input(traceProbe)
      .mutation(({ input }) => badRequestOnRefusal(() => agent.tracer.probe(input))),
  });
}

export type AgentRouter = ReturnType<typeof createAgentRouter>;

/** Whether an Authorization header carries the token, compared in constant time. */
export function isAuthorized(header: string | undefined, token: string): boolean {
  const match = /^Bearer (\S+)$/.exec(header ?? "");
  if (match?.[1] === undefined || token.length === 0) return false;
  const given = Buffer.from(match[1]);
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
