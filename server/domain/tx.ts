// The unit of work every mutation runs in: one database transaction, the caller, the host revision the change
// goes out with, and the events to publish once (and only if) it commits.
//
// Lock order. PostgreSQL runs transactions side by side and aborts one of two that wait on each other in a
// circle ("deadlock detected"); every transaction that writes takes its locks in this order:
//  1. the host revision: every agents row, in id order. `transact` takes it before the work reads anything, and
//     the dispatcher writes an agents row before the statuses of resources. With a host known, writes take
//     turns from here on.
//  2. the parent whose children a rule counts, before reading them: the network for the subnets on it
//     (createSubnet), the router for the subnets it touches (routers.ts, lockRouter). Needed even after (1): with
//     no host known yet, (1) locks nothing.
//  3. the rows written.
// Taking (1) only at the first change would let createSubnet hold its network and wait for the revision that
// updateNetwork holds while it waits for the network.
import { asc, sql } from "drizzle-orm";
import type { Role } from "../../lib/schemas/auth";
import type { Db, DbTx } from "../db/client";
import { agents } from "../db/schema";
import type { ChangeEvent, EventBus } from "../events";

export type { Role };

/** Who is calling. Members are read-only tenants of `projectIds`. */
export type Actor = {
  user: string;
  role: Role;
  /** The caller's current project: the owner of what it creates when no project_id is given. */
  projectId: string;
  projectIds: readonly string[];
};

export type Tx = {
  db: DbTx;
  actor: Actor;
  /** The host revision that will carry this transaction's changes (bumped once, on first use). */
  revision(): Promise<number>;
  changed(event: ChangeEvent): void;
};

export type Deps = { db: Db; bus: EventBus };

export async function transact<T>(deps: Deps, actor: Actor, work: (tx: Tx) => Promise<T>): Promise<T> {
  const events: ChangeEvent[] = [];
  const result = await deps.db.transaction(async (db) => {
    await lockRevision(db);
    let revision: Promise<number> | undefined;
    const tx: Tx = {
      db,
      actor,
      revision: () => {
        revision ??= bumpRevision(db);
        return revision;
      },
      changed: (event) => events.push(event),
    };
    const value = await work(tx);
    // Every change reaches the host through a new revision, even one (a delete) that never asked for it.
    if (events.length > 0) await tx.revision();
    return value;
  });
  for (const event of events) deps.bus.emit(event);
  return result;
}

/** Step 1 of the lock order: the rows `bumpRevision` will update, locked as that update locks them. */
async function lockRevision(db: DbTx): Promise<void> {
  await db.select({ id: agents.id }).from(agents).orderBy(asc(agents.id)).for("no key update");
}

/**
 * Bumps every host's wanted revision in the change's own transaction, so that a committed change always has a
 * revision the dispatcher will push. With no agent known yet the revision is 0: the first push covers it.
 */
async function bumpRevision(db: DbTx): Promise<number> {
  const rows = await db
    .update(agents)
    .set({ wantedRevision: sql`${agents.wantedRevision} + 1` })
    .returning({ revision: agents.wantedRevision });
  return Math.max(0, ...rows.map((r) => r.revision));
}

/** The columns that mark a resource as waiting for the host to apply this transaction's revision. */
export async function pending(tx: Tx) {
  return {
    status: "PENDING" as const,
    statusMessage: null,
    intentRevision: await tx.revision(),
    updatedAt: new Date(),
  };
}
