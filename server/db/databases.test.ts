// The same migrations and the same concurrency guarantees on PGlite and, when TEST_DATABASE_URL is set,
// on a real PostgreSQL server.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApi, type TestApi } from "../testkit";
import * as schema from "./schema";
import { type Target, testTargets } from "./targets";

if (!process.env.TEST_DATABASE_URL) {
  // Not a skip: the PGlite half runs; this says why the PostgreSQL half does not.
  process.stderr.write("databases.test.ts: TEST_DATABASE_URL is not set; running against PGlite only\n");
}

describe.each(testTargets)("on $name", ({ setUp }) => {
  let target: Target;
  let api: TestApi;
  beforeAll(async () => {
    target = await setUp();
    api = await createTestApi({ url: target.url, demo: true });
  }, 60_000);
  afterAll(async () => {
    await api?.close();
    await target?.drop();
  });

  it("migrates and seeds the demo", async () => {
    const names = (await api.caller.network.list()).map((n) => n.name);
    expect(names).toEqual(["public", "demo-net"]);
    expect((await api.caller.server.list()).map((s) => s.name)).toEqual(["vm1", "vm2"]);
  });

  it("never hands out one address twice under concurrent creates", async () => {
    await api.caller.network.create({ name: "race-net" });
    await api.caller.subnet.create({
      name: "race-subnet",
      network_id: "race-net",
      cidr: "10.99.0.0/28",
      enable_dhcp: false,
    });
    // A /28 has 14 hosts; one is the gateway: 13 ports get addresses, 7 get the exhaustion error.
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => api.caller.port.create({ network_id: "race-net" })),
    );
    const addresses = results.flatMap((r) =>
      r.status === "fulfilled" ? r.value.fixed_ips.map((f) => f.ip_address) : [],
    );
    const failures = results.flatMap((r) => (r.status === "rejected" ? [String(r.reason?.message)] : []));
    expect(addresses).toHaveLength(13);
    expect(new Set(addresses).size).toBe(13);
    expect(failures).toHaveLength(7);
    for (const message of failures)
      expect(message).toBe("No more IP addresses available on network race-net.");
    const listed = await api.caller.port.list({ network_id: "race-net" });
    expect(listed).toHaveLength(13);
  });

  it("lists ports as plain selects read them: addresses, groups, address pairs, dates (JSON queries)", async () => {
    await api.caller.network.create({ name: "list-net" });
    for (const [name, cidr] of [
      ["list-a", "10.98.0.0/24"],
      ["list-b", "10.98.1.0/24"],
    ] as const)
      await api.caller.subnet.create({ name, network_id: "list-net", cidr });
    await api.caller.securityGroup.create({ name: "list-sg" });
    await api.caller.port.create({
      name: "two-ips",
      network_id: "list-net",
      fixed_ips: [{ subnet_id: "list-a" }, { subnet_id: "list-b", ip_address: "10.98.1.9" }],
      security_groups: ["default", "list-sg"],
      allowed_address_pairs: [{ ip_address: "10.98.0.200" }],
    });
    await api.caller.port.create({ name: "bare", network_id: "list-net", port_security_enabled: false });
    // What plain selects say, row by row, against the list's one-JSON-value reading.
    const listed = await api.caller.port.list(undefined);
    const rows = await api.db.select().from(schema.ports).orderBy(schema.ports.createdAt);
    const allocations = await api.db.select().from(schema.ipAllocations);
    const groups = await api.db.select().from(schema.portSecurityGroups);
    expect(listed.map((p) => [p.id, p.created_at, p.updated_at, p.status, p.port_security_enabled])).toEqual(
      rows.map((r) => [
        r.id,
        r.createdAt.toISOString(),
        r.updatedAt.toISOString(),
        r.status,
        r.portSecurityEnabled,
      ]),
    );
    for (const port of listed) {
      expect(port.fixed_ips).toEqual(
        allocations
          .filter((a) => a.portId === port.id)
          .map((a) => ({ subnet_id: a.subnetId, ip_address: a.ipAddress })),
      );
      expect(port.security_groups.sort()).toEqual(
        groups
          .filter((g) => g.portId === port.id)
          .map((g) => g.securityGroupId)
          .sort(),
      );
    }
    expect(await api.caller.port.show({ id: listed[0]?.id ?? "" })).toEqual(listed[0]);
    const twoIps = listed.find((p) => p.name === "two-ips");
    expect(twoIps?.fixed_ips.map((f) => f.ip_address)).toContain("10.98.1.9");
    expect(twoIps?.security_groups).toHaveLength(2);
    expect(twoIps?.allowed_address_pairs).toEqual([
      { ip_address: "10.98.0.200", mac_address: twoIps?.mac_address },
    ]);
    expect(listed.find((p) => p.name === "bare")?.security_groups).toEqual([]);
  });

  it("keeps one flat network per physical network under concurrent creates", async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) =>
        api.caller.network.create({
          name: `flat-${i}`,
          "provider:network_type": "flat",
          "provider:physical_network": "physnet-race",
        }),
      ),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
  });
});
