// Neutron's allow_automatic_l3agent_failover: a legacy router whose network node has been dead for longer than
// the down time (server/domain/hosts.ts agentDeadLong) goes to a live network node, the one the scheduler picks
// (fewest routers, mapping its gateway's physical network), with its ports and addresses, as `router set --host`
// moves it; with none alive it waits PENDING, saying so, and what waits is placed once a node is alive again.
// HA routers stay: keepalived fails them over, and their dead node shows as "unknown" (./ha.ts).
import { and, asc, eq, inArray, isNull, or } from "drizzle-orm";
import { routers } from "../db/schema";
import { agentDeadLong, knownAgents, routerLoad } from "./hosts";
import { leastLoaded, networkOfPort, placeRouter } from "./scheduler";
import type { Tx } from "./tx";

/** A router moved: from its dead node (null: it was waiting) to a live one (null: none alive, it waits). */
export type Moved = { id: string; from: string | null; to: string | null };

/** Moves the legacy routers off network nodes dead for long, and places those waiting when a node is alive. */
export async function failOverRouters(tx: Tx, now = Date.now()): Promise<Moved[]> {
  const dead = (await knownAgents(tx.db)).flatMap((a) =>
    a.host !== null && agentDeadLong(a, now) ? [a.host] : [],
  );
  // Those on a dead node, and those waiting for one (a node may be alive again without registering anew).
  const stranded = await tx.db
    .select()
    .from(routers)
    .where(
      and(
        eq(routers.ha, false),
        or(isNull(routers.host), dead.length > 0 ? inArray(routers.host, dead) : undefined),
      ),
    )
    .orderBy(asc(routers.createdAt));
  const moved: Moved[] = [];
  for (const router of stranded) {
    const gateway = await networkOfPort(tx.db, router.gwPortId);
    const host = await leastLoaded(tx.db, "network", await routerLoad(tx.db), gateway);
    // The same host (the only one, kept while down) or still nowhere: nothing to move.
    if (host === router.host) continue;
    await placeRouter(tx, router, host);
    moved.push({ id: router.id, from: router.host, to: host });
  }
  return moved;
}
