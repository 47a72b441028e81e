// The whole topology the graph draws, read in one go for topology.get: what the network, subnet, port, router,
// floating IP and server lists show a viewer, cut to the fields the graph needs and joined in one pass.
import { and, eq, inArray, or, sql } from "drizzle-orm";
import type { Subnet, TopoBinding, TopoDhcpPort, Topology, TopoPort } from "../../lib/topology";
import type { Executor } from "../db/client";
import { jsonRows, rowsFromJson } from "../db/json-rows";
import { floatingIps, instances, ipAllocations, networks, ports, routers, subnets } from "../db/schema";
import { type HaHostState, haStatesOf } from "./ha";
import { notHaNetwork, notHaPort } from "./haHidden";
import { MEMBER_STATUS_MESSAGE, ownedScope } from "./refs";
import { visibleScope } from "./subnets";
import type { Actor } from "./tx";

/** A port as the topology reads it: where it is, what uses it, where it is bound, its first address. */
type PortFacts = {
  id: string;
  networkId: string;
  deviceOwner: string;
  deviceId: string;
  hostId: string;
  vifType: string;
  status: string;
  ips: { subnetId: string; ip: string }[];
};

const INTERFACE = "network:router_interface";
const GATEWAY = "network:router_gateway";
const DHCP = "network:dhcp";

const NETWORK_KEYS = [
  "id",
  "name",
  "projectId",
  "status",
  "adminStateUp",
  "routerExternal",
  "shared",
  "networkType",
  "physicalNetwork",
  "segmentationId",
] as const;
const SUBNET_KEYS = ["id", "networkId", "name", "cidr", "gatewayIp"] as const;
const PORT_KEYS = ["id", "networkId", "deviceOwner", "deviceId", "hostId", "vifType", "status"] as const;
const ROUTER_KEYS = [
  "id",
  "name",
  "projectId",
  "status",
  "statusMessage",
  "host",
  "adminStateUp",
  "gwPortId",
  "enableSnat",
  "routes",
  "ha",
] as const;
const INSTANCE_KEYS = ["id", "name", "projectId", "status", "portId", "host"] as const;
const FIP_KEYS = [
  "id",
  "floatingIpAddress",
  "fixedIpAddress",
  "fixedPortId",
  "routerId",
  "floatingNetworkId",
  "projectId",
  "status",
] as const;

/**
 * The whole topology `actor` may see, in one answer for the graph: what the network, subnet, port, router,
 * floating IP and server lists would show them, cut to the fields the graph draws. Each table is read as one
 * JSON value (server/db/json.ts says why) and joined here by maps: linear in the size of the cloud (10,000
 * instances: the six lists took ~14 s, mostly the server list's per-row scans, and 15 MB). Members see what they
 * see in those lists (their own, and the shared and external networks) and no host: bindings blank, hosts null.
 */
