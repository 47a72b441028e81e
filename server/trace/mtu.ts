// MTUs along a traced path: which devices of our namespaces the packet crosses, the path's MTU (the smallest of
// their networks': what the probe sends, Don't Fragment set), and the mtu-mismatch diagnosis, a device whose MTU
// on the host is not its network's. Both ends of a link must agree: a veth drops what is larger than the MTU of
// the end that receives it, silently. PURE.
import type { Diagnosis } from "../../lib/schemas/trace";
import type { NsDevice, Place } from "./places";
import type { WalkResult } from "./walk-state";

/** What the MTU checks read of the model: the networks' MTUs, and names for the messages. */
type MtuModel = {
  networks: ReadonlyMap<string, { id: string; name: string; mtu: number }>;
  instances: ReadonlyMap<string, { name: string }>;
  routers: ReadonlyMap<string, { row: { name: string } }>;
};

/** A device of ours the packet goes in or out by, and the first hop where it does. */
export type Crossing = { place: Place; device: NsDevice; hop: string };

/** The devices the walks cross: each hop's interface, and the interface a routed packet came in by. */
export function crossings(places: readonly Place[], walks: Record<string, WalkResult | null>): Crossing[] {
  const byNamespace = new Map(places.map((p) => [p.namespace, p]));
  const found = new Map<string, Crossing>();
  const add = (namespace: string | undefined, name: string | null | undefined, hop: string) => {
    const place = namespace === undefined ? undefined : byNamespace.get(namespace);
    const device = place?.devices.find((d) => d.name === name);
    const key = `${namespace}/${name}`;
    if (place && device && !found.has(key)) found.set(key, { place, device, hop });
  };
  for (const [name, walk] of Object.entries(walks)) {
    walk?.hops.forEach((h, i) => {
      add(h.where.namespace, h.where.interface, `${name}[${i}]`);
    });
    for (const e of walk?.events ?? []) {
      if (e.type === "routed") add(e.place.namespace, e.iif, `${name}[${e.hop}]`);
    }
  }
  return [...found.values()];
}

const networkMtu = (model: MtuModel, device: NsDevice) => model.networks.get(device.network_id)?.mtu;

/** The smallest MTU of the networks the path crosses (undefined: it crosses none of ours). */
export function pathMtu(model: MtuModel, crossed: readonly Crossing[]): number | undefined {
  const mtus = crossed.flatMap((c) => networkMtu(model, c.device) ?? []);
  return mtus.length === 0 ? undefined : Math.min(...mtus);
}

function placeLabel(model: MtuModel, place: Place): string {
  switch (place.kind) {
    case "instance":
      return `instance ${model.instances.get(place.node_id)?.name || place.node_id}`;
    case "router":
      return `router ${model.routers.get(place.node_id)?.row.name || place.node_id}`;
    case "uplink":
      return `the outside world of network ${model.networks.get(place.node_id)?.name || place.node_id}`;
    case "dhcp":
      return `the DHCP server of network ${model.networks.get(place.node_id)?.name || place.node_id}`;
    default: {
      const unreachable: never = place.kind;
      return String(unreachable);
    }
  }
}

/**
 * mtu-mismatch: a device on the path whose MTU, as the host reports it (`namespace/device` -> MTU), is not its
 * network's, which the agent gives the device's veth peer on the bridge.
 */
export function mtuMismatches(
  model: MtuModel,
  crossed: readonly Crossing[],
  observed: ReadonlyMap<string, number>,
): Diagnosis[] {
  return crossed.flatMap(({ place, device, hop }): Diagnosis[] => {
    const seen = observed.get(`${place.namespace}/${device.name}`);
    const network = model.networks.get(device.network_id);
    if (seen === undefined || network === undefined || seen === network.mtu) return [];
    const net = network.name || network.id;
    const what = `${device.name} of ${placeLabel(model, place)} has MTU ${seen}, but its network ${net} has MTU ${network.mtu}`;
    const effect =
      seen > network.mtu
        ? `packets of ${network.mtu + 1} to ${seen} bytes it sends are dropped by its veth peer ${device.tap} (MTU ${network.mtu}), without an ICMP error`
        : `packets of ${seen + 1} to ${network.mtu} bytes the network brings it are dropped before they reach it, and it cannot send that large`;
    return [
      {
        code: "mtu-mismatch",
        hop,
        message: `${what}: ${effect}.`,
        fix: `Give the device its network's MTU again: ip netns exec ${place.namespace} ip link set ${device.name} mtu ${network.mtu}. If the network should carry ${seen}-byte packets, change the network instead (its every device follows): netlens network set ${net} --mtu ${seen} (at most its physical network's MTU; a vxlan network's is 50 less).`,
      },
    ];
  });
}
