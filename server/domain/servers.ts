// Lab instances ("servers" in the CLI): a namespace with one port, as DESIGN.md §3 describes.
import { randomUUID } from "node:crypto";
import { and, asc, eq, inArray, type SQL } from "drizzle-orm";
import type { z } from "zod";
import { namespaceNames } from "../../lib/names";
import type { serverSecurityGroup } from "../../lib/schemas/securityGroup";
import type { serverCreate, serverFloatingIp, serverList } from "../../lib/schemas/server";
import type { Executor } from "../db/client";
import {
  type AllocationRow,
  type FloatingIpRow,
  floatingIps,
  type InstanceRow,
  instances,
  type NetworkRow,
  networks,
  type PortRow,
  ports,
  securityGroups,
} from "../db/schema";
import { badRequest } from "./errors";
import { associate, floatingIpSpec } from "./floatingIps";
import { prefixOfHost } from "./hosts";
import { findKeypair } from "./keypairs";
import { networkSpec } from "./networks";
import { groupsOfPorts, securePort } from "./portSecurity";
import { addPort, allocationsOf, portSpec, removePort } from "./ports";
import { owningProject, projectSpec } from "./projects";
import { hostFieldsFor, label, ownedBy, ownedScope, type RefSpec, resolveRef } from "./refs";
import { instanceHost } from "./scheduler";
import { resolveGroupOf } from "./securityGroups";
import { type Actor, pending, type Tx } from "./tx";

const serverSpec: RefSpec<InstanceRow> = {
  label: "Server",
  plural: "servers",
  byId: async (ex, id) => (await ex.select().from(instances).where(eq(instances.id, id)))[0],
  byName: (ex, name) => ex.select().from(instances).where(eq(instances.name, name)),
  visible: (row, actor) => ownedBy(actor, row.projectId),
};

type ServerParts = {
  ports: PortRow[];
  networks: NetworkRow[];
  allocations: AllocationRow[];
  floatingIps: FloatingIpRow[];
  /** The namespace prefix of a host's agent. */
  prefixOf: (host: string | null) => string | null;
  /** The names of each port's security groups. */
  groups: Map<string, string[]>;
};

const namespaceOf = (prefix: string | null, portId: string) =>
  prefix === null ? null : namespaceNames.instance(prefix, portId);

