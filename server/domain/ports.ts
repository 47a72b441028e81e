import { type AnyColumn, and, eq, inArray, type SQL, sql } from "drizzle-orm";
import type { z } from "zod";
import { cidrContains } from "../../lib/ip";
import type { FixedIpInput } from "../../lib/schemas/common";
import type { portCreate, portList, portUpdate } from "../../lib/schemas/port";
import type { PortSecurityInput } from "../../lib/schemas/securityGroup";
import type { Executor } from "../db/client";
import { type JsonField, jsonArrayText, jsonObjectText } from "../db/json";
import {
  type AddressPair,
  type AllocationRow,
  floatingIps,
  instances,
  ipAllocations,
  type NetworkRow,
  networks,
  type PortRow,
  portForwardings,
  portSecurityGroups,
  ports,
  type Status,
  type VifType,
} from "../db/schema";
import { checkReach, type Reach } from "./bridge-mappings";
import { badRequest, conflict, notFound } from "./errors";
import { HA_INTERFACE, notHaPort } from "./haHidden";
import { knownAgents } from "./hosts";
import { type AddressHolder, type AddressRequest, allocate, subnetsOfNetwork } from "./ipam";
import { randomMac } from "./mac";
import { networkSpec } from "./networks";
import { securePort } from "./portSecurity";
import { owningProject, projectSpec } from "./projects";
import { label, MEMBER_STATUS_MESSAGE, ownedBy, ownedScope, type RefSpec, resolveRef } from "./refs";
import { networkOfPort } from "./scheduler";
import { subnetSpec } from "./subnets";
import { type Actor, pending, type Tx } from "./tx";

export const portSpec: RefSpec<PortRow> = {
  label: "Port",
  plural: "ports",
  byId: async (ex, id) => (await ex.select().from(ports).where(eq(ports.id, id)))[0],
  byName: (ex, name) => ex.select().from(ports).where(eq(ports.name, name)),
  // Members never see their routers' HA ports (Neutron gives those no tenant).
  visible: (row, actor) =>
    ownedBy(actor, row.projectId) && (actor.role === "admin" || row.deviceOwner !== HA_INTERFACE),
};

type FixedIp = { subnet_id: string; ip_address: string };

export type PortView = {
  id: string;
  name: string;
  network_id: string;
  project_id: string;
  tenant_id: string;
  mac_address: string;
  fixed_ips: FixedIp[];
  device_owner: string;
  device_id: string;
  "binding:host_id": string;
  "binding:vif_type": VifType;
  admin_state_up: boolean;
  security_groups: string[];
  port_security_enabled: boolean;
  allowed_address_pairs: AddressPair[];
  status: Status;
  status_message: string | null;
  created_at: string;
  updated_at: string;
};

/**
 * A port's view as JSON text, for each port `chosen` selects, oldest first: one query whatever the count, its
 * addresses and groups aggregated beside it (server/db/json.ts says why text). Where a port is bound and why its
 * host failed are for admins, as hostFieldsFor keeps them in the other views.
 */
