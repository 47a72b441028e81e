// What an apply looks at and what it leaves alone. Incremental applies, as Neutron's L3 agent processes only the
// routers that were updated: a digest of each resource's part of the intent (with its networks and their local
// VLANs) says whether it changed since the host was last left as asked; only changed, removed and repaired
// resources are read, planned and diffed. Pure: the converge loop keeps the digests and the last host picture.
import { createHash } from "node:crypto";
import { namespaceNames, UUID } from "../../lib/names";
import type { HostIntent, IntentNetwork } from "../contract/intent";
import type { NamespaceLinks } from "../host/ip";
import type { Action } from "../plan/actions";
import type { DesiredPlan, HostSettings } from "../plan/desired";
import { commonMatch } from "../plan/flow-filter";
import type { DesiredFlows, ObservedHost } from "../plan/pictures";
import type { ObserveScope } from "../read/observe";

/** One resource's share of the host: its namespace (the key) and a digest of what it asks of it. */
export type Part = { key: string; resourceId: string; digest: string };

const digestOf = (value: unknown): string =>
  createHash("sha256").update(JSON.stringify(value)).digest("base64url").slice(0, 22);

/** Per router, instance and uplink: its namespace and a digest of all that shapes it. */
export function intentParts(
  intent: HostIntent,
  settings: HostSettings,
  localVlans: ReadonlyMap<string, number>,
): Part[] {
  const networks = new Map(intent.networks.map((n) => [n.id, n]));
  // A network shapes a resource through its MTU, type and segment, and its local VLAN on the integration bridge.
  const using = (ids: string[]): [IntentNetwork | null, number | null][] =>
    [...new Set(ids)].sort().map((id) => [networks.get(id) ?? null, localVlans.get(id) ?? null]);
  const parts: Part[] = [];
  for (const router of intent.routers) {
    const nets = [
      ...(router.gateway ? [router.gateway.network_id] : []),
      ...router.interfaces.map((i) => i.network_id),
      ...(router.ha ? [router.ha.ha_port.network_id] : []),
    ];
    parts.push({
      key: namespaceNames.router(settings.prefix, router.id),
      resourceId: router.id,
      digest: digestOf([router, using(nets)]),
    });
  }
  for (const instance of intent.instances) {
    parts.push({
      key: namespaceNames.instance(settings.prefix, instance.port_id),
      resourceId: instance.id,
      digest: digestOf([instance, using([instance.network_id])]),
    });
  }
  for (const dhcp of intent.dhcp ?? []) {
    parts.push({
      key: namespaceNames.dhcp(settings.prefix, dhcp.network_id),
      resourceId: dhcp.network_id,
      digest: digestOf([dhcp, using([dhcp.network_id])]),
    });
  }
  for (const uplink of intent.uplinks) {
    parts.push({
      key: namespaceNames.uplink(settings.prefix, uplink.network_id),
      resourceId: uplink.network_id,
      digest: digestOf([uplink, using([uplink.network_id])]),
    });
  }
  return parts;
}

/** The flows of each bridge as a part: `flows:<bridge>`, owned by the bridge. */
export function flowParts(flows: DesiredFlows[]): Part[] {
  return flows.map((f) => ({
    key: flowKey(f.bridge),
    resourceId: f.bridge,
    digest: f.digest ?? digestOf(f.flows),
  }));
}

export const flowKey = (bridge: string) => `flows:${bridge}`;

export type Scope = {
  /** Namespaces to plan and diff: changed, new, removed, failed last time, or asked to be repaired. */
  namespaces: Set<string>;
  /** Of those, the ones to read from the host rather than from the last picture of it. */
  read: Set<string>;
  /** Namespaces, root veth ends and OVS ports must be listed again (something is new, failed or repaired). */
  list: boolean;
  /** Bridges whose flows to diff. */
  bridges: Set<string>;
};

