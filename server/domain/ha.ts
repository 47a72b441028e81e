// Neutron's L3 HA in the model: per project the HA network its HA routers run VRRP over (made with the first,
// removed with the last), a VRRP id per router unique on that network, and per router one port on that network
// for each network node that runs it (ha_router_agent_port_bindings), with what that node last reported.
import { and, asc, eq, inArray, ne } from "drizzle-orm";
import type { Executor } from "../db/client";
import {
  type HaBindingState,
  haRouterAgentPortBindings,
  haRouterNetworks,
  haRouterVridAllocations,
  type NetworkRow,
  networks,
  type PortRow,
  ports,
  type RouterRow,
  routers,
  subnets,
} from "../db/schema";
import { conflict } from "./errors";
import { HA_INTERFACE } from "./haHidden";
import { agentAlive, knownAgents } from "./hosts";
import type { MtuSettings } from "./mtu";
import { createNetwork, networkSpec } from "./networks";
import { addPort, removePort } from "./ports";
import { label, resolveRef } from "./refs";
import { createSubnet } from "./subnets";
import type { Tx } from "./tx";

/** Neutron's l3_ha_net_cidr: where the HA ports' addresses come from. */
export const HA_CIDR = "169.254.192.0/18";
/** VRRP ids are 1..255; Neutron keeps 255 out (it is the address owner's priority). */
export const VR_ID_MAX = 254;

export const haNetworkName = (projectId: string) => `HA network tenant ${projectId}`;
export const haSubnetName = (projectId: string) => `HA subnet tenant ${projectId}`;
const haPortName = (projectId: string) => `HA port tenant ${projectId}`;

/** PURE: the lowest VRRP id not taken; null when all are. */
export function freeVrId(taken: Iterable<number>): number | null {
  const used = new Set(taken);
  for (let id = 1; id <= VR_ID_MAX; id++) if (!used.has(id)) return id;
  return null;
}

/** The project's HA network, made (with its subnet) when its first HA router needs it. */
async function ensureHaNetwork(tx: Tx, projectId: string, mtu: MtuSettings): Promise<NetworkRow> {
  const [existing] = await tx.db
    .select({ network: networks })
    .from(haRouterNetworks)
    .innerJoin(networks, eq(networks.id, haRouterNetworks.networkId))
    .where(eq(haRouterNetworks.projectId, projectId));
  if (existing) return existing.network;
  // VXLAN: VRRP between network nodes crosses them through br-tun, as the project's tenant networks do.
  const made = await createNetwork(
    tx,
    {
      name: haNetworkName(projectId),
      project_id: projectId,
      shared: false,
      "router:external": false,
      "provider:network_type": "vxlan",
      admin_state_up: true,
    },
    mtu,
  );
  await createSubnet(tx, {
    name: haSubnetName(projectId),
    network_id: made.id,
    project_id: projectId,
    ip_version: 4,
    cidr: HA_CIDR,
    gateway_ip: null,
    enable_dhcp: false,
    dns_nameservers: [],
    host_routes: [],
  });
  await tx.db.insert(haRouterNetworks).values({ projectId, networkId: made.id });
  return resolveRef(tx.db, tx.actor, networkSpec, made.id);
}

/** Takes the lowest free VRRP id on the HA network (Neutron's ha_router_vrid_allocations). */
async function allocateVrId(tx: Tx, router: RouterRow, network: NetworkRow): Promise<number> {
  const taken = await tx.db
    .select({ vrId: haRouterVridAllocations.vrId })
    .from(haRouterVridAllocations)
    .where(eq(haRouterVridAllocations.networkId, network.id));
  const vrId = freeVrId(taken.map((t) => t.vrId));
  if (vrId === null)
    throw conflict(
      `No more Virtual Router Identifier (VRID) available when creating router ${label(router)}. The limit of number of HA Routers per tenant is ${VR_ID_MAX}.`,
      "NoVRIDAvailable",
    );
  await tx.db.insert(haRouterVridAllocations).values({ networkId: network.id, vrId });
  return vrId;
}

