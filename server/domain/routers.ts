import { and, asc, eq, inArray, type SQL } from "drizzle-orm";
import type { z } from "zod";
import { cidrContains, cidrsOverlap } from "../../lib/ip";
import type {
  externalGatewayInfo,
  routerCreate,
  routerInterface,
  routerList,
  routerUpdate,
} from "../../lib/schemas/router";
import type { Executor } from "../db/client";
import {
  type AllocationRow,
  floatingIps,
  ipAllocations,
  networks,
  type PortRow,
  ports,
  type Route,
  type RouterRow,
  routerPorts,
  routers,
  type SubnetRow,
  subnets,
} from "../db/schema";
import { checkReach } from "./bridge-mappings";
import { badRequest, conflict, notFound } from "./errors";
import { type HaHostState, haHostsOf, haStatesOf, makeHa, unmakeHa } from "./ha";
import { checkBridgeMappings } from "./hosts";
import { defaultMtuSettings, type MtuSettings } from "./mtu";
import { networkSpec } from "./networks";
import { addPort, allocationsOf, portSpec, removePort } from "./ports";
import { owningProject, projectSpec } from "./projects";
import { hostFieldsFor, label, ownedBy, ownedScope, type RefSpec, resolveRef } from "./refs";
import { haRouterHosts, networkOfPort, placeRouter, routerHost, waitingMessage } from "./scheduler";
import { subnetSpec } from "./subnets";
import { type Actor, pending, type Tx } from "./tx";

const INTERFACE = "network:router_interface";
const GATEWAY = "network:router_gateway";

const routerSpec: RefSpec<RouterRow> = {
  label: "Router",
  plural: "routers",
  byId: async (ex, id) => (await ex.select().from(routers).where(eq(routers.id, id)))[0],
  byName: (ex, name) => ex.select().from(routers).where(eq(routers.name, name)),
  visible: (row, actor) => ownedBy(actor, row.projectId),
};

type RouterParts = { ports: PortRow[]; allocations: AllocationRow[]; haStates?: HaHostState[] };

