// A small lab topology as an intent, shared by unit tests, integration tests and the bench: an external flat
// network 203.0.113.0/24 whose outside world is an uplink namespace (203.0.113.1), a tenant network
// 10.0.0.0/24, a router between them and one instance with a floating IP.
import type { HostIntent, IntentFloatingIp, IntentRouter } from "../contract/intent";
import type { HostSettings } from "../plan/desired";

/** The planner's settings in the unit tests (prefix t1-; the directories are only named, never made). */
export const unitSettings: HostSettings = {
  prefix: "t1-",
  chainPrefix: "netlens",
  dhcpDir: "/var/lib/netlens-test/dhcp",
  metadataDir: "/var/lib/netlens-test/metadata",
  relaySocket: "/var/lib/netlens-test/metadata/relay.sock",
  haDir: "/var/lib/netlens-test/ha",
  integrationBridge: "br-int",
  bridgeMappings: { public: "br-ex" },
};

export const ids = {
  external: "e0000000-0000-4000-8000-000000000001",
  vlanExternal: "e2000000-0000-4000-8000-000000000002",
  tenant: "a0000000-0000-4000-8000-000000000001",
  tenant2: "a2000000-0000-4000-8000-000000000002",
  router: "b0000000-0000-4000-8000-000000000001",
  gatewayPort: "c1000000-0000-4000-8000-000000000001",
  interfacePort: "c2000000-0000-4000-8000-000000000002",
  interfacePort2: "c3000000-0000-4000-8000-000000000003",
  instance: "d0000000-0000-4000-8000-000000000001",
  instancePort: "c4000000-0000-4000-8000-000000000004",
  fip: "f0000000-0000-4000-8000-000000000001",
  haNetwork: "a9000000-0000-4000-8000-000000000009",
  haPort1: "c9100000-0000-4000-8000-000000000001",
  haPort2: "c9200000-0000-4000-8000-000000000002",
} as const;

/** The project's HA network as Neutron makes it (169.254.192.0/18), here a vlan network on the physical one. */
export const haNetwork = {
  id: ids.haNetwork,
  network_type: "vlan",
  physical_network: "public",
  segmentation_id: 199,
  mtu: 1500,
} as const;

/** The lab router made HA, as node 1 or node 2 of two sees it: the same VIPs, each node its own HA port. */
export function haRouter(node: 1 | 2, overrides: Partial<IntentRouter> = {}): IntentRouter {
  return labRouter({
    ha: {
      vr_id: 1,
      ha_port: {
        port_id: node === 1 ? ids.haPort1 : ids.haPort2,
        network_id: ids.haNetwork,
        mac_address: `fa:16:3e:00:09:0${node}`,
        ip_address: `169.254.192.${node}`,
        prefixlen: 18,
      },
    },
    ...overrides,
  });
}

export const physnet = "public";

export function labRouter(overrides: Partial<IntentRouter> = {}): IntentRouter {
  return {
    id: ids.router,
    gateway: {
      port_id: ids.gatewayPort,
      network_id: ids.external,
      mac_address: "fa:16:3e:00:00:01",
      ip_address: "203.0.113.10",
      prefixlen: 24,
      gateway_ip: "203.0.113.1",
      enable_snat: true,
    },
    interfaces: [
      {
        port_id: ids.interfacePort,
        network_id: ids.tenant,
        mac_address: "fa:16:3e:00:00:02",
        ip_address: "10.0.0.1",
        prefixlen: 24,
      },
    ],
    routes: [],
    floating_ips: [{ id: ids.fip, floating_ip_address: "203.0.113.20", fixed_ip_address: "10.0.0.5" }],
    port_forwardings: [],
    ...overrides,
  };
}

export function labIntent(revision: number, router: IntentRouter | null = labRouter()): HostIntent {
  return {
    revision,
    networks: [
      { id: ids.external, network_type: "flat", physical_network: physnet, segmentation_id: null, mtu: 1500 },
      { id: ids.tenant, network_type: "vxlan", physical_network: null, segmentation_id: 1001, mtu: 1450 },
    ],
    routers: router === null ? [] : [router],
    instances: [
      {
        id: ids.instance,
        port_id: ids.instancePort,
        network_id: ids.tenant,
        mac_address: "fa:16:3e:00:00:05",
        ip_address: "10.0.0.5",
        prefixlen: 24,
        gateway_ip: "10.0.0.1",
        host_routes: [],
        mtu: 1450,
      },
    ],
    uplinks: [
      {
        network_id: ids.external,
        physical_network: physnet,
        segmentation_id: null,
        address: "203.0.113.1/24",
      },
    ],
  };
}

/** `count` (< 64000) floating IPs 10.200.a.b -> fixed 10.100.a.b: private ranges, inside namespaces only. */
export function manyFloatingIps(count: number, offset = 0): IntentFloatingIp[] {
  const fips: IntentFloatingIp[] = [];
  for (let n = offset + 1; n <= offset + count; n++) {
    const host = `${Math.floor(n / 250)}.${(n % 250) + 1}`;
    fips.push({
      id: `f0000000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`,
      floating_ip_address: `10.200.${host}`,
      fixed_ip_address: `10.100.${host}`,
    });
  }
  return fips;
}