/** One HA port of the router for `host` on the HA network, bound to that node. */
async function addHaPort(tx: Tx, router: RouterRow, network: NetworkRow, host: string): Promise<void> {
  const port = await addPort(tx, {
    network,
    projectId: router.projectId,
    name: haPortName(router.projectId),
    deviceOwner: HA_INTERFACE,
    deviceId: router.id,
    hostId: host,
    vifType: "ovs",
  });
  await tx.db.insert(haRouterAgentPortBindings).values({ portId: port.id, routerId: router.id, host });
}

/** Makes the router HA on `hosts` (two network nodes): its VRRP id, and a port on the HA network per node. */
export async function makeHa(tx: Tx, router: RouterRow, hosts: readonly string[], mtu: MtuSettings) {
  const network = await ensureHaNetwork(tx, router.projectId, mtu);
  const vrId = await allocateVrId(tx, router, network);
  await tx.db.update(routers).set({ ha: true, haVrId: vrId }).where(eq(routers.id, router.id));
  for (const host of hosts) await addHaPort(tx, router, network, host);
}

/**
 * Makes the router legacy again (or readies its deletion): its HA ports go, its VRRP id is freed, and the
 * project's HA network goes with its last HA router.
 */
export async function unmakeHa(tx: Tx, router: RouterRow): Promise<void> {
  const haPorts: PortRow[] = await tx.db
    .select()
    .from(ports)
    .where(and(eq(ports.deviceId, router.id), eq(ports.deviceOwner, HA_INTERFACE)));
  for (const port of haPorts) await removePort(tx, port);
  const [link] = await tx.db
    .select()
    .from(haRouterNetworks)
    .where(eq(haRouterNetworks.projectId, router.projectId));
  await tx.db.update(routers).set({ ha: false, haVrId: null }).where(eq(routers.id, router.id));
  if (!link) return;
  if (router.haVrId !== null)
    await tx.db
      .delete(haRouterVridAllocations)
      .where(
        and(
          eq(haRouterVridAllocations.networkId, link.networkId),
          eq(haRouterVridAllocations.vrId, router.haVrId),
        ),
      );
  const [other] = await tx.db
    .select({ id: routers.id })
    .from(routers)
    .where(and(eq(routers.projectId, router.projectId), eq(routers.ha, true), ne(routers.id, router.id)))
    .limit(1);
  if (other) return;
  await tx.db.delete(subnets).where(eq(subnets.networkId, link.networkId));
  // The link and the VRRP ids go with the network (their foreign keys cascade).
  await tx.db.delete(networks).where(eq(networks.id, link.networkId));
  tx.changed({ kind: "network", id: link.networkId, action: "delete", project_id: router.projectId });
}

/** The hosts an HA router runs on, in the order they were given. */
export async function haHostsOf(ex: Executor, routerId: string): Promise<string[]> {
  const rows = await ex
    .select({ host: haRouterAgentPortBindings.host })
    .from(haRouterAgentPortBindings)
    .innerJoin(ports, eq(ports.id, haRouterAgentPortBindings.portId))
    .where(eq(haRouterAgentPortBindings.routerId, routerId))
    .orderBy(asc(ports.createdAt));
  return rows.map((r) => r.host);
}

/** Neutron's ha_state of a node for a router: what it last reported, "unknown" while its agent is not alive. */
export type HaHostState = { host: string; ha_state: HaBindingState };

/** Per router, its nodes and their state; a node whose agent is offline is "unknown", never "active". */
export async function haStatesOf(ex: Executor, routerIds: string[]): Promise<Map<string, HaHostState[]>> {
  const out = new Map<string, HaHostState[]>();
  if (routerIds.length === 0) return out;
  const rows = await ex
    .select({ binding: haRouterAgentPortBindings })
    .from(haRouterAgentPortBindings)
    .innerJoin(ports, eq(ports.id, haRouterAgentPortBindings.portId))
    .where(inArray(haRouterAgentPortBindings.routerId, routerIds))
    .orderBy(asc(ports.createdAt));
  if (rows.length === 0) return out;
  const now = Date.now();
  const online = new Set(
    (await knownAgents(ex)).flatMap((a) => (a.host !== null && agentAlive(a, now) ? [a.host] : [])),
  );
  for (const { binding } of rows) {
    const state: HaBindingState = online.has(binding.host) ? binding.state : "unknown";
    out.set(binding.routerId, [
      ...(out.get(binding.routerId) ?? []),
      { host: binding.host, ha_state: state },
    ]);
  }
  return out;
}
