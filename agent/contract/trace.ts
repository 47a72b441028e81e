// The trace's questions to a host agent (`trace`) and its probe (`traceProbe`), with their answers. Validated
// with zod before any word of them reaches a command line on the agent; the agent then checks what only it knows
// (the namespace is one of its own, the bridge is one of its bridges). Part of the agent's contract.
import { z } from "zod";
import type { ConntrackEntry, NatRuleCounters } from "../../lib/host-snapshot";
import { bridgeName, interfaceName, ownNamespaceName } from "../../lib/names";
import { ipv4 } from "../../lib/schemas/common";
import { type ProbeOutcome, traceProtocols } from "../../lib/schemas/trace";

const namespace = ownNamespaceName;
const ifname = interfaceName;
const bridge = bridgeName;
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
  /**
   * The reply of a tracked connection: conntrack reports it established (`--ct-next trk,est`), as it does for
   * a reply on the host; absent, ofproto/trace takes every packet for a new connection (trk,new).
   */
  established: z.boolean().optional(),
  /**
   * A frame a VXLAN tunnel brings in (in_port is the tunnel port): its VNI and the outer addresses, the remote
   * host's tunnel endpoint and this host's.
   */
  tun_id: z.number().int().min(0).max(16777215).optional(),
  tun_src: ipv4.optional(),
  tun_dst: ipv4.optional(),
  /** A frame the wire brings in tagged (in_port is the physical bridge's uplink): its VLAN network's segment. */
  dl_vlan: z.number().int().min(1).max(4094).optional(),
});

/** The rules of our nat chains in a router namespace, with counters. */
export const natQuestion = z.object({ kind: z.literal("nat"), namespace });

/** `ip -json addr` of a namespace: device names, MACs, MTUs, addresses, state. */
export const linksQuestion = z.object({ kind: z.literal("links"), namespace });

/** Our OVS ports on the agent's bridges, with bridge, tag and ofport. */
export const portsQuestion = z.object({ kind: z.literal("ports") });

/**
 * The daemons of ours in a DHCP or router namespace: whether dnsmasq and haproxy run, and dnsmasq's hosts
 * file (which MACs get a lease).
 */
export const daemonsQuestion = z.object({ kind: z.literal("daemons"), namespace });

/**
 * The connections conntrack tracks in a router namespace whose original direction goes from `src` to `dst`
 * (`conntrack -L --orig-src SRC --orig-dst DST`): the entry that translates a traced packet, if there is one.
 */
export const conntrackQuestion = z.object({ kind: z.literal("conntrack"), namespace, src: ipv4, dst: ipv4 });

export const traceQuestion = z.discriminatedUnion("kind", [
  routeQuestion,
  ovsQuestion,
  natQuestion,
  linksQuestion,
  portsQuestion,
  daemonsQuestion,
  conntrackQuestion,
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

export type TraceLink = { name: string; mac: string; up: boolean; mtu: number; addresses: string[] };
export type TracePort = {
  name: string;
  bridge: string;
  tag: number | null;
  ofport: number | null;
  external_ids: Record<string, string>;
};

/** A daemon of ours in a namespace: running or not; for dnsmasq, its hosts file (null: none). */
export type TraceDaemon = {
  program: "dnsmasq" | "haproxy" | "keepalived";
  running: boolean;
  hosts: string | null;
};

export type TraceAnswer =
  | { kind: "route"; ok: true; route: RouteGet; text: string }
  | { kind: "route"; ok: false; error: string; text: string }
  | { kind: "ovs"; ok: true; trace: OvsTrace }
  | { kind: "ovs"; ok: false; error: string }
  | { kind: "nat"; ok: true; rules: NatRuleCounters[] }
  | { kind: "nat"; ok: false; error: string }
  | { kind: "links"; ok: true; links: TraceLink[] }
  | { kind: "links"; ok: false; error: string }
  | {
      kind: "ports";
      ok: true;
      ports: TracePort[];
      bridges: string[];
      /** Per physical bridge, its ports that are not ours: its uplinks onto the wire (the admin adds them). */
      uplinks: Record<string, string[]>;
    }
  | { kind: "ports"; ok: false; error: string }
  | { kind: "daemons"; ok: true; daemons: TraceDaemon[] }
  | { kind: "daemons"; ok: false; error: string }
  | { kind: "conntrack"; ok: true; entries: ConntrackEntry[] }
  | { kind: "conntrack"; ok: false; error: string };

/** What the agent says about itself with every answer: the names the server needs to ask good questions. */
export type TraceHostInfo = {
  host: string;
  prefix: string;
  integration_bridge: string;
  bridge_mappings: Record<string, string>;
  /** The prefix of our nat chains in router namespaces (lib/router-nat.ts names them). */
  chain_prefix: string;
  /** br-tun, where a VXLAN tunnel brings frames in from other hosts; null: no tunnel endpoint here. */
  tunnel_bridge: string | null;
};

export type TraceAnswers = { info: TraceHostInfo; answers: TraceAnswer[]; duration_ms: number };

export const probeCapture = z.object({ namespace, interface: ifname });

export const traceProbe = z.object({
  /** Where the packet starts: an instance's or an uplink's namespace. */
  namespace,
  protocol: z.enum(traceProtocols),
  dst: ipv4,
  port: z.number().int().min(1).max(65535).optional(),
  /**
   * ICMP: the path's MTU; the echo request is that large with Don't Fragment set, so a link with a smaller MTU on
   * the way drops it (or answers "fragmentation needed") instead of letting a small ping through.
   */
  mtu: z.number().int().min(68).max(9000).optional(),
  /** Where to watch (tcpdump on that interface, inside that namespace). */
  captures: z.array(probeCapture).max(32),
  /** Router namespaces whose nat counters are read before and after. */
  nat_namespaces: z.array(namespace).max(8),
  timeout_ms: z.number().int().min(100).max(5000).default(1000),
});
export type TraceProbeInput = z.input<typeof traceProbe>;

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
