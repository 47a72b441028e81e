// PURE: the DHCP part of a host's intent. Per network whose DHCP port this host serves (bound here, or not yet
// bound while there is one host): the port's addresses, every DHCP subnet with what its clients are told, and a
// host entry (MAC, fixed IP, Neutron's default hostname) for each port holding an address of such a subnet.
import type { IntentDhcp } from "../../agent/contract/intent";
import { prefixlenOf } from "../../lib/ip";
import type { AllocationRow, NetworkRow, PortRow, SubnetRow } from "../db/schema";

/** Neutron's default dhcp_lease_duration. */
export const DHCP_LEASE_SECONDS = 86_400;

export type DhcpInputs = {
  host: string | null;
  networks: NetworkRow[];
  subnets: SubnetRow[];
  ports: Pick<PortRow, "id" | "networkId" | "macAddress" | "deviceOwner" | "hostId">[];
  allocations: AllocationRow[];
};

/** Neutron's hostname for a port without a dns_name: `host-` and its address with dashes. */
export const dhcpHostname = (ip: string) => `host-${ip.replaceAll(".", "-")}`;

export function compileDhcp(input: DhcpInputs): IntentDhcp[] {
  const allocationsOf = new Map<string, AllocationRow[]>();
  for (const a of input.allocations) allocationsOf.set(a.portId, [...(allocationsOf.get(a.portId) ?? []), a]);
  const subnetsOf = new Map<string, SubnetRow[]>();
  for (const s of input.subnets)
    if (s.enableDhcp) subnetsOf.set(s.networkId, [...(subnetsOf.get(s.networkId) ?? []), s]);
  const portsOf = new Map<string, DhcpInputs["ports"]>();
  // Floating IP holders are NAT addresses on a router: nothing asks DHCP for them.
  for (const p of input.ports)
    if (p.deviceOwner !== "network:floatingip")
      portsOf.set(p.networkId, [...(portsOf.get(p.networkId) ?? []), p]);

  return input.networks.flatMap((network) => {
    const subnets = subnetsOf.get(network.id) ?? [];
    const onNetwork = portsOf.get(network.id) ?? [];
    const port = onNetwork.find(
      (p) => p.deviceOwner === "network:dhcp" && (p.hostId === "" || p.hostId === input.host),
    );
    if (subnets.length === 0 || port === undefined) return [];
    const served = new Map(subnets.map((s) => [s.id, s]));
    const addresses = (allocationsOf.get(port.id) ?? []).flatMap((a) => {
      const subnet = served.get(a.subnetId);
      return subnet
        ? [{ subnet_id: a.subnetId, ip_address: a.ipAddress, prefixlen: prefixlenOf(subnet.cidr) }]
        : [];
    });
    if (addresses.length === 0) return [];
    const hosts = onNetwork.flatMap((p) =>
      (allocationsOf.get(p.id) ?? [])
        .filter((a) => served.has(a.subnetId))
        .map((a) => ({
          mac_address: p.macAddress,
          ip_address: a.ipAddress,
          hostname: dhcpHostname(a.ipAddress),
        })),
    );
    return [
      {
        network_id: network.id,
        port_id: port.id,
        mac_address: port.macAddress,
        addresses,
        subnets: subnets.map((s) => ({
          id: s.id,
          cidr: s.cidr,
          gateway_ip: s.gatewayIp,
          dns_nameservers: s.dnsNameservers,
          host_routes: s.hostRoutes,
        })),
        hosts,
        mtu: network.mtu,
        lease_duration: DHCP_LEASE_SECONDS,
      },
    ];
  });
}
