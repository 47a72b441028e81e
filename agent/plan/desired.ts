// intent + what the host already uses (local VLAN tags) -> the desired host. Pure. A resource whose plan fails
// (e.g. a gateway on an unmapped physical network) is reported and left exactly as the host has it.
import { namespaceNames } from "../../lib/names";
import type { HostIntent } from "../contract/intent";
import {
  type BridgeSettings,
  type BridgeState,
  noBridgeState,
  planBridgeFlows,
  tunnelSettings,
} from "./bridge-flows";
import type { PlanContext } from "./context";
import { planDhcp } from "./dhcp";
import { planInstance, planUplink } from "./lab-endpoints";
import { assignLocalVlans } from "./localVlans";
import type { DesiredHost, DesiredNamespace, DesiredOvsPort, PlanError } from "./pictures";
import { planRouter, type RouterSettings } from "./router";
import { planTunnels } from "./tunnels";

export type HostSettings = BridgeSettings & {
  prefix: string;
  chainPrefix: string;
  /** Where DHCP servers keep their files: one directory per network. */
  dhcpDir: string;
} & RouterSettings;

export type DesiredPlan = DesiredHost & {
  /** Namespaces of refused resources: the diff must neither change nor delete them (nor their OVS ports). */
  keep: Set<string>;
};

/**
 * The local VLAN of every network with a port on the integration bridge: the tags it has, the lowest free else.
 * `workloadNetworks`: the networks of the interfaces others plugged and the agent binds (plan/bindings.ts); the
 * tags those carry belong in `existingVlans`, so that a network only a VM uses keeps its tag and no other takes it.
 */
export function planLocalVlans(
  intent: HostIntent,
  existingVlans: Map<string, number>,
  workloadNetworks: Iterable<string> = [],
): Map<string, number> {
  // Only networks with a port on the integration bridge take a local VLAN.
  const onIntegration = [
    ...intent.routers.flatMap((r) => [
      ...(r.gateway ? [r.gateway.network_id] : []),
      ...r.interfaces.map((i) => i.network_id),
      ...(r.ha ? [r.ha.ha_port.network_id] : []),
    ]),
    ...intent.instances.map((i) => i.network_id),
    ...(intent.dhcp ?? []).map((d) => d.network_id),
    ...workloadNetworks,
  ].filter((id) => intent.networks.some((n) => n.id === id));
  return assignLocalVlans(onIntegration, existingVlans);
}

/**
 * `only`: the namespaces to plan (an incremental apply plans the resources whose part of the intent changed);
 * the others are left out of the plan, as if the intent did not name them, so it must be diffed only within them.
 */
export function planHost(
  intent: HostIntent,
  settings: HostSettings,
  existingVlans: Map<string, number>,
  only?: ReadonlySet<string>,
  workloadNetworks?: Iterable<string>,
  bridge: BridgeState = noBridgeState,
): DesiredPlan {
  const ctx: PlanContext = {
    ...settings,
    networks: new Map(intent.networks.map((n) => [n.id, n])),
    localVlans: planLocalVlans(intent, existingVlans, workloadNetworks),
  };

  const namespaces: DesiredNamespace[] = [];
  const ovsPorts: DesiredOvsPort[] = [];
  const errors: PlanError[] = [];
  const keep = new Set<string>();
  const add = (
    resourceId: string,
    ns: string,
    plan: () => { namespace: DesiredNamespace; ports: DesiredOvsPort[] },
  ) => {
    if (only !== undefined && !only.has(ns)) return;
    try {
      const planned = plan();
      namespaces.push(planned.namespace);
      ovsPorts.push(...planned.ports);
    } catch (error) {
      errors.push({
        resource_id: resourceId,
        message: error instanceof Error ? error.message : String(error),
      });
      keep.add(ns);
    }
  };
  for (const router of intent.routers) {
    add(router.id, namespaceNames.router(settings.prefix, router.id), () =>
      planRouter(router, ctx, settings),
    );
  }
  for (const instance of intent.instances) {
    add(instance.id, namespaceNames.instance(settings.prefix, instance.port_id), () =>
      planInstance(instance, ctx),
    );
  }
  for (const uplink of intent.uplinks) {
    add(uplink.network_id, namespaceNames.uplink(settings.prefix, uplink.network_id), () =>
      planUplink(uplink, ctx),
    );
  }
  for (const dhcp of intent.dhcp ?? []) {
    add(dhcp.network_id, namespaceNames.dhcp(settings.prefix, dhcp.network_id), () =>
      planDhcp(dhcp, { ...ctx, dhcpDir: settings.dhcpDir }, settings),
    );
  }
  // The ports this apply makes are there when the flows go in (flows come last).
  const present =
    bridge.present === null
      ? null
      : new Set([
          ...bridge.present,
          ...ovsPorts.filter((p) => p.bridge === settings.integrationBridge).map((p) => p.name),
        ]);
  const flows = planBridgeFlows(intent, settings, ctx.localVlans, { ...bridge, present });
  const tunnel = tunnelSettings(settings);
  const tunnelPorts = tunnel === null ? [] : planTunnels(intent, tunnel, ctx.localVlans).ports;
  return { namespaces, ovsPorts, tunnelPorts, flows, errors, keep };
}
