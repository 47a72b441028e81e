// What a walk carries and leaves: the packet, the NATs conntrack will reverse, the events the diagnoses read,
// and the context of one trace (the host's answers, the places). Types only, shared by walk.ts and its steps.
import type { OvsTrace, RouteGet, TraceHostInfo, TracePort } from "../../agent/contract/trace";
import type { NatRuleCounters } from "../../lib/host-snapshot";
import type { Hop, TraceProtocol } from "../../lib/schemas/trace";
import type { PortForwardingRow } from "../db/schema";
import type { TunnelHost } from "./agent";
import type { HostAnswers } from "./ask";
import type { ParsedRule } from "./nat";
import type { NsDevice, Place } from "./places";
import type { HopPoints } from "./probe";
import type { FilteredPacket, FilterSide, PortFilter } from "./security";

export type { TunnelHost };

export type Packet = { src: string; dst: string };

/** A NAT done on the way in, which conntrack reverses for the reply. */
export type ConnNat = {
  namespace: string;
  kind: "dnat" | "snat";
  /** The address before the rule, and after. */
  before: string;
  after: string;
  rule: ParsedRule;
  node_id: string;
  /** A port forwarding's DNAT: the destination port before and after (conntrack reverses it too). */
  ports?: { before: number; after: number };
  /** The packet as it came into the namespace, with its destination port (null: icmp): conntrack's original. */
  entered: Packet & { port: number | null };
};

/** What happened, for the diagnoses: each event points at the hop it concerns (its index in the list). */
export type WalkEvent =
  | { type: "route-error"; hop: number; place: Place; packet: Packet; error: string }
  | { type: "no-owner"; hop: number; place: Place; device: NsDevice; nexthop: string; gateway: string | null }
  | {
      type: "ovs-miss";
      hop: number;
      from: NsDevice;
      to: NsDevice;
      toPlace: Place;
      trace: OvsTrace | null;
      error: string | null;
    }
  | { type: "local"; hop: number; place: Place; packet: Packet; dnatted: boolean }
  | {
      type: "routed";
      hop: number;
      place: Place;
      packet: Packet;
      route: RouteGet;
      oif: string;
      iif: string | null;
    }
  | { type: "no-device"; hop: number; place: Place; oif: string }
  /** The packet's destination is on `to`, and `from` sends nothing into a tunnel towards it. */
  | { type: "tunnel-missing"; hop: number; from: TunnelHost; to: TunnelHost; tunnels: string[] }
  /** The host the packet reaches cannot be asked: its agent is offline. */
  | { type: "host-down"; hop: number; host: TunnelHost }
  | {
      type: "filter-drop";
      hop: number;
      filter: PortFilter;
      side: FilterSide;
      verdict: "blocked" | "spoof";
      packet: FilteredPacket;
    };

/** A provider network as the wire carries it: its physical network, and its VLAN id (flat: none). */
export type Wire = { physical_network: string; segment: number | null };

/** A host the walk may cross to: its row, and its agent's answers (null: it has no agent to ask). */
export type HostSide = { host: TunnelHost; answers: HostAnswers | null };

/**
 * The hosts of a trace: where each place is, by namespace, each host by name, the networks whose frames cross
 * between hosts in VXLAN tunnels, and the provider (flat, vlan) networks, whose frames cross on the wire.
 */
export type Across = {
  hostOf: ReadonlyMap<string, string>;
  hosts: ReadonlyMap<string, HostSide>;
  tunnelled: ReadonlySet<string>;
  wires: ReadonlyMap<string, Wire>;
};

export type WalkResult = {
  hops: Hop[];
  events: WalkEvent[];
  /** Where the packet ended, delivered (null when it was dropped on the way). */
  deliveredAt: Place | null;
  /** The packet as it arrived. */
  packet: Packet;
  nat: ConnNat[];
  /** Per hop, where probe mode watches for it. */
  points: HopPoints;
};

export type WalkContext = {
  /** The answers of the host the walk is on: each question asked once, several per round trip. */
  host: HostAnswers;
  /** With several hosts: where each place is, and the others' agents (a tunnel leads there). */
  across: Across | null;
  info: TraceHostInfo;
  protocol: TraceProtocol;
  port: number | null;
  places: Place[];
  /** Our OVS ports as the agent read them (tags, bridges). */
  ports: TracePort[];
  /** Our nat rules per router namespace, as the agent read them. */
  nat: Map<string, NatRuleCounters[]>;
  /** MACs the intent does not choose (the uplinks' veths), read from the host: `namespace/device` -> MAC. */
  macs: Map<string, string>;
  /** Fip id by floating address: DNAT/SNAT hops name the floating IP's graph node. */
  fipIds: Map<string, string>;
  /** The ports the host filters, by port id (their security groups and port security). */
  filters: Map<string, PortFilter>;
  /** The floating IPs' port forwardings: a fip-pf DNAT hop names its forwarding. */
  forwardings: readonly Pick<
    PortForwardingRow,
    "id" | "floatingIpId" | "protocol" | "externalPortStart" | "externalPortEnd"
  >[];
};
