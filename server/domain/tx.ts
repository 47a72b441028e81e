// The unit of work every mutation runs in: one database transaction, the caller, the host revision the change
// goes out with, and the events to publish once (and only if) it commits.
//
// Writes take turns, and take their locks in one order. Every write bumps the hosts' revision (the agents rows) and
// holds it until it commits, so writes hardly overlapped anyway; taking the turn first, before the work reads
// anything, costs nothing more and makes each rule's check and its write one step:
//  1. the write lock, a transaction-level advisory lock: with or without a host known, no other write comes between
//     a rule's check and its write (two overlapping subnets on one network or one router, a port attached to two
//     routers, a pool's last address);
//  2. the host revision, every agents row in id order, the row the dispatcher also takes before it writes the
//     statuses of resources;
//  3. the rows the work reads and writes.
// PostgreSQL aborts one of two transactions that wait on each other in a circle ("deadlock detected"). With (2) taken
// at the first change instead, createSubnet would hold its network and wait for the revision that updateNetwork
// holds while it waits for that network; and a write holding a resource row (a router it deletes) would wait for
// the agents row the dispatcher holds while the dispatcher waits for that resource row.
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
    await db.execute(sql`SELECT pg_advisory_xact_lock(hashtext('netlens writes'))`);
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

/** Step 2 of the lock order: the rows `bumpRevision` will update, locked as that update locks them. */
async function lockRevision(db: DbTx): Promise<void> {
  await db.select({ id: agents.id }).from(agents).orderBy(asc(agents.id)).for("no key update");
}

/**
 * Bumps every host's wanted revision in the change's own transaction, so that a committed change always has a
 * revision the dispatcher will push. With no agent known yet the revision is 0: the first push covers it. All
 * hosts move to one number past the highest: a resource's revision then means the same on every host (a host
 * that registered later, further on, would otherwise be realising revisions the others never reach).
 */
async function bumpRevision(db: DbTx): Promise<number> {
  const rows = await db
    .update(agents)
    .set({ wantedRevision: sql`(SELECT max(${agents.wantedRevision}) FROM ${agents}) + 1` })
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
