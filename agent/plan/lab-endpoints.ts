// The two lab endpoints: an instance (a probe namespace with eth0 on br-int, like neutron-debug's probes) and
// a simulated uplink (a namespace on a physical bridge holding the external subnet's gateway address).
import { parseCidr } from "../../lib/ip";
import { deviceNames, namespaceNames } from "../../lib/names";
import type { IntentInstance, IntentUplink } from "../contract/intent";
import { localVlanOf, networkOf, type PlanContext, physicalBridgeOf, portExternalIds } from "./context";
import type { DesiredNamespace, DesiredOvsPort, DesiredRoute } from "./pictures";

export function planInstance(
  instance: IntentInstance,
  ctx: PlanContext,
): { namespace: DesiredNamespace; ports: DesiredOvsPort[] } {
  const network = networkOf(ctx, instance.network_id);
  // On a flat or vlan network the port leaves through this host's own bridge for its physical network: without
  // one it would be plugged with no path (Neutron's binding fails there), so the instance is refused by name.
  if (network.physical_network !== null) physicalBridgeOf(ctx, network.physical_network, network.id);
  const ns = namespaceNames.instance(ctx.prefix, instance.port_id);
  const peer = deviceNames.tap(instance.port_id);
  const routes: DesiredRoute[] = [];
  if (instance.gateway_ip !== null) routes.push({ destination: "default", via: instance.gateway_ip });
  for (const route of instance.host_routes)
    routes.push({ destination: route.destination, via: route.nexthop });
  return {
    namespace: {
      name: ns,
      kind: "instance",
      resourceId: instance.id,
      devices: [
        {
          name: "eth0",
          peer,
          mac: instance.mac_address,
          mtu: instance.mtu,
          addresses: [`${instance.ip_address}/${instance.prefixlen}`],
          announce: false,
        },
      ],
      routes,
      forwarding: false,
      nat: null,
      ...(instance.dhcp === true ? { dhcpClient: "eth0" } : {}),
    },
    ports: [
      {
        name: peer,
        bridge: ctx.integrationBridge,
        tag: localVlanOf(ctx, instance.network_id),
        externalIds: portExternalIds(ctx, {
          portId: instance.port_id,
          mac: instance.mac_address,
          networkId: instance.network_id,
          namespace: ns,
        }),
        resourceId: instance.id,
      },
    ],
  };
}

export function planUplink(
  uplink: IntentUplink,
  ctx: PlanContext,
): { namespace: DesiredNamespace; ports: DesiredOvsPort[] } {
  // The contract only checks the shape of `address`; it reaches `ip addr add`, so parse it for real.
  const { prefixlen } = parseCidr(uplink.address, false);
  if (prefixlen < 1) throw new Error(`Uplink address ${uplink.address} needs a prefix length of 1-32`);
  const bridge = physicalBridgeOf(ctx, uplink.physical_network, uplink.network_id);
  const ns = namespaceNames.uplink(ctx.prefix, uplink.network_id);
  const peer = deviceNames.uplinkTap(uplink.network_id);
  const mtu = ctx.networks.get(uplink.network_id)?.mtu ?? 1500;
  return {
    namespace: {
      name: ns,
      kind: "uplink",
      resourceId: uplink.network_id,
      devices: [{ name: "eth0", peer, mac: null, mtu, addresses: [uplink.address], announce: false }],
      // It is the outside world's router: it answers for its own address and adds nothing else.
      routes: [],
      forwarding: false,
      nat: null,
    },
    ports: [
      {
        name: peer,
        bridge,
        // An access port: untagged outside, the segment's VLAN on the physical bridge for a vlan network.
        tag: uplink.segmentation_id,
        externalIds: portExternalIds(ctx, {
          portId: uplink.network_id,
          mac: null,
          networkId: uplink.network_id,
          namespace: ns,
        }),
        resourceId: uplink.network_id,
      },
    ],
  };
}
