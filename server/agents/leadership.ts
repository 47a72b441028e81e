// Which server's dispatcher pushes to an agent. With one server (PGlite: one process per data directory) it is
// that server. With several on one PostgreSQL, the one holding a session advisory lock keyed on the agent's row.
//
// Why a leader rather than fencing each push in the database: revisions are already fenced where a change is
// made (server/domain/tx.ts bumps the host's revision in the change's own transaction) and where it lands (the
// agent refuses a revision older than the one it applied). What two pushers would still do is send the same
// revision twice, and each keep its own backoff, heartbeat and repair requests; fencing every push too would
// mean claiming it in the database and recovering claims whose server died before pushing. The lock is held by a
// connection, so PostgreSQL ends a dead server's leadership itself, and the next leader re-reads the agent and
// pushes a revision past whatever it applied.
import type pg from "pg";
import type { Logger } from "pino";

export type Leadership = {
  /** Whether this server holds the lead for agent `agentId` now (no round trip). */
  holds(agentId: number): boolean;
  /** True while this server may push to agent `agentId`; takes the lead when nobody holds it. */
  lead(agentId: number): Promise<boolean>;
  /** Gives the lead up (stopping). */
  release(): Promise<void>;
};

/** One server: always the leader. */
export const soleLeadership: Leadership = {
  holds: () => true,
  lead: async () => true,
  release: async () => {},
};

/** The first key of the lock's pair ("nldp"), the second being the agent's row id. */
const LOCK_SPACE = 0x6e6c6470;

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
  return {
    holds,
    async lead(agentId) {
      if (holds(agentId)) return true;
      if (!client) {
        const connection = await connect("netlens dispatcher");
        connection.on("error", (error) => drop(connection, error));
        connection.on("end", () => drop(connection));
        client = connection;
      }
      const { rows } = await client.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1, $2) AS ok", [
        LOCK_SPACE,
        agentId,
      ]);
      if (rows[0]?.ok !== true) return false;
      held = agentId;
      logger.info({ agent: agentId }, "this server's dispatcher leads");
      return true;
    },
    async release() {
      const connection = client;
      client = undefined;
      held = undefined;
      // Ending the session releases its locks.
      await connection?.end();
    },
  };
}
