// Every mutation is one transaction whose events go out after commit, and whose audit entry is written in it.
import type { AuditTrail } from "../audit/trail";
import { type Actor, type Tx, transact } from "../domain/tx";
import type { ChangeEvent } from "../events";
import type { Services } from "./trpc";

export function write<T>(
  ctx: Services & { actor: Actor; audit?: AuditTrail },
  work: (tx: Tx) => Promise<T>,
): Promise<T> {
  const { audit } = ctx;
  if (!audit) return transact(ctx, ctx.actor, work);
  return transact(ctx, ctx.actor, async (tx) => {
    // The change events name every resource the change touched: the entry lists them.
    const changes: ChangeEvent[] = [];
    const changed = (event: ChangeEvent) => {
      changes.push(event);
      tx.changed(event);
    };
    const value = await work({ ...tx, changed });
    await audit.succeeded(tx.db, value, changes);
    return value;
  });
}
