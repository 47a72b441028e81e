// Security groups and port security on the integration bridge with conntrack flows, as Neutron's `openvswitch`
// firewall driver lays them out (its tables 60/71/72/81/82/91/92), pure. Every flow is written as `ovs-ofctl
// --names --no-stats dump-flows` prints it (after normalizeFlow), so that the apply diffs them as text with the
// others.
//
//   table 0   which port a packet comes from: a filtered port's goes to 71 (egress), any other port of ours
//             (router, DHCP, port security off) straight to 60, its network's local VLAN in reg6 either way
//   table 60  towards a filtered port (its network in reg6, its MAC): to 81 (ingress); everything else NORMAL
//   table 71  egress anti-spoofing: only the port's MAC with its fixed IPs and allowed address pairs (IP and ARP),
//             DHCP as a client only; IP goes through conntrack in the network's zone
//   table 72  egress: replies and related pass, +inv dropped; a new connection goes through the rules of each of
//             the port's groups (73), then to 91
//   table 73  egress rules, once per group (its index in reg7): a rule that matches sets reg8[0]
//   table 91  a new connection a rule allowed (reg8[0]) is committed and switched; the rest dropped
//   table 81  ingress: ARP switched, the VLAN tag popped, IP through conntrack (once: a packet already tracked
//             on its way out of a filtered port on this host keeps that state)
//   table 82  ingress, as 72: the port's groups' rules (83), then to 92
//   table 83  ingress rules, once per group: a rule that matches sets reg9[0]
//   table 92  a new connection a rule allowed (reg9[0]) is committed and goes out of the port itself
//
// Neutron's driver writes every rule once per port; here a group's rules are written once for all its ports
// (each port's flow walks its groups), so that a rule added to a group of 1,000 ports is one flow, not 1,000.
import { createHash } from "node:crypto";
import { parseCidr } from "../../lib/ip";
import type { IntentFirewallPort, IntentFirewallRule, IntentSecurityGroup } from "../contract/intent";
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
  const commit = "ct(commit,zone=NXM_NX_REG6[0..15])";
  return [
    flow(T.ingressSwitch, "priority=0 actions=NORMAL"),
    flow(T.egressBase, "priority=0 actions=drop"),
    flow(T.egressRules, "priority=90,ct_state=+inv+trk actions=drop"),
    flow(T.egressRules, `priority=80,ct_state=+est-rel-inv+trk actions=${toSwitch}`),
    flow(T.egressRules, `priority=80,ct_state=+rel-inv+trk actions=${toSwitch}`),
    flow(T.egressRules, "priority=0 actions=drop"),
    flow(T.acceptedEgress, `priority=70,ip,${EGRESS_ALLOWED} actions=${commit},${toSwitch}`),
    flow(T.acceptedEgress, "priority=0 actions=drop"),
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
    flow(T.acceptedIngress, "priority=0 actions=drop"),
  ];
}

/** A group's rules set these bits (a register of their own per direction, so that egress never opens ingress). */
const EGRESS_ALLOWED = "reg8=0x1/0x1";
const INGRESS_ALLOWED = "reg9=0x1/0x1";
const ALLOW = { egress: "load:0x1->NXM_NX_REG8[0]", ingress: "load:0x1->NXM_NX_REG9[0]" } as const;
const BASE_FLOWS: readonly string[] = baseFlows();

/**
 * Whether a flow is one of a group's rules (tables 73 and 83). Each only sets an "allowed" bit, and a packet that
 * matches none of them is dropped: such flows removed one by one, then added one by one, never let through more
 * than the rules before (while removing) or after (while adding) do, so they need no bundle.
 */
export function groupRuleFlow(flow: string): boolean {
  return flow.includes(`,table=${T.egressGroups},`) || flow.includes(`,table=${T.ingressGroups},`);
}

/**
 * Each group's index in reg7 (what its rules match): from its id, so that it stays while groups come and go; a
 * rare clash takes the next free one, in the order of the ids.
 */
export function groupIndexes(ids: Iterable<string>): Map<string, number> {
  const out = new Map<string, number>();
  const taken = new Set<number>();
  for (const id of [...new Set(ids)].sort()) {
    let index = Number.parseInt(id.slice(0, 8), 16) || 1;
    while (taken.has(index)) index = (index % 0xffffffff) + 1;
    taken.add(index);
    out.set(id, index);
  }
  return out;
}

/**
 * Flows already rendered, by what they depend on alone. A port's: by its entry (the same object while the intent
 * repeats it: converge/admit.ts), its interface, its network's VLAN and its groups' indexes. A rule's: by its
 * group's index and the rule, kept for two generations (the converge loop starts one per apply), so what an
 * apply no longer uses goes. An apply renders the bridge's flows once for its plan and digests: a rule added to
 * a group of 1,000 ports renders that rule, and the 1,000 ports' flows are taken as they were.
 */
export class FirewallCache {
  #current = new Map<string, readonly string[]>();
  #previous = new Map<string, readonly string[]>();
  readonly #ports = new WeakMap<IntentFirewallPort, { key: string; flows: readonly string[] }>();

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

  port(entry: IntentFirewallPort, key: string, render: () => readonly string[]): readonly string[] {
    const hit = this.#ports.get(entry);
    if (hit?.key === key) return hit.flows;
    const flows = render();
    this.#ports.set(entry, { key, flows });
    return flows;
  }
}

