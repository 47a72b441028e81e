// The demo topology a fresh install starts with, built through the same rules as the API (no raw inserts),
// and when it is made: on a database's first start, if NETLENS_SEED_DEMO asks, and never again.
import { eq } from "drizzle-orm";
import { floatingIpCreate } from "../lib/schemas/floatingIp";
import { networkCreate } from "../lib/schemas/network";
import { routerCreate } from "../lib/schemas/router";
import { securityGroupRuleCreate } from "../lib/schemas/securityGroup";
import { serverCreate } from "../lib/schemas/server";
import { subnetCreate } from "../lib/schemas/subnet";
import { firstStart } from "./db/schema";
import { createFloatingIp } from "./domain/floatingIps";
import { defaultMtuSettings, type MtuSettings } from "./domain/mtu";
import { createNetwork } from "./domain/networks";
import { ensureProject } from "./domain/projects";
import { addRouterInterface, createRouter } from "./domain/routers";
import { createSecurityGroupRule, ensureDefaultGroup } from "./domain/securityGroups";
import { addServerFloatingIp, createServer } from "./domain/servers";
import { createSubnet } from "./domain/subnets";
import { type Actor, type Deps, type Tx, transact } from "./domain/tx";

/** The first_start row of this decision. */
const DEMO = "demo";

/** The seed acts as an admin of the admin project, which owns the external network. */
async function seedActor(deps: Deps): Promise<Actor> {
  const admin = await ensureProject(deps.db, "admin", "Built-in administrators");
  return { user: "seed", role: "admin", projectId: admin.id, projectIds: [admin.id] };
}

/** What the seed works with: the database and bus, and the MTU settings its networks are derived from. */
type SeedDeps = Deps & { mtu?: MtuSettings };

/** Seeds the demo topology, its project included, in one transaction (tests: on their new database). */
export async function seedDemo(deps: SeedDeps): Promise<void> {
  await transact(deps, await seedActor(deps), (tx) => demoTopology(tx, deps.mtu ?? defaultMtuSettings));
}

/** Whether an earlier start decided about the demo (seeded or not): nothing is seeded again. */
export async function demoDecided(db: Deps["db"]): Promise<boolean> {
  const [decided] = await db.select().from(firstStart).where(eq(firstStart.decision, DEMO));
  return decided !== undefined;
}

/**
 * At start-up. On a database's first start, seeds the demo when `asked` (NETLENS_SEED_DEMO) and records the
 * decision either way, in the seed's own transaction; later starts find it and seed nothing. So a demo that
 * the admins deleted stays deleted across restarts, and a database first started without the demo never gets
 * one. Returns whether it seeded.
 */
export async function seedDemoOnFirstStart(deps: SeedDeps, asked: boolean): Promise<boolean> {
  if (await demoDecided(deps.db)) return false;
  if (!asked) {
    await deps.db.insert(firstStart).values({ decision: DEMO, outcome: "not asked" }).onConflictDoNothing();
    return false;
  }
  return transact(deps, await seedActor(deps), async (tx) => {
    // Two servers starting on one PostgreSQL: the second waits here for the first to commit, then finds the row.
    const [claimed] = await tx.db
      .insert(firstStart)
      .values({ decision: DEMO, outcome: "seeded" })
      .onConflictDoNothing()
      .returning();
    if (!claimed) return false;
    await demoTopology(tx, deps.mtu ?? defaultMtuSettings);
    return true;
  });
}

async function demoTopology(tx: Tx, mtu: MtuSettings): Promise<void> {
  const demo = await ensureProject(tx.db, "demo", "Demo tenant");
  await createNetwork(
    tx,
    networkCreate.parse({
      name: "public",
      "router:external": true,
      "provider:network_type": "flat",
      "provider:physical_network": "public",
    }),
    mtu,
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
  await createNetwork(tx, networkCreate.parse({ name: "demo-net", project_id: demo.id }), mtu);
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
  // The default group lets in only its own members, as Neutron's does; the demo opens ping and SSH from
  // anywhere, as devstack's operators do first (`openstack security group rule create --protocol icmp default`),
  // in the demo tenant's group and in the admins' (whose instances the dashboard launches).
  for (const projectId of [demo.id, tx.actor.projectId]) {
    const group = await ensureDefaultGroup(tx, projectId);
    for (const rule of [{ protocol: "icmp" }, { protocol: "tcp", port_range_min: 22, port_range_max: 22 }])
      await createSecurityGroupRule(
        tx,
        securityGroupRuleCreate.parse({ security_group_id: group.id, direction: "ingress", ...rule }),
      );
  }
}
