// The trace walks the very intent the agent is sent: compiled from the trace's own read of the rows (fewer
// columns, no floating IPs' ports), it must equal the dispatcher's; and the places are drawn from it.
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deviceNames, namespaceNames } from "../../lib/names";
import { compileIntent } from "../agents/intent";
import { loadIntentInputs } from "../agents/snapshot";
import { agents, instances, routers } from "../db/schema";
import { createTestApi, type TestApi } from "../testkit";
import { loadTraceModel } from "./facts";
import { hostPlaces } from "./places";

describe("the trace's picture of the host", () => {
  let api: TestApi;
  const dispatched = async () => {
    const [agent] = await api.db.select().from(agents);
    return compileIntent(await loadIntentInputs(api.db, agent?.id ?? 0));
  };

  beforeAll(async () => {
    api = await createTestApi({ demo: true });
    await api.db.insert(agents).values({ url: "http://agent.test", host: "h1", wantedRevision: 3 });
    const c = api.caller;
    // A port without an instance holding a floating IP, one with two fixed IPs, a floating IP held by nobody,
    // a router with no gateway, an instance scheduled elsewhere.
    const spare = await c.port.create({ network_id: "demo-net", fixed_ips: [{ ip_address: "10.0.0.50" }] });
    await c.floatingIp.create({ floating_network_id: "public", port_id: spare.id });
    await c.port.create({
      network_id: "demo-net",
      fixed_ips: [{ ip_address: "10.0.0.60" }, { ip_address: "10.0.0.61" }],
    });
    await c.floatingIp.create({ floating_network_id: "public" });
    await c.network.create({ name: "inner" });
    await c.subnet.create({ name: "inner-subnet", network_id: "inner", cidr: "10.9.0.0/24" });
    await c.router.create({ name: "inner-router" });
    await c.router.addInterface({ id: "inner-router", subnet_id: "inner-subnet" });
    const elsewhere = await c.server.create({ name: "vm9", network_id: "inner" });
    await api.db.update(instances).set({ host: "h2" }).where(eq(instances.id, elsewhere.id));
  });
  afterAll(() => api.close());

  it("compiles the same intent as the one the dispatcher sends", async () => {
    const model = await loadTraceModel(api.db, ["h1"]);
    expect(model.intent).toEqual(await dispatched());
    expect(model.intent.instances.map((i) => i.id)).not.toContain(
      (await api.caller.server.show({ id: "vm9" })).id,
    );
  });

  it("draws each namespace with the devices, addresses and taps the agent makes", async () => {
    const model = await loadTraceModel(api.db, ["h1"]);
    const places = hostPlaces(model.intent, "p-");
    const router = await api.caller.router.show({ id: "demo-router" });
    const gateway = model.intentRouters.get(router.id)?.gateway;
    const fips = (await api.caller.floatingIp.list()).filter((f) => f.router_id === router.id);
    expect(fips).toHaveLength(2);
    expect(places.routers.get(router.id)).toMatchObject({
      kind: "router",
      namespace: namespaceNames.router("p-", router.id),
      devices: [
        {
          name: deviceNames.routerGateway(gateway?.port_id ?? ""),
          tap: deviceNames.tap(gateway?.port_id ?? ""),
          mac: gateway?.mac_address,
          // The floating IPs as /32s on the gateway, behind its own address.
          addresses: expect.arrayContaining([gateway?.ip_address, ...fips.map((f) => f.floating_ip_address)]),
        },
        { name: expect.stringMatching(/^qr-/), addresses: ["10.0.0.1"] },
      ],
    });
    const public_ = await api.caller.network.show({ id: "public" });
    expect(places.uplinks.get(public_.id)?.devices).toEqual([
      {
        name: "eth0",
        mac: null,
        network_id: public_.id,
        tap: deviceNames.uplinkTap(public_.id),
        physical_network: "public",
        port_id: null,
        addresses: ["203.0.113.1"],
      },
    ]);
    expect(model.uplinks.get(public_.id)).toEqual({
      network: { id: public_.id, name: "public" },
      address: "203.0.113.1",
      cidr: "203.0.113.0/24",
    });
    const vm9 = await api.caller.server.show({ id: "vm9" });
    expect(places.instances.has(vm9.id)).toBe(false);
    // The DHCP server of demo-net: its port's address, and no metadata address (a router serves the subnet).
    const demoNet = await api.caller.network.show({ id: "demo-net" });
    expect(places.dhcp.get(demoNet.id)).toMatchObject({
      kind: "dhcp",
      namespace: namespaceNames.dhcp("p-", demoNet.id),
      devices: [{ name: expect.stringMatching(/^ns-/), addresses: ["10.0.0.2"] }],
    });
    expect(places.all).toHaveLength(
      places.instances.size + places.routers.size + places.uplinks.size + places.dhcp.size,
    );
  });

  it("puts no floating IP on a router without a gateway, as the agent does not", async () => {
    const router = await api.caller.router.show({ id: "demo-router" });
    await api.db.update(routers).set({ gwPortId: null }).where(eq(routers.id, router.id));
    const model = await loadTraceModel(api.db, ["h1"]);
    expect(model.intent).toEqual(await dispatched());
    const place = hostPlaces(model.intent, "p-").routers.get(router.id);
    expect(place?.devices.map((d) => d.addresses)).toEqual([["10.0.0.1"]]);
    // The model still says which floating IPs point at the router.
    expect(model.floatingIps.filter((f) => f.routerId === router.id)).toHaveLength(2);
  });
});
