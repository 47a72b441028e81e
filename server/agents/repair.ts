// Drift repairs asked of a host, kept on its agent's row: added to when asked (through any server, with a new
// revision so that a push follows), taken off once a push carried them.
import { eq, sql } from "drizzle-orm";
import type { Db, DbTx } from "../db/client";
import { agents } from "../db/schema";

export type RepairTargets = "all" | string[];

/** What stays asked after `pushed` went out, when `asked` is what the row holds now. */
export function stillAsked(asked: RepairTargets, pushed: RepairTargets): RepairTargets {
  if (pushed === "all") return [];
  if (asked === "all") return "all";
  return asked.filter((id) => !pushed.includes(id));
}

async function targetsOf(tx: DbTx, agentId: number): Promise<RepairTargets> {
  const [row] = await tx
    .select({ targets: agents.repairTargets })
    .from(agents)
    .where(eq(agents.id, agentId))
    .for("no key update");
  if (!row) throw new Error(`Agent ${agentId} is not registered`);
  return row.targets;
}

/** Adds `target` to what the host's next push repairs, and gives that push a new revision. */
export async function askRepair(db: Db, agentId: number, target: "all" | readonly string[]): Promise<void> {
  await db.transaction(async (tx) => {
    const asked = await targetsOf(tx, agentId);
    const targets: RepairTargets =
      target === "all" || asked === "all" ? "all" : [...new Set([...asked, ...target])];
    await tx
      .update(agents)
      .set({ repairTargets: targets, wantedRevision: sql`${agents.wantedRevision} + 1` })
      .where(eq(agents.id, agentId));
  });
}

/** Takes what a push carried off the host's repairs (in the transaction that records the push). */
export async function repairPushed(tx: DbTx, agentId: number, pushed: RepairTargets): Promise<void> {
  const left = stillAsked(await targetsOf(tx, agentId), pushed);
  await tx.update(agents).set({ repairTargets: left }).where(eq(agents.id, agentId));
}
