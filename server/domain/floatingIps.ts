import { randomUUID } from "node:crypto";
import { and, asc, eq, inArray, ne, type SQL } from "drizzle-orm";
import type { z } from "zod";
import { isIpv4 } from "../../lib/ip";
import type { floatingIpCreate, floatingIpList, floatingIpUpdate } from "../../lib/schemas/floatingIp";
import type { Executor } from "../db/client";
import {
  type FloatingIpRow,
  floatingIps,
  ipAllocations,
  type NetworkRow,
  networks,
  type PortRow,
  portForwardings,
  ports,
  routerPorts,
  routers,
  subnets,
} from "../db/schema";
import { badRequest, conflict, uniqueViolation } from "./errors";
import { networkSpec } from "./networks";
import { addPort, allocationsOf, portSpec, removePort } from "./ports";
import { owningProject, projectSpec } from "./projects";
import { hostFieldsFor, label, ownedBy, ownedScope, type RefSpec, resolveRef } from "./refs";
import { subnetSpec } from "./subnets";
import { type Actor, pending, type Tx } from "./tx";

/** A floating IP has no name: it is named by its ID or its address. */
export const floatingIpSpec: RefSpec<FloatingIpRow> = {
  label: "Floating IP",
  plural: "floating IPs",
  byId: async (ex, id) => (await ex.select().from(floatingIps).where(eq(floatingIps.id, id)))[0],
  byName: (ex, address) =>
    isIpv4(address)
      ? ex.select().from(floatingIps).where(eq(floatingIps.floatingIpAddress, address))
      : Promise.resolve([]),
  visible: (row, actor) => ownedBy(actor, row.projectId),
};

