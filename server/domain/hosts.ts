// Host agents as the model sees them: what they told about themselves (`info`) and how far they applied.
import { asc, isNotNull } from "drizzle-orm";
import type { Executor } from "../db/client";
import { type AgentRow, agents, type NetworkRow } from "../db/schema";
import { badRequest } from "./errors";

/** An agent not heard from for this long is shown offline (the dispatcher checks in more often). */
const ONLINE_WINDOW_MS = 45_000;

export function hostView(row: AgentRow, now = Date.now()) {
  return {
    id: row.id,
    host: row.host,
    url: row.url,
    prefix: row.prefix,
    bridge_mappings: row.bridgeMappings ?? {},
    wanted_revision: row.wantedRevision,
    applied_revision: row.appliedRevision,
    last_seen: row.lastSeen?.toISOString() ?? null,
    last_error: row.lastError,
    online:
      row.lastError === null && row.lastSeen !== null && now - row.lastSeen.getTime() < ONLINE_WINDOW_MS,
  };
}
export type HostView = ReturnType<typeof hostView>;

export async function listHosts(ex: Executor): Promise<HostView[]> {
  const rows = await ex.select().from(agents).orderBy(asc(agents.id));
  return rows.map((row) => hostView(row));
}

/** Agents that have told us who they are; with one host for now, the first is "the host". */
export async function knownAgents(ex: Executor): Promise<AgentRow[]> {
  return ex.select().from(agents).where(isNotNull(agents.host)).orderBy(asc(agents.id));
}

export async function agentPrefix(ex: Executor): Promise<string | null> {
  return (await knownAgents(ex))[0]?.prefix ?? null;
}

/**
 * A router gateway on a physical network needs a bridge for it on the host, or traffic has no way out
 * (the old external_network_bridge trap). Agents not yet heard from cannot be checked; they report the
 * error when they apply.
 */
export async function checkBridgeMappings(ex: Executor, network: NetworkRow): Promise<void> {
  const physnet = network.physicalNetwork;
  if (physnet === null) return;
  for (const agent of await knownAgents(ex)) {
    if (agent.bridgeMappings && !(physnet in agent.bridgeMappings)) {
      throw badRequest(`Physical network ${physnet} has no bridge mapping on host ${agent.host}`);
    }
  }
}
