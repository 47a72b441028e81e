// desired vs observed -> the ordered actions that turn one into the other. Pure. Reconciles by sets: what we
// own (our namespace names, our OVS ports) and is not desired is removed; nothing else is looked at.

import { ownNamespacePattern } from "../../lib/names";
import { type Action, sortActions } from "./actions";
import { normaliseDestination, sortAddresses } from "./addresses";
import { diffDaemons, stopDaemons, strayDaemons } from "./daemons";
import type { DesiredPlan } from "./desired";
import { leaseInstead } from "./dhcp";
import { groupRuleFlow } from "./firewall";
import { diffNat } from "./iptables";
import type { DesiredNamespace, ObservedHost, ObservedNamespace } from "./pictures";

export function diffHost(desired: DesiredPlan, observed: ObservedHost, prefix: string): Action[] {
  const actions: Action[] = [];
  const pattern = ownNamespacePattern(prefix);

  const desiredNamespaces = new Set(desired.namespaces.map((n) => n.name));

  // OVS ports.
  const desiredPorts = new Map(desired.ovsPorts.map((p) => [p.name, p]));
  for (const port of observed.ovsPorts) {
    const owner = port.externalIds["netlens-namespace"];
    if (desiredPorts.has(port.name) || (owner !== undefined && desired.keep.has(owner))) continue;
    const resource = (owner && pattern.exec(owner)?.[2]) || port.name;
    actions.push({ kind: "ovs-port-del", port: port.name, resource });
    // Its namespace goes too: the veth pair goes now rather than whenever the kernel tears the namespace down.
    if (owner !== undefined && !desiredNamespaces.has(owner) && observed.rootLinks.has(port.name))
      actions.push({ kind: "root-link-del", dev: port.name, resource });
  }
  const namespaceActions = desired.namespaces.flatMap((ns) =>
    diffNamespace(ns, observed.namespaces.get(ns.name), observed),
  );
  // A veth made again under the name of an OVS port that stayed (its namespace or its pair was lost): the
  // userspace datapath keeps receiving from the device it opened, now gone, while it sends to the new one, so
  // the port would hear the namespace no more. Plugged again, it opens the new device.
  const remade = new Set(namespaceActions.flatMap((a) => (a.kind === "veth-add" ? [a.peer] : [])));
  const observedPorts = new Map(observed.ovsPorts.map((p) => [p.name, p]));
  for (const port of desired.ovsPorts) {
    const seen = observedPorts.get(port.name);
    const set = { kind: "ovs-port-set", port: port.name, bridge: port.bridge, tag: port.tag } as const;
    const broken = seen !== undefined && (seen.ofport === null || seen.ofport < 0 || remade.has(port.name));
    if (seen === undefined || seen.bridge !== port.bridge || broken) {
      if (seen !== undefined)
        actions.push({ kind: "ovs-port-del", port: port.name, resource: port.resourceId });
      actions.push({ ...set, externalIds: port.externalIds, create: true, resource: port.resourceId });
    } else if (seen.tag !== port.tag || !sameRecord(seen.externalIds, port.externalIds)) {
      actions.push({ ...set, externalIds: port.externalIds, create: false, resource: port.resourceId });
    }
  }

  actions.push(...diffTunnelPorts(desired, observed, prefix));

  // Namespaces.
  for (const name of observed.namespaces.keys()) {
    if (desiredNamespaces.has(name) || desired.keep.has(name)) continue;
    const resource = pattern.exec(name)?.[2] ?? name;
    actions.push(...stopDaemons(observed.namespaces.get(name), name, resource));
    actions.push({ kind: "netns-del", ns: name, resource });
  }
  actions.push(...namespaceActions);

  // Flows.
  // Flows: only those of our cookie are observed, so only those are ever removed.
  for (const { bridge, flows } of desired.flows) {
    const seen = setOf(observed.flows.get(bridge) ?? []);
    const want = setOf(flows);
    const add = [...want].filter((f) => !seen.has(f)).sort();
    const remove = [...seen].filter((f) => !want.has(f)).sort();
    if (add.length > 0 || remove.length > 0) {
      // One flow is atomic by itself; so is, step by step, a change of a group's rules (see groupRuleFlow).
      // A bundle costs OVS ~60 ms more however small: only what must switch at once takes one.
      const atomic = add.length + remove.length > 1 && ![...add, ...remove].every(groupRuleFlow);
      actions.push({ kind: "flows-set", bridge, add, remove, atomic, resource: bridge });
    }
  }
  return sortActions(actions);
}

