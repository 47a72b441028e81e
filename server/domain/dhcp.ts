// The DHCP port of a network, as Neutron's DHCP agent keeps one: a `network:dhcp` port holding an address of each
// subnet with DHCP enabled (the first free one of its pools, as any port), made with the first such subnet,
// given an address on each one that comes, and removed with the last one. Users cannot delete or renumber it
// through the port API (ports.ts refuses owned ports); subnets and networks release it themselves. It is made
// here rather than with ports.ts's addPort, which resolves subnets and networks and so cannot be imported by them.
import { createHash } from "node:crypto";
import { and, asc, eq, inArray } from "drizzle-orm";
import { ipAllocations, type NetworkRow, type PortRow, ports, type SubnetRow } from "../db/schema";
import type { Reach } from "./bridge-mappings";
import { conflict } from "./errors";
import { allocate, subnetsOfNetwork } from "./ipam";
import { randomMac } from "./mac";
import { label } from "./refs";
import { leastLoaded, networkOfPort, portLoad } from "./scheduler";
import { pending, type Tx } from "./tx";

export const DHCP_OWNER = "network:dhcp";

/** Neutron's device_id for a DHCP port no agent has taken yet. */
export const RESERVED_DHCP_DEVICE = "reserved_dhcp_port";

/** Neutron's device_id of a network's DHCP port on a host: `dhcp<uuid5(DNS namespace, host)>-<network id>`. */
export function dhcpDeviceId(host: string, networkId: string): string {
  return `dhcp${uuid5(host)}-${networkId}`;
}

/** RFC 4122 name-based UUID (SHA-1) in the DNS namespace, as Python's uuid.uuid5(uuid.NAMESPACE_DNS, name). */
function uuid5(name: string): string {
  const namespace = Buffer.from("6ba7b8109dad11d180b400c04fd430c8", "hex");
  const hash = createHash("sha1").update(namespace).update(name, "utf8").digest();
  hash[6] = ((hash[6] ?? 0) & 0x0f) | 0x50;
  hash[8] = ((hash[8] ?? 0) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

async function dhcpPortsOf(tx: Tx, networkId: string): Promise<PortRow[]> {
  return tx.db
    .select()
    .from(ports)
    .where(and(eq(ports.networkId, networkId), eq(ports.deviceOwner, DHCP_OWNER)));
}

/**
 * Makes the network's DHCP port match its subnets: one address on each subnet with DHCP enabled, none on the
 * others; no port when no subnet has DHCP. Call after any change to the network's subnets.
 */
export async function syncDhcpPort(tx: Tx, network: NetworkRow): Promise<void> {
  const served = (await subnetsOfNetwork(tx, network.id)).filter((s) => s.enableDhcp);
  const [port, ...extra] = await dhcpPortsOf(tx, network.id);
  for (const p of extra) await removeDhcpPort(tx, p);
  if (served.length === 0) {
    if (port) await removeDhcpPort(tx, port);
    return;
  }
  if (!port) {
    const made = await insertDhcpPort(tx, network);
    for (const subnet of served) await allocateFor(tx, made, subnet);
    tx.changed({ kind: "port", id: made.id, action: "create", project_id: made.projectId });
    return;
  }
  const held = await tx.db.select().from(ipAllocations).where(eq(ipAllocations.portId, port.id));
  const servedIds = new Set(served.map((s) => s.id));
  const gone = held.filter((a) => !servedIds.has(a.subnetId)).map((a) => a.subnetId);
  if (gone.length > 0) {
    await tx.db
      .delete(ipAllocations)
      .where(and(eq(ipAllocations.portId, port.id), inArray(ipAllocations.subnetId, gone)));
  }
  const heldIds = new Set(held.map((a) => a.subnetId));
  let changed = gone.length > 0;
  for (const subnet of served.filter((s) => !heldIds.has(s.id))) {
    await allocateFor(tx, port, subnet);
    changed = true;
  }
  if (changed) tx.changed({ kind: "port", id: port.id, action: "update", project_id: port.projectId });
}

/** The port row, on the network node the scheduler picks (none alive yet: placed when one registers). */
async function insertDhcpPort(tx: Tx, network: NetworkRow): Promise<PortRow> {
  const host = (await dhcpHost(tx, network)) ?? "";
  const values = {
    networkId: network.id,
    projectId: network.projectId,
    deviceOwner: DHCP_OWNER,
    deviceId: host === "" ? RESERVED_DHCP_DEVICE : dhcpDeviceId(host, network.id),
    hostId: host,
    vifType: host === "" ? ("unbound" as const) : ("ovs" as const),
    ...(await pending(tx)),
  };
  // A random MAC can collide with another port's (1 in 16 million): take another.
  for (;;) {
    const [row] = await tx.db
      .insert(ports)
      .values({ ...values, macAddress: randomMac() })
      .onConflictDoNothing()
      .returning();
    if (row) return row;
  }
}

/**
 * Where a network's DHCP server goes: the live network node serving the fewest networks among those that map its
 * physical network (flat, vlan). None: it waits, as a network no DHCP agent can reach stays unserved in Neutron.
 */
const dhcpHost = async (tx: Tx, network: Reach | null) =>
  leastLoaded(tx.db, "network", await portLoad(tx.db, DHCP_OWNER), network);

/** DHCP servers made before any network node answered go to one now (its registration's transaction). */
export async function scheduleWaitingDhcp(tx: Tx): Promise<void> {
  const waiting = await tx.db
    .select()
    .from(ports)
    .where(and(eq(ports.deviceOwner, DHCP_OWNER), eq(ports.hostId, "")))
    .orderBy(asc(ports.createdAt));
  for (const port of waiting) {
    const host = await dhcpHost(tx, await networkOfPort(tx.db, port.id));
    if (host === null) continue;
    // Neutron's device_id for a DHCP port names its agent's host and the network.
    const deviceId =
      port.deviceId === RESERVED_DHCP_DEVICE ? dhcpDeviceId(host, port.networkId) : port.deviceId;
    await tx.db.update(ports).set({ hostId: host, vifType: "ovs", deviceId }).where(eq(ports.id, port.id));
    tx.changed({ kind: "port", id: port.id, action: "update", project_id: port.projectId });
  }
}

/** Removes a DHCP port (it never holds a floating IP) and so its addresses. */
async function removeDhcpPort(tx: Tx, port: PortRow): Promise<void> {
  await tx.db.delete(ports).where(eq(ports.id, port.id));
  tx.changed({ kind: "port", id: port.id, action: "delete", project_id: port.projectId });
}

async function allocateFor(tx: Tx, port: PortRow, subnet: SubnetRow): Promise<void> {
  if ((await allocate(tx, port, { subnet })) === undefined) {
    throw conflict(
      `No more IP addresses available on subnet ${label(subnet)} for the DHCP port of its network.`,
    );
  }
}

/** Releases the DHCP port's address on a subnet about to be deleted (the port itself is synced after). */
export async function releaseDhcpAddress(tx: Tx, subnet: SubnetRow): Promise<void> {
  const holders = (await dhcpPortsOf(tx, subnet.networkId)).map((p) => p.id);
  if (holders.length === 0) return;
  await tx.db
    .delete(ipAllocations)
    .where(and(eq(ipAllocations.subnetId, subnet.id), inArray(ipAllocations.portId, holders)));
}

/** Removes the network's DHCP ports before the network goes (Neutron deletes them with it). */
export async function removeDhcpPorts(tx: Tx, networkId: string): Promise<void> {
  for (const port of await dhcpPortsOf(tx, networkId)) await removeDhcpPort(tx, port);
}
