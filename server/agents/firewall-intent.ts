// PURE: the firewall part of a host's intent, as Neutron's server hands its `openvswitch` firewall driver a
// port's security: per port the host filters (lab probes and bindable workload ports, never the network
// service's own), its MAC, fixed IPs, allowed address pairs, port security and security groups; and once per
// group its rules, with each remote group resolved to the addresses of its members (their fixed IPs and allowed address
// pairs, as Neutron counts them) wherever those ports are. The trace reads the same rules with their rows
// (portRules) to name the rule that lets a packet through.
import type {
  IntentFirewallPort,
  IntentFirewallRule,
  IntentSecurityGroup,
} from "../../agent/contract/intent";
import { isIpv4, parseCidr } from "../../lib/ip";
import { protocolNumber } from "../../lib/schemas/securityGroup";
import type { AllocationRow, PortRow, SecurityGroupRuleRow } from "../db/schema";

/** What the firewall is compiled from besides the ports' addresses. */
export type SecurityInputs = {
  ports: Pick<PortRow, "id" | "networkId" | "macAddress" | "portSecurityEnabled" | "allowedAddressPairs">[];
  portGroups: { portId: string; securityGroupId: string }[];
  rules: SecurityGroupRuleRow[];
};

/** An address or a CIDR as a CIDR with its host bits cleared (an address is its /32). */
const asCidr = (value: string): string => {
  const { network, prefixlen } = parseCidr(isIpv4(value) ? `${value}/32` : value, false);
  return `${network}/${prefixlen}`;
};

/** A rule of one of a port's groups, with the firewall rule it compiles to (its remote group resolved). */
export type PortRule = { row: SecurityGroupRuleRow; compiled: IntentFirewallRule };

/** Each group's members' addresses (their fixed IPs and allowed address pairs), and each port's groups. */
function membership(security: SecurityInputs, allocations: readonly AllocationRow[]) {
  const ipsOf = addressesOf(allocations);
  const portById = new Map(security.ports.map((p) => [p.id, p]));
  const groupsOf = new Map<string, string[]>();
  const members = new Map<string, Set<string>>();
  for (const { portId, securityGroupId } of security.portGroups) {
    groupsOf.set(portId, [...(groupsOf.get(portId) ?? []), securityGroupId]);
    const port = portById.get(portId);
    const addresses = members.get(securityGroupId) ?? new Set<string>();
    for (const ip of ipsOf.get(portId) ?? []) addresses.add(`${ip}/32`);
    for (const pair of port?.allowedAddressPairs ?? []) addresses.add(asCidr(pair.ip_address));
    members.set(securityGroupId, addresses);
  }
  const rulesOf = new Map<string, SecurityGroupRuleRow[]>();
  for (const rule of security.rules)
    rulesOf.set(rule.securityGroupId, [...(rulesOf.get(rule.securityGroupId) ?? []), rule]);
  // A rule compiles to the same thing on each port of its group: once per rule, not once per port (a remote
  // group of 1,000 members, sorted for each of its 1,000 ports, was most of a trace's time).
  const compiled = new Map<string, IntentFirewallRule>();
  const compileRule = (rule: SecurityGroupRuleRow): IntentFirewallRule => {
    let done = compiled.get(rule.id);
    if (done === undefined) {
      done = compileOne(rule);
      compiled.set(rule.id, done);
    }
    return done;
  };
  const compileOne = (rule: SecurityGroupRuleRow): IntentFirewallRule => ({
    direction: rule.direction,
    protocol: protocolNumber(rule.protocol),
    port_range_min: rule.portRangeMin,
    port_range_max: rule.portRangeMax,
    remote_ip_prefixes:
      rule.remoteGroupId !== null
        ? [...(members.get(rule.remoteGroupId) ?? [])].sort()
        : rule.remoteIpPrefix !== null
          ? [asCidr(rule.remoteIpPrefix)]
          : null,
  });
  return { ipsOf, portById, groupsOf, rulesOf, compileRule };
}

/** Per port: the rules of all its security groups, each compiled as the firewall applies it. */
export function portRules(
  security: SecurityInputs,
  allocations: readonly AllocationRow[],
): Map<string, PortRule[]> {
  const { groupsOf, rulesOf, compileRule } = membership(security, allocations);
  const out = new Map<string, PortRule[]>();
  for (const [portId, groups] of groupsOf)
    out.set(
      portId,
      groups.flatMap((group) =>
        (rulesOf.get(group) ?? []).map((row) => ({ row, compiled: compileRule(row) })),
      ),
    );
  return out;
}

function addressesOf(allocations: readonly AllocationRow[]): Map<string, string[]> {
  const ipsOf = new Map<string, string[]>();
  for (const a of allocations) ipsOf.set(a.portId, [...(ipsOf.get(a.portId) ?? []), a.ipAddress]);
  return ipsOf;
}

/** `portIds`: the ports this host filters; with the groups they name, each group's rules compiled once. */
export function compileFirewall(
  security: SecurityInputs,
  allocations: readonly AllocationRow[],
  portIds: readonly string[],
): { firewall: IntentFirewallPort[]; security_groups: IntentSecurityGroup[] } {
  const { ipsOf, portById, groupsOf, rulesOf, compileRule } = membership(security, allocations);
  const named = new Set<string>();
  const firewall = portIds.flatMap((portId) => {
    const port = portById.get(portId);
    if (port === undefined) return [];
    const groups = [...new Set(groupsOf.get(portId) ?? [])].sort();
    for (const g of groups) named.add(g);
    return [
      {
        port_id: port.id,
        network_id: port.networkId,
        mac_address: port.macAddress,
        fixed_ips: ipsOf.get(port.id) ?? [],
        allowed_address_pairs: port.allowedAddressPairs.map((p) => ({
          ip_address: asCidr(p.ip_address),
          mac_address: p.mac_address,
        })),
        port_security_enabled: port.portSecurityEnabled,
        security_groups: groups,
      },
    ];
  });
  const security_groups = [...named].sort().map((id) => {
    // The same rule twice in a group (a remote group and its prefix resolve alike) is one rule.
    const rules = new Map<string, IntentFirewallRule>();
    for (const row of rulesOf.get(id) ?? []) {
      const compiled = compileRule(row);
      rules.set(JSON.stringify(compiled), compiled);
    }
    return { id, rules: [...rules.values()] };
  });
  return { firewall, security_groups };
}
