import { and, asc, eq, inArray, or, type SQL } from "drizzle-orm";
import type { z } from "zod";
import { namespaceNames } from "../../lib/names";
import type { NetworkType, networkCreate, networkList, networkUpdate } from "../../lib/schemas/network";
import { peersOf, uplinkHolder } from "../agents/placement";
import type { Executor } from "../db/client";
import { type NetworkRow, networks, ports, type SubnetRow, subnets } from "../db/schema";
import { removeDhcpPorts } from "./dhcp";
import { badRequest, conflict } from "./errors";
import { hiddenHaNetwork, notHaNetwork } from "./haHidden";
import { knownAgents } from "./hosts";
import { checkMtu, type MtuSettings, maxMtu } from "./mtu";
import { owningProject, projectSpec } from "./projects";
import { hostFieldsFor, label, ownedBy, type RefSpec, resolveRef } from "./refs";
import { uplinkSubnet } from "./topology";
import { type Actor, pending, type Tx } from "./tx";

const VLAN_MAX = 4094;
const VXLAN_MAX = 16_777_215;

/** Tenants also see shared and external networks (read-only), as in Neutron; never their HA network. */
const visible = async (row: NetworkRow, actor: Actor, ex: Executor) =>
  (ownedBy(actor, row.projectId) || row.shared || row.routerExternal) &&
  !(await hiddenHaNetwork(ex, actor, row.id));

export const networkSpec: RefSpec<NetworkRow> = {
  label: "Network",
  plural: "networks",
  byId: async (ex, id) => (await ex.select().from(networks).where(eq(networks.id, id)))[0],
  byName: (ex, name) => ex.select().from(networks).where(eq(networks.name, name)),
  visible,
};

/**
 * The namespace prefix of the host holding an external network's outside world: with several hosts the first
 * network node mapping its physical network (as the intents place it), with one host that host's.
 */
async function uplinkPrefixes(ex: Executor): Promise<(row: NetworkRow) => string | null> {
  const known = await knownAgents(ex);
  const first = known[0]?.prefix ?? null;
  if (known.length < 2) return () => first;
  const peers = peersOf(known).map((peer, i) => ({ ...peer, prefix: known[i]?.prefix ?? null }));
  return (row) =>
    row.physicalNetwork === null ? first : (uplinkHolder(peers, row.physicalNetwork)?.prefix ?? null);
}