async function portViewsText(ex: Executor, actor: Actor, chosen: SQL | undefined): Promise<string> {
  // The addresses and groups of the chosen ports; of all of them (no join to make) when all are chosen.
  const ofChosen = (portId: AnyColumn) =>
    chosen === undefined ? undefined : inArray(portId, ex.select({ id: ports.id }).from(ports).where(chosen));
  const addresses = ex.$with("addresses").as(
    ex
      .select({
        portId: ipAllocations.portId,
        list: jsonArrayText(
          jsonObjectText([
            ["subnet_id", sql`${ipAllocations.subnetId}`, "bare"],
            ["ip_address", sql`${ipAllocations.ipAddress}`, "bare"],
          ]),
        ).as("fixed_ips"),
      })
      .from(ipAllocations)
      .where(ofChosen(ipAllocations.portId))
      .groupBy(ipAllocations.portId),
  );
  const groups = ex.$with("groups").as(
    ex
      .select({
        portId: portSecurityGroups.portId,
        list: jsonArrayText(sql`'"' || ${portSecurityGroups.securityGroupId} || '"'`).as("security_groups"),
      })
      .from(portSecurityGroups)
      .where(ofChosen(portSecurityGroups.portId))
      .groupBy(portSecurityGroups.portId),
  );
  const admin = actor.role === "admin";
  const fields: readonly (readonly [keyof PortView, SQL, JsonField[2]])[] = [
    ["id", sql`${ports.id}`, "bare"],
    ["name", sql`${ports.name}`, "string"],
    ["network_id", sql`${ports.networkId}`, "bare"],
    ["project_id", sql`${ports.projectId}`, "bare"],
    ["tenant_id", sql`${ports.projectId}`, "bare"],
    ["mac_address", sql`${ports.macAddress}`, "bare"],
    ["fixed_ips", sql`coalesce(${addresses.list}, '[]')`, "raw"],
    ["device_owner", sql`${ports.deviceOwner}`, "string"],
    ["device_id", sql`${ports.deviceId}`, "string"],
    ["binding:host_id", admin ? sql`${ports.hostId}` : sql`''`, "string"],
    ["binding:vif_type", sql`${ports.vifType}`, "bare"],
    ["admin_state_up", sql`${ports.adminStateUp}`, "plain"],
    ["security_groups", sql`coalesce(${groups.list}, '[]')`, "raw"],
    ["port_security_enabled", sql`${ports.portSecurityEnabled}`, "plain"],
    ["allowed_address_pairs", sql`${ports.allowedAddressPairs}`, "json"],
    ["status", sql`${ports.status}`, "bare"],
    [
      "status_message",
      admin
        ? sql`${ports.statusMessage}`
        : sql`case when ${ports.statusMessage} is null then null else ${MEMBER_STATUS_MESSAGE}::text end`,
      "string",
    ],
    ["created_at", sql`${ports.createdAt}`, "time"],
    ["updated_at", sql`${ports.updatedAt}`, "time"],
  ];
  const [listed] = await ex
    .with(addresses, groups)
    .select({ text: jsonArrayText(jsonObjectText(fields), sql`${ports.createdAt}`) })
    .from(ports)
    .leftJoin(addresses, eq(addresses.portId, ports.id))
    .leftJoin(groups, eq(groups.portId, ports.id))
    .where(chosen);
  return listed?.text ?? "[]";
}

async function portViews(ex: Executor, actor: Actor, chosen: SQL | undefined): Promise<PortView[]> {
  return JSON.parse(await portViewsText(ex, actor, chosen)) as PortView[];
}

export function allocationsOf(ex: Executor, portIds: string[]): Promise<AllocationRow[]> {
  if (portIds.length === 0) return Promise.resolve([]);
  return ex.select().from(ipAllocations).where(inArray(ipAllocations.portId, portIds));
}

/** What `filter` chooses of the ports `actor` may see. */
async function listed(
  ex: Executor,
  actor: Actor,
  filter: z.infer<typeof portList>,
): Promise<SQL | undefined> {
  const where: (SQL | undefined)[] = [
    ownedScope(actor, ports.projectId),
    notHaPort(actor, ports.deviceOwner),
  ];
  if (filter?.project_id) {
    where.push(eq(ports.projectId, (await resolveRef(ex, actor, projectSpec, filter.project_id)).id));
  }
  if (filter?.network_id) {
    where.push(eq(ports.networkId, (await resolveRef(ex, actor, networkSpec, filter.network_id)).id));
  }
  if (filter?.device_owner !== undefined) where.push(eq(ports.deviceOwner, filter.device_owner));
  if (filter?.device_id !== undefined) where.push(eq(ports.deviceId, filter.device_id));
  return and(...where);
}

export async function listPorts(
  ex: Executor,
  actor: Actor,
  filter: z.infer<typeof portList>,
): Promise<PortView[]> {
  return portViews(ex, actor, await listed(ex, actor, filter));
}

/** The same list as JSON text, for an answer that sends it as it is (a REST list without a query). */
export async function listPortsText(
  ex: Executor,
  actor: Actor,
  filter: z.infer<typeof portList>,
): Promise<string> {
  return portViewsText(ex, actor, await listed(ex, actor, filter));
}

