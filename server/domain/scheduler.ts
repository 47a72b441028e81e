// Where routers, lab instances and DHCP servers go when there are several hosts: Neutron's L3 and DHCP agent
// schedulers and Nova's, in their least-loaded form: among the live hosts with the role, the one with the fewest
// already (ties: the host that registered first). An admin may name the host instead (`--host`). A port on a flat
// or vlan network goes only to a host that maps its physical network (./bridge-mappings.ts).
import { and, asc, count, eq, inArray, isNull } from "drizzle-orm";
import type { HostRole } from "../../lib/schemas/host";
import type { Executor } from "../db/client";
import { type AgentRow, instances, networks, ports, type RouterRow, routers } from "../db/schema";
import { checkReach, type Reach, reaches } from "./bridge-mappings";
import { badRequest } from "./errors";
import { agentAlive, instanceLoad, knownAgents, loadMap, routerLoad } from "./hosts";
import { label } from "./refs";
import { pending, type Tx } from "./tx";

const ROUTER_OWNERS = ["network:router_interface", "network:router_gateway"];

/** A host as the scheduler weighs it. */
export type Candidate = { host: string; roles: readonly HostRole[]; live: boolean; load: number };

/** A host that reported no roles is both (a one-host install, or an agent older than roles). */
export const hasRole = (roles: readonly HostRole[] | null, role: HostRole) =>
  roles === null || roles.includes(role);

/**
 * PURE: the live candidate with the role and the fewest of what is being placed; candidates come in registration
 * order, which breaks ties. With a single host it is the host, live or not, as before there were several: what it
 * misses while down it gets when it answers. Null: nowhere to go now.
 */
export function pickHost(candidates: readonly Candidate[], role: HostRole): string | null {
  if (candidates.length === 1) {
    const [only] = candidates;
    return only?.roles.includes(role) ? only.host : null;
  }
  let best: Candidate | undefined;
  for (const c of candidates) {
    if (!c.live || !c.roles.includes(role)) continue;
    if (best === undefined || c.load < best.load) best = c;
  }
  return best?.host ?? null;
}

/**
 * PURE: the `n` live candidates with the role and the fewest of what is being placed (ties: registration order),
 * for a router on several nodes (L3 HA); fewer when fewer are live.
 */
export function pickHosts(candidates: readonly Candidate[], role: HostRole, n: number): string[] {
  return candidates
    .filter((c) => c.live && c.roles.includes(role))
    .map((c, order) => ({ c, order }))
    .sort((a, b) => a.c.load - b.c.load || a.order - b.order)
    .slice(0, n)
    .map(({ c }) => c.host);
}

type Known = AgentRow & { host: string };

/** The known hosts as candidates; one that cannot bind a port on `network` takes no role for it. */
async function hostsWithLoad(
  ex: Executor,
  loads: Map<string, number>,
  network: Reach | null,
  now = Date.now(),
): Promise<Candidate[]> {
  const rows = (await knownAgents(ex)).filter((a): a is Known => a.host !== null);
  return rows.map((a) => ({
    host: a.host,
    roles: reaches(a.bridgeMappings, network) ? (a.roles ?? ["compute", "network"]) : [],
    live: agentAlive(a, now),
    load: loads.get(a.host) ?? 0,
  }));
}

/** How many ports of `deviceOwner` each host has: the load of the DHCP scheduler. */
export const portLoad = async (ex: Executor, deviceOwner: string) =>
  loadMap(
    await ex
      .select({ host: ports.hostId, n: count() })
      .from(ports)
      .where(eq(ports.deviceOwner, deviceOwner))
      .groupBy(ports.hostId),
  );

/**
 * The host an admin named for a router (role network) or an instance (role compute): one whose agent registered
 * with that role. Refused otherwise, before anything is written.
 */
async function requestedHost(ex: Executor, host: string, role: HostRole, what: string): Promise<string> {
  const known = (await knownAgents(ex)).filter((a): a is Known => a.host !== null);
  const agent = known.find((a) => a.host === host);
  if (!agent) {
    const names = known.map((a) => a.host);
    throw badRequest(
      `Host ${host} has no agent (${names.length === 0 ? "no agent has reported yet" : `known hosts: ${names.join(", ")}`}).`,
      "HostNotFound",
    );
  }
  if (!hasRole(agent.roles, role))
    throw badRequest(
      `Host ${host} is not a ${role} node (roles: ${(agent.roles ?? []).join(", ")}): it cannot host ${what}.`,
    );
  return host;
}

/**
 * Where a new router goes: the named network node, else the live one with the fewest routers among those that
 * map its gateway's physical network (`gateway`, its external network); null: none alive. The gateway itself
 * refuses a node without that mapping (./hosts.ts checkBridgeMappings), in its own words.
 */
export async function routerHost(
  ex: Executor,
  requested?: string,
  gateway: Reach | null = null,
): Promise<string | null> {
  if (requested !== undefined) return requestedHost(ex, requested, "network", "a router");
  return leastLoaded(ex, "network", await routerLoad(ex), gateway);
}

