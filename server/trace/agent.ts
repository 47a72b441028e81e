// How the trace reaches the host agent: its `trace` and `traceProbe` procedures over tRPC with the bearer
// token. The agent's URL comes from its row (the dispatcher registered it); how a row becomes a client is the
// connector the server (or a test running the agent elsewhere) builds `TraceAgents` with.
import type {
  TraceAnswers,
  TraceProbeInput,
  TraceProbeResult,
  TraceQuestion,
} from "../../agent/contract/trace";
import { type AgentClientOptions, agentTrpcClient } from "../agents/client";
import type { Db } from "../db/client";
import type { AgentRow } from "../db/schema";
import { conflict } from "../domain/errors";
import { knownAgents } from "../domain/hosts";

export type TraceAgent = {
  ask(questions: TraceQuestion[]): Promise<TraceAnswers>;
  probe(input: TraceProbeInput): Promise<TraceProbeResult>;
};

export type TraceAgentConnector = (row: AgentRow) => TraceAgent;

/** The host agents a trace can ask, as a service of the running server (tests build their own). */
export type TraceAgents = {
  /** The host's agent (one host for now: the first that told us who it is), its host name and prefix. */
  agentFor(db: Db): Promise<{ host: string; prefix: string; agent: TraceAgent }>;
};

export function createTraceAgentClient(options: AgentClientOptions): TraceAgent {
  const client = agentTrpcClient(options);
  return {
    ask: (questions) => client.trace.query({ questions }),
    probe: (input) => client.traceProbe.mutate(input),
  };
}

/**
 * An agent that is down or fails a question is a state of the host an admin can act on, not a fault of the
 * server's (which would be answered with an error id only): the trace says so, in the agent's words.
 */
function failingClearly(host: string, agent: TraceAgent): TraceAgent {
  const failed = (error: unknown): never => {
    const reason = error instanceof Error ? error.message : String(error);
    throw conflict(`The host agent of ${host} could not answer the trace: ${reason}`);
  };
  return {
    ask: (questions) => agent.ask(questions).catch(failed),
    probe: (input) => agent.probe(input).catch(failed),
  };
}

/** Agents reached through `connector`, one client per agent URL, kept for the next trace. */
export function createTraceAgents(connector: TraceAgentConnector): TraceAgents {
  const clients = new Map<string, TraceAgent>();
  return {
    async agentFor(db) {
      const [row] = await knownAgents(db);
      if (!row?.host) {
        throw conflict("No host agent has registered yet: there is no host to trace on");
      }
      let agent = clients.get(row.url);
      if (!agent) {
        agent = failingClearly(row.host, connector(row));
        clients.set(row.url, agent);
      }
      return { host: row.host, prefix: row.prefix ?? "", agent };
    },
  };
}
