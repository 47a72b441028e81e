// PURE: the tunnels part of a host's intent, as Neutron's OVS agent with l2population has it. For each VXLAN
// network with a port on this host: the tunnel addresses of the other hosts with ports on it (instances, router
// and DHCP ports, bound workloads: every port's binding:host_id says where it is), and those ports' MAC and
// address behind each, so that br-tun floods only to those hosts and sends unicast to the one that has the MAC.
import type { IntentTunnelNetwork } from "../../agent/contract/intent";
import type { AllocationRow, NetworkRow, PortRow } from "../db/schema";
import { type Placement, severalHosts } from "./placement";

export type TunnelInputs = Placement & {
  networks: Pick<NetworkRow, "id" | "networkType" | "segmentationId">[];
  ports: Pick<PortRow, "id" | "networkId" | "macAddress" | "deviceOwner" | "hostId">[];
  allocations: Pick<AllocationRow, "portId" | "ipAddress">[];
};

/** Floating IP holders are addresses in IPAM only: NAT on a router, no device on any bridge. */
const onBridge = (port: TunnelInputs["ports"][number]) => port.deviceOwner !== "network:floatingip";

export function compileTunnels(input: TunnelInputs): IntentTunnelNetwork[] {
  if (!severalHosts(input) || input.host === null) return [];
  const endpoints = new Map(
    (input.hosts ?? []).flatMap((h) => (h.local_ip === null ? [] : [[h.host, h.local_ip] as const])),
  );
  if (!endpoints.has(input.host)) return [];
  const addresses = new Map<string, string[]>();
  for (const a of input.allocations)
    addresses.set(a.portId, [...(addresses.get(a.portId) ?? []), a.ipAddress]);
  const local = new Set(
    input.ports.filter((p) => p.hostId === input.host && onBridge(p)).map((p) => p.networkId),
  );
  return input.networks.flatMap((network) => {
    if (network.networkType !== "vxlan" || network.segmentationId === null || !local.has(network.id))
      return [];
    const remote = input.ports.flatMap((p) => {
      const remoteIp =
        p.networkId === network.id && p.hostId !== input.host ? endpoints.get(p.hostId) : undefined;
      return remoteIp !== undefined && onBridge(p) ? [{ port: p, remoteIp }] : [];
    });
    return [
      {
        network_id: network.id,
        segmentation_id: network.segmentationId,
        remote_ips: [...new Set(remote.map((r) => r.remoteIp))].sort(),
        remote_ports: remote.flatMap(({ port, remoteIp }) =>
          (addresses.get(port.id) ?? []).map((ip) => ({
            mac_address: port.macAddress,
            ip_address: ip,
            remote_ip: remoteIp,
          })),
        ),
      },
    ];
  });
}