/** Part key -> digest of what the host was left as (verified), or null where the last apply failed. */
export type Settled = ReadonlyMap<string, string | null>;

/**
 * What an incremental apply looks at. `settled`: what the last applies left (agent/converge/state.ts).
 * `cached`: our namespaces in the last picture of the host.
 * `repair`: resource ids whose drift may be put back. `ownerOf`: a namespace's resource id (from its name).
 * Everything else is left alone: a hand change there stays until the inspection shows it and someone repairs it.
 */
export function selectScope(input: {
  parts: Part[];
  flows: Part[];
  settled: Settled;
  cached: Iterable<string>;
  repair: ReadonlySet<string>;
  ownerOf: (namespace: string) => string | null;
}): Scope {
  const scope: Scope = { namespaces: new Set(), read: new Set(), list: false, bridges: new Set() };
  const wanted = new Set<string>();
  for (const part of input.parts) {
    wanted.add(part.key);
    const settled = input.settled.get(part.key);
    const asked = input.repair.has(part.resourceId);
    if (settled === part.digest && !asked) continue;
    scope.namespaces.add(part.key);
    // Failed last time: what the host holds is not known well enough; asked: drift must be seen to be put back.
    // Otherwise (changed, or new) the last picture, taken after the last apply, is the host; should a hand change
    // make a command fail, the agent reads that namespace and plans it again.
    if (settled === null || asked) scope.read.add(part.key);
  }
  for (const key of input.settled.keys()) {
    if (wanted.has(key) || key.startsWith("flows:")) continue;
    scope.namespaces.add(key); // the intent no longer names it: removed (or its removal failed last time)
    scope.list = true;
  }
  for (const name of input.cached) {
    if (wanted.has(name) || scope.namespaces.has(name)) continue;
    const owner = input.ownerOf(name);
    // Ours but not made by an intent this agent applied: left unless its removal is asked for.
    if (owner !== null && input.repair.has(owner)) {
      scope.namespaces.add(name);
      scope.list = true;
    }
  }
  if (scope.read.size > 0) scope.list = true;
  for (const part of input.flows) {
    if (input.settled.get(part.key) !== part.digest || input.repair.has(part.resourceId))
      scope.bridges.add(part.resourceId);
  }
  return scope;
}

/** The plan and the host picture cut down to the scope, so that the diff neither adds nor removes elsewhere. */
export function restrictToScope(
  plan: DesiredPlan,
  observed: ObservedHost,
  scope: Scope,
): { plan: DesiredPlan; observed: ObservedHost } {
  const inScope = (ns: string | undefined) => ns !== undefined && scope.namespaces.has(ns);
  return {
    plan: {
      ...plan,
      namespaces: plan.namespaces.filter((ns) => inScope(ns.name)),
      ovsPorts: plan.ovsPorts.filter((p) => inScope(p.externalIds["netlens-namespace"])),
      tunnelPorts: plan.tunnelPorts.filter((p) => scope.bridges.has(p.bridge)),
      flows: plan.flows.filter((f) => scope.bridges.has(f.bridge)),
    },
    observed: {
      ...observed,
      namespaces: new Map([...observed.namespaces].filter(([name]) => inScope(name))),
      ovsPorts: observed.ovsPorts.filter((p) => inScope(p.externalIds["netlens-namespace"])),
      // A VXLAN port is the tunnel bridge's, as its flows (which name it): diffed when they are.
      tunnelPorts: observed.tunnelPorts.filter((p) => scope.bridges.has(p.bridge)),
    },
  };
}

/**
 * A full apply that carries a repair list shows an operator's hand change as drift before anything puts it
 * back: an action is held when its resource's part is what the host was last left as, or when it would remove
 * something of ours that no applied intent made — unless the intent asks to repair that resource. A resource
 * whose namespace or OVS port the host lacks altogether (a reboot, an OVS restart) is not a hand change to show
 * but something to rebuild: never held, or statuses would claim what the host does not have. A full apply
 * without a repair list (or with "all") holds nothing.
 */
