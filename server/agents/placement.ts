// PURE: which rows of the model belong to the host an intent is compiled for. Routers, instances and the ports
// the network service wires (router, DHCP) carry the host they are scheduled on; with a single host, a row not
// yet scheduled is that host's (as it always was), with several it goes nowhere until the scheduler places it.
import type { HostRole } from "../../lib/schemas/host";
import type { AgentRow } from "../db/schema";

/** A host as the compiler sees the others: where its tunnels end, what it maps. */
export type PeerHost = {
  host: string;
  roles: readonly HostRole[] | null;
  /** Its VXLAN tunnel endpoint; null: it has none. */
  local_ip: string | null;
  bridge_mappings: Record<string, string> | null;
};

/** The agents rows (in registration order) as the compiler takes them: those that told who they are. */
export const peersOf = (rows: readonly AgentRow[]): PeerHost[] =>
  rows.flatMap((a) =>
    a.host === null
      ? []
      : [{ host: a.host, roles: a.roles, local_ip: a.localIp, bridge_mappings: a.bridgeMappings }],
  );

export type Placement = {
  /** The host compiled for (null: none known yet). */
  host: string | null;
  /** Every host known, this one included, in registration order; absent: this host alone. */
  hosts?: readonly PeerHost[];
};

/** Several hosts are known: placement matters and tunnels join them. */
export const severalHosts = (p: Placement) => (p.hosts?.length ?? 0) > 1;

/** An HA router's node and its port on the HA network there (Neutron's ha_router_agent_port_bindings). */
export type HaBinding = { routerId: string; host: string; portId: string };

/** PURE: per HA router, the nodes it runs on. */
export function haRouterHosts(bindings: readonly HaBinding[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const b of bindings) out.set(b.routerId, [...(out.get(b.routerId) ?? []), b.host]);
  return out;
}

/** Whether a row placed on `rowHost` (null or "": not placed yet) is this host's. */
export function placedHere(p: Placement, rowHost: string | null): boolean {
  if (rowHost === null || rowHost === "") return !severalHosts(p);
  return rowHost === p.host;
}

/**
 * The host holding a lab's outside world on a physical network (its uplink namespace on the physical bridge):
 * with several hosts the first network node that maps that physical network, so that the gateway address is
 * answered once.
 */
export function uplinkHere(p: Placement, physicalNetwork: string): boolean {
  if (!severalHosts(p)) return true;
  const holder = uplinkHolder(p.hosts ?? [], physicalNetwork);
  return holder !== undefined && holder.host === p.host;
}

/** The first network node (in registration order) that maps `physicalNetwork`: where its outside world lives. */
export const uplinkHolder = <H extends PeerHost>(
  hosts: readonly H[],
  physicalNetwork: string,
): H | undefined =>
  hosts.find(
    (h) =>
      (h.roles === null || h.roles.includes("network")) &&
      h.bridge_mappings !== null &&
      physicalNetwork in h.bridge_mappings,
  );

type PlacedRows = Placement & {
  routers: readonly { id: string; host: string | null }[];
  instances: readonly { id: string; host: string | null; portId: string }[];
  ports: readonly { id: string; hostId: string; deviceOwner: string }[];
  floatingIps: readonly { id: string; routerId: string | null }[];
};

/**
 * The resources another host realises (or none yet, with several hosts): this host's apply says nothing about
 * them, so its revision must not turn them ACTIVE. Unbound workload ports are nobody's: any host may bind them.
 */
export function placedElsewhere(p: PlacedRows): string[] {
  if (!severalHosts(p)) return [];
  const routers = p.routers.filter((r) => !placedHere(p, r.host)).map((r) => r.id);
  const away = new Set(routers);
  const instances = p.instances.filter((i) => !placedHere(p, i.host));
  const probePorts = new Set(p.instances.map((i) => i.portId));
  const ports = p.ports.filter((port) =>
    port.hostId === ""
      ? port.deviceOwner.startsWith("network:") || probePorts.has(port.id)
      : port.hostId !== p.host,
  );
  return [
    ...routers,
    ...instances.map((i) => i.id),
    ...ports.map((port) => port.id),
    ...p.floatingIps.filter((f) => f.routerId !== null && away.has(f.routerId)).map((f) => f.id),
  ];
}
