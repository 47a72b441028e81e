// How the trace reaches the host agent: its `trace` and `traceProbe` procedures over tRPC with the bearer
// token. The agent's URL comes from its row (the dispatcher registered it); how a row becomes a client is the
// connector the server (or a test running the agent elsewhere) builds `TraceAgents` with.
import type {
  TraceAnswers,
  TraceProbeInput,
  TraceProbeResult,
  TraceQuestion,
} from "../../agent/contract/trace";
import { agentTrpcClient } from "../agents/client";
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

export function createTraceAgentClient(options: { url: string; tokenFile: string }): TraceAgent {
  const client = agentTrpcClient(options);
  return {
    ask: (questions) => client.trace.query({ questions }),
    probe: (input) => client.traceProbe.mutate(input),
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
        agent = connector(row);
        clients.set(row.url, agent);
      }
      return { host: row.host, prefix: row.prefix ?? "", agent };
    },
  };
}