export function holdUnasked(input: {
  parts: Part[];
  settled: Settled;
  repair: "all" | readonly string[];
  ownerOf: (namespace: string) => string | null;
  actions: readonly Action[];
}): (action: Action) => boolean {
  if (input.repair === "all") return () => false;
  const asked = new Set(input.repair);
  for (const action of input.actions) {
    if (action.kind === "netns-add" || (action.kind === "ovs-port-set" && action.create))
      asked.add(action.resource);
  }
  // A network can own two parts (its uplink and its DHCP server): held only while both are as last left.
  const partsOf = new Map<string, Part[]>();
  for (const p of input.parts) partsOf.set(p.resourceId, [...(partsOf.get(p.resourceId) ?? []), p]);
  const made = new Set<string>();
  for (const key of input.settled.keys()) {
    const owner = input.ownerOf(key);
    if (owner !== null) made.add(owner);
  }
  return (action) => {
    if (asked.has(action.resource)) return false;
    const parts = partsOf.get(action.resource);
    if (parts !== undefined) return parts.every((p) => input.settled.get(p.key) === p.digest);
    return UUID.test(action.resource) && !made.has(action.resource);
  };
}

/**
 * What an apply's actions may have changed, to read again for the self-check: per namespace its links
 * (devices, addresses, routes; already read back by its own batch where it ran) or its nat table, the namespace
 * list and root veth ends when namespaces or veths came or went, the OVS ports if any port action ran, the
 * bridges whose flows changed: with `narrowFlows` (an incremental apply, whose picture of the rest of the
 * bridge is the last self-check's) only their flows that share the changed flows' match (a rule added to
 * 1,000 ports: those 1,000 flows, not the bridge's 31,000).
 */
export function verifyScope(
  previous: ObservedHost,
  actions: Action[],
  readBack: ReadonlyMap<string, NamespaceLinks>,
  narrowFlows = false,
): ObserveScope {
  const links = new Set<string>();
  const nat = new Set<string>();
  const bridges = new Set<string>();
  const changedFlows = new Map<string, string[]>();
  let list = false;
  let ovsPorts = false;
  for (const action of actions) {
    switch (action.kind) {
      case "ovs-port-del":
      case "ovs-port-set":
      case "tunnel-port-set":
        ovsPorts = true;
        break;
      case "flows-set":
        bridges.add(action.bridge);
        changedFlows.set(action.bridge, [
          ...(changedFlows.get(action.bridge) ?? []),
          ...action.add,
          ...action.remove,
        ]);
        break;
      case "root-link-set":
      case "root-link-del":
      case "netns-del":
        list = true;
        break;
      case "netns-add":
        list = true;
        links.add(action.ns);
        nat.add(action.ns);
        break;
      case "veth-add":
      case "link-del":
        list = true;
        links.add(action.ns);
        break;
      case "lo-up":
      case "link-set":
      case "addr-del":
      case "addr-add":
      case "route-del":
      case "route-set":
        links.add(action.ns);
        break;
      case "forwarding":
      case "ipv6-off":
      case "arp-announce":
        break;
      case "nat-chains":
        nat.add(action.ns);
        break;
      case "daemon-stop":
        // With its files gone, its namespace may be going too.
        if (action.purge !== null) list = true;
        links.add(action.ns);
        break;
      case "daemon-files":
      case "daemon-start":
      case "daemon-reload":
      case "dhcp-lease":
        links.add(action.ns);
        break;
      default: {
        const unreachable: never = action;
        throw new Error(`Unknown action ${JSON.stringify(unreachable)}`);
      }
    }
  }
  const flowFilters = new Map(
    narrowFlows ? [...changedFlows].map(([bridge, flows]) => [bridge, commonMatch(flows)]) : [],
  );
  return { previous, links, nat, known: readBack, list, ovsPorts, bridges: [...bridges], flowFilters };
}
