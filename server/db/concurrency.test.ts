// Races the API must win on PGlite and, when TEST_DATABASE_URL is set, on a real PostgreSQL server (where
// transactions really run side by side): pools handed out once, overlap rules that hold, no deadlock.
import { and, count, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordStatuses } from "../agents/status";
import { createTestApi, type TestApi, tableCounts } from "../testkit";
import { agents, floatingIps, ipAllocations, ports, routerPorts, subnets } from "./schema";
import { type Target, testTargets } from "./targets";

/** What each settled call gave: the values, and the messages of the refusals. */
function outcome<T>(results: PromiseSettledResult<T>[]) {
  return {
    values: results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : [])),
    errors: results.flatMap((r) => (r.status === "rejected" ? [String(r.reason?.message)] : [])),
  };
}

/** The tables whose row counts changed, and by how much. */
function growth(before: Record<string, number>, after: Record<string, number>) {
  return Object.fromEntries(
    Object.entries(after).flatMap(([table, n]) =>
      n === before[table] ? [] : [[table, n - (before[table] ?? 0)]],
    ),
  );
}

describe.each(testTargets)("on $name", ({ setUp }) => {
  let target: Target;
  let api: TestApi;
  beforeAll(async () => {
    target = await setUp();
    api = await createTestApi({ url: target.url });
  }, 60_000);
  afterAll(async () => {
    await api?.close();
    await target?.drop();
  });

  it("hands 50 floating IPs to 100 concurrent creates, each once, and refuses the rest writing nothing", async () => {
    const network = await api.caller.network.create({
      name: "pool-net",
      "router:external": true,
      "provider:network_type": "flat",
      "provider:physical_network": "pool",
    });
    const subnet = await api.caller.subnet.create({
      name: "pool-subnet",
      network_id: "pool-net",
      cidr: "198.51.100.0/24",
      gateway_ip: "198.51.100.1",
      allocation_pools: [{ start: "198.51.100.10", end: "198.51.100.59" }],
      enable_dhcp: false,
    });
    const before = await tableCounts(api.db);

    const { values, errors } = outcome(
      await Promise.allSettled(
        Array.from({ length: 100 }, () => api.caller.floatingIp.create({ floating_network_id: "pool-net" })),
      ),
    );

    const addresses = values.map((f) => f.floating_ip_address);
    expect(new Set(addresses).size).toBe(50);
    const pool = Array.from({ length: 50 }, (_, i) => `198.51.100.${10 + i}`);
    expect([...addresses].sort()).toEqual([...pool].sort());
    expect(errors).toEqual(Array(50).fill("No more IP addresses available on network pool-net."));
    expect(growth(before, await tableCounts(api.db))).toEqual({
      floating_ips: 50,
      ports: 50,
      ip_allocations: 50,
    });
    // Each floating IP's port holds exactly its address, and no port was left without a floating IP.
    const held = await api.db
      .select({ fip: floatingIps.floatingIpAddress, ip: ipAllocations.ipAddress })
      .from(floatingIps)
      .innerJoin(ipAllocations, eq(ipAllocations.portId, floatingIps.floatingPortId))
      .where(eq(floatingIps.floatingNetworkId, network.id));
    expect(held).toHaveLength(50);
    for (const row of held) expect(row.ip).toBe(row.fip);
    const [onNetwork] = await api.db
      .select({ n: count() })
      .from(ports)
      .where(eq(ports.networkId, network.id));
    expect(onNetwork?.n).toBe(50);
    const [allocated] = await api.db
      .select({ n: count() })
      .from(ipAllocations)
      .where(eq(ipAllocations.subnetId, subnet.id));
    expect(allocated?.n).toBe(50);
  });

  it("lets one of 20 concurrent overlapping subnets onto a network", async () => {
    const network = await api.caller.network.create({ name: "overlap-net" });
    // Every CIDR holds 10.70.0.0: each pair overlaps.
    const { values, errors } = outcome(
      await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) =>
          api.caller.subnet.create({
            name: `overlap-${i}`,
            network_id: "overlap-net",
            cidr: `10.70.0.0/${16 + (i % 9)}`,
          }),
        ),
      ),
    );
    expect(values).toHaveLength(1);
    expect(errors).toHaveLength(19);
    for (const message of errors)
      expect(message).toMatch(/^Invalid CIDR 10\.70\.0\.0\/\d+ for subnet: it overlaps/);
    const [row] = await api.db.select({ n: count() }).from(subnets).where(eq(subnets.networkId, network.id));
    expect(row?.n).toBe(1);
  });

  it("lets one of 20 overlapping subnets, attached concurrently, onto a router", async () => {
    for (let i = 0; i < 20; i++) {
      await api.caller.network.create({ name: `leg-net-${i}` });
      await api.caller.subnet.create({
        name: `leg-${i}`,
        network_id: `leg-net-${i}`,
        cidr: `10.80.0.0/${16 + (i % 9)}`,
      });
    }
    const router = await api.caller.router.create({ name: "race-router" });
    const before = await tableCounts(api.db);

    const { values, errors } = outcome(
      await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) =>
          api.caller.router.addInterface({ id: "race-router", subnet_id: `leg-${i}` }),
        ),
      ),
    );

    expect(values).toHaveLength(1);
    expect(errors).toHaveLength(19);
    for (const message of errors)
      expect(message).toMatch(
        /^Bad router request: Cidr 10\.80\.0\.0\/\d+ of subnet leg-\d+ overlaps with cidr 10\.80\.0\.0\/\d+ of subnet leg-\d+\.$/,
      );
    expect((await api.caller.router.show({ id: router.id })).interfaces).toHaveLength(1);
    expect(growth(before, await tableCounts(api.db))).toEqual({
      ports: 1,
      ip_allocations: 1,
      router_ports: 1,
    });
    const [attached] = await api.db
      .select({ n: count() })
      .from(routerPorts)
      .where(eq(routerPorts.routerId, router.id));
    expect(attached?.n).toBe(1);
  });

  it("attaches a port to one of 10 routers racing for it", async () => {
    await api.caller.network.create({ name: "shared-leg-net" });
    await api.caller.subnet.create({
      name: "shared-leg",
      network_id: "shared-leg-net",
      cidr: "10.85.0.0/24",
    });
    const port = await api.caller.port.create({ name: "contested", network_id: "shared-leg-net" });
    const routers = [];
    for (let i = 0; i < 10; i++) routers.push(await api.caller.router.create({ name: `suitor-${i}` }));

    const { values, errors } = outcome(
      await Promise.allSettled(
        routers.map((r) => api.caller.router.addInterface({ id: r.id, port_id: port.id })),
      ),
    );

    expect(values).toHaveLength(1);
    const winner = values[0]?.id;
    expect(errors).toEqual(
      Array(9).fill(
        `Unable to complete operation on port contested. Port already has an attached device ${winner}.`,
      ),
    );
    expect((await api.caller.port.show({ id: port.id })).device_id).toBe(winner);
    const attached = await api.db.select().from(routerPorts).where(eq(routerPorts.portId, port.id));
    expect(attached.map((r) => r.routerId)).toEqual([winner]);
  });

  it("runs subnet creates and updates of their network side by side without a deadlock", async () => {
    // With a host known, every change also bumps its revision: the lock PostgreSQL saw taken in two orders.
    await api.db.insert(agents).values({ url: "http://agent.race", host: "race-host" });
    try {
      const network = await api.caller.network.create({ name: "lock-net" });
      const results = await Promise.allSettled(
        Array.from({ length: 30 }, (_, i) =>
          i % 2 === 0
            ? api.caller.subnet.create({ name: `lock-${i}`, network_id: network.id, cidr: `10.90.${i}.0/24` })
            : api.caller.network.update({ id: network.id, admin_state_up: true }),
        ),
      );
      expect(outcome(results).errors).toEqual([]);
      const [row] = await api.db
        .select({ n: count() })
        .from(subnets)
        .where(and(eq(subnets.networkId, network.id)));
      expect(row?.n).toBe(15);
    } finally {
      await api.db.delete(agents);
    }
  });

  it("runs writes beside the dispatcher recording statuses without a deadlock", async () => {
    const [agent] = await api.db
      .insert(agents)
      .values({ url: "http://agent.status", host: "status-host" })
      .returning();
    if (!agent) throw new Error("insert returned nothing");
    try {
      const doomed = [];
      for (let i = 0; i < 20; i++) doomed.push(await api.caller.router.create({ name: `doomed-${i}` }));
      const ids = doomed.map((r) => r.id);
      // As the dispatcher records an applied revision: its agents row, then the status of every resource the
      // agent named (each time another message, so each recording rewrites every router's row).
      const recordApplied = (attempt: number) =>
        api.db.transaction(async (tx) => {
          await tx.update(agents).set({ appliedRevision: attempt }).where(eq(agents.id, agent.id));
          return recordStatuses(
            tx,
            attempt,
            ids.map((id) => ({ resource_id: id, message: `attempt ${attempt}` })),
          );
        });
      const results = await Promise.allSettled(
        doomed.flatMap((router, i) => [api.caller.router.delete({ id: router.id }), recordApplied(i + 1)]),
      );
      expect(outcome(results).errors).toEqual([]);
      expect((await api.caller.router.list()).filter((r) => ids.includes(r.id))).toEqual([]);
    } finally {
      await api.db.delete(agents);
    }
  });
});
