// How a trace says the rules of its own kinds (security group rules, port forwardings), the same in an admin's
// hop and in a member's. PURE.
import type { HopRule } from "./schemas/trace";

type SecurityRule = Extract<HopRule, { kind: "security_group_rule" }>;
type Forwarding = Extract<HopRule, { kind: "port_forwarding" }>;

/** A rule's protocol and ports as `openstack security group rule list` shows them. */
function ruleScope(rule: SecurityRule): string {
  const protocol = rule.protocol ?? "any protocol";
  const { port_range_min: min, port_range_max: max } = rule;
  if (min === null) return protocol;
  if (protocol === "icmp") return `icmp type ${min}${max === null ? "" : ` code ${max}`}`;
  return `${protocol} ${max === null || max === min ? min : `${min}:${max}`}`;
}

export function securityRuleText(rule: SecurityRule): string {
  const remote =
    rule.remote_group_id !== null
      ? `members of group ${rule.remote_group_id}`
      : (rule.remote_ip_prefix ?? "anywhere");
  const way = rule.direction === "ingress" ? `from ${remote}` : `to ${remote}`;
  return `security group ${rule.security_group_name || rule.security_group_id} rule ${rule.rule_id} (${rule.direction} ${ruleScope(rule)} ${way}) allows the connection`;
}

export function forwardingText(rule: Forwarding): string {
  const outside = `${rule.floating_ip_address}:${rule.external_port}`;
  const inside = `${rule.internal_ip_address}:${rule.internal_port}`;
  return rule.conntrack
    ? `reply of a connection through port forwarding ${rule.port_forwarding_id}: source ${inside} -> ${outside}`
    : `port forwarding ${rule.port_forwarding_id} (${rule.protocol}): destination ${outside} -> ${inside} (DNAT)`;
}

/**
 * The security group rule or port forwarding behind a hop, in words (the decided_by text says the others: a
 * route, a floating IP's NAT, the router's SNAT); null when there is none of these.
 */
export function ownRuleText(rule: HopRule | undefined): string | null {
  switch (rule?.kind) {
    case "security_group_rule":
      return securityRuleText(rule);
    case "port_forwarding":
      return forwardingText(rule);
    case "route":
    case "floating_ip_nat":
    case "router_snat":
    case undefined:
      return null;
    default: {
      const unknown: never = rule;
      throw new Error(`Unknown hop rule ${JSON.stringify(unknown)}`);
    }
  }
}