export async function showPort(ex: Executor, actor: Actor, ref: string): Promise<PortView> {
  const row = await resolveRef(ex, actor, portSpec, ref);
  const [view] = await portViews(ex, actor, eq(ports.id, row.id));
  // Another request deleted it since it was resolved.
  if (!view) throw notFound(`Port ${ref} not found`, "PortNotFound");
  return view;
}

/** Turns Neutron's fixed_ips into allocation requests on this network's subnets. */
async function addressRequests(
  tx: Tx,
  network: NetworkRow,
  fixedIps: FixedIpInput[],
): Promise<AddressRequest[]> {
  const onNetwork = await subnetsOfNetwork(tx, network.id);
  const requests: AddressRequest[] = [];
  for (const fixed of fixedIps) {
    if (fixed.subnet_id !== undefined) {
      const subnet = await resolveRef(tx.db, tx.actor, subnetSpec, fixed.subnet_id);
      if (subnet.networkId !== network.id) {
        throw badRequest(
          `Invalid input for operation: Failed to create port on network ${label(network)}, because fixed_ips included invalid subnet ${label(subnet)}.`,
        );
      }
      requests.push({ subnet, ipAddress: fixed.ip_address });
      continue;
    }
    const ip = fixed.ip_address ?? "";
    const subnet = onNetwork.find((s) => cidrContains(s.cidr, ip));
    if (!subnet) {
      throw badRequest(
        `Invalid input for operation: IP address ${ip} is not a valid IP for any of the subnets on the specified network.`,
      );
    }
    requests.push({ subnet, ipAddress: ip });
  }
  return requests;
}

/** Neutron's default: one address from the first subnet of the network that still has one. */
async function allocateDefault(tx: Tx, port: AddressHolder, network: NetworkRow): Promise<void> {
  const onNetwork = await subnetsOfNetwork(tx, network.id);
  if (onNetwork.length === 0) return;
  for (const subnet of onNetwork) {
    if ((await allocate(tx, port, { subnet })) !== undefined) return;
  }
  throw conflict(
    `No more IP addresses available on network ${label(network)}.`,
    "IpAddressGenerationFailure",
  );
}

async function allocateAll(
  tx: Tx,
  port: AddressHolder,
  network: NetworkRow,
  fixedIps: FixedIpInput[] | undefined,
) {
  if (fixedIps === undefined || fixedIps.length === 0) return allocateDefault(tx, port, network);
  for (const request of await addressRequests(tx, network, fixedIps)) {
    if ((await allocate(tx, port, request)) === undefined) {
      throw conflict(
        `No more IP addresses available on network ${label(network)}.`,
        "IpAddressGenerationFailure",
      );
    }
  }
}

/** Neutron's prefix of the device owners that are parts of the network itself, not of a tenant's server. */
const NETWORK_OWNER = "network:";

export type NewPort = {
  network: NetworkRow;
  projectId: string;
  name?: string;
  fixedIps?: FixedIpInput[];
  macAddress?: string;
  deviceOwner?: string;
  deviceId?: string;
  hostId?: string;
  /** The host was asked for through the API: kept when the port is unplugged. */
  hostPinned?: boolean;
  /** "ovs" for the ports that an agent wires itself (router ports, lab probes) on their host. */
  vifType?: VifType;
  adminStateUp?: boolean;
  security?: PortSecurityInput;
};

