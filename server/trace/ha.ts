// An HA router in the trace: it runs on each of its nodes, but only the node whose keepalived is active holds its
// addresses, so the trace walks it there (the node ha_router_agent_port_bindings records active, with an offline
// node's state "unknown", as `router show` says). With no node active nothing answers for the router's addresses:
// the diagnosis says so. The hop into the router names the active node (the tenant view drops it). PURE.
import type { Diagnosis, Hop } from "../../lib/schemas/trace";
import type { HaBinding } from "../agents/placement";
import type { RouterRow } from "../db/schema";
import type { HaHostState } from "../domain/ha";

/** An HA router's nodes, as `router show` gives them. */
export type HaNodes = Map<string, HaHostState[]>;

/**
 * The node that holds an HA router: the one active; several active (split brain: both keepalived think they
 * are master) the first listed, as the bindings are ordered; none: null.
 */
export function activeNode(nodes: readonly HaHostState[]): string | null {
  return nodes.find((n) => n.ha_state === "active")?.host ?? null;
}

/** The bindings of the nodes that hold their router: what the trace compiles the intents from. */
export function activeBindings(bindings: readonly HaBinding[], nodes: HaNodes): HaBinding[] {
  return bindings.filter((b) => activeNode(nodes.get(b.routerId) ?? []) === b.host);
}

const states = (nodes: readonly HaHostState[]) => nodes.map((n) => `${n.host}: ${n.ha_state}`).join(", ");

/** What the hop into an HA router adds: the node it is walked on, and the others' states. */
export function haNote(nodes: readonly HaHostState[]): string {
  const active = activeNode(nodes);
  const others = nodes.filter((n) => n.host !== active);
  return `HA router, active on ${active ?? "no node"}${others.length === 0 ? "" : ` (${states(others)})`}`;
}

/** `hops` with the first hop in each HA router's namespace naming its active node. */
export function withHaNodes(
  hops: readonly Hop[],
  namespaces: ReadonlyMap<string, readonly HaHostState[]>,
): Hop[] {
  const noted = new Set<string>();
  return hops.map((hop) => {
    const namespace = hop.where.namespace;
    const nodes = namespace === undefined ? undefined : namespaces.get(namespace);
    if (namespace === undefined || nodes === undefined || noted.has(namespace)) return hop;
    noted.add(namespace);
    return { ...hop, decided_by: { ...hop.decided_by, text: `${hop.decided_by.text} [${haNote(nodes)}]` } };
  });
}

/**
 * The HA routers among `routers` (those the path needs) that no node holds: nothing answers for their addresses,
 * so the path stops at `hop`.
 */
export function haDiagnoses(
  routers: readonly Pick<RouterRow, "id" | "name" | "ha">[],
  nodes: HaNodes,
  hop: string | null,
): Diagnosis[] {
  return routers.flatMap((router) => {
    const of = nodes.get(router.id) ?? [];
    if (!router.ha || activeNode(of) !== null) return [];
    const name = router.name === "" ? router.id : router.name;
    return [
      {
        code: "ha-router-not-active",
        hop,
        message: `HA router ${name} is active on no L3 agent${of.length === 0 ? " (it is bound to no node)" : ` (${states(of)})`}: no node holds its addresses, so nothing answers for its gateway, interfaces or floating IPs.`,
        fix: `\`openstack network agent list --router ${name} --long\` shows each node's HA State: bring back the L3 agent of a node that runs it (its keepalived then becomes active), or \`netlens drift repair --all\` to lay the router out on its nodes again.`,
      },
    ];
  });
}
