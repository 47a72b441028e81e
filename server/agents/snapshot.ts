// Reads everything the intent compiler needs, in one transaction so that the rows agree with each other
// and with the revision they are sent as.
import { asc } from "drizzle-orm";
import type { Db } from "../db/client";
import {
  agents,
  floatingIps,
  instances,
  ipAllocations,
  networks,
  portForwardings,
  ports,
  routers,
  subnets,
} from "../db/schema";
import type { IntentInputs } from "./intent";

export async function loadIntentInputs(db: Db, agentId: number): Promise<IntentInputs> {
  return db.transaction(
    async (tx) => {
      const agent = (await tx.select().from(agents)).find((a) => a.id === agentId);
      if (!agent) throw new Error(`Agent ${agentId} is not registered`);
      return {
        revision: agent.wantedRevision,
        host: agent.host,
        networks: await tx.select().from(networks).orderBy(asc(networks.createdAt)),
        subnets: await tx.select().from(subnets).orderBy(asc(subnets.createdAt)),
        ports: await tx.select().from(ports).orderBy(asc(ports.createdAt)),
        allocations: await tx.select().from(ipAllocations),
        routers: await tx.select().from(routers).orderBy(asc(routers.createdAt)),
        floatingIps: await tx.select().from(floatingIps).orderBy(asc(floatingIps.createdAt)),
        portForwardings: await tx.select().from(portForwardings).orderBy(asc(portForwardings.createdAt)),
        instances: await tx.select().from(instances).orderBy(asc(instances.createdAt)),
      };
    },
    { isolationLevel: "repeatable read", accessMode: "read only" },
  );
}
