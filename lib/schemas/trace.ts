// Packet path tracing: the API's input and answer, and the questions the server asks a host agent.
// The questions are validated here with zod before any word of them reaches a command line on the agent; the
// agent then checks what only it knows (the namespace is one of its own, the bridge is one of its bridges).
import { z } from "zod";
import { ipv4, ref } from "./common";

// ---- The API: trace.run ----

export const traceProtocols = ["icmp", "tcp", "udp"] as const;
export type TraceProtocol = (typeof traceProtocols)[number];

export const traceRun = z
  .object({
    /** An instance (name or ID), a floating or fixed IP, a router (name or ID), or an outside address. */
    from: ref,
    to: ref,
    protocol: z.enum(traceProtocols).default("icmp"),
    port: z.number().int().min(1).max(65535).optional(),
    /** Send a real packet and report per hop whether it was seen. */
    probe: z.boolean().default(false),
  })
  .refine((input) => input.protocol === "icmp" || input.port !== undefined, {
    error: "A port is required for tcp and udp",
    path: ["port"],
  })
  .refine((input) => input.protocol !== "icmp" || input.port === undefined, {
    error: "A port makes no sense for icmp",
    path: ["port"],
  });
export type TraceRunInput = z.input<typeof traceRun>;

export type HopAction = "switched" | "routed" | "dnat" | "snat" | "delivered" | "dropped";

export type DecidedBy = {
  /** route: the kernel's `ip route get`; nat_rule: an iptables rule of ours; conntrack: the reverse of a NAT
   * done on the way in; ovs_flow: ofproto/trace; arp: who holds the next hop's address; model: the logical
   * model (nothing on the host to ask); probe: what the real packet did. */
  kind: "route" | "nat_rule" | "conntrack" | "ovs_flow" | "arp" | "model" | "probe";
  text: string;
};

export type HopWhere = {
  host: string;
  bridge?: string;
  namespace?: string;
  interface?: string;
  /** The graph node (the resource id): instance, router, network, floating IP. */
  node_id: string;
};

/** What probe mode measured at a hop: whether the real packet passed there, with its addresses there. */
export type HopProbe = {
  seen: boolean;
  /** tcpdump's lines for the packets seen at this interface, or the rule counter's change. */
  evidence: string[];
};

export type Hop = {
  where: HopWhere;
  action: HopAction;
  /** The local VLAN the packet carried on the integration bridge (switched hops). */
  vlan?: number;
  /** The packet's addresses after this hop. */
  packet: { src: string; dst: string };
  decided_by: DecidedBy;
  probe?: HopProbe;
};

export const diagnosisCodes = [
  "gateway-not-router",
  "gateway-port-wrong-bridge",
  "router-no-gateway",
  "fip-subnet-not-routed",
  "nat-rule-missing",
  "no-listener",
  "no-route",
  "no-next-hop",
  "probe-lost",
] as const;
export type DiagnosisCode = (typeof diagnosisCodes)[number];

export type Diagnosis = {
  code: DiagnosisCode;
  /** Where it shows: "forward[N]" or "reply[N]" (index into that hop list), or null when before any hop. */
  hop: string | null;
  message: string;
  fix: string;
};

export type TraceEndpointView = {
  kind: "instance" | "floating_ip" | "router" | "outside";
  id: string;
  name: string;
  address: string;
};

export type TraceResult = {
  verdict: "delivered" | "dropped";
  from: TraceEndpointView;
  to: TraceEndpointView;
  protocol: TraceProtocol;
  port: number | null;
  mode: "explain" | "probe";
  forward: Hop[];
  reply: Hop[];
  diagnoses: Diagnosis[];
  /** Probe mode: what the source saw (reply, reset, timeout, ...). */
  probe?: ProbeOutcome;
  duration_ms: number;
};

// ---- The agent: trace (questions) and traceProbe ----

/** A namespace name of any prefix and kind; the agent checks it is one of its own. */
const namespace = z.string().regex(/^[A-Za-z0-9_-]{0,16}q(?:router|probe|uplink)-[0-9a-f-]{36}$/);
const ifname = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/, "Invalid interface name");
const bridge = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,10}$/, "Invalid bridge name");
const mac = z.string().regex(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/, "Invalid MAC address");

export const routeQuestion = z.object({
  kind: z.literal("route"),
  namespace,
  dst: ipv4,
  /** With `iif`: the packet's source as it arrives. Without: a locally sent packet (from the namespace). */
  src: ipv4.optional(),
  iif: ifname.optional(),
});

/** `ovs-appctl ofproto/trace BRIDGE in_port=…,proto,dl_src,dl_dst,nw_src,nw_dst[,tp_dst]`. */
export const ovsQuestion = z.object({
  kind: z.literal("ovs"),
  bridge,
  in_port: ifname,
  protocol: z.enum(traceProtocols),
  dl_src: mac,
  dl_dst: mac,
  nw_src: ipv4,
  nw_dst: ipv4,
  tp_dst: z.number().int().min(1).max(65535).optional(),
});

