// Which server's dispatcher pushes to an agent, when several servers share one PostgreSQL: the one holding a
// session advisory lock keyed on the agent's row. (With PGlite, one process per data directory, there is none:
// that server's dispatcher pushes.)
//
// Why a leader rather than fencing each push in the database: revisions are already fenced where a change is
// made (server/domain/tx.ts bumps the host's revision in the change's own transaction) and where it lands (the
// agent refuses a revision older than the one it applied). What two pushers would still do is send the same
// revision twice, and each keep its own backoff, heartbeat and repair requests; fencing every push too would
// mean claiming it in the database and recovering claims whose server died before pushing. The lock is held by a
// connection, so PostgreSQL ends a dead server's leadership itself, and the next leader re-reads the agent and
// pushes a revision past whatever it applied. The leader checks that it still holds the lock before each push;
// what is left is a push already on its way when the lock went, and there the agent's own check holds: it
// refuses a revision older than one the next leader made it apply.
import type pg from "pg";
import type { Logger } from "pino";

export type Leadership = {
  /** Whether this server believes it leads for agent `agentId` (no round trip). */
  holds(agentId: number): boolean;
  /** Whether this server may push to agent `agentId` now (asked of PostgreSQL); takes the lead when free. */
  lead(agentId: number): Promise<boolean>;
  /** Gives the lead up (stopping). */
  release(): Promise<void>;
};

/** The first key of the lock's pair ("nldp"), the second being the agent's row id. */
export const LOCK_SPACE = 0x6e6c6470;

export function advisoryLeadership(
  connect: (purpose: string) => Promise<pg.Client>,
  logger: Logger,
): Leadership {
  let client: pg.Client | undefined;
  let held: number | undefined;

  const drop = (connection: pg.Client, error?: Error) => {
    if (client !== connection) return;
    if (held !== undefined) logger.warn({ err: error, agent: held }, "lost the dispatcher's lead");
    client = undefined;
    held = undefined;
    connection.end().catch(() => undefined);
  };

  const holds = (agentId: number) => held === agentId && client !== undefined;
  /** A session PostgreSQL ended may not have said so yet: ask it on that session. */
  const stillHeld = async (connection: pg.Client, agentId: number) => {
    try {
      const { rows } = await connection.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND classid = $1 AND objid = $2
           AND objsubid = 2 AND pid = pg_backend_pid() AND granted`,
        [LOCK_SPACE, agentId],
      );
      return (rows[0]?.n ?? 0) > 0;
    } catch (error) {
      drop(connection, error as Error);
      return false;
    }
  };
  const lead = async (agentId: number) => {
    if (client && holds(agentId) && (await stillHeld(client, agentId))) return true;
    let connection = client;
    if (!connection) {
      const opened = await connect("netlens dispatcher");
      opened.on("error", (error) => drop(opened, error));
      opened.on("end", () => drop(opened));
      client = opened;
      connection = opened;
    }
    const { rows } = await connection.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1, $2) AS ok", [
      LOCK_SPACE,
      agentId,
    ]);
    if (rows[0]?.ok !== true || client !== connection) return false;
    held = agentId;
    logger.info({ agent: agentId }, "this server's dispatcher leads");
    return true;
  };

  // One question at a time: two that both found no connection would each open one, and the lock could end up
  // on the one this server no longer looks at (held by nobody who pushes, until that session ends).
  let turn: Promise<unknown> = Promise.resolve();
  const inTurn = <T>(step: () => Promise<T>): Promise<T> => {
    const result = turn.then(step);
    turn = result.catch(() => undefined);
    return result;
  };
  return {
    holds,
    lead: (agentId) => inTurn(() => lead(agentId)),
    release: () =>
      inTurn(async () => {
        const connection = client;
        client = undefined;
        held = undefined;
        // Ending the session releases its locks.
        await connection?.end();
      }),
  };
}
