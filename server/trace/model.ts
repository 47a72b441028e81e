// The logical model as the trace needs it: who holds which address on which network, which namespace and
// device that is on the host, which router joins which subnets, which floating IP maps to which fixed IP.
// Read in one read-only transaction so that the rows agree with each other; only the columns the trace reads
// (a router with 1,000 floating IPs has 2,000 ports: reading whole rows was most of a trace's time).
import { eq, ne } from "drizzle-orm";
import { cidrContains, prefixlenOf } from "../../lib/ip";
import { deviceNames, namespaceNames } from "../../lib/names";
import type { Db } from "../db/client";
import {
  type FloatingIpRow,
  floatingIps,
  type InstanceRow,
  instances,
  ipAllocations,
  type NetworkRow,
  networks,
  ports,
  type RouterRow,
  routers,
  type SubnetRow,
  subnets,
} from "../db/schema";
import { uplinkSubnet } from "../domain/topology";

export type ModelPort = {
  id: string;
  network_id: string;
  mac: string;
  ip: string | null;
  subnet_id: string | null;
  owner: string;
  device_id: string;
};

export type ModelRouter = {
  row: RouterRow;
  gateway: ModelPort | null;
  interfaces: ModelPort[];
};

export type ModelUplink = { network: NetworkRow; subnet: SubnetRow; address: string };

/** What the trace reads of a floating IP. */
export type ModelFloatingIp = Pick<
  FloatingIpRow,
  "id" | "floatingIpAddress" | "fixedPortId" | "fixedIpAddress" | "routerId"
>;

export type TraceModel = {
  networks: Map<string, NetworkRow>;
  subnets: Map<string, SubnetRow>;
  ports: Map<string, ModelPort>;
  routers: Map<string, ModelRouter>;
  floatingIps: ModelFloatingIp[];
  instances: Map<string, InstanceRow>;
  /** External networks' simulated outside worlds, by network id. */
  uplinks: Map<string, ModelUplink>;
};

export async function loadTraceModel(db: Db): Promise<TraceModel> {
  return db.transaction(
    async (tx) => {
      const [networkRows, subnetRows, portRows, routerRows, fipRows, instanceRows] = await Promise.all([
        tx.select().from(networks),
        tx.select().from(subnets),
        // A floating IP's own port (network:floatingip) only holds its address in IPAM: the floating IP row
        // says all the trace needs. A port with several fixed IPs comes once per address; the first is kept.
        tx
          .select({
            id: ports.id,
            network_id: ports.networkId,
            mac: ports.macAddress,
            ip: ipAllocations.ipAddress,
            subnet_id: ipAllocations.subnetId,
            owner: ports.deviceOwner,
            device_id: ports.deviceId,
          })
          .from(ports)
          .leftJoin(ipAllocations, eq(ipAllocations.portId, ports.id))
          .where(ne(ports.deviceOwner, "network:floatingip")),
        tx.select().from(routers),
        tx
          .select({
            id: floatingIps.id,
            floatingIpAddress: floatingIps.floatingIpAddress,
            fixedPortId: floatingIps.fixedPortId,
            fixedIpAddress: floatingIps.fixedIpAddress,
            routerId: floatingIps.routerId,
          })
          .from(floatingIps),
        tx.select().from(instances),
      ]);
      const modelPorts = new Map<string, ModelPort>();
      for (const p of portRows) if (!modelPorts.has(p.id)) modelPorts.set(p.id, p);
      const routerMap = new Map<string, ModelRouter>();
      for (const row of routerRows) {
        routerMap.set(row.id, {
          row,
          gateway: row.gwPortId ? (modelPorts.get(row.gwPortId) ?? null) : null,
          interfaces: [...modelPorts.values()].filter(
            (p) => p.owner === "network:router_interface" && p.device_id === row.id,
          ),
        });
      }
      const uplinks = new Map<string, ModelUplink>();
      for (const network of networkRows) {
        const subnet = uplinkSubnet(network, subnetRows);
        if (subnet?.gatewayIp) uplinks.set(network.id, { network, subnet, address: subnet.gatewayIp });
      }
      return {
        networks: new Map(networkRows.map((n) => [n.id, n])),
        subnets: new Map(subnetRows.map((s) => [s.id, s])),
        ports: modelPorts,
        routers: routerMap,
        floatingIps: fipRows,
        instances: new Map(instanceRows.map((i) => [i.id, i])),
        uplinks,
      };
    },
    { isolationLevel: "repeatable read", accessMode: "read only" },
  );
}

