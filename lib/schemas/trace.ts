// Packet path tracing: the API's input (trace.run) and its answer, hop by hop. The questions the server asks a
// host agent to answer it are the agent's contract (agent/contract/trace.ts).
import { z } from "zod";
import type { ConntrackEntry } from "../host-snapshot";
import { ipv4, ref } from "./common";

// ---- The API: trace.run ----

export const traceProtocols = ["icmp", "tcp", "udp"] as const;
export type TraceProtocol = (typeof traceProtocols)[number];

export const traceRun = z
  .object({
    /**
     * An instance (name or ID), a floating or fixed IP, a router (name or ID), or an outside address; `to` may
     * also be `metadata` (169.254.169.254: the metadata service, over tcp port 80).
     */
    from: ref,
    to: ref,
    protocol: z.enum(traceProtocols).default("icmp"),
    port: z.number().int().min(1).max(65535).optional(),
    /** Send a real packet and report per hop whether it was seen. */
    probe: z.boolean().default(false),
    /**
     * The source address the packet carries when it is not the instance's own (a spoofed source, or an address
     * the port holds as an allowed address pair): `from` must then be an instance. Explain only: a probe sends
     * from the instance's own address.
     */
    source_address: ipv4.optional(),
  })
  .refine((input) => input.protocol === "icmp" || input.port !== undefined, {
    error: "A port is required for tcp and udp",
    path: ["port"],
  })
  .refine((input) => input.protocol !== "icmp" || input.port === undefined, {
    error: "A port makes no sense for icmp",
    path: ["port"],
  })
  .refine((input) => !(input.probe && input.source_address !== undefined), {
    error: "A probe sends from the instance's own address: a source address is for explain only",
    path: ["source_address"],
  });
export type TraceRunInput = z.input<typeof traceRun>;

export type HopAction = "switched" | "routed" | "dnat" | "snat" | "delivered" | "dropped";

export type DecidedBy = {
  /** route: the kernel's `ip route get`; nat_rule: an iptables rule of ours; conntrack: the reverse of a NAT
   * done on the way in; ovs_flow: ofproto/trace; arp: who holds the next hop's address; model: the logical
   * model (nothing on the host to ask); security_group: a filtered port's security groups and port security,
   * as the model has them (its text names no address: the rule, when one allowed, is the hop's `rule`);
   * probe: what the real packet did. */
  kind: "route" | "nat_rule" | "conntrack" | "ovs_flow" | "arp" | "model" | "security_group" | "probe";
  text: string;
};

export type HopWhere = {
  /** Absent in a member's view (server/trace/tenant-view.ts), as are bridge, namespace and interface. */
  host?: string;
  bridge?: string;
  namespace?: string;
  interface?: string;
  /** The graph node (the resource id): instance, router, network, floating IP; "" where a member may not look. */
  node_id: string;
  /** The Neutron port the hop is at (a router interface or gateway, an instance's port), when it is one. */
  port_id?: string;
};

/**
 * The rule of a resource that decided a hop, in the API's terms (its resource's ID and fields, never the
 * host's words), so that a member sees the rules of their own resources while the host's text is masked.
 * The tenant view's switch over `kind` is exhaustive: a new kind must say what a member sees of it.
 */
export type HopRule =
  /** The kernel's route in a router or an instance: to `destination`, via `nexthop` (null: on the link). */
  | {
      kind: "route";
      owner: "router" | "instance";
      owner_id: string;
      destination: string;
      nexthop: string | null;
      /** The port it leaves by; null when delivered locally (`local`) or the route has no device we know. */
      port_id: string | null;
      local: boolean;
    }
  /** A floating IP's 1:1 NAT (DNAT of the floating address in, SNAT to it out), or conntrack reversing it. */
  | {
      kind: "floating_ip_nat";
      floating_ip_id: string;
      floating_ip_address: string;
      fixed_ip_address: string;
      conntrack: boolean;
    }
  /** The router's SNAT to its gateway address (external_gateway_info.enable_snat), or conntrack reversing it. */
  | { kind: "router_snat"; router_id: string; external_ip_address: string; conntrack: boolean }
  /** A floating IP's port forwarding: DNAT of floating IP:external port to the internal address:port. */
  | {
      kind: "port_forwarding";
      port_forwarding_id: string;
      floating_ip_id: string;
      floating_ip_address: string;
      internal_ip_address: string;
      protocol: "tcp" | "udp";
      external_port: number;
      internal_port: number;
      conntrack: boolean;
    }
  /** The security group rule of a filtered port that lets the packet's new connection through its filter. */
  | {
      kind: "security_group_rule";
      port_id: string;
      security_group_id: string;
      security_group_name: string;
      rule_id: string;
      direction: "ingress" | "egress";
      /** As the rule has it: a name, a number, or null for any. */
      protocol: string | null;
      port_range_min: number | null;
      port_range_max: number | null;
      remote_ip_prefix: string | null;
      remote_group_id: string | null;
    };

/** What probe mode measured at a hop: whether the real packet passed there, with its addresses there. */
export type HopProbe = {
  seen: boolean;
  /** tcpdump's lines for the packets seen at this interface, or the rule counter's change. */
  evidence: string[];
};

/**
 * The connection's entry in the connection tracking table of the router that translates it (a NAT hop, and the
 * reply's hop that conntrack reverses): the pair it translates (original direction, and the reply as it is
 * expected back), its state and flags. Once an entry exists, conntrack alone decides the connection's later
 * packets and its replies: the nat rules are not read again for it.
 */
export type HopConntrack = {
  /** null: conntrack tracks no such connection there (none lately): the next packet is new, NATed by the rules. */
  entry: ConntrackEntry | null;
  /** The entry translates as the nat rules do now (one made before a rule changed keeps its old translation). */
  agrees: boolean;
  /** Other entries of the same two addresses (other source ports or ping ids: other connections). */
  others: number;
};

export type Hop = {
  where: HopWhere;
  action: HopAction;
  /** The local VLAN the packet carried on the integration bridge (switched hops). */
  vlan?: number;
  /** The packet's addresses after this hop. */
  packet: { src: string; dst: string };
  decided_by: DecidedBy;
  /** The resource rule behind `decided_by`, when a resource's rule decided the hop. */
  rule?: HopRule;
  /** NAT hops in a router: the connection's conntrack entry there (absent: the host was not asked, or failed). */
  conntrack?: HopConntrack;
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
  "port-not-bound",
  "no-dhcp-lease",
  "metadata-unreachable",
  "mtu-mismatch",
  "security-group-blocks",
  "port-security-spoof",
  "tunnel-missing",
  "host-down",
  "ha-router-not-active",
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
  /**
   * "port": a workload's port (a VM or container plugged by iface-id), shown when it is not bound or cannot get
   * its lease; "metadata": 169.254.169.254, the metadata service as an instance reaches it.
   */
  kind: "instance" | "floating_ip" | "router" | "outside" | "port" | "metadata";
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

export type ProbeOutcome = {
  /** reply: ICMP echo reply; connected: SYN-ACK; reset: RST; unreachable: ICMP error; timeout: nothing. */
  result: "reply" | "connected" | "reset" | "unreachable" | "timeout" | "sent";
  rtt_ms: number | null;
  detail: string;
};
