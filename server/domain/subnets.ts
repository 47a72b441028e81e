import { and, asc, eq, getTableColumns, inArray, or, type SQL, sql } from "drizzle-orm";
import type { z } from "zod";
import { cidrsOverlap } from "../../lib/ip";
import type { subnetCreate, subnetList, subnetUpdate } from "../../lib/schemas/subnet";
import type { Executor } from "../db/client";
import { instances, ipAllocations, networks, ports, type SubnetRow, subnets } from "../db/schema";
import { releaseDhcpAddress, syncDhcpPort } from "./dhcp";
import { conflict } from "./errors";
import { hiddenHaNetwork, notHaNetwork } from "./haHidden";
import { defaultGateway, defaultPools, validateGateway, validateHostRoutes, validatePools } from "./ipam";
import { networkSpec } from "./networks";
import { owningProject, projectSpec } from "./projects";
import { label, ownedBy, ownedScope, type RefSpec, resolveRef } from "./refs";
import { type Actor, pending, type Tx } from "./tx";

/** A subnet with what decides who sees it: tenants also see the subnets of shared and external networks. */
type VisibleSubnet = SubnetRow & { networkShared: boolean; networkExternal: boolean };

const withNetwork = (ex: Executor, where: SQL) =>
  ex
    .select({
      ...getTableColumns(subnets),
      networkShared: networks.shared,
      networkExternal: networks.routerExternal,
    })
    .from(subnets)
    .innerJoin(networks, eq(networks.id, subnets.networkId))
    .where(where);

export const subnetSpec: RefSpec<VisibleSubnet> = {
  label: "Subnet",
  plural: "subnets",
  byId: async (ex, id) => (await withNetwork(ex, eq(subnets.id, id)))[0],
  byName: (ex, name) => withNetwork(ex, eq(subnets.name, name)),
  visible: async (row, actor, ex) =>
    (ownedBy(actor, row.projectId) || row.networkShared || row.networkExternal) &&
    !(await hiddenHaNetwork(ex, actor, row.networkId)),
};

/** The SQL form of subnetSpec.visible for list queries; undefined = no restriction (admins). */
export function visibleScope(actor: Actor): SQL | undefined {
  if (actor.role === "admin") return undefined;
  return and(
    or(
      ownedScope(actor, subnets.projectId),
      inArray(
        subnets.networkId,
        // A plain subquery: drizzle builds it from the same executor as the outer query.
        sql`(SELECT ${networks.id} FROM ${networks} WHERE ${networks.shared} OR ${networks.routerExternal})`,
      ),
    ),
    notHaNetwork(actor, subnets.networkId),
  );
}

