// An agent telling who it is (`info`), made true in the model: its host name, roles, bridge mappings and tunnel
// address on its row, a wanted revision past whatever it last applied (it refuses older ones), and what waited
// for a host scheduled now that there is one more. A host it cannot be is refused with the reason on its row:
// a name or a tunnel address another agent already has (both would get each other's routers and traffic).
import { and, eq, ne, or, sql } from "drizzle-orm";
import type { Logger } from "pino";
import { z } from "zod";
import type { AgentInfo } from "../../agent/contract/intent";
import { hostName, hostRole } from "../../lib/names";
import { ipv4 } from "../../lib/schemas/common";
import { agents } from "../db/schema";
import { scheduleWaitingDhcp } from "../domain/dhcp";
import { scheduleWaiting } from "../domain/scheduler";
import { type Actor, type Deps, transact } from "../domain/tx";

/** The agent reported a host this server cannot take: it is given nothing until that changes. */
export class HostRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "HostRefusedError";
  }
}

/** What an agent says about itself is checked like any input before it is written. */
const reported = z.object({
  host: hostName,
  roles: z.array(hostRole).min(1, "An agent with no role has nothing to host").optional(),
  local_ip: ipv4.nullable().optional(),
});

/** Changes made on an agent's behalf, not a user's. */
export const AGENTS: Actor = { user: "netlens agents", role: "admin", projectId: "", projectIds: [] };

export async function registerAgent(
  deps: Deps,
  agentId: number,
  info: AgentInfo,
  logger: Logger,
): Promise<void> {
  const parsed = reported.safeParse(info);
  if (!parsed.success) {
    const reason = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw refuse(logger, `The agent's own report is not valid (${reason}): nothing is applied to it.`);
  }
  const localIp = parsed.data.local_ip ?? null;
  await transact(deps, AGENTS, async (tx) => {
    const [other] = await tx.db
      .select()
      .from(agents)
      .where(
        and(
          ne(agents.id, agentId),
          or(eq(agents.host, info.host), localIp === null ? undefined : eq(agents.localIp, localIp)),
        ),
      );
    if (other) {
      const clash =
        other.host === info.host
          ? `host name ${info.host} is already the agent's at ${other.url}`
          : `tunnel address ${localIp} is already host ${other.host}'s (agent at ${other.url})`;
      throw refuse(logger, `Host ${info.host} refused: its ${clash}. Nothing is applied to it.`);
    }
    await tx.db
      .update(agents)
      .set({
        host: info.host,
        prefix: info.prefix,
        bridgeMappings: info.bridge_mappings,
        roles: parsed.data.roles ?? null,
        localIp,
        lastSeen: new Date(),
        lastError: null,
      })
      .where(eq(agents.id, agentId));
    // Past whatever it last applied, and every host with it: one more host may change the others' intents
    // (tunnels), and a revision means the same on every host.
    await tx.db.update(agents).set({
      wantedRevision: sql`greatest((SELECT max(${agents.wantedRevision}) FROM ${agents}), ${info.applied_revision}) + 1`,
    });
    await scheduleWaiting(tx);
    await scheduleWaitingDhcp(tx);
  });
}

function refuse(logger: Logger, message: string): HostRefusedError {
  logger.error(message);
  return new HostRefusedError(message);
}
