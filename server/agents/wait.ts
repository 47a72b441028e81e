// Waiting for hosts to catch up: the CLI's --wait and tests use it. Watches the agents table, woken by the
// dispatcher's host events and, should one be missed, a slow poll.
import { max } from "drizzle-orm";
import type { Executor } from "../db/client";
import { agents } from "../db/schema";
import type { EventBus } from "../events";

const POLL_MS = 500;

export async function wantedRevision(ex: Executor): Promise<number> {
  const [row] = await ex.select({ revision: max(agents.wantedRevision) }).from(agents);
  return row?.revision ?? 0;
}

/**
 * True once every agent applied `revision`, or its own wanted revision where that is older (a host whose intent a
 * later change did not reach has nothing to apply at that number); false on timeout or when no agent exists.
 */
export async function waitForApplied(
  deps: { db: Executor; bus: EventBus },
  revision: number,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await deps.db
      .select({ applied: agents.appliedRevision, wanted: agents.wantedRevision })
      .from(agents);
    if (rows.length === 0) return false;
    // A revision no host has been given yet is waited for as it is.
    const future = rows.every((r) => r.wanted < revision);
    if (rows.every((r) => r.applied >= (future ? revision : Math.min(revision, r.wanted)))) return true;
    const left = deadline - Date.now();
    if (left <= 0) return false;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, Math.min(POLL_MS, left));
      const unsubscribe = deps.bus.subscribe((event) => {
        if (event.kind === "host") done();
      });
      function done() {
        clearTimeout(timer);
        unsubscribe();
        resolve();
      }
    });
  }
}