/** Flow lists as sets, each made once: an apply diffs the same bridge's flows again in its self-check. */
const flowSets = new WeakMap<readonly string[], ReadonlySet<string>>();
function setOf(flows: readonly string[]): ReadonlySet<string> {
  let set = flowSets.get(flows);
  if (set === undefined) {
    set = new Set(flows);
    flowSets.set(flows, set);
  }
  return set;
}

function diffNamespace(
  ns: DesiredNamespace,
  seen: ObservedNamespace | undefined,
  host: ObservedHost,
): Action[] {
  const resource = ns.resourceId;
  const actions: Action[] = [];
  if (seen === undefined) {
    // A daemon of ours left from the namespace's previous life (deleted by hand) would keep that namespace, and
    // the devices in it, alive: it stops before the namespace is made again (nothing when none runs).
    actions.push(...strayDaemons(ns, resource));
    actions.push({ kind: "netns-add", ns: ns.name, resource });
    if (ns.forwarding) actions.push({ kind: "forwarding", ns: ns.name, resource });
    if (ns.ipv6 === false) actions.push({ kind: "ipv6-off", ns: ns.name, resource });
  }
  if (!seen?.loUp) actions.push({ kind: "lo-up", ns: ns.name, resource });

  const wanted = new Set(ns.devices.map((d) => d.name));
  for (const device of seen?.devices ?? []) {
    if (!wanted.has(device.name)) actions.push({ kind: "link-del", ns: ns.name, dev: device.name, resource });
  }
  for (const device of ns.devices) {
    let current = seen?.devices.find((d) => d.name === device.name);
    const root = host.rootLinks.get(device.peer);
    if (current !== undefined && root === undefined) {
      // Its veth peer is not where we put it: recreate the pair rather than guess.
      actions.push({ kind: "link-del", ns: ns.name, dev: device.name, resource });
      current = undefined;
    }
    if (current === undefined) {
      // Its peer left in the root namespace by a namespace deleted under a process still in it (the old pair
      // lives on with that process): the pair goes, or the new one could not take its name.
      if (seen === undefined && root !== undefined)
        actions.push({ kind: "root-link-del", dev: device.peer, resource });
      actions.push({
        kind: "veth-add",
        ns: ns.name,
        dev: device.name,
        peer: device.peer,
        mac: device.mac,
        mtu: device.mtu,
        resource,
      });
      actions.push({
        kind: "link-set",
        ns: ns.name,
        dev: device.name,
        mac: device.mac,
        mtu: device.mtu,
        resource,
      });
      for (const address of device.addresses) {
        actions.push({ kind: "addr-add", ns: ns.name, dev: device.name, address, resource });
        if (device.announce) actions.push(announce(ns.name, device.name, address, resource));
      }
      continue;
    }
    if (root !== undefined && (!root.up || root.mtu !== device.mtu)) {
      actions.push({ kind: "root-link-set", dev: device.peer, mtu: device.mtu, resource });
    }
    if (!current.up || current.mtu !== device.mtu || (device.mac !== null && current.mac !== device.mac)) {
      actions.push({
        kind: "link-set",
        ns: ns.name,
        dev: device.name,
        mac: device.mac,
        mtu: device.mtu,
        resource,
      });
    }
    const have = new Set(current.addresses);
    // keepalived's addresses (an HA router's, on the MASTER) are neither the agent's to add nor to remove.
    const want = new Set([...device.addresses, ...(device.vips ?? [])]);
    for (const address of sortAddresses(current.addresses.filter((a) => !want.has(a)))) {
      actions.push({ kind: "addr-del", ns: ns.name, dev: device.name, address, resource });
    }
    for (const address of device.addresses) {
      if (have.has(address)) continue;
      actions.push({ kind: "addr-add", ns: ns.name, dev: device.name, address, resource });
      if (device.announce) actions.push(announce(ns.name, device.name, address, resource));
    }
  }

  // Routes: every route in our namespace but the kernel's connected ones is ours.
  const haveRoutes = new Map<string, string | null>();
  for (const route of seen?.routes ?? []) {
    if (route.protocol === "kernel") continue;
    haveRoutes.set(normaliseDestination(route.destination), route.via);
  }
  const wantRoutes = new Map(ns.routes.map((r) => [normaliseDestination(r.destination), r.via]));
  // keepalived's routes (an HA router's, on the MASTER) are left to it.
  const keepalived = new Set((ns.vipRoutes ?? []).map((r) => normaliseDestination(r.destination)));
  for (const destination of haveRoutes.keys()) {
    if (!wantRoutes.has(destination) && !keepalived.has(destination))
      actions.push({ kind: "route-del", ns: ns.name, destination, resource });
  }
  for (const [destination, via] of wantRoutes) {
    if (haveRoutes.get(destination) !== via) {
      actions.push({ kind: "route-set", ns: ns.name, destination, via, resource });
    }
  }

  if (seen !== undefined) actions.push(...leftByKeepalived(ns, seen, haveRoutes));

  if (ns.daemons !== undefined || seen?.daemons !== undefined)
    actions.push(...diffDaemons(ns.daemons ?? [], seen?.daemons ?? [], ns.name, resource));
  if (ns.dhcpClient !== undefined) return leaseInstead(actions, ns.dhcpClient);

  const tables = [
    { table: "nat" as const, want: ns.nat, have: seen?.nat ?? null },
    { table: "mangle" as const, want: ns.mangle ?? null, have: seen?.mangle ?? null },
  ];
  for (const { table, want, have } of tables) {
    if (want === null) continue;
    const change = diffNat(want, have);
    if (change.chains.length > 0 || change.edits.length > 0 || change.addJumps.length > 0) {
      actions.push({ kind: "nat-chains", ns: ns.name, table, ...change, resource });
    }
  }
  return actions;
}

