// Who is asking the metadata service: the port that holds the client's address on a network the request came
// in by (the router's networks, or the one network of a DHCP namespace), as Neutron's metadata agent finds the
// instance — and what the answers need of it (its instance, network, subnets, floating IP, key).
import { and, eq, inArray, isNotNull } from "drizzle-orm";
import type { MetadataVia } from "../../lib/metadata-signature";
import type { Executor } from "../db/client";
import {
  floatingIps,
  type InstanceRow,
  instances,
  ipAllocations,
  type NetworkRow,
  networks,
  type PortRow,
  ports,
  routerPorts,
  type SubnetRow,
  subnets,
} from "../db/schema";

export type MetadataSubject = {
  port: PortRow;
  instance: InstanceRow | null;
  network: NetworkRow;
  /** The client's address and the subnet it is in. */
  address: string;
  subnet: SubnetRow;
  floatingIp: string | null;
};

/** Ports that are no workload: a client is never one of these. */
const NETWORK_OWNED = /^network:/;

async function networksVia(ex: Executor, via: MetadataVia): Promise<string[]> {
  if (via.kind === "network") return [via.id];
  const rows = await ex
    .select({ networkId: ports.networkId })
    .from(routerPorts)
    .innerJoin(ports, eq(ports.id, routerPorts.portId))
    .where(eq(routerPorts.routerId, via.id));
  return rows.map((r) => r.networkId);
}

/** The subject, or null when no workload port holds `address` there (the service answers 404). */
export async function findMetadataSubject(
  ex: Executor,
  via: MetadataVia,
  address: string,
): Promise<MetadataSubject | null> {
  const networkIds = await networksVia(ex, via);
  if (networkIds.length === 0) return null;
  const held = await ex
    .select({ port: ports, subnet: subnets })
    .from(ipAllocations)
    .innerJoin(ports, eq(ports.id, ipAllocations.portId))
    .innerJoin(subnets, eq(subnets.id, ipAllocations.subnetId))
    .where(and(eq(ipAllocations.ipAddress, address), inArray(ports.networkId, networkIds)));
  // A router joins subnets that do not overlap: one port at most, once the router's own are left out.
  const hit = held.find((h) => !NETWORK_OWNED.test(h.port.deviceOwner));
  if (!hit) return null;
  const [network] = await ex.select().from(networks).where(eq(networks.id, hit.port.networkId));
  if (!network) return null;
  const [instance] = await ex.select().from(instances).where(eq(instances.portId, hit.port.id));
  const [floating] = await ex
    .select({ address: floatingIps.floatingIpAddress })
    .from(floatingIps)
    .where(and(eq(floatingIps.fixedPortId, hit.port.id), isNotNull(floatingIps.fixedIpAddress)));
  return {
    port: hit.port,
    instance: instance ?? null,
    network,
    address,
    subnet: hit.subnet,
    floatingIp: floating?.address ?? null,
  };
}
