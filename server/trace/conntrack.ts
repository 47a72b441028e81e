// The traced connection's conntrack entry in each router that translates it: what the walk's NATs say conntrack
// should hold there (the connection as it came in, and its reply as the rules translate it), and the entry of the
// host's table that is that connection. PURE: the entries are the agent's answer to a `conntrack` question.
import type { TraceQuestion } from "../../agent/contract/trace";
import type { ConntrackEntry } from "../../lib/host-snapshot";
import type { Hop, HopConntrack, TraceProtocol } from "../../lib/schemas/trace";
import type { ConnNat } from "./walk-state";

/** A connection translated in a router namespace, as conntrack should track it there. */
export type TrackedConnection = {
  namespace: string;
  protocol: TraceProtocol;
  /** As it came in: conntrack's original direction (dport null for icmp). */
  original: { src: string; dst: string; dport: number | null };
  /** Its reply as the rules translate it: from the DNAT's target (and port), to the SNAT's address. */
  reply: { src: string; dst: string; sport: number | null };
};

/** One connection per router that translated the packet, DNAT and SNAT of one router together. */
export function trackedConnections(nat: readonly ConnNat[], protocol: TraceProtocol): TrackedConnection[] {
  const namespaces = [...new Set(nat.map((n) => n.namespace))];
  return namespaces.flatMap((namespace) => {
    const here = nat.filter((n) => n.namespace === namespace);
    const dnat = here.find((n) => n.kind === "dnat");
    const snat = here.find((n) => n.kind === "snat");
    // The DNAT came first: what it saw is what entered; a SNAT alone saw the packet as it came in.
    const entered = (dnat ?? snat)?.entered;
    if (entered === undefined) return [];
    return [
      {
        namespace,
        protocol,
        original: { src: entered.src, dst: entered.dst, dport: entered.port },
        reply: {
          src: dnat?.after ?? entered.dst,
          dst: snat?.after ?? entered.src,
          sport: dnat?.ports?.after ?? entered.port,
        },
      },
    ];
  });
}

/** The agent's question: the entries of the connection's two addresses, before NAT. */
export function conntrackQuestion(tracked: TrackedConnection): TraceQuestion {
  return {
    kind: "conntrack",
    namespace: tracked.namespace,
    src: tracked.original.src,
    dst: tracked.original.dst,
  };
}

function agrees(entry: ConntrackEntry, tracked: TrackedConnection): boolean {
  const { reply } = tracked;
  return (
    entry.reply.src === reply.src &&
    entry.reply.dst === reply.dst &&
    (reply.sport === null || entry.reply.sport === reply.sport)
  );
}

/** A connection conntrack has seen both ways and keeps (ASSURED), then one answered at all, then the rest. */
function rank(entry: ConntrackEntry, tracked: TrackedConnection): number {
  return (
    (agrees(entry, tracked) ? 4 : 0) +
    (entry.flags.includes("ASSURED") ? 2 : 0) +
    (entry.flags.includes("UNREPLIED") ? 0 : 1)
  );
}

/** The entry of `entries` that is the traced connection (same protocol, addresses and destination port). */
export function matchConntrack(entries: readonly ConntrackEntry[], tracked: TrackedConnection): HopConntrack {
  const { original } = tracked;
  const candidates = entries.filter(
    (e) =>
      e.protocol === tracked.protocol &&
      e.original.src === original.src &&
      e.original.dst === original.dst &&
      (original.dport === null || e.original.dport === original.dport),
  );
  let best: ConntrackEntry | null = null;
  for (const entry of candidates)
    if (best === null || rank(entry, tracked) > rank(best, tracked)) best = entry;
  return {
    entry: best,
    agrees: best !== null && agrees(best, tracked),
    others: Math.max(0, candidates.length - 1),
  };
}

/**
 * Puts a router's entry on the hops it concerns: the forward NAT hops there (where the entry is made, or found),
 * and the reply's hops that conntrack reverses there (where the entry lets the reply through, translated).
 */
export function withConntrack(
  hops: readonly Hop[],
  namespace: string,
  conntrack: HopConntrack,
  direction: "forward" | "reply",
): Hop[] {
  return hops.map((hop) => {
    if (hop.where.namespace !== namespace) return hop;
    const concerned =
      direction === "forward"
        ? hop.action === "dnat" || hop.action === "snat"
        : hop.decided_by.kind === "conntrack";
    return concerned ? { ...hop, conntrack } : hop;
  });
}
