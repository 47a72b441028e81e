// PURE: the tunnels part of a host's intent, as Neutron's OVS agent with l2population has it. For each VXLAN
// network with a port on this host: the tunnel addresses of the other hosts with ports on it (instances, router
// and DHCP ports, bound workloads: every port's binding:host_id says where it is), and those ports' MAC and
// address behind each, so that br-tun floods only to those hosts and sends unicast to the one that has the MAC.
// An HA router's ports are on each of its nodes; which one answers for their MAC is VRRP's choice and moves on
// failover, so those reach every node by flooding and have no unicast entry (which would go to one node only).
import type { IntentTunnelNetwork } from "../../agent/contract/intent";
import type { AllocationRow, NetworkRow, PortRow } from "../db/schema";
import { type HaBinding, haRouterHosts, type Placement, severalHosts } from "./placement";

export type TunnelInputs = Placement & {
  networks: Pick<NetworkRow, "id" | "networkType" | "segmentationId">[];
  ports: Pick<PortRow, "id" | "networkId" | "macAddress" | "deviceOwner" | "deviceId" | "hostId">[];
  allocations: Pick<AllocationRow, "portId" | "ipAddress">[];
  /** HA routers' nodes (ha_router_agent_port_bindings); absent: none. */
  haBindings?: readonly HaBinding[];
};

/** Floating IP holders are addresses in IPAM only: NAT on a router, no device on any bridge. */
const onBridge = (port: TunnelInputs["ports"][number]) => port.deviceOwner !== "network:floatingip";

/** The ports an HA router has on each of its nodes (its HA ports are each on one node). */
const ROUTER_OWNERS = new Set(["network:router_interface", "network:router_gateway"]);

export function compileTunnels(input: TunnelInputs): IntentTunnelNetwork[] {
  if (!severalHosts(input) || input.host === null) return [];
  const endpoints = new Map(
    (input.hosts ?? []).flatMap((h) => (h.local_ip === null ? [] : [[h.host, h.local_ip] as const])),
  );
  if (!endpoints.has(input.host)) return [];
  const addresses = new Map<string, string[]>();
  for (const a of input.allocations)
    addresses.set(a.portId, [...(addresses.get(a.portId) ?? []), a.ipAddress]);
  const haHosts = haRouterHosts(input.haBindings ?? []);
  /** Where a port is: its binding:host_id, or each node of the HA router it belongs to. */
  const hostsOf = (p: TunnelInputs["ports"][number]) =>
    (ROUTER_OWNERS.has(p.deviceOwner) ? haHosts.get(p.deviceId) : undefined) ?? [p.hostId];
  const local = new Set(
    input.ports.filter((p) => hostsOf(p).includes(input.host ?? "") && onBridge(p)).map((p) => p.networkId),
  );
  return input.networks.flatMap((network) => {
    if (network.networkType !== "vxlan" || network.segmentationId === null || !local.has(network.id))
      return [];
    const remote = input.ports.flatMap((p) => {
      if (p.networkId !== network.id || !onBridge(p)) return [];
      const hosts = hostsOf(p);
      return hosts.flatMap((host) => {
        const remoteIp = host !== input.host ? endpoints.get(host) : undefined;
        return remoteIp === undefined ? [] : [{ port: p, remoteIp, moves: hosts.length > 1 }];
      });
    });
    return [
      {
        network_id: network.id,
        segmentation_id: network.segmentationId,
        remote_ips: [...new Set(remote.map((r) => r.remoteIp))].sort(),
        remote_ports: remote.flatMap(({ port, remoteIp, moves }) =>
          moves
            ? []
            : (addresses.get(port.id) ?? []).map((ip) => ({
                mac_address: port.macAddress,
                ip_address: ip,
                remote_ip: remoteIp,
              })),
        ),
      },
    ];
  });
}