function networkView(row: NetworkRow, networkSubnets: readonly SubnetRow[], prefix: string | null) {
  const uplink = uplinkSubnet(row, networkSubnets);
  return {
    id: row.id,
    name: row.name,
    project_id: row.projectId,
    tenant_id: row.projectId,
    shared: row.shared,
    "router:external": row.routerExternal,
    "provider:network_type": row.networkType,
    "provider:physical_network": row.physicalNetwork,
    "provider:segmentation_id": row.segmentationId,
    mtu: row.mtu,
    admin_state_up: row.adminStateUp,
    status: row.status,
    status_message: row.statusMessage,
    subnets: networkSubnets.filter((s) => s.networkId === row.id).map((s) => s.id),
    /** Where the lab's outside world for this external network lives on the host. */
    uplink_namespace: uplink && prefix !== null ? namespaceNames.uplink(prefix, row.id) : null,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}
export type NetworkView = ReturnType<typeof networkView>;

async function views(ex: Executor, actor: Actor, rows: NetworkRow[]): Promise<NetworkView[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const [related, prefixOf] = await Promise.all([
    ex.select().from(subnets).where(inArray(subnets.networkId, ids)).orderBy(asc(subnets.createdAt)),
    uplinkPrefixes(ex),
  ]);
  return rows.map((row) =>
    hostFieldsFor(actor, networkView(row, related, prefixOf(row)), { uplink_namespace: null }),
  );
}

export async function listNetworks(
  ex: Executor,
  actor: Actor,
  filter: z.infer<typeof networkList>,
): Promise<NetworkView[]> {
  const where: SQL[] = [];
  if (filter?.project_id)
    where.push(eq(networks.projectId, (await resolveRef(ex, actor, projectSpec, filter.project_id)).id));
  if (actor.role !== "admin") {
    const mine = or(
      inArray(networks.projectId, [...actor.projectIds]),
      eq(networks.shared, true),
      eq(networks.routerExternal, true),
    );
    if (mine) where.push(mine);
  }
  const notHa = notHaNetwork(actor, networks.id);
  if (notHa) where.push(notHa);
  const rows = await ex
    .select()
    .from(networks)
    .where(and(...where))
    .orderBy(asc(networks.createdAt));
  return views(ex, actor, rows);
}

export async function showNetwork(ex: Executor, actor: Actor, ref: string): Promise<NetworkView> {
  const [view] = await views(ex, actor, [await resolveRef(ex, actor, networkSpec, ref)]);
  if (!view) throw new Error("unreachable: one row in, one view out");
  return view;
}

type Provider = { type: NetworkType; physnet: string | null; segment: number | null };

/** Neutron's provider-attribute rules per type, with its wording. */
function checkProvider(input: z.infer<typeof networkCreate>): Provider & { segmentGiven: boolean } {
  const physnet = input["provider:physical_network"] ?? null;
  const segment = input["provider:segmentation_id"] ?? null;
  const type: NetworkType = input["provider:network_type"] ?? (physnet === null ? "vxlan" : "flat");
  const invalid = (reason: string) => badRequest(`Invalid input for operation: ${reason}`, "InvalidInput");
  switch (type) {
    case "flat":
      if (physnet === null) throw invalid("physical_network required for flat provider network.");
      if (segment !== null) throw invalid("segmentation_id specified for flat provider network.");
      break;
    case "vlan":
      if (physnet === null) throw invalid("physical_network required for VLAN provider network.");
      if (segment !== null && segment > VLAN_MAX)
        throw invalid(`segmentation_id out of range (1 through ${VLAN_MAX}).`);
      break;
    case "vxlan":
    case "local":
      if (physnet !== null) throw invalid(`physical_network specified for ${type} provider network.`);
      if (type === "local" && segment !== null)
        throw invalid("segmentation_id specified for local provider network.");
      break;
  }
  return { type, physnet, segment, segmentGiven: segment !== null };
}

function inUse(p: Provider): string {
  switch (p.type) {
    case "flat":
      return `Unable to create the flat network. Physical network ${p.physnet} is in use.`;
    case "vlan":
      return `Unable to create the network. The VLAN ${p.segment} on physical network ${p.physnet} is in use.`;
    default:
      return `Unable to create the network. The tunnel ID ${p.segment} is in use.`;
  }
}

/** The lowest segment not taken on this physical network (vlan) or globally (vxlan). */
async function freeSegment(tx: Tx, type: "vlan" | "vxlan", physnet: string | null): Promise<number> {
  const sameSpace =
    type === "vlan" && physnet !== null
      ? and(eq(networks.networkType, "vlan"), eq(networks.physicalNetwork, physnet))
      : eq(networks.networkType, "vxlan");
  const taken = new Set(
    (await tx.db.select({ s: networks.segmentationId }).from(networks).where(sameSpace)).map((r) => r.s),
  );
  const max = type === "vlan" ? VLAN_MAX : VXLAN_MAX;
  for (let s = 1; s <= max; s++) if (!taken.has(s)) return s;
  throw conflict(`Unable to create the network. No ${type} segmentation ID is available.`);
}

export async function createNetwork(
  tx: Tx,
  input: z.infer<typeof networkCreate>,
  mtu: MtuSettings,
): Promise<NetworkView> {
  const provider = checkProvider(input);
  const limit = maxMtu(mtu, provider.type, provider.physnet);
  const projectId = await owningProject(tx, input.project_id);
  const base = {
    projectId,
    name: input.name,
    shared: input.shared,
    routerExternal: input["router:external"],
    networkType: provider.type,
    physicalNetwork: provider.physnet,
    mtu: input.mtu === undefined ? limit : checkMtu(input.mtu, limit),
    adminStateUp: input.admin_state_up,
    ...(await pending(tx)),
  };
  // An allocated segment may be taken concurrently: the partial unique indexes refuse it and we pick again.
  for (;;) {
    const segment =
      provider.segment ??
      (provider.type === "vlan" || provider.type === "vxlan"
        ? await freeSegment(tx, provider.type, provider.physnet)
        : null);
    const rows = await tx.db
      .insert(networks)
      .values({ ...base, segmentationId: segment })
      .onConflictDoNothing()
      .returning();
    const [row] = rows;
    if (row) {
      tx.changed({ kind: "network", id: row.id, action: "create", project_id: row.projectId });
      return networkView(row, [], (await uplinkPrefixes(tx.db))(row));
    }
    if (provider.segmentGiven || provider.type === "flat") throw conflict(inUse({ ...provider, segment }));
  }
}

export async function updateNetwork(
  tx: Tx,
  input: z.infer<typeof networkUpdate>,
  mtu: MtuSettings,
): Promise<NetworkView> {
  const network = await resolveRef(tx.db, tx.actor, networkSpec, input.id);
  const newMtu =
    input.mtu === undefined
      ? undefined
      : checkMtu(input.mtu, maxMtu(mtu, network.networkType, network.physicalNetwork));
  if (input["router:external"] === false && network.routerExternal) {
    const gatewayPorts = await tx.db
      .select({ id: ports.id })
      .from(ports)
      .where(
        and(
          eq(ports.networkId, network.id),
          inArray(ports.deviceOwner, ["network:router_gateway", "network:floatingip"]),
        ),
      );
    if (gatewayPorts.length > 0) {
      throw conflict(
        `External network ${label(network)} cannot be updated to be made non-external, since it has existing gateway ports`,
      );
    }
  }
  const [row] = await tx.db
    .update(networks)
    .set({
      name: input.name,
      shared: input.shared,
      routerExternal: input["router:external"],
      adminStateUp: input.admin_state_up,
      mtu: newMtu,
      ...(await pending(tx)),
    })
    .where(eq(networks.id, network.id))
    .returning();
  if (!row) throw new Error("network vanished inside its own transaction");
  tx.changed({ kind: "network", id: row.id, action: "update", project_id: row.projectId });
  return showNetwork(tx.db, tx.actor, row.id);
}

export async function deleteNetwork(tx: Tx, ref: string): Promise<void> {
  const network = await resolveRef(tx.db, tx.actor, networkSpec, ref);
  // Its DHCP port belongs to the network itself and goes with it (Neutron's too).
  await removeDhcpPorts(tx, network.id);
  const [port] = await tx.db
    .select({ id: ports.id })
    .from(ports)
    .where(eq(ports.networkId, network.id))
    .limit(1);
  if (port) {
    throw conflict(
      `Unable to complete operation on network ${label(network)}. There are one or more ports still in use on the network.`,
      "NetworkInUse",
    );
  }
  await tx.db.delete(networks).where(eq(networks.id, network.id));
  tx.changed({ kind: "network", id: network.id, action: "delete", project_id: network.projectId });
}