function floatingIpView(row: FloatingIpRow) {
  return {
    id: row.id,
    project_id: row.projectId,
    tenant_id: row.projectId,
    floating_ip_address: row.floatingIpAddress,
    floating_network_id: row.floatingNetworkId,
    port_id: row.fixedPortId,
    fixed_ip_address: row.fixedIpAddress,
    router_id: row.routerId,
    description: row.description,
    status: row.status,
    status_message: row.statusMessage,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}
export type FloatingIpView = ReturnType<typeof floatingIpView>;

export async function listFloatingIps(ex: Executor, actor: Actor, filter: z.infer<typeof floatingIpList>) {
  const where: (SQL | undefined)[] = [ownedScope(actor, floatingIps.projectId)];
  if (filter?.project_id) {
    where.push(eq(floatingIps.projectId, (await resolveRef(ex, actor, projectSpec, filter.project_id)).id));
  }
  const rows = await ex
    .select()
    .from(floatingIps)
    .where(and(...where))
    .orderBy(asc(floatingIps.createdAt));
  return rows.map((row) => hostFieldsFor(actor, floatingIpView(row), {}));
}

export async function showFloatingIp(ex: Executor, actor: Actor, ref: string): Promise<FloatingIpView> {
  return hostFieldsFor(actor, floatingIpView(await resolveRef(ex, actor, floatingIpSpec, ref)), {});
}

/**
 * The router that joins the port's subnet to the floating network: an interface on that subnet and a gateway
 * on that network. Without one, DNAT would have nowhere to live.
 */
export async function routerBetween(
  tx: Tx,
  network: NetworkRow,
  port: PortRow,
  subnetId: string,
): Promise<string> {
  const [found] = await tx.db
    .select({ id: routers.id })
    .from(routers)
    .innerJoin(ports, eq(ports.id, routers.gwPortId))
    .where(
      and(
        eq(ports.networkId, network.id),
        inArray(
          routers.id,
          tx.db
            .select({ id: routerPorts.routerId })
            .from(routerPorts)
            .innerJoin(ports, eq(ports.id, routerPorts.portId))
            .innerJoin(ipAllocations, eq(ipAllocations.portId, ports.id))
            .where(
              and(eq(ports.deviceOwner, "network:router_interface"), eq(ipAllocations.subnetId, subnetId)),
            ),
        ),
      ),
    )
    .limit(1);
  if (found) return found.id;
  const [subnet] = await tx.db.select().from(subnets).where(eq(subnets.id, subnetId));
  throw badRequest(
    `External network ${label(network)} is not reachable from subnet ${subnet ? label(subnet) : subnetId}. Therefore, cannot associate Port ${label(port)} with a Floating IP.`,
    "ExternalGatewayForFloatingIPNotFound",
  );
}

type Association = { fixedPortId: string; fixedIpAddress: string; routerId: string };

async function association(
  tx: Tx,
  floating: { id: string; address: string; network: NetworkRow },
  portRef: string,
  fixedIp: string | undefined,
): Promise<Association> {
  const port = await resolveRef(tx.db, tx.actor, portSpec, portRef);
  const addresses = await allocationsOf(tx.db, [port.id]);
  const chosen = fixedIp === undefined ? addresses[0] : addresses.find((a) => a.ipAddress === fixedIp);
  if (!chosen) {
    throw badRequest(
      fixedIp === undefined
        ? `Bad floatingip request: Port ${label(port)} does not have any fixed IP address.`
        : `Bad floatingip request: Port ${label(port)} does not have fixed ip ${fixedIp}.`,
    );
  }
  const routerId = await routerBetween(tx, floating.network, port, chosen.subnetId);
  const [other] = await tx.db
    .select({ id: floatingIps.id })
    .from(floatingIps)
    .where(
      and(
        eq(floatingIps.fixedPortId, port.id),
        eq(floatingIps.fixedIpAddress, chosen.ipAddress),
        eq(floatingIps.floatingNetworkId, floating.network.id),
        ne(floatingIps.id, floating.id),
      ),
    )
    .limit(1);
  if (other)
    throw conflict(
      alreadyFloating(floating.address, port, chosen.ipAddress, floating.network),
      "FloatingIPPortAlreadyAssociated",
    );
  return { fixedPortId: port.id, fixedIpAddress: chosen.ipAddress, routerId };
}

const alreadyFloating = (address: string, port: PortRow, fixed: string, network: NetworkRow) =>
  `Cannot associate floating IP ${address} with port ${label(port)} using fixed IP ${fixed}, as that fixed IP already has a floating IP on external network ${label(network)}.`;

/** The partial unique index on (port, fixed IP, network) catches what a concurrent association slipped past. */
async function writeAssociation(tx: Tx, id: string, values: Partial<typeof floatingIps.$inferInsert>) {
  try {
    const [row] = await tx.db.update(floatingIps).set(values).where(eq(floatingIps.id, id)).returning();
    if (!row) throw new Error("floating IP vanished inside its own transaction");
    return row;
  } catch (error) {
    if (uniqueViolation(error))
      throw conflict("That fixed IP already has a floating IP on this external network.");
    throw error;
  }
}

export async function createFloatingIp(
  tx: Tx,
  input: z.infer<typeof floatingIpCreate>,
): Promise<FloatingIpView> {
  const network = await resolveRef(tx.db, tx.actor, networkSpec, input.floating_network_id);
  if (!network.routerExternal) throw badRequest(`Network ${label(network)} is not a valid external network`);
  const subnet =
    input.subnet_id === undefined
      ? undefined
      : await resolveRef(tx.db, tx.actor, subnetSpec, input.subnet_id);
  if (subnet && subnet.networkId !== network.id) {
    throw badRequest(`Subnet ${label(subnet)} is not on external network ${label(network)}`);
  }
  const id = randomUUID();
  const projectId = await owningProject(tx, input.project_id);
  const fixedIps =
    subnet || input.floating_ip_address
      ? [{ subnet_id: subnet?.id, ip_address: input.floating_ip_address }]
      : undefined;
  const port = await addPort(tx, {
    network,
    projectId,
    deviceOwner: "network:floatingip",
    deviceId: id,
    fixedIps,
  });
  const [allocation] = await allocationsOf(tx.db, [port.id]);
  if (!allocation)
    throw conflict(
      `No more IP addresses available on network ${label(network)}.`,
      "IpAddressGenerationFailure",
    );
  const associated =
    input.port_id === undefined
      ? undefined
      : await association(
          tx,
          { id, address: allocation.ipAddress, network },
          input.port_id,
          input.fixed_ip_address,
        );
  const marks = await pending(tx);
  const [row] = await tx.db
    .insert(floatingIps)
    .values({
      id,
      projectId,
      floatingNetworkId: network.id,
      floatingIpAddress: allocation.ipAddress,
      floatingPortId: port.id,
      description: input.description,
      ...marks,
      // Nothing to do on a host for an unassociated floating IP: it is DOWN from the start.
      status: associated ? "PENDING" : "DOWN",
    })
    .returning();
  if (!row) throw new Error("insert returned nothing");
  const result = associated ? await writeAssociation(tx, id, associated) : row;
  tx.changed({ kind: "floating_ip", id, action: "create", project_id: projectId });
  return floatingIpView(result);
}

export async function floatingNetwork(tx: Tx, row: FloatingIpRow): Promise<NetworkRow> {
  const [network] = await tx.db.select().from(networks).where(eq(networks.id, row.floatingNetworkId));
  if (!network) throw new Error("floating IP without network");
  return network;
}

/** Neutron's PUT /floatingips/{id}: port_id associates, null disassociates. */
export async function updateFloatingIp(
  tx: Tx,
  input: z.infer<typeof floatingIpUpdate>,
): Promise<FloatingIpView> {
  const row = await resolveRef(tx.db, tx.actor, floatingIpSpec, input.id);
  return floatingIpView(await associate(tx, row, input.port_id, input.fixed_ip_address));
}

export async function associate(
  tx: Tx,
  row: FloatingIpRow,
  portRef: string | null,
  fixedIp?: string,
): Promise<FloatingIpRow> {
  const [forwarding] = await tx.db
    .select({ id: portForwardings.id })
    .from(portForwardings)
    .where(eq(portForwardings.floatingIpId, row.id))
    .limit(1);
  if (forwarding) {
    // Its forwardings hold it on their router: nothing to disassociate, and no port to take (Neutron's rule).
    if (portRef === null) return row;
    throw conflict(`Floating IP ${row.id} in use by Port Forwarding resources.`, "FipInUseByPortForwarding");
  }
  const values =
    portRef === null
      ? { fixedPortId: null, fixedIpAddress: null, routerId: null }
      : await association(
          tx,
          { id: row.id, address: row.floatingIpAddress, network: await floatingNetwork(tx, row) },
          portRef,
          fixedIp,
        );
  const updated = await writeAssociation(tx, row.id, { ...values, ...(await pending(tx)) });
  tx.changed({ kind: "floating_ip", id: row.id, action: "update", project_id: row.projectId });
  return updated;
}

export async function deleteFloatingIp(tx: Tx, ref: string): Promise<void> {
  const row = await resolveRef(tx.db, tx.actor, floatingIpSpec, ref);
  await tx.db.delete(floatingIps).where(eq(floatingIps.id, row.id));
  const port = await portSpec.byId(tx.db, row.floatingPortId);
  if (port) await removePort(tx, port);
  tx.changed({ kind: "floating_ip", id: row.id, action: "delete", project_id: row.projectId });
}