/** The rules of our nat chains in a router namespace, with counters. */
export const natQuestion = z.object({ kind: z.literal("nat"), namespace });

/** `ip -json addr` of a namespace: device names, MACs, addresses, state. */
export const linksQuestion = z.object({ kind: z.literal("links"), namespace });

/** Our OVS ports on the agent's bridges, with bridge, tag and ofport. */
export const portsQuestion = z.object({ kind: z.literal("ports") });

export const traceQuestion = z.discriminatedUnion("kind", [
  routeQuestion,
  ovsQuestion,
  natQuestion,
  linksQuestion,
  portsQuestion,
]);
export type TraceQuestion = z.infer<typeof traceQuestion>;
export type RouteQuestion = z.infer<typeof routeQuestion>;
export type OvsQuestion = z.infer<typeof ovsQuestion>;

export const traceQuestions = z.object({ questions: z.array(traceQuestion).min(1).max(256) });

/** One element of `ip -json route get`. */
export type RouteGet = {
  type?: string;
  dst?: string;
  from?: string;
  gateway?: string;
  dev?: string;
  prefsrc?: string;
  iif?: string;
  [field: string]: unknown;
};

export type OvsTraceRule = { bridge: string; table: number; text: string; actions: string[] };

export type OvsTrace = {
  /** The bridges the packet crossed, in order (a patch port leads into the next). */
  bridges: string[];
  rules: OvsTraceRule[];
  /** Ports the packet leaves by (datapath actions mapped to port names), in order. */
  outputs: string[];
  /** VLAN pushed on the way (the first push_vlan), if any. */
  vlan: number | null;
  /** "-> forwarding to learned port", "no learned MAC for destination, flooding", ... */
  notes: string[];
  datapath_actions: string;
  /** The whole ofproto/trace text, as ovs-appctl printed it. */
  text: string;
};

export type TraceLink = { name: string; mac: string; up: boolean; addresses: string[] };
export type TraceNatRule = { chain: string; rule: string; packets: number; bytes: number };
export type TracePort = {
  name: string;
  bridge: string;
  tag: number | null;
  ofport: number | null;
  external_ids: Record<string, string>;
};

export type TraceAnswer =
  | { kind: "route"; ok: true; route: RouteGet; text: string }
  | { kind: "route"; ok: false; error: string; text: string }
  | { kind: "ovs"; ok: true; trace: OvsTrace }
  | { kind: "ovs"; ok: false; error: string }
  | { kind: "nat"; ok: true; rules: TraceNatRule[] }
  | { kind: "nat"; ok: false; error: string }
  | { kind: "links"; ok: true; links: TraceLink[] }
  | { kind: "links"; ok: false; error: string }
  | { kind: "ports"; ok: true; ports: TracePort[]; bridges: string[] }
  | { kind: "ports"; ok: false; error: string };

/** What the agent says about itself with every answer: the names the server needs to ask good questions. */
export type TraceHostInfo = {
  host: string;
  prefix: string;
  integration_bridge: string;
  bridge_mappings: Record<string, string>;
  /** Our nat chains' names in router namespaces. */
  chains: { prerouting: string; output: string; postrouting: string; snat: string; float_snat: string };
};

export type TraceAnswers = { info: TraceHostInfo; answers: TraceAnswer[]; duration_ms: number };

export const probeCapture = z.object({ namespace, interface: ifname });

export const traceProbe = z.object({
  /** Where the packet starts: an instance's or an uplink's namespace. */
  namespace,
  protocol: z.enum(traceProtocols),
  dst: ipv4,
  port: z.number().int().min(1).max(65535).optional(),
  /** Where to watch (tcpdump on that interface, inside that namespace). */
  captures: z.array(probeCapture).max(32),
  /** Router namespaces whose nat counters are read before and after. */
  nat_namespaces: z.array(namespace).max(8),
  timeout_ms: z.number().int().min(100).max(5000).default(1000),
});
export type TraceProbeInput = z.input<typeof traceProbe>;

export type ProbeOutcome = {
  /** reply: ICMP echo reply; connected: SYN-ACK; reset: RST; unreachable: ICMP error; timeout: nothing. */
  result: "reply" | "connected" | "reset" | "unreachable" | "timeout" | "sent";
  rtt_ms: number | null;
  detail: string;
};

export type ProbeCaptureResult = {
  namespace: string;
  interface: string;
  /** tcpdump -n lines (without timestamps) of the probe's packets seen there. */
  lines: string[];
  /** Parsed: each packet's addresses (and TCP flags when TCP). */
  packets: { src: string; dst: string; text: string }[];
  error?: string;
};

export type ProbeNatDelta = { namespace: string; chain: string; rule: string; packets: number };

export type TraceProbeResult = {
  outcome: ProbeOutcome;
  captures: ProbeCaptureResult[];
  /** Rules whose packet counter moved during the probe. */
  nat: ProbeNatDelta[];
  duration_ms: number;
};
