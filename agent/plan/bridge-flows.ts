// All our flows of each bridge for an intent: the patch ports' VLAN translation (plan/ovs.ts), the tunnel
// bridge's (plan/tunnels.ts) on a host with a tunnel endpoint and, on the integration bridge, the firewall
// (plan/firewall.ts) over the ports there. Pure; the apply and its scope both
// plan flows through here, so that they agree.
import { deviceNames } from "../../lib/names";
import type { HostIntent } from "../contract/intent";
import { type BridgePort, digestOf, type FilteredPort, type FirewallCache, planFirewall } from "./firewall";
import { planFlows } from "./ovs";
import type { DesiredFlows } from "./pictures";
import { planTunnels } from "./tunnels";

/** The bridges' names, and the tunnel endpoint (with br-tun) of a host that has one. */
export type BridgeSettings = {
  integrationBridge: string;
  bridgeMappings: Record<string, string>;
  tunnelBridge?: string;
  localIp?: string;
};

/** The tunnel bridge's settings when the host has a tunnel endpoint, else null. */
export function tunnelSettings(settings: BridgeSettings) {
  const { integrationBridge, tunnelBridge, localIp } = settings;
  return tunnelBridge === undefined || localIp === undefined
    ? null
    : { integrationBridge, tunnelBridge, localIp };
}

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
  /** The last plan of the bridges, reused while its inputs stay (an apply plans them up to three times). */
  memo?: BridgeFlowsMemo;
};

/** The bridges' flows last planned, for one intent (by identity) and the rest of the inputs (by value). */
export class BridgeFlowsMemo {
  #last: { intent: HostIntent; key: string; flows: DesiredFlows[] } | null = null;

  get(intent: HostIntent, key: string, plan: () => DesiredFlows[]): DesiredFlows[] {
    if (this.#last?.intent === intent && this.#last.key === key) return this.#last.flows;
    const flows = plan();
    this.#last = { intent, key, flows };
    return flows;
  }
}

export const noBridgeState: BridgeState = { present: null, workloadPorts: new Map() };

/** Each bridge's flows, in no particular order (the diff compares them as sets). */
export function planBridgeFlows(
  intent: HostIntent,
  settings: BridgeSettings,
  localVlans: ReadonlyMap<string, number>,
  bridge: BridgeState,
): DesiredFlows[] {
  const { memo } = bridge;
  if (memo === undefined) return render(intent, settings, localVlans, bridge);
  const present = bridge.present === null ? null : [...bridge.present];
  const key = JSON.stringify([settings, [...localVlans], present, [...bridge.workloadPorts]]);
  return memo.get(intent, key, () => render(intent, settings, localVlans, bridge));
}

function render(
  intent: HostIntent,
  settings: BridgeSettings,
  localVlans: ReadonlyMap<string, number>,
  bridge: BridgeState,
): DesiredFlows[] {
  const flows = planFlows(settings.integrationBridge, settings.bridgeMappings, intent.networks, localVlans);
  const { filtered, others } = firewallPorts(intent, localVlans, bridge);
  const groups = intent.security_groups ?? [];
  const tunnel = tunnelSettings(settings);
  const tunnels = tunnel === null ? null : planTunnels(intent, tunnel, localVlans);
  const tunnelling = [...(tunnels?.integrationFlows ?? [])];
  return [
    ...flows.map((f) => {
      if (f.bridge !== settings.integrationBridge) return f;
      const firewall = planFirewall(filtered, others, groups, bridge.cache);
      const plain = [...f.flows, ...tunnelling];
      // Appended rather than copied together: ~12,000 flows on 1,000 filtered ports.
      firewall.flows.push(...plain);
      return { ...f, flows: firewall.flows, digest: `${firewall.digest}:${digestOf(plain)}` };
    }),
    ...(tunnels === null ? [] : [tunnels.tunnelFlows]),
  ];
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
