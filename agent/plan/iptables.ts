// The nat table of a router namespace, laid out as Neutron's L3 agent lays it out, in chains of our
// own prefix. Rules are written exactly as `iptables-save` prints them, so that desired and observed compare as
// strings and a change touches only the chains whose text differs: DNAT and float-snat rules one by one.
import type { NatRuleCounters } from "../../lib/host-snapshot";
import { deviceNames } from "../../lib/names";
import type { IntentRouter } from "../contract/intent";
import { ipv4Key } from "./addresses";
import type { NatChain, NatTable } from "./pictures";

export type ChainNames = {
  prerouting: string;
  output: string;
  postrouting: string;
  snat: string;
  floatSnat: string;
};

export function chainNames(prefix: string): ChainNames {
  return {
    prerouting: `${prefix}-PREROUTING`,
    output: `${prefix}-OUTPUT`,
    postrouting: `${prefix}-POSTROUTING`,
    snat: `${prefix}-snat`,
    floatSnat: `${prefix}-float-snat`,
  };
}

export function renderRouterNat(router: IntentRouter, prefix: string): NatTable {
  const names = chainNames(prefix);
  const prerouting: string[] = [];
  const output: string[] = [];
  const postrouting: string[] = [];
  const snat: string[] = [];
  const floatSnat: string[] = [];
  const gateway = router.gateway;
  if (gateway !== null) {
    const qg = deviceNames.routerGateway(gateway.port_id);
    // Sorted by address so that the text (and thus the diff) does not depend on the intent's order.
    const fips = router.floating_ips
      .map((fip) => ({ fip, key: ipv4Key(fip.floating_ip_address) }))
      .sort((a, b) => a.key - b.key)
      .map((entry) => entry.fip);
    for (const fip of fips) {
      prerouting.push(
        `-A ${names.prerouting} -d ${fip.floating_ip_address}/32 -j DNAT --to-destination ${fip.fixed_ip_address}`,
      );
      output.push(
        `-A ${names.output} -d ${fip.floating_ip_address}/32 -j DNAT --to-destination ${fip.fixed_ip_address}`,
      );
      floatSnat.push(
        `-A ${names.floatSnat} -s ${fip.fixed_ip_address}/32 -j SNAT --to-source ${fip.floating_ip_address}`,
      );
    }
    // Traffic between the router's own subnets is routed, not translated (unless it was DNATed on the way in).
    postrouting.push(`-A ${names.postrouting} ! -i ${qg} ! -o ${qg} -m conntrack ! --ctstate DNAT -j ACCEPT`);
    // A floating IP's own SNAT must win over the gateway SNAT: float-snat comes first.
    snat.push(`-A ${names.snat} -j ${names.floatSnat}`);
    if (gateway.enable_snat) {
      snat.push(`-A ${names.snat} -o ${qg} -j SNAT --to-source ${gateway.ip_address}`);
    }
  }
  const chains: NatChain[] = [
    { name: names.output, rules: output },
    { name: names.postrouting, rules: postrouting },
    { name: names.prerouting, rules: prerouting },
    { name: names.floatSnat, rules: floatSnat },
    { name: names.snat, rules: snat },
  ];
  // iptables-save lists chains in byte order; keeping that order makes the rendered text equal to its output.
  chains.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    chains,
    jumps: [
      `-A PREROUTING -j ${names.prerouting}`,
      `-A OUTPUT -j ${names.output}`,
      `-A POSTROUTING -j ${names.postrouting}`,
      `-A POSTROUTING -j ${names.snat}`,
    ],
  };
}

const builtins = ["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"] as const;

/**
 * The table as `iptables-save -t nat` prints it for a namespace holding only our rules, without its comment
 * lines: what an operator will see, and what the unit tests pin down.
 */
export function renderIptablesSave(table: NatTable): string {
  const lines = ["*nat", ...builtins.map((chain) => `:${chain} ACCEPT [0:0]`)];
  for (const chain of table.chains) lines.push(`:${chain.name} - [0:0]`);
  // Built-in chains' rules come first, in built-in order, as iptables-save prints them.
  for (const builtin of builtins) {
    for (const jump of table.jumps) if (jump.startsWith(`-A ${builtin} `)) lines.push(jump);
  }
  for (const chain of table.chains) lines.push(...chain.rules);
  lines.push("COMMIT");
  return `${lines.join("\n")}\n`;
}

/**
 * Our part of `iptables-save -t nat` output (with or without `-c`): our chains' rules and the built-ins' jumps
 * into them, each with its counters (0 without `-c`), in the order printed. The one reader of that text: the
 * planner compares `table`, inspection and the trace show `rules`.
 */
