// Security groups and port security on the integration bridge with conntrack flows, as Neutron's `openvswitch`
// firewall driver lays them out (its tables 60/71/72/81/82), pure. Every flow is written as `ovs-ofctl --names
// --no-stats dump-flows` prints it (after normalizeFlow), so that the apply diffs them as text with the others.
//
//   table 0   which port a packet comes from: a filtered port's goes to 71 (egress), any other port of ours
//             (router, DHCP, port security off) straight to 60, its network's local VLAN in reg6 either way
//   table 60  towards a filtered port (its network in reg6, its MAC): to 81 (ingress); everything else NORMAL
//   table 71  egress anti-spoofing: only the port's MAC with its fixed IPs and allowed address pairs (IP and ARP),
//             DHCP as a client only; IP goes through conntrack in the network's zone
//   table 72  egress rules: replies and related pass, +inv dropped, new connections a rule allows committed
//   table 81  ingress: ARP switched, the VLAN tag popped, IP through conntrack (once: a packet already tracked
//             on its way out of a filtered port on this host keeps that state)
//   table 82  ingress rules, as table 72, then out of the port itself
import { parseCidr } from "../../lib/ip";
import type { IntentFirewallPort, IntentFirewallRule } from "../contract/intent";
import { FIREWALL_TABLES, FLOW_COOKIE, loadNetwork } from "./ovs";

const T = FIREWALL_TABLES;

/** A port of ours (or a bound workload's) on the integration bridge: its interface and its network's VLAN. */
export type BridgePort = { name: string; vlan: number };

/**
 * A port to filter on this host. `entry` null: the intent names the port as one to filter but brought no valid
 * entry for it (refused): its traffic is dropped rather than let through unfiltered.
 */
export type FilteredPort = BridgePort & { entry: IntentFirewallPort | null };

const flow = (table: number, body: string) =>
  `cookie=${FLOW_COOKIE},${table === 0 ? "" : `table=${table},`}${body}`;

const reg6 = (vlan: number) => `reg6=0x${vlan.toString(16)}`;

/** The flows that hold whatever ports there are: the tables' defaults. */
function baseFlows(): string[] {
  const toSwitch = `resubmit(,${T.ingressSwitch})`;
  return [
    flow(T.ingressSwitch, "priority=0 actions=NORMAL"),
    flow(T.egressBase, "priority=0 actions=drop"),
    flow(T.egressRules, "priority=90,ct_state=+inv+trk actions=drop"),
    flow(T.egressRules, `priority=80,ct_state=+est-rel-inv+trk actions=${toSwitch}`),
    flow(T.egressRules, `priority=80,ct_state=+rel-inv+trk actions=${toSwitch}`),
    flow(T.egressRules, "priority=0 actions=drop"),
    // ARP is not filtered on the way in (anti-spoofing filtered it on the way out of filtered ports).
    flow(T.ingressBase, "priority=100,arp actions=NORMAL"),
    // From a patch port the packet carries its local VLAN; it leaves by an access port, untagged.
    flow(T.ingressBase, `priority=95,vlan_tci=0x1000/0x1000 actions=strip_vlan,resubmit(,${T.ingressBase})`),
    flow(
      T.ingressBase,
      `priority=90,ct_state=-trk,ip actions=ct(table=${T.ingressRules},zone=NXM_NX_REG6[0..15])`,
    ),
    flow(T.ingressBase, `priority=80,ct_state=+trk,ip actions=resubmit(,${T.ingressRules})`),
    // IPv6 and other ethertypes: no rule can allow them (IPv4 only), as Neutron drops what no rule allows.
    flow(T.ingressBase, "priority=0 actions=drop"),
    flow(T.ingressRules, "priority=90,ct_state=+inv+trk actions=drop"),
    flow(T.ingressRules, "priority=0 actions=drop"),
  ];
}

/**
 * Flows already rendered, by what they depend on alone (a port's interface, its network's VLAN, its entry or
 * one rule of it). An apply renders the bridge's flows several times (its scope's digest, the plan, what it
 * settles) and a rule added to a group changes every member's entry but only one rule's flows each: each is
 * rendered once. Kept for two generations (the converge loop starts one per apply), so what an apply no longer
 * uses goes.
 */
export class FirewallCache {
  #current = new Map<string, readonly string[]>();
  #previous = new Map<string, readonly string[]>();

