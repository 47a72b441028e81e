// What members never see of L3 HA: Neutron gives a project's HA network, its subnet and its routers' HA ports no
// tenant, so that the project's members do not list them; here they keep their project (it owns their lifetime)
// and these scopes leave them out of what members read.
import { eq, ne, type SQL, sql } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import type { Executor } from "../db/client";
import { haRouterNetworks } from "../db/schema";
import type { Actor } from "./tx";

/** Neutron's device owner of a router's port on its project's HA network. */
export const HA_INTERFACE = "network:router_ha_interface";

/** For members: rows whose network (`networkColumn`) is not an HA network. Undefined: no restriction (admins). */
export function notHaNetwork(actor: Actor, networkColumn: PgColumn): SQL | undefined {
  if (actor.role === "admin") return undefined;
  return sql`${networkColumn} NOT IN (SELECT ${haRouterNetworks.networkId} FROM ${haRouterNetworks})`;
}

/** For members: ports that are not HA ports. */
export function notHaPort(actor: Actor, ownerColumn: PgColumn): SQL | undefined {
  return actor.role === "admin" ? undefined : ne(ownerColumn, HA_INTERFACE);
}

/** The row form, for what a member names (resolveRef): an HA network is not theirs to see. */
export async function hiddenHaNetwork(ex: Executor, actor: Actor, networkId: string): Promise<boolean> {
  if (actor.role === "admin") return false;
  const [row] = await ex
    .select({ id: haRouterNetworks.networkId })
    .from(haRouterNetworks)
    .where(eq(haRouterNetworks.networkId, networkId));
  return row !== undefined;
}