/** Creates a port with its addresses: for users, and for routers, floating IPs and servers. */
export async function addPort(tx: Tx, spec: NewPort): Promise<PortRow> {
  const values = {
    networkId: spec.network.id,
    projectId: spec.projectId,
    name: spec.name ?? "",
    deviceOwner: spec.deviceOwner ?? "",
    deviceId: spec.deviceId ?? "",
    hostId: spec.hostId ?? "",
    hostPinned: spec.hostPinned ?? false,
    vifType: spec.vifType ?? "unbound",
    adminStateUp: spec.adminStateUp ?? true,
    ...(await pending(tx)),
  };
  // A random MAC can collide (1 in 16 million); a given one that collides is the caller's mistake.
  for (;;) {
    const macAddress = spec.macAddress ?? randomMac();
    const [row] = await tx.db
      .insert(ports)
      .values({ ...values, macAddress })
      .onConflictDoNothing()
      .returning();
    if (row) {
      await allocateAll(tx, row, spec.network, spec.fixedIps);
      await securePort(tx, row, spec.security ?? {}, true);
      tx.changed({ kind: "port", id: row.id, action: "create", project_id: row.projectId });
      return row;
    }
    if (spec.macAddress !== undefined) {
      throw conflict(
        `Unable to complete operation for network ${label(spec.network)}. The mac address ${macAddress} is in use.`,
      );
    }
  }
}

/** Deletes a port and releases its addresses; floating IPs on it are disassociated first (Neutron does). */
export async function removePort(tx: Tx, port: PortRow): Promise<void> {
  const released = await tx.db
    .update(floatingIps)
    .set({ fixedPortId: null, fixedIpAddress: null, routerId: null, ...(await pending(tx)) })
    .where(eq(floatingIps.fixedPortId, port.id))
    .returning({ id: floatingIps.id, projectId: floatingIps.projectId });
  for (const f of released)
    tx.changed({ kind: "floating_ip", id: f.id, action: "update", project_id: f.projectId });
  const forwarding = await tx.db
    .selectDistinct({ id: portForwardings.floatingIpId })
    .from(portForwardings)
    .where(eq(portForwardings.internalPortId, port.id));
  // Its port forwardings go with it (the foreign key cascades), as in Neutron.
  await tx.db.delete(ports).where(eq(ports.id, port.id));
  tx.changed({ kind: "port", id: port.id, action: "delete", project_id: port.projectId });
  for (const { id } of forwarding) await forwardingsChanged(tx, id);
}

/** A floating IP whose forwardings changed goes to its hosts again; with none left it is on no router. */
export async function forwardingsChanged(tx: Tx, floatingIpId: string): Promise<void> {
  const [left] = await tx.db
    .select({ id: portForwardings.id })
    .from(portForwardings)
    .where(eq(portForwardings.floatingIpId, floatingIpId))
    .limit(1);
  const [fip] = await tx.db
    .update(floatingIps)
    .set({ ...(left ? {} : { routerId: null }), ...(await pending(tx)) })
    .where(eq(floatingIps.id, floatingIpId))
    .returning({ id: floatingIps.id, projectId: floatingIps.projectId });
  if (fip) tx.changed({ kind: "floating_ip", id: fip.id, action: "update", project_id: fip.projectId });
}

export async function createPort(tx: Tx, input: z.infer<typeof portCreate>): Promise<PortView> {
  const network = await resolveRef(tx.db, tx.actor, networkSpec, input.network_id);
  const row = await addPort(tx, {
    network,
    projectId: input.project_id === undefined ? network.projectId : await owningProject(tx, input.project_id),
    name: input.name,
    fixedIps: input.fixed_ips,
    macAddress: input.mac_address,
    adminStateUp: input.admin_state_up,
    deviceOwner: input.device_owner,
    deviceId: input.device_id,
    ...(await requestedHost(tx, network, undefined, input["binding:host_id"])),
    security: input,
  });
  return showPort(tx.db, tx.actor, row.id);
}

/**
 * binding:host_id as asked through the API: a host with an agent, pinned (only that host binds the port, and it
 * stays when the port is unplugged); "" unpins it. A port plugged on one host cannot be moved to another by
 * writing a name: it is unplugged there first. On a flat or vlan network the host must map its physical network.
 */
