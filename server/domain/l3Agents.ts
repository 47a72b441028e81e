// The L3 agents hosting a router, as Neutron's GET /routers/{id}/l3-agents answers them (`openstack network agent
// list --router R --long`): the network node(s) its namespace is on, whether each agent is alive, and for an HA
// router what each node is for it (its "HA State": active, standby, or unknown while the agent is gone).
import type { Executor } from "../db/client";
import { listHosts } from "./hosts";
import { showRouter } from "./routers";
import type { Actor } from "./tx";

export async function routerL3Agents(ex: Executor, actor: Actor, ref: string) {
  const router = await showRouter(ex, actor, ref);
  const hosts = await listHosts(ex);
  const placed = router.ha_state ?? (router.host === null ? [] : [{ host: router.host, ha_state: null }]);
  return placed.flatMap(({ host, ha_state }) => {
    const agent = hosts.find((h) => h.host === host);
    if (!agent) return [];
    return [
      {
        id: String(agent.id),
        agent_type: "L3 agent",
        binary: "netlens-agent",
        host,
        availability_zone: "nova",
        alive: agent.online,
        admin_state_up: true,
        ha_state,
      },
    ];
  });
}
export type L3AgentView = Awaited<ReturnType<typeof routerL3Agents>>[number];
