// Port forwardings on a floating IP, with Neutron's rules: a floating IP forwards ports or is associated with a
// port, never both; (external port, protocol) is unique per floating IP; the internal address is one of the
// internal port's fixed IPs, on a subnet routed to the floating IP's external network, through the same router
// as the floating IP's other forwardings.
import { randomUUID } from "node:crypto";
import { and, asc, eq, ne } from "drizzle-orm";
import {
  type PortForwardingCreate,
  type PortForwardingUpdate,
  parsePortRange,
  rangesFit,
} from "../../lib/schemas/portForwarding";
import type { Executor } from "../db/client";
import { type FloatingIpRow, floatingIps, type PortForwardingRow, portForwardings } from "../db/schema";
import { badRequest, conflict, notFound, uniqueViolation } from "./errors";
import { floatingIpSpec, floatingNetwork, routerBetween } from "./floatingIps";
import { allocationsOf, forwardingsChanged, portSpec } from "./ports";
import { resolveRef } from "./refs";
import { type Actor, pending, type Tx } from "./tx";

type Range = { start: number; end: number };

const rangeText = (start: number, end: number) => `${start}:${end}`;

function portForwardingView(row: PortForwardingRow) {
  const single =
    row.externalPortStart === row.externalPortEnd && row.internalPortStart === row.internalPortEnd;
  return {
    id: row.id,
    floatingip_id: row.floatingIpId,
    internal_port_id: row.internalPortId,
    internal_ip_address: row.internalIpAddress,
    internal_port: single ? row.internalPortStart : null,
    external_port: single ? row.externalPortStart : null,
    internal_port_range: rangeText(row.internalPortStart, row.internalPortEnd),
    external_port_range: rangeText(row.externalPortStart, row.externalPortEnd),
    protocol: row.protocol,
    description: row.description,
  };
}
export type PortForwardingView = ReturnType<typeof portForwardingView>;

const forwardingsOf = (ex: Executor, floatingIpId: string) =>
  ex
    .select()
    .from(portForwardings)
    .where(eq(portForwardings.floatingIpId, floatingIpId))
    .orderBy(asc(portForwardings.createdAt));

export async function listPortForwardings(ex: Executor, actor: Actor, floatingIpRef: string) {
  const fip = await resolveRef(ex, actor, floatingIpSpec, floatingIpRef);
  return (await forwardingsOf(ex, fip.id)).map(portForwardingView);
}

async function findForwarding(ex: Executor, fip: FloatingIpRow, id: string): Promise<PortForwardingRow> {
  const found = (await forwardingsOf(ex, fip.id)).find((row) => row.id === id);
  if (!found)
    throw notFound(
      `Port Forwarding ${id} could not be found on Floating IP ${fip.id}.`,
      "PortForwardingNotFound",
    );
  return found;
}

export async function showPortForwarding(
  ex: Executor,
  actor: Actor,
  floatingIpRef: string,
  id: string,
): Promise<PortForwardingView> {
  const fip = await resolveRef(ex, actor, floatingIpSpec, floatingIpRef);
  return portForwardingView(await findForwarding(ex, fip, id));
}

/** Neutron's wording for a refused port forwarding ("Bad port_forwarding request: ..."). */
const bad = (message: string) => badRequest(`Bad port_forwarding request: ${message}`, "BadRequest");

/** What a forwarding says once its input is resolved: the row's columns but its id and floating IP. */
type Forwarding = {
  internalPortId: string;
  internalIpAddress: string;
  protocol: "tcp" | "udp";
  internal: Range;
  external: Range;
  description: string;
};

const overlaps = (a: Range, b: Range) => a.start <= b.end && b.start <= a.end;

/**
 * Every rule of a forwarding against the floating IP and the others: returns the router it goes through (the
 * floating IP's router from then on). `except` is the forwarding being updated.
 */