function serverView(row: InstanceRow, parts: ServerParts) {
  const port = parts.ports.find((p) => p.id === row.portId);
  const network = parts.networks.find((n) => n.id === port?.networkId);
  const fixed = parts.allocations.filter((a) => a.portId === row.portId).map((a) => a.ipAddress);
  const floating = parts.floatingIps
    .filter((f) => f.fixedPortId === row.portId)
    .map((f) => f.floatingIpAddress);
  return {
    id: row.id,
    name: row.name,
    project_id: row.projectId,
    tenant_id: row.projectId,
    status: row.status,
    status_message: row.statusMessage,
    /** As `openstack server show` prints them: fixed addresses, then floating ones, per network name. */
    addresses: network ? { [label(network)]: [...fixed, ...floating] } : {},
    port_id: row.portId,
    network_id: port?.networkId ?? null,
    mac_address: port?.macAddress ?? null,
    host: row.host,
    key_name: row.keyName,
    /** As Nova shows them: by name. */
    security_groups: (parts.groups.get(row.portId) ?? []).map((name) => ({ name })),
    namespace: namespaceOf(parts.prefixOf(row.host), row.portId),
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}
export type ServerView = ReturnType<typeof serverView>;

async function views(ex: Executor, actor: Actor, rows: InstanceRow[]): Promise<ServerView[]> {
  if (rows.length === 0) return [];
  const portIds = rows.map((r) => r.portId);
  const owned = await ex.select().from(ports).where(inArray(ports.id, portIds));
  const parts: ServerParts = {
    ports: owned,
    networks: await ex
      .select()
      .from(networks)
      .where(
        inArray(
          networks.id,
          owned.map((p) => p.networkId),
        ),
      ),
    allocations: await allocationsOf(ex, portIds),
    floatingIps: await ex.select().from(floatingIps).where(inArray(floatingIps.fixedPortId, portIds)),
    prefixOf: await prefixOfHost(ex),
    groups: await groupNames(ex, portIds),
  };
  return rows.map((row) => hostFieldsFor(actor, serverView(row, parts), { host: null, namespace: null }));
}

async function groupNames(ex: Executor, portIds: string[]): Promise<Map<string, string[]>> {
  const byPort = await groupsOfPorts(ex, portIds);
  const ids = [...new Set([...byPort.values()].flat())];
  if (ids.length === 0) return new Map();
  const rows = await ex.select().from(securityGroups).where(inArray(securityGroups.id, ids));
  const names = new Map(rows.map((g) => [g.id, label(g)]));
  return new Map([...byPort].map(([port, groups]) => [port, groups.map((id) => names.get(id) ?? id)]));
}

export async function listServers(ex: Executor, actor: Actor, filter: z.infer<typeof serverList>) {
  const where: (SQL | undefined)[] = [ownedScope(actor, instances.projectId)];
  if (filter?.project_id) {
    where.push(eq(instances.projectId, (await resolveRef(ex, actor, projectSpec, filter.project_id)).id));
  }
  return views(
    ex,
    actor,
    await ex
      .select()
      .from(instances)
      .where(and(...where))
      .orderBy(asc(instances.createdAt)),
  );
}

export async function showServer(ex: Executor, actor: Actor, ref: string): Promise<ServerView> {
  const [view] = await views(ex, actor, [await resolveRef(ex, actor, serverSpec, ref)]);
  if (!view) throw new Error("unreachable: one row in, one view out");
  return view;
}

export async function createServer(tx: Tx, input: z.infer<typeof serverCreate>): Promise<ServerView> {
  const network = await resolveRef(tx.db, tx.actor, networkSpec, input.network_id);
  // Placed first: a host asked for that cannot take it is refused before anything is written.
  const host = await instanceHost(tx.db, input.host, network);
  const projectId = await owningProject(tx, input.project_id);
  // Copied in, as Nova does: deleting the key pair later does not take the key from the instance.
  const key = input.key_name === undefined ? null : await findKeypair(tx.db, tx.actor, input.key_name);
  const id = randomUUID();
  const port = await addPort(tx, {
    network,
    projectId,
    name: `${input.name}-port`,
    deviceOwner: "compute:nova",
    deviceId: id,
    hostId: host ?? "",
    vifType: host === null ? "unbound" : "ovs",
    fixedIps: input.fixed_ip_address === undefined ? undefined : [{ ip_address: input.fixed_ip_address }],
  });
  await tx.db.insert(instances).values({
    id,
    projectId,
    name: input.name,
    portId: port.id,
    host,
    userData: input.user_data?.replace(/\s/g, "") || null,
    keyName: key?.name ?? null,
    keyData: key?.publicKey ?? null,
    ...(await pending(tx)),
  });
  tx.changed({ kind: "server", id, action: "create", project_id: projectId });
  return showServer(tx.db, tx.actor, id);
}

export async function deleteServer(tx: Tx, ref: string): Promise<void> {
  const server = await resolveRef(tx.db, tx.actor, serverSpec, ref);
  await tx.db.delete(instances).where(eq(instances.id, server.id));
  const port = await portSpec.byId(tx.db, server.portId);
  if (port) await removePort(tx, port);
  tx.changed({ kind: "server", id: server.id, action: "delete", project_id: server.projectId });
}

/** `openstack server add floating ip`: associate the address with the server's port. */
export async function addServerFloatingIp(
  tx: Tx,
  input: z.infer<typeof serverFloatingIp>,
): Promise<ServerView> {
  const server = await resolveRef(tx.db, tx.actor, serverSpec, input.id);
  const floating = await resolveRef(tx.db, tx.actor, floatingIpSpec, input.floating_ip_address);
  await associate(tx, floating, server.portId);
  return showServer(tx.db, tx.actor, server.id);
}

export async function removeServerFloatingIp(
  tx: Tx,
  input: z.infer<typeof serverFloatingIp>,
): Promise<ServerView> {
  const server = await resolveRef(tx.db, tx.actor, serverSpec, input.id);
  const floating = await resolveRef(tx.db, tx.actor, floatingIpSpec, input.floating_ip_address);
  if (floating.fixedPortId !== server.portId) {
    throw badRequest(
      `Floating IP ${floating.floatingIpAddress} is not associated with server ${label(server)}`,
    );
  }
  await associate(tx, floating, null);
  return showServer(tx.db, tx.actor, server.id);
}

/** `openstack server add security group` / `remove security group`: the group on or off the server's port. */
export async function changeServerSecurityGroup(
  tx: Tx,
  input: z.infer<typeof serverSecurityGroup>,
  action: "add" | "remove",
): Promise<ServerView> {
  const server = await resolveRef(tx.db, tx.actor, serverSpec, input.id);
  const group = await resolveGroupOf(tx.db, tx.actor, server.projectId, input.security_group);
  const port = await portSpec.byId(tx.db, server.portId);
  if (!port) throw new Error("server without port");
  const current = (await groupsOfPorts(tx.db, [port.id])).get(port.id) ?? [];
  const member = current.includes(group.id);
  if (action === "add" && member)
    throw badRequest(
      `Security group ${label(group)} is already associated with the instance ${label(server)}`,
    );
  if (action === "remove" && !member)
    throw badRequest(`Security group ${label(group)} not associated with the instance ${label(server)}`);
  const groups = action === "add" ? [...current, group.id] : current.filter((id) => id !== group.id);
  await securePort(tx, port, { security_groups: groups }, false);
  await tx.db
    .update(ports)
    .set(await pending(tx))
    .where(eq(ports.id, port.id));
  tx.changed({ kind: "port", id: port.id, action: "update", project_id: port.projectId });
  return showServer(tx.db, tx.actor, server.id);
}
