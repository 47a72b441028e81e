// Pure facts about the model that both the API views and the intent compiler need, so they never disagree.
import type { NetworkRow, SubnetRow } from "../db/schema";

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
