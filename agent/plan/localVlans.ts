// Local VLAN tags on the integration bridge, one per network, as Neutron's OVS agent allocates them. A tag in use
// must never change under running traffic, so tags already seen on the host's ports are kept; only new
// networks take a tag, the lowest free one.
import type { ObservedOvsPort } from "./pictures";

export const MIN_LOCAL_VLAN = 1;
export const MAX_LOCAL_VLAN = 4094;

/** Tags in use on the integration bridge, by network id (from our ports' external_ids and tags). */
export function observedLocalVlans(ports: ObservedOvsPort[], integrationBridge: string): Map<string, number> {
  const tags = new Map<string, number>();
  for (const port of ports) {
    const network = port.externalIds["netlens-network-id"];
    if (port.bridge !== integrationBridge || network === undefined || port.tag === null) continue;
    // The first port seen wins; a port with another tag is retagged by the plan.
    if (!tags.has(network)) tags.set(network, port.tag);
  }
  return tags;
}

/**
 * Tags for `networkIds`: each keeps its existing tag unless another network holds it already; others get the
 * lowest free tag. Throws when the 4094 tags are exhausted.
 */
export function assignLocalVlans(
  networkIds: Iterable<string>,
  existing: Map<string, number>,
): Map<string, number> {
  const wanted = [...new Set(networkIds)];
  const assigned = new Map<string, number>();
  const used = new Set<number>();
  for (const id of wanted) {
    const tag = existing.get(id);
    if (tag !== undefined && tag >= MIN_LOCAL_VLAN && tag <= MAX_LOCAL_VLAN && !used.has(tag)) {
      assigned.set(id, tag);
      used.add(tag);
    }
  }
  let next = MIN_LOCAL_VLAN;
  for (const id of wanted) {
    if (assigned.has(id)) continue;
    while (used.has(next)) next++;
    if (next > MAX_LOCAL_VLAN) throw new Error("No free local VLAN tag left on the integration bridge");
    assigned.set(id, next);
    used.add(next);
  }
  return assigned;
}
