// Which of our nat rules (as the agent read them from the host) a packet matches. PURE. This is not a
// re-implementation of netfilter: our chains use only -s/-d (a /32 or a CIDR), -i/-o (possibly negated, a
// trailing `+` matching a name prefix), `-p tcp -m tcp --dport N`, `-m conntrack ! --ctstate DNAT`, and
// -j DNAT/SNAT/REDIRECT/ACCEPT/<our chain>; a rule using anything else is reported as not understood rather than
// guessed at.

import type { NatRuleCounters } from "../../lib/host-snapshot";
import { cidrBounds, toInt } from "../../lib/ip";

/**
 * `-s`/`-d`: a /32 (a floating IP's rules: thousands of them on a busy router) compares as text, the form
 * iptables-save and ip print alike; a wider CIDR by its bounds, worked out once.
 */
type AddressMatch = {
  cidr: string;
  negated: boolean;
  host: string | null;
  bounds?: { first: number; last: number };
};

/** A port or a range of ports, both ends included. */
export type PortSpan = { min: number; max: number };

/** `N`, or a range `A<sep>B`. */
function portSpan(text: string, sep: string): PortSpan {
  const [min, max] = text.split(sep).map(Number);
  return { min: min ?? Number.NaN, max: max ?? min ?? Number.NaN };
}

export type ParsedRule = {
  chain: string;
  text: string;
  packets: number;
  bytes: number;
  src?: AddressMatch;
  dst?: AddressMatch;
  in?: { name: string; negated: boolean };
  out?: { name: string; negated: boolean };
  /** `-m conntrack ! --ctstate DNAT`: true when the rule wants packets that were not DNATed. */
  notDnatted?: boolean;
  /** `-p tcp` (and `-m tcp --dport N` or `--dport A:B`). */
  protocol?: string;
  dport?: PortSpan;
  target: string;
  /** DNAT/SNAT: the address; REDIRECT: the port (`--to-ports`). */
  to?: string;
  /** DNAT to `IP:N` or `IP:A-B` (a port forwarding): the ports, the first for the first port matched. */
  toPorts?: PortSpan;
  /** Words we did not understand: such a rule is never taken to match. */
  unknown: string[];
};

function parseRule(rule: NatRuleCounters): ParsedRule {
  const words = rule.rule.split(/\s+/);
  const parsed: ParsedRule = {
    chain: rule.chain,
    text: rule.rule,
    packets: rule.packets,
    bytes: rule.bytes,
    target: "",
    unknown: [],
  };
  let negate = false;
  for (let i = 0; i < words.length; i++) {
    const word = words[i] ?? "";
    const next = () => words[++i] ?? "";
    switch (word) {
      case "-A":
        next();
        break;
      case "!":
        negate = true;
        continue;
      case "-s":
        parsed.src = addressMatch(next(), negate);
        break;
      case "-d":
        parsed.dst = addressMatch(next(), negate);
        break;
      case "-i":
        parsed.in = { name: next(), negated: negate };
        break;
      case "-o":
        parsed.out = { name: next(), negated: negate };
        break;
      case "-m": {
        const module = next();
        if (module !== "conntrack" && module !== parsed.protocol) parsed.unknown.push(word);
        break;
      }
      case "-p":
        parsed.protocol = next();
        break;
      case "--dport":
        parsed.dport = portSpan(next(), ":");
        break;
      case "--ctstate":
        if (next() === "DNAT" && negate) parsed.notDnatted = true;
        else parsed.unknown.push(word);
        break;
      case "-j":
        parsed.target = next();
        break;
      case "--to-destination": {
        // IP, or IP:port(s) for a port forwarding.
        const [address, ports] = next().split(":");
        parsed.to = address;
        if (ports !== undefined) parsed.toPorts = portSpan(ports, "-");
        break;
      }
      case "--to-source":
      case "--to-ports":
        parsed.to = next();
        break;
      default:
        parsed.unknown.push(word);
    }
    negate = false;
  }
  return parsed;
}

