// All our flows of each bridge for an intent: the patch ports' VLAN translation (plan/ovs.ts) and, on the
// integration bridge, the firewall (plan/firewall.ts) over the ports there. Pure; the apply and its scope both
// plan flows through here, so that they agree.
import { deviceNames } from "../../lib/names";
import type { HostIntent } from "../contract/intent";
import { type BridgePort, type FilteredPort, type FirewallCache, planFirewall } from "./firewall";
import { planFlows } from "./ovs";
import type { DesiredFlows } from "./pictures";

/** What the firewall needs to know of the integration bridge besides the intent. */
export type BridgeState = {
  /**
   * The interfaces the bridge has (or this apply makes): a flow naming another would fail the whole bundle.
   * null: all of them (plans that never reach a bridge).
   */
  present: ReadonlySet<string> | null;
  /** Bound workloads' interfaces, by port id (plan/bindings.ts). */
  workloadPorts: ReadonlyMap<string, string>;
  /** Flows rendered earlier in this apply or the last (none: render all). */
  cache?: FirewallCache;
};

export const noBridgeState: BridgeState = { present: null, workloadPorts: new Map() };

export function planBridgeFlows(
  intent: HostIntent,
  settings: { integrationBridge: string; bridgeMappings: Record<string, string> },
  localVlans: ReadonlyMap<string, number>,
  bridge: BridgeState,
): DesiredFlows[] {
  const flows = planFlows(settings.integrationBridge, settings.bridgeMappings, intent.networks, localVlans);
  const { filtered, others } = firewallPorts(intent, localVlans, bridge);
  return flows.map((f) =>
    f.bridge === settings.integrationBridge
      ? { ...f, flows: [...f.flows, ...planFirewall(filtered, others, bridge.cache)].sort() }
      : f,
  );
}

/**
 * The filtered ports (lab probes, bound workloads) and the other ports of ours on the integration bridge
 * (routers', DHCP servers'), each with its interface and its network's local VLAN. When the intent carries a
 * firewall, a probe or workload it has no entry for is dropped, never left open.
 */
function firewallPorts(
  intent: HostIntent,
  localVlans: ReadonlyMap<string, number>,
  bridge: BridgeState,
): { filtered: FilteredPort[]; others: BridgePort[] } {
  const at = (name: string, networkId: string): BridgePort[] => {
    const vlan = localVlans.get(networkId);
    if (vlan === undefined || (bridge.present !== null && !bridge.present.has(name))) return [];
    return [{ name, vlan }];
  };
  const entries = new Map((intent.firewall ?? []).map((e) => [e.port_id, e]));
  const enforced = intent.firewall !== undefined;
  const filtered: FilteredPort[] = [];
  const filter = (portId: string, name: string, networkId: string) => {
    const entry = entries.get(portId);
    if (entry === undefined && !enforced) return;
    for (const port of at(name, networkId)) filtered.push({ ...port, entry: entry ?? null });
  };
  for (const instance of intent.instances)
    filter(instance.port_id, deviceNames.tap(instance.port_id), instance.network_id);
  for (const port of intent.ports ?? []) {
    const name = bridge.workloadPorts.get(port.port_id);
    if (name !== undefined) filter(port.port_id, name, port.network_id);
  }
  const others: BridgePort[] = [];
  for (const router of intent.routers) {
    const haPort = router.ha?.ha_port;
    for (const p of [
      ...(router.gateway ? [router.gateway] : []),
      ...router.interfaces,
      ...(haPort ? [haPort] : []),
    ])
      others.push(...at(deviceNames.tap(p.port_id), p.network_id));
  }
  for (const dhcp of intent.dhcp ?? []) others.push(...at(deviceNames.tap(dhcp.port_id), dhcp.network_id));
  return { filtered, others };
}