/** A namespace of ours, with its devices as the model describes them (name, MAC, network, OVS port). */
export type NsDevice = {
  name: string;
  mac: string | null;
  network_id: string;
  /** The root-namespace end of the veth: the OVS port. */
  tap: string;
  /** null: the integration bridge; else the physical bridge of this physical network. */
  physical_network: string | null;
  port_id: string | null;
  /** The addresses the model puts on it (a router's gateway also holds its floating IPs as /32). */
  addresses: string[];
};

export type Place = {
  kind: "instance" | "router" | "uplink";
  namespace: string;
  /** The graph node: instance id, router id, external network id (the uplink). */
  node_id: string;
  devices: NsDevice[];
};

export function instancePlace(model: TraceModel, instance: InstanceRow, prefix: string): Place | null {
  const port = model.ports.get(instance.portId);
  if (!port) return null;
  return {
    kind: "instance",
    namespace: namespaceNames.instance(prefix, port.id),
    node_id: instance.id,
    devices: [
      {
        name: "eth0",
        mac: port.mac,
        network_id: port.network_id,
        tap: deviceNames.tap(port.id),
        physical_network: null,
        port_id: port.id,
        addresses: port.ip ? [port.ip] : [],
      },
    ],
  };
}

/** The floating IPs the agent puts on a router (as the intent compiler does: only with a gateway). */
export function routerFloatingIps(model: TraceModel, router: ModelRouter): ModelFloatingIp[] {
  if (!router.gateway) return [];
  return model.floatingIps.filter(
    (f) => f.routerId === router.row.id && f.fixedPortId !== null && f.fixedIpAddress !== null,
  );
}

export function routerPlace(model: TraceModel, router: ModelRouter, prefix: string): Place {
  const devices: NsDevice[] = [];
  const plug = (port: ModelPort, name: string, extra: string[]) =>
    devices.push({
      name,
      mac: port.mac,
      network_id: port.network_id,
      tap: deviceNames.tap(port.id),
      physical_network: null,
      port_id: port.id,
      addresses: [...(port.ip ? [port.ip] : []), ...extra],
    });
  if (router.gateway)
    plug(
      router.gateway,
      deviceNames.routerGateway(router.gateway.id),
      routerFloatingIps(model, router).map((f) => f.floatingIpAddress),
    );
  for (const iface of router.interfaces) plug(iface, deviceNames.routerInterface(iface.id), []);
  return {
    kind: "router",
    namespace: namespaceNames.router(prefix, router.row.id),
    node_id: router.row.id,
    devices,
  };
}

export function uplinkPlace(uplink: ModelUplink, prefix: string, mac: string | null): Place {
  return {
    kind: "uplink",
    namespace: namespaceNames.uplink(prefix, uplink.network.id),
    node_id: uplink.network.id,
    devices: [
      {
        name: "eth0",
        mac,
        network_id: uplink.network.id,
        tap: deviceNames.uplinkTap(uplink.network.id),
        physical_network: uplink.network.physicalNetwork,
        port_id: null,
        addresses: [uplink.address],
      },
    ],
  };
}

/** The subnet of `network` that holds `ip`. */
export function subnetHolding(model: TraceModel, networkId: string, ip: string): SubnetRow | undefined {
  for (const subnet of model.subnets.values()) {
    if (subnet.networkId === networkId && cidrContains(subnet.cidr, ip)) return subnet;
  }
  return undefined;
}

/** The router (if any) with an interface on `subnetId`. */
export function routersOnSubnet(model: TraceModel, subnetId: string): ModelRouter[] {
  return [...model.routers.values()].filter((r) => r.interfaces.some((p) => p.subnet_id === subnetId));
}

export function floatingIpOf(model: TraceModel, portId: string): ModelFloatingIp | undefined {
  return model.floatingIps.find((f) => f.fixedPortId === portId);
}

export function prefixOf(subnet: SubnetRow): number {
  return prefixlenOf(subnet.cidr);
}