export async function readTopology(ex: Executor, actor: Actor): Promise<Topology> {
  const admin = actor.role === "admin";
  const ownedRouters = ownedScope(actor, routers.projectId);
  // A router's own ports come with it, whoever owns them (as its interfaces do in router.list).
  const routerPort = and(
    inArray(ports.deviceOwner, [INTERFACE, GATEWAY]),
    inArray(
      ports.deviceId,
      sql`(SELECT ${routers.id}::text FROM ${routers} WHERE ${ownedRouters ?? sql`true`})`,
    ),
  );
  const networkScope = admin
    ? undefined
    : and(
        or(
          inArray(networks.projectId, [...actor.projectIds]),
          eq(networks.shared, true),
          eq(networks.routerExternal, true),
        ),
        notHaNetwork(actor, networks.id),
      );
  const portScope = admin
    ? undefined
    : and(or(ownedScope(actor, ports.projectId), routerPort), notHaPort(actor, ports.deviceOwner));
  const one = async <T>(query: Promise<{ rows: T }[]>) => (await query)[0]?.rows ?? null;
  const [networkRows, subnetRows, portRows, addressRows, routerRows, instanceRows, fipRows] =
    await Promise.all([
      one(
        ex
          .select({ rows: jsonRows(networks, networks.createdAt, NETWORK_KEYS) })
          .from(networks)
          .where(networkScope),
      ),
      one(
        ex
          .select({ rows: jsonRows(subnets, subnets.createdAt, SUBNET_KEYS) })
          .from(subnets)
          .where(visibleScope(actor)),
      ),
      one(
        ex
          .select({ rows: jsonRows(ports, ports.createdAt, PORT_KEYS) })
          .from(ports)
          .where(portScope),
      ),
      one(
        ex
          .select({
            rows: sql<
              [string, string, string][] | null
            >`json_agg(json_build_array(${ipAllocations.portId}, ${ipAllocations.subnetId}, ${ipAllocations.ipAddress}))`,
          })
          .from(ipAllocations)
          .where(
            portScope === undefined
              ? undefined
              : inArray(ipAllocations.portId, ex.select({ id: ports.id }).from(ports).where(portScope)),
          ),
      ),
      one(
        ex
          .select({ rows: jsonRows(routers, routers.createdAt, ROUTER_KEYS) })
          .from(routers)
          .where(ownedRouters),
      ),
      one(
        ex
          .select({ rows: jsonRows(instances, instances.createdAt, INSTANCE_KEYS) })
          .from(instances)
          .where(ownedScope(actor, instances.projectId)),
      ),
      one(
        ex
          .select({ rows: jsonRows(floatingIps, floatingIps.createdAt, FIP_KEYS) })
          .from(floatingIps)
          .where(ownedScope(actor, floatingIps.projectId)),
      ),
    ]);

  const ipsOf = new Map<string, { subnetId: string; ip: string }[]>();
  for (const [portId, subnetId, ip] of addressRows ?? []) {
    append(ipsOf, portId, { subnetId, ip });
  }
  const portsById = new Map<string, PortFacts>();
  const interfacesOf = new Map<string, PortFacts[]>();
  const dhcpOf = new Map<string, TopoDhcpPort>();
  for (const p of rowsFromJson(ports, portRows, PORT_KEYS)) {
    const facts: PortFacts = { ...p, ips: ipsOf.get(p.id) ?? [] };
    portsById.set(p.id, facts);
    if (p.deviceOwner === INTERFACE) append(interfacesOf, p.deviceId, facts);
    if (p.deviceOwner === DHCP) {
      dhcpOf.set(p.networkId, {
        port_id: p.id,
        ip_addresses: facts.ips.map((a) => a.ip),
        status: p.status,
        binding: bindingOf(facts, admin),
      });
    }
  }
  const routerList = rowsFromJson(routers, routerRows, ROUTER_KEYS);
  // Which node is active names hosts: for admins only.
  const haStates = admin
    ? await haStatesOf(
        ex,
        routerList.filter((r) => r.ha).map((r) => r.id),
      )
    : new Map<string, HaHostState[]>();
  const subnetsOf = new Map<string, Subnet[]>();
  for (const s of rowsFromJson(subnets, subnetRows, SUBNET_KEYS)) {
    append(subnetsOf, s.networkId, { id: s.id, name: s.name, cidr: s.cidr, gateway_ip: s.gatewayIp });
  }

  return {
    networks: rowsFromJson(networks, networkRows, NETWORK_KEYS).map((n) => ({
      id: n.id,
      name: n.name,
      project_id: n.projectId,
      status: n.status,
      admin_state_up: n.adminStateUp,
      external: n.routerExternal,
      shared: n.shared,
      network_type: n.networkType,
      physical_network: n.physicalNetwork,
      segmentation_id: n.segmentationId,
      subnets: subnetsOf.get(n.id) ?? [],
      ...(dhcpOf.has(n.id) ? { dhcp: dhcpOf.get(n.id) } : {}),
    })),
    routers: routerList.map((r) => {
      const gw = r.gwPortId === null ? undefined : portsById.get(r.gwPortId);
      const interfaces = interfacesOf.get(r.id) ?? [];
      // Waiting for a network node is no failure on a host: members read why, as admins do (router.show).
      const waiting = r.host === null && r.status === "PENDING";
      const shown = admin || waiting || r.statusMessage === null ? r.statusMessage : MEMBER_STATUS_MESSAGE;
      return {
        id: r.id,
        name: r.name,
        project_id: r.projectId,
        status: r.status,
        admin_state_up: r.adminStateUp,
        gateway: gw ? { ...topoPort(gw, gw.ips[0]), enable_snat: r.enableSnat } : null,
        // One edge per address, as router.list gives its interfaces.
        interfaces: interfaces.flatMap((p) => p.ips.map((a) => topoPort(p, a))),
        routes: r.routes,
        host: admin ? r.host : null,
        status_message: shown,
        ha: r.ha,
        ha_state: haStates.get(r.id) ?? null,
      };
    }),
    instances: rowsFromJson(instances, instanceRows, INSTANCE_KEYS).flatMap((i) => {
      const port = portsById.get(i.portId);
      if (!port) return [];
      return [
        {
          id: i.id,
          name: i.name,
          project_id: i.projectId,
          status: i.status,
          port: topoPort(port, port.ips[0]),
          binding: bindingOf(port, admin),
          host: admin ? i.host : null,
        },
      ];
    }),
    floatingIps: rowsFromJson(floatingIps, fipRows, FIP_KEYS).map((f) => ({
      id: f.id,
      floating_ip_address: f.floatingIpAddress,
      fixed_ip_address: f.fixedIpAddress,
      port_id: f.fixedPortId,
      router_id: f.routerId,
      floating_network_id: f.floatingNetworkId,
      project_id: f.projectId,
      status: f.status,
    })),
  };
}

/** Adds `value` to the list under `key`, in place (linear at any size). */
function append<V>(map: Map<string, V[]>, key: string, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function topoPort(p: PortFacts, address: { subnetId: string; ip: string } | undefined): TopoPort {
  return {
    port_id: p.id,
    network_id: p.networkId,
    subnet_id: address?.subnetId ?? null,
    ip_address: address?.ip ?? null,
    status: p.status,
  };
}

/** binding:host_id is for admins, as in port.list: members read "" (bound, host not said). */
const bindingOf = (p: PortFacts, admin: boolean): TopoBinding => ({
  host: admin ? p.hostId : "",
  bound: p.vifType === "ovs",
});
