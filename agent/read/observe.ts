// One snapshot of what the host holds that is ours: namespaces named like ours (with their devices, routes and,
// for routers, nat table), OVS ports carrying our prefix, the managed bridges' flows, and root veth ends.
import { ownNamespacePattern } from "../../lib/names";
import { readDaemon } from "../host/daemon";
import { mapLimit } from "../host/exec";
import { type NamespaceLinks, readNamespace, readRootVeths } from "../host/ip";
import { saveTables } from "../host/iptables";
import { listNamespaces } from "../host/netns";
import type { Ovs } from "../host/ovs";
import { dhcpPaths } from "../plan/dhcp";
import { mergeFlows } from "../plan/flow-filter";
import { parseIptablesSave } from "../plan/iptables";
import { keepalivedPaths } from "../plan/keepalived";
import { metadataProxyPaths } from "../plan/metadata-proxy";
import { FLOW_COOKIE } from "../plan/ovs";
import type { ObservedDaemon, ObservedHost, ObservedNamespace } from "../plan/pictures";

export type ObserveSettings = {
  prefix: string;
  chainPrefix: string;
  bridges: string[];
  dhcpDir: string;
  metadataDir: string;
  /** Where the host's own devices are (a lab host's namespace); null: the root namespace. */
  hostNamespace: string | null;
  haDir: string;
};

/** Processes started at once while reading namespaces: enough to hide latency, few enough for 2 cores. */
const PARALLEL = 4;

/**
 * What to read again (after an apply: what its actions touched; before an incremental apply: what it must see
 * afresh); everything else is taken from `previous`, which nothing else has changed since (one apply at a time).
 */
export type ObserveScope = {
  previous: ObservedHost;
  /** Namespaces whose devices, addresses and routes to read. */
  links: Set<string>;
  /** Router namespaces whose nat table to read. */
  nat: Set<string>;
  /** Devices, addresses and routes already read after the writes (by the apply's own `ip -batch`). */
  known?: ReadonlyMap<string, NamespaceLinks>;
  /** List the namespaces and the root veth ends again (some were added or removed). */
  list: boolean;
  ovsPorts: boolean;
  bridges: string[];
  /**
   * Per bridge, a dump-flows filter (plan/flow-filter.ts): only the flows it covers are read, the others taken
   * from `previous`. A bridge without one (or without flows in `previous`) is read whole.
   */
  flowFilters?: ReadonlyMap<string, readonly string[]>;
};

/**
 * The daemons a namespace of ours may run: dnsmasq in a DHCP namespace, haproxy in a router's or a DHCP's,
 * keepalived in an HA router's.
 */
export async function observeDaemons(
  settings: Pick<ObserveSettings, "dhcpDir" | "metadataDir" | "haDir">,
  kind: string,
  id: string,
): Promise<ObservedDaemon[]> {
  const daemons: ObservedDaemon[] = [];
  if (kind === "qdhcp") {
    const paths = dhcpPaths(settings.dhcpDir, id);
    daemons.push(
      await readDaemon("dnsmasq", paths.dir, paths.pid, [paths.host, paths.addnHosts, paths.opts]),
    );
  }
  if (kind === "qrouter" || kind === "qdhcp") {
    const paths = metadataProxyPaths(settings.metadataDir, id);
    daemons.push(await readDaemon("haproxy", paths.dir, paths.pid, [paths.config]));
  }
  if (kind === "qrouter") {
    const paths = keepalivedPaths(settings.haDir, id);
    daemons.push(await readDaemon("keepalived", paths.dir, paths.pid, [paths.config]));
  }
  // A daemon neither running nor configured is no daemon of this namespace.
  return daemons.filter((d) => d.pid !== null || Object.values(d.files).some((text) => text !== null));
}

export async function observeHost(
  ovs: Ovs,
  settings: ObserveSettings,
  scope?: ObserveScope,
): Promise<ObservedHost> {
  const pattern = ownNamespacePattern(settings.prefix);
  const bridges = scope?.bridges ?? settings.bridges;
  const previous = scope?.previous;
  const [names, { ports: ovsPorts, tunnels: tunnelPorts }, rootLinks, flowLists] = await Promise.all([
    scope && !scope.list
      ? [...scope.previous.namespaces.keys()]
      : listNamespaces().then((all) => all.filter((name) => pattern.test(name))),
    scope && !scope.ovsPorts
      ? { ports: scope.previous.ovsPorts, tunnels: scope.previous.tunnelPorts }
      : ovs.listOwnPorts(settings.prefix),
    scope && !scope.list ? scope.previous.rootLinks : readRootVeths(settings.hostNamespace),
    Promise.all(bridges.map((bridge) => readFlows(ovs, bridge, scope))),
  ]);
  // With a scope, a namespace it does not name and the picture does not hold (made by someone else) is left out.
  const reread = scope ? names.filter((name) => scope.links.has(name) || scope.nat.has(name)) : names;
  const fresh = await mapLimit(reread, PARALLEL, async (name): Promise<ObservedNamespace> => {
    const old = previous?.namespaces.get(name);
    // A namespace the picture does not hold yet is read whole.
    const [, kind, id = ""] = pattern.exec(name) ?? [];
    const isRouter = kind === "qrouter";
    const readLinks = !scope || old === undefined || scope.links.has(name);
    const readNat = isRouter && (!scope || old === undefined || scope.nat.has(name));
    const known = scope?.known?.get(name);
    const readDaemons = !scope || old === undefined || scope.links.has(name);
    // nat and mangle from one iptables-save: a process per router rather than per table.
    const tables = readNat ? saveTables(name) : null;
    const [links, nat, mangle, daemons] = await Promise.all([
      readLinks ? (known ?? readNamespace(name)) : (old as ObservedNamespace),
      tables === null
        ? (old?.nat ?? null)
        : tables.then((text) => parseIptablesSave(text, settings.chainPrefix).table),
      tables === null
        ? old?.mangle
        : tables.then((text) => parseIptablesSave(text, settings.chainPrefix, "mangle").table),
      readDaemons ? observeDaemons(settings, kind ?? "", id) : (old?.daemons ?? []),
    ]);
    return {
      name,
      loUp: links.loUp,
      devices: links.devices,
      routes: links.routes,
      nat,
      ...(mangle === undefined ? {} : { mangle }),
      ...(daemons.length === 0 ? {} : { daemons }),
    };
  });
  const namespaces = new Map<string, ObservedNamespace>();
  const byName = new Map(fresh.map((ns) => [ns.name, ns]));
  for (const name of names) {
    const ns = byName.get(name) ?? previous?.namespaces.get(name);
    if (ns !== undefined) namespaces.set(name, ns);
  }
  const flows = new Map(previous?.flows ?? []);
  bridges.forEach((bridge, index) => {
    flows.set(bridge, flowLists[index] ?? []);
  });
  return { namespaces, ovsPorts, tunnelPorts, flows, rootLinks };
}

/** A bridge's flows: whole, or only what the scope's filter covers, merged into the last picture's. */
async function readFlows(ovs: Ovs, bridge: string, scope: ObserveScope | undefined): Promise<string[]> {
  const filter = scope?.flowFilters?.get(bridge) ?? [];
  const previous = scope?.previous.flows.get(bridge);
  if (filter.length === 0 || previous === undefined) return ovs.dumpFlows(bridge);
  // A filter naming a port this apply deleted (`in_port=` of its last flows) no longer parses: read it all.
  const read = await ovs.dumpFlows(bridge, FLOW_COOKIE, filter).catch(() => null);
  return read === null ? ovs.dumpFlows(bridge) : mergeFlows(previous, filter, read);
}
