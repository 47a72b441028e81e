// PURE: the model's rows -> the desired state of one host (agent/contract/intent.ts HostIntent). No I/O here, so that
// what a host is told can be tested and compared without a database or an agent.
import type {
  HostIntent,
  IntentFloatingIp,
  IntentInstance,
  IntentNetwork,
  IntentPort,
  IntentPortElsewhere,
  IntentPortForwarding,
  IntentRouter,
  IntentRouterHa,
  IntentUplink,
} from "../../agent/contract/intent";
import { prefixlenOf } from "../../lib/ip";
import type {
  AllocationRow,
  FloatingIpRow,
  InstanceRow,
  NetworkRow,
  PortForwardingRow,
  PortRow,
  RouterRow,
  SubnetRow,
} from "../db/schema";
import { uplinkSubnet } from "../domain/topology";
import { compileDhcp } from "./dhcp-intent";
import { compileFirewall, type SecurityInputs } from "./firewall-intent";
import { type HaBinding, type PeerHost, placedHere, severalHosts, uplinkHere } from "./placement";
import { compileTunnels } from "./tunnels";

export type IntentInputs = {
  revision: number;
  /** The host compiled for; rows not yet scheduled (host null) belong to it while there is one host. */
  host: string | null;
  /** Every host known, in registration order (./placement.ts); absent: this one alone. */
  hosts?: PeerHost[];
  networks: NetworkRow[];
  subnets: SubnetRow[];
  ports: PortRow[];
  allocations: AllocationRow[];
  routers: RouterRow[];
  floatingIps: FloatingIpRow[];
  portForwardings: CompiledPortForwarding[];
  instances: InstanceRow[];
  /** Security groups and port security; absent: the intent carries no firewall (nothing is filtered). */
  security?: SecurityInputs;
  /**
   * HA routers' nodes and their HA ports. Absent: an HA router is pictured as a legacy one on its first node. The
   * packet trace passes only the node that holds it (server/trace/ha.ts activeBindings).
   */
  haBindings?: HaBinding[];
};

type CompiledPortForwarding = Omit<PortForwardingRow, "description" | "createdAt" | "updatedAt">;

/**
 * What the compiler reads: the rows, of which only these columns of the two tables that grow with floating IPs
 * (a router with 1,000 of them has 2,000 ports). The packet trace reads just these to compile the same intent
 * per trace; whole rows (IntentInputs) fit as they are.
 */
export type CompileInputs = Omit<IntentInputs, "ports" | "floatingIps"> & {
  ports: CompiledPort[];
  floatingIps: Pick<
    FloatingIpRow,
    "id" | "floatingIpAddress" | "fixedPortId" | "fixedIpAddress" | "routerId"
  >[];
};
type CompiledPort = Pick<
  PortRow,
  "id" | "networkId" | "macAddress" | "deviceOwner" | "deviceId" | "hostId" | "adminStateUp"
>;