async function checkForwarding(tx: Tx, fip: FloatingIpRow, wanted: Forwarding, except?: string) {
  if (!rangesFit(wanted.internal, wanted.external))
    throw bad("The internal port range must be one port or as long as the external port range.");
  if (fip.fixedPortId !== null)
    throw conflict(
      `Cannot associate floating IP ${fip.floatingIpAddress} (${fip.id}) with port ${wanted.internalPortId} using fixed IP ${wanted.internalIpAddress}, as that fixed IP already has a floating IP on external network ${fip.floatingNetworkId}.`,
      "FloatingIPPortAlreadyAssociated",
    );
  const port = await resolveRef(tx.db, tx.actor, portSpec, wanted.internalPortId);
  const fixed = await allocationsOf(tx.db, [port.id]);
  const chosen = fixed.find((a) => a.ipAddress === wanted.internalIpAddress);
  if (!chosen)
    throw bad(
      `Requested internal IP address ${wanted.internalIpAddress} is not suitable for internal neutron port ${port.id}, as its fixed_ips are ${fixed.map((a) => a.ipAddress).join(", ") || "none"}.`,
    );
  const [bound] = await tx.db
    .select()
    .from(floatingIps)
    .where(and(eq(floatingIps.fixedPortId, port.id), eq(floatingIps.fixedIpAddress, chosen.ipAddress)))
    .limit(1);
  if (bound)
    throw conflict(
      `Cannot create port forwarding to floating IP ${bound.floatingIpAddress} (${bound.id}) with port ${port.id} using fixed IP ${chosen.ipAddress}, as that port already has a binding floating IP.`,
      "PortHasBindingFloatingIP",
    );
  const routerId = await routerBetween(tx, await floatingNetwork(tx, fip), port, chosen.subnetId);
  const others = (await forwardingsOf(tx.db, fip.id)).filter((row) => row.id !== except);
  if (fip.routerId !== null && fip.routerId !== routerId && others.length > 0)
    throw bad(
      `The Floating IP ${fip.id} had been set on router ${fip.routerId}, the internal Neutron port ${port.id} can not reach it.`,
    );
  const clash = others.find(
    (row) =>
      row.protocol === wanted.protocol &&
      overlaps({ start: row.externalPortStart, end: row.externalPortEnd }, wanted.external),
  );
  if (clash)
    throw bad(
      `A duplicate port forwarding entry with same attributes already exists, conflicting values are {'floatingip_id': '${fip.id}', 'external_port': ${rangeText(clash.externalPortStart, clash.externalPortEnd)}, 'protocol': '${clash.protocol}'}`,
    );
  // One internal socket is reached through one forwarding, across floating IPs (Neutron's unique constraint).
  const [socket] = await tx.db
    .select()
    .from(portForwardings)
    .where(
      and(
        eq(portForwardings.internalPortId, port.id),
        eq(portForwardings.internalIpAddress, wanted.internalIpAddress),
        eq(portForwardings.protocol, wanted.protocol),
        eq(portForwardings.internalPortStart, wanted.internal.start),
        except === undefined ? undefined : ne(portForwardings.id, except),
      ),
    )
    .limit(1);
  if (socket)
    throw bad(
      `A duplicate port forwarding entry with same attributes already exists, conflicting values are {'internal_ip_address': '${wanted.internalIpAddress}', 'internal_port': ${wanted.internal.start}, 'protocol': '${wanted.protocol}'}`,
    );
  return { portId: port.id, routerId };
}

/** Marks the floating IP for the host: it now forwards through `routerId` (null: it forwards nothing). */
async function touchFloatingIp(tx: Tx, fip: FloatingIpRow, routerId: string | null) {
  await tx.db
    .update(floatingIps)
    .set({ routerId, ...(await pending(tx)) })
    .where(eq(floatingIps.id, fip.id));
  tx.changed({ kind: "floating_ip", id: fip.id, action: "update", project_id: fip.projectId });
}

