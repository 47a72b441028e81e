// PURE: the DHCP part of a host's intent. Per network whose DHCP port this host serves (bound here, or not yet
// bound while there is one host): the port's addresses, every DHCP subnet with what its clients are told, and a
// host entry (MAC, fixed IP, Neutron's default hostname) for each port holding an address of such a subnet.
// An isolated subnet (no router interface holds its gateway) reads its metadata through the DHCP port, as with
// Neutron's enable_isolated_metadata: its clients are told the route to 169.254.169.254 via that port's address.
import type { IntentDhcp, IntentDhcpSubnet } from "../../agent/contract/intent";
import { prefixlenOf } from "../../lib/ip";
import { METADATA_ADDRESS } from "../../lib/router-nat";
import type { AllocationRow, NetworkRow, PortRow, SubnetRow } from "../db/schema";
import { type Placement, placedHere } from "./placement";

/** Neutron's default dhcp_lease_duration. */
export const DHCP_LEASE_SECONDS = 86_400;

export type DhcpInputs = Placement & {
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
    const port = onNetwork.find((p) => p.deviceOwner === "network:dhcp" && placedHere(input, p.hostId));
    if (subnets.length === 0 || port === undefined) return [];
    const served = new Map(subnets.map((s) => [s.id, s]));
    const addresses = (allocationsOf.get(port.id) ?? []).flatMap((a) => {
      const subnet = served.get(a.subnetId);
      return subnet
        ? [{ subnet_id: a.subnetId, ip_address: a.ipAddress, prefixlen: prefixlenOf(subnet.cidr) }]
        : [];
    });
    if (addresses.length === 0) return [];
    // Neutron's isolated subnets: those whose gateway no router interface holds (one without gateway among them).
    const routed = new Set(
      onNetwork
        .filter((p) => p.deviceOwner === "network:router_interface")
        .flatMap((p) => allocationsOf.get(p.id) ?? [])
        .filter((a) => served.get(a.subnetId)?.gatewayIp === a.ipAddress)
        .map((a) => a.subnetId),
    );
    // The DHCP port's address on each isolated subnet: where its clients' route to the metadata service leads.
    const metadataVia = new Map(
      addresses.filter((a) => !routed.has(a.subnet_id)).map((a) => [a.subnet_id, a.ip_address]),
    );
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
        subnets: subnets.map((s): IntentDhcpSubnet => {
          const via = metadataVia.get(s.id);
          return {
            id: s.id,
            cidr: s.cidr,
            gateway_ip: s.gatewayIp,
            dns_nameservers: s.dnsNameservers,
            host_routes:
              via === undefined
                ? s.hostRoutes
                : [...s.hostRoutes, { destination: `${METADATA_ADDRESS}/32`, nexthop: via }],
          };
        }),
        hosts,
        mtu: network.mtu,
        lease_duration: DHCP_LEASE_SECONDS,
        ...(metadataVia.size > 0 ? { metadata: true } : {}),
      },
    ];
  });
}
