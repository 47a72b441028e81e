// Isolated metadata in the compiled intent (Neutron's enable_isolated_metadata): a DHCP subnet whose gateway no
// router interface holds gets the route to 169.254.169.254 via the DHCP port, and its network's DHCP namespace
// serves metadata; a router interface on the gateway takes both away, and removing it gives them back.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hostIntent } from "../../agent/contract/intent";
import { agents } from "../db/schema";
import { createTestApi, type TestApi } from "../testkit";
import { compileIntent } from "./intent";
import { loadIntentInputs } from "./snapshot";

let api: TestApi;
let networkId = "";

beforeAll(async () => {
  api = await createTestApi();
  await api.db.insert(agents).values({ url: "http://agent.test", host: "h1", wantedRevision: 1 });
  networkId = (await api.caller.network.create({ name: "iso-net" })).id;
  await api.caller.subnet.create({
    name: "iso-subnet",
    network_id: "iso-net",
    cidr: "10.62.0.0/24",
    host_routes: [{ destination: "10.99.0.0/16", nexthop: "10.62.0.254" }],
  });
  await api.caller.server.create({ name: "iso-vm", network_id: "iso-net" });
  await api.caller.router.create({ name: "iso-router" });
});
afterAll(() => api.close());

async function compiled() {
  const [agent] = await api.db.select().from(agents);
  const intent = compileIntent(await loadIntentInputs(api.db, agent?.id ?? 0));
  expect(hostIntent.safeParse(intent).success).toBe(true);
  const dhcp = intent.dhcp?.find((d) => d.network_id === networkId);
  const vm = intent.instances.find((i) => i.network_id === networkId);
  return { dhcp, vm };
}

const ownRoute = { destination: "10.99.0.0/16", nexthop: "10.62.0.254" };

describe("metadata on an isolated network", () => {
  it("routes 169.254.169.254 via the DHCP port and serves it in the DHCP namespace", async () => {
    const { dhcp, vm } = await compiled();
    const dhcpAddress = dhcp?.addresses[0]?.ip_address;
    expect(dhcpAddress).toBe("10.62.0.2");
    expect(dhcp?.metadata).toBe(true);
    const routes = [ownRoute, { destination: "169.254.169.254/32", nexthop: "10.62.0.2" }];
    expect(dhcp?.subnets[0]?.host_routes).toEqual(routes);
    // A probe on the subnet is told the same by DHCP: its plan wants what its lease gives.
    expect(vm?.host_routes).toEqual(routes);
  });

  it("leaves it to the router once a router interface holds the gateway, and takes it back without one", async () => {
    await api.caller.router.addInterface({ id: "iso-router", subnet_id: "iso-subnet" });
    const routed = await compiled();
    expect(routed.dhcp?.metadata).toBeUndefined();
    expect(routed.dhcp?.subnets[0]?.host_routes).toEqual([ownRoute]);
    expect(routed.vm?.host_routes).toEqual([ownRoute]);

    await api.caller.router.removeInterface({ id: "iso-router", subnet_id: "iso-subnet" });
    const isolated = await compiled();
    expect(isolated.dhcp?.metadata).toBe(true);
    expect(isolated.vm?.host_routes).toContainEqual({
      destination: "169.254.169.254/32",
      nexthop: "10.62.0.2",
    });
  });

  it("stays isolated when the router's interface is not the subnet's gateway (its clients route elsewhere)", async () => {
    const port = await api.caller.port.create({
      network_id: "iso-net",
      fixed_ips: [{ subnet_id: "iso-subnet", ip_address: "10.62.0.200" }],
    });
    await api.caller.router.addInterface({ id: "iso-router", port_id: port.id });
    expect((await compiled()).dhcp?.metadata).toBe(true);
    await api.caller.router.removeInterface({ id: "iso-router", port_id: port.id });
  });
});
