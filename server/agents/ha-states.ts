// What each network node says it is for its HA routers (the `ha` sections of its snapshot: active, standby,
// fault) recorded on the router's binding to that node, as Neutron's L3 agent reports ha_state to the server; and
// "unknown" for every router of a node whose snapshot stream went down (a dead node holds nothing).
import { and, eq, inArray, ne } from "drizzle-orm";
import type { HaState, HostSections } from "../../lib/host-snapshot";
import type { DbTx } from "../db/client";
import { type HaBindingState, haRouterAgentPortBindings, routers } from "../db/schema";
import type { ChangeEvent } from "../events";

/** The `ha` sections among a snapshot's (full, or the changed ones of a delta): router id -> state. */
export function haStatesIn(sections: HostSections): Map<string, HaState> {
  const out = new Map<string, HaState>();
  for (const section of Object.values(sections))
    if (section?.kind === "ha") out.set(section.router_id, section.ha_state);
  return out;
}

async function setState(
  tx: DbTx,
  host: string,
  state: HaBindingState,
  routerIds?: string[],
): Promise<ChangeEvent[]> {
  const changed = await tx
    .update(haRouterAgentPortBindings)
    .set({ state })
    .where(
      and(
        eq(haRouterAgentPortBindings.host, host),
        ne(haRouterAgentPortBindings.state, state),
        routerIds === undefined ? undefined : inArray(haRouterAgentPortBindings.routerId, routerIds),
      ),
    )
    .returning({ routerId: haRouterAgentPortBindings.routerId });
  if (changed.length === 0) return [];
  const owners = await tx
    .select({ id: routers.id, projectId: routers.projectId })
    .from(routers)
    .where(
      inArray(
        routers.id,
        changed.map((c) => c.routerId),
      ),
    );
  return owners.map((r) => ({ kind: "router", id: r.id, action: "status", project_id: r.projectId }));
}

/** Records what `host` reported for its HA routers; returns the routers whose state changed. */
export async function recordHaStates(
  tx: DbTx,
  host: string,
  states: ReadonlyMap<string, HaState>,
): Promise<ChangeEvent[]> {
  const events: ChangeEvent[] = [];
  for (const state of ["active", "standby", "fault"] as const) {
    const ids = [...states].flatMap(([id, s]) => (s === state ? [id] : []));
    if (ids.length > 0) events.push(...(await setState(tx, host, state, ids)));
  }
  return events;
}

/** A node whose stream went down: what it last said no longer holds. */
export const forgetHaStates = (tx: DbTx, host: string) => setState(tx, host, "unknown");
