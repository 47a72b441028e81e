// A host for tests that run no agent: it answers every trace question as a host with nothing of ours on it would
// (no route, no OVS port, no NAT rule), so that a trace gets past access control and the naming of its ends to a
// real answer (dropped at its first hop). A probe is refused: no packet is sent anywhere.
import type { TraceAnswer, TraceQuestion } from "../../agent/contract/trace";
import type { TraceAgents } from "./agent";

function silence(question: TraceQuestion): TraceAnswer {
  switch (question.kind) {
    case "route":
      return { kind: "route", ok: false, error: "Cannot open network namespace", text: "" };
    case "ovs":
      return { kind: "ovs", ok: false, error: "no such bridge" };
    case "nat":
      return { kind: "nat", ok: true, rules: [] };
    case "links":
      return { kind: "links", ok: true, links: [] };
    case "ports":
      return { kind: "ports", ok: true, ports: [], bridges: [], uplinks: {} };
    case "daemons":
      return { kind: "daemons", ok: true, daemons: [] };
    case "conntrack":
      return { kind: "conntrack", ok: true, entries: [] };
    default: {
      const unknown: never = question;
      throw new Error(`Unknown question ${JSON.stringify(unknown)}`);
    }
  }
}

export const SILENT_HOST = "silent-host";

export const silentHost: TraceAgents = {
  hostsFor: async () => [
    {
      host: SILENT_HOST,
      prefix: "t-",
      tunnel: { host: SILENT_HOST, local_ip: null, tunnel_bridge: null, online: true, last_seen: null },
      agent: {
        ask: async (questions) => ({
          info: {
            host: SILENT_HOST,
            prefix: "t-",
            integration_bridge: "t-int",
            bridge_mappings: { public: "t-ex" },
            chain_prefix: "t",
            tunnel_bridge: null,
          },
          answers: questions.map(silence),
          duration_ms: 0,
        }),
        probe: async () => {
          throw new Error("The silent host sends no probe");
        },
      },
    },
  ],
};