  rotate(): void {
    this.#previous = this.#current;
    this.#current = new Map();
  }

  get(key: string, render: () => readonly string[]): readonly string[] {
    let flows = this.#current.get(key) ?? this.#previous.get(key);
    if (flows === undefined) flows = render();
    this.#current.set(key, flows);
    return flows;
  }
}

/** No cache: each call renders anew. */
const uncached = { get: (_key: string, render: () => readonly string[]) => render() };
type Cache = Pick<FirewallCache, "get">;

/**
 * Every firewall flow of the integration bridge. `others`: the bridge's other ports of ours (routers', DHCP
 * servers'), classified so that what they send towards a filtered port passes its ingress filter.
 */
export function planFirewall(
  filtered: readonly FilteredPort[],
  others: readonly BridgePort[],
  cache: Cache = uncached,
): string[] {
  const flows = new Set(baseFlows());
  for (const port of others) flows.add(classify(port, T.ingressSwitch));
  for (const port of filtered) {
    const key = JSON.stringify([port.name, port.vlan, port.entry]);
    for (const f of cache.get(key, () => filteredPortFlows(port, cache))) flows.add(f);
  }
  return [...flows];
}

function filteredPortFlows(port: FilteredPort, cache: Cache): string[] {
  const { entry } = port;
  if (entry === null) return [flow(0, `priority=10,in_port=${port.name} actions=drop`)];
  if (!entry.port_security_enabled) return [classify(port, T.ingressSwitch)];
  return [classify(port, T.egressBase), ...portFlows(port, entry, cache)];
}

function classify(port: BridgePort, table: number): string {
  return flow(0, `priority=10,in_port=${port.name} actions=${loadNetwork(port.vlan)},resubmit(,${table})`);
}

/** The addresses a port may send from: its own MAC with its fixed IPs, and each allowed address pair. */
function sources(entry: IntentFirewallPort): { mac: string; ip: string }[] {
  return [
    ...entry.fixed_ips.map((ip) => ({ mac: entry.mac_address, ip })),
    ...entry.allowed_address_pairs.map((p) => ({ mac: p.mac_address, ip: p.ip_address })),
  ];
}

function portFlows(port: BridgePort, entry: IntentFirewallPort, cache: Cache): string[] {
  const { name, vlan } = port;
  const macs = [...new Set([entry.mac_address, ...entry.allowed_address_pairs.map((p) => p.mac_address)])];
  const toSwitch = `resubmit(,${T.ingressSwitch})`;
  const out: string[] = [];
  for (const mac of macs) {
    const to = `${reg6(vlan)},dl_dst=${mac}`;
    out.push(flow(T.ingressSwitch, `priority=90,${to} actions=resubmit(,${T.ingressBase})`));
    // DHCP as a client (its first request comes from 0.0.0.0), whatever the rules say, as Neutron allows it.
    out.push(
      flow(
        T.egressBase,
        `priority=95,udp,in_port=${name},dl_src=${mac},tp_src=68,tp_dst=67 actions=${toSwitch}`,
      ),
    );
    out.push(flow(T.ingressRules, `priority=95,udp,${to},tp_src=67,tp_dst=68 actions=output:${name}`));
    out.push(flow(T.ingressRules, `priority=80,ct_state=+est-rel-inv+trk,${to} actions=output:${name}`));
    out.push(flow(T.ingressRules, `priority=80,ct_state=+rel-inv+trk,${to} actions=output:${name}`));
  }
  // No DHCP server on a filtered port: it would answer its neighbours' requests.
  out.push(flow(T.egressBase, `priority=70,udp,in_port=${name},tp_src=67,tp_dst=68 actions=drop`));
  for (const { mac, ip } of sources(entry)) {
    const from = `in_port=${name},dl_src=${mac}`;
    out.push(
      flow(T.egressBase, `priority=95,arp,${from}${nw("arp_spa", ip)},arp_sha=${mac} actions=${toSwitch}`),
    );
    out.push(
      flow(
        T.egressBase,
        `priority=65,ip,${from}${nw("nw_src", ip)} actions=ct(table=${T.egressRules},zone=${vlan})`,
      ),
    );
  }
  for (const rule of entry.rules) {
    const key = JSON.stringify([name, vlan, rule.direction === "egress" ? [] : macs, rule]);
    out.push(...cache.get(key, () => ruleFlows(port, macs, rule)));
  }
  return out;
}

