import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hostIntent } from "../../agent/contract/intent";
import { agents } from "../db/schema";
import { createTestApi, type TestApi } from "../testkit";
import { compileIntent } from "./intent";
import { loadIntentInputs } from "./snapshot";

describe("intent for the demo topology", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await createTestApi({ demo: true });
    await api.db.insert(agents).values({ url: "http://agent.test", host: "h1", wantedRevision: 7 });
  });
  afterAll(() => api.close());

  it("carries the router, its NAT, the instances and the outside world, valid for the agent", async () => {
    const [agent] = await api.db.select().from(agents);
    const intent = compileIntent(await loadIntentInputs(api.db, agent?.id ?? 0));
    expect(hostIntent.safeParse(intent).success).toBe(true);

    const publicNet = await api.caller.network.show({ id: "public" });
    const demoNet = await api.caller.network.show({ id: "demo-net" });
    const router = await api.caller.router.show({ id: "demo-router" });
    const vm1 = await api.caller.server.show({ id: "vm1" });
    const vm2 = await api.caller.server.show({ id: "vm2" });
    const [fip] = await api.caller.floatingIp.list();

    expect(intent.revision).toBe(7);
    expect(intent.networks).toEqual([
      {
        id: publicNet.id,
        network_type: "flat",
        physical_network: "public",
        segmentation_id: null,
        mtu: 1500,
      },
      {
        id: demoNet.id,
        network_type: "vxlan",
        physical_network: null,
        segmentation_id: demoNet["provider:segmentation_id"],
        mtu: 1450,
      },
    ]);
    expect(intent.uplinks).toEqual([
      {
        network_id: publicNet.id,
        physical_network: "public",
        segmentation_id: null,
        address: "203.0.113.1/24",
      },
    ]);
    expect(intent.routers).toEqual([
      {
        id: router.id,
        gateway: {
          port_id: expect.any(String),
          network_id: publicNet.id,
          mac_address: expect.stringMatching(/^fa:16:3e:/),
          ip_address: "203.0.113.100",
          prefixlen: 24,
          gateway_ip: "203.0.113.1",
          enable_snat: true,
        },
        interfaces: [
          {
            port_id: router.interfaces[0]?.port_id,
            network_id: demoNet.id,
            mac_address: expect.stringMatching(/^fa:16:3e:/),
            ip_address: "10.0.0.1",
            prefixlen: 24,
          },
        ],
        routes: [],
        floating_ips: [{ id: fip?.id, floating_ip_address: "203.0.113.101", fixed_ip_address: "10.0.0.2" }],
      },
    ]);
    expect(intent.instances).toEqual(
      [vm1, vm2].map((vm, i) => ({
        id: vm.id,
        port_id: vm.port_id,
        network_id: demoNet.id,
        mac_address: vm.mac_address,
        ip_address: `10.0.0.${i + 2}`,
        prefixlen: 24,
        gateway_ip: "10.0.0.1",
        host_routes: [],
        mtu: 1450,
      })),
    );
  });

  it("drops floating IPs from a router without gateway", async () => {
    const [agent] = await api.db.select().from(agents);
    const inputs = await loadIntentInputs(api.db, agent?.id ?? 0);
    const intent = compileIntent({
      ...inputs,
      routers: inputs.routers.map((r) => ({ ...r, gwPortId: null })),
    });
    expect(intent.routers[0]?.gateway).toBeNull();
    expect(intent.routers[0]?.floating_ips).toEqual([]);
  });
});
