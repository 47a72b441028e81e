// The host as the agent would read it after applying a plan perfectly: the unit tests diff changes against it.
import type { DesiredHost, ObservedHost } from "../plan/pictures";

/** A host with nothing of ours on it. */
export function emptyHost(): ObservedHost {
  return { namespaces: new Map(), ovsPorts: [], tunnelPorts: [], flows: new Map(), rootLinks: new Map() };
}

/** What the host would report after applying `desired` perfectly. */
export function observedFrom(desired: DesiredHost): ObservedHost {
  const host = emptyHost();
  for (const ns of desired.namespaces) {
    host.namespaces.set(ns.name, {
      name: ns.name,
      loUp: true,
      devices: ns.devices.map((d) => ({
        name: d.name,
        mac: d.mac ?? "02:00:00:00:00:01",
        mtu: d.mtu,
        up: true,
        addresses: [...d.addresses].reverse(),
      })),
      routes: [
        ...ns.routes.map((r) => ({ destination: r.destination, via: r.via, dev: null, protocol: "static" })),
        { destination: "10.0.0.0/24", via: null, dev: "eth0", protocol: "kernel" },
      ],
      nat: ns.nat,
      ...(ns.mangle === undefined ? {} : { mangle: ns.mangle }),
      daemons: (ns.daemons ?? []).map((d) => ({ ...d, pid: 4242 })),
    });
    for (const d of ns.devices) host.rootLinks.set(d.peer, { name: d.peer, up: true, mtu: d.mtu });
  }
  host.ovsPorts = desired.ovsPorts.map((p) => ({
    name: p.name,
    bridge: p.bridge,
    tag: p.tag,
    externalIds: { ...p.externalIds },
    ofport: 3,
  }));
  host.tunnelPorts = desired.tunnelPorts.map((p) => ({ ...p, options: { ...p.options }, ofport: 4 }));
  for (const f of desired.flows) host.flows.set(f.bridge, [...f.flows].reverse());
  return host;
}