function subnetView(row: SubnetRow) {
  return {
    id: row.id,
    name: row.name,
    network_id: row.networkId,
    project_id: row.projectId,
    tenant_id: row.projectId,
    ip_version: row.ipVersion,
    cidr: row.cidr,
    gateway_ip: row.gatewayIp,
    allocation_pools: row.allocationPools,
    enable_dhcp: row.enableDhcp,
    dns_nameservers: row.dnsNameservers,
    host_routes: row.hostRoutes,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}
export type SubnetView = ReturnType<typeof subnetView>;

export async function listSubnets(
  ex: Executor,
  actor: Actor,
  filter: z.infer<typeof subnetList>,
): Promise<SubnetView[]> {
  const where: (SQL | undefined)[] = [visibleScope(actor)];
  if (filter?.project_id) {
    where.push(eq(subnets.projectId, (await resolveRef(ex, actor, projectSpec, filter.project_id)).id));
  }
  if (filter?.network_id) {
    where.push(eq(subnets.networkId, (await resolveRef(ex, actor, networkSpec, filter.network_id)).id));
  }
  const rows = await ex
    .select()
    .from(subnets)
    .where(and(...where))
    .orderBy(asc(subnets.createdAt));
  return rows.map(subnetView);
}

export async function showSubnet(ex: Executor, actor: Actor, ref: string): Promise<SubnetView> {
  return subnetView(await resolveRef(ex, actor, subnetSpec, ref));
}

export async function createSubnet(tx: Tx, input: z.infer<typeof subnetCreate>): Promise<SubnetView> {
  const network = await resolveRef(tx.db, tx.actor, networkSpec, input.network_id);
  const siblings = await tx.db.select().from(subnets).where(eq(subnets.networkId, network.id));
  const overlapping = siblings.find((s) => cidrsOverlap(s.cidr, input.cidr));
  if (overlapping) {
    throw conflict(
      `Invalid CIDR ${input.cidr} for subnet: it overlaps with subnet ${label(overlapping)} (${overlapping.cidr}) on network ${label(network)}`,
    );
  }
  const gatewayIp = input.gateway_ip === undefined ? defaultGateway(input.cidr) : input.gateway_ip;
  if (gatewayIp !== null) validateGateway(input.cidr, gatewayIp);
  const pools = input.allocation_pools ?? defaultPools(input.cidr, gatewayIp);
  validatePools(input.cidr, gatewayIp, pools);
  validateHostRoutes(input.cidr, input.host_routes);
  const [row] = await tx.db
    .insert(subnets)
    .values({
      networkId: network.id,
      projectId:
        input.project_id === undefined ? network.projectId : await owningProject(tx, input.project_id),
      name: input.name,
      ipVersion: input.ip_version,
      cidr: input.cidr,
      gatewayIp,
      allocationPools: pools,
      enableDhcp: input.enable_dhcp,
      dnsNameservers: input.dns_nameservers,
      hostRoutes: input.host_routes,
    })
    .returning();
  if (!row) throw new Error("insert returned nothing");
  await syncDhcpPort(tx, network);
  await markNetworkPending(tx, network.id);
  tx.changed({ kind: "subnet", id: row.id, action: "create", project_id: row.projectId });
  return subnetView(row);
}

export async function updateSubnet(tx: Tx, input: z.infer<typeof subnetUpdate>): Promise<SubnetView> {
  const subnet = await resolveRef(tx.db, tx.actor, subnetSpec, input.id);
  const gatewayIp = input.gateway_ip === undefined ? subnet.gatewayIp : input.gateway_ip;
  if (gatewayIp !== subnet.gatewayIp) {
    if (gatewayIp !== null) validateGateway(subnet.cidr, gatewayIp);
    await checkGatewayFree(tx, subnet, gatewayIp);
  }
  const pools = input.allocation_pools ?? subnet.allocationPools;
  validatePools(subnet.cidr, gatewayIp, pools);
  if (input.host_routes !== undefined) validateHostRoutes(subnet.cidr, input.host_routes);
  const [row] = await tx.db
    .update(subnets)
    .set({
      name: input.name,
      gatewayIp,
      allocationPools: pools,
      enableDhcp: input.enable_dhcp,
      dnsNameservers: input.dns_nameservers,
      hostRoutes: input.host_routes,
      updatedAt: new Date(),
    })
    .where(eq(subnets.id, subnet.id))
    .returning();
  if (!row) throw new Error("subnet vanished inside its own transaction");
  await markInstancesPending(tx, subnet.id);
  // Its DHCP server hands out the gateway, DNS servers and host routes: the network's part of the host changed.
  await syncDhcpPort(tx, await networkOf(tx, subnet.networkId));
  await markNetworkPending(tx, subnet.networkId);
  tx.changed({ kind: "subnet", id: row.id, action: "update", project_id: row.projectId });
  return subnetView(row);
}

/** A router interface holds the old gateway address; moving the gateway under it would strand the subnet. */
async function checkGatewayFree(tx: Tx, subnet: SubnetRow, newGateway: string | null): Promise<void> {
  const holders = await tx.db
    .select({ ip: ipAllocations.ipAddress, owner: ports.deviceOwner, portId: ports.id })
    .from(ipAllocations)
    .innerJoin(ports, eq(ports.id, ipAllocations.portId))
    .where(eq(ipAllocations.subnetId, subnet.id));
  const router = holders.find((h) => h.ip === subnet.gatewayIp && h.owner === "network:router_interface");
  if (router)
    throw conflict(
      `Gateway ip ${subnet.gatewayIp} of subnet ${label(subnet)} is in use by a router interface`,
    );
  const taken = holders.find((h) => h.ip === newGateway);
  if (taken) throw conflict(`Gateway ip ${newGateway} conflicts with the allocation of port ${taken.portId}`);
}

/** Instances take their default route and host routes from the subnet: their intent changed. */
async function markInstancesPending(tx: Tx, subnetId: string): Promise<void> {
  const portIds = tx.db
    .select({ id: ipAllocations.portId })
    .from(ipAllocations)
    .where(eq(ipAllocations.subnetId, subnetId));
  const rows = await tx.db
    .update(instances)
    .set(await pending(tx))
    .where(inArray(instances.portId, portIds))
    .returning({ id: instances.id, projectId: instances.projectId });
  for (const r of rows) tx.changed({ kind: "server", id: r.id, action: "update", project_id: r.projectId });
}

async function markNetworkPending(tx: Tx, networkId: string): Promise<void> {
  await tx.db
    .update(networks)
    .set(await pending(tx))
    .where(eq(networks.id, networkId));
}

async function networkOf(tx: Tx, networkId: string) {
  const [network] = await tx.db.select().from(networks).where(eq(networks.id, networkId));
  if (!network) throw new Error("subnet without network");
  return network;
}

export async function deleteSubnet(tx: Tx, ref: string): Promise<void> {
  const subnet = await resolveRef(tx.db, tx.actor, subnetSpec, ref);
  // The DHCP port's address is the network's own, not a user's: released with the subnet, as Neutron does.
  await releaseDhcpAddress(tx, subnet);
  const [used] = await tx.db
    .select({ portId: ipAllocations.portId })
    .from(ipAllocations)
    .where(eq(ipAllocations.subnetId, subnet.id))
    .limit(1);
  if (used) {
    throw conflict(
      `Unable to complete operation on subnet ${label(subnet)}: One or more ports have an IP allocation from this subnet.`,
      "SubnetInUse",
    );
  }
  await tx.db.delete(subnets).where(eq(subnets.id, subnet.id));
  await syncDhcpPort(tx, await networkOf(tx, subnet.networkId));
  await markNetworkPending(tx, subnet.networkId);
  tx.changed({ kind: "subnet", id: subnet.id, action: "delete", project_id: subnet.projectId });
}
