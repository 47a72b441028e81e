// What every per-resource planner needs to know besides the resource itself.
import type { IntentNetwork } from "../contract/intent";

export type PlanContext = {
  prefix: string;
  chainPrefix: string;
  integrationBridge: string;
  /** physical network -> bridge */
  bridgeMappings: Record<string, string>;
  networks: Map<string, IntentNetwork>;
  /** network id -> local VLAN tag on the integration bridge */
  localVlans: Map<string, number>;
};

export function networkOf(ctx: PlanContext, networkId: string): IntentNetwork {
  const network = ctx.networks.get(networkId);
  if (network === undefined) throw new Error(`Network ${networkId} is not in the intent`);
  return network;
}

export function localVlanOf(ctx: PlanContext, networkId: string): number {
  const tag = ctx.localVlans.get(networkId);
  if (tag === undefined) throw new Error(`Network ${networkId} has no local VLAN`);
  return tag;
}

/** The bridge that carries a network's physical network on this host, or an error naming the trap. */
export function physicalBridgeOf(
  ctx: PlanContext,
  physicalNetwork: string | null,
  networkId: string,
): string {
  if (physicalNetwork === null) throw new Error(`Network ${networkId} has no physical network`);
  const bridge = ctx.bridgeMappings[physicalNetwork];
  if (bridge === undefined) {
    throw new Error(
      `Physical network ${physicalNetwork} of network ${networkId} has no bridge mapping on this host ` +
        "(its port would have no path to that network)",
    );
  }
  return bridge;
}

/** external_ids on every OVS port we make: how we recognise ours, and how Neutron tools recognise a port. */
export function portExternalIds(
  ctx: PlanContext,
  fields: { portId: string; mac: string | null; networkId: string; namespace: string },
): Record<string, string> {
  const ids: Record<string, string> = {
    "iface-id": fields.portId,
    "netlens-namespace": fields.namespace,
    "netlens-network-id": fields.networkId,
    "netlens-prefix": ctx.prefix,
  };
  if (fields.mac !== null) ids["attached-mac"] = fields.mac;
  return ids;
}
