// Host agents as the model sees them: what they told about themselves (`info`) and how far they applied.
import { and, asc, count, eq, isNotNull } from "drizzle-orm";
import type { Executor } from "../db/client";
import {
  type AgentRow,
  agents,
  haRouterAgentPortBindings,
  instances,
  type NetworkRow,
  routers,
} from "../db/schema";
import type { ChangeEvent } from "../events";
import { badRequest } from "./errors";

/**
 * Neutron's agent_down_time: an agent is alive while its last heartbeat (agents.last_seen: a push it applied, the
 * dispatcher's check-in, its snapshot stream coming up) is at most this old, and no contact failed since
 * (agents.last_error: a push, or the snapshot stream going down; cleared by the next contact that succeeds), so
 * that a host seen gone is down at once rather than after the down time. The one rule of liveness: the scheduler,
 * `host list` and the Hosts page, HA states and the trace all read it (agentAlive). Set once at start
 * (NETLENS_AGENT_DOWN_TIME); the dispatcher checks in three times within it.
 */
let agentDownTimeMs = 45_000;

export const agentDownTime = () => agentDownTimeMs;

export function setAgentDownTime(ms: number): void {
  agentDownTimeMs = ms;
}

/** Whether the agent of `row` is alive at `now`. */
export const agentAlive = (row: Pick<AgentRow, "lastSeen" | "lastError">, now = Date.now()) =>
  row.lastError === null && row.lastSeen !== null && now - row.lastSeen.getTime() <= agentDownTimeMs;

/**
 * Whether the agent of `row` has been dead for longer than the down time (Neutron's agent_dead_limit, twice
 * agent_down_time): what its legacy routers are moved off for. Judged on the heartbeat alone, so that one failed
 * push to a live agent moves nothing.
 */
export const agentDeadLong = (row: Pick<AgentRow, "lastSeen">, now = Date.now()) =>
  row.lastSeen === null || now - row.lastSeen.getTime() > 2 * agentDownTimeMs;

/**
 * The snapshot stream's word on a host's agent, as a contact of its own: up, it is a heartbeat; down, a contact
 * that failed (`error`, why), so that the one rule says at once what the stream saw.
 */
export async function recordStreamContact(
  ex: Executor,
  host: string,
  error: string | null,
): Promise<ChangeEvent[]> {
  const [row] = await ex
    .update(agents)
    .set(
      error === null ? { lastSeen: new Date(), lastError: null } : { lastError: `snapshot stream: ${error}` },
    )
    .where(eq(agents.host, host))
    .returning({ id: agents.id });
  return row ? [{ kind: "host", id: String(row.id), action: "status" }] : [];
}

/** How many routers and instances are scheduled on each host. */
export type HostLoad = { routers: number; instances: number };

export function hostView(row: AgentRow, now = Date.now(), load: HostLoad = { routers: 0, instances: 0 }) {
  return {
    id: row.id,
    host: row.host,
    url: row.url,
    prefix: row.prefix,
    /** Unknown until it reports; one that reports none is both (a one-host install). */
    roles: row.host === null ? [] : (row.roles ?? ["compute", "network"]),
    /** Its VXLAN tunnel endpoint (Neutron's local_ip); null: no tunnels. */
    local_ip: row.localIp,
    bridge_mappings: row.bridgeMappings ?? {},
    routers: load.routers,
    instances: load.instances,
    wanted_revision: row.wantedRevision,
    applied_revision: row.appliedRevision,
    last_seen: row.lastSeen?.toISOString() ?? null,
    last_error: row.lastError,
    online: agentAlive(row, now),
  };
}
export type HostView = ReturnType<typeof hostView>;

export async function listHosts(ex: Executor): Promise<HostView[]> {
  const rows = await ex.select().from(agents).orderBy(asc(agents.id));
  const [routerCounts, instanceCounts] = [await routerLoad(ex), await instanceLoad(ex)];
  const now = Date.now();
  return rows.map((row) =>
    hostView(row, now, {
      routers: (row.host && routerCounts.get(row.host)) || 0,
      instances: (row.host && instanceCounts.get(row.host)) || 0,
    }),
  );
}

/** Per host, how many of something it has (rows of `host`, count). */
export const loadMap = (rows: { host: string | null; n: number }[]) =>
  new Map(rows.flatMap((r) => (r.host === null ? [] : [[r.host, r.n] as const])));

/** Routers per host: what the L3 scheduler weighs. An HA router counts on each of its nodes. */
export async function routerLoad(ex: Executor): Promise<Map<string, number>> {
  const legacy = loadMap(
    await ex
      .select({ host: routers.host, n: count() })
      .from(routers)
      .where(and(isNotNull(routers.host), eq(routers.ha, false)))
      .groupBy(routers.host),
  );
  const ha = await ex
    .select({ host: haRouterAgentPortBindings.host, n: count() })
    .from(haRouterAgentPortBindings)
    .groupBy(haRouterAgentPortBindings.host);
  for (const { host, n } of ha) legacy.set(host, (legacy.get(host) ?? 0) + n);
  return legacy;
}

/** Lab instances per host: what the compute scheduler weighs. */
export const instanceLoad = async (ex: Executor) =>
  loadMap(
    await ex
      .select({ host: instances.host, n: count() })
      .from(instances)
      .where(isNotNull(instances.host))
      .groupBy(instances.host),
  );

/** Agents that have told us who they are, in registration order (the first is the one-host install's host). */
export async function knownAgents(ex: Executor): Promise<AgentRow[]> {
  return ex.select().from(agents).where(isNotNull(agents.host)).orderBy(asc(agents.id));
}

export async function agentPrefix(ex: Executor): Promise<string | null> {
  return (await knownAgents(ex))[0]?.prefix ?? null;
}

/**
 * The namespace prefix of the host a row is placed on (each host's agent has its own); a row not placed yet:
 * the first host's, which is where it goes with one host. Null: no agent known.
 */
export async function prefixOfHost(ex: Executor): Promise<(host: string | null) => string | null> {
  const known = await knownAgents(ex);
  const first = known[0]?.prefix ?? null;
  return (host) => (host === null ? first : (known.find((a) => a.host === host)?.prefix ?? first));
}

/**
 * A router gateway on a physical network needs a bridge for it on the router's host, or traffic has no way out
 * (the old external_network_bridge trap). Agents not yet heard from cannot be checked; they report the
 * error when they apply. `host` null: every network node known (a router not placed yet may go to any).
 */
export async function checkBridgeMappings(
  ex: Executor,
  network: NetworkRow,
  host: string | null,
): Promise<void> {
  const physnet = network.physicalNetwork;
  if (physnet === null) return;
  for (const agent of await knownAgents(ex)) {
    const elsewhere = host !== null ? agent.host !== host : !(agent.roles?.includes("network") ?? true);
    if (elsewhere) continue;
    if (agent.bridgeMappings && !(physnet in agent.bridgeMappings)) {
      throw badRequest(`Physical network ${physnet} has no bridge mapping on host ${agent.host}`);
    }
  }
}