export function compileIntent(input: CompileInputs): HostIntent {
  const subnetById = new Map(input.subnets.map((s) => [s.id, s]));
  const networkById = new Map(input.networks.map((n) => [n.id, n]));
  const usedNetworks = new Set<string>();

  /** A port's only fixed IP with its subnet, as the contract carries it; undefined for a port without one. */
  const address = (port: CompiledPort | undefined) => {
    if (!port) return undefined;
    const allocation = input.allocations.find((a) => a.portId === port.id);
    const subnet = allocation && subnetById.get(allocation.subnetId);
    if (!allocation || !subnet) return undefined;
    usedNetworks.add(port.networkId);
    return {
      subnet,
      fields: {
        port_id: port.id,
        network_id: port.networkId,
        mac_address: port.macAddress,
        ip_address: allocation.ipAddress,
        prefixlen: prefixlenOf(subnet.cidr),
      },
    };
  };
  const portById = new Map(input.ports.map((p) => [p.id, p]));
  /** What makes the router HA on this node: its VRRP id and this node's HA port. */
  const haOf = (router: CompileInputs["routers"][number]): { ha?: IntentRouterHa } => {
    const haPort = address(portById.get(haPortHere.get(router.id) ?? ""));
    return router.ha && router.haVrId !== null && haPort
      ? { ha: { vr_id: router.haVrId, ha_port: haPort.fields } }
      : {};
  };

  // An HA router is on each of its nodes, with this node's own HA port; a legacy one on its host.
  const haPortHere = new Map(
    (input.haBindings ?? []).flatMap((b) => (b.host === input.host ? [[b.routerId, b.portId]] : [])),
  );
  const routers: IntentRouter[] = input.routers
    .filter((r) =>
      r.ha && input.haBindings !== undefined ? haPortHere.has(r.id) : placedHere(input, r.host),
    )
    .map((router) => {
      const gateway = address(router.gwPortId ? portById.get(router.gwPortId) : undefined);
      const interfaces = input.ports
        .filter((p) => p.deviceOwner === "network:router_interface" && p.deviceId === router.id)
        .flatMap((p) => {
          const a = address(p);
          return a ? [a.fields] : [];
        });
      // NAT for a floating IP lives on the router's gateway: without a gateway there is nothing to translate to.
      const floating: IntentFloatingIp[] = gateway
        ? input.floatingIps.flatMap((f) =>
            f.routerId === router.id && f.fixedPortId !== null && f.fixedIpAddress !== null
              ? [{ id: f.id, floating_ip_address: f.floatingIpAddress, fixed_ip_address: f.fixedIpAddress }]
              : [],
          )
        : [];
      // A floating IP forwards ports through the router it was put on (its router_id), with no port of its own.
      const forwarding = new Map(
        input.floatingIps.flatMap((f) =>
          gateway && f.routerId === router.id && f.fixedPortId === null ? [[f.id, f.floatingIpAddress]] : [],
        ),
      );
      const portForwardings: IntentPortForwarding[] = input.portForwardings.flatMap((pf) => {
        const address = forwarding.get(pf.floatingIpId);
        return address === undefined
          ? []
          : [
              {
                id: pf.id,
                floatingip_id: pf.floatingIpId,
                floating_ip_address: address,
                protocol: pf.protocol,
                internal_ip_address: pf.internalIpAddress,
                internal_port_start: pf.internalPortStart,
                internal_port_end: pf.internalPortEnd,
                external_port_start: pf.externalPortStart,
                external_port_end: pf.externalPortEnd,
              },
            ];
      });
      return {
        id: router.id,
        gateway: gateway
          ? { ...gateway.fields, gateway_ip: gateway.subnet.gatewayIp, enable_snat: router.enableSnat }
          : null,
        interfaces,
        routes: router.routes,
        floating_ips: floating,
        port_forwardings: portForwardings,
        ...haOf(router),
      };
    });

  const dhcp = compileDhcp(input);
  // A probe whose subnet this host serves by DHCP takes its address that way, as a VM does, with the routes
  // the server hands out (the route to the metadata service of an isolated subnet among them).
  const servedSubnets = new Map(dhcp.flatMap((d) => d.subnets.map((s) => [s.id, s])));

  const instances: IntentInstance[] = input.instances
    .filter((i) => placedHere(input, i.host))
    .flatMap((instance) => {
      const a = address(portById.get(instance.portId));
      const network = a && networkById.get(a.fields.network_id);
      if (!a || !network) return [];
      return [
        {
          id: instance.id,
          ...a.fields,
          gateway_ip: a.subnet.gatewayIp,
          host_routes: servedSubnets.get(a.subnet.id)?.host_routes ?? a.subnet.hostRoutes,
          mtu: network.mtu,
          ...(servedSubnets.has(a.subnet.id) ? { dhcp: true } : {}),
        },
      ];
    });

  const uplinks: IntentUplink[] = input.networks.flatMap((network) => {
    const subnet = uplinkSubnet(network, input.subnets);
    if (!subnet || subnet.gatewayIp === null || network.physicalNetwork === null) return [];
    if (!uplinkHere(input, network.physicalNetwork)) return [];
    usedNetworks.add(network.id);
    return [
      {
        network_id: network.id,
        physical_network: network.physicalNetwork,
        segmentation_id: network.networkType === "vlan" ? network.segmentationId : null,
        address: `${subnet.gatewayIp}/${prefixlenOf(subnet.cidr)}`,
      },
    ];
  });

  for (const d of dhcp) usedNetworks.add(d.network_id);
  const { ports, elsewhere } = bindablePorts(input, networkById);
  for (const port of ports) usedNetworks.add(port.network_id);

  const networks: IntentNetwork[] = input.networks
    .filter((n) => usedNetworks.has(n.id))
    .map((n) => ({
      id: n.id,
      network_type: n.networkType,
      physical_network: n.physicalNetwork,
      segmentation_id: n.segmentationId,
      mtu: n.mtu,
    }));

  const filtered = [...instances.map((i) => i.port_id), ...ports.map((p) => p.port_id)];
  return {
    revision: input.revision,
    networks,
    routers,
    instances,
    uplinks,
    dhcp,
    ports,
    ports_elsewhere: elsewhere,
    ...(input.security ? compileFirewall(input.security, input.allocations, filtered) : {}),
    ...(severalHosts(input) ? { tunnels: compileTunnels(input) } : {}),
  };
}

/**
 * The ports a workload plugged on this host may be bound to: not the network service's own (`network:*`: routers,
 * floating IPs, DHCP, which their agents wire) nor lab probes' (the agent makes those itself), and not bound or
 * pinned to another host, which are listed apart so that a second plug is refused by name.
 */
function bindablePorts(
  input: CompileInputs,
  networkById: Map<string, unknown>,
): { ports: IntentPort[]; elsewhere: IntentPortElsewhere[] } {
  const probes = new Set(input.instances.map((i) => i.portId));
  const ports: IntentPort[] = [];
  const elsewhere: IntentPortElsewhere[] = [];
  for (const port of input.ports) {
    if (port.deviceOwner.startsWith("network:") || probes.has(port.id) || !networkById.has(port.networkId))
      continue;
    if (port.hostId === "" || port.hostId === input.host) {
      ports.push({
        port_id: port.id,
        network_id: port.networkId,
        mac_address: port.macAddress,
        admin_state_up: port.adminStateUp,
      });
    } else {
      elsewhere.push({ port_id: port.id, host: port.hostId });
    }
  }
  return { ports, elsewhere };
}
