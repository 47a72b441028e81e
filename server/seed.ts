// The demo topology a fresh install starts with, built through the same rules as the API (no raw inserts).
import { count } from "drizzle-orm";
import { floatingIpCreate } from "../lib/schemas/floatingIp";
import { networkCreate } from "../lib/schemas/network";
import { routerCreate } from "../lib/schemas/router";
import { serverCreate } from "../lib/schemas/server";
import { subnetCreate } from "../lib/schemas/subnet";
import { networks } from "./db/schema";
import { createFloatingIp } from "./domain/floatingIps";
import { createNetwork } from "./domain/networks";
import { ensureProject } from "./domain/projects";
import { addRouterInterface, createRouter } from "./domain/routers";
import { addServerFloatingIp, createServer } from "./domain/servers";
import { createSubnet } from "./domain/subnets";
import { type Deps, transact } from "./domain/tx";

/** Seeds the demo when the database holds no network yet; returns whether it did. One transaction. */
export async function seedDemo(deps: Deps): Promise<boolean> {
  const [row] = await deps.db.select({ n: count() }).from(networks);
  if ((row?.n ?? 0) > 0) return false;
  const admin = await ensureProject(deps.db, "admin", "Built-in administrators");
  const demo = await ensureProject(deps.db, "demo", "Demo tenant");
  const actor = { user: "seed", role: "admin" as const, projectId: admin.id, projectIds: [admin.id] };
  await transact(deps, actor, async (tx) => {
    await createNetwork(
      tx,
      networkCreate.parse({
        name: "public",
        "router:external": true,
        "provider:network_type": "flat",
        "provider:physical_network": "public",
      }),
    );
    await createSubnet(
      tx,
      subnetCreate.parse({
        name: "public-subnet",
        network_id: "public",
        cidr: "203.0.113.0/24",
        gateway_ip: "203.0.113.1",
        allocation_pools: [{ start: "203.0.113.100", end: "203.0.113.200" }],
        enable_dhcp: false,
      }),
    );
    await createNetwork(tx, networkCreate.parse({ name: "demo-net", project_id: demo.id }));
    await createSubnet(
      tx,
      subnetCreate.parse({
        name: "demo-subnet",
        network_id: "demo-net",
        cidr: "10.0.0.0/24",
        gateway_ip: "10.0.0.1",
      }),
    );
    await createRouter(
      tx,
      routerCreate.parse({
        name: "demo-router",
        project_id: demo.id,
        external_gateway_info: { network_id: "public" },
      }),
    );
    await addRouterInterface(tx, { id: "demo-router", subnet_id: "demo-subnet" });
    await createServer(tx, serverCreate.parse({ name: "vm1", project_id: demo.id, network_id: "demo-net" }));
    await createServer(tx, serverCreate.parse({ name: "vm2", project_id: demo.id, network_id: "demo-net" }));
    const fip = await createFloatingIp(
      tx,
      floatingIpCreate.parse({ floating_network_id: "public", project_id: demo.id }),
    );
    await addServerFloatingIp(tx, { id: "vm1", floating_ip_address: fip.floating_ip_address });
  });
  return true;
}