function columns(wanted: Forwarding) {
  return {
    internalPortId: wanted.internalPortId,
    internalIpAddress: wanted.internalIpAddress,
    protocol: wanted.protocol,
    internalPortStart: wanted.internal.start,
    internalPortEnd: wanted.internal.end,
    externalPortStart: wanted.external.start,
    externalPortEnd: wanted.external.end,
    description: wanted.description,
  };
}

/** The unique index catches what a check missed: the same words as the check. */
async function writing<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (uniqueViolation(error))
      throw bad("A duplicate port forwarding entry with same attributes already exists.");
    throw error;
  }
}

/** A single port or a range as given (the schema checked the range's text). */
const rangeOf = (single: number | undefined, range: string | undefined): Range | undefined =>
  single !== undefined
    ? { start: single, end: single }
    : range === undefined
      ? undefined
      : parsePortRange(range);

export async function createPortForwarding(tx: Tx, input: PortForwardingCreate): Promise<PortForwardingView> {
  const fip = await resolveRef(tx.db, tx.actor, floatingIpSpec, input.floatingip_id);
  const internal = rangeOf(input.internal_port, input.internal_port_range);
  const external = rangeOf(input.external_port, input.external_port_range);
  // The schema requires one form or the other.
  if (internal === undefined || external === undefined)
    throw bad("internal_port and external_port are required.");
  const wanted: Forwarding = {
    internalPortId: input.internal_port_id,
    internalIpAddress: input.internal_ip_address,
    protocol: input.protocol,
    internal,
    external,
    description: input.description,
  };
  const { portId, routerId } = await checkForwarding(tx, fip, wanted);
  const [row] = await writing(() =>
    tx.db
      .insert(portForwardings)
      .values({ id: randomUUID(), floatingIpId: fip.id, ...columns({ ...wanted, internalPortId: portId }) })
      .returning(),
  );
  if (!row) throw new Error("insert returned nothing");
  await touchFloatingIp(tx, fip, routerId);
  return portForwardingView(row);
}

export async function updatePortForwarding(tx: Tx, input: PortForwardingUpdate): Promise<PortForwardingView> {
  const fip = await resolveRef(tx.db, tx.actor, floatingIpSpec, input.floatingip_id);
  const row = await findForwarding(tx.db, fip, input.id);
  const wanted: Forwarding = {
    internalPortId: input.internal_port_id ?? row.internalPortId,
    internalIpAddress: input.internal_ip_address ?? row.internalIpAddress,
    protocol: input.protocol ?? row.protocol,
    internal: rangeOf(input.internal_port, input.internal_port_range) ?? {
      start: row.internalPortStart,
      end: row.internalPortEnd,
    },
    external: rangeOf(input.external_port, input.external_port_range) ?? {
      start: row.externalPortStart,
      end: row.externalPortEnd,
    },
    description: input.description ?? row.description,
  };
  const { portId, routerId } = await checkForwarding(tx, fip, wanted, row.id);
  const [updated] = await writing(() =>
    tx.db
      .update(portForwardings)
      .set({ ...columns({ ...wanted, internalPortId: portId }), updatedAt: new Date() })
      .where(eq(portForwardings.id, row.id))
      .returning(),
  );
  if (!updated) throw new Error("port forwarding vanished inside its own transaction");
  await touchFloatingIp(tx, fip, routerId);
  return portForwardingView(updated);
}

export async function deletePortForwarding(tx: Tx, floatingIpRef: string, id: string): Promise<void> {
  const fip = await resolveRef(tx.db, tx.actor, floatingIpSpec, floatingIpRef);
  const row = await findForwarding(tx.db, fip, id);
  await tx.db.delete(portForwardings).where(eq(portForwardings.id, row.id));
  // The last forwarding gone, the floating IP is on no router any more (as Neutron clears its router_id).
  await forwardingsChanged(tx, fip.id);
}
