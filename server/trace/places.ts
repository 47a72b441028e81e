// The host as the walk sees it: our namespaces ("places": an instance's, a router's, an external network's
// simulated outside world, a network's DHCP server), each with its devices, their MACs, addresses and OVS ports. Drawn from the intent
// compiled for the host, the very picture the agent applies, with the names lib/names.ts gives what the agent
// makes: the trace cannot expect anything the agent was not told to make. PURE.
import type {
  HostIntent,
  IntentDhcp,
  IntentInstance,
  IntentRouter,
  IntentUplink,
} from "../../agent/contract/intent";
import { deviceNames, namespaceNames } from "../../lib/names";
import { floatingAddresses, METADATA_ADDRESS } from "../../lib/router-nat";

/** A device in one of our namespaces: its name, MAC, network and OVS port. */
export type NsDevice = {
  name: string;
  /** null: chosen by the kernel (an uplink's veth), read from the host. */
  mac: string | null;
  network_id: string;
  /** The root-namespace end of the veth: the OVS port. */
  tap: string;
  /** null: the integration bridge; else the physical bridge of this physical network. */
  physical_network: string | null;
  port_id: string | null;
  /** The addresses the intent puts on it (a router's gateway also holds its floating IPs as /32). */
  addresses: string[];
};

export type Place = {
  kind: "instance" | "router" | "uplink" | "dhcp";
  namespace: string;
  /** The graph node: instance id, router id, external network id (the uplink), network id (DHCP). */
  node_id: string;
  devices: NsDevice[];
};

export type HostPlaces = {
  /** Every place: instances, routers, uplinks, DHCP servers. */
  all: Place[];
  /** By instance id. */
  instances: Map<string, Place>;
  /** By router id. */
  routers: Map<string, Place>;
  /** By external network id. */
  uplinks: Map<string, Place>;
  /** By network id. */
  dhcp: Map<string, Place>;
};

export function hostPlaces(intent: HostIntent, prefix: string): HostPlaces {
  const instances = new Map(intent.instances.map((i) => [i.id, instancePlace(i, prefix)]));
  const routers = new Map(intent.routers.map((r) => [r.id, routerPlace(r, prefix)]));
  const uplinks = new Map(intent.uplinks.map((u) => [u.network_id, uplinkPlace(u, prefix)]));
  const dhcp = new Map((intent.dhcp ?? []).map((d) => [d.network_id, dhcpPlace(d, prefix)]));
  return withAll({ instances, routers, uplinks, dhcp });
}

const withAll = (maps: Omit<HostPlaces, "all">): HostPlaces => ({
  all: [
    ...maps.instances.values(),
    ...maps.routers.values(),
    ...maps.uplinks.values(),
    ...maps.dhcp.values(),
  ],
  ...maps,
});

/**
 * The places of several hosts, each in its own namespaces (its agent's prefix), and the host of each namespace.
 * A resource on two hosts is walked where it is first met (the hosts in registration order).
 */
export function hostsPlaces(hosts: readonly { host: string; prefix: string; intent: HostIntent }[]): {
  places: HostPlaces;
  hostOf: Map<string, string>;
} {
  const each = hosts.map((h) => ({ host: h.host, places: hostPlaces(h.intent, h.prefix) }));
  const [only] = each;
  const hostOf = new Map(each.flatMap((h) => h.places.all.map((p) => [p.namespace, h.host] as const)));
  if (only !== undefined && each.length === 1) return { places: only.places, hostOf };
  const joined = <K>(pick: (p: HostPlaces) => Map<K, Place>) => {
    const map = new Map<K, Place>();
    for (const h of each) for (const [key, place] of pick(h.places)) if (!map.has(key)) map.set(key, place);
    return map;
  };
  const places = withAll({
    instances: joined((p) => p.instances),
    routers: joined((p) => p.routers),
    uplinks: joined((p) => p.uplinks),
    dhcp: joined((p) => p.dhcp),
  });
  return { places, hostOf };
}

/** A port's device: a veth whose root end is the port's tap on the integration bridge. */
function portDevice(
  name: string,
  port: { port_id: string; network_id: string; mac_address: string; ip_address: string },
  extra: readonly string[] = [],
): NsDevice {
  return {
    name,
    mac: port.mac_address,
    network_id: port.network_id,
    tap: deviceNames.tap(port.port_id),
    physical_network: null,
    port_id: port.port_id,
    addresses: [port.ip_address, ...extra],
  };
}

function instancePlace(instance: IntentInstance, prefix: string): Place {
  return {
    kind: "instance",
    namespace: namespaceNames.instance(prefix, instance.port_id),
    node_id: instance.id,
    devices: [portDevice("eth0", instance)],
  };
}

function routerPlace(router: IntentRouter, prefix: string): Place {
  const { gateway } = router;
  return {
    kind: "router",
    namespace: namespaceNames.router(prefix, router.id),
    node_id: router.id,
    devices: [
      ...(gateway
        ? [portDevice(deviceNames.routerGateway(gateway.port_id), gateway, floatingAddresses(router))]
        : []),
      ...router.interfaces.map((iface) => portDevice(deviceNames.routerInterface(iface.port_id), iface)),
    ],
  };
}

/** A network's DHCP namespace: its port's addresses, and an isolated network's metadata address. */
function dhcpPlace(dhcp: IntentDhcp, prefix: string): Place {
  const [first, ...rest] = dhcp.addresses.map((a) => a.ip_address);
  return {
    kind: "dhcp",
    namespace: namespaceNames.dhcp(prefix, dhcp.network_id),
    node_id: dhcp.network_id,
    devices: [
      portDevice(deviceNames.dhcpInside(dhcp.port_id), { ...dhcp, ip_address: first ?? "" }, [
        ...rest,
        ...(dhcp.metadata === true ? [METADATA_ADDRESS] : []),
      ]),
    ],
  };
}

function uplinkPlace(uplink: IntentUplink, prefix: string): Place {
  return {
    kind: "uplink",
    namespace: namespaceNames.uplink(prefix, uplink.network_id),
    node_id: uplink.network_id,
    devices: [
      {
        name: "eth0",
        mac: null,
        network_id: uplink.network_id,
        tap: deviceNames.uplinkTap(uplink.network_id),
        physical_network: uplink.physical_network,
        port_id: null,
        addresses: [uplinkAddress(uplink)],
      },
    ],
  };
}

/** The address an uplink namespace holds, without its prefix length. */
export function uplinkAddress(uplink: IntentUplink): string {
  return uplink.address.split("/")[0] ?? "";
}