function addressMatch(value: string, negated: boolean): AddressMatch {
  const cidr = value.includes("/") ? value : `${value}/32`;
  return { cidr, negated, host: cidr.endsWith("/32") ? cidr.slice(0, -3) : null };
}

function contains(match: AddressMatch, address: string): boolean {
  if (match.host !== null) return match.host === address;
  match.bounds ??= cidrBounds(match.cidr);
  const n = toInt(address);
  return n >= match.bounds.first && n <= match.bounds.last;
}

type NatPacket = {
  src: string;
  dst: string;
  iif: string | null;
  oif: string | null;
  dnatted: boolean;
  /** Absent: the packet matches no rule that names a protocol or port. */
  protocol?: string;
  port?: number | null;
};

/** `-i`/`-o`: a name, or with a trailing `+` any name it begins (`qr-+`: every router interface). */
const nameMatches = (pattern: string, name: string | null) =>
  name !== null && (pattern.endsWith("+") ? name.startsWith(pattern.slice(0, -1)) : name === pattern);

function ruleMatches(rule: ParsedRule, p: NatPacket): boolean {
  if (rule.unknown.length > 0) return false;
  const test = (cond: { negated: boolean } | undefined, value: boolean) =>
    cond === undefined || (cond.negated ? !value : value);
  if (!test(rule.src, rule.src !== undefined && contains(rule.src, p.src))) return false;
  if (!test(rule.dst, rule.dst !== undefined && contains(rule.dst, p.dst))) return false;
  if (!test(rule.in, rule.in !== undefined && nameMatches(rule.in.name, p.iif))) return false;
  if (!test(rule.out, rule.out !== undefined && nameMatches(rule.out.name, p.oif))) return false;
  if (rule.notDnatted === true && p.dnatted) return false;
  if (rule.protocol !== undefined && rule.protocol !== p.protocol) return false;
  if (
    rule.dport !== undefined &&
    (p.port === undefined || p.port === null || p.port < rule.dport.min || p.port > rule.dport.max)
  )
    return false;
  return true;
}

type NatVerdict = {
  /** The rule that decided (DNAT, SNAT, REDIRECT or ACCEPT), null when no rule of ours matched (the packet goes on). */
  rule: ParsedRule | null;
  /** Rules passed through on the way (jumps), for the record. */
  path: ParsedRule[];
};

/** Rules are parsed when a walk first meets them: a router with 1,000 floating IPs has 3,000 of them. */
const parsedRules = new WeakMap<NatRuleCounters, ParsedRule>();

function parsed(rule: NatRuleCounters): ParsedRule {
  let result = parsedRules.get(rule);
  if (result === undefined) {
    result = parseRule(rule);
    parsedRules.set(rule, result);
  }
  return result;
}

/**
 * Walks `chain` as netfilter does for our rule shapes: first match wins for DNAT/SNAT/ACCEPT; a jump to another
 * of our chains walks that chain and comes back if nothing there decided.
 */
export function walkChain(
  rules: readonly NatRuleCounters[],
  chain: string,
  p: NatPacket,
  depth = 0,
): NatVerdict {
  const path: ParsedRule[] = [];
  if (depth > 4) return { rule: null, path };
  for (const raw of rules) {
    if (raw.chain !== chain) continue;
    const rule = parsed(raw);
    if (!ruleMatches(rule, p)) continue;
    if (["DNAT", "SNAT", "REDIRECT", "ACCEPT"].includes(rule.target)) {
      return { rule, path };
    }
    if (rules.some((r) => r.chain === rule.target)) {
      path.push(rule);
      const inner = walkChain(rules, rule.target, p, depth + 1);
      path.push(...inner.path);
      if (inner.rule !== null) return { rule: inner.rule, path };
    }
  }
  return { rule: null, path };
}

/** `[packets:bytes] -A ...`: how iptables-save -c shows a rule, so the operator sees the counters too. */
export function ruleWithCounters(rule: ParsedRule): string {
  return `[${rule.packets}:${rule.bytes}] ${rule.text}`;
}
