// A router's namespace (Neutron's qrouter-<id>): qr- devices for its interfaces, qg- for its gateway with the
// floating IPs as /32, the default and extra routes, forwarding, its nat and mangle tables and its metadata proxy.
// An HA router also has its ha- device and keepalived, which holds those addresses and routes instead of the
// agent (on the MASTER only); its nat and mangle tables are the same on every node (they match only where the
// addresses are, as in Neutron).
import { deviceNames, haPrimaryVip, namespaceNames } from "../../lib/names";
import { floatingAddresses, renderRouterMangle, renderRouterNat } from "../../lib/router-nat";
import type { IntentRouter } from "../contract/intent";
import { sortAddresses } from "./addresses";
import { localVlanOf, networkOf, type PlanContext, physicalBridgeOf, portExternalIds } from "./context";
import { haDeviceOf, handToKeepalived, keepalivedDaemon } from "./keepalived";
import { type MetadataSettings, metadataProxy } from "./metadata-proxy";
import type { DesiredDevice, DesiredNamespace, DesiredOvsPort, DesiredRoute } from "./pictures";

/** Where HA routers keep keepalived's files: one directory per router. */
export type RouterSettings = MetadataSettings & { haDir: string };

export function planRouter(
  router: IntentRouter,
  ctx: PlanContext,
  settings: RouterSettings,
): { namespace: DesiredNamespace; ports: DesiredOvsPort[] } {
  const ns = namespaceNames.router(ctx.prefix, router.id);
  const devices: DesiredDevice[] = [];
  const ports: DesiredOvsPort[] = [];
  const routes: DesiredRoute[] = [];

  const plug = (
    portId: string,
    networkId: string,
    mac: string,
    name: string,
    addresses: string[],
    announce: boolean,
  ) => {
    const network = networkOf(ctx, networkId);
    const peer = deviceNames.tap(portId);
    devices.push({ name, peer, mac, mtu: network.mtu, addresses: sortAddresses(addresses), announce });
    ports.push({
      name: peer,
      bridge: ctx.integrationBridge,
      tag: localVlanOf(ctx, networkId),
      externalIds: portExternalIds(ctx, { portId, mac, networkId, namespace: ns }),
      resourceId: router.id,
    });
  };

  const gateway = router.gateway;
  if (gateway !== null) {
    const external = networkOf(ctx, gateway.network_id);
    // A gateway whose physical network is not mapped here would have no way out (the old external_network_bridge
    // trap): refuse it.
    if (external.network_type === "flat" || external.network_type === "vlan") {
      physicalBridgeOf(ctx, external.physical_network, external.id);
    }
    plug(
      gateway.port_id,
      gateway.network_id,
      gateway.mac_address,
      deviceNames.routerGateway(gateway.port_id),
      [
        `${gateway.ip_address}/${gateway.prefixlen}`,
        // Those associated with a port and those forwarding ports alike.
        ...floatingAddresses(router).map((address) => `${address}/32`),
      ],
      true,
    );
    if (gateway.gateway_ip !== null) routes.push({ destination: "default", via: gateway.gateway_ip });
  }
  for (const iface of router.interfaces) {
    const name = deviceNames.routerInterface(iface.port_id);
    plug(
      iface.port_id,
      iface.network_id,
      iface.mac_address,
      name,
      [`${iface.ip_address}/${iface.prefixlen}`],
      false,
    );
  }
  for (const route of router.routes) routes.push({ destination: route.destination, via: route.nexthop });

  const namespace: DesiredNamespace = {
    name: ns,
    kind: "router",
    resourceId: router.id,
    devices,
    routes,
    forwarding: true,
    nat: renderRouterNat(router, ctx.chainPrefix),
    mangle: renderRouterMangle(router, ctx.chainPrefix),
    // Instances behind the router read their metadata through it (Neutron's enable_metadata_proxy).
    daemons: router.interfaces.length > 0 ? [metadataProxy({ kind: "router", id: router.id }, settings)] : [],
  };
  const ha = router.ha;
  if (ha === undefined) return { namespace, ports };

  const gatewayDevice = gateway === null ? null : deviceNames.routerGateway(gateway.port_id);
  const split = handToKeepalived(devices, routes, haDeviceOf(ha), gatewayDevice);
  const haPort = ha.ha_port;
  const haAddress = `${haPort.ip_address}/${haPort.prefixlen}`;
  plug(haPort.port_id, haPort.network_id, haPort.mac_address, split.vips.haDevice, [haAddress], false);
  const haDevices = devices
    .slice(split.devices.length)
    .map((d) => ({ ...d, vips: [haPrimaryVip(ha.vr_id)] }));
  return {
    namespace: {
      ...namespace,
      devices: [...split.devices, ...haDevices],
      routes: [],
      vipRoutes: split.vips.routes,
      ipv6: false,
      daemons: [...(namespace.daemons ?? []), keepalivedDaemon(settings.haDir, router.id, ha, split.vips)],
    },
    ports,
  };
}