/**
 * An HA router whose keepalived is about to start (it died, or never ran): it comes up BACKUP, so the addresses
 * and routes a dead one left behind from its time as MASTER go first, or two nodes would hold the router's.
 */
function leftByKeepalived(
  ns: DesiredNamespace,
  seen: ObservedNamespace,
  haveRoutes: ReadonlyMap<string, string | null>,
): Action[] {
  const wanted = ns.daemons?.some((d) => d.program === "keepalived") ?? false;
  const running = seen.daemons?.some((d) => d.program === "keepalived" && d.pid !== null) ?? false;
  if (!wanted || running) return [];
  const resource = ns.resourceId;
  const actions: Action[] = [];
  for (const device of ns.devices) {
    const current = seen.devices.find((d) => d.name === device.name);
    for (const address of device.vips ?? [])
      if (current?.addresses.includes(address))
        actions.push({ kind: "addr-del", ns: ns.name, dev: device.name, address, resource });
  }
  for (const route of ns.vipRoutes ?? []) {
    const destination = normaliseDestination(route.destination);
    if (haveRoutes.has(destination)) actions.push({ kind: "route-del", ns: ns.name, destination, resource });
  }
  return actions;
}

function announce(ns: string, dev: string, address: string, resource: string): Action {
  return { kind: "arp-announce", ns, dev, address: address.replace(/\/\d+$/, ""), resource };
}

/** VXLAN ports (owned by their bridge): those no network needs go, a missing or changed one is (re)made. */
function diffTunnelPorts(desired: DesiredPlan, observed: ObservedHost, prefix: string): Action[] {
  const actions: Action[] = [];
  const wanted = new Map(desired.tunnelPorts.map((p) => [p.name, p]));
  for (const port of observed.tunnelPorts)
    if (!wanted.has(port.name))
      actions.push({ kind: "ovs-port-del", port: port.name, resource: port.bridge });
  const seen = new Map(observed.tunnelPorts.map((p) => [p.name, p]));
  for (const port of desired.tunnelPorts) {
    const have = seen.get(port.name);
    const set = {
      kind: "tunnel-port-set",
      port: port.name,
      bridge: port.bridge,
      options: port.options,
      externalIds: { "netlens-prefix": prefix },
    } as const;
    if (have === undefined || have.bridge !== port.bridge || have.ofport === null || have.ofport < 0) {
      if (have !== undefined) actions.push({ kind: "ovs-port-del", port: port.name, resource: port.bridge });
      actions.push({ ...set, create: true, resource: port.bridge });
    } else if (!sameRecord(have.options, port.options)) {
      actions.push({ ...set, create: false, resource: port.bridge });
    }
  }
  return actions;
}

function sameRecord(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(b);
  return Object.keys(a).length === keys.length && keys.every((k) => a[k] === b[k]);
}