/** No cache: each call renders anew. */
const uncached = {
  get: (_key: string, render: () => readonly string[]) => render(),
  port: (_entry: IntentFirewallPort, _key: string, render: () => readonly string[]) => render(),
};
type Cache = Pick<FirewallCache, "get" | "port">;

/** Digests of flow lists already rendered: a bridge's digest is taken over them, not over all its flows. */
const digests = new WeakMap<readonly string[], string>();
export function digestOf(flows: readonly string[]): string {
  let digest = digests.get(flows);
  if (digest === undefined) {
    digest = createHash("sha256").update(flows.join("\n")).digest("base64url").slice(0, 22);
    digests.set(flows, digest);
  }
  return digest;
}

/**
 * Every firewall flow of the integration bridge, and a digest of them. `others`: the bridge's other ports of
 * ours (routers', DHCP servers'), classified so that what they send towards a filtered port passes its ingress
 * filter. `groups`: the intent's security groups; only those a filtered port here names are written.
 */
export function planFirewall(
  filtered: readonly FilteredPort[],
  others: readonly BridgePort[],
  groups: readonly IntentSecurityGroup[],
  cache: Cache = uncached,
): { flows: string[]; digest: string } {
  const units: (readonly string[])[] = [BASE_FLOWS, others.map((port) => classify(port, T.ingressSwitch))];
  const named = filtered.flatMap((p) => (p.entry?.port_security_enabled ? p.entry.security_groups : []));
  const indexes = groupIndexes(named);
  for (const port of filtered) {
    const { entry } = port;
    const walk = (entry?.security_groups ?? []).map((id) => indexes.get(id) ?? 0);
    const render = () => filteredPortFlows(port, walk);
    units.push(entry === null ? render() : cache.port(entry, `${port.name} ${port.vlan} ${walk}`, render));
  }
  for (const group of groups) {
    const index = indexes.get(group.id);
    if (index === undefined) continue;
    for (const rule of group.rules)
      units.push(cache.get(JSON.stringify([index, rule]), () => ruleFlows(index, rule)));
  }
  // Two ports may share a flow (a MAC in both's allowed address pairs): the diff takes the flows as a set.
  const flows = units.flat();
  const digest = createHash("sha256").update(units.map(digestOf).join(",")).digest("base64url").slice(0, 22);
  return { flows, digest };
}

/** `walk`: the indexes of the port's groups, in its order. */
function filteredPortFlows(port: FilteredPort, walk: readonly number[]): string[] {
  const { entry } = port;
  if (entry === null) return [flow(0, `priority=10,in_port=${port.name} actions=drop`)];
  if (!entry.port_security_enabled) return [classify(port, T.ingressSwitch)];
  return [classify(port, T.egressBase), ...portFlows(port, entry, walk)];
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

/** A new connection's way through the rules of each of the port's groups, then to the table that judges it. */
const throughGroups = (walk: readonly number[], groupsTable: number, accepted: number) =>
  [
    ...walk.map((i) => `load:0x${i.toString(16)}->NXM_NX_REG7[],resubmit(,${groupsTable})`),
    `resubmit(,${accepted})`,
  ].join(",");

function portFlows(port: BridgePort, entry: IntentFirewallPort, walk: readonly number[]): string[] {
  const { name, vlan } = port;
  const macs = [...new Set([entry.mac_address, ...entry.allowed_address_pairs.map((p) => p.mac_address)])];
  const toSwitch = `resubmit(,${T.ingressSwitch})`;
  const isNew = "ct_state=+new-est+trk";
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
    if (walk.length > 0) {
      out.push(
        flow(
          T.ingressRules,
          `priority=70,${isNew},${to} actions=${throughGroups(walk, T.ingressGroups, T.acceptedIngress)}`,
        ),
      );
      out.push(
        flow(
          T.acceptedIngress,
          `priority=70,ip,${reg6(vlan)},${INGRESS_ALLOWED},dl_dst=${mac} actions=ct(commit,zone=NXM_NX_REG6[0..15]),output:${name}`,
        ),
      );
    }
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
  if (walk.length > 0)
    out.push(
      flow(
        T.egressRules,
        `priority=70,${isNew},in_port=${name} actions=${throughGroups(walk, T.egressGroups, T.acceptedEgress)}`,
      ),
    );
  return out;
}

/** One rule's flows in its group's table: each sets the direction's "allowed" bit. */
function ruleFlows(index: number, rule: IntentFirewallRule): string[] {
  const egress = rule.direction === "egress";
  const table = egress ? T.egressGroups : T.ingressGroups;
  return ruleMatches(rule, `reg7=0x${index.toString(16)}`, egress ? "nw_dst" : "nw_src").map((match) =>
    flow(table, `priority=70,${match} actions=${ALLOW[rule.direction]}`),
  );
}

const PROTOCOL_KEYWORDS: Record<number, string> = { 1: "icmp", 6: "tcp", 17: "udp", 132: "sctp" };

/**
 * The matches of one rule of a group (`group`: its reg7 match), in dump-flows' order of fields (protocol, reg7,
 * nw_src/nw_dst, nw_proto, tp_dst / icmp_type, icmp_code). A remote group comes as its members' addresses, one
 * flow per address: each flow stands alone, so that a member joining or leaving adds or removes exactly its own
 * flows in the diff, where conjunctions would renumber their ids as rules come and go (and the diff, which
 * compares text, would rewrite them all).
 */
function ruleMatches(rule: IntentFirewallRule, group: string, remoteField: "nw_src" | "nw_dst"): string[] {
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
    for (const ports of l4) out.push(`${keyword},${group}${remote}${proto}${ports}`);
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
