// Reads everything the intent compiler needs, in one transaction so that the rows agree with each other
// and with the revision they are sent as.
import { asc } from "drizzle-orm";
import type { Db } from "../db/client";
import {
  agents,
  floatingIps,
  haRouterAgentPortBindings,
  instances,
  ipAllocations,
  networks,
  portForwardings,
  portSecurityGroups,
  ports,
  routers,
  securityGroupRules,
  subnets,
} from "../db/schema";
import type { IntentInputs } from "./intent";
import { peersOf } from "./placement";

export async function loadIntentInputs(db: Db, agentId: number): Promise<IntentInputs> {
  return db.transaction(
    async (tx) => {
      const all = await tx.select().from(agents).orderBy(asc(agents.id));
      const agent = all.find((a) => a.id === agentId);
      if (!agent) throw new Error(`Agent ${agentId} is not registered`);
      const portRows = await tx.select().from(ports).orderBy(asc(ports.createdAt));
      return {
        revision: agent.wantedRevision,
        host: agent.host,
        hosts: peersOf(all),
        networks: await tx.select().from(networks).orderBy(asc(networks.createdAt)),
        subnets: await tx.select().from(subnets).orderBy(asc(subnets.createdAt)),
        ports: portRows,
        allocations: await tx.select().from(ipAllocations),
        routers: await tx.select().from(routers).orderBy(asc(routers.createdAt)),
        floatingIps: await tx.select().from(floatingIps).orderBy(asc(floatingIps.createdAt)),
        portForwardings: await tx.select().from(portForwardings).orderBy(asc(portForwardings.createdAt)),
        instances: await tx.select().from(instances).orderBy(asc(instances.createdAt)),
        haBindings: await tx
          .select({
            routerId: haRouterAgentPortBindings.routerId,
            host: haRouterAgentPortBindings.host,
            portId: haRouterAgentPortBindings.portId,
          })
          .from(haRouterAgentPortBindings),
        security: {
          ports: portRows,
          portGroups: await tx.select().from(portSecurityGroups),
          rules: await tx.select().from(securityGroupRules).orderBy(asc(securityGroupRules.createdAt)),
        },
      };
    },
    { isolationLevel: "repeatable read", accessMode: "read only" },
  );
}
