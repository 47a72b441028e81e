// topology.get: the demo as the graph reads it, the same things the six lists show, and hosts for admins only.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { instances, ports, routers } from "../db/schema";
import { createTestApi, type TestApi, testUser } from "../testkit";

let api: TestApi;
beforeAll(async () => {
  api = await createTestApi({ demo: true });
  // As an agent on compute-1 leaves them: every port bound there, the instances scheduled there.
  await api.db.update(ports).set({ hostId: "compute-1", vifType: "ovs" });
  await api.db.update(instances).set({ host: "compute-1" });
  await api.db.update(routers).set({ host: "compute-1" });
});
afterAll(() => api.close());

describe("topology.get", () => {
  it("gives the admin the demo: networks, the router's gateway and interface, instances on their network", async () => {
    const topology = await api.caller.topology.get();
    const byName = new Map(topology.networks.map((n) => [n.name, n]));
    const publicNet = byName.get("public");
    const demoNet = byName.get("demo-net");
    expect(publicNet).toMatchObject({ external: true, subnets: [{ cidr: "203.0.113.0/24" }] });
    expect(demoNet).toMatchObject({
      external: false,
      subnets: [{ cidr: "10.0.0.0/24", gateway_ip: "10.0.0.1" }],
    });
    const [router] = topology.routers;
    const shown = await api.caller.router.show({ id: "demo-router" });
    expect(router).toMatchObject({
      name: "demo-router",
      host: "compute-1",
      gateway: {
        network_id: publicNet?.id,
        ip_address: shown.external_gateway_info?.external_fixed_ips[0]?.ip_address,
      },
      interfaces: [{ network_id: demoNet?.id, ip_address: "10.0.0.1" }],
    });
    const servers = await api.caller.server.list();
    expect(topology.instances.map((i) => i.name).sort()).toEqual(["vm1", "vm2"]);
    for (const i of topology.instances) {
      const server = servers.find((s) => s.id === i.id);
      expect(i).toMatchObject({
        host: "compute-1",
        binding: { host: "compute-1", bound: true },
        port: {
          port_id: server?.port_id,
          network_id: demoNet?.id,
          ip_address: server?.addresses["demo-net"]?.[0],
        },
      });
    }
    // Its DHCP port, where the network's dnsmasq answers.
    expect(demoNet?.dhcp?.binding).toEqual({ host: "compute-1", bound: true });
  });

  it("shows a member their project's things and the external network, with no host named", async () => {
    const member = await testUser(api.services, "dana", "demo", "member");
    const topology = await member.caller.topology.get();
    expect(topology.networks.map((n) => n.name).sort()).toEqual(["demo-net", "public"]);
    expect(topology.routers.map((r) => [r.name, r.host])).toEqual([["demo-router", null]]);
    expect(topology.instances.map((i) => [i.host, i.binding])).toEqual([
      [null, { host: "", bound: true }],
      [null, { host: "", bound: true }],
    ]);
    expect(JSON.stringify(topology)).not.toContain("compute-1");
  });

  it("shows a member of another project none of the demo's", async () => {
    const other = await testUser(api.services, "erin", "elsewhere", "member");
    const topology = await other.caller.topology.get();
    expect(topology.networks.map((n) => n.name)).toEqual(["public"]);
    expect(topology.routers).toEqual([]);
    expect(topology.instances).toEqual([]);
    expect(topology.floatingIps).toEqual([]);
  });

  it("follows a change: a deleted instance is gone from the next answer", async () => {
    await api.caller.server.delete({ id: "vm2" });
    const topology = await api.caller.topology.get();
    expect(topology.instances.map((i) => i.name)).toEqual(["vm1"]);
  });
});
