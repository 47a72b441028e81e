// The lab's tenant network served by DHCP, as an intent part shared by unit and integration tests: the DHCP
// port 10.0.0.2 on 10.0.0.0/24 (gateway 10.0.0.1), answering the lab instance's MAC with 10.0.0.5.
import type { IntentDhcp } from "../contract/intent";
import { ids } from "./intent";

export const dhcpIds = {
  port: "c5000000-0000-4000-8000-000000000005",
  subnet: "5b000000-0000-4000-8000-000000000001",
  subnet2: "5b000000-0000-4000-8000-000000000002",
} as const;

/** A client of the DHCP server: its MAC and the address the hosts file gives it. */
export const dhcpClient = {
  mac_address: "fa:16:3e:00:00:05",
  ip_address: "10.0.0.5",
  hostname: "host-10-0-0-5",
};

export function labDhcp(overrides: Partial<IntentDhcp> = {}): IntentDhcp {
  return {
    network_id: ids.tenant,
    port_id: dhcpIds.port,
    mac_address: "fa:16:3e:00:00:06",
    addresses: [{ subnet_id: dhcpIds.subnet, ip_address: "10.0.0.2", prefixlen: 24 }],
    subnets: [
      {
        id: dhcpIds.subnet,
        cidr: "10.0.0.0/24",
        gateway_ip: "10.0.0.1",
        dns_nameservers: [],
        host_routes: [],
      },
    ],
    hosts: [
      { mac_address: "fa:16:3e:00:00:06", ip_address: "10.0.0.2", hostname: "host-10-0-0-2" },
      dhcpClient,
    ],
    mtu: 1450,
    lease_duration: 86_400,
    ...overrides,
  };
}
