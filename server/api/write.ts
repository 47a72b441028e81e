// Every mutation is one transaction whose events go out after commit.
import { type Actor, type Tx, transact } from "../domain/tx";
import type { Services } from "./trpc";

export function write<T>(ctx: Services & { actor: Actor }, work: (tx: Tx) => Promise<T>): Promise<T> {
  return transact(ctx, ctx.actor, work);
}