function routerView(row: RouterRow, parts: RouterParts) {
  const fixedIps = (portId: string) =>
    parts.allocations
      .filter((a) => a.portId === portId)
      .map((a) => ({ subnet_id: a.subnetId, ip_address: a.ipAddress }));
  const gatewayPort = parts.ports.find((p) => p.id === row.gwPortId);
  const interfaces = parts.ports.filter((p) => p.deviceId === row.id && p.deviceOwner === INTERFACE);
  return {
    id: row.id,
    name: row.name,
    project_id: row.projectId,
    tenant_id: row.projectId,
    admin_state_up: row.adminStateUp,
    status: row.status,
    status_message: row.statusMessage,
    external_gateway_info: gatewayPort
      ? {
          network_id: gatewayPort.networkId,
          enable_snat: row.enableSnat,
          external_fixed_ips: fixedIps(gatewayPort.id),
        }
      : null,
    routes: row.routes,
    interfaces: interfaces.flatMap((p) => fixedIps(p.id).map((f) => ({ port_id: p.id, ...f }))),
    /** The network node its namespace is on (admins only; null: waiting for one, see status_message). */
    host: row.host,
    /** Neutron's L3 HA: on two network nodes, one active (holding its addresses), the other standby. */
    ha: row.ha,
    /** An HA router's nodes and what each is for it (admins only; null for a legacy router). */
    ha_state: parts.haStates ?? null,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}
export type RouterView = ReturnType<typeof routerView>;

async function views(ex: Executor, actor: Actor, rows: RouterRow[]): Promise<RouterView[]> {
  if (rows.length === 0) return [];
  const routerIds = rows.map((r) => r.id);
  const owned = await ex
    .select()
    .from(ports)
    .where(and(inArray(ports.deviceId, routerIds), inArray(ports.deviceOwner, [INTERFACE, GATEWAY])))
    .orderBy(asc(ports.createdAt));
  const allocations = await allocationsOf(
    ex,
    owned.map((p) => p.id),
  );
  const haStates = await haStatesOf(
    ex,
    rows.filter((r) => r.ha).map((r) => r.id),
  );
  return rows.map((row) => {
    const view = routerView(row, { ports: owned, allocations, haStates: haStates.get(row.id) });
    // Waiting for a network node is no failure on a host: members read why, as admins do.
    const waiting = row.host === null && row.status === "PENDING";
    // Which node is active names hosts: members see that it is HA, not where.
    const hidden = { host: null, ha_state: null };
    return hostFieldsFor(actor, view, waiting ? { ...hidden, status_message: view.status_message } : hidden);
  });
}

export async function listRouters(ex: Executor, actor: Actor, filter: z.infer<typeof routerList>) {
  const where: (SQL | undefined)[] = [ownedScope(actor, routers.projectId)];
  if (filter?.project_id) {
    where.push(eq(routers.projectId, (await resolveRef(ex, actor, projectSpec, filter.project_id)).id));
  }
  return views(
    ex,
    actor,
    await ex
      .select()
      .from(routers)
      .where(and(...where))
      .orderBy(asc(routers.createdAt)),
  );
}

export async function showRouter(ex: Executor, actor: Actor, ref: string): Promise<RouterView> {
  const [view] = await views(ex, actor, [await resolveRef(ex, actor, routerSpec, ref)]);
  if (!view) throw new Error("unreachable: one row in, one view out");
  return view;
}

/** Every subnet the router touches, with the port that touches it: interfaces and the gateway. */
async function attachedSubnets(tx: Tx, routerId: string) {
  return tx.db
    .select({ subnet: subnets, portId: ports.id, owner: ports.deviceOwner, ip: ipAllocations.ipAddress })
    .from(ports)
    .innerJoin(ipAllocations, eq(ipAllocations.portId, ports.id))
    .innerJoin(subnets, eq(subnets.id, ipAllocations.subnetId))
    .where(and(eq(ports.deviceId, routerId), inArray(ports.deviceOwner, [INTERFACE, GATEWAY])));
}

/**
 * Neutron's rules for a new port of a router, the same whether it comes as a subnet, a port or the gateway: one
 * port per subnet, and no two subnets whose CIDRs overlap (the router could not tell them apart).
 */
function checkAttachable(candidates: SubnetRow[], attached: SubnetRow[]): void {
  for (const c of candidates) {
    if (attached.some((a) => a.id === c.id)) {
      throw badRequest(`Bad router request: Router already has a port on subnet ${label(c)}.`);
    }
    const other = attached.find((a) => cidrsOverlap(a.cidr, c.cidr));
    if (other) {
      throw badRequest(
        `Bad router request: Cidr ${c.cidr} of subnet ${label(c)} overlaps with cidr ${other.cidr} of subnet ${label(other)}.`,
      );
    }
  }
}

/** Floating IPs whose NAT lives on this router: they need its gateway and the interfaces they came through. */
async function floatingIpsVia(tx: Tx, routerId: string) {
  return tx.db.select().from(floatingIps).where(eq(floatingIps.routerId, routerId));
}

/** Marks the router pending (its host must apply the change), setting `fields` in the same statement. */
async function touch(
  tx: Tx,
  router: RouterRow,
  action: "create" | "update",
  fields: Partial<typeof routers.$inferInsert> = {},
) {
  // A router no network node took keeps saying so while it waits.
  const named = { id: router.id, name: fields.name ?? router.name };
  await tx.db
    .update(routers)
    .set({
      ...fields,
      ...(await pending(tx)),
      statusMessage: await waitingMessage(tx.db, named, router.host),
    })
    .where(eq(routers.id, router.id));
  tx.changed({ kind: "router", id: router.id, action, project_id: router.projectId });
}

type GatewayInfo = z.infer<typeof externalGatewayInfo>;

async function setGateway(tx: Tx, router: RouterRow, info: GatewayInfo): Promise<void> {
  const network = await resolveRef(tx.db, tx.actor, networkSpec, info.network_id);
  if (!network.routerExternal)
    throw badRequest(`Bad router request: Network ${label(network)} is not an external network.`);
  const current = router.gwPortId ? await portSpec.byId(tx.db, router.gwPortId) : undefined;
  const sameNetwork = current?.networkId === network.id;
  if (current && !sameNetwork) await clearGateway(tx, router);
  if (current && sameNetwork && info.external_fixed_ips === undefined) {
    await tx.db.update(routers).set({ enableSnat: info.enable_snat }).where(eq(routers.id, router.id));
    return;
  }
  if (current && sameNetwork) await clearGateway(tx, router);
  for (const host of router.ha ? await haHostsOf(tx.db, router.id) : [router.host])
    await checkBridgeMappings(tx.db, network, host);
  const [networkSubnet] = await tx.db
    .select()
    .from(subnets)
    .where(eq(subnets.networkId, network.id))
    .limit(1);
  if (!networkSubnet)
    throw badRequest(`Bad router request: External network ${label(network)} has no subnet.`);
  const host = router.host ?? "";
  const port = await addPort(tx, {
    network,
    projectId: router.projectId,
    deviceOwner: GATEWAY,
    deviceId: router.id,
    hostId: host,
    vifType: host === "" ? "unbound" : "ovs",
    fixedIps: info.external_fixed_ips,
  });
  const attached = await attachedSubnets(tx, router.id);
  checkAttachable(
    attached.filter((a) => a.portId === port.id).map((a) => a.subnet),
    attached.filter((a) => a.portId !== port.id).map((a) => a.subnet),
  );
  await tx.db.insert(routerPorts).values({ portId: port.id, routerId: router.id });
  await tx.db
    .update(routers)
    .set({ gwPortId: port.id, enableSnat: info.enable_snat })
    .where(eq(routers.id, router.id));
}

async function clearGateway(tx: Tx, router: RouterRow): Promise<void> {
  if (!router.gwPortId) return;
  const [needed] = await floatingIpsVia(tx, router.id);
  if (needed) {
    const [network] = await tx.db.select().from(networks).where(eq(networks.id, needed.floatingNetworkId));
    throw conflict(
      `Gateway cannot be updated for router ${label(router)}, since a gateway to external network ${network ? label(network) : needed.floatingNetworkId} is required by one or more floating IPs.`,
    );
  }
  const port = await portSpec.byId(tx.db, router.gwPortId);
  await tx.db.update(routers).set({ gwPortId: null }).where(eq(routers.id, router.id));
  if (port) await removePort(tx, port);
}

/** Neutron: every nexthop must sit on a subnet the router is attached to. */
async function checkRoutes(tx: Tx, router: RouterRow, routes: Route[]): Promise<void> {
  const attached = await attachedSubnets(tx, router.id);
  for (const route of routes) {
    if (!attached.some((a) => cidrContains(a.subnet.cidr, route.nexthop))) {
      throw badRequest(
        `Invalid format for routes: the nexthop ${route.nexthop} of route ${route.destination} is not connected with router ${label(router)}`,
      );
    }
  }
}

export async function createRouter(
  tx: Tx,
  input: z.infer<typeof routerCreate>,
  /** The HA network's MTU comes from these (only an HA router needs them). */
  mtu: MtuSettings = defaultMtuSettings,
): Promise<RouterView> {
  if (input.ha && input.host !== undefined) throw haHostGiven();
  // A gateway given at once takes the router to network nodes that map its external network.
  const gateway = input.external_gateway_info
    ? await resolveRef(tx.db, tx.actor, networkSpec, input.external_gateway_info.network_id)
    : null;
  const haHosts = input.ha ? await haRouterHosts(tx.db, gateway) : [];
  const host = input.ha ? (haHosts[0] ?? null) : await routerHost(tx.db, input.host, gateway);
  const [router] = await tx.db
    .insert(routers)
    .values({
      projectId: await owningProject(tx, input.project_id),
      name: input.name,
      adminStateUp: input.admin_state_up,
      host,
      ...(await pending(tx)),
    })
    .returning();
  if (!router) throw new Error("insert returned nothing");
  const waiting = await waitingMessage(tx.db, router, host);
  if (waiting !== null)
    await tx.db.update(routers).set({ statusMessage: waiting }).where(eq(routers.id, router.id));
  if (input.ha) await makeHa(tx, router, haHosts, mtu);
  if (input.external_gateway_info)
    await setGateway(tx, { ...router, ha: input.ha }, input.external_gateway_info);
  tx.changed({ kind: "router", id: router.id, action: "create", project_id: router.projectId });
  return showRouter(tx.db, tx.actor, router.id);
}

const haHostGiven = () =>
  badRequest("Bad router request: an HA router is scheduled on two network nodes; a host cannot be given.");

/**
 * Neutron's rule for making a router HA or legacy: only while it is down (its namespaces are rebuilt). To HA: the
 * two least loaded network nodes, its ports going to the first; to legacy: it stays on the first.
 */
async function changeHa(tx: Tx, router: RouterRow, input: z.infer<typeof routerUpdate>, mtu: MtuSettings) {
  if (router.adminStateUp || input.admin_state_up === true)
    throw conflict(
      "Cannot change HA attribute of active routers. Please set router admin_state_up to False prior to upgrade.",
    );
  if (!input.ha) return unmakeHa(tx, router);
  const hosts = await haRouterHosts(tx.db);
  await placeRouter(tx, router, hosts[0] ?? null);
  await makeHa(tx, router, hosts, mtu);
}

export async function updateRouter(
  tx: Tx,
  input: z.infer<typeof routerUpdate>,
  mtu: MtuSettings,
): Promise<RouterView> {
  let router = await resolveRef(tx.db, tx.actor, routerSpec, input.id);
  if (input.ha !== undefined && input.ha !== router.ha) {
    if (input.host !== undefined) throw haHostGiven();
    await changeHa(tx, router, input, mtu);
    router = await resolveRef(tx.db, tx.actor, routerSpec, router.id);
  }
  if (input.host !== undefined && router.ha) throw haHostGiven();
  if (input.host !== undefined && input.host !== router.host) {
    // Moved as Neutron's `network agent add router` does: the same ports and addresses, on the new node, which
    // must reach the gateway's physical network.
    const host = await routerHost(tx.db, input.host);
    const gateway = router.gwPortId ? await portSpec.byId(tx.db, router.gwPortId) : undefined;
    const [external] = gateway
      ? await tx.db.select().from(networks).where(eq(networks.id, gateway.networkId))
      : [];
    if (external) await checkBridgeMappings(tx.db, external, host);
    for (const attached of await attachedSubnets(tx, router.id))
      await checkReach(tx.db, await networkOfPort(tx.db, attached.portId), "network", host, "a router");
    await placeRouter(tx, router, host);
    router = await resolveRef(tx.db, tx.actor, routerSpec, router.id);
  }
  if (input.external_gateway_info === null) await clearGateway(tx, router);
  else if (input.external_gateway_info) await setGateway(tx, router, input.external_gateway_info);
  if (input.routes !== undefined) await checkRoutes(tx, router, input.routes);
  await touch(tx, router, "update", {
    name: input.name,
    adminStateUp: input.admin_state_up,
    routes: input.routes,
  });
  return showRouter(tx.db, tx.actor, router.id);
}

export async function addRouterInterface(
  tx: Tx,
  input: z.infer<typeof routerInterface>,
): Promise<RouterView> {
  const router = await resolveRef(tx.db, tx.actor, routerSpec, input.id);
  const attached = (await attachedSubnets(tx, router.id)).map((a) => a.subnet);
  const host = router.host ?? "";
  let port: PortRow;
  if (input.subnet_id !== undefined) {
    const subnet = await resolveRef(tx.db, tx.actor, subnetSpec, input.subnet_id);
    checkAttachable([subnet], attached);
    if (subnet.gatewayIp === null) {
      throw badRequest(`Bad router request: Subnet ${label(subnet)} does not have a gateway IP.`);
    }
    const [network] = await tx.db.select().from(networks).where(eq(networks.id, subnet.networkId));
    if (!network) throw new Error("subnet without network");
    port = await addPort(tx, {
      network,
      projectId: router.projectId,
      deviceOwner: INTERFACE,
      deviceId: router.id,
      hostId: host,
      vifType: host === "" ? "unbound" : "ovs",
      fixedIps: [{ subnet_id: subnet.id, ip_address: subnet.gatewayIp }],
    });
  } else {
    port = await resolveRef(tx.db, tx.actor, portSpec, input.port_id ?? "");
    if (port.deviceOwner !== "" || port.deviceId !== "") throw attachedElsewhere(port);
    const mine = await allocationsOf(tx.db, [port.id]);
    if (mine.length === 0)
      throw badRequest("Bad router request: Router port must have at least one fixed IP.");
    // Neutron's rule: the host plugs one address per router port, and a second would be silently left out.
    if (mine.length > 1)
      throw badRequest("Bad router request: Cannot have multiple IPv4 subnets on router port.");
    const own = await tx.db
      .select()
      .from(subnets)
      .where(
        inArray(
          subnets.id,
          mine.map((a) => a.subnetId),
        ),
      );
    checkAttachable(own, attached);
    await tx.db
      .update(ports)
      .set({
        deviceOwner: INTERFACE,
        deviceId: router.id,
        // Wired by the router's node from now on (its binding:host_id, as Neutron's L3 agent binds it).
        ...(host === "" ? {} : { hostId: host, vifType: "ovs" as const }),
        ...(await pending(tx)),
      })
      .where(eq(ports.id, port.id));
    tx.changed({ kind: "port", id: port.id, action: "update", project_id: port.projectId });
  }
  // The router's node wires the interface: it must map the network's physical network (flat, vlan).
  await checkReach(tx.db, await networkOfPort(tx.db, port.id), "network", router.host, "a router");
  await tx.db.insert(routerPorts).values({ portId: port.id, routerId: router.id });
  await touch(tx, router, "update");
  return showRouter(tx.db, tx.actor, router.id);
}

const attachedElsewhere = (port: PortRow) =>
  conflict(
    `Unable to complete operation on port ${label(port)}. Port already has an attached device ${port.deviceId || port.deviceOwner}.`,
  );

export async function removeRouterInterface(
  tx: Tx,
  input: z.infer<typeof routerInterface>,
): Promise<RouterView> {
  const router = await resolveRef(tx.db, tx.actor, routerSpec, input.id);
  const interfaces = (await attachedSubnets(tx, router.id)).filter((a) => a.owner === INTERFACE);
  let portId: string;
  if (input.subnet_id !== undefined) {
    const subnet = await resolveRef(tx.db, tx.actor, subnetSpec, input.subnet_id);
    const found = interfaces.find((a) => a.subnet.id === subnet.id);
    if (!found) throw notFound(`Router ${label(router)} has no interface on subnet ${label(subnet)}`);
    portId = found.portId;
  } else {
    const port = await resolveRef(tx.db, tx.actor, portSpec, input.port_id ?? "");
    if (!interfaces.some((a) => a.portId === port.id)) {
      throw notFound(`Router ${label(router)} does not have an interface with id ${port.id}`);
    }
    portId = port.id;
  }
  const leaving = interfaces.filter((a) => a.portId === portId);
  const fixedOnLeaving = await tx.db
    .select({ ip: floatingIps.fixedIpAddress })
    .from(floatingIps)
    .where(eq(floatingIps.routerId, router.id));
  for (const gone of leaving) {
    if (fixedOnLeaving.some((f) => f.ip !== null && cidrContains(gone.subnet.cidr, f.ip))) {
      throw conflict(
        `Router interface for subnet ${label(gone.subnet)} on router ${label(router)} cannot be deleted, as it is required by one or more floating IPs.`,
      );
    }
    const stays = (await attachedSubnets(tx, router.id)).filter((a) => a.portId !== portId);
    if (
      router.routes.some(
        (r) =>
          cidrContains(gone.subnet.cidr, r.nexthop) &&
          !stays.some((s) => cidrContains(s.subnet.cidr, r.nexthop)),
      )
    ) {
      throw conflict(
        `Router interface for subnet ${label(gone.subnet)} on router ${label(router)} cannot be deleted, as it is required by one or more routes.`,
      );
    }
  }
  const port = await portSpec.byId(tx.db, portId);
  if (port) await removePort(tx, port);
  await touch(tx, router, "update");
  return showRouter(tx.db, tx.actor, router.id);
}

export async function deleteRouter(tx: Tx, ref: string): Promise<void> {
  const router = await resolveRef(tx.db, tx.actor, routerSpec, ref);
  const interfaces = (await attachedSubnets(tx, router.id)).filter((a) => a.owner === INTERFACE);
  const [ownedPort] = await tx.db
    .select({ id: ports.id })
    .from(ports)
    .where(and(eq(ports.deviceId, router.id), eq(ports.deviceOwner, INTERFACE)))
    .limit(1);
  if (interfaces.length > 0 || ownedPort)
    throw conflict(`Router ${label(router)} still has ports`, "RouterInUse");
  await clearGateway(tx, router);
  if (router.ha) await unmakeHa(tx, router);
  await tx.db.delete(routers).where(eq(routers.id, router.id));
  tx.changed({ kind: "router", id: router.id, action: "delete", project_id: router.projectId });
}
