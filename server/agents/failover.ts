// The periodic check that moves legacy routers off dead network nodes (server/domain/failover.ts): every half
// down time, as Neutron's dead agent check runs. One server runs it: with the embedded database the only one;
// with several servers on one PostgreSQL the holder of the advisory lock (LOCK_SPACE, 0) (./leadership.ts; agent
// rows are numbered from 1, so 0 is no agent's), which another server takes when that one's connection ends.
import type { Logger } from "pino";
import { failOverRouters } from "../domain/failover";
import { type Deps, transact } from "../domain/tx";
import type { Leadership } from "./leadership";
import { AGENTS } from "./register";

/** The second key of the failover check's lock. */
export const FAILOVER_LOCK = 0;

export type FailoverOptions = {
  deps: Deps;
  intervalMs: number;
  logger: Logger;
  /** Who runs the check when several servers share the database; without it, this server. */
  leadership?: Leadership;
};

/** Starts the check; the function returned stops it (and gives up the lock). */
export function startFailoverCheck(o: FailoverOptions): () => Promise<void> {
  let running: Promise<void> | undefined;
  const check = async () => {
    if (o.leadership && !(await o.leadership.lead(FAILOVER_LOCK))) return;
    const moved = await transact(o.deps, AGENTS, (tx) => failOverRouters(tx));
    for (const m of moved)
      o.logger.warn(m, m.to === null ? "router waits: no live network node" : "router moved");
  };
  const timer = setInterval(() => {
    running ??= check()
      .catch((err: unknown) => o.logger.error({ err }, "the failover check failed"))
      .finally(() => {
        running = undefined;
      });
  }, o.intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
    await o.leadership?.release();
  };
}
