// OpenFlow rules on the patch ports, translating the integration bridge's local VLAN tags to what the physical
// network carries (untagged for flat, the segmentation id for vlan), as Neutron's OVS agent does. Every flow is
// written as `ovs-ofctl --names --no-stats dump-flows` prints it (after normalizeFlow), so they compare as text.
import { deviceNames } from "../../lib/names";
import type { IntentNetwork } from "../contract/intent";
import type { DesiredFlows } from "./pictures";

/** "NL": marks our flows. */
export const FLOW_COOKIE = "0x4e4c";

const flow = (body: string) => `cookie=${FLOW_COOKIE},${body}`;

/**
 * The integration bridge's tables of the firewall (plan/firewall.ts): Neutron's numbers, and the security groups'
 * own rules (73, 83) that every port of a group passes through.
 */
export const FIREWALL_TABLES = {
  ingressSwitch: 60,
  egressBase: 71,
  egressRules: 72,
  egressGroups: 73,
  ingressBase: 81,
  ingressRules: 82,
  ingressGroups: 83,
  acceptedEgress: 91,
  acceptedIngress: 92,
} as const;

/** `load:` of a network's local VLAN into reg6 (the firewall's "which network"), as dump-flows prints it. */
export const loadNetwork = (vlan: number) => `load:0x${vlan.toString(16)}->NXM_NX_REG6[]`;

/** What comes in from a physical network, tagged with its local VLAN, passes the firewall's ingress (table 60). */
const fromPatch = (local: number) =>
  `mod_vlan_vid:${local},${loadNetwork(local)},resubmit(,${FIREWALL_TABLES.ingressSwitch})`;

export function planFlows(
  integrationBridge: string,
  bridgeMappings: Record<string, string>,
  networks: IntentNetwork[],
  localVlans: ReadonlyMap<string, number>,
): DesiredFlows[] {
  const intFlows: string[] = [];
  const result: DesiredFlows[] = [];
  for (const [physnet, bridge] of Object.entries(bridgeMappings)) {
    const intPatch = deviceNames.intPatch(bridge);
    const phyPatch = deviceNames.phyPatch(bridge);
    const phyFlows: string[] = [];
    for (const network of networks) {
      if (network.physical_network !== physnet) continue;
      const local = localVlans.get(network.id);
      if (local === undefined) continue; // no port of this network on this host
      switch (network.network_type) {
        case "flat":
          intFlows.push(
            flow(`priority=3,in_port=${intPatch},vlan_tci=0x0000/0x1fff actions=${fromPatch(local)}`),
          );
          phyFlows.push(flow(`priority=4,in_port=${phyPatch},dl_vlan=${local} actions=strip_vlan,NORMAL`));
          break;
        case "vlan": {
          const segment = network.segmentation_id;
          if (segment === null || segment > 4094) continue;
          intFlows.push(
            flow(`priority=3,in_port=${intPatch},dl_vlan=${segment} actions=${fromPatch(local)}`),
          );
          phyFlows.push(
            flow(`priority=4,in_port=${phyPatch},dl_vlan=${local} actions=mod_vlan_vid:${segment},NORMAL`),
          );
          break;
        }
        case "vxlan":
        case "local":
          // Never leaves the host through a physical bridge (vxlan: through br-tun, plan/tunnels.ts).
          break;
        default: {
          const unreachable: never = network.network_type;
          throw new Error(`Unknown network type ${String(unreachable)}`);
        }
      }
    }
    // Whatever was not translated above does not cross the patch: no leaks between segments.
    intFlows.push(flow(`priority=2,in_port=${intPatch} actions=drop`));
    phyFlows.push(flow(`priority=2,in_port=${phyPatch} actions=drop`));
    phyFlows.push(flow("priority=0 actions=NORMAL"));
    result.push({ bridge, flows: phyFlows.sort() });
  }
  intFlows.push(flow("priority=0 actions=NORMAL"));
  result.unshift({ bridge: integrationBridge, flows: intFlows.sort() });
  return result;
}

/** One line of `ovs-ofctl --names --no-stats dump-flows` in our form: no padding, no quotes around names. */
export function normalizeFlow(line: string): string {
  return line
    .trim()
    .replace(/^cookie=(0x[0-9a-f]+), (table=\d+, )?/, (_, cookie: string, table?: string) =>
      table === undefined ? `cookie=${cookie},` : `cookie=${cookie},${table.replace(", ", ",")}`,
    )
    .replaceAll('"', "");
}