/**
 * Where a new lab instance on `network` goes: the named compute host, else the live one with the fewest among
 * those that can bind a port on it; null: none alive now. A host that cannot bind there, or a network no compute
 * host maps, is refused.
 */
export async function instanceHost(
  ex: Executor,
  requested?: string,
  network: Reach | null = null,
): Promise<string | null> {
  const what = "an instance";
  if (requested !== undefined) {
    const host = await requestedHost(ex, requested, "compute", what);
    await checkReach(ex, network, "compute", host, what);
    return host;
  }
  const host = await leastLoaded(ex, "compute", await instanceLoad(ex), network);
  if (host === null) await checkReach(ex, network, "compute", null, what);
  return host;
}

/** How many network nodes an HA router runs on (Neutron's min_l3_agents_per_router). */
export const HA_NODES = 2;

/**
 * Where a new HA router goes: the two live network nodes with the fewest routers (among those that map its
 * gateway's physical network). Refused with fewer than two
 * (Neutron's HANotEnoughAvailableAgents), before anything is written: an HA router on one node would be a legacy
 * router that says it is not.
 */
export async function haRouterHosts(ex: Executor, gateway: Reach | null = null): Promise<string[]> {
  const hosts = pickHosts(await hostsWithLoad(ex, await routerLoad(ex), gateway), "network", HA_NODES);
  if (hosts.length < HA_NODES)
    throw badRequest(
      `Not enough l3 agents available to ensure HA. Minimum required ${HA_NODES}, available ${hosts.length}.`,
      "HANotEnoughAvailableAgents",
    );
  return hosts;
}

/** The live host with `role` and the least of `loads` that can bind a port on `network`; null: none. */
export async function leastLoaded(
  ex: Executor,
  role: HostRole,
  loads: Map<string, number>,
  network: Reach | null = null,
): Promise<string | null> {
  return pickHost(await hostsWithLoad(ex, loads, network), role);
}

/** The network of a port (a router's gateway, an instance's), as the scheduler weighs it; null: no port. */
export async function networkOfPort(ex: Executor, portId: string | null): Promise<Reach | null> {
  if (portId === null) return null;
  const [row] = await ex
    .select({ id: networks.id, name: networks.name, physicalNetwork: networks.physicalNetwork })
    .from(ports)
    .innerJoin(networks, eq(networks.id, ports.networkId))
    .where(eq(ports.id, portId));
  return row ?? null;
}

/**
 * Why a router on `host` null has no host, shown as its status message until a network node takes it; null when
 * it has one, or before any agent answered (a first start: the one host is on its way).
 */
export async function waitingMessage(
  ex: Executor,
  router: Pick<RouterRow, "id" | "name">,
  host: string | null,
): Promise<string | null> {
  if (host !== null || (await knownAgents(ex)).length === 0) return null;
  return `No live network node to host router ${label(router)}: it stays PENDING and is scheduled when one registers.`;
}

/**
 * Puts the router on `host` (null: nowhere, with the message saying why), its namespace's ports with it: their
 * binding:host_id is where the router runs. The router goes PENDING for the host(s) to apply.
 */
export async function placeRouter(tx: Tx, router: RouterRow, host: string | null): Promise<void> {
  await tx.db
    .update(routers)
    .set({ ...(await pending(tx)), host, statusMessage: await waitingMessage(tx.db, router, host) })
    .where(eq(routers.id, router.id));
  await tx.db
    .update(ports)
    .set({ hostId: host ?? "", vifType: host === null ? "unbound" : "ovs" })
    .where(and(eq(ports.deviceId, router.id), inArray(ports.deviceOwner, ROUTER_OWNERS)));
  tx.changed({ kind: "router", id: router.id, action: "update", project_id: router.projectId });
}

/**
 * Routers and instances that waited for a host (no live network node, or made before any agent answered) go
 * where the scheduler says now that one registered. Runs in the registering agent's transaction.
 */
export async function scheduleWaiting(tx: Tx): Promise<void> {
  for (const router of await tx.db
    .select()
    .from(routers)
    .where(isNull(routers.host))
    .orderBy(asc(routers.createdAt))) {
    const gateway = await networkOfPort(tx.db, router.gwPortId);
    const host = await leastLoaded(tx.db, "network", await routerLoad(tx.db), gateway);
    if (host !== null) await placeRouter(tx, router, host);
  }
  for (const instance of await tx.db
    .select()
    .from(instances)
    .where(isNull(instances.host))
    .orderBy(asc(instances.createdAt))) {
    const network = await networkOfPort(tx.db, instance.portId);
    const host = await leastLoaded(tx.db, "compute", await instanceLoad(tx.db), network);
    if (host === null) continue;
    await tx.db.update(instances).set({ host }).where(eq(instances.id, instance.id));
    await tx.db.update(ports).set({ hostId: host, vifType: "ovs" }).where(eq(ports.id, instance.portId));
    tx.changed({ kind: "server", id: instance.id, action: "update", project_id: instance.projectId });
  }
}
