// How the trace reaches the host agent: its `trace` and `traceProbe` procedures over tRPC with the bearer
// token. The agent's URL comes from its row (the dispatcher registered it); the token file from the server's
// environment. Tests that run the agent elsewhere give their own connector for their database.
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
import { env } from "../env";

export type TraceAgent = {
  ask(questions: TraceQuestion[]): Promise<TraceAnswers>;
  probe(input: TraceProbeInput): Promise<TraceProbeResult>;
};

export type TraceAgentConnector = (row: AgentRow) => TraceAgent;

export function createTraceAgentClient(options: { url: string; tokenFile: string }): TraceAgent {
  const client = agentTrpcClient(options);
  return {
    ask: (questions) => client.trace.query({ questions }),
    probe: (input) => client.traceProbe.mutate(input),
  };
}

const connectors = new WeakMap<Db, TraceAgentConnector>();
const clients = new WeakMap<Db, Map<string, TraceAgent>>();

/** Tests: how agents registered in `db` are reached (the default reads NETLENS_AGENT_TOKEN_FILE). */
export function setTraceAgentConnector(db: Db, connector: TraceAgentConnector): void {
  connectors.set(db, connector);
  clients.delete(db);
}

/** The host's agent (one host for now: the first that told us who it is) and the host's name. */
export async function traceAgentFor(db: Db): Promise<{ host: string; prefix: string; agent: TraceAgent }> {
  const [row] = await knownAgents(db);
  if (!row?.host) {
    throw conflict("No host agent has registered yet: there is no host to trace on");
  }
  let perDb = clients.get(db);
  if (!perDb) {
    perDb = new Map();
    clients.set(db, perDb);
  }
  let agent = perDb.get(row.url);
  if (!agent) {
    const connector =
      connectors.get(db) ??
      ((r: AgentRow) => createTraceAgentClient({ url: r.url, tokenFile: env().NETLENS_AGENT_TOKEN_FILE }));
    agent = connector(row);
    perDb.set(row.url, agent);
  }
  return { host: row.host, prefix: row.prefix ?? "", agent };
}

/** The host's agent for a trace, reached through the connector the server (or a test) gave. */
export type TraceAgents = { agentFor(db: Db): Promise<{ host: string; prefix: string; agent: TraceAgent }> };

/** One client per agent and database, made by `connector` the first time a trace needs it. */
export function createTraceAgents(connector: TraceAgentConnector): TraceAgents {
  // Weak: a caller may pass a short-lived transaction as its database (tests do).
  const clients = new WeakMap<Db, Map<string, TraceAgent>>();
  return {
    async agentFor(db) {
      const [row] = await knownAgents(db);
      if (!row?.host) {
        throw conflict("No host agent has registered yet: there is no host to trace on");
      }
      let perDb = clients.get(db);
      if (!perDb) {
        perDb = new Map();
        clients.set(db, perDb);
      }
      let agent = perDb.get(row.url);
      if (!agent) {
        agent = connector(row);
        perDb.set(row.url, agent);
      }
      return { host: row.host, prefix: row.prefix ?? "", agent };
    },
  };
}
