// Pure facts about the model that both the API views and the intent compiler need, so they never disagree.
import type { NetworkType } from "../../lib/schemas/network";
import type { NetworkRow, SubnetRow } from "../db/schema";

const PHYSNET_MTU = 1500;
const VXLAN_OVERHEAD = 50;

/** The largest MTU a network of this type can carry (Neutron's derivation). */
export function maxMtu(type: NetworkType): number {
  switch (type) {
    case "flat":
    case "vlan":
    case "local":
      return PHYSNET_MTU;
    case "vxlan":
      return PHYSNET_MTU - VXLAN_OVERHEAD;
  }
}

/**
 * The subnet that gives an external network its simulated outside world: the first one with a gateway.
 * Only physical networks (flat, vlan) can reach a physical bridge.
 */
export function uplinkSubnet(
  network: NetworkRow,
  networkSubnets: readonly SubnetRow[],
): SubnetRow | undefined {
  if (!network.routerExternal) return undefined;
  if (network.networkType !== "flat" && network.networkType !== "vlan") return undefined;
  return networkSubnets.find((s) => s.networkId === network.id && s.gatewayIp !== null);
}