export function parseIptablesSave(
  text: string,
  prefix: string,
): { table: NatTable; rules: NatRuleCounters[] } {
  const chains = new Map<string, string[]>();
  const jumps: string[] = [];
  const rules: NatRuleCounters[] = [];
  const own = new Set(Object.values(chainNames(prefix)));
  let inNat = false;
  for (const line of text.split("\n")) {
    if (line.startsWith("*")) {
      inNat = line === "*nat";
      continue;
    }
    if (!inNat) continue;
    if (line.startsWith(":")) {
      const name = line.slice(1).split(" ")[0] ?? "";
      if (own.has(name)) chains.set(name, []);
      continue;
    }
    const match = /^(?:\[(\d+):(\d+)\] )?(-A (\S+)(?: .*)?)$/.exec(line);
    if (match === null) continue;
    const [, packets = "0", bytes = "0", rule = "", chain = ""] = match;
    const counted = { chain, rule, packets: Number(packets), bytes: Number(bytes) };
    const ownRules = chains.get(chain);
    if (ownRules !== undefined) {
      ownRules.push(rule);
      rules.push(counted);
    } else if ((builtins as readonly string[]).includes(chain)) {
      const target = /^-A \S+ -j (\S+)$/.exec(rule)?.[1];
      if (target !== undefined && own.has(target)) {
        jumps.push(rule);
        rules.push(counted);
      }
    }
  }
  const list = [...chains].map(([name, chainRules]) => ({ name, rules: chainRules }));
  list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { table: { chains: list, jumps }, rules };
}

/**
 * Drops "# Generated by ... on <date>" and "# Completed on <date>": they hold the time of the read, so two reads
 * of an unchanged table would otherwise never be equal. Every other line stays as iptables-save printed it.
 */
export function stripSaveTimestamps(text: string): string {
  return text.replace(/^# (?:Generated by|Completed on) .*\n?/gm, "");
}

/**
 * The `iptables-restore --noflush` input that rewrites the given whole chains (`:chain - [0:0]` creates or
 * flushes that chain only, then its rules follow), edits others in place (`-D` the rules that go, then `-A` the
 * ones that come: chains whose order does not matter), and deletes and re-adds jump rules in order. One restore
 * is one kernel transaction, so the table never shows a half-written chain.
 */
export function renderRestore(
  chains: NatChain[],
  deleteJumps: string[],
  addJumps: string[],
  edits: NatEdit[] = [],
): string {
  const lines = ["*nat"];
  for (const chain of chains) lines.push(`:${chain.name} - [0:0]`);
  for (const jump of deleteJumps) lines.push(jump.replace(/^-A /, "-D "));
  for (const edit of edits) for (const rule of edit.remove) lines.push(rule.replace(/^-A /, "-D "));
  for (const chain of chains) lines.push(...chain.rules);
  for (const edit of edits) lines.push(...edit.add);
  lines.push(...addJumps);
  lines.push("COMMIT");
  return `${lines.join("\n")}\n`;
}

/** Rules (in `-A` form) to delete from a chain of ours and to append to it. */
export type NatEdit = { chain: string; remove: string[]; add: string[] };

export type NatChange = { chains: NatChain[]; edits: NatEdit[]; deleteJumps: string[]; addJumps: string[] };

/**
 * The host address a rule of ours matches on, when that is all it matches on (`-d A/32 -j DNAT ...` of the DNAT
 * chains, `-s A/32 -j SNAT ...` of float-snat); null for any other rule.
 */
function hostMatch(rule: string): string | null {
  const match = /^-A \S+ (-[ds] \d+\.\d+\.\d+\.\d+\/32) -j (?:DNAT|SNAT) /.exec(rule);
  return match?.[1] ?? null;
}

/**
 * A chain whose order does not matter: every rule matches one host address and no two the same one, so no
 * packet matches two of them. Its rules can be appended and deleted one by one (Neutron's iptables_manager
 * applies such a diff); any other chain (`<p>-snat`, whose first rule must jump to float-snat) is rewritten whole.
 */
export function isSetChain(rules: readonly string[]): boolean {
  const keys = new Set<string>();
  for (const rule of rules) {
    const key = hostMatch(rule);
    if (key === null || keys.has(key)) return false;
    keys.add(key);
  }
  return true;
}

/**
 * What must change to turn `observed` into `desired`: chains edited in place (set chains that exist, when the
 * edit is shorter than the chain), chains rewritten whole (the others that differ), and jump rules when theirs
 * differ. A set chain holding the same rules in another order is as asked.
 */
export function diffNat(desired: NatTable, observed: NatTable | null): NatChange {
  const seen = new Map((observed?.chains ?? []).map((c) => [c.name, c.rules]));
  const chains: NatChain[] = [];
  const edits: NatEdit[] = [];
  for (const chain of desired.chains) {
    const rules = seen.get(chain.name);
    if (rules !== undefined && sameList(rules, chain.rules)) continue;
    if (rules !== undefined && isSetChain(chain.rules)) {
      const edit = setDifference(chain.name, rules, chain.rules);
      if (edit.remove.length + edit.add.length === 0) continue;
      if (edit.remove.length + edit.add.length < chain.rules.length) {
        edits.push(edit);
        continue;
      }
    }
    chains.push(chain);
  }
  const observedJumps = observed?.jumps ?? [];
  const jumpsDiffer = !sameList(observedJumps, desired.jumps);
  return {
    chains,
    edits,
    deleteJumps: jumpsDiffer ? observedJumps : [],
    addJumps: jumpsDiffer ? desired.jumps : [],
  };
}

/** Multiset difference: a rule the host holds twice is deleted once, so that one copy is left. */
function setDifference(chain: string, have: readonly string[], want: readonly string[]): NatEdit {
  const wanted = new Set(want);
  const kept = new Set<string>();
  const remove: string[] = [];
  for (const rule of have) {
    if (wanted.has(rule) && !kept.has(rule)) kept.add(rule);
    else remove.push(rule);
  }
  return { chain, remove, add: want.filter((rule) => !kept.has(rule)) };
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}
