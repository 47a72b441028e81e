// What the tests of a walk across scripted hosts share: an instance's place on a network, an ofproto/trace as
// the agent parses it, a scripted agent, the walk's context on one host, and a member's view of the trace.
import type {
  OvsQuestion,
  OvsTrace,
  RouteQuestion,
  TraceAnswer,
  TraceHostInfo,
  TraceQuestion,
} from "../../agent/contract/trace";
import type { TraceResult } from "../../lib/schemas/trace";
import type { TraceAgent } from "./agent";
import { HostAnswers } from "./ask";
import type { Place } from "./places";
import { tenantView } from "./tenant-view";
import type { Across, WalkContext } from "./walk-state";

/** An instance's namespace with its eth0 on `network` (tap `tap-<id>`, port `port-<id>`). */
export const vmPlace = (
  namespace: string,
  id: string,
  mac: string,
  address: string,
  network: string,
): Place => ({
  kind: "instance",
  namespace,
  node_id: id,
  devices: [
    {
      name: "eth0",
      mac,
      network_id: network,
      tap: `tap-${id}`,
      physical_network: null,
      port_id: `port-${id}`,
      addresses: [address],
    },
  ],
});

export const ovsTrace = (
  bridges: string[],
  rules: OvsTrace["rules"],
  outputs: string[],
  vlan: number | null = 1,
): OvsTrace => ({ bridges, rules, outputs, vlan, notes: [], datapath_actions: "", text: "" });

/** The walk's context on the host `answers` are from (its ports asked first, as the trace does). */
export async function walkContext(
  answers: HostAnswers,
  info: TraceHostInfo,
  across: Across,
  places: Place[],
): Promise<WalkContext> {
  await answers.ask([{ kind: "ports" }]);
  return {
    host: answers,
    across,
    info,
    protocol: "icmp",
    port: null,
    places,
    ports: [],
    nat: new Map(),
    macs: new Map(),
    fipIds: new Map(),
    filters: new Map(),
    forwardings: [],
  };
}

/** The member's view of an icmp trace between the two instances, where the member names them and `network`. */
export function memberView(
  ends: [Place, Place],
  network: string,
  walked: Pick<TraceResult, "verdict" | "forward" | "reply" | "diagnoses">,
): TraceResult {
  const end = (place: Place) => ({
    kind: "instance" as const,
    id: place.node_id,
    name: place.node_id,
    address: place.devices[0]?.addresses[0] ?? "",
  });
  const [from, to] = ends;
  return tenantView(
    {
      ...walked,
      from: end(from),
      to: end(to),
      protocol: "icmp",
      port: null,
      mode: "explain",
      duration_ms: 1,
    },
    {
      names: new Map([...ends.map((p) => [p.node_id, p.node_id] as const), [network, network]]),
      hidden: new Set(),
    },
  );
}

type Script = {
  route: (q: RouteQuestion) => TraceAnswer;
  ovs: (q: OvsQuestion) => OvsTrace;
  /** What its ports answer says besides its (no) ports. */
  ports: { bridges: string[]; uplinks: Record<string, string[]> };
};

/** An agent answering as `info`'s host from `script`, each call recorded; `fails`: refused, as by an agent gone away. */
export function scriptedHost(info: TraceHostInfo, script: Script, fails = false) {
  const calls: TraceQuestion[][] = [];
  const answer = (q: TraceQuestion): TraceAnswer => {
    switch (q.kind) {
      case "route":
        return script.route(q);
      case "ovs":
        return { kind: "ovs", ok: true, trace: script.ovs(q) };
      case "ports":
        return { kind: "ports", ok: true, ports: [], ...script.ports };
      default:
        return { kind: q.kind, ok: false, error: "not scripted" } as TraceAnswer;
    }
  };
  const agent: TraceAgent = {
    ask: async (questions) => {
      calls.push(questions);
      if (fails) throw new Error("connect ECONNREFUSED 192.168.0.2:8701");
      return { info, answers: questions.map(answer), duration_ms: 0 };
    },
    probe: () => Promise.reject(new Error("no probe here")),
  };
  return { answers: new HostAnswers(agent), calls };
}