/** One rule's flows for one port (with its MACs, for an ingress rule). */
function ruleFlows({ name, vlan }: BridgePort, macs: string[], rule: IntentFirewallRule): string[] {
  const toSwitch = `resubmit(,${T.ingressSwitch})`;
  if (rule.direction === "egress")
    return ruleMatches(rule, `in_port=${name}`, "nw_dst").map((match) =>
      flow(T.egressRules, `priority=70,${match} actions=ct(commit,zone=${vlan}),${toSwitch}`),
    );
  return macs.flatMap((mac) =>
    ruleMatches(rule, `${reg6(vlan)},dl_dst=${mac}`, "nw_src").map((match) =>
      flow(T.ingressRules, `priority=70,${match} actions=ct(commit,zone=${vlan}),output:${name}`),
    ),
  );
}

const PROTOCOL_KEYWORDS: Record<number, string> = { 1: "icmp", 6: "tcp", 17: "udp", 132: "sctp" };

/**
 * The matches of one rule for one port, in dump-flows' order of fields (ct_state, protocol, reg6, in_port,
 * dl_dst, nw_src/nw_dst, nw_proto, tp_dst / icmp_type, icmp_code). A remote group comes as its members'
 * addresses, one flow per address: each flow stands alone, so that a member joining or leaving adds or removes
 * exactly its own flows in the diff, where conjunctions would renumber their ids across ports as rules come and
 * go (and the diff, which compares text, would rewrite them all).
 */
export function ruleMatches(
  rule: IntentFirewallRule,
  port: string,
  remoteField: "nw_src" | "nw_dst",
): string[] {
  const keyword = rule.protocol === null ? "ip" : (PROTOCOL_KEYWORDS[rule.protocol] ?? "ip");
  const proto =
    rule.protocol !== null && PROTOCOL_KEYWORDS[rule.protocol] === undefined
      ? `,nw_proto=${rule.protocol}`
      : "";
  const remotes =
    rule.remote_ip_prefixes === null ? [""] : rule.remote_ip_prefixes.map((p) => nw(remoteField, p));
  const l4 = layer4(rule);
  const out: string[] = [];
  for (const remote of [...new Set(remotes)])
    for (const ports of l4) out.push(`ct_state=+new-est+trk,${keyword},${port}${remote}${proto}${ports}`);
  return out;
}

/** The port (or ICMP type and code) part of a rule's matches: one entry per flow. */
function layer4(rule: IntentFirewallRule): string[] {
  const { protocol, port_range_min: min, port_range_max: max } = rule;
  if (protocol === 1) {
    if (min === null) return [""];
    return [`,icmp_type=${min}${max === null ? "" : `,icmp_code=${max}`}`];
  }
  // Only these carry ports OVS can match; other protocols' rules match the protocol alone.
  if (protocol === null || !(protocol in PROTOCOL_KEYWORDS) || min === null) return [""];
  return portMasks(min, max ?? min).map(([value, mask]) =>
    mask === 0xffff
      ? `,tp_dst=${value}`
      : mask === 0
        ? ""
        : `,tp_dst=0x${value.toString(16)}/0x${mask.toString(16)}`,
  );
}

/**
 * A port range as the fewest value/mask pairs that cover it exactly (Neutron's port_rule_masking); port 0 is
 * no port, so 1-65535 is every port (no match at all).
 */
export function portMasks(min: number, max: number): [number, number][] {
  if (min <= 1 && max >= 65535) return [[0, 0]];
  const out: [number, number][] = [];
  let start = min;
  while (start <= max) {
    let size = start === 0 ? 0x10000 : start & -start;
    while (start + size - 1 > max) size >>= 1;
    out.push([start, 0xffff & ~(size - 1)]);
    start += size;
  }
  return out;
}

/**
 * `,field=cidr` as dump-flows prints a match on an address: host bits cleared, a /32 as the bare address, and
 * nothing at all for /0 (it matches every address). An address without a prefix length is its /32.
 */
function nw(field: string, cidr: string): string {
  const { network, prefixlen } = parseCidr(cidr.includes("/") ? cidr : `${cidr}/32`, false);
  if (prefixlen === 0) return "";
  return `,${field}=${prefixlen === 32 ? network : `${network}/${prefixlen}`}`;
}
