// A filtered port's verdict on a traced packet, from the model: the firewall entry the server compiles for the
// port (its port security, the addresses it may send from) and its security groups' rules compiled as the agent
// applies them (remote groups resolved to their members' addresses), each with the row it comes from so that a
// verdict names the rule. Stateful as the conntrack flows are: a reply of an allowed connection passes. PURE.
import type { IntentFirewallPort, IntentFirewallRule } from "../../agent/contract/intent";
import { cidrContains } from "../../lib/ip";
import type { TraceProtocol } from "../../lib/schemas/trace";
import type { SecurityGroupRuleRow } from "../db/schema";

/** A rule of one of the port's groups: its row, its group's name, and the firewall rule it compiles to. */
export type NamedRule = { row: SecurityGroupRuleRow; group_name: string; compiled: IntentFirewallRule };

/** What the host filters for one port: the intent's entry, and its groups' rules. */
export type PortFilter = {
  entry: IntentFirewallPort;
  groups: { id: string; name: string }[];
  rules: NamedRule[];
};

export type FilterSide = "egress" | "ingress";

/** The traced packet at the filter: its addresses, and the flow it belongs to. */
export type FilteredPacket = {
  src: string;
  dst: string;
  protocol: TraceProtocol;
  /** The destination port (tcp, udp); null for icmp (an echo request, type 8 code 0). */
  port: number | null;
  /** The reply of the traced connection (which passed the filters on its way there). */
  reply: boolean;
};

export type FilterVerdict =
  | { kind: "unfiltered" }
  | { kind: "spoof" }
  | { kind: "reply" }
  | { kind: "allowed"; rule: NamedRule }
  | { kind: "blocked" };

const PROTOCOLS: Record<TraceProtocol, number> = { icmp: 1, tcp: 6, udp: 17 };
const ECHO_REQUEST = 8;

/** Whether the port may send from `address`: one of its fixed IPs, or within an allowed address pair. */
export function maySendFrom(entry: IntentFirewallPort, address: string): boolean {
  return (
    entry.fixed_ips.includes(address) ||
    entry.allowed_address_pairs.some((pair) => cidrContains(pair.ip_address, address))
  );
}

/** Whether a compiled rule lets the packet's new connection through on `side` (the flows' matches). */
export function ruleAllows(rule: IntentFirewallRule, side: FilterSide, packet: FilteredPacket): boolean {
  if (rule.direction !== side) return false;
  if (rule.protocol !== null && rule.protocol !== PROTOCOLS[packet.protocol]) return false;
  const remote = side === "ingress" ? packet.src : packet.dst;
  if (rule.remote_ip_prefixes !== null && !rule.remote_ip_prefixes.some((p) => cidrContains(p, remote)))
    return false;
  const { port_range_min: min, port_range_max: max } = rule;
  // A protocol-less rule matches the protocol alone, as the flows do; icmp's range is its type and code.
  if (rule.protocol === null || min === null) return true;
  if (packet.protocol === "icmp") return min === ECHO_REQUEST && (max === null || max === 0);
  return packet.port !== null && packet.port >= min && packet.port <= (max ?? min);
}

/** The verdict of `filter` on the packet leaving its port (egress) or reaching it (ingress). */
export function filterVerdict(filter: PortFilter, side: FilterSide, packet: FilteredPacket): FilterVerdict {
  if (!filter.entry.port_security_enabled) return { kind: "unfiltered" };
  if (side === "egress" && !maySendFrom(filter.entry, packet.src)) return { kind: "spoof" };
  if (packet.reply) return { kind: "reply" };
  const rule = filter.rules.find((r) => ruleAllows(r.compiled, side, packet));
  return rule === undefined ? { kind: "blocked" } : { kind: "allowed", rule };
}

/**
 * The command that lets the packet through: a rule in the port's first group for the packet's protocol (and
 * port), from (ingress) or to (egress) the traced remote address only.
 */
export function allowCommand(filter: PortFilter, side: FilterSide, packet: FilteredPacket): string {
  const group = filter.groups[0];
  const remote = side === "ingress" ? packet.src : packet.dst;
  const port = packet.port === null ? "" : ` --dst-port ${packet.port}`;
  const command = `netlens security group rule create --protocol ${packet.protocol}${port} --${side} --remote-ip ${remote}/32`;
  if (group === undefined)
    return `netlens port set --security-group GROUP ${filter.entry.port_id}, then ${command} GROUP`;
  // Every project has a group named default: its ID says which.
  return `${command} ${group.name === "" || group.name === "default" ? group.id : group.name}`;
}
