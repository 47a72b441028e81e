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
import { hostView, knownAgents } from "../domain/hosts";

export type TraceAgent = {
  ask(questions: TraceQuestion[]): Promise<TraceAnswers>;
  probe(input: TraceProbeInput): Promise<TraceProbeResult>;
};

export type TraceAgentConnector = (row: AgentRow) => TraceAgent;

/** A host the walk crosses, as its agent row has it. */
export type TunnelHost = {
  host: string;
  /** Its VXLAN tunnel endpoint (Neutron's local_ip); null: it has no tunnels. */
  local_ip: string | null;
  /** Its tunnel bridge (br-tun); null: its agent runs without one. */
  tunnel_bridge: string | null;
  /** Whether its agent answers (hosts.ts's liveness), and when it was last heard from. */
  online: boolean;
  last_seen: string | null;
};

/** A host a trace may walk: its agent, its namespaces' prefix, and where its tunnels end. */
export type TraceHost = { host: string; prefix: string; agent: TraceAgent; tunnel: TunnelHost };

/** The host agents a trace can ask, as a service of the running server (tests build their own). */
export type TraceAgents = {
  /**
   * Every host that told us who it is, in registration order (the first is a one-host install's host). Its
   * tunnel bridge is not on its row: null until its agent answered (TraceHosts reads it from the answer).
   */
  hostsFor(db: Db): Promise<TraceHost[]>;
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
    async hostsFor(db) {
      const rows = await knownAgents(db);
      if (rows.length === 0) {
        throw conflict("No host agent has registered yet: there is no host to trace on");
      }
      const now = Date.now();
      return rows.flatMap((row) => {
        if (row.host === null) return [];
        let agent = clients.get(row.url);
        if (!agent) {
          agent = failingClearly(row.host, connector(row));
          clients.set(row.url, agent);
        }
        const view = hostView(row, now);
        const tunnel: TunnelHost = {
          host: row.host,
          local_ip: row.localIp,
          tunnel_bridge: null,
          online: view.online,
          last_seen: view.last_seen,
        };
        return [{ host: row.host, prefix: row.prefix ?? "", agent, tunnel }];
      });
    },
  };
}
