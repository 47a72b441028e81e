// Binding as Neutron's OVS agent does it, pure: each interface someone plugged into the integration bridge with
// `external_ids:iface-id=<port id>` is tagged with its network's local VLAN when the host's intent offers that
// port, and left on the dead VLAN (4095) otherwise (no such port, admin down, bound on another host, plugged
// twice, on a flat or vlan network whose physical network this host has no bridge for), so that it reaches nobody
// until it is bound.
import type { PluggedInterface, PluggedInterfaceState } from "../../lib/host-snapshot";
import type { HostIntent, IntentPort } from "../contract/intent";

/** Neutron's DEAD_VLAN_TAG: the tag of a port the agent will not wire. */
export const DEAD_VLAN = 4095;

/** An interface on the integration bridge without our marks, with an iface-id (read/iface-ids.ts). */
export type ObservedPlugged = {
  name: string;
  ifaceId: string;
  attachedMac: string | null;
  tag: number | null;
  /** -1 (or null): OVS holds the row but the device is gone (a VM's tap after it stopped). */
  ofport: number | null;
  /** other_config:net_uuid, as Neutron's agent records the network of a port it bound. */
  netUuid: string | null;
};

/**
 * The cookie of the binder's flows: apart from the apply's (FLOW_COOKIE), which replaces the whole set of its
 * cookie on each apply, and of which these are no part.
 */
export const DEAD_PORT_COOKIE = "0x4e4c4201";

/**
 * Neutron drops what a dead port sends as well as tagging it 4095: two interfaces on the dead VLAN would
 * otherwise still reach each other. In the form `ovs-ofctl dump-flows` prints (see plan/ovs.ts normalizeFlow).
 */
export function deadPortFlows(
  interfaces: readonly PluggedInterface[],
  plugged: readonly ObservedPlugged[],
): string[] {
  // Someone else chose the name, and it goes into flow text: only names that cannot say more than a name.
  const open = new Set(
    plugged
      .filter((p) => p.ofport !== null && p.ofport > 0 && /^[A-Za-z0-9_.-]{1,64}$/.test(p.name))
      .map((p) => p.name),
  );
  return interfaces
    .filter((i) => i.tag === DEAD_VLAN && open.has(i.name))
    .map((i) => `cookie=${DEAD_PORT_COOKIE},priority=2,in_port=${i.name} actions=drop`)
    .sort();
}

/** A change to one OVS port: its tag, and the network recorded beside it (null: removed). */
export type PortTagChange = { port: string; tag: number; netUuid: string | null };

type Decision = {
  plugged: ObservedPlugged;
  state: PluggedInterfaceState;
  port: IntentPort | null;
  message: string | null;
  portId: string | null;
};

/** physical network -> bridge, as the agent was started with (`--bridge-mapping`). */
type BridgeMappings = Readonly<Record<string, string>>;

function decide(
  intent: HostIntent,
  plugged: readonly ObservedPlugged[],
  mappings: BridgeMappings,
): Decision[] {
  const offered = new Map((intent.ports ?? []).map((p) => [p.port_id, p]));
  const physnets = new Map(intent.networks.map((n) => [n.id, n.physical_network]));
  const elsewhere = new Map((intent.ports_elsewhere ?? []).map((p) => [p.port_id, p.host]));
  const holder = new Map<string, string>();
  return plugged.map((p): Decision => {
    const port = offered.get(p.ifaceId) ?? null;
    if (p.ofport === null || p.ofport < 0)
      return {
        plugged: p,
        state: "unplugged",
        port,
        portId: port?.port_id ?? null,
        message: "its device is gone (OVS could not open it)",
      };
    const host = elsewhere.get(p.ifaceId);
    if (host !== undefined)
      return {
        plugged: p,
        state: "error",
        port: null,
        portId: p.ifaceId,
        message: `Port ${p.ifaceId} is bound to host ${host}`,
      };
    if (port === null)
      return {
        plugged: p,
        state: "unbound",
        port: null,
        portId: null,
        message: `No port ${p.ifaceId} on this host`,
      };
    const first = holder.get(port.port_id);
    if (first !== undefined)
      return {
        plugged: p,
        state: "error",
        port,
        portId: port.port_id,
        message: `Port ${port.port_id} is already plugged here as ${first}`,
      };
    holder.set(port.port_id, p.name);
    if (!port.admin_state_up)
      return {
        plugged: p,
        state: "down",
        port,
        portId: port.port_id,
        message: `Port ${port.port_id} is administratively down`,
      };
    // Neutron's OVS mechanism driver fails such a binding (binding_failed): the port would have no path.
    const physnet = physnets.get(port.network_id) ?? null;
    if (physnet !== null && !Object.hasOwn(mappings, physnet))
      return {
        plugged: p,
        state: "error",
        port,
        portId: port.port_id,
        message: `Physical network ${physnet} of network ${port.network_id} has no bridge mapping on this host: port ${port.port_id} cannot be bound here`,
      };
    return { plugged: p, state: "bound", port, portId: port.port_id, message: null };
  });
}

/** The networks of the interfaces that will be bound: each needs a local VLAN on the integration bridge. */
export function workloadNetworks(
  intent: HostIntent,
  plugged: readonly ObservedPlugged[],
  mappings: BridgeMappings,
): string[] {
  return decide(intent, plugged, mappings).flatMap((d) =>
    d.state === "bound" && d.port ? [d.port.network_id] : [],
  );
}

/** The local VLAN tags that bound workloads carry now (their other_config:net_uuid and tag). */
export function pluggedLocalVlans(plugged: readonly ObservedPlugged[]): Map<string, number> {
  const tags = new Map<string, number>();
  for (const p of plugged) {
    if (p.netUuid !== null && p.tag !== null && p.tag !== DEAD_VLAN && !tags.has(p.netUuid))
      tags.set(p.netUuid, p.tag);
  }
  return tags;
}

export function planBindings(
  intent: HostIntent,
  plugged: readonly ObservedPlugged[],
  localVlans: ReadonlyMap<string, number>,
  mappings: BridgeMappings,
): { interfaces: PluggedInterface[]; changes: PortTagChange[] } {
  const interfaces: PluggedInterface[] = [];
  const changes: PortTagChange[] = [];
  for (const d of decide(intent, plugged, mappings)) {
    let { state, message } = d;
    const network = d.port?.network_id ?? null;
    let tag = DEAD_VLAN;
    if (state === "bound" && network !== null) {
      const local = localVlans.get(network);
      if (local === undefined) {
        state = "error";
        message = `Network ${network} has no local VLAN on this host`;
      } else tag = local;
    }
    const netUuid = state === "bound" ? network : null;
    if (d.plugged.tag !== tag || d.plugged.netUuid !== netUuid)
      changes.push({ port: d.plugged.name, tag, netUuid });
    interfaces.push({
      name: d.plugged.name,
      iface_id: d.plugged.ifaceId,
      attached_mac: d.plugged.attachedMac,
      state,
      port_id: d.portId,
      network_id: network,
      tag,
      message,
    });
  }
  return { interfaces, changes };
}
