// Which hosts can bind a port on a flat or vlan network: those whose bridge mappings hold its physical network,
// as Neutron's OVS mechanism driver checks before it binds (binding_failed otherwise). The scheduler places only
// there; a host named for it, or a network no host of the role maps, is refused before anything is written.
import type { HostRole } from "../../lib/schemas/host";
import type { Executor } from "../db/client";
import type { AgentRow, NetworkRow } from "../db/schema";
import { badRequest } from "./errors";
import { knownAgents } from "./hosts";
import { label } from "./refs";

/** What of a network decides where its ports may be bound: its physical network (null: an overlay one). */
export type Reach = Pick<NetworkRow, "id" | "name" | "physicalNetwork">;

/**
 * PURE: whether a host with `mappings` can bind a port on `network`. Any host can for an overlay network (null);
 * a host that has not reported its mappings is given the benefit of the doubt: its agent says so when it applies.
 */
export const reaches = (mappings: Record<string, string> | null, network: Reach | null) =>
  network === null ||
  network.physicalNetwork === null ||
  mappings === null ||
  Object.hasOwn(mappings, network.physicalNetwork);

const mappingsText = (mappings: Record<string, string> | null) => {
  const pairs = Object.entries(mappings ?? {}).map(([physnet, bridge]) => `${physnet}:${bridge}`);
  return pairs.length === 0 ? "none" : pairs.join(", ");
};

/**
 * Refuses `network` for `host` when that host's mappings lack its physical network (`what`: "an instance");
 * null `host` (not placed yet): refused when no known host with `role` maps it, while some agent has reported.
 */
export async function checkReach(
  ex: Executor,
  network: Reach | null,
  role: HostRole,
  host: string | null,
  what: string,
): Promise<void> {
  const physnet = network?.physicalNetwork ?? null;
  if (network === null || physnet === null) return;
  const known = await knownAgents(ex);
  if (host !== null) {
    const agent = known.find((a) => a.host === host);
    if (agent !== undefined && !reaches(agent.bridgeMappings, network))
      throw badRequest(
        `Host ${host} cannot bind a port on network ${label(network)}: it has no bridge mapping for physical network ${physnet} (its bridge mappings: ${mappingsText(agent.bridgeMappings)}), so it cannot host ${what} on it.`,
      );
    return;
  }
  const withRole = known.filter((a: AgentRow) => a.roles === null || a.roles.includes(role));
  if (withRole.length > 0 && !withRole.some((a) => reaches(a.bridgeMappings, network)))
    throw badRequest(
      `No valid host for ${what} on network ${label(network)}: no ${role} host has a bridge mapping for physical network ${physnet} (an agent maps it with --bridge-mapping ${physnet}:BRIDGE).`,
    );
}