async function requestedHost(
  tx: Tx,
  network: Reach | null,
  port: PortRow | undefined,
  host: string | undefined,
): Promise<{ hostId?: string; hostPinned?: boolean }> {
  if (host === undefined) return {};
  const bound = port !== undefined && port.vifType === "ovs" ? port.hostId : "";
  if (host === "") return { hostId: bound, hostPinned: false };
  if (port !== undefined && bound !== "" && bound !== host) {
    throw conflict(
      `Port ${label(port)} is bound on host ${bound}; unplug it there before binding it to host ${host}.`,
    );
  }
  const hosts = (await knownAgents(tx.db)).flatMap((a) => (a.host === null ? [] : [a.host]));
  if (!hosts.includes(host)) {
    throw badRequest(
      `Invalid input for binding:host_id: host ${host} has no agent (${hosts.length === 0 ? "no agent has reported yet" : `known hosts: ${hosts.join(", ")}`}).`,
    );
  }
  await checkReach(tx.db, network, "compute", host, "this port");
  return { hostId: host, hostPinned: true };
}

/** The lab server whose probe holds this port, if one does. */
async function serverOf(tx: Tx, port: PortRow) {
  const [server] = await tx.db.select().from(instances).where(eq(instances.portId, port.id)).limit(1);
  return server;
}

/** The device fields of a port that the network service or a lab server owns are theirs, not the port API's. */
async function assertDeviceFieldsFree(tx: Tx, port: PortRow): Promise<void> {
  if (port.deviceOwner.startsWith(NETWORK_OWNER)) {
    throw conflict(
      `Port ${label(port)} is owned by ${port.deviceOwner} ${port.deviceId}; its device and binding cannot be changed through the port API.`,
    );
  }
  const server = await serverOf(tx, port);
  if (server) {
    throw conflict(
      `Port ${label(port)} is the port of server ${label(server)}; its device and binding are the server's.`,
    );
  }
}

export async function updatePort(tx: Tx, input: z.infer<typeof portUpdate>): Promise<PortView> {
  const port = await resolveRef(tx.db, tx.actor, portSpec, input.id);
  const host = input["binding:host_id"];
  if (input.device_owner !== undefined || input.device_id !== undefined || host !== undefined)
    await assertDeviceFieldsFree(tx, port);
  if (input.fixed_ips !== undefined) {
    // The device that owns a network port (floating IP, router, DHCP) holds its address in its own record and on
    // its host: a new address here would leave the old one in use there and free to be handed out again.
    if (port.deviceOwner.startsWith(NETWORK_OWNER)) {
      throw conflict(
        `Port ${label(port)} is owned by ${port.deviceOwner} ${port.deviceId}; its fixed IPs cannot be changed through the port API.`,
      );
    }
    const [floating] = await tx.db
      .select()
      .from(floatingIps)
      .where(eq(floatingIps.fixedPortId, port.id))
      .limit(1);
    if (floating) {
      throw conflict(
        `Port ${label(port)} has floating IP ${floating.floatingIpAddress} associated; disassociate it before changing its fixed IPs`,
      );
    }
    const [network] = await tx.db.select().from(networks).where(eq(networks.id, port.networkId));
    if (!network) throw new Error("port without network");
    await tx.db.delete(ipAllocations).where(eq(ipAllocations.portId, port.id));
    await allocateAll(tx, port, network, input.fixed_ips);
  }
  await securePort(tx, port, input, false);
  await tx.db
    .update(ports)
    .set({
      name: input.name,
      adminStateUp: input.admin_state_up,
      deviceOwner: input.device_owner,
      deviceId: input.device_id,
      ...(await requestedHost(tx, await networkOfPort(tx.db, port.id), port, host)),
      ...(await pending(tx)),
    })
    .where(eq(ports.id, port.id));
  tx.changed({ kind: "port", id: port.id, action: "update", project_id: port.projectId });
  return showPort(tx.db, tx.actor, port.id);
}

export async function deletePort(tx: Tx, ref: string): Promise<void> {
  const port = await resolveRef(tx.db, tx.actor, portSpec, ref);
  // As Neutron: the network service's own ports go with what owns them; a workload's port (compute:*, a
  // container's) is deleted by whoever runs the workload. A lab server's port goes with the server.
  if (port.deviceOwner.startsWith(NETWORK_OWNER) || (await serverOf(tx, port))) {
    throw conflict(
      `Port ${label(port)} cannot be deleted directly via the port API: has device owner ${port.deviceOwner}.`,
    );
  }
  await removePort(tx, port);
}
